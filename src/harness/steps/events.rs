//! Events: the last event of a payment, polled with backoff within a bounded wait,
//! because the vendors update events asynchronously (Worldpay: "It can take up to 15
//! minutes for a payment event to update", its query-a-payment pages).
//!
//! At the deadline, an event that is still one the payment had before the expected one
//! (`Authorized` while `Sent for Settlement` is expected) is *pending*: the step is
//! skipped with that reason, since the vendor has not updated yet. Any other event is
//! a wrong event, and the step fails.

use std::time::{Duration, Instant};

use cucumber::then;
use serde_json::Value;

use crate::harness::world::{Action, ConformanceWorld};

/// What a step's error starts with when the step is to be skipped, not failed: the
/// collector reports it as skipped with the rest as its reason.
pub(crate) const PENDING: &str = "still pending at the deadline: ";

/// The first pause between two queries; it doubles after each, at most [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// An event name folded for comparison: no white space, lower case, and the camelCase
/// names Worldpay's current Payments API reference uses (issue 20:
/// `authorizationSucceeded`, `settlementRequested`) as the name its OpenAPI document
/// and examples give for the same event.
fn folded(event: &str) -> String {
    let f = event.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    match f.as_str() {
        "authorizationsucceeded" => "authorized".into(),
        "settlementrequested" => "sentforsettlement".into(),
        _ => f,
    }
}

/// Whether two event names name the same event, in any spelling the vendor uses.
fn same_event(got: &str, expected: &str) -> bool {
    got == expected || folded(got) == folded(expected)
}

/// Where an event stands in a payment's life, in either spelling the vendors use
/// (`Sent for Settlement`, seed 003's `sentForSettlement`): later events have higher
/// ranks; failures and unknown events have none.
fn rank(event: &str) -> Option<u8> {
    Some(match folded(event).as_str() {
        "authorizationrequested" => 0,
        "authorized" => 1,
        "sentforsettlement" | "sentforcancellation" => 2,
        "settled" => 3,
        // A failure comes after the request it reports on.
        "settlementfailed" => 3,
        "sentforrefund" => 4,
        "refunded" | "refundfailed" => 5,
        _ => return None,
    })
}

/// Whether `got` is an event the payment had before `expected`: the vendor has not
/// updated it yet.
fn is_earlier(got: Option<&str>, expected: &str) -> bool {
    match (got.and_then(rank), rank(expected)) {
        (Some(g), Some(e)) => g < e,
        _ => false,
    }
}

/// `Then the last event is "Sent for Settlement"` (follows the events / self link)
#[then(expr = "the last event is {string}")]
async fn last_event(w: &mut ConformanceWorld, expected: String) -> Result<(), String> {
    await_event(w, &expected).await
}

/// `Then it is refused, at once or in its event`: live-safe where the vendor documents
/// no synchronous refusal (Worldpay: no page documents a 4xx for settling or refunding
/// more than is left, and v7 says a 202 means "received, not processed"). It passes on
/// an error status the spec documents for the operation, or on a 202 whose event then
/// becomes `Settlement failed` or `Refund failed`; anything else fails, and an event
/// still earlier at the deadline is pending.
#[then(expr = "it is refused, at once or in its event")]
async fn refused_now_or_later(w: &mut ConformanceWorld) -> Result<(), String> {
    let api = w.api()?;
    let reply = w.reply()?;
    let op = crate::spec::spec(api).operation(&reply.operation);
    match reply.status {
        Some(s) if s >= 400 && op.is_some_and(|o| o.responses.contains_key(&s.to_string())) => Ok(()),
        Some(202) => {
            let failed = match op.and_then(|o| o.action) {
                Some(Action::Settle | Action::PartialSettle) => "Settlement failed",
                Some(Action::Refund | Action::PartialRefund) => "Refund failed",
                _ => return Err(format!("a 202 to {} has no failed event to wait for", reply.operation)),
            };
            await_event(w, failed).await
        }
        _ => Err(format!("expected a documented refusal, at once or in the event: {}", w.describe_reply())),
    }
}

/// Query the payment's events, with backoff, until the last event is `expected` or the
/// run's event wait is over.
async fn await_event(w: &mut ConformanceWorld, expected: &str) -> Result<(), String> {
    let expected = expected.to_string();
    let wait = w.ctx()?.event_wait;
    let deadline = Instant::now() + wait;
    let mut pause = FIRST_PAUSE;
    let mut queries = 0u32;
    loop {
        w.follow(Action::Events, None, None, false).await?;
        queries += 1;
        let got = w.field("lastEvent")?.and_then(Value::as_str).map(str::to_string);
        if got.as_deref().is_some_and(|g| same_event(g, &expected)) {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            let waited = format!("{queries} queries in {} s; --event-wait sets the bound", wait.as_secs());
            return Err(if is_earlier(got.as_deref(), &expected) {
                format!("{PENDING}the last event is still {got:?}, expected {expected:?} ({waited})")
            } else {
                format!("the last event is {got:?}, expected {expected:?} ({waited})")
            });
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_is_an_earlier_event_and_wrong_is_any_other() {
        assert!(is_earlier(Some("Authorized"), "Sent for Settlement"));
        assert!(is_earlier(Some("sentForSettlement"), "Sent for Refund"));
        assert!(!is_earlier(Some("Sent for Refund"), "Sent for Settlement"), "a later event is wrong");
        assert!(!is_earlier(Some("Settlement failed"), "Settled"), "a failure is wrong");
        assert!(!is_earlier(None, "Settled"));
        assert!(!is_earlier(Some("Refused"), "Sent for Settlement"));
        assert!(is_earlier(Some("Sent for Settlement"), "Settlement failed"), "the failure may not be reported yet");
        assert!(!is_earlier(Some("Settled"), "Settlement failed"));
        assert!(is_earlier(Some("Sent for Refund"), "Refund failed"));
        assert!(is_earlier(Some("authorizationRequested"), "Authorized"));
        assert!(is_earlier(Some("authorizationSucceeded"), "Sent for Settlement"));
    }

    #[test]
    fn the_camel_case_names_are_the_same_events() {
        assert!(same_event("authorizationSucceeded", "Authorized"));
        assert!(same_event("settlementRequested", "Sent for Settlement"));
        assert!(same_event("sentForSettlement", "Sent for Settlement"));
        assert!(!same_event("authorizationRequested", "Authorized"), "requested is not yet authorized");
        assert!(!same_event("settlementRequested", "Settled"));
    }
}
