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

mod steps;
mod suggest;
mod sweep;
mod target;
mod webhooks;
mod world;

mod assemble;
mod collect;
mod features;
mod run;

pub(crate) use collect::Seen;
pub(crate) use features::Planned;
pub use run::run;

use std::path::PathBuf;
use std::time::Duration;

use include_dir::{Dir, include_dir};

pub use crate::report::SWEEP_TAG;
pub use crate::report::{
    Coverage, CoverageCell, CoverageRow, CoverageTotals, ExchangeDetail, RequestDetail, ResponseDetail, RunReport,
    ScenarioResult, Status, StepResult, Summary, Totals, ViolationRecord,
};
pub use run::WORLDPAY_EVENT_WAIT;
pub use target::{Endpoint, Env, Target};
pub use world::ConformanceWorld;

/// The feature files shipped with the crate (`features/`).
pub static FEATURES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/features");

/// Tag that marks scenarios asserting what only payconform's twin does (our error
/// names, exact link sets, the inspection endpoint, immediate events): they run only
/// against a twin.
pub const TWIN_TAG: &str = "twin";

/// Every step definition of the built-in vocabulary, read from the registered step
/// functions themselves, with each parameter named (`I authorize {int} {currency}`).
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
    /// How long an event query keeps polling, with backoff, for the expected event;
    /// default [`WORLDPAY_EVENT_WAIT`] (15 minutes, as Worldpay documents)
    /// wherever the target is not payconform's twin, 0 on a twin (it updates events at
    /// once). An event that is still an earlier one at the deadline skips the step as
    /// pending; any other wrong event fails it.
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
    /// Record every exchange, redacted, to this HAR 1.2 file.
    pub record: Option<PathBuf>,
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
            record: None,
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
