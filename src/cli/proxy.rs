//! `payconform proxy` and `payconform har lint`: their arguments, the log, the reports
//! on a signal or every N exchanges, and the exit codes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::sandbox::{LogFormat, init_log, stop_signal};

/// The arguments of `payconform proxy`.
#[derive(clap::Args, Debug)]
pub(crate) struct ProxyArgs {
    /// The upstream's base URL: a twin (`http://127.0.0.1:8080`), a vendor's test host
    /// (`https://try.access.worldpay.com`, `https://pal-test.adyen.com`) or any URL.
    #[arg(long, value_name = "URL")]
    upstream: url::Url,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: std::net::SocketAddr,
    /// Record every exchange, redacted, as a HAR 1.2 file.
    #[arg(long, value_name = "FILE.har")]
    record: Option<PathBuf>,
    /// Add an X-Payconform-Violations header to every answer (the answer then waits
    /// for its whole body).
    #[arg(long)]
    annotate: bool,
    /// Exit 1 at the end if any exchange broke the spec or a lifecycle rule.
    #[arg(long)]
    fail_on_violation: bool,
    /// A further header that holds a credential, redacted in recordings and reports
    /// (repeatable).
    #[arg(long, value_name = "NAME")]
    redact_header: Vec<String>,
    /// Write a JSON report (on Ctrl-C or SIGTERM, and with --report-every).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write an HTML report.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write the reports every N exchanges.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    report_every: Option<u64>,
    /// MiB of a request body accepted (a larger one gets 413 from the proxy).
    #[arg(long, value_name = "MIB", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1024))]
    max_request_body: u64,
    /// MiB of an answer's body kept for checking and recording (the rest is passed on,
    /// not checked).
    #[arg(long, value_name = "MIB", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=4096))]
    max_response_body: u64,
    /// Seconds the upstream has to answer, its body included.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    upstream_timeout: u64,
    /// Log format on stderr: one line per exchange (method, path, API, operation,
    /// status, latency, upstream latency, violations; never a credential). RUST_LOG
    /// filters it (target payconform::proxy).
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
    /// No exchange log.
    #[arg(long, short)]
    quiet: bool,
}

/// Refuse report paths that cannot be written before anything starts.
fn writable(paths: &[&Option<PathBuf>]) -> Result<(), String> {
    for path in paths.iter().copied().flatten() {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty() && !p.is_dir()) {
            let why = if parent.exists() { "is not a directory" } else { "does not exist" };
            return Err(format!("cannot write {}: {} {why}", path.display(), parent.display()));
        }
    }
    Ok(())
}

struct Reports {
    json: Option<PathBuf>,
    html: Option<PathBuf>,
    junit: Option<PathBuf>,
}

impl Reports {
    fn any(&self) -> bool {
        self.json.is_some() || self.html.is_some() || self.junit.is_some()
    }

    fn write(&self, report: &payconform::RunReport) -> Result<(), String> {
        for (path, text) in
            [(&self.json, report.to_json()), (&self.html, report.to_html()), (&self.junit, report.to_junit())]
        {
            if let Some(path) = path {
                write_atomically(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
        Ok(())
    }
}

/// Write through a temporary file and rename, so a reader never sees half a report.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("payconform-tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// Proxy until Ctrl-C or SIGTERM; then the reports and the exit code.
pub(crate) fn run(args: ProxyArgs) -> ExitCode {
    if let Err(e) = writable(&[&args.json, &args.html, &args.junit, &args.record]) {
        eprintln!("payconform proxy: {e}");
        return ExitCode::from(2);
    }
    let _log = init_log(args.log_format, args.quiet);
    let mut config = payconform::proxy::ProxyConfig::new(args.upstream);
    config.annotate = args.annotate;
    config.record = args.record.clone();
    config.redact_headers = args.redact_header;
    config.max_request_body = (args.max_request_body as usize).saturating_mul(1024 * 1024);
    config.max_response_body = (args.max_response_body as usize).saturating_mul(1024 * 1024);
    config.upstream_timeout = Duration::from_secs(args.upstream_timeout);
    let reports = Reports { json: args.json, html: args.html, junit: args.junit };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("payconform proxy: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listen = args.listen;
    let every = args.report_every;
    let fail_on_violation = args.fail_on_violation;
    runtime.block_on(async move {
        let proxy = match payconform::proxy::Proxy::start(config, listen).await {
            Ok(p) => p,
            Err(payconform::proxy::ProxyError::Io(e)) => {
                eprintln!("payconform proxy: cannot listen on {listen}: {e}");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("payconform proxy: {e}");
                return ExitCode::from(2);
            }
        };
        {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "proxy {}", proxy.url());
            let _ = out.flush();
        }
        let stop = stop_signal();
        tokio::pin!(stop);
        let mut written = 0u64;
        if let Some(n) = every.filter(|_| reports.any()) {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tokio::select! {
                    _ = &mut stop => break,
                    _ = tick.tick() => {
                        let seen = proxy.exchanges() as u64;
                        if seen / n > written / n {
                            written = seen;
                            if let Err(e) = reports.write(&proxy.report()) {
                                eprintln!("payconform proxy: {e}");
                            }
                        }
                    }
                }
            }
        } else {
            stop.await;
        }
        let payconform::proxy::Finished { report, exchanges, failing } = match proxy.shutdown().await {
            Ok(f) => f,
            Err(e) => {
                eprintln!("payconform proxy: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = reports.write(&report) {
            eprintln!("payconform proxy: {e}");
            return ExitCode::FAILURE;
        }
        eprintln!("payconform proxy: {exchanges} exchange(s), {failing} with a violation");
        if fail_on_violation && failing > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
    })
}

/// `payconform har lint FILE…`: every finding on its own line; exit 1 on any, 2 when a
/// file cannot be read as JSON.
pub(crate) fn lint(files: &[PathBuf], redact_headers: &[String]) -> ExitCode {
    let extra: Vec<String> = redact_headers.iter().map(|h| h.to_ascii_lowercase()).collect();
    let mut found = 0usize;
    for file in files {
        let text = match read_bounded(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("payconform har lint: {e}");
                return ExitCode::from(2);
            }
        };
        let json: serde_json::Value = match serde_json::from_slice(&text) {
            Ok(j) => j,
            Err(e) => {
                eprintln!("payconform har lint: {}: not JSON (an unfinished recording?): {e}", file.display());
                return ExitCode::from(2);
            }
        };
        let findings = payconform::record::lint(&json, &extra);
        for f in &findings {
            println!("{}: {}", file.display(), payconform::inert(&f.to_string()));
        }
        found += findings.len();
        let entries = json.pointer("/log/entries").and_then(|e| e.as_array()).map_or(0, Vec::len);
        eprintln!("har lint {}: {entries} entries, {} finding(s)", file.display(), findings.len());
    }
    if found == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Recordings larger than this are refused by `har lint`.
const MAX_LINTED: u64 = 2 * 1024 * 1024 * 1024;

fn read_bounded(file: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if meta.len() > MAX_LINTED {
        return Err(format!("{}: {} bytes, more than the {MAX_LINTED}-byte bound", file.display(), meta.len()));
    }
    std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))
}

/// `payconform replay FILE.har`: serve it until a signal, then the miss report.
pub(crate) fn replay(file: &Path, addr: std::net::SocketAddr) -> ExitCode {
    let rec = match payconform::replay::Recording::load(file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("payconform replay: {}", payconform::inert(&e));
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("payconform replay: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let exchanges = rec.len();
        let server = match payconform::replay::ReplayServer::start(rec, addr, None).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("payconform replay: cannot listen on {addr}: {e}");
                return ExitCode::FAILURE;
            }
        };
        {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "replay {} ({exchanges} recorded exchanges)", server.url());
            let _ = out.flush();
        }
        stop_signal().await;
        let served = server.served();
        let misses = server.shutdown().await;
        eprintln!("payconform replay: {served} request(s) answered from the recording, {} miss(es)", misses.len());
        for m in &misses {
            let near = m.nearest.as_deref().map(|n| format!("; nearest recorded: {n}")).unwrap_or_default();
            eprintln!("  miss: {}{near}", payconform::inert(&m.request));
        }
        if misses.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
    })
}

/// Where `payconform drift` writes.
pub(crate) struct DriftOutputs<'a> {
    pub(crate) write_baseline: Option<&'a Path>,
    pub(crate) json: Option<&'a Path>,
    pub(crate) html: Option<&'a Path>,
}

/// `payconform drift FILE.har`.
pub(crate) fn drift(file: &Path, against: &str, baseline: Option<&Path>, outputs: DriftOutputs<'_>) -> ExitCode {
    let DriftOutputs { write_baseline, json, html } = outputs;
    let fail = |e: String| {
        eprintln!("payconform drift: {}", payconform::inert(&e));
        ExitCode::from(2)
    };
    let rec = match payconform::replay::Recording::load(file) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let baseline: Option<payconform::replay::Baseline> = match baseline {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(b) => Some(b),
            Err(e) => return fail(format!("--baseline {}: {e}", p.display())),
        },
        None => None,
    };
    if against != "sandbox" && url::Url::parse(against).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
        return fail(format!("--against must be `sandbox` or an http(s) URL, got {against:?}"));
    }
    if let Err(e) =
        writable(&[&write_baseline.map(Path::to_path_buf), &json.map(Path::to_path_buf), &html.map(Path::to_path_buf)])
    {
        return fail(e);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(async move {
        let twin = if against == "sandbox" {
            match payconform::SandboxServer::start(payconform::Twin::default(), ([127, 0, 0, 1], 0).into()).await {
                Ok(s) => Some(s),
                Err(e) => return fail(format!("cannot start the twin: {e}")),
            }
        } else {
            None
        };
        let root = twin.as_ref().map(|t| t.url()).unwrap_or_else(|| against.to_string());
        let result = payconform::replay::drift(&rec, &root, baseline.as_ref()).await;
        if let Some(t) = twin {
            t.shutdown().await;
        }
        let mut report = match result {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        if against == "sandbox" {
            report.target = "sandbox".into();
        }
        print!("{}", report.summary());
        if let Some(p) = json
            && let Err(e) = write_atomically(p, &serde_json::to_string_pretty(&report).unwrap_or_default())
        {
            return fail(format!("cannot write {}: {e}", p.display()));
        }
        if let Some(p) = html
            && let Err(e) = write_atomically(p, &report.to_html())
        {
            return fail(format!("cannot write {}: {e}", p.display()));
        }
        if let Some(p) = write_baseline {
            if let Err(e) = write_atomically(p, &serde_json::to_string_pretty(&report.baseline()).unwrap_or_default()) {
                return fail(format!("cannot write {}: {e}", p.display()));
            }
            println!("wrote {}", p.display());
        }
        if report.new_differences().next().is_some() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
    })
}
