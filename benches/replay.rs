//! Replay and drift (issue 23) on the committed recording, repeated to at least 1,000
//! exchanges: the time to serve every recorded request from a replay (sequential
//! keep-alive requests, in recorded order), and the time to drift every flow against
//! the embedded twin.
//!
//! `cargo bench --bench replay`.

use std::time::Instant;

use payconform::replay::{Recording, ReplayServer, drift};
use payconform::{SandboxServer, Twin};

fn main() {
    let path =
        std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings/variance-7.har"));
    let har: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap().clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let rec = Recording::load(&path).unwrap();
        let rounds = 1_000usize.div_ceil(rec.len());
        // Replay: every recorded request sent to a fresh replay of the recording.
        let client = reqwest::Client::new();
        let mut served = 0;
        let started = Instant::now();
        for _ in 0..rounds {
            let server = ReplayServer::start(rec.clone(), "127.0.0.1:0".parse().unwrap(), None).await.unwrap();
            for e in &entries {
                if e["_payconform"]["notification"].as_bool() == Some(true) {
                    continue;
                }
                let url = e["request"]["url"].as_str().unwrap();
                let path = &url[url.find("://").map(|i| i + 3).unwrap()..];
                let path = &path[path.find('/').unwrap()..];
                let mut req = client.request(
                    e["request"]["method"].as_str().unwrap().parse().unwrap(),
                    format!("{}{path}", server.url()),
                );
                for h in e["request"]["headers"].as_array().unwrap() {
                    let name = h["name"].as_str().unwrap();
                    if !matches!(name, "host" | "content-length") {
                        req = req.header(name, h["value"].as_str().unwrap());
                    }
                }
                if let Some(text) = e["request"]["postData"]["text"].as_str() {
                    req = req.body(text.to_string());
                }
                let _ = req.send().await.unwrap().bytes().await;
                served += 1;
            }
            server.shutdown().await;
        }
        let replay = started.elapsed();
        // Drift: every flow re-sent to the embedded twin and compared.
        let twin = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let started = Instant::now();
        let mut drifted = 0;
        for _ in 0..rounds {
            drifted += drift(&rec, &twin.url(), None).await.unwrap().exchanges;
        }
        let drifting = started.elapsed();
        twin.shutdown().await;
        println!("replay: {served} recorded exchanges served in {:.0} ms", replay.as_secs_f64() * 1000.0);
        println!(
            "drift: {drifted} exchanges re-sent to the twin and compared in {:.0} ms",
            drifting.as_secs_f64() * 1000.0
        );
    });
}
