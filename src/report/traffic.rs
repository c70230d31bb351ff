//! The report of traffic payconform did not make (the proxy's): one entry per
//! exchange, with its spec violations and lifecycle findings, in the same model (and so
//! the same JSON, HTML and JUnit) as a `payconform check` run.

use std::time::{Duration, SystemTime};

use super::{
    Budget, Coverage, ExchangeDetail, ExchangeLog, ExchangeRecord, MAX_VIOLATION_TEXT, Redactor, RunReport,
    ScenarioResult, Status, Summary, Totals, ViolationRecord, shorten,
};
use crate::client::Exchange;
use crate::conformance::{LifecycleFinding, Violation};
use crate::operation::Api;
use crate::redact::CREDENTIAL_HEADERS;

/// The tag of a proxied exchange's entry.
pub const PROXY_TAG: &str = "proxy";

/// One exchange of observed traffic and what was found in it.
#[derive(Debug, Clone)]
pub(crate) struct TrafficEntry {
    /// Its position in the traffic.
    pub(crate) index: usize,
    /// Its API, if its path names one.
    pub(crate) api: Option<Api>,
    /// The exchange, credentials included (the report removes them).
    pub(crate) exchange: Exchange,
    /// Spec violations.
    pub(crate) violations: Vec<Violation>,
    /// Lifecycle findings.
    pub(crate) lifecycle: Vec<LifecycleFinding>,
    /// Why no operation of the specs serves it.
    pub(crate) unmatched: Option<String>,
}

/// The report of `entries` (and of `unreported` more that were only counted).
pub(crate) fn traffic_report(
    target: &str,
    elapsed: Duration,
    started_at: SystemTime,
    entries: &[TrafficEntry],
    unreported: usize,
    secrets: &[String],
    extra_headers: &[String],
) -> RunReport {
    let r = Redactor::new(secrets.iter().cloned());
    let mut budget = Budget::default();
    let mut records = Vec::new();
    let mut scenarios = Vec::new();
    for e in entries {
        let ex = &e.exchange;
        let mut shown = ex.clone();
        for (n, v) in shown.request_headers.iter_mut().chain(shown.response_headers.iter_mut()) {
            if CREDENTIAL_HEADERS.contains(&n.to_ascii_lowercase().as_str())
                || extra_headers.iter().any(|x| x.eq_ignore_ascii_case(n))
            {
                *v = "<redacted>".into();
            }
        }
        let record = ExchangeRecord {
            api: e.api.unwrap_or(Api::WorldpayV7),
            operation: if ex.operation.is_empty() { "-".into() } else { ex.operation.clone() },
            status: ex.status,
            violations: e.violations.clone(),
            transport: ex.error.clone(),
            preferred: false,
            log: ExchangeLog::of(&shown),
        };
        let text = |t: &str| shorten(&r.clean(t), MAX_VIOLATION_TEXT);
        let listed = (e.violations.len() + e.lifecycle.len()).min(budget.violations);
        budget.violations -= listed;
        let violations: Vec<ViolationRecord> = e
            .violations
            .iter()
            .map(|v| ViolationRecord {
                api: v.api.name().into(),
                operation: v.operation.clone(),
                status: v.status,
                check: v.check.name().into(),
                side: v.side.as_str().into(),
                json_path: text(&v.json_path),
                message: text(&v.message),
            })
            .chain(e.lifecycle.iter().map(|f| {
                let on: Vec<String> = f.rests_on.iter().map(|i| format!("#{i}")).collect();
                ViolationRecord {
                    api: f.api.name().into(),
                    operation: f.operation.clone(),
                    status: ex.status,
                    check: f.rule.name().into(),
                    side: f.side.as_str().into(),
                    json_path: text(&f.json_path),
                    message: text(&format!("{} (rests on exchanges {})", f.message, on.join(", "))),
                }
            }))
            .take(listed)
            .collect();
        let status = if !violations.is_empty() || ex.error.is_some() {
            Status::Failed
        } else if e.unmatched.is_some() {
            Status::Skipped
        } else {
            Status::Passed
        };
        let reason = violations
            .first()
            .map(|v| {
                format!(
                    "{} violation(s), the first: {} {} {}: {}",
                    violations.len(),
                    v.check,
                    v.side,
                    v.json_path,
                    v.message
                )
            })
            .or_else(|| ex.error.as_ref().map(|t| text(t)))
            .or_else(|| e.unmatched.as_ref().map(|u| format!("not checked: {}", text(u))));
        let path =
            ex.url.split_once("://").map_or(ex.url.as_str(), |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
        scenarios.push(ScenarioResult {
            api: e.api.map(|a| a.name().to_string()),
            feature: "proxied traffic".into(),
            path: r.clean(target),
            line: e.index,
            name: r.clean(&format!(
                "#{} {} {} → {}",
                e.index,
                ex.method,
                path,
                ex.status.map_or("no answer".into(), |s| s.to_string())
            )),
            tags: vec![PROXY_TAG.into()],
            status,
            reason,
            steps: Vec::new(),
            exchanges: usize::from(ex.error.is_none()),
            violations,
            transport_errors: ex.error.iter().map(|t| text(t)).collect(),
            duration_ms: ex.elapsed.as_millis() as u64,
            exchange_log: vec![ExchangeDetail::of(&record, &r, &mut budget)],
        });
        if ex.error.is_none() && e.api.is_some() {
            records.push(record);
        }
    }
    let coverage = Api::ALL
        .iter()
        .map(|&api| Coverage::build(api, &records, |_, _, _| "no proxied exchange had this status".into()))
        .collect();
    let started: chrono::DateTime<chrono::Utc> = started_at.into();
    let mut target = r.clean(target);
    if unreported > 0 {
        target.push_str(&format!(" ({unreported} more exchange(s) were counted, not kept for this report)"));
    }
    RunReport {
        version: env!("CARGO_PKG_VERSION").into(),
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        summary: Summary {
            scenarios: Totals::of(scenarios.iter()),
            sweep: Totals::default(),
            scenarios_and_sweep: Totals::of(scenarios.iter()),
            violations: scenarios.iter().map(|s| s.violations.len()).sum(),
            transport_errors: scenarios.iter().map(|s| s.transport_errors.len()).sum(),
        },
        target,
        duration_ms: elapsed.as_millis() as u64,
        exchanges: records.len(),
        scenarios,
        coverage,
        replay_misses: Vec::new(),
    }
}
