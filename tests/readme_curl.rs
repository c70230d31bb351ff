//! The twin reference's "Try it with curl" section (docs/twin.md) is true: each of its shell blocks runs
//! against a twin, and every line of the abridged answer after it appears in what the
//! twin sent back. Needs `curl` and `sed` (`.ci/run` installs curl where it is missing).

use std::process::Command;

use payconform::sandbox::SandboxServer;
use payconform::sandbox::Twin;

/// The section's code blocks, in order, as (language, text).
fn blocks() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/twin.md")).unwrap();
    let section = readme.split("## Try it with curl").nth(1).expect("a Try it with curl section");
    let section = section.split("\n## ").next().unwrap();
    let mut out = Vec::new();
    let mut parts = section.split("```").skip(1);
    while let Some(block) = parts.next() {
        let (lang, body) = block.split_once('\n').unwrap_or((block, ""));
        out.push((lang.trim().to_string(), body.to_string()));
        parts.next(); // the prose between blocks
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_curl_command_in_the_readme_answers_as_shown() {
    let srv = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = srv.url().trim_start_matches("http://").to_string();
    let dir = tempfile::tempdir().unwrap();
    let blocks = blocks();
    let pairs: Vec<_> = blocks.windows(2).filter(|w| w[0].0 == "sh" && w[1].0 == "text").collect();
    assert_eq!(pairs.len(), 5, "five commands, each with its answer");
    for w in pairs {
        let script = w[0].1.replace("127.0.0.1:8080", &addr);
        let out = tokio::task::block_in_place(|| {
            Command::new("bash").args(["-euo", "pipefail", "-c", &script]).current_dir(dir.path()).output()
        })
        .expect("bash runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{script}\n{}", String::from_utf8_lossy(&out.stderr));
        for line in w[1].1.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let expected = line.replace("127.0.0.1:8080", &addr);
            assert!(stdout.contains(&expected), "{script}\nshould answer with {expected}\ngot {stdout}");
        }
    }
    srv.shutdown().await;
}
