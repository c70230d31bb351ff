//! Steps that read the twin's inspection endpoint (tag such scenarios `@twin`: the
//! vendors have no such endpoint, so `--target live` skips them).

use cucumber::then;
use serde_json::Value;

use super::params::{Modification, Outcome};
use crate::harness::world::ConformanceWorld;

async fn view(w: &ConformanceWorld) -> Result<Value, String> {
    if !w.ctx()?.twin {
        return Err("this step reads the twin's inspection endpoint; the target is not a twin".into());
    }
    let conn = w.conn()?;
    if conn.endpoint.api.vendor() != crate::operation::Vendor::Adyen {
        return Err("the twin's inspection endpoint serves Adyen payments".into());
    }
    let psp = w.payment.psp_reference.as_deref().ok_or("no pspReference: authorise a payment first")?;
    let url = format!("{}/__twin/payments/{psp}", conn.endpoint.base_url);
    // The run's shared client already carries the credentials.
    let mut resp = conn.http.get(&url).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status();
    // A payment's view is a few KiB; a target that only claims to be the twin gets 1 MiB.
    let bytes = crate::client::read_prefix(&mut resp, 1024 * 1024).await;
    let body: Value = serde_json::from_slice(&bytes).map_err(|e| format!("GET {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("GET {url} answered {status}: {body}"));
    }
    Ok(body)
}

/// `Then the twin shows 600 captured, 0 refunded and 0 cancelled`
#[then(expr = "the twin shows {int} captured, {int} refunded and {int} cancelled")]
async fn amounts(w: &mut ConformanceWorld, captured: i64, refunded: i64, cancelled: i64) -> Result<(), String> {
    let v = view(w).await?;
    let got = (v["captured"].as_i64(), v["refunded"].as_i64(), v["cancelled"].as_i64());
    if got == (Some(captured), Some(refunded), Some(cancelled)) { Ok(()) } else { Err(format!("the twin shows {v}")) }
}

/// `Then the twin records the last cancel as failed` (or `as succeeded`)
#[then(expr = "the twin records the last {modification} as {outcome}")]
async fn recorded(w: &mut ConformanceWorld, event: Modification, outcome: Outcome) -> Result<(), String> {
    let (event, want) = (event.0, outcome.0);
    let v = view(w).await?;
    let last = v["modifications"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["eventCode"].as_str() == Some(event.as_str())))
        .ok_or_else(|| format!("the twin recorded no {event}: {v}"))?;
    if last["success"].as_bool() == Some(want) {
        Ok(())
    } else {
        Err(format!("the last {event} is recorded as {last}"))
    }
}
