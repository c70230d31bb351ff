//! What a run found: scenarios, violations, exchanges and the coverage matrix (this
//! module: the model and the console summary; the harness assembles it, in
//! `harness/assemble.rs`), and its renderings as
//! JUnit XML, JSON, Cucumber JSON and HTML (`render.rs`). Every string that reaches a
//! report has passed through a [`Redactor`]: no configured secret and no full card
//! number is ever written.

mod console;
mod coverage;
mod exchange;
mod outcome;
mod record;
mod render;
mod traffic;

pub use coverage::{Coverage, CoverageCell, CoverageRow, CoverageTotals};
pub use exchange::{ExchangeDetail, RequestDetail, ResponseDetail};
pub use outcome::{Status, StepResult};
pub(crate) use record::{ExchangeLog, ExchangeRecord};
pub(crate) use traffic::{TrafficEntry, traffic_report};

/// `text` cut to at most `max` bytes (on a character boundary), saying how long it was.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    format!("{}… ({} bytes in all)", prefix(text, max), text.len())
}

/// The longest start of `text` of at most `max` bytes that ends on a character boundary.
pub(crate) fn prefix(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The tag of the sweep's entries in a report (one per operation it checked).
pub const SWEEP_TAG: &str = "sweep";

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

pub use crate::redact::Redactor;

/// One violation, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViolationRecord {
    /// API name.
    pub api: String,
    /// operationId.
    pub operation: String,
    /// Response status, if any.
    pub status: Option<u16>,
    /// The check that found it (`status`, `media_type`, `headers`, `request_body`,
    /// `response_body`, `links`).
    pub check: String,
    /// `request` or `response`.
    pub side: String,
    /// JSONPath or header.
    pub json_path: String,
    /// What is wrong.
    pub message: String,
}

/// One scenario's result.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// API the scenario declared.
    pub api: Option<String>,
    /// Feature name.
    pub feature: String,
    /// Feature file.
    pub path: String,
    /// Line of the scenario (or of its example row).
    pub line: usize,
    /// Scenario name.
    pub name: String,
    /// Tags, including inherited ones.
    pub tags: Vec<String>,
    /// Outcome.
    pub status: Status,
    /// Why it was skipped, or the first failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Steps that ran.
    pub steps: Vec<StepResult>,
    /// Exchanges checked.
    pub exchanges: usize,
    /// Violations found.
    pub violations: Vec<ViolationRecord>,
    /// Transport failures (no answer, or one that broke off), which are not violations.
    pub transport_errors: Vec<String>,
    /// Wall time.
    pub duration_ms: u64,
    /// Every exchange: what was sent and what came back, redacted.
    pub exchange_log: Vec<ExchangeDetail>,
}

/// Everything a run found.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// payconform's version.
    pub version: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// The counts a dashboard wants first.
    pub summary: Summary,
    /// What was targeted.
    pub target: String,
    /// Wall time of the whole run.
    pub duration_ms: u64,
    /// Every scenario (passed, failed, skipped).
    pub scenarios: Vec<ScenarioResult>,
    /// Exchanges checked.
    pub exchanges: usize,
    /// Coverage matrix per API.
    pub coverage: Vec<Coverage>,
    /// Against a replay: the requests no recorded exchange matched (each fails the run).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replay_misses: Vec<String>,
}

/// A run's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The Gherkin scenarios (outline rows counted), the sweep's entries left out.
    pub scenarios: Totals,
    /// The sweep: one entry per operation it checked.
    pub sweep: Totals,
    /// Both together, as the report's `scenarios` list holds them.
    pub scenarios_and_sweep: Totals,
    /// Spec violations found.
    pub violations: usize,
    /// Transport failures (no answer, or one that broke off), not counted as violations.
    pub transport_errors: usize,
}

/// How many passed, failed and were skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped.
    pub skipped: usize,
}

impl Totals {
    pub(crate) fn of<'a>(results: impl Iterator<Item = &'a ScenarioResult>) -> Totals {
        let mut t = Totals::default();
        for r in results {
            match r.status {
                Status::Passed => t.passed += 1,
                Status::Failed => t.failed += 1,
                Status::Skipped => t.skipped += 1,
            }
        }
        t
    }
}

/// What a report says about the run itself.
pub(crate) struct RunInfo {
    pub(crate) target: String,
    pub(crate) elapsed: Duration,
    pub(crate) started_at: String,
    /// Whether the target was a twin (it decides the reasons for unreached pairs).
    pub(crate) twin: bool,
}

/// Bytes of a step's message in a report (a message may quote what a target sent).
pub const MAX_MESSAGE: usize = 8 * 1024;
/// Bytes of a violation's message and JSON path in a report (a schema error quotes the
/// offending value, which a target can make megabytes long).
pub const MAX_VIOLATION_TEXT: usize = 1024;

/// Violations listed per run; past them a scenario's list says how many are left out.
pub const MAX_VIOLATIONS_PER_RUN: usize = 2_000;
/// Bytes of exchange bodies shown per run; past them a body is cut to its first KiB.
pub const MAX_LOG_BYTES_PER_RUN: usize = 8 * 1024 * 1024;

/// What a run's report may still hold: violations and bytes of exchange bodies. Once
/// spent, later violations are counted, not listed, and later bodies are cut short, so
/// that a hostile target cannot make a report of hundreds of MB.
pub(crate) struct Budget {
    pub(crate) violations: usize,
    log_bytes: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { violations: MAX_VIOLATIONS_PER_RUN, log_bytes: MAX_LOG_BYTES_PER_RUN }
    }
}

impl Budget {
    /// Take room for `n` bytes of body; how many may be shown.
    pub(crate) fn take_bytes(&mut self, n: usize) -> usize {
        let shown = if n <= self.log_bytes { n } else { n.min(1024) };
        self.log_bytes = self.log_bytes.saturating_sub(shown);
        shown
    }
}

impl ScenarioResult {
    /// Whether this is one of the sweep's entries (tagged `sweep`), not a scenario.
    pub fn is_sweep(&self) -> bool {
        self.tags.iter().any(|t| t == SWEEP_TAG)
    }
}

impl RunReport {
    fn count(&self, s: Status) -> usize {
        self.scenarios.iter().filter(|x| x.status == s).count()
    }

    /// Scenarios and sweep entries that passed.
    pub fn passed_count(&self) -> usize {
        self.count(Status::Passed)
    }
    /// Scenarios and sweep entries that failed.
    pub fn failed_count(&self) -> usize {
        self.count(Status::Failed)
    }
    /// Scenarios and sweep entries that were skipped.
    pub fn skipped_count(&self) -> usize {
        self.count(Status::Skipped)
    }

    /// True only when something ran and nothing failed. A run where everything was
    /// skipped is not a pass.
    pub fn passed(&self) -> bool {
        self.failed_count() == 0 && self.passed_count() > 0 && self.replay_misses.is_empty()
    }

    /// Every violation, by `api operation`.
    pub fn violations_by_operation(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for v in self.scenarios.iter().flat_map(|s| &s.violations) {
            *out.entry(format!("{} {}", v.api, v.operation)).or_default() += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_lists_every_violation_it_counts() {
        let violation = |n: usize| ViolationRecord {
            api: "adyen-payment-v40".into(),
            operation: "post-authorise".into(),
            status: Some(200),
            check: "response_body".into(),
            side: "response".into(),
            json_path: format!("$.field{n}"),
            message: format!("problem {n}"),
        };
        let report = RunReport {
            version: "0".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            summary: Summary {
                scenarios: Totals { passed: 0, failed: 1, skipped: 0 },
                sweep: Totals::default(),
                scenarios_and_sweep: Totals { passed: 0, failed: 1, skipped: 0 },
                violations: 5,
                transport_errors: 0,
            },
            target: "t".into(),
            duration_ms: 1,
            exchanges: 1,
            coverage: vec![],
            replay_misses: vec![],
            scenarios: vec![ScenarioResult {
                api: None,
                feature: "f".into(),
                path: "a.feature".into(),
                line: 3,
                name: "s".into(),
                tags: vec![],
                status: Status::Failed,
                reason: Some("When I authorize 1 EUR: 5 spec violation(s):\n  - one\n  - two".into()),
                steps: vec![],
                exchanges: 1,
                violations: (1..=5).map(violation).collect(),
                transport_errors: vec![],
                duration_ms: 1,
                exchange_log: vec![],
            }],
        };
        let summary = report.summary();
        assert!(summary.contains("exchanges: 1 checked against the spec, 5 violations"), "{summary}");
        assert!(summary.contains("When I authorize 1 EUR: 5 spec violation(s)"), "{summary}");
        for n in 1..=5 {
            assert!(summary.contains(&format!("$.field{n}: problem {n}")), "violation {n} missing:\n{summary}");
        }
    }
}
