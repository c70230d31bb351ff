//! Every operation of every generated client, against a wiremock server on a random
//! port: the right method, path, headers, auth and body go out, and the documented
//! success and error bodies come back as typed values.

use payconform::client::{
    Config, Credentials, adyen, adyen_checkout as checkout, worldpay_payments as wpp, worldpay_v7 as v7,
};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const V7: &str = "application/vnd.worldpay.payments-v7+json";
/// A real token from Worldpay's Payments API examples, percent escapes and all.
const TOKEN: &str = "eyJrIjoiazNhYjYzMiIsImxpbmtWZXJzaW9uIjoiNS4wLjAifQ%3D%3D.sN%3Ag8wd64bwkbrp0md%2BbPxcanBnk2zLdsIqSa1pR99GeDrCwEtsymFb5gQw9WlrStDTK3eIWPy93y%3A7njc4649JSrU7%2BvFDl1J36%2BcwOkX0lW4Z%2BfnZKMutoUGX3m1%3AmZ%2BxHZ9nDpadu%2BBh7pRyJwnWeiSFTlqKvbrBxNm3HV0xann55pFjZ7qi4DNGZtx9zW6eOLVNOsPL6ecsn3Dp377s7pWRQKSZJKSFIJvAisP8cBzFPzqireuqfCu5ojcm60gRSsqS3glurO24RJkg5SrpRjgY6g7ca8uoA7tKDk9OVOIwORF5sGPHSSGMa2bEl2lMUkAANoWclQHiGzxWQQ%3AAwSoo6RsrBugbhEp0K8HxZkfVrqy4oVlW8FdQ7kIuZOH78i6pPLzArc%2BOtMdnU%3ArZ%3AVhRHFzbbwymcuTiRbNw%3D";

fn example(path: &str) -> Value {
    let p = format!("{}/tests/fixtures/vendor-examples/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))).unwrap()
}

async fn answer(server: &MockServer, status: u16, body: &Value, media: &str) {
    server.reset().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).set_body_raw(serde_json::to_vec(body).unwrap(), media))
        .mount(server)
        .await;
}

/// What the server received for the single request of a case.
struct Seen {
    method: String,
    raw_path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn seen(server: &MockServer) -> Seen {
    let reqs = server.received_requests().await.expect("recording is on");
    assert_eq!(reqs.len(), 1, "expected exactly one request");
    let r = &reqs[0];
    Seen {
        method: r.method.to_string(),
        raw_path: r.url.path().to_string(),
        headers: r
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: r.body.clone(),
    }
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn assert_wire(&self, method: &str, path: &str, content_type: Option<&str>, accept: &str, auth: &str) {
        assert_eq!(self.method, method);
        assert_eq!(self.raw_path, path, "exact path bytes");
        assert_eq!(self.header("content-type"), content_type, "Content-Type");
        assert_eq!(self.header("accept"), Some(accept), "Accept");
        assert_eq!(self.header("api-version"), None, "progenitor's api-version header must not leak");
        match auth {
            "basic" => assert_eq!(self.header("authorization"), Some("Basic dXNlcjpwYXNz")),
            "key" => assert_eq!(self.header("x-api-key"), Some("test-key")),
            _ => unreachable!(),
        }
        if self.body.is_empty() && method == "POST" {
            assert_eq!(self.header("content-length"), Some("0"), "body-less POST needs Content-Length: 0");
        }
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

fn basic() -> Credentials {
    Credentials::Basic { username: "user".into(), password: "pass".into() }
}

fn partial() -> Value {
    json!({"value": {"amount": 125, "currency": "GBP"}, "reference": "partial-ref"})
}

#[tokio::test]
async fn worldpay_card_payments_v7_every_operation() {
    let server = MockServer::start().await;
    let client = v7::Client::connect(&Config::new(server.uri()).credentials(basic())).unwrap();
    let authorize: v7::types::AuthorizeRequest =
        serde_json::from_value(example("worldpay-card-payments-v7/authorize/request.card-payment-authorization.json"))
            .unwrap();
    let partial_body: v7::types::PartialAmountRequest = serde_json::from_value(partial()).unwrap();

    // authorize: 201 typed, then 400 typed error.
    answer(&server, 201, &example("worldpay-card-payments-v7/authorize/response-201.successful-payment-authorization-for-a-partial-amount.json"), V7).await;
    let ok = client.authorize(&authorize).await.unwrap();
    assert_eq!(ok.status().as_u16(), 201);
    assert_eq!(ok.amounts.as_ref().map(|a| a.total_authorized.clone()).map(|a| *a), Some(199));
    let s = seen(&server).await;
    s.assert_wire("POST", "/cardPayments/customerInitiatedTransactions", Some(V7), V7, "basic");
    assert_eq!(s.json(), serde_json::to_value(&authorize).unwrap());
    answer(&server, 400, &example("worldpay-card-payments-v7/authorize/response-400.bad-request.json"), V7).await;
    match client.authorize(&authorize).await {
        Err(progenitor_client::Error::ErrorResponse(e)) => {
            assert_eq!(e.status().as_u16(), 400);
            assert_eq!(e.error_name, "bodyDoesNotMatchSchema");
            assert_eq!(e.validation_errors[0].json_path, "$.value.currency");
        }
        other => panic!("expected a typed 400, got {other:?}"),
    }

    // The link operations: (name, path prefix, has body, success status, success example).
    let cases: &[(&str, &str, bool, u16, &str)] = &[
        (
            "settle",
            "/payments/settlements/full/",
            false,
            202,
            "settle/response-202.response-to-fully-settle-the-authorization.json",
        ),
        (
            "partial_settlement",
            "/payments/settlements/partials/",
            true,
            202,
            "partialSettlement/response-202.response-to-partially-settle-the-authorization.json",
        ),
        (
            "refund",
            "/payments/settlements/refunds/full/",
            false,
            202,
            "refund/response-202.response-to-refund-an-authorization.json",
        ),
        (
            "partial_refund",
            "/payments/settlements/refunds/partials/",
            true,
            202,
            "partialRefund/response-202.response-to-partially-refund-an-authorization.json",
        ),
        (
            "cancel",
            "/payments/authorizations/cancellations/",
            false,
            202,
            "cancel/response-202.response-to-cancel-an-authorization.json",
        ),
        (
            "partial_cancel",
            "/payments/authorizations/cancellations/partials/",
            true,
            202,
            "partialCancel/response-202.response-to-cancel-partial-authorization.json",
        ),
        (
            "reversal",
            "/payments/sales/reversals/",
            false,
            202,
            "reversal/response-202.response-to-reverse-the-settlement.json",
        ),
        (
            "event_query",
            "/payments/events/",
            false,
            200,
            "eventQuery/response-200.querying-a-payment-event-with-a-transaction-reference.json",
        ),
    ];
    for &(op, prefix, has_body, status, file) in cases {
        let mut body = example(&format!("worldpay-card-payments-v7/{file}"));
        if op == "event_query" {
            // The published example gives bare-string links (allow-listed); send the seed's shape.
            body = json!({"lastEvent": "Authorized", "_links": {"cardPayments:settle": {"href": "/payments/settlements/full/x"}}});
        }
        answer(&server, status, &body, V7).await;
        let got: Result<Value, String> = match op {
            "settle" => client
                .settle(TOKEN)
                .await
                .map(|r| serde_json::to_value(r.into_inner()).unwrap())
                .map_err(|e| e.to_string()),
            "partial_settlement" => client
                .partial_settlement(TOKEN, &partial_body)
                .await
                .map(|r| serde_json::to_value(r.into_inner()).unwrap())
                .map_err(|e| e.to_string()),
            "refund" => client
                .refund(TOKEN)
                .await
                .map(|r| serde_json::to_value(r.into_inner()).unwrap())
                .map_err(|e| e.to_string()),
            "partial_refund" => client
                .partial_refund(TOKEN, &partial_body)
                .await
                .map(|r| serde_json::to_value(r.into_inner()).unwrap())
                .map_err(|e| e.to_string()),
            "cancel" => client
                .cancel(TOKEN)
                .await
                .map(|r| serde_json::to_value(r.into_inner()).unwrap())
                .map_err(|e| e.to_string()),
            "partial_cancel" => client
                .partial_cancel(TOKEN, &partial_body)
                .await
                .map(|r| serde_json::to_value(r.into_inner()).unwrap())
                .map_err(|e| e.to_string()),
            "reversal" => client
                .reversal(TOKEN)
                .await
                .map(|r| serde_json::to_value(r.into_inner()).unwrap())
                .map_err(|e| e.to_string()),
            "event_query" => client
                .event_query(TOKEN)
                .await
                .map(|r| serde_json::to_value(r.into_inner()).unwrap())
                .map_err(|e| e.to_string()),
            _ => unreachable!(),
        };
        assert_eq!(got.unwrap_or_else(|e| panic!("{op}: {e}")), body, "{op}: typed value keeps every field");
        let s = seen(&server).await;
        let method = if op == "event_query" { "GET" } else { "POST" };
        // Worldpay marks Content-Type required on every v7 operation, body or not.
        s.assert_wire(method, &format!("{prefix}{TOKEN}"), Some(V7), V7, "basic");
        assert_eq!(s.body.is_empty(), !has_body, "{op}");
        if has_body {
            assert_eq!(s.json(), partial(), "{op}");
        }
        // A documented error decodes into the typed Error.
        answer(&server, 404, &json!({"errorName": "resourceNotFound", "message": "gone"}), V7).await;
        let err = match op {
            "settle" => client.settle(TOKEN).await.err(),
            "partial_settlement" => client.partial_settlement(TOKEN, &partial_body).await.err(),
            "refund" => client.refund(TOKEN).await.err(),
            "partial_refund" => client.partial_refund(TOKEN, &partial_body).await.err(),
            "cancel" => client.cancel(TOKEN).await.err(),
            "partial_cancel" => client.partial_cancel(TOKEN, &partial_body).await.err(),
            "reversal" => client.reversal(TOKEN).await.err(),
            _ => client.event_query(TOKEN).await.map(|_| ()).err().map(|e| match e {
                progenitor_client::Error::ErrorResponse(r) => progenitor_client::Error::ErrorResponse(r),
                other => panic!("{other:?}"),
            }),
        };
        match err {
            Some(progenitor_client::Error::ErrorResponse(e)) => assert_eq!(e.error_name, "resourceNotFound", "{op}"),
            other => panic!("{op}: expected a typed 404, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn worldpay_payments_api_every_operation() {
    let server = MockServer::start().await;
    let client = wpp::Client::connect(&Config::new(server.uri()).credentials(basic())).unwrap();
    let create: wpp::types::PaymentRequest =
        serde_json::from_value(example("worldpay-payments-2024-06-01/payment/request.card-ecom.json")).unwrap();
    let partial_body: wpp::types::PartialAmountRequest = serde_json::from_value(partial()).unwrap();
    let json_type = "application/json";

    answer(&server, 201, &example("worldpay-payments-2024-06-01/payment/response-201.authorized-full.json"), json_type)
        .await;
    let ok = client.payment(&create).await.unwrap();
    assert_eq!(ok.status().as_u16(), 201);
    assert!(ok.actions.as_ref().and_then(|a| a.settle_payment.as_ref()).is_some());
    let s = seen(&server).await;
    s.assert_wire("POST", "/api/payments", Some(json_type), json_type, "basic");
    assert_eq!(s.header("wp-api-version"), Some("2024-06-01"));
    assert_eq!(s.json(), serde_json::to_value(&create).unwrap());
    answer(&server, 406, &example("worldpay-payments-2024-06-01/payment/response-406.not-acceptable.json"), json_type)
        .await;
    match client.payment(&create).await {
        Err(progenitor_client::Error::ErrorResponse(e)) => assert_eq!(e.header_name.as_deref(), Some("Content-Type")),
        other => panic!("expected a typed 406, got {other:?}"),
    }

    let cases: &[(&str, &str, bool, u16, &str)] = &[
        ("query_events", "", false, 200, "queryEvents/response-200.query-response-example.json"),
        ("settle", "/settlements", false, 202, "settle/response-202.sentforsettlement.json"),
        ("partial_settle", "/partialSettlements", true, 202, "partialSettle/response-202.sentforsettlement.json"),
        ("refund", "/refunds", false, 202, "refund/response-202.sentforrefund.json"),
        ("partial_refund", "/partialRefunds", true, 202, "partialRefund/response-202.sentforpartialrefund.json"),
        ("cancel", "/cancellations", false, 202, "cancel/response-202.sentforcancellation.json"),
        ("reversal", "/reversals", false, 202, "reversal/response-202.sentforreversal.json"),
    ];
    for &(op, suffix, has_body, status, file) in cases {
        let body = example(&format!("worldpay-payments-2024-06-01/{file}"));
        for (code, reply) in [(status, body.clone()), (401, json!({"errorName": "accessDenied", "message": "no"}))] {
            answer(&server, code, &reply, json_type).await;
            let got: Result<Value, progenitor_client::Error<wpp::types::Error>> = match op {
                "query_events" => {
                    client.query_events(TOKEN).await.map(|r| serde_json::to_value(r.into_inner()).unwrap())
                }
                "settle" => client.settle(TOKEN).await.map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                "partial_settle" => client
                    .partial_settle(TOKEN, &partial_body)
                    .await
                    .map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                "refund" => client.refund(TOKEN).await.map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                "partial_refund" => client
                    .partial_refund(TOKEN, &partial_body)
                    .await
                    .map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                "cancel" => client.cancel(TOKEN).await.map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                "reversal" => client.reversal(TOKEN).await.map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                _ => unreachable!(),
            };
            match (code, got) {
                (401, Err(progenitor_client::Error::ErrorResponse(e))) => {
                    assert_eq!(e.error_name, "accessDenied", "{op}")
                }
                (401, other) => panic!("{op}: expected a typed 401, got {other:?}"),
                (_, Ok(v)) => assert_eq!(v, body, "{op}: typed value keeps every field"),
                (_, Err(e)) => panic!("{op}: {e}"),
            }
            let s = seen(&server).await;
            let method = if op == "query_events" { "GET" } else { "POST" };
            s.assert_wire(
                method,
                &format!("/api/payments/{TOKEN}{suffix}"),
                has_body.then_some(json_type),
                json_type,
                "basic",
            );
            assert_eq!(s.header("wp-api-version"), Some("2024-06-01"), "{op}");
            if has_body {
                assert_eq!(s.json(), partial(), "{op}");
            }
        }
    }
}

#[tokio::test]
async fn adyen_every_operation_with_basic_and_api_key() {
    let server = MockServer::start().await;
    let base = format!("{}/pal/servlet/Payment/v40", server.uri());
    let json_type = "application/json";
    for (auth, creds) in [("basic", basic()), ("key", Credentials::ApiKey("test-key".into()))] {
        let client = adyen::Client::connect(&Config::new(&base).credentials(creds)).unwrap();
        let authorise: adyen::types::PaymentRequest =
            serde_json::from_value(example("adyen-payment-v40/post-authorise/request.authorise-card.json")).unwrap();
        answer(
            &server,
            200,
            &example("adyen-payment-v40/post-authorise/response-200.sdk-fixture-authorise-success.json"),
            json_type,
        )
        .await;
        let ok = client.post_authorise(&authorise).await.unwrap();
        assert_eq!(ok.result_code, Some(adyen::types::PaymentResultResultCode::Authorised));
        let s = seen(&server).await;
        s.assert_wire("POST", "/pal/servlet/Payment/v40/authorise", Some(json_type), json_type, auth);
        assert_eq!(s.json(), serde_json::to_value(&authorise).unwrap());

        let capture: adyen::types::CaptureRequest =
            serde_json::from_value(example("adyen-payment-v40/post-capture/request.capture.json")).unwrap();
        let cancel: adyen::types::CancelRequest =
            serde_json::from_value(example("adyen-payment-v40/post-cancel/request.cancel.json")).unwrap();
        let cancel_or_refund: adyen::types::CancelOrRefundRequest =
            serde_json::from_value(example("adyen-payment-v40/post-cancel/request.cancel.json")).unwrap();
        let technical: adyen::types::TechnicalCancelRequest =
            serde_json::from_value(example("adyen-payment-v40/post-technicalCancel/request.technicalcancel.json"))
                .unwrap();
        let cases: &[(&str, &str, &str)] = &[
            ("capture", "[capture-received]", "/capture"),
            ("cancel", "[cancel-received]", "/cancel"),
            ("refund", "[refund-received]", "/refund"),
            ("cancel_or_refund", "[cancelOrRefund-received]", "/cancelOrRefund"),
            ("technical_cancel", "[technical-cancel-received]", "/technicalCancel"),
            ("adjust_authorisation", "[adjustAuthorisation-received]", "/adjustAuthorisation"),
        ];
        for &(op, ack, path) in cases {
            let reply = json!({"pspReference": "8816178952380553", "response": ack});
            let error = json!({"status": 422, "errorCode": "167", "message": "Original pspReference required for this operation", "errorType": "validation"});
            for (code, body) in [(200u16, &reply), (422, &error)] {
                answer(&server, code, body, json_type).await;
                let got = match op {
                    "capture" => client.post_capture(&capture).await,
                    "cancel" => client.post_cancel(&cancel).await,
                    "refund" => client.post_refund(&capture).await,
                    "cancel_or_refund" => client.post_cancel_or_refund(&cancel_or_refund).await,
                    "technical_cancel" => client.post_technical_cancel(&technical).await,
                    "adjust_authorisation" => client.post_adjust_authorisation(&capture).await,
                    _ => unreachable!(),
                };
                match (code, got) {
                    (200, Ok(r)) => {
                        assert_eq!(r.psp_reference.len(), 16);
                        assert_eq!(serde_json::to_value(r.into_inner()).unwrap(), reply, "{op}");
                    }
                    (422, Err(progenitor_client::Error::ErrorResponse(e))) => assert_eq!(e.error_code, "167", "{op}"),
                    (_, other) => panic!("{op} {code}: unexpected {other:?}"),
                }
                let s = seen(&server).await;
                s.assert_wire("POST", &format!("/pal/servlet/Payment/v40{path}"), Some(json_type), json_type, auth);
                let sent = s.json();
                let expected = match op {
                    "cancel" | "cancel_or_refund" => serde_json::to_value(&cancel).unwrap(),
                    "technical_cancel" => serde_json::to_value(&technical).unwrap(),
                    _ => serde_json::to_value(&capture).unwrap(),
                };
                assert_eq!(sent, expected, "{op}");
            }
        }
    }
}

/// Adyen Checkout: every operation, with Basic and an API key, the payment in the path
/// and the `Idempotency-Key` header when given; Adyen's own example bodies out, its
/// 201 examples and its 422 back as typed values.
#[tokio::test]
async fn adyen_checkout_every_operation_with_basic_and_api_key() {
    let server = MockServer::start().await;
    let base = format!("{}/checkout/v71", server.uri());
    let json_type = "application/json";
    let ex = |p: &str| example(&format!("adyen-checkout-v71/{p}"));
    let error = json!({"status": 422, "errorCode": "167", "message": "Original pspReference required for this operation",
        "errorType": "validation", "pspReference": "8816118280275544"});
    for (auth, creds) in [("basic", basic()), ("key", Credentials::ApiKey("test-key".into()))] {
        let client = checkout::Client::connect(&Config::new(&base).credentials(creds)).unwrap();
        let pay: checkout::types::PaymentRequest =
            serde_json::from_value(ex("post-payments/request.card-direct.json")).unwrap();
        answer(&server, 200, &ex("post-payments/response-200.card-direct.json"), json_type).await;
        let ok = client.post_payments(Some("idem-1"), &pay).await.unwrap();
        assert_eq!(ok.result_code, checkout::types::PaymentResponseResultCode::Authorised);
        let s = seen(&server).await;
        s.assert_wire("POST", "/checkout/v71/payments", Some(json_type), json_type, auth);
        assert_eq!(s.header("idempotency-key"), Some("idem-1"));
        assert_eq!(s.json(), serde_json::to_value(&pay).unwrap());
        // Card fields are held in types whose Debug hides them.
        let shown = format!("{pay:?}");
        assert!(!shown.contains("4111111111111111") && !shown.contains("\"737\""), "{shown}");

        let psp = "993617894903480A";
        let capture: checkout::types::CaptureRequest =
            serde_json::from_value(ex("post-payments-paymentPspReference-captures/request.capture.json")).unwrap();
        let refund: checkout::types::RefundRequest =
            serde_json::from_value(ex("post-payments-paymentPspReference-refunds/request.refund.json")).unwrap();
        let cancel: checkout::types::CancelRequest = serde_json::from_value(ex(
            "post-payments-paymentPspReference-cancels/request.cancel-with-psp-reference.json",
        ))
        .unwrap();
        let reversal: checkout::types::ReversalRequest =
            serde_json::from_value(ex("post-payments-paymentPspReference-reversals/request.reversal.json")).unwrap();
        let update: checkout::types::AmountUpdateRequest =
            serde_json::from_value(ex("post-payments-paymentPspReference-amountUpdates/request.amount-update.json"))
                .unwrap();
        let by_reference: checkout::types::StandaloneCancelRequest =
            serde_json::from_value(ex("post-cancels/request.cancel-with-own-reference.json")).unwrap();
        let cases = [
            ("captures", "post-payments-paymentPspReference-captures/response-201.capture.json"),
            ("refunds", "post-payments-paymentPspReference-refunds/response-201.refund.json"),
            ("cancels", "post-payments-paymentPspReference-cancels/response-201.cancel-with-psp-reference.json"),
            ("reversals", "post-payments-paymentPspReference-reversals/response-201.reversal.json"),
            ("amountUpdates", "post-payments-paymentPspReference-amountUpdates/response-201.amount-update.json"),
            ("standalone", "post-cancels/response-201.cancel-with-own-reference.json"),
        ];
        for (op, reply) in cases {
            let reply = ex(reply);
            for (code, body) in [(201u16, &reply), (422, &error)] {
                answer(&server, code, body, json_type).await;
                let (got, sent): (Result<Value, progenitor_client::Error<checkout::types::ServiceError>>, Value) =
                    match op {
                        "captures" => (
                            client
                                .post_payments_payment_psp_reference_captures(psp, None, &capture)
                                .await
                                .map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                            serde_json::to_value(&capture).unwrap(),
                        ),
                        "refunds" => (
                            client
                                .post_payments_payment_psp_reference_refunds(psp, None, &refund)
                                .await
                                .map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                            serde_json::to_value(&refund).unwrap(),
                        ),
                        "cancels" => (
                            client
                                .post_payments_payment_psp_reference_cancels(psp, None, &cancel)
                                .await
                                .map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                            serde_json::to_value(&cancel).unwrap(),
                        ),
                        "reversals" => (
                            client
                                .post_payments_payment_psp_reference_reversals(psp, None, &reversal)
                                .await
                                .map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                            serde_json::to_value(&reversal).unwrap(),
                        ),
                        "amountUpdates" => (
                            client
                                .post_payments_payment_psp_reference_amount_updates(psp, None, &update)
                                .await
                                .map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                            serde_json::to_value(&update).unwrap(),
                        ),
                        _ => (
                            client
                                .post_cancels(None, &by_reference)
                                .await
                                .map(|r| serde_json::to_value(r.into_inner()).unwrap()),
                            serde_json::to_value(&by_reference).unwrap(),
                        ),
                    };
                match (code, got) {
                    (201, Ok(v)) => {
                        assert_eq!(v, reply, "{op}");
                        assert_eq!(v["status"], "received", "{op}");
                    }
                    (422, Err(progenitor_client::Error::ErrorResponse(e))) => assert_eq!(e.error_code, "167", "{op}"),
                    (_, other) => panic!("{op} {code}: unexpected {other:?}"),
                }
                let s = seen(&server).await;
                let path = if op == "standalone" {
                    "/checkout/v71/cancels".to_string()
                } else {
                    format!("/checkout/v71/payments/{psp}/{op}")
                };
                s.assert_wire("POST", &path, Some(json_type), json_type, auth);
                assert_eq!(s.header("idempotency-key"), None, "{op}");
                assert_eq!(s.json(), sent, "{op}");
            }
        }
    }
}

#[tokio::test]
async fn action_links_resolve_and_foreign_hosts_are_refused() {
    let server = MockServer::start().await;
    let client = wpp::Client::connect(&Config::new(server.uri()).credentials(basic())).unwrap();
    let href = format!("{}/api/payments/{TOKEN}/partialRefunds", server.uri());
    let link = client.action_link(&href).unwrap().require_operation("partialRefund").unwrap();
    assert_eq!(link.link_data, TOKEN, "the token comes back byte for byte");
    let wrong = client.action_link(&href).unwrap().require_operation("settle").unwrap_err().to_string();
    assert!(
        wrong.contains(&href) && wrong.contains("partialRefund"),
        "the error names the href and its operation: {wrong}"
    );

    // Following it sends exactly the bytes of the href.
    answer(
        &server,
        202,
        &example("worldpay-payments-2024-06-01/partialRefund/response-202.sentforpartialrefund.json"),
        "application/json",
    )
    .await;
    let body: wpp::types::PartialAmountRequest = serde_json::from_value(partial()).unwrap();
    client.partial_refund(&link.link_data, &body).await.unwrap();
    let s = seen(&server).await;
    assert_eq!(format!("{}{}", server.uri(), s.raw_path), href);

    // A link to another host never gets our credentials.
    let foreign = format!("https://try.access.worldpay.com/api/payments/{TOKEN}/settlements");
    let err = client.action_link(&foreign).unwrap_err().to_string();
    assert!(err.contains("refusing to follow") && err.contains("try.access.worldpay.com"), "{err}");
    let other_port = "http://127.0.0.1:1/api/payments/abc/settlements";
    assert!(client.action_link(other_port).is_err());
    // Malformed or unknown links get a clear error.
    assert!(client.action_link("http://[::1").unwrap_err().to_string().contains("not a URL"));
    let unknown = format!("{}/api/other/abc", server.uri());
    assert!(client.action_link(&unknown).unwrap_err().to_string().contains("no operation"));
    // Relative hrefs resolve against the configured base.
    let v7client = v7::Client::connect(&Config::new(server.uri())).unwrap();
    let rel = v7client.action_link("/payments/events/abc%2Bdef").unwrap();
    assert_eq!((rel.operation.operation_id, rel.link_data.as_str()), ("eventQuery", "abc%2Bdef"));
}

#[tokio::test]
async fn credentials_never_reach_the_recorder() {
    use std::sync::{Arc, Mutex};
    struct Keep(Mutex<Vec<payconform::client::Exchange>>);
    impl payconform::client::Recorder for Keep {
        fn record(&self, e: payconform::client::Exchange) {
            self.0.lock().unwrap().push(e);
        }
    }
    let server = MockServer::start().await;
    answer(&server, 202, &json!({"_links": {}}), V7).await;
    let keep = Arc::new(Keep(Mutex::new(Vec::new())));
    let creds = Credentials::Basic { username: "user".into(), password: "s3cret-pw".into() };
    let client = v7::Client::connect(&Config::new(server.uri()).credentials(creds).recorder(keep.clone())).unwrap();
    client.settle("tok").await.unwrap();
    let ex = keep.0.lock().unwrap();
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].status, Some(202));
    assert!(ex[0].request_header("authorization").is_none());
    // The header would carry base64 of "user:s3cret-pw"; neither it nor the password shows.
    let debug = format!("{:?}", ex[0]);
    assert!(!debug.contains("dXNlcjpzM2NyZXQtcHc"), "no base64 of the credentials: {debug}");
    assert!(!debug.contains("s3cret-pw"), "no password: {debug}");
}
