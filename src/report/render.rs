//! The report's renderings: JSON (serde), Cucumber JSON, JUnit XML (quick-junit) and
//! one self-contained HTML page (maud).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use maud::{DOCTYPE, Markup, html};

use super::{Redactor, RunReport, ScenarioResult, Status};
use crate::operation::Api;

impl RunReport {
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
                    @for (what, t) in [("scenarios", self.summary.scenarios), ("sweep", self.summary.sweep)] {
                        p.summary {
                            (what) ": "
                            span.passed { (t.passed) " passed" } ", "
                            // "0 failed" is no alarm: neutral, not red.
                            span class=(if t.failed > 0 { "failed" } else { "neutral" }) { (t.failed) " failed" } ", "
                            span.skipped { (t.skipped) " skipped" }
                        }
                    }
                    p { (self.exchanges) " exchanges checked in " (format!("{:.2}", self.duration_ms as f64 / 1000.0)) " s" }
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

impl crate::replay::DriftReport {
    /// The drift as one self-contained HTML page: every difference with its class,
    /// exchange, JSON path and both values (text escaped by maud).
    pub fn to_html(&self) -> String {
        let r = Redactor::default();
        let page: Markup = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { "payconform drift report" }
                    style { (CSS) }
                }
                body {
                    h1 { "payconform drift" }
                    p { "Against: " code { (r.clean(&self.target)) } }
                    p.summary {
                        (self.flows) " flows, " (self.exchanges) " exchanges re-sent; "
                        span class=(if self.new_differences().next().is_some() { "failed" } else { "neutral" }) {
                            (self.new_differences().count()) " new difference(s)"
                        }
                        ", " (self.differences.len() - self.new_differences().count()) " known"
                    }
                    table {
                        tr { th { "class" } th { "exchange" } th { "API" } th { "operation" } th { "path" } th { "recorded" } th { "target" } th { "known" } }
                        @for d in &self.differences {
                            tr {
                                td { (format!("{:?}", d.class)) }
                                td { "#" (d.exchange) }
                                td { (d.api) }
                                td { (d.operation) }
                                td { code { (r.clean(&d.json_path)) } }
                                td { code { (r.clean(&d.recorded)) } }
                                td { code { (r.clean(&d.target)) } }
                                td { (d.known.as_deref().map(|k| r.clean(k)).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        };
        page.into_string()
    }
}
