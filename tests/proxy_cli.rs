//! `payconform proxy` and `payconform har lint` as a user runs them: the address on
//! stdout, one log line per exchange, the reports on SIGTERM and every N exchanges,
//! exit 1 with `--fail-on-violation`, exit 2 on bad usage; `har lint` exits 1 naming the
//! entry and path.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use payconform::sandbox::{SandboxServer, Twin};
use serde_json::{Value, json};

fn start(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_payconform"))
        .arg("proxy")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("proxy ").unwrap_or_else(|| panic!("{line:?}")).to_string();
    (child, url)
}

fn terminate(child: &mut Child) -> (i32, String) {
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    (out.code().unwrap_or(-1), err)
}

async fn authorise(url: &str, original: Option<&str>) -> u16 {
    let (path, body) = match original {
        None => (
            "authorise",
            json!({"merchantAccount": "M", "reference": "o", "amount": {"value": 100, "currency": "EUR"},
                "card": {"number": "4111111111111111", "expiryMonth": "03", "expiryYear": "2030", "cvc": "737", "holderName": "A B"}}),
        ),
        Some(psp) => (
            "capture",
            json!({"merchantAccount": "M", "originalReference": psp, "modificationAmount": {"value": 100, "currency": "EUR"}}),
        ),
    };
    reqwest::Client::new()
        .post(format!("{url}/pal/servlet/Payment/v40/{path}"))
        .header("x-api-key", "cli-test-key")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_on_sigterm_and_exit_1_on_a_violation() {
    let twin = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json");
    let har = dir.path().join("r.har");
    let (mut child, url) = start(&[
        "--upstream",
        &twin.url(),
        "--listen",
        "127.0.0.1:0",
        "--fail-on-violation",
        "--json",
        json_path.to_str().unwrap(),
        "--junit",
        dir.path().join("r.xml").to_str().unwrap(),
        "--record",
        har.to_str().unwrap(),
        "--report-every",
        "1",
    ]);
    assert_eq!(authorise(&url, None).await, 200);
    // --report-every 1: the report is written while the proxy runs.
    let mut waited = 0;
    while !json_path.exists() && waited < 50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    let early: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(early["exchanges"], 1);
    // A capture of a reference no answer gave: a lifecycle finding.
    assert_eq!(authorise(&url, Some("0000000000000000")).await, 422);
    let (code, err) = terminate(&mut child);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("payconform::proxy")).collect();
    assert_eq!(lines.len(), 2, "one log line per exchange: {err}");
    assert!(lines[1].contains("violations=1") && lines[1].contains("post-capture"), "{}", lines[1]);
    assert!(!err.contains("cli-test-key") && !err.contains("4111111111111111"), "{err}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(report["scenarios"][1]["violations"][0]["check"], "lifecycle.offered");
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    roxmltree::Document::parse(&xml).expect("JUnit XML parses");
    // The recording is whole after SIGTERM, and lint finds nothing in it.
    let lint = Command::new(env!("CARGO_BIN_EXE_payconform")).args(["har", "lint"]).arg(&har).output().unwrap();
    assert_eq!(lint.status.code(), Some(0), "{}", String::from_utf8_lossy(&lint.stdout));
    twin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_fail_on_violation_the_exit_is_0() {
    let twin = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let (mut child, url) = start(&["--upstream", &twin.url(), "--listen", "127.0.0.1:0", "-q"]);
    assert_eq!(authorise(&url, Some("0000000000000000")).await, 422);
    let (code, err) = terminate(&mut child);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 exchange(s), 1 with a violation"), "{err}");
    twin.shutdown().await;
}

#[test]
fn bad_usage_is_one_line_and_exit_2() {
    for args in [
        vec!["proxy"],
        vec!["proxy", "--upstream", "not a url"],
        vec!["proxy", "--upstream", "http://u:p@127.0.0.1:1"],
        vec!["proxy", "--upstream", "http://127.0.0.1:1", "--json", "/nonexistent/dir/r.json"],
        vec!["har", "lint"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_payconform")).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("u:p@"), "no credential is echoed: {err}");
    }
}

#[test]
fn har_lint_names_the_entry_and_path_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.har");
    let har = json!({"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": [
        {"request": {"method": "POST", "url": "http://h/", "headers": [{"name": "Authorization", "value": "Basic dXNlcjpwYXNz"}],
            "postData": {"mimeType": "application/json", "text": "{\"paymentInstrument\":{\"cardNumber\":\"4444 3333 2222 1111\"}}"}},
         "response": {"status": 200, "content": {"text": "{}"}}}]}});
    std::fs::write(&bad, har.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_payconform")).args(["har", "lint"]).arg(&bad).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .contains("entry 0: $.log.entries[0].request.headers[0].value: header Authorization carries a credential"),
        "{stdout}"
    );
    assert!(stdout.contains("request.postData.text→$.paymentInstrument.cardNumber"), "{stdout}");
    // Not JSON (an unfinished recording): exit 2, one line.
    std::fs::write(&bad, "{\"log\":{\"entries\":[").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_payconform")).args(["har", "lint"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim().lines().count(), 1);
}

/// `payconform drift` (issue 23): new drift exits 1 and `--write-baseline` records it;
/// with that baseline the next run exits 0; a bad `--against` is exit 2.
#[test]
fn drift_exits_1_on_new_drift_and_0_with_its_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings/variance-7.har");
    let baseline = dir.path().join("baseline.json");
    let json = dir.path().join("drift.json");
    let bin = env!("CARGO_BIN_EXE_payconform");
    let first = Command::new(bin)
        .args(["drift", fixture, "--write-baseline"])
        .arg(&baseline)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(1), "{}", String::from_utf8_lossy(&first.stdout));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report["differences"].as_array().is_some_and(|d| !d.is_empty()));
    let html = dir.path().join("drift.html");
    let second = Command::new(bin)
        .args(["drift", fixture, "--baseline"])
        .arg(&baseline)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("0 new difference(s)") && page.contains("$.lastEvent"), "{page}");
    let out = String::from_utf8_lossy(&second.stdout);
    assert_eq!(second.status.code(), Some(0), "{out}");
    assert!(out.contains(" 0 new") && out.contains("(known: "), "{out}");
    let bad = Command::new(bin).args(["drift", fixture, "--against", "ftp://x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&bad.stderr).trim().lines().count(), 1);
}
