//! What a run found: scenarios, violations and the coverage matrix, and the JUnit XML
//! (quick-junit), JSON (serde) and HTML (maud) renderings of it. Every string that
//! reaches a report has passed through a [`Redactor`]: no configured secret and no
//! full card number is ever written.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use maud::{DOCTYPE, Markup, html};
use serde::Serialize;

use super::world::ExchangeRecord;
use super::{Planned, Seen};
use crate::spec::{Api, spec};

pub use super::redact::Redactor;

/// Outcome of a scenario or step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Ran and passed.
    Passed,
    /// Ran and failed.
    Failed,
    /// Did not run, for the stated reason.
    Skipped,
}

/// One step as it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepResult {
    /// Keyword and text.
    pub text: String,
    /// Outcome.
    pub status: Status,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

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

/// One exchange as the JSON report shows it, redacted: credentials and card numbers
/// never appear, in any encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExchangeDetail {
    /// operationId.
    pub operation: String,
    /// What was sent.
    pub request: RequestDetail,
    /// What came back; absent after a transport failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseDetail>,
    /// How many violations the exchange had.
    pub violations: usize,
    /// For an exchange with violations or a transport failure: a curl command that sends
    /// it again, with the credentials as environment-variable references (card numbers
    /// stay masked: put your test card back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
}

/// The request half of an [`ExchangeDetail`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestDetail {
    /// HTTP method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Headers, without `Authorization` and `X-API-Key`.
    pub headers: Vec<(String, String)>,
    /// Body, if any (cut at 64 KiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// The response half of an [`ExchangeDetail`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseDetail {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body (cut at 64 KiB).
    pub body: String,
}

/// `Cancel after capture` → `cancel-after-capture`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// `'…'` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A curl command that sends `log` again; credentials as environment variables.
fn curl(api: Api, log: &super::world::ExchangeLog, r: &Redactor) -> String {
    let mut parts = vec!["curl -s -i -X".to_string(), log.method.clone(), shell_quote(&r.clean(&log.url))];
    for (n, v) in &log.request_headers {
        if n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("host") {
            continue;
        }
        parts.push("-H".into());
        parts.push(shell_quote(&format!("{n}: {}", r.clean(v))));
    }
    parts.push(match api {
        Api::Adyen => "-H \"X-API-Key: $ADYEN_API_KEY\"".to_string(),
        _ => "-u \"$WORLDPAY_USERNAME:$WORLDPAY_PASSWORD\"".to_string(),
    });
    if let Some(b) = &log.request_body {
        parts.push("--data-raw".into());
        parts.push(shell_quote(&r.clean(b)));
    }
    parts.join(" ")
}

/// One cell of the coverage matrix.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageCell {
    /// HTTP status.
    pub status: u16,
    /// Whether the spec documents it for this operation.
    pub documented: bool,
    /// How many exchanges of the run got it.
    pub count: usize,
    /// How many of those asked a twin for the status (`Prefer: code=NNN`) because the
    /// vendor documents no trigger for it.
    pub preferred: usize,
    /// For a documented pair no exchange got: why it could not be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<String>,
}

/// One operation's row of the coverage matrix.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    /// operationId.
    pub operation: String,
    /// One cell per status column.
    pub cells: Vec<CoverageCell>,
}

/// Operations × statuses of one API.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// API name.
    pub api: String,
    /// API title.
    pub title: String,
    /// Status columns: every documented status, plus undocumented ones seen.
    pub statuses: Vec<u16>,
    /// Rows.
    pub rows: Vec<CoverageRow>,
    /// Documented pairs, how many were exercised, and how many could not be (each with
    /// its reason in its cell).
    pub totals: CoverageTotals,
}

/// One API's coverage in numbers.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CoverageTotals {
    /// Documented (operation, status) pairs.
    pub documented: usize,
    /// Of those, pairs some exchange of the run got.
    pub exercised: usize,
    /// Of those, pairs some exchange got without asking a twin for it (`Prefer`): what
    /// a vendor's sandbox would answer the same way.
    pub by_trigger: usize,
    /// Of those, pairs with a reason why they were not reached.
    pub unreachable: usize,
    /// exercised / documented, in percent (rounded down).
    pub percent: usize,
}

impl Coverage {
    /// Documented (operation, status) pairs that some exchange got, and all documented pairs.
    pub fn exercised(&self) -> (usize, usize) {
        let cells = self.rows.iter().flat_map(|r| &r.cells).filter(|c| c.documented);
        cells.fold((0, 0), |(hit, all), c| (hit + usize::from(c.count > 0), all + 1))
    }
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
}

/// A run's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Scenarios that passed.
    pub passed: usize,
    /// Scenarios that failed.
    pub failed: usize,
    /// Scenarios that were skipped.
    pub skipped: usize,
    /// Spec violations found.
    pub violations: usize,
    /// Transport failures (no answer, or one that broke off), not counted as violations.
    pub transport_errors: usize,
}

fn statuses_documented(api: Api, operation: &str) -> Vec<u16> {
    spec(api)
        .operation(operation)
        .map(|o| o.responses.keys().filter_map(|k| k.parse().ok()).collect())
        .unwrap_or_default()
}

/// What a report says about the run itself.
pub(crate) struct RunInfo {
    pub(crate) target: String,
    pub(crate) elapsed: Duration,
    pub(crate) started_at: String,
    /// Whether the target was a twin (it decides the reasons for unreached pairs).
    pub(crate) twin: bool,
}

impl RunReport {
    pub(crate) fn build(
        info: RunInfo,
        planned: &[Planned],
        mut seen: BTreeMap<usize, Seen>,
        mut sink: BTreeMap<usize, Vec<ExchangeRecord>>,
        r: &Redactor,
    ) -> RunReport {
        let RunInfo { target, elapsed, started_at, twin } = info;
        let mut scenarios = Vec::new();
        let mut all: Vec<ExchangeRecord> = Vec::new();
        for (id, p) in planned.iter().enumerate() {
            let s = seen.remove(&id).unwrap_or_default();
            let records = sink.remove(&id).unwrap_or_default();
            let steps: Vec<StepResult> = s
                .steps
                .into_iter()
                .map(|st| StepResult {
                    text: r.clean(&st.text),
                    status: st.status,
                    message: st.message.map(|m| r.clean(&m)),
                })
                .collect();
            let (status, reason) = if let Some(why) = &p.skip {
                (Status::Skipped, Some(r.clean(why)))
            } else if let Some(f) = steps.iter().find(|st| st.status == Status::Failed) {
                (Status::Failed, Some(format!("{}: {}", f.text, f.message.clone().unwrap_or_default())))
            } else if !s.finished {
                (Status::Failed, Some("the scenario did not finish".into()))
            } else if let Some(first) = records.iter().flat_map(|e| &e.violations).next() {
                // Every step ran (they go on past a violation); the violations fail it.
                let n: usize = records.iter().map(|e| e.violations.len()).sum();
                (Status::Failed, Some(r.clean(&format!("{n} spec violation(s), the first: {first}"))))
            } else {
                (Status::Passed, None)
            };
            let violations = records
                .iter()
                .flat_map(|e| &e.violations)
                .map(|v| ViolationRecord {
                    api: v.api.name().into(),
                    operation: v.operation.clone(),
                    status: v.status,
                    check: v.check.name().into(),
                    side: v.side.as_str().into(),
                    json_path: r.clean(&v.json_path),
                    message: r.clean(&v.message),
                })
                .collect();
            let transport_errors = records
                .iter()
                .filter_map(|e| e.transport.as_ref().map(|t| r.clean(&format!("{} {}: {t}", e.api, e.operation))))
                .collect();
            let exchange_log = records
                .iter()
                .map(|e| ExchangeDetail {
                    operation: e.operation.clone(),
                    request: RequestDetail {
                        method: e.log.method.clone(),
                        url: r.clean(&e.log.url),
                        headers: e.log.request_headers.iter().map(|(n, v)| (n.clone(), r.clean(v))).collect(),
                        body: e.log.request_body.as_deref().map(|b| r.clean(b)),
                    },
                    response: e.status.map(|status| ResponseDetail {
                        status,
                        headers: e.log.response_headers.iter().map(|(n, v)| (n.clone(), r.clean(v))).collect(),
                        body: r.clean(&e.log.response_body),
                    }),
                    violations: e.violations.len(),
                    curl: (!e.violations.is_empty() || e.transport.is_some()).then(|| curl(e.api, &e.log, r)),
                })
                .collect();
            scenarios.push(ScenarioResult {
                exchange_log,
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
            });
            all.extend(records.into_iter().filter(|e| e.transport.is_none()));
        }
        let coverage = Api::ALL
            .iter()
            .map(|&api| {
                let ops = &spec(api).operations;
                let mut counts: BTreeMap<(&str, u16), usize> = BTreeMap::new();
                let mut preferred: BTreeMap<(&str, u16), usize> = BTreeMap::new();
                for e in all.iter().filter(|e| e.api == api) {
                    if let Some(s) = e.status {
                        *counts.entry((e.operation.as_str(), s)).or_default() += 1;
                        if e.preferred {
                            *preferred.entry((e.operation.as_str(), s)).or_default() += 1;
                        }
                    }
                }
                let mut statuses: Vec<u16> = ops
                    .iter()
                    .flat_map(|o| statuses_documented(api, &o.operation_id))
                    .chain(counts.keys().map(|(_, s)| *s))
                    .collect();
                statuses.sort_unstable();
                statuses.dedup();
                let rows: Vec<CoverageRow> = ops
                    .iter()
                    .map(|o| {
                        let documented = statuses_documented(api, &o.operation_id);
                        CoverageRow {
                            operation: o.operation_id.clone(),
                            cells: statuses
                                .iter()
                                .map(|&s| {
                                    let count = counts.get(&(o.operation_id.as_str(), s)).copied().unwrap_or(0);
                                    let documented = documented.contains(&s);
                                    CoverageCell {
                                        status: s,
                                        documented,
                                        count,
                                        preferred: preferred.get(&(o.operation_id.as_str(), s)).copied().unwrap_or(0),
                                        unreachable: (documented && count == 0)
                                            .then(|| super::sweep::unreachable_reason(api, o, s, twin)),
                                    }
                                })
                                .collect(),
                        }
                    })
                    .collect();
                let cells = || rows.iter().flat_map(|r| &r.cells).filter(|c| c.documented);
                let documented = cells().count();
                let exercised = cells().filter(|c| c.count > 0).count();
                let totals = CoverageTotals {
                    documented,
                    exercised,
                    by_trigger: cells().filter(|c| c.count > c.preferred).count(),
                    unreachable: documented - exercised,
                    percent: (exercised * 100).checked_div(documented).unwrap_or(0),
                };
                Coverage { api: api.name().into(), title: api.title().into(), statuses, rows, totals }
            })
            .collect();
        let count = |st: Status| scenarios.iter().filter(|s: &&ScenarioResult| s.status == st).count();
        let summary = Summary {
            passed: count(Status::Passed),
            failed: count(Status::Failed),
            skipped: count(Status::Skipped),
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
        }
    }

    fn count(&self, s: Status) -> usize {
        self.scenarios.iter().filter(|x| x.status == s).count()
    }

    /// Scenarios that passed.
    pub fn passed_count(&self) -> usize {
        self.count(Status::Passed)
    }
    /// Scenarios that failed.
    pub fn failed_count(&self) -> usize {
        self.count(Status::Failed)
    }
    /// Scenarios that were skipped.
    pub fn skipped_count(&self) -> usize {
        self.count(Status::Skipped)
    }

    /// True only when something ran and nothing failed. A run where everything was
    /// skipped is not a pass.
    pub fn passed(&self) -> bool {
        self.failed_count() == 0 && self.passed_count() > 0
    }

    /// Every violation, by `api operation`.
    pub fn violations_by_operation(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for v in self.scenarios.iter().flat_map(|s| &s.violations) {
            *out.entry(format!("{} {}", v.api, v.operation)).or_default() += 1;
        }
        out
    }

    /// The console summary.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let secs = self.duration_ms as f64 / 1000.0;
        let _ = writeln!(s, "payconform check against {}", self.target);
        let is_sweep = |sc: &&ScenarioResult| sc.tags.iter().any(|t| t == super::sweep::SWEEP_TAG);
        let tally = |sweep: bool| {
            let of = |st: Status| self.scenarios.iter().filter(|sc| is_sweep(sc) == sweep && sc.status == st).count();
            (of(Status::Passed), of(Status::Failed), of(Status::Skipped))
        };
        let (p, f, k) = tally(false);
        let _ = writeln!(s, "scenarios: {p} passed, {f} failed, {k} skipped ({} total) in {secs:.2} s", p + f + k);
        let (p, f, k) = tally(true);
        if p + f + k > 0 {
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
        }
        let violations = self.violations_by_operation();
        let _ = writeln!(
            s,
            "exchanges: {} checked against the spec, {} violations",
            self.exchanges,
            violations.values().sum::<usize>()
        );
        if !violations.is_empty() {
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
        // Transport failures are not violations: each distinct one is named once.
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
        let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
        for sc in self.scenarios.iter().filter(|s| s.status == Status::Skipped) {
            *skipped.entry(sc.reason.as_deref().unwrap_or("")).or_default() += 1;
        }
        for (why, n) in skipped {
            let _ = writeln!(s, "skipped {n}: {why}");
        }
        for sc in self.scenarios.iter().filter(|s| s.status == Status::Failed) {
            let _ = writeln!(s, "FAILED {}:{} {}", sc.path, sc.line, sc.name);
            let reason = sc.reason.as_deref().unwrap_or("");
            if sc.violations.is_empty() {
                let first = reason.lines().take(4).collect::<Vec<_>>().join("\n    ");
                let _ = writeln!(s, "    {first}");
            } else {
                // Every violation the summary counts is listed, each once.
                let step = reason.split_once(": ").map_or(reason, |(step, _)| step);
                let _ = writeln!(s, "    {step}: {} spec violation(s)", sc.violations.len());
                for v in &sc.violations {
                    let status = v.status.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
                    let _ = writeln!(
                        s,
                        "    - {} {} {status} {} {}: {}",
                        v.api, v.operation, v.side, v.json_path, v.message
                    );
                }
                if let Some(c) = sc.exchange_log.iter().find_map(|e| e.curl.as_ref()) {
                    let _ = writeln!(s, "    reproduce: {c}");
                }
            }
        }
        if self.scenarios.is_empty() {
            let _ = writeln!(s, "no scenario matched: nothing ran, which is not a pass");
        } else if self.passed_count() == 0 && self.failed_count() == 0 {
            let _ = writeln!(s, "every scenario was skipped: nothing ran, which is not a pass");
        }
        s
    }

    /// The report in the Cucumber JSON format CI dashboards read (one element per
    /// scenario, sweep entries included, with each step's result).
    pub fn to_cucumber_json(&self) -> String {
        let mut features: Vec<(String, String, Vec<serde_json::Value>)> = Vec::new();
        for sc in &self.scenarios {
            let steps: Vec<serde_json::Value> = sc
                .steps
                .iter()
                .enumerate()
                .map(|(i, st)| {
                    let (keyword, name) = st.text.split_once(' ').unwrap_or(("", st.text.as_str()));
                    let mut result = serde_json::json!({"status": format!("{:?}", st.status).to_lowercase()});
                    if let Some(m) = &st.message {
                        result["error_message"] = serde_json::json!(m);
                    }
                    serde_json::json!({"keyword": format!("{keyword} "), "name": name, "line": sc.line + i + 1, "result": result})
                })
                .collect();
            let mut steps = steps;
            if steps.is_empty() && sc.status == Status::Skipped {
                steps.push(serde_json::json!({"keyword": "* ", "name": sc.reason.clone().unwrap_or_default(),
                    "line": sc.line, "result": {"status": "skipped"}}));
            }
            let element = serde_json::json!({
                "id": format!("{};{}", slug(&sc.feature), slug(&sc.name)),
                "keyword": "Scenario",
                "type": "scenario",
                "name": sc.name,
                "line": sc.line,
                "tags": sc.tags.iter().map(|t| serde_json::json!({"name": format!("@{t}")})).collect::<Vec<_>>(),
                "steps": steps,
            });
            match features.iter_mut().find(|(uri, name, _)| *uri == sc.path && *name == sc.feature) {
                Some((_, _, elements)) => elements.push(element),
                None => features.push((sc.path.clone(), sc.feature.clone(), vec![element])),
            }
        }
        let out: Vec<serde_json::Value> = features
            .into_iter()
            .map(|(uri, name, elements)| {
                serde_json::json!({"uri": uri, "id": slug(&name), "keyword": "Feature", "name": name, "line": 1, "elements": elements})
            })
            .collect();
        serde_json::to_string_pretty(&out).unwrap_or_default()
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The report as JUnit XML: one test suite per feature file, one test case per scenario.
    pub fn to_junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
        let mut report = Report::new("payconform");
        report.set_time(Duration::from_millis(self.duration_ms));
        let mut suites: BTreeMap<&str, Vec<&ScenarioResult>> = BTreeMap::new();
        for s in &self.scenarios {
            suites.entry(s.path.as_str()).or_default().push(s);
        }
        for (path, scenarios) in suites {
            let mut suite = TestSuite::new(path);
            for s in scenarios {
                let status = match s.status {
                    Status::Passed => TestCaseStatus::success(),
                    Status::Failed => {
                        let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        let reason = s.reason.clone().unwrap_or_default();
                        st.set_message(reason.lines().next().unwrap_or("failed").to_string());
                        let mut description = reason.clone();
                        for v in &s.violations {
                            let _ = write!(
                                description,
                                "\n{} {} {} {} {}: {}",
                                v.api,
                                v.operation,
                                v.status.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                                v.side,
                                v.json_path,
                                v.message
                            );
                        }
                        st.set_description(description);
                        st
                    }
                    Status::Skipped => {
                        let mut st = TestCaseStatus::skipped();
                        st.set_message(s.reason.clone().unwrap_or_default());
                        st
                    }
                };
                let mut case = TestCase::new(format!("{} (line {})", s.name, s.line), status);
                case.set_classname(s.feature.clone());
                case.set_time(Duration::from_millis(s.duration_ms));
                suite.add_test_case(case);
            }
            report.add_test_suite(suite);
        }
        report.to_string().unwrap_or_default()
    }

    /// The report as a single self-contained HTML page: scenarios per API and the
    /// coverage matrix of operations × documented statuses.
    pub fn to_html(&self) -> String {
        let page: Markup = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { "payconform check report" }
                    style { (CSS) }
                }
                body {
                    h1 { "payconform check" }
                    p { "Target: " code { (self.target) } }
                    p.summary {
                        span.passed { (self.passed_count()) " passed" } ", "
                        // "0 failed" is no alarm: neutral, not red.
                        span class=(if self.failed_count() > 0 { "failed" } else { "neutral" }) {
                            (self.failed_count()) " failed"
                        } ", "
                        span.skipped { (self.skipped_count()) " skipped" }
                        " · " (self.exchanges) " exchanges checked in " (format!("{:.2}", self.duration_ms as f64 / 1000.0)) " s"
                    }
                    @let by_op = self.violations_by_operation();
                    @if !by_op.is_empty() {
                        h2 { "Violations by operation" }
                        table { tr { th { "Operation" } th { "Violations" } }
                            @for (op, n) in &by_op { tr { td { code { (op) } } td { (n) } } } }
                    }
                    @for api in Api::ALL.iter().map(|a| a.name().to_string()).chain(std::iter::once(String::new())) {
                        @let list: Vec<&ScenarioResult> = self.scenarios.iter()
                            .filter(|s| s.api.clone().unwrap_or_default() == api).collect();
                        @if !list.is_empty() {
                            h2 { @if api.is_empty() { "Scenarios without an API" } @else { "Scenarios: " (api) } }
                            table {
                                tr { th { "Status" } th { "Scenario" } th { "File" } th { "Exchanges" } th { "Details" } }
                                @for s in list {
                                    tr {
                                        td class=(format!("status {:?}", s.status).to_lowercase()) {
                                            (format!("{:?}", s.status).to_lowercase())
                                        }
                                        td { (s.feature) " › " (s.name) }
                                        td { code { (s.path) ":" (s.line) } }
                                        td { (s.exchanges) }
                                        td { @if let Some(r) = &s.reason { pre { (r) } } }
                                    }
                                }
                            }
                        }
                    }
                    h2 { "Coverage: operations × documented statuses" }
                    p.legend { "A number is how many exchanges got that status (green). "
                        "A number in a blue cell was only reached by asking a twin for it (Prefer: code=NNN): the vendor documents no trigger for it. "
                        "· is a status the spec documents for the operation that no exchange got; hover it for the reason. "
                        "A grey cell is a status the operation does not document, so there is nothing to exercise. "
                        "A red cell is a status the spec does not document that an exchange got anyway." }
                    @for c in &self.coverage {
                        @let (exercised, documented) = c.exercised();
                        h3 { (c.title) }
                        p.percent {
                            (exercised) " of " (documented) " documented (operation, status) pairs exercised"
                            @if documented > 0 { " (" (exercised * 100 / documented) "%)" }
                            "; " (c.totals.by_trigger) " by a request a vendor's sandbox would answer alike"
                            @if documented > 0 { " (" (c.totals.by_trigger * 100 / documented) "%)" }
                            "; " (c.totals.unreachable) " not reached, each with its reason"
                        }
                        table.coverage {
                            tr { th { "Operation" } @for s in &c.statuses { th { (s) } } }
                            @for row in &c.rows {
                                tr {
                                    td { code { (row.operation) } }
                                    @for cell in &row.cells {
                                        @if cell.count > 0 && cell.documented && cell.preferred == cell.count { td.preferred title="asked of the twin with Prefer: code" { (cell.count) } }
                                        @else if cell.count > 0 && cell.documented { td.hit { (cell.count) } }
                                        @else if cell.count > 0 { td.undocumented { (cell.count) } }
                                        @else if cell.documented { td.miss title=(cell.unreachable.clone().unwrap_or_default()) { "·" } }
                                        @else { td.none {} }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        page.into_string()
    }
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}\
pre{margin:0;white-space:pre-wrap;max-width:60em}.failed{color:#b00020;font-weight:bold}\
.passed{color:#1b7f3b}.skipped{color:#8a6d00}.neutral{color:#555}.legend,.percent{color:#444}\
.coverage td{text-align:center;min-width:2.5em}td.hit{background:#d7f5dd}td.preferred{background:#dbe9fb}td.miss{color:#999}\
td.undocumented{background:#f8d7da;color:#b00020;font-weight:bold}td.none{background:#f4f4f4}";

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
            summary: Summary { passed: 0, failed: 1, skipped: 0, violations: 5, transport_errors: 0 },
            target: "t".into(),
            duration_ms: 1,
            exchanges: 1,
            coverage: vec![],
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
