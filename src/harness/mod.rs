//! The conformance harness: Gherkin scenarios (`features/`) run by cucumber-rs through
//! the generated clients against a target (the twin, the vendors' test hosts or any
//! URL). Every exchange is checked against the spec, and a scenario fails on any
//! violation (its steps go on from the raw JSON, so one bad field hides nothing after
//! it), so each scenario implicitly asserts that all its exchanges conform.
//!
//! ```no_run
//! # async fn demo() -> Result<(), payconform::harness::HarnessError> {
//! use payconform::harness::{CheckOptions, Target, run};
//! let report = run(&CheckOptions::new(Target::Sandbox)).await?;
//! println!("{}", report.summary());
//! assert!(report.passed());
//! # Ok(()) }
//! ```

mod redact;
pub mod report;
mod steps;
mod suggest;
pub mod sweep;
pub mod target;
mod webhooks;
mod world;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cucumber::feature::Ext as _;
use cucumber::gherkin::{self, GherkinEnv};
use cucumber::tag::Ext as _;
use cucumber::{World as _, event, writer};
use futures::FutureExt as _;
use include_dir::{Dir, include_dir};

pub use report::{Redactor, RunReport, ScenarioResult, Status, StepResult, Summary};
pub use target::{Endpoint, Env, Target};
pub use world::ConformanceWorld;

use crate::sandbox::Twin;
use crate::spec::Api;
use world::{ExchangeRecord, RunContext, api_by_name};

/// The feature files shipped with the crate (`features/`).
pub static FEATURES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/features");

/// Tag that marks scenarios asserting what only payconform's twin does (our error
/// names, exact link sets, the inspection endpoint, immediate events): they run only
/// against a twin.
pub const TWIN_TAG: &str = "twin";

/// Every step definition of the built-in vocabulary, read from the registered step
/// functions themselves, with each parameter shown as `{}` (`I authorize {} {}`).
pub fn step_vocabulary() -> Vec<String> {
    suggest::vocabulary().to_vec()
}
/// Scenarios that wait for Adyen notifications; skipped, with the reason, where the run
/// has no receiver.
pub const NOTIFICATIONS_TAG: &str = "notifications";

const ID_TAG: &str = "payconform-scenario-";

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Where requests go.
    pub target: Target,
    /// A tag expression (`@adyen and not @slow`); scenarios that do not match are left out.
    pub tags: Option<String>,
    /// Feature files and directories (searched recursively) to run instead of the
    /// built-in features; empty runs the built-in ones.
    pub features: Vec<PathBuf>,
    /// How long an event query keeps polling for the expected event; default 30 s
    /// wherever the target is not payconform's twin, 0 on a twin (it updates events at
    /// once).
    pub event_wait: Option<Duration>,
    /// Scenarios in flight at once; default 32 (4 on `live`).
    pub concurrency: Option<usize>,
    /// Environment variables for credentials and hosts.
    pub env: Env,
    /// Print a line per finished scenario to stderr.
    pub progress: bool,
    /// Response bodies are read up to this many bytes; a larger one is a violation of
    /// its exchange. Default [`crate::client::DEFAULT_MAX_RESPONSE_BODY`] (16 MiB).
    pub max_response_body: usize,
    /// How long one request may take, answer body included; default 30 s.
    pub request_timeout: Duration,
    /// With [`Target::Sandbox`]: start the twin in vendor-variance mode with this seed.
    pub variance: Option<u64>,
    /// Where to receive Adyen notifications from a URL or `live` target (route your
    /// webhook there); their HMAC key comes from `ADYEN_HMAC_KEY`. The built-in twin
    /// needs neither: the harness wires it to a receiver of its own.
    pub webhook_listen: Option<std::net::SocketAddr>,
    /// Run the Gherkin scenarios (default true).
    pub scenarios: bool,
    /// Run the sweep generated from the spec (default true).
    pub sweep: bool,
    /// Sweep only these operations (operationId or method name); empty: all.
    pub operations: Vec<String>,
    /// Only these checks' violations count; empty: every check.
    pub checks: Vec<crate::conformance::CheckKind>,
}

impl CheckOptions {
    /// Defaults for a target, with credentials from the process environment.
    pub fn new(target: Target) -> Self {
        CheckOptions {
            target,
            tags: None,
            features: Vec::new(),
            event_wait: None,
            concurrency: None,
            env: std::env::vars().collect(),
            progress: false,
            max_response_body: crate::client::DEFAULT_MAX_RESPONSE_BODY,
            request_timeout: Duration::from_secs(30),
            variance: None,
            webhook_listen: None,
            scenarios: true,
            sweep: true,
            operations: Vec::new(),
            checks: Vec::new(),
        }
    }
}

/// Why a run could not start. (A run that starts and fails is a [`RunReport`].)
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The options or the feature files are wrong; nothing was sent.
    #[error("{0}")]
    Usage(String),
    /// The target could not be set up.
    #[error("{0}")]
    Setup(String),
    /// The target does not answer (checked before anything is run); nothing was sent
    /// beyond one unauthenticated request per host.
    #[error("cannot reach the target: {0}")]
    Unreachable(String),
}

/// One feature file's text.
struct Source {
    path: String,
    text: String,
}

/// The built-in features, or the given feature files and directories (searched
/// recursively), each path at most once.
fn load_sources(paths: &[PathBuf]) -> Result<Vec<Source>, HarnessError> {
    let mut out = Vec::new();
    if paths.is_empty() {
        fn walk(d: &Dir<'static>, out: &mut Vec<Source>) {
            for f in d.files() {
                if f.path().extension().is_some_and(|e| e == "feature") {
                    out.push(Source {
                        path: format!("features/{}", f.path().display()),
                        text: f.contents_utf8().unwrap_or_default().to_string(),
                    });
                }
            }
            for sub in d.dirs() {
                walk(sub, out);
            }
        }
        walk(&FEATURES, &mut out);
    }
    fn walk(d: &Path, out: &mut Vec<Source>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(d)? {
            let p = entry?.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else if p.extension().is_some_and(|e| e == "feature") {
                out.push(Source { path: p.display().to_string(), text: std::fs::read_to_string(&p)? });
            }
        }
        Ok(())
    }
    for path in paths {
        let unreadable = |e: std::io::Error| HarnessError::Usage(format!("cannot read {}: {e}", path.display()));
        if path.is_dir() {
            let before = out.len();
            walk(path, &mut out).map_err(unreadable)?;
            if out.len() == before {
                return Err(HarnessError::Usage(format!("no .feature files under {}", path.display())));
            }
        } else if path.is_file() {
            if path.extension().is_none_or(|e| e != "feature") {
                return Err(HarnessError::Usage(format!("{} is not a .feature file", path.display())));
            }
            out.push(Source {
                path: path.display().to_string(),
                text: std::fs::read_to_string(path).map_err(unreadable)?,
            });
        } else {
            return Err(HarnessError::Usage(format!(
                "{} does not exist (give feature files or directories)",
                path.display()
            )));
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

fn parse_features(sources: Vec<Source>) -> Result<Vec<gherkin::Feature>, HarnessError> {
    sources
        .into_iter()
        .map(|s| {
            let mut f = gherkin::Feature::parse(&s.text, GherkinEnv::default()).map_err(|e| {
                HarnessError::Usage(match suggest::misspelled_keyword(&s.text) {
                    Some((line, hint)) => format!("{}:{line}: not valid Gherkin: {hint}", s.path),
                    None => format!("{}: not valid Gherkin: {e}", s.path),
                })
            })?;
            // A misspelled `Scenario:` parses as description text: say so rather than
            // run a feature without scenarios.
            if f.scenarios.is_empty()
                && f.rules.iter().all(|r| r.scenarios.is_empty())
                && let Some((line, hint)) = suggest::misspelled_keyword(&s.text)
            {
                return Err(HarnessError::Usage(format!("{}:{line}: no scenario found: {hint}", s.path)));
            }
            f.path = Some(PathBuf::from(&s.path));
            f.expand_examples().map_err(|e| HarnessError::Usage(format!("{}: {e}", s.path)))
        })
        .collect()
}

/// The API a scenario declares with `Given the <api> API` (in a Background or itself).
fn scenario_api(feature: &gherkin::Feature, rule: Option<&gherkin::Rule>, scenario: &gherkin::Scenario) -> Option<Api> {
    let steps = feature
        .background
        .iter()
        .flat_map(|b| &b.steps)
        .chain(rule.and_then(|r| r.background.as_ref()).into_iter().flat_map(|b| &b.steps))
        .chain(&scenario.steps);
    steps.filter_map(|s| s.value.strip_prefix("the ")?.strip_suffix(" API")).find_map(api_by_name)
}

/// What the run knows about one scenario before it runs.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) api: Option<Api>,
    pub(crate) feature: String,
    pub(crate) path: String,
    pub(crate) line: usize,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    pub(crate) skip: Option<String>,
}

/// A scenario's name; an Outline's row is named by its example values
/// (`Cancel without a required field is rejected (field: merchantAccount, code: 130)`).
fn outline_row_name(sc: &gherkin::Scenario) -> String {
    let row = sc.examples.iter().filter_map(|e| e.table.as_ref()).find_map(|t| {
        // An expanded row keeps the header and its own row (or, elsewhere, the whole
        // table, where the row is found by its line).
        let header = t.rows.first()?;
        let values = if t.rows.len() == 2 {
            t.rows.get(1)?
        } else {
            let index = sc.position.line.checked_sub(t.position.line)?;
            t.rows.get(index).filter(|_| index > 0)?
        };
        Some(header.iter().zip(values).map(|(h, v)| format!("{h}: {v}")).collect::<Vec<_>>().join(", "))
    });
    match row {
        Some(values) => format!("{} ({values})", sc.name),
        None => sc.name.clone(),
    }
}

/// Decide per scenario: left out by tags, skipped with a reason, or run (tagged with its id).
fn plan(
    features: &mut Vec<gherkin::Feature>,
    tags: Option<&gherkin::tagexpr::TagOperation>,
    endpoints: &[Endpoint],
    twin: bool,
    no_notifications: Option<&str>,
) -> Vec<Planned> {
    let mut planned = Vec::new();
    let mut decide = |feature: &gherkin::Feature, rule: Option<&gherkin::Rule>, sc: &mut gherkin::Scenario| -> bool {
        let all_tags: Vec<String> =
            feature.tags.iter().chain(rule.iter().flat_map(|r| &r.tags)).chain(&sc.tags).cloned().collect();
        if tags.is_some_and(|t| !t.eval(all_tags.iter())) {
            return false;
        }
        let api = scenario_api(feature, rule, sc);
        let skip =
            if let Some(why) = api.and_then(|a| endpoints.iter().find(|e| e.api == a)).and_then(|e| e.skip.clone()) {
                Some(why)
            } else if !twin && all_tags.iter().any(|t| t == TWIN_TAG) {
                Some(
                    "tagged @twin: asserts what only payconform's twin does, and the target is not a twin \
                     (no answer at /__payconform/twin, or a twin in variance mode)"
                        .into(),
                )
            } else {
                no_notifications.filter(|_| all_tags.iter().any(|t| t == NOTIFICATIONS_TAG)).map(str::to_string)
            };
        let id = planned.len();
        planned.push(Planned {
            api,
            feature: feature.name.clone(),
            path: feature.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            line: sc.position.line,
            name: outline_row_name(sc),
            tags: all_tags,
            skip: skip.clone(),
        });
        sc.tags.push(format!("{ID_TAG}{id}"));
        skip.is_none()
    };
    for f in features.iter_mut() {
        let mut scenarios = std::mem::take(&mut f.scenarios);
        scenarios.retain_mut(|sc| decide(f, None, sc));
        f.scenarios = scenarios;
        let mut rules = std::mem::take(&mut f.rules);
        for r in &mut rules {
            let mut scenarios = std::mem::take(&mut r.scenarios);
            scenarios.retain_mut(|sc| decide(f, Some(r), sc));
            r.scenarios = scenarios;
        }
        rules.retain(|r| !r.scenarios.is_empty());
        f.rules = rules;
    }
    features.retain(|f| !f.scenarios.is_empty() || !f.rules.is_empty());
    planned
}

fn scenario_id(sc: &gherkin::Scenario) -> Option<usize> {
    sc.tags.iter().find_map(|t| t.strip_prefix(ID_TAG)?.parse().ok())
}

/// Features already parsed and planned, handed to cucumber as they are.
struct Preparsed(Vec<gherkin::Feature>);

impl cucumber::Parser<()> for Preparsed {
    type Cli = cucumber::cli::Empty;
    type Output = futures::stream::Iter<std::vec::IntoIter<cucumber::parser::Result<gherkin::Feature>>>;
    fn parse(self, _: (), _: Self::Cli) -> Self::Output {
        futures::stream::iter(self.0.into_iter().map(Ok).collect::<Vec<_>>())
    }
}

/// What the writer saw of one scenario.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub(crate) steps: Vec<StepResult>,
    pub(crate) started: Option<Instant>,
    pub(crate) elapsed: Duration,
    pub(crate) finished: bool,
}

/// A cucumber writer that collects results by scenario id and prints progress.
struct Collector {
    seen: Arc<Mutex<BTreeMap<usize, Seen>>>,
    /// The run's context, whose sink holds each finished scenario's exchanges.
    ctx: Arc<RunContext>,
    planned: Arc<Vec<Planned>>,
    redactor: Redactor,
    progress: bool,
    total: usize,
    done: usize,
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
                    Some(StepResult { message: Some(suggest::help(&s.value)), text, status: Status::Failed })
                }
                event::Step::Failed(_, _, _, err) => {
                    let message = match err {
                        event::StepError::Panic(info) => panic_message(info),
                        other => other.to_string(),
                    };
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
                    let failed = entry.steps.iter().find(|s| s.status == Status::Failed);
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
                        .map(|v| self.redactor.clean(&v.to_string()))
                        .collect();
                    let p = &self.planned[id];
                    let mark = if failed.is_some() || !violations.is_empty() { "FAIL" } else { "ok  " };
                    eprintln!(
                        "[{:>3}/{}] {mark} {}:{} {}",
                        self.done,
                        self.total,
                        p.path,
                        p.line,
                        self.redactor.clean(&p.name)
                    );
                    if let Some(f) = failed {
                        let msg = self.redactor.clean(f.message.as_deref().unwrap_or(""));
                        let text = self.redactor.clean(&f.text);
                        eprintln!("           {text}\n           {}", msg.replace('\n', "\n           "));
                    }
                    for v in &violations {
                        eprintln!("           - {v}");
                    }
                }
            }
            _ => {}
        }
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

/// Check that every host the run will talk to answers HTTP at all, so that an
/// unreachable target is one line, not a failure per request. One request per host,
/// without credentials and without following redirects; any HTTP answer will do.
async fn preflight(
    endpoints: &[Endpoint],
    http: &[(Api, reqwest::Client, reqwest::Client)],
) -> Result<(), HarnessError> {
    let mut seen = std::collections::BTreeSet::new();
    for e in endpoints.iter().filter(|e| e.skip.is_none()) {
        let Ok(url) = url::Url::parse(&e.base_url) else { continue };
        if !seen.insert((url.scheme().to_string(), url.host_str().map(str::to_string), url.port_or_known_default())) {
            continue;
        }
        let Some((_, _, anon)) = http.iter().find(|(a, _, _)| *a == e.api) else { continue };
        match tokio::time::timeout(Duration::from_secs(10), anon.get(url.clone()).send()).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => return Err(HarnessError::Unreachable(crate::client::describe_transport(&err, Some(&url)))),
            Err(_) => {
                let at = format!("{}:{}", url.host_str().unwrap_or("?"), url.port_or_known_default().unwrap_or(0));
                return Err(HarnessError::Unreachable(format!("timed out after 10 s waiting for {at} to answer")));
            }
        }
    }
    Ok(())
}

/// Whether the target is payconform's twin, not in variance mode: it alone answers
/// `GET /__payconform/twin` (without credentials) with `{"twin": "payconform"}`.
async fn is_twin(root: &str, http: &[(Api, reqwest::Client, reqwest::Client)]) -> bool {
    let Some((_, _, anon)) = http.first() else { return false };
    let probe = anon.get(format!("{}{}", root.trim_end_matches('/'), crate::sandbox::TWIN_PROBE_PATH)).send();
    match tokio::time::timeout(Duration::from_secs(10), probe).await {
        Ok(Ok(r)) if r.status() == 200 => {
            r.json::<serde_json::Value>().await.is_ok_and(|v| v["twin"] == "payconform" && v["variance"].is_null())
        }
        _ => false,
    }
}

/// Run the suite and report. Errors only when the run cannot start.
pub async fn run(opts: &CheckOptions) -> Result<RunReport, HarnessError> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let tags = match opts.tags.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(
            t.parse::<gherkin::tagexpr::TagOperation>()
                .map_err(|e| HarnessError::Usage(format!("--tags {t:?} is not a tag expression: {e}")))?,
        ),
        None => None,
    };
    let mut features = parse_features(load_sources(&opts.features)?)?;

    // The target.
    if opts.variance.is_some() && opts.target != Target::Sandbox {
        return Err(HarnessError::Usage(
            "--variance starts a varied twin, so it needs --target sandbox; \
             for a twin elsewhere, start it with payconform sandbox --variance SEED"
                .into(),
        ));
    }
    // The embedded twin is served by the same hyper server as `payconform sandbox` (not
    // wiremock, whose drop blocks on its state inside the runtime and could hang a run).
    // Adyen notifications: the built-in twin sends them to a receiver of the harness's,
    // signed with a key made for the run; elsewhere the user routes them to
    // --webhook-listen, signed with ADYEN_HMAC_KEY.
    let mut no_notifications = None;
    let notifications =
        match (&opts.target, opts.webhook_listen, opts.env.get("ADYEN_HMAC_KEY").filter(|k| !k.trim().is_empty())) {
            (Target::Sandbox, _, _) => {
                let receiver = webhooks::Receiver::start(([127, 0, 0, 1], 0).into())
                    .await
                    .map_err(|e| HarnessError::Setup(format!("cannot start the notification receiver: {e}")))?;
                Some(webhooks::Notifications { receiver, hmac_key: hex::encode(rand::random::<[u8; 32]>()) })
            }
            (_, Some(addr), Some(key)) => {
                if hex::decode(key.trim()).is_err() {
                    return Err(HarnessError::Usage(
                        "ADYEN_HMAC_KEY is not hexadecimal (Adyen's Customer Area shows it as hex)".into(),
                    ));
                }
                let receiver = webhooks::Receiver::start(addr)
                    .await
                    .map_err(|e| HarnessError::Usage(format!("--webhook-listen {addr}: cannot listen there: {e}")))?;
                Some(webhooks::Notifications { receiver, hmac_key: key.trim().to_string() })
            }
            (_, listen, key) => {
                no_notifications = Some(format!(
                    "tagged @notifications: waits for Adyen notifications, and this run has no receiver \
                 (needs --webhook-listen ADDR{} and ADYEN_HMAC_KEY{}; route your Adyen webhook to that address)",
                    if listen.is_some() { " (given)" } else { "" },
                    if key.is_some() { " (set)" } else { "" },
                ));
                None
            }
        };
    let mock = match opts.target {
        Target::Sandbox => {
            let webhook = notifications.as_ref().map(|n| crate::sandbox::webhook::WebhookConfig {
                url: n.receiver.url(),
                hmac_key: Some(n.hmac_key.clone()),
                delay: Duration::ZERO,
                retry: Duration::from_millis(100),
                ..Default::default()
            });
            let twin = Twin::new(crate::sandbox::TwinConfig { variance: opts.variance, webhook, ..Default::default() });
            let server = crate::sandbox::server::SandboxServer::start(twin, ([127, 0, 0, 1], 0).into())
                .await
                .map_err(|e| HarnessError::Setup(format!("cannot start the embedded twin: {e}")))?;
            Some(server)
        }
        _ => None,
    };
    let endpoints = target::endpoints(&opts.target, mock.as_ref().map(|m| m.url()).as_deref(), &opts.env)
        .map_err(HarnessError::Usage)?;
    let target_label = match &mock {
        Some(m) => format!("sandbox ({})", m.url()),
        None => opts.target.to_string(),
    };
    // The notification HMAC key is a secret like the credentials.
    let redactor = Redactor::new(
        endpoints.iter().flat_map(|e| e.secrets.clone()).chain(notifications.as_ref().map(|n| n.hmac_key.clone())),
    );

    let http = RunContext::http_clients(&endpoints, opts.request_timeout).map_err(HarnessError::Setup)?;
    if mock.is_none() {
        preflight(&endpoints, &http).await?;
    }
    // A twin in variance mode stands in for a vendor's sandbox: it is no twin to @twin
    // scenarios, and its events are asynchronous.
    let twin = match &opts.target {
        Target::Sandbox => opts.variance.is_none(),
        Target::Live => false,
        Target::Url(root) => is_twin(root, &http).await,
    };
    if !opts.scenarios {
        features.clear();
    }
    for name in &opts.operations {
        let known = Api::ALL
            .iter()
            .flat_map(|a| &crate::spec::spec(*a).operations)
            .any(|o| o.operation_id == *name || o.method_name == *name);
        if !known {
            return Err(HarnessError::Usage(format!(
                "--operations: no operation is named {name:?} (see payconform lint or GET / on a twin)"
            )));
        }
    }
    let planned = Arc::new(plan(&mut features, tags.as_ref(), &endpoints, twin, no_notifications.as_deref()));
    let to_run = planned.iter().filter(|p| p.skip.is_none()).count();
    let live = opts.target == Target::Live;
    let ctx = Arc::new(RunContext {
        max_response_body: opts.max_response_body,
        http,
        endpoints,
        event_wait: opts.event_wait.unwrap_or(if twin { Duration::ZERO } else { Duration::from_secs(30) }),
        twin,
        sink: Mutex::new(BTreeMap::new()),
        run_tag: format!("{:x}", rand::random::<u32>()),
        notification_wait: if twin { Duration::from_secs(10) } else { Duration::from_secs(60) },
        checks: opts.checks.clone(),
        notifications,
    });
    let seen = Arc::new(Mutex::new(BTreeMap::new()));

    if to_run > 0 {
        let collector = Collector {
            ctx: ctx.clone(),
            seen: seen.clone(),
            planned: planned.clone(),
            redactor: redactor.clone(),
            progress: opts.progress,
            total: to_run,
            done: 0,
        };
        let before_ctx = ctx.clone();
        let after_ctx = ctx.clone();
        ConformanceWorld::cucumber::<PathBuf>()
            .with_parser(Preparsed(features))
            .with_writer(writer::AssertNormalized::new(collector))
            .max_concurrent_scenarios(opts.concurrency.unwrap_or(if live { 4 } else { 32 }).max(1))
            .before(move |_, _, sc, w| {
                w.ctx = Some(before_ctx.clone());
                w.id = scenario_id(sc).unwrap_or(usize::MAX);
                async {}.boxed_local()
            })
            .after(move |_, _, sc, _, w| {
                if let (Some(w), Some(id)) = (w, scenario_id(sc)) {
                    let records: Vec<ExchangeRecord> = std::mem::take(&mut w.records);
                    after_ctx.sink.lock().unwrap_or_else(|p| p.into_inner()).insert(id, records);
                }
                async {}.boxed_local()
            })
            .with_default_cli()
            .run(())
            .await;
    }
    let mut seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|p| p.into_inner()));
    let mut sink = std::mem::take(&mut *ctx.sink.lock().unwrap_or_else(|p| p.into_inner()));
    // The sweep, after the scenarios: one entry per operation, selected by --tags like a
    // scenario (each carries @sweep and its API's short name).
    let mut planned: Vec<Planned> = planned.as_ref().clone();
    if opts.sweep {
        let mut todo = Vec::new();
        for (api, op) in sweep::operations(&ctx, &opts.operations) {
            let p = sweep::plan(&ctx, api, op);
            if tags.as_ref().is_some_and(|t| !t.eval(p.tags.iter())) {
                continue;
            }
            if p.skip.is_none() {
                todo.push((planned.len(), api, op));
            }
            planned.push(p);
        }
        let concurrency = opts.concurrency.unwrap_or(if live { 4 } else { 32 });
        for (id, s, records) in sweep::run(ctx.clone(), todo, concurrency).await {
            if opts.progress {
                let mark = if s.steps.iter().any(|st| st.status == Status::Failed) { "FAIL" } else { "ok  " };
                eprintln!("sweep {mark} {}", redactor.clean(&planned[id].name));
            }
            seen.insert(id, s);
            sink.insert(id, records);
        }
    }
    if let Some(server) = mock {
        server.shutdown().await;
    }
    let info = report::RunInfo { target: target_label, elapsed: started.elapsed(), started_at, twin };
    Ok(RunReport::build(info, &planned, seen, sink, &redactor))
}
