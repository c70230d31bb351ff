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
    let report = run(&options(&server.uri(), "not @twin")).await.expect("the run starts");
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
        assert!(s.tags.iter().any(|t| t == "twin"), "{} was skipped without @twin", s.name);
        assert!(s.reason.as_deref().unwrap_or("").contains("the target is not a twin"), "{:?}", s.reason);
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
    let report = run(&options(&server.uri(), "@twin")).await.expect("the run starts");
    assert!(report.passed(), "{}", report.summary());
    assert_eq!(report.skipped_count(), 0);
}
