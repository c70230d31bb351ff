//! Mutation checks: the harness must catch a non-conforming endpoint. Each test serves
//! the twin through wiremock with one deliberate defect in its responses, runs the
//! built-in suite against it with `--target URL`, and asserts the run fails naming the
//! operation and the JSON path (or the step) where the defect shows.

use payconform::CheckKind;
use payconform::harness::{CheckOptions, Env, RunReport, Target, run};
use payconform::sandbox::twin_request;
use payconform::sandbox::{Twin, TwinRequest, TwinResponse};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What to change in a response: status, content type and body.
type Mutation = fn(&TwinRequest, &mut u16, &mut String, &mut Value);

struct Mutant {
    twin: Twin,
    mutate: Mutation,
}

impl Respond for Mutant {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let req = twin_request(request);
        let TwinResponse { mut status, content_type, mut body, .. } = self.twin.handle(&req);
        let mut ct = content_type.to_string();
        (self.mutate)(&req, &mut status, &mut ct, &mut body);
        ResponseTemplate::new(status).set_body_raw(serde_json::to_vec(&body).unwrap(), &ct)
    }
}

/// Run the built-in scenarios against the mutant, and then the sweep alone: each must
/// notice the defect. The scenarios' report is returned for the finer assertions.
async fn run_against(mutate: Mutation, tags: &str) -> RunReport {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Mutant { twin: Twin::default(), mutate }).mount(&server).await;
    let mut opts = CheckOptions::new(Target::Url(server.uri()));
    opts.env = Env::new();
    opts.tags = Some(tags.into());
    opts.sweep = false;
    let report = run(&opts).await.expect("the run starts");
    assert!(!report.passed(), "the defect went unnoticed:\n{}", report.summary());
    let mut sweep = opts.clone();
    sweep.scenarios = false;
    sweep.sweep = true;
    let swept = run(&sweep).await.expect("the sweep starts");
    assert!(swept.scenarios.iter().any(|s| s.tags.iter().any(|t| t == "sweep")), "the sweep ran");
    assert!(!swept.passed(), "the sweep did not notice the defect:\n{}", swept.summary());
    report
}

/// Whether some failed scenario carries a violation of `operation` at `json_path`
/// whose message contains `says`.
fn names(report: &RunReport, operation: &str, json_path: &str, says: &str) -> bool {
    report
        .scenarios
        .iter()
        .flat_map(|s| &s.violations)
        .any(|v| v.operation == operation && v.json_path == json_path && v.message.contains(says))
}

fn is_authorize(req: &TwinRequest) -> bool {
    req.path == "/cardPayments/customerInitiatedTransactions"
}

#[tokio::test]
async fn wrong_status_is_caught() {
    fn m(req: &TwinRequest, status: &mut u16, _: &mut String, _: &mut Value) {
        if is_authorize(req) && *status == 201 {
            *status = 200;
        }
    }
    let r = run_against(m, "@worldpay-v7").await;
    assert!(names(&r, "authorize", "$", "status 200 is not documented"), "{}", r.summary());
    assert!(r.summary().contains("worldpay-card-payments-v7 authorize:"), "summary lists violations by operation");
    assert!(r.to_junit().contains("authorize 200 response $"), "JUnit carries the violation");
    // The failing exchange comes with the curl that sends it again, credentials as
    // environment variables; the JSON report carries what was sent and what came back.
    let failing =
        r.scenarios.iter().flat_map(|s| &s.exchange_log).find(|e| e.violations > 0).expect("a failing exchange");
    let curl = failing.curl.as_deref().expect("a curl for it");
    assert!(
        curl.starts_with("curl -s -i -X POST '") && curl.contains("-u \"$WORLDPAY_USERNAME:$WORLDPAY_PASSWORD\""),
        "{curl}"
    );
    assert!(curl.contains("--data-raw '") && !curl.contains("4444333322221111"), "{curl}");
    assert_eq!(failing.response.as_ref().map(|r| r.status), Some(200));
    assert!(r.summary().contains("    reproduce: curl -s -i -X POST"), "{}", r.summary());
}

#[tokio::test]
async fn missing_required_field_is_caught() {
    fn m(req: &TwinRequest, _: &mut u16, _: &mut String, body: &mut Value) {
        // `paymentInstrument.type` is required in every authorization answer.
        if let (true, Some(instrument)) =
            (is_authorize(req), body.get_mut("paymentInstrument").and_then(Value::as_object_mut))
        {
            instrument.remove("type");
        }
    }
    let r = run_against(m, "@worldpay-v7").await;
    assert!(names(&r, "authorize", "$.paymentInstrument.type", "missing"), "{}", r.summary());
}

#[tokio::test]
async fn wrong_type_is_caught() {
    fn m(req: &TwinRequest, status: &mut u16, _: &mut String, body: &mut Value) {
        if req.path.ends_with("/authorise") && *status == 200 {
            body["pspReference"] = json!(8835511210681441_u64);
        }
    }
    let r = run_against(m, "@adyen").await;
    assert!(names(&r, "post-authorise", "$.pspReference", "string"), "{}", r.summary());
}

#[tokio::test]
async fn wrong_content_type_is_caught() {
    fn m(req: &TwinRequest, _: &mut u16, ct: &mut String, _: &mut Value) {
        if req.path.ends_with("/settlements") {
            *ct = "text/plain".into();
        }
    }
    let r = run_against(m, "@worldpay-payments").await;
    assert!(names(&r, "settle", "Content-Type", "expected application/json, got text/plain"), "{}", r.summary());
    let v = r.scenarios.iter().flat_map(|s| &s.violations).find(|v| v.json_path == "Content-Type").unwrap();
    assert_eq!(v.check, "media_type", "the violation names its check");
    assert!(r.summary().contains("violations by check: media_type"), "{}", r.summary());

    // --checks: with only the status check selected the same defect does not count; with
    // the media-type check it does.
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Mutant { twin: Twin::default(), mutate: m }).mount(&server).await;
    let mut opts = CheckOptions::new(Target::Url(server.uri()));
    opts.env = Env::new();
    opts.tags = Some("@worldpay-payments and not @sweep".into());
    opts.checks = vec![CheckKind::Status];
    let report = run(&opts).await.expect("the run starts");
    assert!(report.passed(), "{}", report.summary());
    opts.checks = vec![CheckKind::MediaType];
    assert!(!run(&opts).await.expect("the run starts").passed());
}

#[tokio::test]
async fn link_to_the_wrong_operation_is_caught() {
    // The settle relation points at the refund endpoint.
    fn m(_: &TwinRequest, _: &mut u16, _: &mut String, body: &mut Value) {
        if let Some(href) = body.pointer("/_links/cardPayments:settle/href").and_then(Value::as_str) {
            let wrong = href.replace("/payments/settlements/full/", "/payments/settlements/refunds/full/");
            body["_links"]["cardPayments:settle"]["href"] = json!(wrong);
        }
    }
    let r = run_against(m, "@worldpay-v7").await;
    assert!(names(&r, "authorize", "$._links['cardPayments:settle'].href", "must link to settle"), "{}", r.summary());
}

#[tokio::test]
async fn link_to_another_host_is_caught() {
    fn m(_: &TwinRequest, _: &mut u16, _: &mut String, body: &mut Value) {
        if let Some(href) = body.pointer("/_actions/settlePayment/href").and_then(Value::as_str) {
            let path = href.split_once("/api/").map(|(_, p)| p).unwrap_or_default();
            body["_actions"]["settlePayment"]["href"] = json!(format!("https://evil.example/api/{path}"));
        }
    }
    let r = run_against(m, "@worldpay-payments").await;
    assert!(names(&r, "payment", "$._actions.settlePayment.href", "evil.example"), "{}", r.summary());
}

#[tokio::test]
async fn illegal_next_action_is_caught() {
    // A settled payment must not offer cancel; this server offers it anyway.
    fn m(req: &TwinRequest, status: &mut u16, _: &mut String, body: &mut Value) {
        if req.path.starts_with("/payments/settlements/full/") && *status == 202 {
            let events = body["_links"]["cardPayments:events"]["href"].as_str().unwrap_or_default().to_string();
            body["_links"]["cardPayments:cancel"] =
                json!({"href": events.replace("/payments/events/", "/payments/authorizations/cancellations/")});
        }
    }
    let r = run_against(m, "@worldpay-v7").await;
    // The checker knows what spec/ documents for each response (x-payconform-next).
    assert!(
        names(&r, "settle", "$._links['cardPayments:cancel']", "is not documented for settle 202"),
        "{}",
        r.summary()
    );
}

#[tokio::test]
async fn a_schema_break_is_reported_once_and_the_scenario_goes_on() {
    // authCode as a number: the Background's authorisation breaks the schema, yet the
    // modifications after it still run on the pspReference from the raw JSON.
    fn m(req: &TwinRequest, _: &mut u16, _: &mut String, body: &mut Value) {
        if req.path.ends_with("/authorise") && body.get("authCode").is_some() {
            body["authCode"] = json!(123456);
        }
    }
    let r = run_against(m, "@adyen").await;
    let auth_code: Vec<_> = r
        .scenarios
        .iter()
        .flat_map(|s| &s.violations)
        .filter(|v| v.operation == "post-authorise" && v.json_path == "$.authCode")
        .collect();
    assert!(!auth_code.is_empty(), "{}", r.summary());
    let per_scenario = r.scenarios.iter().filter(|s| !s.violations.is_empty()).all(|s| {
        s.violations.iter().filter(|v| v.operation == "post-authorise").count()
            == s.violations.iter().filter(|v| v.operation == "post-authorise" && v.json_path == "$.authCode").count()
    });
    assert!(per_scenario, "the decode failure is not reported again: {}", r.summary());
    let adyen = r.coverage.iter().find(|c| c.api == "adyen-payment-v40").unwrap();
    let captured: usize = adyen
        .rows
        .iter()
        .filter(|row| row.operation == "post-capture")
        .flat_map(|row| &row.cells)
        .map(|c| c.count)
        .sum();
    assert!(captured > 0, "no capture ran after the broken authorisation:\n{}", r.summary());
}

/// Adyen Checkout: a modification that claims an outcome in its answer (`status`
/// "captured" where Adyen only ever answers "received"; the outcome is the
/// notification's) is caught at `$.status`.
#[tokio::test]
async fn a_checkout_modification_claiming_its_outcome_is_caught() {
    fn m(req: &TwinRequest, status: &mut u16, _: &mut String, body: &mut Value) {
        if req.path.starts_with("/checkout/v71/payments/") && req.path.ends_with("/captures") && *status == 201 {
            body["status"] = json!("captured");
        }
    }
    let r = run_against(m, "@adyen-checkout").await;
    assert!(names(&r, "post-payments-paymentPspReference-captures", "$.status", "must be one of"), "{}", r.summary());
}

/// Adyen Checkout: a refund answer without the payment's pspReference is caught.
#[tokio::test]
async fn a_checkout_answer_without_the_payment_reference_is_caught() {
    fn m(req: &TwinRequest, status: &mut u16, _: &mut String, body: &mut Value) {
        if req.path.ends_with("/refunds") && *status == 201 {
            body.as_object_mut().map(|o| o.remove("paymentPspReference"));
        }
    }
    let r = run_against(m, "@adyen-checkout").await;
    assert!(
        names(&r, "post-payments-paymentPspReference-refunds", "$.paymentPspReference", "missing"),
        "{}",
        r.summary()
    );
}
