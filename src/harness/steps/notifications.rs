//! Adyen standard notifications: wait for the one an event of this scenario's payment
//! sends, check its HMAC signature and its body against the spec, then what it says.
//! Tag such scenarios `@notifications`: a run without a receiver skips them.

use std::time::Instant;

use cucumber::then;
use serde_json::Value;

use super::params::EventCode;
use crate::harness::world::ConformanceWorld;
use crate::spec::spec;

/// `Then a CAPTURE notification arrives with success "true"`
#[then(expr = "a {event} notification arrives with success {string}")]
async fn arrives(w: &mut ConformanceWorld, event: EventCode, success: String) -> Result<(), String> {
    check(w, &event.0, &success, None).await
}

/// `Then a CAPTURE notification arrives with success "true" and amount 600`
#[then(expr = "a {event} notification arrives with success {string} and amount {int}")]
async fn arrives_with_amount(
    w: &mut ConformanceWorld,
    event: EventCode,
    success: String,
    amount: i64,
) -> Result<(), String> {
    check(w, &event.0, &success, Some(amount)).await
}

async fn check(w: &ConformanceWorld, event: &str, success: &str, amount: Option<i64>) -> Result<(), String> {
    if !matches!(success, "true" | "false") {
        return Err(format!("success is the string \"true\" or \"false\" in Adyen's notifications, not {success:?}"));
    }
    let ctx = w.ctx()?;
    let n = ctx.notifications.as_ref().ok_or("this run receives no notifications (tag the scenario @notifications)")?;
    let payment = w.payment.psp_reference.clone().ok_or("no pspReference: authorise a payment first")?;
    // The modification this scenario made last, if the latest answer was one: then only
    // its own notification will do (an earlier one of the same kind must not pass).
    let modification = w
        .last
        .as_ref()
        // A modification's acknowledgement: classic `response`, Checkout `status: received`.
        .filter(|r| r.body.get("response").is_some() || r.body["status"] == "received")
        .and_then(|r| r.body["pspReference"].as_str().map(String::from));
    let ours = |item: &Value| {
        let psp = item["pspReference"].as_str();
        let original = item["originalReference"].as_str();
        item["eventCode"].as_str() == Some(event)
            && match (&modification, event) {
                (_, "AUTHORISATION") => psp == Some(payment.as_str()),
                (Some(m), _) => psp == Some(m.as_str()),
                (None, _) => original == Some(payment.as_str()),
            }
    };
    let deadline = Instant::now() + ctx.notification_wait;
    let (body, item) = loop {
        // Made before looking, so a body kept between the look and the wait still wakes it.
        let arrived = n.receiver.arrived.notified();
        let found = {
            let got = n.receiver.received.lock().unwrap_or_else(|e| e.into_inner());
            got.newest_first().find_map(|body| {
                let item = crate::notification::items(&body).unwrap_or_default().into_iter().find(|i| ours(i)).cloned();
                item.map(|i| (body, i))
            })
        };
        if let Some(found) = found {
            break found;
        }
        if Instant::now() >= deadline {
            let dropped = n.receiver.received.lock().unwrap_or_else(|e| e.into_inner()).dropped();
            return Err(format!(
                "no {event} notification for payment {payment}{} arrived within {} s{}",
                modification.as_deref().map(|m| format!(" (modification {m})")).unwrap_or_default(),
                ctx.notification_wait.as_secs(),
                dropped.map(|d| format!(" (the receiver keeps only signed notifications: {d})")).unwrap_or_default()
            ));
        }
        // Woken when the next body arrives; the deadline bounds the wait.
        let _ = tokio::time::timeout_at(deadline.into(), arrived).await;
    };
    crate::notification::verify(&item, &n.hmac_key).map_err(|e| format!("the {event} notification: {e}: {item}"))?;
    if let Some(schema) = spec(w.api()?).webhook("notification") {
        let v = schema.validate(&body);
        if !v.is_empty() {
            let list: Vec<String> = v.iter().map(|v| format!("{}: {}", v.json_path, v.message)).collect();
            return Err(format!("the {event} notification does not match spec/: {}", list.join("; ")));
        }
    }
    if item["success"].as_str() != Some(success) {
        return Err(format!("the {event} notification has success {}, expected {success:?}: {item}", item["success"]));
    }
    if let Some(a) = amount
        && item["amount"]["value"].as_i64() != Some(a)
    {
        return Err(format!("the {event} notification has amount {}, expected {a}: {item}", item["amount"]));
    }
    Ok(())
}
