//! The twin reference's Python example (docs/twin.md) runs, unmodified but for the address, with Adyen's
//! official Python library against a twin: authorise, capture, refund and cancel on the
//! SDK's default `/pal/servlet/Payment/v68` path, and the twin records them.
//!
//! Needs a Python with the `Adyen` package: `PAYCONFORM_PYTHON` names it (`.ci/run`
//! makes one with `pip install Adyen==16.0.0`). Without it the test says so and passes
//! on a developer machine, but fails under CI (the `CI` variable), where it must run.

use std::process::Command;

use payconform::sandbox::SandboxServer;
use payconform::sandbox::Twin;
use serde_json::Value;

mod sdk;

fn example() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/twin.md")).unwrap();
    let section = readme.split("**Adyen's official SDKs**").nth(1).expect("an SDK section");
    let block = section.split("```python\n").nth(1).expect("a python block");
    block.split("```").next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_python_sdk_example_runs_against_the_twin() {
    let Some(python) = sdk::python_with_adyen("the_readme_python_sdk_example_runs_against_the_twin") else {
        return;
    };
    let srv = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = srv.url().trim_start_matches("http://").to_string();
    let script = format!("{}\nprint(psp)\n", example().replace("127.0.0.1:8080", &addr));
    let out =
        tokio::task::block_in_place(|| Command::new(&python).args(["-c", &script]).output()).expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let psp = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(psp.len(), 16, "{psp}");
    // What the twin recorded, under the example's key.
    let seen: Value = reqwest::Client::new()
        .get(format!("{}/pal/servlet/Payment/v40/__twin/payments/{psp}", srv.url()))
        .header("x-api-key", "any-key")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (seen["authorised"].as_i64(), seen["captured"].as_i64(), seen["refunded"].as_i64()),
        (Some(1000), Some(1000), Some(1000)),
        "{seen}"
    );
    let events: Vec<(&str, bool)> = seen["modifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["eventCode"].as_str().unwrap_or(""), m["success"].as_bool().unwrap_or(false)))
        .collect();
    // Adyen documents that a captured payment can no longer be cancelled: acknowledged, then failed.
    assert_eq!(events, vec![("capture", true), ("refund", true), ("cancel", false)], "{seen}");
    srv.shutdown().await;
}

/// Issue 22: the same example, unmodified but for its base URL, through `payconform
/// proxy` in front of a twin: every exchange is checked and none has a finding, and the
/// recording holds no key or card.
#[cfg(feature = "proxy")]
#[tokio::test(flavor = "multi_thread")]
async fn the_python_sdk_through_the_proxy_has_no_violation() {
    use payconform::proxy::{Proxy, ProxyConfig};
    let Some(python) = sdk::python_with_adyen("the_python_sdk_through_the_proxy_has_no_violation") else {
        return;
    };
    let twin = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("sdk.har");
    let mut config = ProxyConfig::new(twin.url().parse().unwrap());
    config.record = Some(har.clone());
    let proxy = Proxy::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = proxy.url().trim_start_matches("http://").to_string();
    let script = format!("{}\nprint(psp)\n", example().replace("127.0.0.1:8080", &addr));
    let out =
        tokio::task::block_in_place(|| Command::new(&python).args(["-c", &script]).output()).expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = proxy.shutdown().await.unwrap().report;
    let ops: Vec<(String, usize)> =
        report.scenarios.iter().map(|s| (s.exchange_log[0].operation.clone(), s.violations.len())).collect();
    let expected =
        ["post-authorise", "post-capture", "post-refund", "post-cancel"].map(|o| (o.to_string(), 0)).to_vec();
    assert_eq!((report.exchanges, ops), (4, expected));
    let text = std::fs::read_to_string(&har).unwrap();
    assert!(!text.contains("any-key") && !text.contains("4111111111111111") && text.contains("<secret#1>"), "{text}");
    twin.shutdown().await;
}
