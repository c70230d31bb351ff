//! Drift (issue 23): the committed variance-mode recording drifted against the plain
//! twin reports what the variance changes (event lag, failed settlements and refunds,
//! over-settles answered 202, refusal codes) and no false drift on references, ids,
//! dates or tokens; a twin edited to offer a wrong link, or to move a wrong amount, is
//! reported with the JSON path; a baseline makes a known difference pass and a new
//! one still fail.

use std::path::PathBuf;

use payconform::replay::{Class, Recording, drift};
use payconform::sandbox::{Twin, twin_request};
use payconform::{SandboxServer, Twin as PlainTwin};
use serde_json::Value;
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

fn fixture() -> Recording {
    Recording::load(&PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings/variance-7.har")))
        .unwrap()
}

/// What a variance-mode twin changes, as drift sees it: the status of an over-settle it
/// accepts (202 where the plain twin refuses with 400), the event it shows (lagging, or
/// `Settlement failed`/`Refund failed` after an accepted over-settle), and a refusal
/// code it leaves out; and the flow's money that follows from the accepted over-settle.
const VARIANCE: [&str; 4] = ["status", "$.lastEvent", "$.refusalCode", "money"];

#[tokio::test(flavor = "multi_thread")]
async fn a_variance_recording_drifts_by_the_variance_and_nothing_else() {
    let twin = SandboxServer::start(PlainTwin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let report = drift(&fixture(), &twin.url(), None).await.unwrap();
    assert!(!report.differences.is_empty(), "the variance must show");
    for d in &report.differences {
        assert!(VARIANCE.contains(&d.json_path.as_str()), "not a variance: {d:?}");
        for always_new in ["pspReference", "commandId", "paymentId", "href", "Date", "date", "Id"] {
            assert!(!d.json_path.contains(always_new), "false drift on {always_new}: {d:?}");
        }
    }
    // Each kind of variance the recording holds is there.
    let kinds = |path: &str| report.differences.iter().filter(|d| d.json_path == path).count();
    assert!(kinds("status") > 0 && kinds("$.lastEvent") > 0, "{}", report.summary());
    let over_settle = report.differences.iter().find(|d| d.json_path == "status").unwrap();
    assert_eq!(
        (over_settle.recorded.as_str(), over_settle.target.as_str(), over_settle.class),
        ("202", "400", Class::Twin)
    );
    let code = report.differences.iter().find(|d| d.json_path == "$.refusalCode").unwrap();
    assert_eq!(
        (code.recorded.as_str(), code.class),
        ("absent", Class::VendorChoice),
        "an optional field the vendor leaves out"
    );
    assert_eq!(report.exchanges, 879);
    twin.shutdown().await;
}

/// The plain twin with one answer edited, as a broken twin would give it.
struct Edited {
    twin: Twin,
    edit: fn(&str, &mut Value),
}

impl Respond for Edited {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let r = self.twin.handle(&twin_request(request));
        let mut body = r.body.clone();
        (self.edit)(request.url.path(), &mut body);
        ResponseTemplate::new(r.status).set_body_raw(body.to_string(), r.content_type)
    }
}

async fn edited(edit: fn(&str, &mut Value)) -> MockServer {
    let server = MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(Edited { twin: Twin::default(), edit })
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_link_or_a_wrong_amount_is_reported_with_its_path_and_a_baseline_knows_it() {
    let plain = SandboxServer::start(PlainTwin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let rec = fixture();
    let baseline = drift(&rec, &plain.url(), None).await.unwrap().baseline();
    // With the baseline the plain twin's differences are known: nothing new.
    let known = drift(&rec, &plain.url(), Some(&baseline)).await.unwrap();
    assert_eq!(known.new_differences().count(), 0, "{}", known.summary());
    assert!(known.differences.iter().all(|d| d.known.is_some()));
    // A twin whose authorisations offer a refund link instead of the settle link.
    let wrong_link = edited(|path, body| {
        if path == "/cardPayments/customerInitiatedTransactions"
            && let Some(links) = body.get_mut("_links").and_then(Value::as_object_mut)
            && let Some(settle) = links.remove("cardPayments:settle")
        {
            links.insert("cardPayments:refund".into(), settle);
        }
    })
    .await;
    let report = drift(&rec, &wrong_link.uri(), Some(&baseline)).await.unwrap();
    let new: Vec<_> = report.new_differences().collect();
    assert!(
        new.iter().any(|d| d.json_path == "$._links"
            && d.operation == "authorize"
            && d.target.contains("cardPayments:refund")),
        "{}",
        report.summary()
    );
    // A twin that authorises one more than it should.
    let wrong_amount = edited(|_, body| {
        if let Some(total) = body.pointer_mut("/amounts/totalAuthorized")
            && let Some(n) = total.as_i64()
        {
            *total = Value::from(n + 1);
        }
    })
    .await;
    let report = drift(&rec, &wrong_amount.uri(), Some(&baseline)).await.unwrap();
    let new: Vec<_> = report.new_differences().collect();
    let amount = new
        .iter()
        .find(|d| d.json_path == "$.amounts.totalAuthorized")
        .unwrap_or_else(|| panic!("{}", report.summary()));
    assert_eq!((amount.recorded.as_str(), amount.target.as_str(), amount.class), ("123", "124", Class::Twin));
    plain.shutdown().await;
}
