//! Issue 24: the twin's Adyen Checkout API, attacked as well as exercised: its answers'
//! shapes, its money rules under concurrency, its idempotency keys (which must take the
//! payment in the path into account), hostile path parameters and many merchants.

use std::sync::Arc;

use payconform::sandbox::{SandboxServer, Twin, TwinRequest};
use serde_json::{Value, json};

const KEY: (&str, &str) = ("x-api-key", "checkout-key");

fn call(twin: &Twin, path: &str, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
    let mut h: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    h.push(("content-type".into(), "application/json".into()));
    let req =
        TwinRequest { method: "POST".into(), path: path.into(), headers: h, body: serde_json::to_vec(body).unwrap() };
    let r = twin.handle(&req);
    (r.status, r.body)
}

fn payment(amount: i64) -> Value {
    json!({"merchantAccount": "M", "reference": "order-1", "amount": {"value": amount, "currency": "EUR"},
           "returnUrl": "https://example.org/r",
           "paymentMethod": {"type": "scheme", "number": "4111111111111111", "expiryMonth": "03",
                             "expiryYear": "2030", "cvc": "737", "holderName": "A Shopper"}})
}

fn pay(twin: &Twin, key: (&str, &str), amount: i64) -> String {
    let (s, b) = call(twin, "/checkout/v71/payments", &[key], &payment(amount));
    assert_eq!((s, b["resultCode"].as_str()), (200, Some("Authorised")), "{b}");
    b["pspReference"].as_str().unwrap().to_string()
}

fn inspect(twin: &Twin, key: (&str, &str), psp: &str) -> Value {
    let req = TwinRequest {
        method: "GET".into(),
        path: format!("/checkout/v71/__twin/payments/{psp}"),
        headers: vec![(key.0.into(), key.1.into())],
        body: vec![],
    };
    twin.handle(&req).body
}

fn money(v: i64) -> Value {
    json!({"merchantAccount": "M", "amount": {"value": v, "currency": "EUR"}})
}

#[test]
fn payments_and_modifications_answer_in_checkouts_shape_on_v71_and_v72() {
    let twin = Twin::default();
    for version in ["v71", "v72"] {
        let (s, b) = call(&twin, &format!("/checkout/{version}/payments"), &[KEY], &payment(1000));
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["merchantReference"], "order-1");
        assert_eq!(b["amount"], json!({"value": 1000, "currency": "EUR"}));
        assert_eq!(b["additionalData"]["authCode"].as_str().map(str::len), Some(6), "{b}");
        assert!(b.get("authCode").is_none(), "{b}");
        let psp = b["pspReference"].as_str().unwrap();
        let path = format!("/checkout/{version}/payments/{psp}/captures");
        let (s, c) = call(
            &twin,
            &path,
            &[KEY],
            &json!({"merchantAccount": "M", "reference": "cap-1",
            "amount": {"value": 400, "currency": "EUR"}}),
        );
        assert_eq!(s, 201, "{c}");
        assert_eq!((c["status"].as_str(), c["paymentPspReference"].as_str()), (Some("received"), Some(psp)));
        assert_eq!((c["reference"].as_str(), c["merchantAccount"].as_str()), (Some("cap-1"), Some("M")));
        assert_ne!(c["pspReference"].as_str(), Some(psp), "a modification has its own pspReference");
        // Adyen's own /v72 path (checkout-test.adyen.com/v72) is the same API.
        let (s, r) = call(&twin, &format!("/{version}/payments/{psp}/refunds"), &[KEY], &money(100));
        assert_eq!((s, r["status"].as_str()), (201, Some("received")), "{r}");
        let seen = inspect(&twin, KEY, psp);
        assert_eq!((seen["captured"].as_i64(), seen["refunded"].as_i64()), (Some(400), Some(100)), "{seen}");
    }
    // An amount update without a reference still answers one (Adyen's schema requires it).
    let psp = pay(&twin, KEY, 1000);
    let (s, b) = call(&twin, &format!("/checkout/v71/payments/{psp}/amountUpdates"), &[KEY], &money(1500));
    assert_eq!((s, b["reference"].as_str()), (201, Some("")), "{b}");
}

#[test]
fn a_capture_beyond_the_authorised_amount_is_received_and_moves_no_money() {
    let twin = Twin::default();
    let psp = pay(&twin, KEY, 1000);
    let path = format!("/checkout/v71/payments/{psp}/captures");
    for v in [600, 400, 1] {
        let (s, b) = call(&twin, &path, &[KEY], &money(v));
        assert_eq!((s, b["status"].as_str()), (201, Some("received")), "{b}");
    }
    let seen = inspect(&twin, KEY, &psp);
    assert_eq!(seen["captured"].as_i64(), Some(1000), "{seen}");
    let outcomes: Vec<bool> =
        seen["modifications"].as_array().unwrap().iter().map(|m| m["success"].as_bool().unwrap()).collect();
    assert_eq!(outcomes, vec![true, true, false], "{seen}");
    // A refund beyond the capture, and a cancel after it: received, failed, no money.
    let (s, _) = call(&twin, &format!("/checkout/v71/payments/{psp}/refunds"), &[KEY], &money(1001));
    assert_eq!(s, 201);
    let (s, _) =
        call(&twin, &format!("/checkout/v71/payments/{psp}/cancels"), &[KEY], &json!({"merchantAccount": "M"}));
    assert_eq!(s, 201);
    let seen = inspect(&twin, KEY, &psp);
    assert_eq!((seen["refunded"].as_i64(), seen["cancelled"].as_i64()), (Some(0), Some(0)), "{seen}");
}

#[test]
fn unknown_payments_hostile_references_and_other_merchants_get_422_167() {
    let twin = Twin::default();
    let psp = pay(&twin, KEY, 1000);
    let long = "A".repeat(4096);
    for bad in ["8835511210681441", "%FF%FE", "%00", "..", long.as_str(), "%E2%80%AE"] {
        let (s, b) = call(&twin, &format!("/checkout/v71/payments/{bad}/captures"), &[KEY], &money(1));
        assert_eq!((s, b["errorCode"].as_str()), (422, Some("167")), "{bad:.20}: {b}");
    }
    // Another credential is another merchant: the payment is invisible to it.
    let (s, b) = call(&twin, &format!("/checkout/v71/payments/{psp}/captures"), &[("x-api-key", "other")], &money(1));
    assert_eq!((s, b["errorCode"].as_str()), (422, Some("167")), "{b}");
    let (s, b) = call(
        &twin,
        "/checkout/v71/cancels",
        &[("x-api-key", "other")],
        &json!({"merchantAccount": "M", "paymentReference": "order-1"}),
    );
    assert_eq!((s, b["errorCode"].as_str()), (422, Some("167")), "{b}");
    assert_eq!(inspect(&twin, KEY, &psp)["captured"].as_i64(), Some(0));
    // A missing returnUrl is Adyen's 14_030; a non-card paymentMethod is a validation error.
    let mut p = payment(1);
    p.as_object_mut().unwrap().remove("returnUrl");
    let (s, b) = call(&twin, "/checkout/v71/payments", &[KEY], &p);
    assert_eq!(
        (s, b["errorCode"].as_str(), b["message"].as_str()),
        (422, Some("14_030"), Some("Return URL is missing."))
    );
    let mut p = payment(1);
    p["paymentMethod"] = json!({"type": "ideal", "issuer": "1121"});
    let (s, b) = call(&twin, "/checkout/v71/payments", &[KEY], &p);
    assert_eq!(s, 422, "{b}");
    // Card fields are named as Checkout spells them.
    let mut p = payment(1);
    p["paymentMethod"]["number"] = json!("4111111111111112");
    let (s, b) = call(&twin, "/checkout/v71/payments", &[KEY], &p);
    assert_eq!((s, b["errorCode"].as_str()), (422, Some("101")), "{b}");
}

/// The same `Idempotency-Key` and body on another payment is another request: never the
/// first payment's answer replayed (which would tell a client that a capture it never
/// made was received), and never a second capture of the first.
#[test]
fn an_idempotency_key_is_bound_to_the_payment_in_the_path() {
    let twin = Twin::default();
    let (a, b) = (pay(&twin, KEY, 1000), pay(&twin, KEY, 1000));
    let idem = ("idempotency-key", "capture-once");
    let (s1, r1) = call(&twin, &format!("/checkout/v71/payments/{a}/captures"), &[KEY, idem], &money(500));
    let (s2, r2) = call(&twin, &format!("/checkout/v71/payments/{a}/captures"), &[KEY, idem], &money(500));
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(r1, r2, "a retry replays the first answer");
    let (s3, r3) = call(&twin, &format!("/checkout/v71/payments/{b}/captures"), &[KEY, idem], &money(500));
    assert_eq!((s3, r3["errorCode"].as_str()), (422, Some("704")), "{r3}");
    assert_eq!(inspect(&twin, KEY, &a)["captured"].as_i64(), Some(500), "captured once");
    assert_eq!(inspect(&twin, KEY, &b)["captured"].as_i64(), Some(0));
    // Another merchant's identical key is its own.
    let c = pay(&twin, ("x-api-key", "other"), 1000);
    let (s4, _) =
        call(&twin, &format!("/checkout/v71/payments/{c}/captures"), &[("x-api-key", "other"), idem], &money(500));
    assert_eq!(s4, 201);
}

/// Many concurrent partial captures and refunds over HTTP, on both Adyen APIs at once:
/// never more captured than authorised, never more refunded than captured.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_captures_and_refunds_never_create_money() {
    let srv = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = reqwest::Client::new();
    let base = srv.url();
    let authorised: Value = http
        .post(format!("{base}/checkout/v72/payments"))
        .header(KEY.0, KEY.1)
        .json(&payment(1000))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let psp = Arc::new(authorised["pspReference"].as_str().unwrap().to_string());
    let mut tasks = Vec::new();
    for i in 0..64 {
        let (http, base, psp) = (http.clone(), base.clone(), psp.clone());
        tasks.push(tokio::spawn(async move {
            let (url, body) = match i % 4 {
                // Classic and Checkout share the ledger: a capture by either counts.
                0 => (
                    format!("{base}/pal/servlet/Payment/v40/capture"),
                    json!({"merchantAccount": "M", "originalReference": *psp,
                             "modificationAmount": {"value": 70, "currency": "EUR"}}),
                ),
                1 => (format!("{base}/checkout/v71/payments/{psp}/captures"), money(70)),
                2 => (format!("{base}/checkout/v72/payments/{psp}/refunds"), money(50)),
                _ => (format!("{base}/checkout/v71/payments/{psp}/reversals"), json!({"merchantAccount": "M"})),
            };
            http.post(url).header(KEY.0, KEY.1).json(&body).send().await.unwrap().status().as_u16()
        }));
    }
    for t in tasks {
        assert!(matches!(t.await.unwrap(), 200 | 201));
    }
    let seen: Value = http
        .get(format!("{base}/checkout/v71/__twin/payments/{psp}"))
        .header(KEY.0, KEY.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (captured, refunded, cancelled) =
        (seen["captured"].as_i64().unwrap(), seen["refunded"].as_i64().unwrap(), seen["cancelled"].as_i64().unwrap());
    assert!(captured + cancelled <= 1000, "{seen}");
    assert!(refunded <= captured, "{seen}");
    // What the successful modifications say adds up to the totals.
    let sum = |kind: &str| -> i64 {
        seen["modifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["eventCode"] == kind && m["success"] == true)
            .map(|m| m["amount"].as_i64().unwrap_or(0))
            .sum()
    };
    assert_eq!(sum("capture"), captured, "{seen}");
    srv.shutdown().await;
}
