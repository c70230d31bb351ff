//! The summary `payconform check` prints.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{RunReport, ScenarioResult, Status};

/// Bytes of a failure's reason on the console; the reports have all of it.
const CONSOLE_REASON: usize = 400;

/// Unreached (operation, status) pairs the console names per API; the reports list all.
const UNREACHED_SHOWN: usize = 8;
use crate::operation::Api;

impl RunReport {
    /// The console summary.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "payconform check against {}", self.target);
        self.write_totals(&mut s);
        self.write_violations(&mut s);
        self.write_transport_errors(&mut s);
        self.write_skipped(&mut s);
        self.write_failures(&mut s);
        if !self.replay_misses.is_empty() {
            let _ = writeln!(s, "FAILED replay: {} request(s) matched no recorded exchange", self.replay_misses.len());
            for m in self.replay_misses.iter().take(10) {
                let _ = writeln!(s, "    {m}");
            }
        }
        if self.scenarios.is_empty() {
            let _ = writeln!(s, "no scenario matched: nothing ran, which is not a pass");
        } else if self.passed_count() == 0 && self.failed_count() == 0 {
            let _ = writeln!(s, "every scenario was skipped: nothing ran, which is not a pass");
        }
        s
    }

    /// The scenarios' and the sweep's counts, and the coverage per API.
    fn write_totals(&self, s: &mut String) {
        let secs = self.duration_ms as f64 / 1000.0;
        let is_sweep = |sc: &&ScenarioResult| sc.is_sweep();
        let t = self.summary.scenarios;
        let (p, f, k) = (t.passed, t.failed, t.skipped);
        let _ = writeln!(s, "scenarios: {p} passed, {f} failed, {k} skipped ({} total) in {secs:.2} s", p + f + k);
        let t = self.summary.sweep;
        let (p, f, k) = (t.passed, t.failed, t.skipped);
        if p + f + k == 0 {
            return;
        }
        let checks: usize = self.scenarios.iter().filter(is_sweep).map(|sc| sc.steps.len()).sum();
        let _ = writeln!(
            s,
            "sweep: {} operations, {checks} checks: {p} operations passed, {f} failed, {k} skipped",
            p + f + k
        );
        let per_api: Vec<String> = self
            .coverage
            .iter()
            .filter(|c| c.totals.exercised > 0)
            .map(|c| {
                format!(
                    "{} {}/{} ({}%; {} by a vendor trigger)",
                    Api::from_name(&c.api).map_or(c.api.as_str(), |a| a.short_name()),
                    c.totals.exercised,
                    c.totals.documented,
                    c.totals.percent,
                    c.totals.by_trigger
                )
            })
            .collect();
        let _ = writeln!(s, "coverage of documented (operation, status) pairs: {}", per_api.join(", "));
        // Name the pairs behind a coverage below 100%, a few per API.
        for c in self.coverage.iter().filter(|c| c.totals.exercised > 0 && c.totals.exercised < c.totals.documented) {
            let missed: Vec<String> = c
                .rows
                .iter()
                .flat_map(|r| r.cells.iter().filter(|x| x.documented && x.count == 0).map(move |x| (r, x)))
                .map(|(r, x)| format!("{} {}", r.operation, x.status))
                .collect();
            let shown = missed.iter().take(UNREACHED_SHOWN).cloned().collect::<Vec<_>>().join(", ");
            let more = missed.len().saturating_sub(UNREACHED_SHOWN);
            let more = if more > 0 { format!(" and {more} more (see the reports)") } else { String::new() };
            let api = Api::from_name(&c.api).map_or(c.api.as_str(), |a| a.short_name());
            let _ = writeln!(s, "  {api} not reached: {shown}{more}");
        }
    }

    /// Exchanges checked; violations by operation and by check.
    fn write_violations(&self, s: &mut String) {
        let violations = self.violations_by_operation();
        let total = violations.values().sum::<usize>();
        let _ = writeln!(s, "exchanges: {} checked against the spec, {total} violations", self.exchanges);
        if violations.is_empty() {
            return;
        }
        let _ = writeln!(s, "violations by operation:");
        for (op, n) in &violations {
            let _ = writeln!(s, "  {op}: {n}");
        }
        let mut by_check: BTreeMap<&str, usize> = BTreeMap::new();
        for v in self.scenarios.iter().flat_map(|s| &s.violations) {
            *by_check.entry(v.check.as_str()).or_default() += 1;
        }
        let list: Vec<String> = by_check.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let _ = writeln!(s, "violations by check: {}", list.join(", "));
    }

    /// Transport failures are not violations: each distinct one is named once.
    fn write_transport_errors(&self, s: &mut String) {
        let mut transport: BTreeMap<&str, usize> = BTreeMap::new();
        for t in self.scenarios.iter().flat_map(|s| &s.transport_errors) {
            let cause = t.split_once(": ").map_or(t.as_str(), |(_, c)| c);
            *transport.entry(cause).or_default() += 1;
        }
        if !transport.is_empty() {
            let _ = writeln!(s, "transport errors: {} (not counted as violations)", transport.values().sum::<usize>());
            for (cause, n) in &transport {
                let _ = writeln!(s, "  {cause} (x{n})");
            }
        }
    }

    /// Why scenarios were skipped, each reason once with its count.
    fn write_skipped(&self, s: &mut String) {
        let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
        for sc in self.scenarios.iter().filter(|s| s.status == Status::Skipped) {
            *skipped.entry(sc.reason.as_deref().unwrap_or("")).or_default() += 1;
        }
        for (why, n) in skipped {
            let _ = writeln!(s, "skipped {n}: {why}");
        }
    }

    /// Every failed scenario, with every violation the summary counts (each once) and a
    /// curl that reproduces the first failing exchange.
    fn write_failures(&self, s: &mut String) {
        for sc in self.scenarios.iter().filter(|s| s.status == Status::Failed) {
            let _ = writeln!(s, "FAILED {}:{} {}", sc.path, sc.line, sc.name);
            let reason = sc.reason.as_deref().unwrap_or("");
            if sc.violations.is_empty() {
                let first = reason.lines().take(4).collect::<Vec<_>>().join("\n    ");
                // The body an answer carried is shortened here; the reports keep it.
                let _ = writeln!(s, "    {}", super::shorten(&first, CONSOLE_REASON));
                continue;
            }
            let step = reason.split_once(": ").map_or(reason, |(step, _)| step);
            let _ = writeln!(s, "    {step}: {} spec violation(s)", sc.violations.len());
            for v in &sc.violations {
                let status = v.status.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
                let _ =
                    writeln!(s, "    - {} {} {status} {} {}: {}", v.api, v.operation, v.side, v.json_path, v.message);
            }
            if let Some(c) = sc.exchange_log.iter().find_map(|e| e.curl.as_ref()) {
                let _ = writeln!(s, "    reproduce: {c}");
            }
        }
    }
}
