//! Events: the last event of a payment, polled within a bounded wait because the
//! vendors update events asynchronously.

use std::time::Instant;

use cucumber::then;
use serde_json::Value;

use crate::harness::world::{Action, ConformanceWorld};

/// `Then the last event is "Sent for Settlement"` (follows the events / self link)
#[then(expr = "the last event is {string}")]
async fn last_event(w: &mut ConformanceWorld, expected: String) -> Result<(), String> {
    let wait = w.ctx()?.event_wait;
    let deadline = Instant::now() + wait;
    loop {
        w.follow(Action::Events, None, None, false).await?;
        let got = w.field("lastEvent")?.and_then(Value::as_str).map(str::to_string);
        if got.as_deref() == Some(expected.as_str()) {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(format!(
                "the last event is {got:?}, expected {expected:?} (waited {} s; --event-wait sets the bound)",
                wait.as_secs()
            ));
        }
        let pause = (deadline - now).min(std::time::Duration::from_millis(500));
        tokio::time::sleep(pause).await;
    }
}
