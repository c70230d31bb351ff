//! Every vendor-published example for an implemented operation (tests/fixtures/vendor-examples,
//! listed in its index.json) validates against our spec, deserializes into the generated
//! type, and serializes back without losing or changing a field.

use std::path::Path;

use payconform::client::{adyen, adyen_checkout as checkout, worldpay_payments as wpp, worldpay_v7 as v7};
use payconform::spec::{Api, lint_embedded_examples, spec};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn roundtrip<T: DeserializeOwned + Serialize>(v: &Value) -> Result<Vec<String>, String> {
    let typed: T = serde_json::from_value(v.clone()).map_err(|e| format!("does not deserialize: {e}"))?;
    let back = serde_json::to_value(&typed).map_err(|e| format!("does not serialize: {e}"))?;
    let mut diffs = Vec::new();
    diff("$", v, &back, &mut diffs);
    Ok(diffs)
}

/// Every JSON path where `a` and `b` differ.
fn diff(at: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => diff(&format!("{at}.{k}"), va, vb, out),
                    None => out.push(format!("{at}.{k} was dropped")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("{at}.{k} was added"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff(&format!("{at}[{i}]"), va, vb, out);
            }
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => {}
        _ if a == b => {}
        _ => out.push(format!("{at} changed from {a} to {b}")),
    }
}

/// The generated type for an example, by API, operation and kind.
fn typed_roundtrip(api: &str, op: &str, kind: &str, v: &Value) -> Option<Result<Vec<String>, String>> {
    let error = !kind.starts_with("response-2") && kind != "request";
    Some(match (api, op, kind) {
        ("worldpay-card-payments-v7", _, _) if error => roundtrip::<v7::types::Error>(v),
        ("worldpay-card-payments-v7", "authorize", "request") => roundtrip::<v7::types::AuthorizeRequest>(v),
        ("worldpay-card-payments-v7", "authorize", _) => roundtrip::<v7::types::AuthorizeResponse>(v),
        ("worldpay-card-payments-v7", "eventQuery", _) => roundtrip::<v7::types::EventResponse>(v),
        ("worldpay-card-payments-v7", _, "request") => roundtrip::<v7::types::PartialAmountRequest>(v),
        ("worldpay-card-payments-v7", "settle" | "partialSettlement" | "refund" | "partialRefund", _) => {
            roundtrip::<v7::types::CommandResponse>(v)
        }
        ("worldpay-card-payments-v7", _, _) => roundtrip::<v7::types::ActionResponse>(v),
        ("worldpay-payments-2024-06-01", _, _) if error => roundtrip::<wpp::types::Error>(v),
        ("worldpay-payments-2024-06-01", "payment", "request") => roundtrip::<wpp::types::PaymentRequest>(v),
        ("worldpay-payments-2024-06-01", "payment", _) => roundtrip::<wpp::types::PaymentResponse>(v),
        ("worldpay-payments-2024-06-01", "queryEvents", _) => roundtrip::<wpp::types::QueryResponse>(v),
        ("worldpay-payments-2024-06-01", _, "request") => roundtrip::<wpp::types::PartialAmountRequest>(v),
        ("worldpay-payments-2024-06-01", _, _) => roundtrip::<wpp::types::ModificationResponse>(v),
        ("adyen-payment-v40", _, _) if error => roundtrip::<adyen::types::ServiceError>(v),
        ("adyen-payment-v40", "post-authorise", "request") => roundtrip::<adyen::types::PaymentRequest>(v),
        ("adyen-payment-v40", "post-authorise", _) => roundtrip::<adyen::types::PaymentResult>(v),
        ("adyen-payment-v40", "post-cancel", "request") => roundtrip::<adyen::types::CancelRequest>(v),
        ("adyen-payment-v40", "post-cancelOrRefund", "request") => roundtrip::<adyen::types::CancelOrRefundRequest>(v),
        ("adyen-payment-v40", "post-technicalCancel", "request") => {
            roundtrip::<adyen::types::TechnicalCancelRequest>(v)
        }
        ("adyen-payment-v40", _, "request") => roundtrip::<adyen::types::CaptureRequest>(v),
        ("adyen-payment-v40", _, _) => roundtrip::<adyen::types::ModificationResult>(v),
        ("adyen-checkout-v71", _, _) if error => roundtrip::<checkout::types::ServiceError>(v),
        ("adyen-checkout-v71", "post-payments", "request") => roundtrip::<checkout::types::PaymentRequest>(v),
        ("adyen-checkout-v71", "post-payments", _) => roundtrip::<checkout::types::PaymentResponse>(v),
        ("adyen-checkout-v71", "post-cancels", "request") => roundtrip::<checkout::types::StandaloneCancelRequest>(v),
        ("adyen-checkout-v71", "post-cancels", _) => roundtrip::<checkout::types::StandaloneCancelResponse>(v),
        ("adyen-checkout-v71", op, kind) => {
            let request = kind == "request";
            match op.rsplit('-').next().unwrap_or_default() {
                "captures" if request => roundtrip::<checkout::types::CaptureRequest>(v),
                "captures" => roundtrip::<checkout::types::CaptureResponse>(v),
                "cancels" if request => roundtrip::<checkout::types::CancelRequest>(v),
                "cancels" => roundtrip::<checkout::types::CancelResponse>(v),
                "refunds" if request => roundtrip::<checkout::types::RefundRequest>(v),
                "refunds" => roundtrip::<checkout::types::RefundResponse>(v),
                "reversals" if request => roundtrip::<checkout::types::ReversalRequest>(v),
                "reversals" => roundtrip::<checkout::types::ReversalResponse>(v),
                "amountUpdates" if request => roundtrip::<checkout::types::AmountUpdateRequest>(v),
                "amountUpdates" => roundtrip::<checkout::types::AmountUpdateResponse>(v),
                _ => return None,
            }
        }
        _ => return None,
    })
}

#[test]
fn every_vendor_example_validates_and_round_trips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vendor-examples");
    let index: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(root.join("index.json")).unwrap()).unwrap();
    // The examples known not to validate, each with its reason (the lint's allow-list).
    let allow_list: Vec<String> = lint_embedded_examples().allowed.into_iter().map(|(f, _)| f).collect();
    let (mut checked, mut allowed, mut not_implemented) = (0, 0, 0);
    let mut failures = Vec::new();
    for entry in &index {
        let field = |k: &str| entry[k].as_str().unwrap_or_default().to_string();
        let (api_name, op_id, kind, file) = (field("api"), field("operationId"), field("kind"), field("file"));
        let api = Api::from_name(&api_name).unwrap_or_else(|| panic!("index.json names unknown API {api_name}"));
        let Some(op) = spec(api).operation(&op_id) else {
            not_implemented += 1;
            continue;
        };
        if allow_list.contains(&file) {
            allowed += 1;
            continue;
        }
        let value: Value = serde_json::from_str(&std::fs::read_to_string(root.join(&file)).unwrap()).unwrap();
        let body = if kind == "request" {
            op.request.as_ref()
        } else {
            let status: u16 = kind.trim_start_matches("response-").parse().unwrap();
            op.response(status).and_then(Option::as_ref)
        };
        let Some(body) = body else {
            failures.push(format!("{file}: {op_id} documents no body for {kind}"));
            continue;
        };
        for v in body.validate(&value) {
            failures.push(format!("{file}: schema: {v}"));
        }
        match typed_roundtrip(&api_name, &op_id, &kind, &value) {
            Some(Ok(diffs)) => failures.extend(diffs.into_iter().map(|d| format!("{file}: round trip: {d}"))),
            Some(Err(e)) => failures.push(format!("{file}: {e}")),
            None => failures.push(format!("{file}: no generated type mapped for {api_name} {op_id} {kind}")),
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{} problem(s):\n{}", failures.len(), failures.join("\n"));
    // The fixtures hold 283 examples for implemented operations, 9 of them allow-listed
    // (5 of those are Checkout payment methods other than a card).
    assert_eq!((checked, allowed), (274, 9), "fixture set changed: update this count deliberately");
    assert!(not_implemented > 0);
}

#[test]
fn allow_listed_examples_really_contradict_the_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vendor-examples");
    let allowed = lint_embedded_examples().allowed;
    assert_eq!(allowed.len(), 9, "{allowed:?}");
    for (file, why) in &allowed {
        let api = Api::from_name(file.split('/').next().unwrap()).unwrap();
        let op_id = file.split('/').nth(1).unwrap();
        let Some(op) = spec(api).operation(op_id) else { continue };
        let value: Value = serde_json::from_str(&std::fs::read_to_string(root.join(file)).unwrap()).unwrap();
        let name = file.rsplit('/').next().unwrap();
        let body = if name.starts_with("request.") {
            op.request.as_ref().unwrap()
        } else {
            let status: u16 = name.trim_start_matches("response-")[..3].parse().unwrap();
            op.response(status).and_then(Option::as_ref).unwrap()
        };
        assert!(!body.validate(&value).is_empty(), "{file} is allow-listed ({why}) but validates");
    }
}

#[test]
fn generated_types_export_json_schema() {
    let schema = schemars::schema_for!(v7::types::AuthorizeRequest);
    let text = serde_json::to_string(&schema).unwrap();
    for field in ["transactionReference", "instruction", "channel", "merchant"] {
        assert!(text.contains(field), "schema lacks {field}: {text}");
    }
    let adyen_schema = serde_json::to_value(schemars::schema_for!(adyen::types::ModificationResult)).unwrap();
    assert!(adyen_schema.to_string().contains("[cancel-received]"));
}
