//! Collecting what cucumber reports, per scenario, and printing progress.

use super::features::Planned;
use super::features::scenario_id;
use super::world::ConformanceWorld;
use super::world::RunContext;
use crate::report::{Redactor, Status, StepResult};
use cucumber::event;
use cucumber::gherkin::{self};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the writer saw of one scenario.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub(crate) steps: Vec<StepResult>,
    pub(crate) started: Option<Instant>,
    pub(crate) elapsed: Duration,
    pub(crate) finished: bool,
}

/// A cucumber writer that collects results by scenario id and prints progress.
pub(super) struct Collector {
    pub(super) seen: Arc<Mutex<BTreeMap<usize, Seen>>>,
    /// The run's context, whose sink holds each finished scenario's exchanges.
    pub(super) ctx: Arc<RunContext>,
    pub(super) planned: Arc<Vec<Planned>>,
    pub(super) redactor: Redactor,
    pub(super) progress: bool,
    pub(super) total: usize,
    pub(super) done: usize,
}

fn panic_message(info: &event::Info) -> String {
    if let Some(s) = info.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = info.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "the step panicked".into()
    }
}

impl Collector {
    fn scenario(&mut self, sc: &gherkin::Scenario, ev: &event::Scenario<ConformanceWorld>) {
        let Some(id) = scenario_id(sc) else { return };
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let entry = seen.entry(id).or_default();
        let step = |s: &gherkin::Step, ev: &event::Step<ConformanceWorld>| -> Option<StepResult> {
            let text = format!("{} {}", s.keyword.trim(), s.value);
            match ev {
                event::Step::Started => None,
                event::Step::Passed(..) => Some(StepResult { text, status: Status::Passed, message: None }),
                event::Step::Skipped => {
                    Some(StepResult { message: Some(super::suggest::help(&s.value)), text, status: Status::Failed })
                }
                event::Step::Failed(_, _, _, err) => {
                    let message = match err {
                        event::StepError::Panic(info) => panic_message(info),
                        other => other.to_string(),
                    };
                    // A step that says it is still pending is skipped, not failed.
                    if let Some(at) = message.find(crate::harness::steps::PENDING) {
                        let reason = message[at..].to_string();
                        return Some(StepResult { text, status: Status::Skipped, message: Some(reason) });
                    }
                    Some(StepResult { text, status: Status::Failed, message: Some(message) })
                }
            }
        };
        match ev {
            event::Scenario::Started => entry.started = Some(Instant::now()),
            event::Scenario::Background(s, e) | event::Scenario::Step(s, e) => {
                if let Some(r) = step(s, e) {
                    entry.steps.push(r);
                }
            }
            event::Scenario::Hook(kind, event::Hook::Failed(_, info)) => entry.steps.push(StepResult {
                text: format!("{kind:?} hook"),
                status: Status::Failed,
                message: Some(panic_message(info)),
            }),
            event::Scenario::Finished => {
                entry.finished = true;
                entry.elapsed = entry.started.map(|s| s.elapsed()).unwrap_or_default();
                self.done += 1;
                if self.progress {
                    let failed = entry.steps.iter().find(|s| s.status == Status::Failed).cloned();
                    let pending = entry.steps.iter().any(|s| s.status == Status::Skipped);
                    drop(seen);
                    self.progress_line(id, failed, pending);
                }
            }
            _ => {}
        }
    }

    /// One line per finished scenario on stderr, with its failed step and violations.
    fn progress_line(&self, id: usize, failed: Option<StepResult>, pending: bool) {
        // The after hook has put the scenario's exchanges in the sink.
        let violations: Vec<String> = self
            .ctx
            .sink
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .into_iter()
            .flatten()
            .flat_map(|e| &e.violations)
            .map(|v| super::world::shorten(&self.redactor.clean(&v.to_string()), crate::report::MAX_VIOLATION_TEXT))
            .collect();
        let p = &self.planned[id];
        let mark = if failed.is_some() || !violations.is_empty() {
            "FAIL"
        } else if pending {
            "skip"
        } else {
            "ok  "
        };
        // One line per scenario; a failure's message and violations are printed once, in
        // the summary at the end.
        let step = failed.map(|f| format!(" at: {}", self.redactor.clean(&f.text))).unwrap_or_default();
        let found = if violations.is_empty() { String::new() } else { format!(" ({} violation(s))", violations.len()) };
        eprintln!(
            "[{:>3}/{}] {mark} {}:{} {}{step}{found}",
            self.done,
            self.total,
            p.path,
            p.line,
            self.redactor.clean(&p.name)
        );
    }
}

impl cucumber::Writer<ConformanceWorld> for Collector {
    type Cli = cucumber::cli::Empty;
    async fn handle_event(
        &mut self,
        ev: cucumber::parser::Result<cucumber::Event<event::Cucumber<ConformanceWorld>>>,
        _: &Self::Cli,
    ) {
        let Ok(ev) = ev else { return };
        match &ev.value {
            event::Cucumber::Feature(_, event::Feature::Scenario(sc, r))
            | event::Cucumber::Feature(_, event::Feature::Rule(_, event::Rule::Scenario(sc, r))) => {
                self.scenario(sc, &r.event)
            }
            _ => {}
        }
    }
}
