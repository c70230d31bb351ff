//! A run's report assembled from what the harness planned, saw and recorded: the
//! harness's side of the report (the report itself knows no scenario plan).

use std::collections::BTreeMap;

use super::collect::Seen;
use super::features::Planned;
use crate::operation::Api;
use crate::report::{
    Budget, Coverage, ExchangeDetail, ExchangeRecord, MAX_MESSAGE, MAX_VIOLATION_TEXT, MAX_VIOLATIONS_PER_RUN,
    Redactor, RunInfo, RunReport, ScenarioResult, Status, StepResult, Summary, Totals, ViolationRecord, shorten,
};

/// One scenario's result from what was planned, what ran and the exchanges it made.
pub(crate) fn scenario(
    p: &Planned,
    s: Seen,
    records: &[ExchangeRecord],
    r: &Redactor,
    budget: &mut Budget,
) -> ScenarioResult {
    let steps: Vec<StepResult> = s
        .steps
        .into_iter()
        .map(|st| StepResult {
            text: r.clean(&st.text),
            status: st.status,
            message: st.message.map(|m| shorten(&r.clean(&m), MAX_MESSAGE)),
        })
        .collect();
    let (status, reason) = outcome(p, &steps, s.finished, records, r);
    let all: Vec<&crate::conformance::Violation> = records.iter().flat_map(|e| &e.violations).collect();
    let listed = all.len().min(budget.violations);
    budget.violations -= listed;
    let record = |v: &crate::conformance::Violation, message: String| ViolationRecord {
        api: v.api.name().into(),
        operation: v.operation.clone(),
        status: v.status,
        check: v.check.name().into(),
        side: v.side.as_str().into(),
        json_path: shorten(&r.clean(&v.json_path), MAX_VIOLATION_TEXT),
        message,
    };
    let mut violations: Vec<ViolationRecord> =
        all[..listed].iter().map(|v| record(v, shorten(&r.clean(&v.message), MAX_VIOLATION_TEXT))).collect();
    if let Some(first) = all.get(listed) {
        let rest = all.len() - listed;
        let message = format!(
            "{rest} more violation(s) in this scenario are not listed: the run's report lists at most {MAX_VIOLATIONS_PER_RUN}"
        );
        violations.push(ViolationRecord { json_path: "$".into(), ..record(first, message) });
    }
    let transport_errors = records
        .iter()
        .filter_map(|e| e.transport.as_ref().map(|t| r.clean(&format!("{} {}: {t}", e.api, e.operation))))
        .collect();
    ScenarioResult {
        exchange_log: records.iter().map(|e| ExchangeDetail::of(e, r, budget)).collect(),
        transport_errors,
        api: p.api.map(|a| a.name().to_string()),
        feature: r.clean(&p.feature),
        path: r.clean(&p.path),
        line: p.line,
        name: r.clean(&p.name),
        tags: p.tags.iter().map(|t| r.clean(t)).collect(),
        status,
        reason,
        exchanges: records.iter().filter(|e| e.transport.is_none()).count(),
        steps,
        violations,
        duration_ms: s.elapsed.as_millis() as u64,
    }
}

/// A scenario's status and why: skipped as planned, the first failed step, unfinished,
/// or (every step ran, as they go on past a violation) its violations.
fn outcome(
    p: &Planned,
    steps: &[StepResult],
    finished: bool,
    records: &[ExchangeRecord],
    r: &Redactor,
) -> (Status, Option<String>) {
    if let Some(why) = &p.skip {
        (Status::Skipped, Some(r.clean(why)))
    } else if let Some(f) = steps.iter().find(|st| st.status == Status::Failed) {
        (Status::Failed, Some(format!("{}: {}", f.text, f.message.clone().unwrap_or_default())))
    } else if !finished {
        (Status::Failed, Some("the scenario did not finish".into()))
    } else if let Some(first) = records.iter().flat_map(|e| &e.violations).next() {
        let n: usize = records.iter().map(|e| e.violations.len()).sum();
        (Status::Failed, Some(shorten(&r.clean(&format!("{n} spec violation(s), the first: {first}")), MAX_MESSAGE)))
    } else if let Some(pending) = steps.iter().find(|st| st.status == Status::Skipped) {
        // An asynchronous outcome the vendor had not reported by the deadline.
        (Status::Skipped, Some(format!("{}: {}", pending.text, pending.message.clone().unwrap_or_default())))
    } else {
        (Status::Passed, None)
    }
}

pub(crate) fn report(
    info: RunInfo,
    planned: &[Planned],
    mut seen: BTreeMap<usize, Seen>,
    mut sink: BTreeMap<usize, Vec<ExchangeRecord>>,
    r: &Redactor,
) -> RunReport {
    let RunInfo { target, elapsed, started_at, twin } = info;
    let mut scenarios = Vec::new();
    let mut all: Vec<ExchangeRecord> = Vec::new();
    let mut budget = Budget::default();
    for (id, p) in planned.iter().enumerate() {
        let records = sink.remove(&id).unwrap_or_default();
        scenarios.push(scenario(p, seen.remove(&id).unwrap_or_default(), &records, r, &mut budget));
        all.extend(records.into_iter().filter(|e| e.transport.is_none()));
    }
    let coverage = Api::ALL
        .iter()
        .map(|&api| {
            Coverage::build(api, &all, |api, op, status| super::sweep::unreachable_reason(api, op, status, twin))
        })
        .collect();
    let summary = Summary {
        scenarios: Totals::of(scenarios.iter().filter(|s| !s.is_sweep())),
        sweep: Totals::of(scenarios.iter().filter(|s| s.is_sweep())),
        scenarios_and_sweep: Totals::of(scenarios.iter()),
        violations: scenarios.iter().map(|s| s.violations.len()).sum(),
        transport_errors: scenarios.iter().map(|s| s.transport_errors.len()).sum(),
    };
    RunReport {
        version: env!("CARGO_PKG_VERSION").into(),
        started_at,
        summary,
        target: r.clean(&target),
        duration_ms: elapsed.as_millis() as u64,
        scenarios,
        exchanges: all.len(),
        coverage,
        replay_misses: Vec::new(),
    }
}
