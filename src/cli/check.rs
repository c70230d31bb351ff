//! `payconform check`: its arguments, the run, the summary on the console and the
//! reports.

use std::path::PathBuf;
use std::process::ExitCode;

/// The arguments of `payconform check`.
#[derive(clap::Args, Debug)]
pub(crate) struct CheckArgs {
    /// `sandbox` (a twin started in-process), `live` (the vendors' test hosts), a base
    /// URL serving all three APIs (e.g. `payconform sandbox` elsewhere), or
    /// `replay:FILE.har` (a recording served offline in-process).
    #[arg(long, default_value = "sandbox", value_parser = parse_target)]
    target: payconform::harness::Target,
    /// Tag expression selecting scenarios, e.g. `@adyen and not @twin`.
    #[arg(long, value_name = "EXPR")]
    tags: Option<String>,
    /// Run these feature files, or every .feature file under these directories, with
    /// the built-in steps instead of the built-in features (repeatable).
    #[arg(long, value_name = "FILE|DIR")]
    features: Vec<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a JSON report.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write an HTML report with the coverage matrix.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Record every exchange of the run, redacted, as a HAR 1.2 file.
    #[arg(long, value_name = "FILE.har")]
    record: Option<PathBuf>,
    /// Write a report in the Cucumber JSON format (for CI dashboards that read it).
    #[arg(long, value_name = "FILE")]
    cucumber_json: Option<PathBuf>,
    /// Seconds an event query keeps polling (with backoff) for the expected event; an
    /// event still earlier at the deadline skips the step as pending [default: 900,
    /// Worldpay's documented "up to 15 minutes", wherever the target is not the twin;
    /// 0 on the twin].
    #[arg(long, value_name = "SECONDS")]
    event_wait: Option<u64>,
    /// Scenarios run at once [default: 32; 4 on live].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    concurrency: Option<u64>,
    /// No per-scenario progress lines.
    #[arg(long, short)]
    quiet: bool,
    /// MiB of a response body read at most; a larger body is a violation of its
    /// exchange and is not read further.
    #[arg(long, value_name = "MIB", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=4096))]
    max_response_body: u64,
    /// Seconds one request may take, its answer's body included.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_timeout: u64,
    /// With `--target sandbox`: start the twin in vendor-variance mode with this
    /// seed (then `@twin` scenarios are skipped, as on a vendor's sandbox).
    #[arg(long, value_name = "SEED")]
    variance: Option<u64>,
    /// Against a URL or live: receive Adyen notifications on this address (route
    /// your Adyen webhook there) and check them; their HMAC key comes from
    /// ADYEN_HMAC_KEY. Without both, @notifications scenarios are skipped.
    #[arg(long, value_name = "ADDR")]
    webhook_listen: Option<std::net::SocketAddr>,
    /// What to run: the Gherkin scenarios, the sweep generated from the spec (every
    /// documented status of every operation), or both [default: both; with
    /// --features, only your scenarios]
    #[arg(long, value_delimiter = ',', value_enum)]
    phases: Vec<Phase>,
    /// Sweep only these operations (operationId or method name; repeatable or
    /// comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "OPERATION")]
    operations: Vec<String>,
    /// Count only these checks' violations: status, media_type, headers,
    /// request_body, response_body, links (default: all).
    #[arg(long, value_delimiter = ',', value_name = "CHECK", value_parser = check_kind)]
    checks: Vec<payconform::CheckKind>,
}

impl CheckArgs {
    /// The harness options and the reports to write.
    fn options(self) -> (payconform::harness::CheckOptions, Reports) {
        let mut opts = payconform::harness::CheckOptions::new(self.target);
        opts.webhook_listen = self.webhook_listen;
        // Your own feature files run alone unless --phases asks for the sweep too.
        let phases = match (self.phases.is_empty(), self.features.is_empty()) {
            (false, _) => self.phases,
            (true, true) => vec![Phase::Scenarios, Phase::Sweep],
            (true, false) => vec![Phase::Scenarios],
        };
        opts.scenarios = phases.contains(&Phase::Scenarios);
        opts.sweep = phases.contains(&Phase::Sweep);
        opts.operations = self.operations;
        opts.checks = self.checks;
        opts.tags = self.tags;
        opts.features = self.features;
        opts.event_wait = self.event_wait.map(std::time::Duration::from_secs);
        opts.concurrency = self.concurrency.map(|c| c as usize);
        opts.progress = !self.quiet;
        opts.max_response_body = (self.max_response_body as usize).saturating_mul(1024 * 1024);
        opts.request_timeout = std::time::Duration::from_secs(self.request_timeout);
        opts.variance = self.variance;
        opts.record = self.record;
        let reports =
            Reports { junit: self.junit, json: self.json, html: self.html, cucumber_json: self.cucumber_json };
        (opts, reports)
    }
}

/// A phase of `payconform check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Phase {
    /// The Gherkin scenarios.
    Scenarios,
    /// The sweep generated from the spec.
    Sweep,
}

fn parse_target(s: &str) -> Result<payconform::harness::Target, String> {
    s.parse()
}

pub(crate) fn check_kind(s: &str) -> Result<payconform::CheckKind, String> {
    payconform::CheckKind::from_name(s).ok_or_else(|| {
        let all: Vec<&str> = payconform::CheckKind::ALL.iter().map(|c| c.name()).collect();
        format!("no check is named {s:?}; the checks are {}", all.join(", "))
    })
}

struct Reports {
    junit: Option<PathBuf>,
    cucumber_json: Option<PathBuf>,
    json: Option<PathBuf>,
    html: Option<PathBuf>,
}

/// Run the suite, print the summary, write the reports.
pub(crate) fn run(args: CheckArgs) -> ExitCode {
    let (opts, reports) = args.options();

    use payconform::harness::HarnessError;
    // Refuse unwritable report paths before anything is sent.
    for path in
        [&reports.junit, &reports.json, &reports.html, &reports.cucumber_json, &opts.record].into_iter().flatten()
    {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty() && !p.is_dir()) {
            let why = if parent.exists() { "is not a directory" } else { "does not exist" };
            eprintln!("payconform check: cannot write {}: {} {why}", path.display(), parent.display());
            return ExitCode::from(2);
        }
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("payconform check: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = match runtime.block_on(payconform::harness::run(&opts)) {
        Ok(r) => r,
        Err(e @ (HarnessError::Usage(_) | HarnessError::Unreachable(_))) => {
            eprintln!("payconform check: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("payconform check: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", paint(&report.summary()));
    let outputs = [
        (&reports.junit, report.to_junit()),
        (&reports.json, report.to_json()),
        (&reports.html, report.to_html()),
        (&reports.cucumber_json, report.to_cucumber_json()),
    ];
    for (path, text) in outputs {
        if let Some(path) = path {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("payconform check: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            println!("wrote {}", path.display());
        }
    }
    if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Colour the summary on a terminal, unless `NO_COLOR` is set (no-color.org): failures
/// red, passes green, skips yellow.
fn paint(summary: &str) -> String {
    use std::io::IsTerminal;
    let on = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if !on {
        return summary.to_string();
    }
    summary
        .lines()
        .map(|l| {
            let colour = if l.starts_with("FAILED") || l.starts_with("    ") {
                "31"
            } else if l.starts_with("skipped") || l.starts_with("every scenario was skipped") {
                "33"
            } else if l.starts_with("scenarios:") && l.contains(" 0 failed") {
                "32"
            } else {
                return format!("{l}\n");
            };
            format!("\x1b[{colour}m{l}\x1b[0m\n")
        })
        .collect()
}
