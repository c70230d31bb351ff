//! Issue 24: the README's Checkout example runs, unmodified but for the address, with
//! Adyen's official Python library (16.0.0 in CI) against a twin through its
//! `checkout` services on the library's own `/v72` path: payments → captures → refunds,
//! payments → cancels, payments → reversals. The twin records what the flows did, and
//! every notification it sends verifies with the library's own HMAC validator
//! (`Adyen.util.is_valid_hmac_notification`), something this project did not write.
//!
//! Needs a Python with the `Adyen` package: `PAYCONFORM_PYTHON` names it (`.ci/run`
//! makes one). Without it the test says so and passes on a developer machine, but fails
//! under CI (the `CI` variable), where it must run.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use payconform::sandbox::{SandboxServer, Twin, TwinConfig, WebhookConfig};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod sdk;

const KEY: &str = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";

fn example() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme.split("### Adyen Checkout, with Adyen's own libraries").nth(1).expect("a Checkout section");
    let block = section.split("```python\n").nth(1).expect("a python block");
    block.split("```").next().unwrap().to_string()
}

/// A receiver that accepts every notification and keeps its body.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            let g = g.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = s.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() < end + 4 + len {
                        continue;
                    }
                    if let Ok(body) = serde_json::from_slice::<Value>(&buf[end + 4..end + 4 + len]) {
                        g.lock().unwrap().push(body);
                    }
                    let reply = "HTTP/1.1 200 OK\r\ncontent-length: 10\r\nconnection: close\r\n\r\n[accepted]";
                    let _ = s.write_all(reply.as_bytes()).await;
                    return;
                }
            });
        }
    });
    (url, got)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_checkout_example_runs_with_the_python_library_and_its_hmac_validator() {
    let Some(python) =
        sdk::python_with_adyen("the_readme_checkout_example_runs_with_the_python_library_and_its_hmac_validator")
    else {
        return;
    };
    let (url, got) = receiver().await;
    let webhook = WebhookConfig::prompt(url, KEY);
    let srv = SandboxServer::start(
        Twin::new(TwinConfig { webhook: Some(webhook), ..TwinConfig::default() }),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let addr = srv.url().trim_start_matches("http://").to_string();
    let script = format!("{}\nprint(captured, cancelled, reversed_)\n", example().replace("127.0.0.1:8080", &addr));
    let out =
        tokio::task::block_in_place(|| Command::new(&python).args(["-c", &script]).output()).expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let psps: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(psps.len(), 3, "{stdout}");

    // What the twin recorded for each flow, on the inspection endpoint under v72.
    let seen = |psp: String| {
        let url = format!("{}/checkout/v72/__twin/payments/{psp}", srv.url());
        async move {
            reqwest::Client::new().get(url).header("x-api-key", "any-key").send().await.unwrap().json::<Value>().await
        }
    };
    let captured = seen(psps[0].to_string()).await.unwrap();
    assert_eq!(
        (captured["authorised"].as_i64(), captured["captured"].as_i64(), captured["refunded"].as_i64()),
        (Some(1000), Some(1000), Some(1000)),
        "{captured}"
    );
    let cancelled = seen(psps[1].to_string()).await.unwrap();
    assert_eq!((cancelled["cancelled"].as_i64(), cancelled["captured"].as_i64()), (Some(1000), Some(0)), "{cancelled}");
    let reversed = seen(psps[2].to_string()).await.unwrap();
    assert_eq!(reversed["cancelled"].as_i64(), Some(1000), "{reversed}");

    // Every notification, verified by the library's own validator.
    let want = ["AUTHORISATION", "CAPTURE", "REFUND", "CANCELLATION", "CANCEL_OR_REFUND"];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let items = loop {
        let items: Vec<Value> = got
            .lock()
            .unwrap()
            .iter()
            .flat_map(|b| b["notificationItems"].as_array().cloned().unwrap_or_default())
            .map(|i| i["NotificationRequestItem"].clone())
            .collect();
        if items.len() >= 7 || tokio::time::Instant::now() > deadline {
            break items;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut events: Vec<(String, String)> = items
        .iter()
        .map(|i| (i["eventCode"].as_str().unwrap_or("").to_string(), i["success"].as_str().unwrap_or("").to_string()))
        .collect();
    events.sort();
    let mut expected: Vec<(String, String)> = ["AUTHORISATION", "AUTHORISATION", "AUTHORISATION"]
        .iter()
        .chain(&want[1..])
        .map(|e| (e.to_string(), "true".to_string()))
        .collect();
    expected.sort();
    assert_eq!(events, expected, "{items:?}");
    let check = format!(
        "import json, sys\nfrom Adyen.util import is_valid_hmac_notification\n\
         items = json.load(sys.stdin)\n\
         print(json.dumps([is_valid_hmac_notification(i, {KEY:?}) for i in items]))\n"
    );
    let verdicts = run_python(&python, &check, &serde_json::to_vec(&items).unwrap());
    assert_eq!(verdicts, vec![true; items.len()], "the library's validator refused a notification");
    // And the validator is not a rubber stamp: a changed amount fails it.
    let mut forged = items[0].clone();
    forged["amount"]["value"] = serde_json::json!(999_999);
    assert_eq!(run_python(&python, &check, &serde_json::to_vec(&[forged]).unwrap()), vec![false]);
    srv.shutdown().await;
}

fn run_python(python: &str, script: &str, stdin: &[u8]) -> Vec<bool> {
    use std::io::Write as _;
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The same example, unmodified but for its base URL, through `payconform proxy` in
/// front of a twin: the 7 exchanges are checked against the spec and the lifecycle
/// (each modification names a pspReference an earlier answer gave), none has a finding,
/// and the recording holds no key or card.
#[cfg(feature = "proxy")]
#[tokio::test(flavor = "multi_thread")]
async fn the_checkout_example_through_the_proxy_has_no_finding() {
    use payconform::proxy::{Proxy, ProxyConfig};
    let Some(python) = sdk::python_with_adyen("the_checkout_example_through_the_proxy_has_no_finding") else {
        return;
    };
    let twin = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("checkout.har");
    let mut config = ProxyConfig::new(twin.url().parse().unwrap());
    config.record = Some(har.clone());
    let proxy = Proxy::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = proxy.url().trim_start_matches("http://").to_string();
    let script = example().replace("127.0.0.1:8080", &addr);
    let out =
        tokio::task::block_in_place(|| Command::new(&python).args(["-c", &script]).output()).expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let finished = proxy.shutdown().await.unwrap();
    let report = finished.report;
    let ops: Vec<(String, usize)> =
        report.scenarios.iter().map(|s| (s.exchange_log[0].operation.clone(), s.violations.len())).collect();
    let expected: Vec<(String, usize)> = [
        "post-payments",
        "post-payments-paymentPspReference-captures",
        "post-payments-paymentPspReference-refunds",
        "post-payments",
        "post-payments-paymentPspReference-cancels",
        "post-payments",
        "post-payments-paymentPspReference-reversals",
    ]
    .map(|o| (o.to_string(), 0))
    .to_vec();
    assert_eq!((report.exchanges, ops), (7, expected));
    assert_eq!((finished.exchanges, finished.failing), (7, 0), "no spec violation and no lifecycle finding");
    let text = std::fs::read_to_string(&har).unwrap();
    assert!(!text.contains("any-key") && !text.contains("4111111111111111") && text.contains("<secret#1>"), "{text}");
    twin.shutdown().await;
}
