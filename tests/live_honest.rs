//! The suite tells the truth about a target that is not our twin (issue: live-honest).
//! The stand-in here is the twin behind a front that hides its probe, so the harness
//! cannot tell it from a vendor's sandbox.

use payconform::harness::{CheckOptions, Env, Status, Target, run};
use payconform::sandbox::{TWIN_PROBE_PATH, Twin};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The twin, with `/__payconform/twin` answering 404 as any other server would.
async fn not_a_twin() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TWIN_PROBE_PATH))
        .respond_with(ResponseTemplate::new(404))
        .with_priority(1)
        .mount(&server)
        .await;
    Twin::default().mount(&server).await;
    server
}

fn options(url: &str, tags: &str) -> CheckOptions {
    let mut opts = CheckOptions::new(Target::Url(url.into()));
    opts.env = Env::new();
    opts.tags = Some(tags.into());
    opts
}

#[tokio::test(flavor = "multi_thread")]
async fn the_live_safe_suite_passes_on_a_target_that_is_not_a_twin_and_twin_scenarios_are_skipped() {
    let server = not_a_twin().await;
    // This stand-in sends no notifications: @notifications scenarios need a receiver
    // and a sender, and are skipped without them (checked below).
    let report = run(&options(&server.uri(), "not @twin and not @notifications")).await.expect("the run starts");
    assert!(report.passed(), "{}", report.summary());
    let live_safe = report.passed_count();
    assert_eq!(report.skipped_count(), 0);

    // Every scenario, @twin ones included: the @twin ones are skipped with the reason.
    let mut opts = options(&server.uri(), "@twin or not @twin");
    opts.tags = None;
    let report = run(&opts).await.expect("the run starts");
    assert!(report.passed(), "{}", report.summary());
    assert_eq!(report.passed_count(), live_safe);
    let skipped: Vec<_> = report.scenarios.iter().filter(|s| s.status == Status::Skipped).collect();
    assert!(!skipped.is_empty());
    for s in &skipped {
        let reason = s.reason.as_deref().unwrap_or("");
        if s.tags.iter().any(|t| t == "twin") {
            assert!(reason.contains("the target is not a twin"), "{:?}", s.reason);
        } else {
            assert!(
                s.tags.iter().any(|t| t == "notifications"),
                "{} was skipped without @twin or @notifications",
                s.name
            );
            assert!(reason.contains("--webhook-listen"), "{:?}", s.reason);
        }
    }

    // Only @twin selected: nothing ran, which is not a pass.
    let report = run(&options(&server.uri(), "@twin")).await.expect("the run starts");
    assert!(!report.passed());
    assert_eq!((report.passed_count(), report.failed_count()), (0, 0));
    assert!(report.summary().contains("nothing ran"), "{}", report.summary());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_twin_is_detected_behind_a_url() {
    let (server, _twin) = Twin::start_mock().await;
    // This twin sends no notifications (no --webhook-url): the @twin scenarios that wait
    // for one are left out here; tests/conformance.rs runs them over a URL.
    let report = run(&options(&server.uri(), "@twin and not @notifications")).await.expect("the run starts");
    assert!(report.passed(), "{}", report.summary());
    assert_eq!(report.skipped_count(), 0);
}

/// Seeds `cargo test` runs the live-safe suite against (vendor-variance mode).
const SEEDS: [u64; 4] = [1, 2, 3, 20261122];

#[tokio::test(flavor = "multi_thread")]
async fn the_live_safe_suite_passes_in_every_variance_seed() {
    for seed in SEEDS {
        let mut opts = CheckOptions::new(Target::Sandbox);
        opts.env = Env::new();
        opts.variance = Some(seed);
        let report = run(&opts).await.expect("the run starts");
        assert!(report.passed(), "seed {seed}:\n{}", report.summary());
        for s in report.scenarios.iter().filter(|s| s.status == Status::Skipped) {
            assert!(s.tags.iter().any(|t| t == "twin"), "seed {seed}: {} skipped without @twin", s.name);
        }
        let twin_only = report.scenarios.iter().filter(|s| s.tags.iter().any(|t| t == "twin")).count();
        assert!(twin_only > 0);
        assert_eq!(report.skipped_count(), twin_only, "seed {seed}: every @twin scenario, and only those, is skipped");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn variance_changes_what_the_documents_leave_open() {
    use payconform::sandbox::Variance;
    use payconform::sandbox::{TwinConfig, TwinRequest};
    use serde_json::json;
    // A seed whose rule-error name differs from the plain twin's, so a @twin-only
    // assertion would break on it.
    let v = Variance::new(SEEDS[0]);
    let twin = Twin::new(TwinConfig { variance: Some(SEEDS[0]), ..TwinConfig::default() });
    let auth = "Basic bTpwdw=="; // m:pw
    let req = |method: &str, path: &str, body: serde_json::Value| TwinRequest {
        method: method.into(),
        path: path.into(),
        headers: vec![
            ("authorization".into(), auth.into()),
            ("content-type".into(), "application/json".into()),
            ("wp-api-version".into(), "2024-06-01".into()),
            ("host".into(), "h".into()),
        ],
        body: if body.is_null() { vec![] } else { serde_json::to_vec(&body).unwrap() },
    };
    let r = twin.handle(&req(
        "POST",
        "/api/payments",
        json!({"transactionReference": "t", "merchant": {"entity": "default"},
            "instruction": {"method": "card", "narrative": {"line1": "x"}, "value": {"amount": 100, "currency": "GBP"},
              "paymentInstrument": {"type": "plain", "cardNumber": "4444333322221111", "expiryDate": {"month": 1, "year": 2035}}}}),
    ));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body[v.extra_field.as_str()], json!(SEEDS[0]), "an undocumented extra field");
    let href = r.body["_actions"]["settlePayment"]["href"].as_str().unwrap().trim_start_matches("http://h").to_string();
    assert_eq!(twin.handle(&req("POST", &href, serde_json::Value::Null)).status, 202);
    let again = twin.handle(&req("POST", &href, serde_json::Value::Null));
    assert_eq!((again.status, again.body["errorName"].as_str()), (400, Some(v.rule_error_name)));
    assert_ne!(v.rule_error_name, "settlementNotAllowed");
    // Events lag behind the change for the seed's number of queries.
    let events = r.body["_links"]["self"]["href"].as_str().unwrap().trim_start_matches("http://h").to_string();
    let mut seen = Vec::new();
    for _ in 0..=v.event_lag {
        seen.push(twin.handle(&req("GET", &events, serde_json::Value::Null)).body["lastEvent"].clone());
    }
    assert_eq!(seen.first(), Some(&json!("Authorized")), "{seen:?}");
    assert_eq!(seen.last(), Some(&json!("Sent for Settlement")), "{seen:?}");
}
