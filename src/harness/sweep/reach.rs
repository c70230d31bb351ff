//! The way to an operation: authorize, then follow the offered links towards it.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::super::world::requests::{adyen_cancel_by_reference, adyen_request, authorization};
use super::super::world::{Action, ConformanceWorld};
use crate::operation::{Api, Vendor};
use crate::spec::{Operation, spec};

/// The way to an operation: the href to send to (Worldpay link operations), the body
/// of the valid request, and another action's href from the same response.
pub(super) struct Reached {
    pub(super) href: Option<String>,
    pub(super) link_data: Option<String>,
    pub(super) body: Option<Value>,
    pub(super) other_link_data: Option<String>,
}

/// Authorize, then follow the offered links towards `op` (each step the link whose
/// operation declares the shortest way on), never through the event query; the
/// smallest amounts (2, and 1 for a partial step).
pub(super) async fn reach(w: &mut ConformanceWorld, api: Api, op: &Operation) -> Result<Reached, String> {
    let adyen = api.vendor() == Vendor::Adyen;
    let (_, auth_op, mut body) = authorization(w, 2, if adyen { "EUR" } else { "GBP" })?;
    if !adyen {
        // Accepting a partial amount makes Worldpay answer with its `amounts`: more of
        // the documented response is checked (the amount, 2, is authorized in full).
        body["instruction"]["value"]["acceptPartialAmount"] = json!(true);
    }
    let action = op.action;
    if action == Some(Action::Authorize) {
        return Ok(Reached { href: None, link_data: None, body: Some(body), other_link_data: None });
    }
    w.call(auth_op, None, Some(body)).await?;
    let status = w.reply()?.status.unwrap_or(0);
    if !(200..300).contains(&status) {
        return Err(format!("the authorization answered {}", w.describe_reply()));
    }
    if adyen {
        w.payment.psp_reference = w.field("pspReference")?.and_then(Value::as_str).map(str::to_string);
        return adyen_way(w, op);
    }
    follow_towards(w, api, op).await
}

/// The way to a valid Adyen modification of the payment just authorised: its href
/// (Checkout's paths name the payment) and its body.
fn adyen_way(w: &mut ConformanceWorld, op: &Operation) -> Result<Reached, String> {
    let r = match op.action {
        Some(Action::TechnicalCancel) => adyen_cancel_by_reference(w)?,
        // 3 on a payment of 2: an increase, which a pre-authorisation may have.
        Some(Action::AdjustAuthorisation) => adyen_request(w, Action::AdjustAuthorisation, Some(3))?,
        Some(action) => adyen_request(w, action, Some(1))?,
        None => return Err(format!("{} names no action (x-payconform-action)", op.operation_id)),
    };
    let link_data = r.href.as_ref().and(w.payment.psp_reference.clone());
    Ok(Reached { href: r.href, link_data, body: Some(r.body), other_link_data: None })
}

/// From the authorization's answer, follow the offered links towards `op`.
async fn follow_towards(w: &mut ConformanceWorld, api: Api, op: &Operation) -> Result<Reached, String> {
    let s = spec(api);
    let distance = distances(api, op.operation_id);
    for _ in 0..4 {
        // Is the target offered now?
        let offered: Vec<(&'static str, String)> = w
            .payment
            .latest
            .values()
            .filter_map(|href| w.resolve(href).ok().map(|l| (l.operation.operation_id, href.clone())))
            .collect();
        if let Some((_, href)) = offered.iter().find(|(o, _)| *o == op.operation_id) {
            let link_data = w.resolve(href).map_err(|e| e.to_string())?.link_data;
            let other_link_data = offered
                .iter()
                .find(|(o, _)| *o != op.operation_id)
                .and_then(|(_, h)| w.resolve(h).ok().map(|l| l.link_data));
            let body = match op.request {
                Some(_) => Some(w.amount_body(1)?),
                None => None,
            };
            return Ok(Reached { href: Some(href.clone()), link_data: Some(link_data), body, other_link_data });
        }
        // Else the offered step that declares the shortest way on (not the event query).
        let next = offered
            .iter()
            .filter(|(o, _)| s.operation(o).and_then(|o| o.action) != Some(Action::Events))
            .filter_map(|(o, _)| distance.get(o).map(|d| (*d, *o)))
            .min_by_key(|(d, o)| (*d, s.operation(o).is_some_and(|o| o.request.is_some())));
        let Some((_, next)) = next else {
            return Err(format!(
                "no offered link leads to {} (offered: {:?})",
                op.operation_id,
                offered.iter().map(|(o, _)| o).collect::<Vec<_>>()
            ));
        };
        let step = s.operation(next).ok_or("unknown operation")?;
        let action = step.action.ok_or("an operation without an action")?;
        let body = match step.request {
            Some(_) => Some(w.amount_body(1)?),
            None => None,
        };
        w.follow(action, body, None, false).await?;
        if !w.reply()?.status.is_some_and(|s| (200..300).contains(&s)) {
            return Err(format!("on the way to {}: {}", op.operation_id, w.describe_reply()));
        }
    }
    Err(format!("{} was not reached in 4 steps", op.operation_id))
}

/// For every operation: how many declared link steps its success responses are from
/// `target` (0: it offers `target` itself), never through the event query.
fn distances(api: Api, target: &str) -> BTreeMap<&'static str, usize> {
    let ops = &spec(api).operations;
    let mut dist: BTreeMap<&'static str, usize> = BTreeMap::new();
    for round in 0..ops.len() {
        for o in ops {
            if o.action == Some(Action::Events) || dist.contains_key(o.operation_id) {
                continue;
            }
            let reaches = o.info.responses.iter().flat_map(|d| d.next).any(|n| {
                let Some(next) = n.operation else { return false };
                if round == 0 { next == target } else { dist.get(next).is_some_and(|d| *d == round - 1) }
            });
            if reaches {
                dist.insert(o.operation_id, round);
            }
        }
    }
    dist
}
