//! The sandbox twin over real HTTP (the standalone hyper server on a random port, and
//! the wiremock adapter), through the generated clients. Every exchange made through a
//! client is also checked against our spec: the twin must only send what it documents.

use std::sync::Arc;

use payconform::CheckingRecorder;
use payconform::client::{Config, Credentials, adyen, worldpay_payments as wpp, worldpay_v7 as v7};
use payconform::sandbox::SandboxServer;
use payconform::sandbox::{Twin, TwinConfig};
use payconform::spec::Api;
use progenitor_client::Error as PError;
use serde_json::{Value, json};

const V7: &str = "application/vnd.worldpay.payments-v7+json";

async fn server(config: TwinConfig) -> SandboxServer {
    SandboxServer::start(Twin::new(config), "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn creds(user: &str) -> Credentials {
    Credentials::Basic { username: user.into(), password: "pw".into() }
}

fn v7_auth(amount: i64, partial: bool, holder: Option<&str>, auto: bool) -> v7::types::AuthorizeRequest {
    let mut card =
        json!({"type": "card/plain", "cardNumber": "4444333322221111", "expiryDate": {"month": 5, "year": 2035}});
    if let Some(h) = holder {
        card["cardHolderName"] = json!(h);
    }
    serde_json::from_value(json!({
        "transactionReference": "ref-1", "merchant": {"entity": "default"}, "channel": "ecom",
        "instruction": {"requestAutoSettlement": {"enabled": auto}, "narrative": {"line1": "Shop"},
            "value": {"amount": amount, "currency": "GBP", "acceptPartialAmount": partial}, "paymentInstrument": card}
    }))
    .unwrap()
}

fn amount_body<T: serde::de::DeserializeOwned>(amount: i64) -> T {
    serde_json::from_value(json!({"value": {"amount": amount, "currency": "GBP"}, "reference": "r"})).unwrap()
}

fn href(l: &Option<v7::types::Link>) -> &str {
    &l.as_ref().expect("link present").href
}

fn error_name<T: std::fmt::Debug + serde::Serialize>(e: PError<T>) -> String {
    match e {
        PError::ErrorResponse(r) => {
            let v = serde_json::to_value(r.into_inner()).unwrap();
            v["errorName"].as_str().or(v["errorCode"].as_str()).unwrap_or_default().to_string()
        }
        other => panic!("expected a documented error, got {other:?}"),
    }
}

#[tokio::test]
async fn v7_partial_authorization_settle_and_refund_bounds() {
    let srv = server(TwinConfig::default()).await;
    let rec = CheckingRecorder::new(Api::WorldpayV7);
    let c = v7::Client::connect(&Config::new(srv.url()).credentials(creds("a")).recorder(rec.clone())).unwrap();

    let auth = c.authorize(&v7_auth(1706, true, None, false)).await.unwrap().into_inner();
    let amounts = auth.amounts.clone().unwrap();
    assert_eq!((*amounts.requested, *amounts.total_authorized, amounts.partial_authorization), (1706, 123, true));
    let full = c.authorize(&v7_auth(1706, false, None, false)).await.unwrap().into_inner();
    assert!(full.amounts.is_none(), "1706 without acceptPartialAmount authorizes in full");
    // Seed 004: an amounts object only when a partial amount is authorized.
    let other = c.authorize(&v7_auth(250, true, None, false)).await.unwrap().into_inner();
    assert!(other.amounts.is_none(), "250 authorizes in full, without amounts");

    // Full settle after a partial authorization settles totalAuthorized (123).
    let links = auth.links.unwrap();
    let settle = c.action_link(href(&links.card_payments_settle)).unwrap();
    let settled = c.settle(&settle.link_data).await.unwrap().into_inner();
    assert!(settled.links.card_payments_settle.is_none(), "no settle link once settled");
    assert!(settled.links.card_payments_cancel.is_none(), "a settled payment cannot be cancelled");
    let twin_pay = c.action_link(href(&settled.links.card_payments_events)).unwrap();
    let ev = c.event_query(&twin_pay.link_data).await.unwrap().into_inner();
    assert_eq!(ev.last_event.to_string(), "Sent for Settlement");

    // Refunds are bounded by what was settled: 100 + 23 ok, then nothing more.
    let pr = c.action_link(href(&settled.links.card_payments_partial_refund)).unwrap();
    c.partial_refund(&pr.link_data, &amount_body(100)).await.unwrap();
    assert_eq!(
        error_name(c.partial_refund(&pr.link_data, &amount_body(24)).await.unwrap_err()),
        "amountExceedsSettledAmount"
    );
    c.partial_refund(&pr.link_data, &amount_body(23)).await.unwrap();
    assert_eq!(error_name(c.partial_refund(&pr.link_data, &amount_body(1)).await.unwrap_err()), "refundNotAllowed");
    let ev = c.event_query(&twin_pay.link_data).await.unwrap().into_inner();
    assert_eq!(ev.last_event.to_string(), "Sent for Refund");

    assert_eq!(rec.count(), 10, "3 authorizations, a settle, 4 partial refunds and 2 event queries, each checked");
    assert_eq!(rec.violations(), vec![], "every exchange conforms to the spec");
    srv.shutdown().await;
}

#[tokio::test]
async fn v7_cancel_only_while_authorized_and_settle_bounded() {
    let srv = server(TwinConfig::default()).await;
    let rec = CheckingRecorder::new(Api::WorldpayV7);
    let c = v7::Client::connect(&Config::new(srv.url()).credentials(creds("a")).recorder(rec.clone())).unwrap();
    let auth = c.authorize(&v7_auth(500, false, None, false)).await.unwrap().into_inner();
    let l = auth.links.unwrap();
    let pc = c.action_link(href(&l.card_payments_partial_cancel)).unwrap();
    let after = c.partial_cancel(&pc.link_data, &amount_body(100)).await.unwrap().into_inner();
    assert!(after.links.card_payments_cancel.is_some(), "still authorized: cancel stays legal");
    let ps = c.action_link(href(&l.card_payments_partial_settle)).unwrap();
    assert_eq!(
        error_name(c.partial_settlement(&ps.link_data, &amount_body(401)).await.unwrap_err()),
        "amountExceedsAuthorizedAmount",
        "500 authorized - 100 cancelled leaves 400"
    );
    let settled = c.partial_settlement(&ps.link_data, &amount_body(200)).await.unwrap().into_inner();
    // Decision (README): the vendor's partialSettle list offers cancel; it releases the
    // unsettled 200, and nothing is left to cancel or settle after it.
    let cancel = c.action_link(href(&settled.links.card_payments_cancel)).unwrap();
    let cancelled = c.cancel(&cancel.link_data).await.unwrap().into_inner();
    assert!(cancelled.links.card_payments_refund.is_none(), "the cancel response offers only events");
    assert_eq!(error_name(c.partial_cancel(&pc.link_data, &amount_body(1)).await.unwrap_err()), "cancelNotAllowed");
    assert_eq!(
        error_name(c.partial_settlement(&ps.link_data, &amount_body(1)).await.unwrap_err()),
        "settlementNotAllowed"
    );

    // Full cancel of a fresh authorization, then nothing is legal but events.
    let auth = c.authorize(&v7_auth(300, false, None, false)).await.unwrap().into_inner();
    let l = auth.links.unwrap();
    let cancelled =
        c.cancel(&c.action_link(href(&l.card_payments_cancel)).unwrap().link_data).await.unwrap().into_inner();
    let json = serde_json::to_value(&cancelled.links).unwrap();
    let rels: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(rels, ["cardPayments:events", "curies"]);
    let settle = c.action_link(href(&l.card_payments_settle)).unwrap();
    assert_eq!(error_name(c.settle(&settle.link_data).await.unwrap_err()), "settlementNotAllowed");
    assert_eq!(rec.violations(), vec![]);
    srv.shutdown().await;
}

#[tokio::test]
async fn v7_refusals_auto_settlement_and_error_magic_values() {
    let srv = server(TwinConfig::default()).await;
    let rec = CheckingRecorder::new(Api::WorldpayV7);
    let c = v7::Client::connect(&Config::new(srv.url()).credentials(creds("a")).recorder(rec.clone())).unwrap();
    for (holder, code, text) in [
        ("REFUSED", "5", "REFUSED"),
        ("REFUSED4", "4", "HOLD CARD"),
        ("REFUSED33", "33", "CARD EXPIRED"),
        ("REFUSED43", "43", "STOLEN CARD, PICK UP"),
        ("REFUSED51", "51", "LIMIT EXCEEDED"),
        ("REFUSED55", "55", "INVALID SECURITY CODE"),
    ] {
        let r = c.authorize(&v7_auth(100, false, Some(holder), false)).await.unwrap().into_inner();
        assert_eq!(r.outcome.to_string(), "refused");
        assert_eq!((r.refusal_code.as_deref(), r.refusal_description.as_deref()), (Some(code), Some(text)));
        assert!(r.links.is_none(), "a refusal carries no action links");
    }
    let auto = c.authorize(&v7_auth(100, false, Some("Jo"), true)).await.unwrap().into_inner();
    assert_eq!(auto.outcome.to_string(), "Sent for Settlement");
    assert!(auto.links.as_ref().unwrap().card_payments_refund.is_some());
    // Worldpay publishes only the description "ERROR" for this value (README: decisions).
    let error = c.authorize(&v7_auth(100, false, Some("ERROR"), false)).await.unwrap().into_inner();
    assert_eq!(
        (error.outcome.to_string(), error.refusal_code.as_deref(), error.refusal_description.as_deref()),
        ("refused".to_string(), None, Some("ERROR"))
    );
    // acceptPartialAmount needs auto-settlement off.
    assert_eq!(error_name(c.authorize(&v7_auth(100, true, None, true)).await.unwrap_err()), "bodyDoesNotMatchSchema");
    assert_eq!(rec.violations(), vec![]);
    srv.shutdown().await;
}

#[tokio::test]
async fn forged_edited_and_foreign_tokens_get_404() {
    let srv = server(TwinConfig::default()).await;
    let a = v7::Client::connect(&Config::new(srv.url()).credentials(creds("alice"))).unwrap();
    let b = v7::Client::connect(&Config::new(srv.url()).credentials(creds("bob"))).unwrap();
    let auth = a.authorize(&v7_auth(100, false, None, false)).await.unwrap().into_inner();
    let settle = a.action_link(href(&auth.links.unwrap().card_payments_settle)).unwrap();
    assert_eq!(error_name(b.settle(&settle.link_data).await.unwrap_err()), "resourceNotFound", "foreign merchant");
    let mut edited = settle.link_data.clone().into_bytes();
    edited[10] = if edited[10] == b'A' { b'B' } else { b'A' };
    assert_eq!(error_name(a.settle(std::str::from_utf8(&edited).unwrap()).await.unwrap_err()), "resourceNotFound");
    assert_eq!(error_name(a.settle("forged-token").await.unwrap_err()), "resourceNotFound");
    assert_eq!(
        error_name(a.cancel(&settle.link_data).await.unwrap_err()),
        "resourceNotFound",
        "token for another action"
    );
    a.settle(&settle.link_data).await.unwrap();
    srv.shutdown().await;
}

async fn raw(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(url).body(body);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn bad_requests_get_each_vendors_documented_error() {
    let srv = server(TwinConfig::default()).await;
    let u = srv.url();
    let auth = ("Authorization", "Basic dTpw");
    let v7url = format!("{u}/cardPayments/customerInitiatedTransactions");
    let (s, b) = raw(&v7url, &[auth, ("Content-Type", V7)], b"{not json".to_vec()).await;
    assert_eq!((s, b["errorName"].as_str()), (400, Some("bodyIsNotJson")));
    let (s, b) = raw(&v7url, &[auth, ("Content-Type", V7)], Vec::new()).await;
    assert_eq!((s, b["errorName"].as_str()), (400, Some("bodyIsEmpty")));
    let (s, b) = raw(&v7url, &[auth, ("Content-Type", "application/json")], b"{}".to_vec()).await;
    assert_eq!(
        (s, b["errorName"].as_str(), b["message"].as_str()),
        (415, Some("headerHasInvalidValue"), Some("Bad content type"))
    );
    let (s, b) = raw(&v7url, &[("Content-Type", V7)], b"{}".to_vec()).await;
    assert_eq!((s, b["errorName"].as_str()), (401, Some("accessDenied")));
    // Every offending field is named with its JSON path.
    let body = json!({"transactionReference": "x".repeat(65), "merchant": {}, "channel": "web",
        "instruction": {"requestAutoSettlement": {"enabled": false}, "narrative": {"line1": "y"},
          "value": {"amount": "10", "currency": "GBP"},
          "paymentInstrument": {"type": "card/plain", "cardNumber": "4444333322221112", "expiryDate": {"month": 5, "year": 2035}}}});
    let (s, b) = raw(&v7url, &[auth, ("Content-Type", V7)], serde_json::to_vec(&body).unwrap()).await;
    assert_eq!((s, b["errorName"].as_str()), (400, Some("bodyDoesNotMatchSchema")));
    let mut got: Vec<(String, String)> = b["validationErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["jsonPath"].as_str().unwrap().to_string(), e["errorName"].as_str().unwrap().to_string()))
        .collect();
    got.sort();
    let want = [
        ("$.channel", "fieldHasInvalidValue"),
        ("$.instruction.paymentInstrument.cardNumber", "panFailedLuhnCheck"),
        ("$.instruction.value.amount", "fieldMustBeInteger"),
        ("$.merchant.entity", "fieldIsMissing"),
        ("$.transactionReference", "stringIsTooLong"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));

    // Payments API headers.
    let pay = format!("{u}/api/payments");
    let (s, b) = raw(&pay, &[auth, ("Content-Type", "application/json")], b"{}".to_vec()).await;
    assert_eq!(
        (s, b["errorName"].as_str(), b["headerName"].as_str()),
        (406, Some("headerIsMissing"), Some("WP-Api-Version"))
    );
    let (s, b) =
        raw(&pay, &[auth, ("Content-Type", "application/json"), ("WP-Api-Version", "2023-01-01")], b"{}".to_vec())
            .await;
    assert_eq!((s, b["errorName"].as_str()), (406, Some("headerHasInvalidValue")));
    let (s, b) =
        raw(&pay, &[auth, ("Content-Type", "text/plain"), ("WP-Api-Version", "2024-06-01")], b"{}".to_vec()).await;
    assert_eq!((s, b["headerName"].as_str()), (415, Some("Content-Type")));
    // A missing Content-Type is a missing header: 406 headerIsMissing naming it.
    let (s, b) = raw(&pay, &[auth, ("WP-Api-Version", "2024-06-01")], b"{}".to_vec()).await;
    assert_eq!(
        (s, b["errorName"].as_str(), b["headerName"].as_str()),
        (406, Some("headerIsMissing"), Some("Content-Type"))
    );
    let (s, b) = raw(
        &pay,
        &[auth, ("Content-Type", "application/json"), ("WP-Api-Version", "2024-06-01"), ("Accept", "text/xml")],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!((s, b["headerName"].as_str()), (406, Some("Accept")));

    // Adyen shapes.
    let ady = format!("{u}/pal/servlet/Payment/v40");
    let (s, b) = raw(&format!("{ady}/cancel"), &[("Content-Type", "application/json")], b"{}".to_vec()).await;
    assert_eq!((s, b["errorCode"].as_str(), b["errorType"].as_str()), (401, Some("000"), Some("security")));
    let key = ("X-API-Key", "k");
    let (s, b) = raw(&format!("{ady}/cancel"), &[key, ("Content-Type", "application/json")], b"{\"".to_vec()).await;
    assert_eq!((s, b["errorCode"].as_str()), (400, Some("702")));
    let (s, b) = raw(
        &format!("{ady}/cancel"),
        &[key, ("Content-Type", "application/json")],
        br#"{"merchantAccount":"M"}"#.to_vec(),
    )
    .await;
    assert_eq!((s, b["errorCode"].as_str()), (422, Some("167")));
    let (s, b) = raw(
        &format!("{ady}/cancel"),
        &[key, ("Content-Type", "application/json")],
        br#"{"originalReference":"8800000000000001"}"#.to_vec(),
    )
    .await;
    assert_eq!(
        (s, b["errorCode"].as_str(), b["message"].as_str()),
        (422, Some("901"), Some("Invalid Merchant Account"))
    );

    // Bodies over 1 MiB are refused before parsing.
    let (s, _) = raw(&v7url, &[auth, ("Content-Type", V7)], vec![b' '; 1024 * 1024 + 10]).await;
    assert_eq!(s, 413);
    // Unknown endpoints.
    let (s, b) = raw(&format!("{u}/payments/nowhere/x"), &[auth, ("Content-Type", V7)], b"{}".to_vec()).await;
    assert_eq!((s, b["errorName"].as_str()), (404, Some("endpointNotFound")));
    srv.shutdown().await;
}

#[tokio::test]
async fn payments_api_lifecycle_and_actions() {
    let srv = server(TwinConfig::default()).await;
    let rec = CheckingRecorder::new(Api::WorldpayPayments);
    let c = wpp::Client::connect(&Config::new(srv.url()).credentials(creds("a")).recorder(rec.clone())).unwrap();
    let body: wpp::types::PaymentRequest = serde_json::from_value(json!({
        "transactionReference": "t", "merchant": {"entity": "default"},
        "instruction": {"method": "card", "narrative": {"line1": "Shop"}, "value": {"amount": 1000, "currency": "GBP"},
          "paymentInstrument": {"type": "plain", "cardNumber": "4444333322221111", "expiryDate": {"month": 5, "year": 2035}}}
    }))
    .unwrap();
    let created = c.payment(&body).await.unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let actions = serde_json::to_value(created.into_inner().actions.unwrap()).unwrap();
    let mut names: Vec<&String> = actions.as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["cancelPayment", "partiallySettlePayment", "reversePayment", "settlePayment"]);
    let settle = c.action_link(actions["settlePayment"]["href"].as_str().unwrap()).unwrap();
    let settled = c.settle(&settle.link_data).await.unwrap().into_inner();
    assert_eq!(settled.outcome.to_string(), "sentForSettlement");
    let pr = c
        .action_link(settled.actions.as_ref().unwrap().partially_refund_payment.as_ref().unwrap().href.as_str())
        .unwrap();
    let refunded = c.partial_refund(&pr.link_data, &amount_body(10)).await.unwrap().into_inner();
    assert_eq!(refunded.outcome.to_string(), "sentForPartialRefund");
    let after = serde_json::to_value(refunded.actions.unwrap()).unwrap();
    assert_eq!(after.as_object().unwrap().keys().collect::<Vec<_>>(), ["partiallyRefundPayment"], "as seed 002 shows");
    assert_eq!(
        error_name(c.partial_refund(&pr.link_data, &amount_body(991)).await.unwrap_err()),
        "amountExceedsSettledAmount"
    );
    let q = c.action_link(&refunded.links.self_.unwrap().href).unwrap();
    assert_eq!(c.query_events(&q.link_data).await.unwrap().into_inner().last_event.to_string(), "Sent for Refund");

    // Auto-settlement answers 202 sentForSettlement.
    let mut auto = serde_json::to_value(&body).unwrap();
    auto["instruction"]["settlement"] = json!({"auto": true});
    let r = c.payment(&serde_json::from_value(auto).unwrap()).await.unwrap();
    assert_eq!((r.status().as_u16(), r.outcome.to_string()), (202, "sentForSettlement".to_string()));
    assert_eq!(rec.violations(), vec![]);
    srv.shutdown().await;
}

fn adyen_client(url: &str, rec: Arc<CheckingRecorder>, key: &str) -> adyen::Client {
    adyen::Client::connect(
        &Config::new(format!("{url}/pal/servlet/Payment/v40"))
            .credentials(Credentials::ApiKey(key.into()))
            .recorder(rec),
    )
    .unwrap()
}

#[tokio::test]
async fn adyen_acknowledges_and_records_failed_modifications() {
    let srv = server(TwinConfig::default()).await;
    let rec = CheckingRecorder::new(Api::Adyen);
    let c = adyen_client(&srv.url(), rec.clone(), "key-1");
    let authorise = |holder: &str| -> adyen::types::PaymentRequest {
        serde_json::from_value(json!({"merchantAccount": "M", "reference": format!("order-{holder}"),
            "amount": {"value": 1000, "currency": "EUR"},
            "card": {"number": "4111111111111111", "expiryMonth": "03", "expiryYear": "2030", "cvc": "737", "holderName": holder}}))
        .unwrap()
    };
    let refused = c.post_authorise(&authorise("DECLINED")).await.unwrap().into_inner();
    assert_eq!(refused.result_code.unwrap().to_string(), "Refused");
    assert_eq!(
        c.post_authorise(&authorise("PENDING")).await.unwrap().into_inner().result_code.unwrap().to_string(),
        "Received"
    );
    let ok = c.post_authorise(&authorise("APPROVED")).await.unwrap().into_inner();
    let psp = ok.psp_reference.unwrap().to_string();
    assert_eq!(psp.len(), 16);

    let modification = |extra: Value| -> Value {
        let mut b = json!({"merchantAccount": "M", "originalReference": psp});
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    let cap: adyen::types::CaptureRequest =
        serde_json::from_value(modification(json!({"modificationAmount": {"value": 600, "currency": "EUR"}}))).unwrap();
    let r = c.post_capture(&cap).await.unwrap().into_inner();
    assert_eq!((r.response.to_string().as_str(), r.psp_reference.len()), ("[capture-received]", 16));
    // Broken rules on a known payment: acknowledged, recorded as failed.
    let cancel: adyen::types::CancelRequest = serde_json::from_value(modification(json!({}))).unwrap();
    assert_eq!(c.post_cancel(&cancel).await.unwrap().into_inner().response.to_string(), "[cancel-received]");
    let too_much: adyen::types::CaptureRequest =
        serde_json::from_value(modification(json!({"modificationAmount": {"value": 601, "currency": "EUR"}}))).unwrap();
    c.post_refund(&too_much).await.unwrap();
    // Unknown reference: rejected at once.
    let unknown: adyen::types::CancelRequest =
        serde_json::from_value(json!({"merchantAccount": "M", "originalReference": "8899999999999999"})).unwrap();
    assert_eq!(error_name(c.post_cancel(&unknown).await.unwrap_err()), "167");
    // Another credential does not see this payment.
    let other = adyen_client(&srv.url(), CheckingRecorder::new(Api::Adyen), "key-2");
    assert_eq!(error_name(other.post_cancel(&cancel).await.unwrap_err()), "167");

    let view: Value = reqwest::Client::new()
        .get(format!("{}/pal/servlet/Payment/v40/__twin/payments/{psp}", srv.url()))
        .header("X-API-Key", "key-1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (view["captured"].as_i64(), view["refunded"].as_i64(), view["cancelled"].as_i64()),
        (Some(600), Some(0), Some(0))
    );
    let mods: Vec<(String, bool)> = view["modifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["eventCode"].as_str().unwrap().to_string(), m["success"].as_bool().unwrap()))
        .collect();
    assert_eq!(mods, [("capture".to_string(), true), ("cancel".to_string(), false), ("refund".to_string(), false)]);
    assert!(view["modifications"][1]["reason"].as_str().unwrap().contains("must be refunded"));
    assert_eq!(rec.violations(), vec![]);
    srv.shutdown().await;
}

#[tokio::test]
async fn two_hundred_racing_partial_settles_never_exceed_the_authorization() {
    let srv = server(TwinConfig::default()).await;
    let c = Arc::new(v7::Client::connect(&Config::new(srv.url()).credentials(creds("a"))).unwrap());
    let auth = c.authorize(&v7_auth(100, false, None, false)).await.unwrap().into_inner();
    let links = auth.links.unwrap();
    let ps = c.action_link(href(&links.card_payments_partial_settle)).unwrap().link_data;
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (c, ps) = (c.clone(), ps.clone());
            tokio::spawn(async move { c.partial_settlement(&ps, &amount_body(1)).await.is_ok() })
        })
        .collect();
    let mut accepted = 0;
    for t in tasks {
        accepted += usize::from(t.await.unwrap());
    }
    assert_eq!(accepted, 100);
    let events = c.action_link(href(&links.card_payments_events)).unwrap();
    assert_eq!(
        c.event_query(&events.link_data).await.unwrap().into_inner().last_event.to_string(),
        "Sent for Settlement"
    );
    // A refund of everything settled succeeds for exactly 100: one more is refused.
    let links = c.event_query(&events.link_data).await.unwrap().into_inner().links;
    let refund = c.action_link(href(&links.card_payments_partial_refund)).unwrap();
    assert_eq!(
        error_name(c.partial_refund(&refund.link_data, &amount_body(101)).await.unwrap_err()),
        "amountExceedsSettledAmount"
    );
    c.partial_refund(&refund.link_data, &amount_body(100)).await.unwrap();
    srv.shutdown().await;
}

#[tokio::test]
async fn strict_mode_accepts_only_configured_credentials_and_public_url_shapes_links() {
    let srv = server(TwinConfig {
        variance: None,
        credentials: vec!["shop:secret".into()],
        api_keys: vec!["AQEkey".into()],
        public_url: Some("https://twin.example.test".into()),
        max_payments: 0,
        webhook: None,
    })
    .await;
    let good = v7::Client::connect(
        &Config::new(srv.url()).credentials(Credentials::Basic { username: "shop".into(), password: "secret".into() }),
    )
    .unwrap();
    let bad = v7::Client::connect(&Config::new(srv.url()).credentials(creds("shop"))).unwrap();
    assert_eq!(error_name(bad.authorize(&v7_auth(1, false, None, false)).await.unwrap_err()), "accessDenied");
    let r = good.authorize(&v7_auth(1, false, None, false)).await.unwrap().into_inner();
    assert!(
        href(&r.links.unwrap().card_payments_settle)
            .starts_with("https://twin.example.test/payments/settlements/full/")
    );
    let a = adyen_client(&srv.url(), CheckingRecorder::new(Api::Adyen), "wrong");
    let req: adyen::types::PaymentRequest = serde_json::from_value(
        json!({"merchantAccount": "M", "reference": "r", "amount": {"value": 1, "currency": "EUR"}}),
    )
    .unwrap();
    assert_eq!(error_name(a.post_authorise(&req).await.unwrap_err()), "000");
    assert!(adyen_client(&srv.url(), CheckingRecorder::new(Api::Adyen), "AQEkey").post_authorise(&req).await.is_ok());
    srv.shutdown().await;
}

#[tokio::test]
async fn wiremock_adapter_lets_users_inject_faults_over_the_stateful_twin() {
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, ResponseTemplate};
    let (mock, _twin) = Twin::start_mock().await;
    let c = v7::Client::connect(&Config::new(mock.uri()).credentials(creds("a"))).unwrap();
    let auth = c.authorize(&v7_auth(100, false, None, false)).await.unwrap().into_inner();
    let settle = c.action_link(href(&auth.links.unwrap().card_payments_settle)).unwrap();
    // Inject one 500 on settlements; the twin answers everything else.
    Mock::given(method("POST"))
        .and(path_regex("^/payments/settlements/"))
        .respond_with(
            ResponseTemplate::new(500).set_body_raw(r#"{"errorName":"internalErrorOccurred","message":"boom"}"#, V7),
        )
        .up_to_n_times(1)
        .expect(1)
        .named("injected settle failure")
        .mount(&mock)
        .await;
    assert_eq!(error_name(c.settle(&settle.link_data).await.unwrap_err()), "internalErrorOccurred");
    // The twin's state was untouched by the injected failure: the retry settles.
    c.settle(&settle.link_data).await.unwrap();
    assert_eq!(error_name(c.settle(&settle.link_data).await.unwrap_err()), "settlementNotAllowed");
    mock.verify().await; // the fault fired exactly once
}

/// `SandboxServer::base_url` is what a client's `Config::new` takes, per API: an Adyen
/// client connected with it authorises on the twin.
#[tokio::test]
async fn base_url_per_api_is_what_a_client_takes() {
    let srv = server(TwinConfig::default()).await;
    assert_eq!(srv.base_url(Api::Adyen), format!("{}/pal/servlet/Payment/v40", srv.url()));
    assert_eq!(srv.base_url(Api::WorldpayV7), srv.url());
    let listed: Vec<String> = srv.base_urls().into_iter().map(|(_, u)| u).collect();
    assert_eq!(listed, Api::ALL.iter().map(|a| srv.base_url(*a)).collect::<Vec<_>>());
    srv.shutdown().await;
}
