//! The twin's Adyen standard notifications (issue 13): one per authorisation and
//! modification, in Adyen's envelope, valid against spec/ (`x-payconform-webhooks`),
//! signed so that an implementation of Adyen's documented algorithm written here,
//! apart from `payconform::notification`, verifies them, and retried until the receiver
//! answers `[accepted]`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use payconform::sandbox::WebhookConfig;
use payconform::sandbox::{Twin, TwinConfig, TwinRequest};
use payconform::spec::{Api, spec};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const KEY: &str = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";

/// Wait, polling, until the receiver holds `n` notifications or 10 s pass: the twin
/// delivers them from a background task after its configured delay. The callers assert
/// what arrived.
async fn received(got: &Mutex<Vec<(Value, String)>>, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while got.lock().unwrap().len() < n && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A receiver that refuses the first delivery (HTTP 500) and accepts the rest; it
/// records each accepted body with its Authorization header.
async fn receiver() -> (String, Arc<Mutex<Vec<(Value, String)>>>, Arc<Mutex<u32>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(Mutex::new(0u32));
    let (g, r) = (got.clone(), refused.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            let (g, r) = (g.clone(), r.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = s.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some(end) = text.find("\r\n\r\n") else { continue };
                    let head = text[..end].to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() < end + 4 + len {
                        continue;
                    }
                    let body: Value = serde_json::from_slice(&buf[end + 4..end + 4 + len]).unwrap();
                    let auth = text[..end]
                        .lines()
                        .find_map(|l| l.strip_prefix("authorization: ").or_else(|| l.strip_prefix("Authorization: ")))
                        .unwrap_or("")
                        .to_string();
                    let first = {
                        let mut r = r.lock().unwrap();
                        *r += 1;
                        *r == 1
                    };
                    let reply = if first {
                        "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            .to_string()
                    } else {
                        g.lock().unwrap().push((body, auth));
                        "HTTP/1.1 200 OK\r\ncontent-length: 10\r\nconnection: close\r\n\r\n[accepted]".to_string()
                    };
                    let _ = s.write_all(reply.as_bytes()).await;
                    return;
                }
            });
        }
    });
    (url, got, refused)
}

/// Adyen's documented HMAC rule, written out here on its own.
fn independently_valid(item: &Value) -> bool {
    let f = |p: &str| match item.pointer(p) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let payload = [
        "/pspReference",
        "/originalReference",
        "/merchantAccountCode",
        "/merchantReference",
        "/amount/value",
        "/amount/currency",
        "/eventCode",
        "/success",
    ]
    .map(f)
    .join(":");
    let key: Vec<u8> = (0..KEY.len()).step_by(2).map(|i| u8::from_str_radix(&KEY[i..i + 2], 16).unwrap()).collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(payload.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    item.pointer("/additionalData/hmacSignature").and_then(Value::as_str) == Some(expected.as_str())
}

fn call(twin: &Twin, op: &str, body: Value) -> Value {
    let r = twin.handle(&TwinRequest {
        method: "POST".into(),
        path: format!("/pal/servlet/Payment/v68/{op}"),
        headers: vec![("x-api-key".into(), "k".into()), ("content-type".into(), "application/json".into())],
        body: serde_json::to_vec(&body).unwrap(),
    });
    assert_eq!(r.status, 200, "{op}: {}", r.body);
    r.body
}

fn authorise(twin: &Twin, holder: &str) -> String {
    let b = call(
        twin,
        "authorise",
        json!({"merchantAccount": "TestMerchant", "reference": format!("order-{holder}"),
               "amount": {"value": 1000, "currency": "EUR"},
               "card": {"number": "4111111111111111", "expiryMonth": "03", "expiryYear": "2030", "cvc": "737", "holderName": holder}}),
    );
    b["pspReference"].as_str().unwrap().to_string()
}

fn modification(twin: &Twin, op: &str, psp: &str, value: i64, currency: &str) -> String {
    let b = call(
        twin,
        op,
        json!({"merchantAccount": "TestMerchant", "originalReference": psp,
               "modificationAmount": {"value": value, "currency": currency}}),
    );
    b["pspReference"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_event_is_notified_signed_valid_and_retried_until_accepted() {
    let (url, got, attempts) = receiver().await;
    let twin = Twin::new(TwinConfig {
        webhook: Some(WebhookConfig {
            url,
            hmac_key: Some(KEY.into()),
            basic: Some("hook:secret".into()),
            delay: Duration::from_millis(10),
            retry: Duration::from_millis(50),
            ..Default::default()
        }),
        ..Default::default()
    });
    let ok = authorise(&twin, "A Shopper");
    let capture = modification(&twin, "capture", &ok, 600, "EUR");
    let wrong_currency = modification(&twin, "refund", &ok, 100, "USD");
    let refund = modification(&twin, "refund", &ok, 100, "EUR");
    let failing = authorise(&twin, "capture failed");
    let failed_capture = modification(&twin, "capture", &failing, 1000, "EUR");
    let refused = authorise(&twin, "DECLINED");
    let to_reverse = authorise(&twin, "B Shopper");
    let reversed = call(
        &twin,
        "cancelOrRefund",
        json!({"merchantAccount": "TestMerchant", "originalReference": to_reverse}),
    )["pspReference"]
        .as_str()
        .unwrap()
        .to_string();

    received(&got, 10).await;
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 10, "{got:#?}");
    assert_eq!(*attempts.lock().unwrap(), 11, "one refused attempt, retried, then ten accepted");
    let schema = spec(Api::Adyen).webhook("notification").expect("declared in spec/");
    let mut items = Vec::new();
    for (body, auth) in &got {
        assert_eq!(schema.validate(body), vec![], "{body}");
        assert_eq!(body["live"], "false");
        assert_eq!(auth, &format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("hook:secret")));
        let item = body["notificationItems"][0]["NotificationRequestItem"].clone();
        assert!(independently_valid(&item), "{item}");
        assert_eq!(payconform::notification::verify(&item, KEY), Ok(()));
        items.push(item);
    }
    let find_event = |psp: &str, event: Option<&str>| {
        items
            .iter()
            .find(|i| i["pspReference"] == psp && event.is_none_or(|e| i["eventCode"] == e))
            .unwrap_or_else(|| panic!("no notification for {psp}: {items:#?}"))
    };
    let find = |psp: &str| find_event(psp, None);
    // Adyen's examples (Webhooks-v1): pspReferences of 16 letters and digits, the card
    // brand as paymentMethod.
    for i in &items {
        let psp = i["pspReference"].as_str().unwrap();
        assert!(psp.len() == 16 && psp.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()), "{psp}");
        assert_eq!(i["paymentMethod"], "visa", "{i}");
    }
    let a = find(&ok);
    assert_eq!(
        (a["eventCode"].as_str(), a["success"].as_str(), a["amount"]["value"].as_i64()),
        (Some("AUTHORISATION"), Some("true"), Some(1000))
    );
    assert_eq!(a["merchantReference"], "order-A Shopper");
    // A successful AUTHORISATION: operations, and a reason of authCode:last4:expiry.
    assert_eq!(a["operations"], json!(["CANCEL", "CAPTURE", "REFUND"]));
    let reason = a["reason"].as_str().unwrap();
    let parts: Vec<&str> = reason.split(':').collect();
    assert!(parts.len() == 3 && parts[0].len() == 6 && parts[0].bytes().all(|b| b.is_ascii_digit()), "{reason}");
    assert_eq!(&parts[1..], ["1111", "03/2030"], "{reason}");
    let c = find(&capture);
    assert_eq!(
        (c["eventCode"].as_str(), c["success"].as_str(), c["originalReference"].as_str()),
        (Some("CAPTURE"), Some("true"), Some(ok.as_str()))
    );
    let w = find(&wrong_currency);
    assert_eq!((w["eventCode"].as_str(), w["success"].as_str()), (Some("REFUND"), Some("false")));
    assert!(w["reason"].as_str().is_some_and(|r| r.contains("USD")), "{w}");
    assert_eq!(find(&refund)["success"], "true");
    // Adyen's CAPTURE_FAILED example: success "true" and the reason "Capture Failed",
    // after the capture's own CAPTURE.
    let f = find_event(&failed_capture, Some("CAPTURE_FAILED"));
    assert_eq!((f["success"].as_str(), f["reason"].as_str()), (Some("true"), Some("Capture Failed")));
    assert_eq!(find_event(&failed_capture, Some("CAPTURE"))["success"], "true");
    // Adyen's CANCEL_OR_REFUND example: what was done, in modification.action.
    let r = find_event(&reversed, Some("CANCEL_OR_REFUND"));
    assert_eq!(r["additionalData"]["modification.action"], "cancel", "{r}");
    let r = find(&refused);
    assert_eq!(
        (r["eventCode"].as_str(), r["success"].as_str(), r["reason"].as_str()),
        (Some("AUTHORISATION"), Some("false"), Some("Refused"))
    );
}

fn authorise_with_key(twin: &Twin, api_key: &str, key: &str, value: i64) -> (u16, Value, Vec<(&'static str, String)>) {
    let body = json!({"merchantAccount": "TestMerchant", "reference": "order-1", "amount": {"value": value, "currency": "EUR"},
        "card": {"number": "4111111111111111", "expiryMonth": "03", "expiryYear": "2030", "cvc": "737", "holderName": "A"}});
    let r = twin.handle(&TwinRequest {
        method: "POST".into(),
        path: "/pal/servlet/Payment/v68/authorise".into(),
        headers: vec![
            ("x-api-key".into(), api_key.into()),
            ("content-type".into(), "application/json".into()),
            ("idempotency-key".into(), key.into()),
        ],
        body: serde_json::to_vec(&body).unwrap(),
    });
    (r.status, r.body, r.headers)
}

/// Adyen's "API idempotency": the same key and body return the first answer without a
/// second payment; another body gets 422 "704"; keys are per credential; the store is
/// bounded and evicts the oldest key first.
#[test]
fn idempotency_keys_replay_refuse_and_are_scoped_and_bounded() {
    let twin = Twin::default();
    let (s1, b1, h1) = authorise_with_key(&twin, "k1", "key-1", 1000);
    let (s2, b2, _) = authorise_with_key(&twin, "k1", "key-1", 1000);
    assert_eq!((s1, &b1), (s2, &b2), "the same key and body replay the first answer");
    assert!(h1.iter().any(|(n, v)| *n == "Idempotency-Key" && v == "key-1"), "{h1:?}");
    // Another body: the twin's choice (Adyen compares no bodies), 422 704, not to retry.
    let (s3, b3, h3) = authorise_with_key(&twin, "k1", "key-1", 999);
    assert_eq!((s3, b3["errorCode"].as_str()), (422, Some("704")), "{b3}");
    assert!(h3.iter().any(|(n, v)| *n == "Transient-Error" && v == "false"), "{h3:?}");
    let (s4, b4, _) = authorise_with_key(&twin, "k2", "key-1", 1000);
    assert_eq!(s4, 200);
    assert_ne!(b4["pspReference"], b1["pspReference"], "another credential's key is another key");
    // Without a key, the same body is a new payment.
    let (_, n1, _) = authorise_with_key(&twin, "k1", "", 1000);
    assert_ne!(n1["pspReference"], b1["pspReference"]);
    // Bounded: after CAPACITY newer keys the first is forgotten, and a retry with it
    // is a new payment.
    for i in 0..payconform::sandbox::IDEMPOTENCY_KEYS {
        authorise_with_key(&twin, "k1", &format!("fill-{i}"), 1);
    }
    let (_, again, _) = authorise_with_key(&twin, "k1", "key-1", 1000);
    assert_ne!(again["pspReference"], b1["pspReference"], "evicted");
}

/// Adyen's own example notifications (Webhooks-v1, `tests/fixtures/vendor-facts/`):
/// for each event the twin sends, its item carries every field Adyen's example has
/// (but what depends on the payment method), and `success` is what Adyen's example
/// says for the events whose example is a failure event (`CAPTURE_FAILED`,
/// `REFUND_FAILED`: "true").
#[tokio::test]
async fn notifications_carry_the_fields_of_adyens_examples() {
    let examples: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/vendor-facts/adyen-webhooks-v1.examples.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let (url, got, _) = receiver().await;
    let twin = Twin::new(TwinConfig {
        webhook: Some(WebhookConfig {
            url,
            hmac_key: Some(KEY.into()),
            delay: Duration::from_millis(10),
            retry: Duration::from_millis(50),
            ..Default::default()
        }),
        ..Default::default()
    });
    let ok = authorise(&twin, "A Shopper");
    modification(&twin, "capture", &ok, 600, "EUR");
    let failing = authorise(&twin, "capture failed");
    modification(&twin, "capture", &failing, 1000, "EUR");
    let to_reverse = authorise(&twin, "B Shopper");
    call(&twin, "cancelOrRefund", json!({"merchantAccount": "TestMerchant", "originalReference": to_reverse}));
    received(&got, 7).await;
    let items: Vec<Value> =
        got.lock().unwrap().iter().map(|(b, _)| b["notificationItems"][0]["NotificationRequestItem"].clone()).collect();
    let mut compared = 0;
    for item in &items {
        let event = item["eventCode"].as_str().unwrap();
        let Some(example) = examples[format!("/{event}")][0]["notificationItems"][0].get("NotificationRequestItem")
        else {
            continue;
        };
        for field in example.as_object().unwrap().keys() {
            // additionalData's keys depend on the payment method and the account's settings.
            if field == "additionalData" {
                continue;
            }
            assert!(item.get(field).is_some(), "{event}: Adyen's example has {field}, ours does not: {item}");
        }
        if event.ends_with("_FAILED") {
            assert_eq!(item["success"], example["success"], "{event}");
            assert_eq!(item["reason"], example["reason"], "{event}");
        }
        if let Some(action) = example["additionalData"].get("modification.action") {
            assert!(item["additionalData"]["modification.action"].is_string(), "{event}: {action}");
        }
        compared += 1;
    }
    assert!(compared >= 7, "AUTHORISATION ×3, CAPTURE ×2, CAPTURE_FAILED, CANCEL_OR_REFUND: {items:#?}");
}
