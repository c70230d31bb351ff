//! Adyen standard notifications for the twin's events, their fields as in Adyen's own
//! examples (Webhooks-v1).

use serde_json::{Value, json};

use crate::sandbox::Ctx;
use crate::sandbox::ledger::Payment;

/// What one notification says.
#[derive(Clone, Copy)]
pub(super) struct Notice<'a> {
    pub(super) event: &'a str,
    pub(super) psp_reference: &'a str,
    pub(super) amount: Option<i64>,
    pub(super) success: bool,
    pub(super) reason: Option<&'a str>,
    /// CANCEL_OR_REFUND: `cancel` or `refund`.
    pub(super) action: Option<&'a str>,
}

/// Queue an Adyen standard notification for this event, if webhooks are configured.
/// Its fields follow Adyen's own examples (Webhooks-v1): `paymentMethod` is the card
/// brand; a successful AUTHORISATION carries `operations` and a `reason` of
/// `authCode:last4:expiry`; CANCEL_OR_REFUND carries `modification.action`.
pub(super) fn notify(ctx: &Ctx<'_>, body: &Value, p: &Payment, n: Notice<'_>) {
    let Some(w) = &ctx.twin.webhooks else { return };
    let Notice { event, psp_reference, amount, success, reason, action } = n;
    let modification = event != "AUTHORISATION";
    let currency = body["modificationAmount"]["currency"].as_str().unwrap_or(&p.currency);
    let mut item = json!({
        "pspReference": psp_reference,
        "merchantAccountCode": body["merchantAccount"].as_str().unwrap_or(""),
        "merchantReference": body["reference"].as_str().unwrap_or(&p.reference),
        "eventCode": event,
        "eventDate": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "success": if success { "true" } else { "false" },
        "amount": {"value": amount.unwrap_or(if modification { p.authorized } else { p.requested }), "currency": currency},
        "paymentMethod": if p.brand.is_empty() { "scheme" } else { p.brand },
        "additionalData": {},
    });
    if modification {
        item["originalReference"] = json!(p.external_id);
    }
    if let Some(a) = action {
        item["additionalData"]["modification.action"] = json!(a);
    }
    match reason {
        Some(r) => item["reason"] = json!(r),
        None if !modification && success => {
            let card = &body["card"];
            let number = card["number"].as_str().unwrap_or("");
            let last4 = &number[number.len().saturating_sub(4)..];
            let expiry =
                format!("{}/{}", card["expiryMonth"].as_str().unwrap_or(""), card["expiryYear"].as_str().unwrap_or(""));
            item["reason"] = json!(format!("{}:{last4}:{expiry}", auth_code(psp_reference)));
            item["operations"] = json!(["CANCEL", "CAPTURE", "REFUND"]);
        }
        None => item["reason"] = json!(""),
    }
    w.send(item);
}

/// A six-digit authorisation code for a payment, fixed by its pspReference.
fn auth_code(psp_reference: &str) -> String {
    let h = psp_reference.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("{:06}", h % 1_000_000)
}
