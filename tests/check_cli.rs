//! `payconform check` as a user runs it: exit codes, reports, skips, refusals and
//! redaction. The vendors' real hosts are unreachable here, so the `live` code path
//! (credentials from the environment, host overrides, event polling) is exercised
//! against a twin served on its own port through WORLDPAY_URL and ADYEN_URL.

mod common;
use common::payconform;
use std::path::{Path, PathBuf};
use std::process::Output;

use payconform::sandbox::SandboxServer;
use payconform::sandbox::{Twin, TwinConfig};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Value, json};

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Count `<testcase>` elements and `<failure>` children; fails on malformed XML.
fn junit_counts(xml: &str) -> (usize, usize, usize) {
    let mut reader = Reader::from_str(xml);
    let (mut cases, mut failures, mut skipped) = (0, 0, 0);
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testcase" => cases += 1,
                b"failure" => failures += 1,
                b"skipped" => skipped += 1,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    (cases, failures, skipped)
}

/// Paths for the three reports in `dir`, and the arguments that ask for them.
struct Reports {
    junit: PathBuf,
    json: PathBuf,
    html: PathBuf,
}

impl Reports {
    fn in_dir(dir: &Path) -> Self {
        Reports { junit: dir.join("r.xml"), json: dir.join("r.json"), html: dir.join("r.html") }
    }
    fn args(&self) -> Vec<&str> {
        fn p(p: &Path) -> &str {
            p.to_str().expect("a UTF-8 temp path")
        }
        vec!["--junit", p(&self.junit), "--json", p(&self.json), "--html", p(&self.html)]
    }
    fn read(&self) -> [String; 3] {
        [&self.junit, &self.json, &self.html].map(|p| std::fs::read_to_string(p).unwrap())
    }
}

#[test]
fn check_against_the_embedded_twin_passes_and_writes_valid_reports() {
    let dir = tempfile::tempdir().unwrap();
    let reports = Reports::in_dir(dir.path());
    let args: Vec<&str> = std::iter::once("check").chain(reports.args()).collect();
    let o = payconform(&args, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains(" failed, 0 skipped") && out.contains("0 violations"), "{out}");

    let [junit, json, page] = reports.read();
    let report: Value = serde_json::from_str(&json).unwrap();
    let scenarios = report["scenarios"].as_array().unwrap();
    // 169 built-in scenarios (outline rows counted) and one sweep entry per operation (31).
    assert_eq!(scenarios.len(), 169 + 31);
    assert!(scenarios.iter().all(|s| s["status"] == "passed"));
    let summary = &report["summary"];
    // Scenarios and the sweep have their own totals; the combined one says so.
    assert_eq!(summary["scenarios"]["passed"].as_u64(), Some(169), "{summary}");
    assert_eq!(summary["sweep"]["passed"].as_u64(), Some(31), "{summary}");
    assert_eq!(summary["scenarios_and_sweep"]["passed"].as_u64(), Some(scenarios.len() as u64), "{summary}");
    assert!(summary.get("passed").is_none(), "no unnamed total: {summary}");
    assert_eq!(
        (&summary["scenarios_and_sweep"]["failed"], &summary["violations"], &summary["transport_errors"]),
        (&0.into(), &0.into(), &0.into())
    );
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));
    // Every exchange is in the report, as sent and as answered, redacted: no card
    // number, no security code; nothing failed, so no curl.
    let log: Vec<&Value> = scenarios.iter().flat_map(|s| s["exchange_log"].as_array().unwrap()).collect();
    assert_eq!(log.len(), 309 + 673);
    let first = log[0];
    assert!(first["request"]["method"].is_string() && first["request"]["url"].is_string(), "{first}");
    assert!(first["response"]["status"].is_u64() && first["response"]["body"].is_string(), "{first}");
    assert!(log.iter().all(|e| e.get("curl").is_none()));
    let text = json.to_string();
    assert!(
        !text.contains("4444333322221111") && !text.contains("\\\"cvc\\\":\\\"737\\\""),
        "card data in the JSON report"
    );
    // Outline rows are named by their example values.
    assert!(
        scenarios
            .iter()
            .any(|s| s["name"] == "Cancel without a required field is rejected (field: merchantAccount, code: 901)"),
        "outline rows named by their values"
    );
    assert!(
        chrono::DateTime::parse_from_rfc3339(report["started_at"].as_str().unwrap()).is_ok(),
        "{}",
        report["started_at"]
    );
    // 309 exchanges of the scenarios and 673 of the sweep: every run sends the same.
    assert_eq!(report["exchanges"].as_u64(), Some(309 + 673));
    // Every API's operations show in the coverage matrix; authorize got its 201.
    let v7 = &report["coverage"][0];
    let authorize = v7["rows"].as_array().unwrap().iter().find(|r| r["operation"] == "authorize").unwrap();
    let hit = authorize["cells"].as_array().unwrap().iter().find(|c| c["status"] == 201).unwrap();
    assert!(hit["documented"].as_bool().unwrap() && hit["count"].as_u64().unwrap() > 0);

    let (cases, failures, skipped) = junit_counts(&junit);
    assert_eq!((cases, failures, skipped), (scenarios.len(), 0, 0));

    assert!(page.starts_with("<!DOCTYPE html>"));
    // Read as a browser would (html5ever, through scraper).
    let doc = scraper::Html::parse_document(&page);
    let select = |css: &str| scraper::Selector::parse(css).unwrap();
    let text_of = |e: scraper::ElementRef<'_>| e.text().collect::<String>();
    let failed: Vec<_> = doc.select(&select("p.summary span")).map(text_of).collect();
    assert!(failed.contains(&"0 failed".to_string()), "{failed:?}");
    assert_eq!(doc.select(&select("p.summary span.failed")).count(), 0, "0 failed is not painted red");
    // One summary line for the scenarios, one for the sweep.
    assert_eq!(doc.select(&select("p.summary span.neutral")).count(), 2);
    let percents: Vec<String> = doc.select(&select("p.percent")).map(text_of).collect();
    assert_eq!(percents.len(), 4, "{percents:?}");
    assert!(
        percents.iter().all(|p| p.contains("documented (operation, status) pairs exercised (")
            && p.contains("by a request a vendor's sandbox would answer alike")
            && p.ends_with("each with its reason")),
        "{percents:?}"
    );
    // The sweep reaches every documented pair on the twin; the ones no vendor documents
    // a trigger for were asked of the twin (Prefer: code) and are told apart.
    for c in report["coverage"].as_array().unwrap() {
        let t = &c["totals"];
        assert_eq!(t["exercised"], t["documented"], "{t}");
        assert!(t["by_trigger"].as_u64() < t["exercised"].as_u64(), "{t}");
    }
    assert!(doc.select(&select("td.preferred")).count() > 0);
    assert!(
        out.contains("sweep: 31 operations")
            && out.contains("coverage of documented (operation, status) pairs: worldpay-v7 54/54"),
        "{out}"
    );
    assert!(doc.select(&select("p.legend")).map(text_of).any(|l| l.contains("grey cell")));
    // The status cell carries the colour, not the row.
    assert_eq!(doc.select(&select("tr[class]")).count(), 0);
    assert_eq!(doc.select(&select("td.status.passed")).count(), scenarios.len());
    assert!(page.contains("Coverage: operations × documented statuses"));
    assert!(page.contains("Scenarios: adyen-payment-v40") && page.contains("td class=\"hit\""));
}

#[test]
fn bad_usage_is_one_line_and_exit_2() {
    let missing = Path::new("/nonexistent/features");
    for (args, says) in [
        (vec!["check", "--target", "ftp://example.com"], "http(s)"),
        (vec!["check", "--target", "https://access.worldpay.com"], "production host"),
        (vec!["check", "--tags", "@a and"], "not a tag expression"),
        (vec!["check", "--features", missing.to_str().unwrap()], "does not exist"),
        (vec!["check", "--concurrency", "0"], "concurrency"),
        (vec!["check", "--junit", "/nonexistent/dir/r.xml"], "/nonexistent/dir does not exist"),
        (vec!["check", "--bogus"], "--bogus"),
    ] {
        let o = payconform(&args, &[]);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line, got {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let o = payconform(&["check", "--target", "live"], &[("ADYEN_URL", "https://x-pal-live.adyenpayments.com")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("ADYEN_URL: refusing"), "{}", text(&o));
}

#[test]
fn live_without_credentials_skips_with_reasons_and_is_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("r.xml");
    let o = payconform(&["check", "--target", "live", "--junit", junit.to_str().unwrap()], &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("0 passed, 0 failed"), "{out}");
    assert!(out.contains("no Worldpay credentials: set WORLDPAY_USERNAME"), "{out}");
    assert!(out.contains("no Adyen credentials: set ADYEN_API_KEY"), "{out}");
    assert!(out.contains("every scenario was skipped"), "{out}");
    let (cases, failures, skipped) = junit_counts(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!((failures, skipped), (0, cases));
}

#[tokio::test(flavor = "multi_thread")]
async fn live_path_against_a_twin_with_credentials_from_the_environment_and_nothing_secret_in_reports() {
    // The twin sends its Adyen notifications to the address the run listens on, signed
    // with the key the run reads from ADYEN_HMAC_KEY, as a vendor's sandbox would.
    const HMAC_KEY: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
    let listen = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let webhook = payconform::sandbox::WebhookConfig::prompt(format!("http://{listen}/"), HMAC_KEY);
    let srv = SandboxServer::start(
        Twin::new(TwinConfig { webhook: Some(webhook), ..TwinConfig::default() }),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let url = srv.url();
    let dir = tempfile::tempdir().unwrap();
    let reports = Reports::in_dir(dir.path());
    let mut args =
        vec!["check", "--target", "live", "--event-wait", "2", "--tags", "not @twin", "--webhook-listen", &listen];
    args.extend(reports.args());
    let env = [
        ("WORLDPAY_URL", url.as_str()),
        ("WORLDPAY_USERNAME", "merchant-user"),
        ("WORLDPAY_PASSWORD", "s3cret-Worldpay-pw"),
        ("WORLDPAY_ENTITY", "default"),
        ("ADYEN_URL", url.as_str()),
        // The twin serves Checkout under Adyen's own /v71 too, as checkout-test.adyen.com does.
        ("ADYEN_CHECKOUT_URL", url.as_str()),
        ("ADYEN_API_KEY", "AQE-s3cret-adyen-key"),
        ("ADYEN_MERCHANT_ACCOUNT", "AcmeCOM"),
        ("ADYEN_HMAC_KEY", HMAC_KEY),
    ];
    let o = tokio::task::block_in_place(|| payconform(&args, &env));
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains(" failed, 0 skipped"), "{out}");
    let written = reports.read();
    for (name, body) in ["stdout+stderr", "junit", "json", "html"].iter().zip(std::iter::once(&out).chain(&written)) {
        for secret in ["s3cret-Worldpay-pw", "AQE-s3cret-adyen-key", "4444333322221111", "4111111111111111", HMAC_KEY] {
            assert!(!body.contains(secret), "{name} contains {secret}");
        }
    }
    srv.shutdown().await;
}

#[test]
fn user_features_run_with_the_built_in_vocabulary_and_card_numbers_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let features = dir.path().join("mine");
    std::fs::create_dir(&features).unwrap();
    std::fs::write(
        features.join("mine.feature"),
        "Feature: Mine\n\n  Background:\n    Given the worldpay-v7 API\n\n\
         \x20 Scenario: Mastercard 5555555555554444 authorizes\n\
         \x20   When I authorize 100 GBP with the field \"instruction.paymentInstrument.cardNumber\" set to \"5555555555554444\"\n\
         \x20   Then the status is 201\n\n\
         \x20 Scenario: An undefined step fails\n    When I dance the payment tango\n",
    )
    .unwrap();
    let json = dir.path().join("r.json");
    let o = payconform(&["check", "--features", features.to_str().unwrap(), "--json", json.to_str().unwrap()], &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("1 passed, 1 failed"), "{out}");
    assert!(out.contains("no step definition matches"), "{out}");
    let report = std::fs::read_to_string(&json).unwrap();
    assert!(!out.contains("5555555555554444") && !report.contains("5555555555554444"));
    assert!(report.contains("Mastercard ****4444 authorizes"), "{report}");
    // Your own features run alone: no sweep, unless --phases asks for it.
    let parsed: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(parsed["summary"]["sweep"], json!({"passed": 0, "failed": 0, "skipped": 0}), "{report}");
    assert!(!out.contains("sweep:"), "{out}");
    let o = payconform(
        &[
            "check",
            "--features",
            features.to_str().unwrap(),
            "--phases",
            "scenarios,sweep",
            "--json",
            json.to_str().unwrap(),
        ],
        &[],
    );
    let parsed: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(parsed["summary"]["sweep"]["passed"], 31, "{}", text(&o));

    let typo = dir.path().join("typo");
    std::fs::create_dir(&typo).unwrap();
    std::fs::write(
        typo.join("t.feature"),
        "Feature: T\n\n  Scenario: t\n    Given the adyen API\n    Wen I authorize 1 EUR\n",
    )
    .unwrap();
    let o = payconform(&["check", "--features", typo.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("t.feature:5: not valid Gherkin: `Wen` is not a Gherkin keyword; did you mean `When`?"),
        "{}",
        text(&o)
    );

    std::fs::write(features.join("broken.feature"), "Scenario without a feature\n  Given nothing\n").unwrap();
    let o = payconform(&["check", "--features", features.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("broken.feature:1: not valid Gherkin"), "{}", text(&o));
}

#[test]
fn features_take_files_and_directories_repeatably() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.feature");
    let sub = dir.path().join("more");
    std::fs::create_dir(&sub).unwrap();
    let scenario = |name: &str| {
        format!(
            "Feature: {name}\n\n  Scenario: {name} authorizes\n    Given the worldpay-v7 API\n    When I authorize 100 GBP\n    Then the status is 201\n"
        )
    };
    std::fs::write(&one, scenario("One")).unwrap();
    std::fs::write(sub.join("two.feature"), scenario("Two")).unwrap();
    std::fs::write(sub.join("three.feature"), scenario("Three")).unwrap();
    let o = payconform(&["check", "--features", one.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 passed, 0 failed"), "{}", text(&o));
    // A file and a directory together; the file named twice counts once.
    let (one, sub) = (one.to_str().unwrap(), sub.to_str().unwrap());
    let o = payconform(&["check", "--features", one, "--features", sub, "--features", one], &[]);
    assert!(text(&o).contains("3 passed, 0 failed"), "{}", text(&o));
    let not_gherkin = dir.path().join("notes.txt");
    std::fs::write(&not_gherkin, "x").unwrap();
    let o = payconform(&["check", "--features", not_gherkin.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("is not a .feature file"), "{}", text(&o));
}

#[test]
fn lint_names_unknown_folders_and_prefixes_and_accepts_short_api_names() {
    let dir = tempfile::tempdir().unwrap();
    let put = |rel: &str, body: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    let authorise = r#"{"merchantAccount": "M", "reference": "r", "amount": {"value": 1, "currency": "EUR"}}"#;
    // A short API folder name works.
    put("adyen/post-authorise/request.ok.json", authorise);
    let root = dir.path().to_str().unwrap();
    let o = payconform(&["lint", root], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 example(s) checked"), "{}", text(&o));

    // A misspelled operation folder, a misspelled prefix and an unknown API folder are
    // errors that say what is valid.
    put("adyen/post-authorize/request.x.json", authorise);
    put("adyen/post-authorise/requests.x.json", authorise);
    put("worldpay/authorize/request.x.json", "{}");
    let o = payconform(&["lint", root], &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains(r#"unknown operation folder "post-authorize""#) && out.contains("post-authorise, "), "{out}");
    assert!(out.contains(r#"unknown example kind "requests""#), "{out}");
    assert!(
        out.contains(r#"unknown API folder "worldpay""#) && out.contains("worldpay-card-payments-v7 (worldpay-v7)"),
        "{out}"
    );
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let o = payconform(&["completions", shell], &[]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", text(&o));
        let script = String::from_utf8_lossy(&o.stdout);
        assert!(script.contains("payconform") && script.contains("sandbox") && script.contains("--target"), "{shell}");
    }
    let o = payconform(&["completions", "tcsh"], &[]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn cucumber_json_lists_every_entry_with_its_steps() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cucumber.json");
    let o = payconform(
        &["check", "--phases", "sweep", "--operations", "settle", "--cucumber-json", file.to_str().unwrap()],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let features: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let elements: Vec<&Value> =
        features.as_array().unwrap().iter().flat_map(|f| f["elements"].as_array().unwrap()).collect();
    // `settle` exists in both Worldpay APIs: one sweep entry each.
    assert_eq!(elements.len(), 2, "{features}");
    for e in elements {
        assert_eq!(e["type"], "scenario");
        let steps = e["steps"].as_array().unwrap();
        assert!(steps.len() > 3, "{e}");
        assert!(steps.iter().all(|s| s["result"]["status"] == "passed" && s["keyword"].is_string()), "{e}");
        assert!(e["tags"].as_array().unwrap().iter().any(|t| t["name"] == "@sweep"));
    }
}

/// A notification that never comes ends the step at the run's deadline (10 s on a twin)
/// with what was awaited, instead of waiting on.
#[test]
fn a_notification_that_never_arrives_fails_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("n.feature"),
        "Feature: N\n\n  @notifications\n  Scenario: A refund that was never made\n    Given the adyen API\n\
         \x20   When I authorize 1000 EUR\n    Then a REFUND notification arrives with success \"true\"\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let o = payconform(&["check", "--features", dir.path().to_str().unwrap(), "--phases", "scenarios"], &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("no REFUND notification for payment") && out.contains("arrived within 10 s"), "{out}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "the wait ended at its deadline");
}

/// Where coverage is below 100%, the console names the pairs no exchange reached.
#[test]
fn a_partial_coverage_names_what_it_did_not_reach() {
    let o = payconform(&["check", "--quiet", "--phases", "sweep", "--operations", "authorize"], &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("worldpay-v7 not reached: "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("cancel 202") && line.contains("more (see the reports)"), "{line}");
}
