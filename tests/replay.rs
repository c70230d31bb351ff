//! Replay (issue 23): the committed recording of a variance-mode run
//! (`tests/fixtures/recordings/`) replays offline with the recorded run's outcomes and
//! 0 misses; a request it holds nothing for gets its API's own 404 naming the nearest
//! recorded exchange, and is counted; hostile bodies neither panic nor match.

use std::path::PathBuf;

use payconform::replay::{Recording, ReplayServer};
use payconform::{CheckOptions, Target, run};
use serde_json::{Value, json};

fn fixture() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings/variance-7.har"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_recorded_variance_run_replays_offline_with_its_outcomes() {
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().with_file_name("variance-7.summary.json")).unwrap())
            .unwrap();
    let report = run(&CheckOptions::new(Target::Replay(fixture()))).await.unwrap();
    let summary = serde_json::to_value(report.summary).unwrap();
    assert_eq!(summary, recorded["summary"], "{}", report.summary());
    assert_eq!(report.exchanges, recorded["exchanges"].as_u64().unwrap() as usize);
    assert!(report.replay_misses.is_empty(), "{:?}", report.replay_misses);
    assert!(report.passed());
}

#[test]
fn the_committed_recording_holds_no_secret() {
    let har: Value = serde_json::from_str(&std::fs::read_to_string(fixture()).unwrap()).unwrap();
    let found = payconform::record::lint(&har, &[]);
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_nothing_matches_is_a_counted_404_in_the_apis_shape() {
    let server =
        ReplayServer::start(Recording::load(&fixture()).unwrap(), "127.0.0.1:0".parse().unwrap(), None).await.unwrap();
    let client = reqwest::Client::new();
    // A link token the recording never handed out.
    let r = client
        .post(format!("{}/payments/settlements/full/bm90LWEtdG9rZW4", server.url()))
        .header("content-type", "application/vnd.worldpay.payments-v7+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errorName"], "endpointNotFound", "Worldpay's own shape: {body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("nearest: #") && message.contains("/payments/settlements/full/"), "{message}");
    // An Adyen modification of a pspReference the recording never gave.
    let r = client
        .post(format!("{}/pal/servlet/Payment/v40/capture", server.url()))
        .json(&json!({"merchantAccount": "M", "originalReference": "0000000000000000", "modificationAmount": {"value": 1, "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (body["status"].as_u64(), body["errorType"].as_str()),
        (Some(404), Some("validation")),
        "Adyen's shape: {body}"
    );
    // Hostile bodies: not UTF-8, control characters, nested deep, large.
    for bytes in [vec![0xff, 0xfe, 0x1b, b'{'], "[".repeat(100_000).into_bytes(), vec![b'x'; 900_000]] {
        let r = client
            .post(format!("{}/pal/servlet/Payment/v40/authorise", server.url()))
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert!(r.status().as_u16() < 500, "{}", r.status());
    }
    let misses = server.shutdown().await;
    assert_eq!(
        misses.len(),
        2,
        "the matched hostile bodies served recorded answers, the two misses are counted: {misses:?}"
    );
    assert!(misses[0].nearest.is_some() && misses[0].operation.as_deref() == Some("settle"), "{misses:?}");
}
