//! The sweep: every documented (operation, status) pair, exercised by a request derived
//! from the spec and sent through the same clients and checker as the scenarios.
//!
//! Per operation it reaches the operation by the shortest legal path the spec's link
//! declarations allow (authorize, then follow links, the smallest amounts), then sends:
//! the request without credentials and with malformed ones (401); with a wrong
//! `Content-Type` (415) and without or with a wrong `WP-Api-Version` (406) where the
//! operation documents them; a body that is not JSON, one per required field missing
//! and one per constraint broken (400, Adyen 422), which must name the field; a forged
//! token, another action's token and (on a twin) another merchant's (404), or for
//! Adyen an unknown original reference (422); and finally the valid request (its
//! documented success). Each expectation is what the spec documents, so the sweep is
//! live-safe by construction; what it cannot reach gets a reason in the coverage matrix.

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;

use super::world::{ConformanceWorld, ExchangeRecord, RunContext};
use super::{Planned, Seen};
use crate::operation::Api;
use crate::report::{Status, StepResult};
use crate::spec::{Operation, spec};

mod bodies;
mod probes;
mod reach;

use probes::checks;
use reach::reach;

/// The tag every sweep entry carries (with the API's short name), so `--tags` can
/// select or leave it out like a scenario.
pub use crate::report::SWEEP_TAG;

/// The operations to sweep: every operation of every API with an endpoint here, or only
/// those named (operationId or method name).
pub(crate) fn operations(ctx: &RunContext, only: &[String]) -> Vec<(Api, &'static Operation)> {
    ctx.endpoints
        .iter()
        .flat_map(|e| spec(e.api).operations.iter().map(move |o| (e.api, o)))
        .filter(|(_, o)| only.is_empty() || only.iter().any(|n| *n == o.operation_id || *n == o.method))
        .collect()
}

/// The planned entry of an operation's sweep; `skip` when its API cannot run here.
pub(crate) fn plan(ctx: &RunContext, api: Api, op: &Operation) -> Planned {
    let skip = ctx.endpoints.iter().find(|e| e.api == api).and_then(|e| e.skip.clone());
    Planned {
        api: Some(api),
        feature: "Sweep".into(),
        path: format!("spec/{}.yaml", api.name()),
        line: 0,
        name: format!("sweep {} {}", api.short_name(), op.operation_id),
        tags: vec![SWEEP_TAG.into(), api.short_name().into()],
        skip,
    }
}

/// Run the sweep of `ops` (with their planned ids), `concurrency` operations at once.
pub(crate) async fn run(
    ctx: Arc<RunContext>,
    ops: Vec<(usize, Api, &'static Operation)>,
    concurrency: usize,
) -> Vec<(usize, Seen, Vec<ExchangeRecord>)> {
    futures::stream::iter(ops)
        .map(|(id, api, op)| {
            let ctx = ctx.clone();
            async move {
                let (seen, records) = sweep_operation(ctx, id, api, op).await;
                (id, seen, records)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// One check of the sweep: a label, the statuses that pass, and the field the error
/// must name (Worldpay `validationErrors[].jsonPath`).
struct Check {
    label: String,
    expect: Vec<u16>,
    /// The JSON path the error must name, or (for a field inside a oneOf) the object.
    names: Option<(String, Option<String>)>,
}

struct Book {
    steps: Vec<StepResult>,
}

impl Book {
    fn record(&mut self, w: &ConformanceWorld, check: &Check, sent: Result<(), String>) {
        let outcome = sent.and_then(|()| {
            let reply = w.reply()?;
            let status = reply.status.ok_or("no answer")?;
            if !check.expect.contains(&status) {
                return Err(format!("expected {}, got {}", list(&check.expect), w.describe_reply()));
            }
            if let Some((path, or_within)) = &check.names {
                // A field that picks a oneOf branch (an instrument's `type`) may be named by
                // the object it picks for: no branch matches that object.
                let ok = |p: &str| p == path || or_within.as_deref().is_some_and(|w| p == w);
                let named = reply.body["validationErrors"]
                    .as_array()
                    .is_some_and(|errs| errs.iter().any(|e| e["jsonPath"].as_str().is_some_and(ok)));
                if !named {
                    return Err(format!("the validation error does not name {path}: {}", w.describe_reply()));
                }
            }
            Ok(())
        });
        self.steps.push(StepResult {
            text: format!("Sweep {}", check.label),
            status: if outcome.is_ok() { Status::Passed } else { Status::Failed },
            message: outcome.err(),
        });
    }

    fn fail(&mut self, label: &str, why: String) {
        self.steps.push(StepResult { text: format!("Sweep {label}"), status: Status::Failed, message: Some(why) });
    }
}

fn list(s: &[u16]) -> String {
    s.iter().map(u16::to_string).collect::<Vec<_>>().join(" or ")
}

async fn sweep_operation(
    ctx: Arc<RunContext>,
    id: usize,
    api: Api,
    op: &'static Operation,
) -> (Seen, Vec<ExchangeRecord>) {
    let started = Instant::now();
    let mut w = ConformanceWorld::default();
    w.ctx = Some(ctx.clone());
    w.id = id;
    let mut book = Book { steps: Vec::new() };
    if let Err(e) = w.connect(api) {
        book.fail("connect", e);
    } else {
        match reach(&mut w, api, op).await {
            Ok(r) => checks(&mut w, &mut book, api, op, &r, ctx.twin).await,
            Err(e) => book.fail(&format!("reaching {}", op.operation_id), e),
        }
    }
    let seen = Seen { steps: book.steps, started: Some(started), elapsed: started.elapsed(), finished: true };
    (seen, std::mem::take(&mut w.records))
}

/// Why a documented pair no request reached cannot be reached, where a reason is known.
pub(crate) fn unreachable_reason(api: Api, op: &Operation, status: u16, twin: bool) -> String {
    let link_op = op.path.contains("{linkData}");
    match status {
        500 => "no documented trigger (a gateway failure)".into(),
        403 => "no documented trigger (needs a credential without the permission)".into(),
        404 if !link_op => "no documented trigger (the operation's path has no token)".into(),
        400 if op.request.is_none() => "no documented trigger (the operation has no body)".into(),
        406 if api != Api::WorldpayPayments => "no documented trigger".into(),
        _ if !twin => "needs a state the target cannot be brought to, or a check the sweep does not make here".into(),
        _ => "not reached: no scenario or sweep check produced it".into(),
    }
}
