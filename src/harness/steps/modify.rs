//! Managing a payment: settle (Adyen: capture), cancel, refund, reverse (Adyen:
//! cancelOrRefund), fully or partially. Worldpay steps follow the action links the
//! responses gave; Adyen steps reference the pspReference, as that API is designed.

use cucumber::{given, when};
use serde_json::Value;

use super::params::{Full, Partial};
use crate::harness::world::requests::{AdyenRequest, adyen_cancel_by_reference, adyen_request};
use crate::harness::world::{Action, ConformanceWorld, Tweak};
use crate::operation::Vendor;

/// Send an Adyen modification: through the generated client, or raw with a tweak.
async fn send_adyen(w: &mut ConformanceWorld, mut r: AdyenRequest, mut tweak: Option<Tweak>) -> Result<(), String> {
    // Checkout names the payment in the path: "the field paymentPspReference" is that
    // path segment.
    if let (Some(t), Some(href), Some(psp)) = (tweak.as_mut(), r.href.as_mut(), w.payment.psp_reference.as_deref())
        && let Some((_, value)) = t.set_field.take_if(|(f, _)| f == "paymentPspReference")
    {
        let value = value.as_str().unwrap_or_default();
        *href = href.replace(&format!("/{psp}/"), &format!("/{value}/"));
    }
    match (tweak, &r.href) {
        (Some(t), href) => w.call_raw(r.op, href.as_deref(), Some(r.body), t).await,
        (None, None) => w.call(r.op, None, Some(r.body)).await,
        (None, Some(href)) => {
            let link = w.resolve(href).map_err(|e| e.to_string())?.link_data;
            w.call(r.op, Some(&link), Some(r.body)).await
        }
    }
}

async fn act(
    w: &mut ConformanceWorld,
    action: Action,
    amount: Option<i64>,
    tweak: Option<Tweak>,
) -> Result<(), String> {
    act_with(w, action, amount, tweak, false).await
}

async fn act_with(
    w: &mut ConformanceWorld,
    action: Action,
    amount: Option<i64>,
    tweak: Option<Tweak>,
    stale: bool,
) -> Result<(), String> {
    match w.api()? {
        api if api.vendor() == Vendor::Adyen => {
            let r = adyen_request(w, action, amount)?;
            // What the payment has had captured, for a later full refund: counted when
            // the capture is received (its outcome is the notification's).
            let captured = (r.op.action == Some(Action::Settle))
                .then(|| r.body.pointer("/modificationAmount/value").or(r.body.pointer("/amount/value")))
                .flatten()
                .and_then(Value::as_i64);
            send_adyen(w, r, tweak).await?;
            if let (Some(v), Some(200 | 201)) = (captured, w.reply()?.status) {
                w.payment.captured += v;
            }
            Ok(())
        }
        _ => {
            let body = match amount {
                Some(a) => Some(w.amount_body(a)?),
                None => None,
            };
            w.follow(action, body, tweak, stale).await
        }
    }
}

/// `When I settle the payment` (also cancel, refund, reverse)
#[given(expr = "I {action} the payment")]
#[when(expr = "I {action} the payment")]
async fn full(w: &mut ConformanceWorld, action: Full) -> Result<(), String> {
    act(w, action.0, None, None).await
}

/// `When I settle the payment with an earlier link` (`@twin`: follows a link from an
/// earlier response that the latest one no longer offers, to see the rule enforced)
#[when(expr = "I {action} the payment with an earlier link")]
async fn full_stale(w: &mut ConformanceWorld, action: Full) -> Result<(), String> {
    act_with(w, action.0, None, None, true).await
}

/// `When I partially settle 1 with an earlier link` (`@twin`, as above)
#[when(expr = "I partially {partial} {int} with an earlier link")]
async fn partial_stale(w: &mut ConformanceWorld, action: Partial, amount: i64) -> Result<(), String> {
    act_with(w, action.0, Some(amount), None, true).await
}

/// `When I partially settle 100` (also cancel, refund)
#[given(expr = "I partially {partial} {int}")]
#[when(expr = "I partially {partial} {int}")]
async fn partial(w: &mut ConformanceWorld, action: Partial, amount: i64) -> Result<(), String> {
    act(w, action.0, Some(amount), None).await
}

/// `When I cancel the payment without the field "originalReference"` (request bodies only)
#[when(expr = "I {action} the payment without the field {string}")]
async fn full_without(w: &mut ConformanceWorld, action: Full, field: String) -> Result<(), String> {
    let t = Tweak { drop_field: Some(field), ..Tweak::default() };
    act(w, action.0, None, Some(t)).await
}

/// `When I cancel the payment with the field "originalReference" set to "8835511210681441"`
#[when(expr = "I {action} the payment with the field {string} set to {string}")]
async fn full_with(w: &mut ConformanceWorld, action: Full, field: String, value: String) -> Result<(), String> {
    let t = Tweak { set_field: Some((field, Value::String(value))), ..Tweak::default() };
    act(w, action.0, None, Some(t)).await
}

/// `When I partially refund 10 without the field "value.currency"`
#[when(expr = "I partially {partial} {int} without the field {string}")]
async fn partial_without(w: &mut ConformanceWorld, action: Partial, amount: i64, field: String) -> Result<(), String> {
    let t = Tweak { drop_field: Some(field), ..Tweak::default() };
    act(w, action.0, Some(amount), Some(t)).await
}

/// `When I technically cancel the payment` (Adyen, by merchant reference: classic
/// `technicalCancel`, Checkout `/cancels`)
#[given(expr = "I technically cancel the payment")]
#[when(expr = "I technically cancel the payment")]
async fn technical_cancel(w: &mut ConformanceWorld) -> Result<(), String> {
    if w.api()?.vendor() != Vendor::Adyen {
        return Err("technical cancel is an Adyen operation".into());
    }
    let r = adyen_cancel_by_reference(w)?;
    send_adyen(w, r, None).await
}

/// `When I adjust the authorisation to 1500` (Adyen: classic `adjustAuthorisation`,
/// Checkout `amountUpdates`)
#[given(expr = "I adjust the authorisation to {int}")]
#[when(expr = "I adjust the authorisation to {int}")]
async fn adjust(w: &mut ConformanceWorld, amount: i64) -> Result<(), String> {
    if w.api()?.vendor() != Vendor::Adyen {
        return Err("adjusting an authorisation is an Adyen operation".into());
    }
    let r = adyen_request(w, Action::AdjustAuthorisation, Some(amount))?;
    send_adyen(w, r, None).await?;
    if matches!(w.reply()?.status, Some(200 | 201)) {
        w.payment.amount = amount;
    }
    Ok(())
}
