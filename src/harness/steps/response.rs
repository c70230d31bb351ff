//! Assertions on the last response. (Every step already fails on any spec violation.)

use cucumber::then;
use serde_json::Value;

use crate::harness::world::ConformanceWorld;
use crate::operation::Vendor;

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `Then the status is 201`
#[then(expr = "the status is {int}")]
async fn status(w: &mut ConformanceWorld, expected: u16) -> Result<(), String> {
    match w.reply()?.status {
        Some(s) if s == expected => Ok(()),
        _ => Err(format!("expected status {expected}: {}", w.describe_reply())),
    }
}

/// The string field `field` of the last response must be `expected`.
fn expect_string(w: &ConformanceWorld, field: &str, expected: &str) -> Result<(), String> {
    match w.field(field)? {
        Some(Value::String(s)) if s == expected => Ok(()),
        _ => Err(format!("expected {field} {expected:?}: {}", w.describe_reply())),
    }
}

/// `Then the outcome is "authorized"` (Worldpay `outcome`, Adyen `resultCode`)
#[then(expr = "the outcome is {string}")]
async fn outcome(w: &mut ConformanceWorld, expected: String) -> Result<(), String> {
    let field = if w.api()?.vendor() == Vendor::Adyen { "resultCode" } else { "outcome" };
    expect_string(w, field, &expected)
}

/// `Then the error is "bodyDoesNotMatchSchema"` (Worldpay `errorName`, Adyen `errorCode`)
#[then(expr = "the error is {string}")]
async fn error(w: &mut ConformanceWorld, expected: String) -> Result<(), String> {
    let field = if w.api()?.vendor() == Vendor::Adyen { "errorCode" } else { "errorName" };
    expect_string(w, field, &expected)
}

/// `Then the error message is "Original pspReference required for this operation"`
#[then(expr = "the error message is {string}")]
async fn message(w: &mut ConformanceWorld, expected: String) -> Result<(), String> {
    expect_string(w, "message", &expected)
}

/// `Then the validation errors include "fieldIsMissing" at "$.instruction.narrative"`
#[then(expr = "the validation errors include {string} at {string}")]
async fn validation(w: &mut ConformanceWorld, name: String, path: String) -> Result<(), String> {
    let found = w.field("validationErrors")?.and_then(Value::as_array).is_some_and(|errs| {
        errs.iter().any(|e| e["errorName"].as_str() == Some(&name) && e["jsonPath"].as_str() == Some(&path))
    });
    if found { Ok(()) } else { Err(format!("no validation error {name:?} at {path:?}: {}", w.describe_reply())) }
}

/// `Then the response field "amounts.totalAuthorized" is "123"` (numbers compare as text)
#[then(expr = "the response field {string} is {string}")]
async fn field_is(w: &mut ConformanceWorld, path: String, expected: String) -> Result<(), String> {
    match w.field(&path)? {
        Some(v) if text(v) == expected => Ok(()),
        Some(v) => Err(format!("{path} is {}, expected {expected:?}", text(v))),
        None => Err(format!("the response has no field {path}: {}", w.describe_reply())),
    }
}

/// `Then the response field "pspReference" has 16 characters`
#[then(expr = "the response field {string} has {int} characters")]
async fn field_len(w: &mut ConformanceWorld, path: String, len: usize) -> Result<(), String> {
    match w.field(&path)? {
        Some(Value::String(s)) if s.chars().count() == len => Ok(()),
        Some(v) => Err(format!("{path} is {v}, expected a string of {len} characters")),
        None => Err(format!("the response has no field {path}: {}", w.describe_reply())),
    }
}

/// `Then the response has no field "amounts"`
#[then(expr = "the response has no field {string}")]
async fn no_field(w: &mut ConformanceWorld, path: String) -> Result<(), String> {
    match w.field(&path)? {
        None => Ok(()),
        Some(v) => Err(format!("the response has {path} = {v}, expected none")),
    }
}

/// The next actions of the latest response, without the events link.
fn offered(w: &ConformanceWorld) -> Result<Vec<String>, String> {
    Ok(w.payment
        .offered
        .clone()
        .ok_or_else(|| format!("no response offered next actions: {}", w.describe_reply()))?
        .into_iter()
        .filter(|r| r != "cardPayments:events")
        .collect())
}

/// A hint when a missing name is an offered relation without its prefix (`settle` for
/// `cardPayments:settle`).
fn prefix_hint(missing: &[String], got: &[String]) -> String {
    let fixed: Vec<&String> = missing
        .iter()
        .filter_map(|m| got.iter().find(|g| g.rsplit_once(':').is_some_and(|(_, rel)| rel == m)))
        .collect();
    match fixed.as_slice() {
        [] => String::new(),
        f => format!(
            "; v7 relations carry their prefix: write {}",
            f.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn list(names: &str) -> Vec<String> {
    if names.trim() == "none" {
        return vec![];
    }
    names.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// `Then the next actions include "cardPayments:settle, cardPayments:cancel"`: live-safe,
/// for actions a documented rule makes available (each vendor link is optional, so use
/// it only where the scenario cannot go on without the action).
#[then(expr = "the next actions include {string}")]
async fn next_actions_include(w: &mut ConformanceWorld, expected: String) -> Result<(), String> {
    let got = offered(w)?;
    let missing: Vec<String> = list(&expected).into_iter().filter(|a| !got.contains(a)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("the next actions {got:?} lack {missing:?}{}", prefix_hint(&missing, &got)))
    }
}

/// `Then the next actions do not include "cardPayments:cancel"`: live-safe, where a
/// documented rule forbids the action.
#[then(expr = "the next actions do not include {string}")]
async fn next_actions_exclude(w: &mut ConformanceWorld, forbidden: String) -> Result<(), String> {
    let got = offered(w)?;
    let present: Vec<String> = list(&forbidden).into_iter().filter(|a| got.contains(a)).collect();
    if present.is_empty() { Ok(()) } else { Err(format!("the next actions {got:?} include {present:?}")) }
}

/// `Then the status is 4xx`: a status class, live-safe where the vendor documents the
/// class of an answer but not its exact status.
#[then(expr = "the status is {int}xx")]
async fn status_class(w: &mut ConformanceWorld, class: u16) -> Result<(), String> {
    match w.reply()?.status {
        Some(s) if s / 100 == class => Ok(()),
        _ => Err(format!("expected a {class}xx status: {}", w.describe_reply())),
    }
}

/// `Then the error has the documented shape`: live-safe. The status is a client or
/// server error the spec documents for the operation, and (as for every exchange) the
/// body matches its documented error schema; the error's name is not asserted.
#[then(expr = "the error has the documented shape")]
async fn documented_error(w: &mut ConformanceWorld) -> Result<(), String> {
    let reply = w.reply()?;
    let api = w.api()?;
    let documented = reply.status.filter(|s| *s >= 400).is_some_and(|s| {
        crate::spec::spec(api).operation(&reply.operation).is_some_and(|o| o.responses.contains_key(&s.to_string()))
    });
    if documented {
        Ok(())
    } else {
        Err(format!("expected an error status documented for {}: {}", reply.operation, w.describe_reply()))
    }
}

/// `Then the next actions are "cardPayments:settle, cardPayments:cancel"` (or "none";
/// order does not matter; v7 `_links` without curies and events, Payments API
/// `_actions`). The exact set is twin-only where the vendor documents optional links:
/// use it under `@twin`.
#[then(expr = "the next actions are {string}")]
async fn next_actions(w: &mut ConformanceWorld, expected: String) -> Result<(), String> {
    let mut want = list(&expected);
    let mut got = offered(w)?;
    want.sort();
    got.sort();
    if want == got { Ok(()) } else { Err(format!("the next actions are {got:?}, expected {want:?}")) }
}
