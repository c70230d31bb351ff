//! Managing a payment: settle (Adyen: capture), cancel, refund, reverse (Adyen:
//! cancelOrRefund), fully or partially. Worldpay steps follow the action links the
//! responses gave; Adyen steps reference the pspReference, as that API is designed.

use cucumber::{given, when};
use serde_json::{Value, json};

use super::params::{Full, Partial};
use crate::client::adyen::Op as AdyenOp;
use crate::harness::world::requests::adyen_request;
use crate::harness::world::{Action, ConformanceWorld, Tweak};
use crate::operation::Api;

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
        Api::Adyen => {
            let (op, b) = adyen_request(w, action, amount)?;
            let captured = (AdyenOp::of(op) == Some(AdyenOp::PostCapture))
                .then(|| b["modificationAmount"]["value"].as_i64().unwrap_or(0));
            match tweak {
                Some(t) => w.call_raw(op, None, Some(b), t).await?,
                None => w.call(op, None, Some(b)).await?,
            }
            if let (Some(v), Some(200)) = (captured, w.reply()?.status) {
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

/// `When I technically cancel the payment` (Adyen, by merchant reference)
#[given(expr = "I technically cancel the payment")]
#[when(expr = "I technically cancel the payment")]
async fn technical_cancel(w: &mut ConformanceWorld) -> Result<(), String> {
    if w.api()? != Api::Adyen {
        return Err("technical cancel is an Adyen operation".into());
    }
    let merchant = w.conn()?.endpoint.merchant.clone();
    let b = json!({"merchantAccount": merchant, "originalMerchantReference": w.payment.reference,
        "reference": w.next_reference()?});
    w.call(AdyenOp::PostTechnicalCancel.info(), None, Some(b)).await
}

/// `When I adjust the authorisation to 1500` (Adyen)
#[given(expr = "I adjust the authorisation to {int}")]
#[when(expr = "I adjust the authorisation to {int}")]
async fn adjust(w: &mut ConformanceWorld, amount: i64) -> Result<(), String> {
    if w.api()? != Api::Adyen {
        return Err("adjusting an authorisation is an Adyen operation".into());
    }
    let psp = w.payment.psp_reference.clone().ok_or("no pspReference: authorise a payment first")?;
    let merchant = w.conn()?.endpoint.merchant.clone();
    let b = json!({"merchantAccount": merchant, "originalReference": psp,
        "modificationAmount": {"value": amount, "currency": w.payment.currency}, "reference": w.next_reference()?});
    w.call(AdyenOp::PostAdjustAuthorisation.info(), None, Some(b)).await?;
    if w.reply()?.status == Some(200) {
        w.payment.amount = amount;
    }
    Ok(())
}
