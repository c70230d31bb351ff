//! The `payconform` command line. Thin: parsing here, work in the library.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The standalone twin allocates a little on every request from several threads;
// mimalloc's per-thread free lists measured faster than glibc's arenas under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Typed clients, a stateful sandbox twin and a conformance suite for Worldpay and Adyen.
#[derive(Parser, Debug)]
#[command(name = "payconform", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the conformance suite: Gherkin scenarios through the generated clients, every
    /// exchange checked against the spec.
    ///
    /// Exits 0 only when every scenario that ran passed and at least one ran; 1 on any
    /// failure (or when everything was skipped); 2 on bad usage.
    ///
    /// Credentials for `live` (and for a URL target, else the twin's defaults):
    /// WORLDPAY_USERNAME, WORLDPAY_PASSWORD, WORLDPAY_ENTITY; ADYEN_API_KEY or
    /// ADYEN_USERNAME and ADYEN_PASSWORD, and ADYEN_MERCHANT_ACCOUNT. Hosts for `live`:
    /// WORLDPAY_URL (default https://try.access.worldpay.com) and ADYEN_URL (default
    /// https://pal-test.adyen.com/pal/servlet/Payment/v40). Production hosts are refused.
    ///
    /// APIs, by spec name (short name for steps and lint folders):
    /// worldpay-card-payments-v7 (worldpay-v7), worldpay-payments-2024-06-01
    /// (worldpay-payments), adyen-payment-v40 (adyen).
    Check {
        /// `sandbox` (a twin started in-process), `live` (the vendors' test hosts) or a
        /// base URL serving all three APIs (e.g. `payconform sandbox` elsewhere).
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
        /// Write a report in the Cucumber JSON format (for CI dashboards that read it).
        #[arg(long, value_name = "FILE")]
        cucumber_json: Option<PathBuf>,
        /// Seconds an event query keeps polling for the expected event
        /// [default: 30 on live, 0 elsewhere].
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
        /// documented status of every operation), or both.
        #[arg(long, value_delimiter = ',', value_enum, default_values_t = [Phase::Scenarios, Phase::Sweep])]
        phases: Vec<Phase>,
        /// Sweep only these operations (operationId or method name; repeatable or
        /// comma-separated).
        #[arg(long, value_delimiter = ',', value_name = "OPERATION")]
        operations: Vec<String>,
        /// Count only these checks' violations: status, media_type, headers,
        /// request_body, response_body, links (default: all).
        #[arg(long, value_delimiter = ',', value_name = "CHECK", value_parser = check_kind)]
        checks: Vec<payconform::conformance::CheckKind>,
    },
    /// Load every spec, resolve every $ref, and check example bodies against the schemas.
    ///
    /// DIR holds `<api>/<operationId>/<kind>.<name>.json` files (kind: request or
    /// response-<status>); without DIR, the vendors' published examples built into
    /// payconform are checked. Prints one line per problem; exits 1 on any.
    Lint {
        /// Folder of example bodies (default: the built-in vendor examples).
        dir: Option<PathBuf>,
    },
    /// Print a shell completion script, e.g. `payconform completions bash >
    /// ~/.local/share/bash-completion/completions/payconform`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Serve the stateful sandbox twin of all three APIs until Ctrl-C or SIGTERM.
    ///
    /// Worldpay answers at /cardPayments/..., /payments/... and /api/payments/...;
    /// Adyen at /pal/servlet/Payment/v40/.... By default any well-formed credential is
    /// accepted (HTTP Basic, or X-API-Key on Adyen) and is its own merchant: payments
    /// made under one credential are invisible to every other. Give --credential or
    /// --api-key to accept only those.
    Sandbox {
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Base for action links (default: http://<Host header>), e.g. behind a proxy.
        #[arg(long, value_name = "URL")]
        public_url: Option<url::Url>,
        /// Accept only this Basic credential (repeatable); switches to strict mode.
        #[arg(long, value_name = "USER:PASSWORD", value_parser = parse_credential)]
        credential: Vec<String>,
        /// Accept only this Adyen API key (repeatable); switches to strict mode.
        #[arg(long, value_name = "KEY")]
        api_key: Vec<String>,
        /// Payments kept before the oldest is evicted.
        #[arg(long, default_value_t = payconform::sandbox::DEFAULT_MAX_PAYMENTS)]
        max_payments: usize,
        /// Worker threads serving requests [default: one per core].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
        /// Seconds a client has to send a request's headers.
        #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        header_timeout: u64,
        /// Seconds a client has to send a request's body (then 408).
        #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        body_timeout: u64,
        /// Seconds a keep-alive connection may wait for its next request.
        #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        idle_timeout: u64,
        /// Connections served at once [default: the descriptor limit less 64].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        max_connections: Option<u64>,
        /// MiB of request bodies held in memory at once, across all connections.
        #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=65_536))]
        body_budget: u64,
        /// Vendor-variance mode: vary, per seed, every choice the vendors' documents
        /// leave open (rule-error names, unpublished refusal codes, extra fields, event
        /// lag, pspReference digits).
        #[arg(long, value_name = "SEED")]
        variance: Option<u64>,
        /// POST Adyen standard notifications (AUTHORISATION, CAPTURE, REFUND, …) for
        /// every Adyen event to this URL, retried with backoff until it answers
        /// `[accepted]`.
        #[arg(long, value_name = "URL")]
        webhook_url: Option<url::Url>,
        /// Sign each notification item with this hex HMAC key, as Adyen does
        /// (additionalData.hmacSignature).
        #[arg(long, value_name = "HEX", env = "ADYEN_HMAC_KEY", hide_env_values = true, value_parser = hex_key, requires = "webhook_url")]
        hmac_key: Option<String>,
        /// Basic credentials for the notification receiver.
        #[arg(long, value_name = "USER:PASSWORD", value_parser = user_password, requires = "webhook_url")]
        webhook_user: Option<String>,
        /// Wait before a notification's first delivery attempt.
        #[arg(long, value_name = "MS", default_value_t = 200)]
        webhook_delay_ms: u64,
        /// Request log format on stderr: one line per request (method, path, API,
        /// operation, status, latency, a short merchant tag; never a credential).
        /// RUST_LOG filters it (target payconform::request).
        #[arg(long, value_enum, default_value = "text")]
        log_format: LogFormat,
        /// No request log.
        #[arg(long, short)]
        quiet: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// The sandbox's log on stderr. `RUST_LOG` wins where it is set; `--quiet` keeps only
/// warnings and errors.
fn init_log(format: LogFormat, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if quiet { "warn" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none());
    let _ = match format {
        LogFormat::Text => builder.compact().try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

fn parse_target(s: &str) -> Result<payconform::harness::Target, String> {
    s.parse()
}

fn parse_credential(s: &str) -> Result<String, String> {
    match s.split_once(':') {
        Some((u, _)) if !u.is_empty() => Ok(s.to_string()),
        _ => Err("expected USER:PASSWORD".into()),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            // One line, exit 2: the first line of clap's message, without its usage block.
            let rendered = e.render().to_string();
            let first = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
            eprintln!("{first} (see payconform --help)");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Check {
            target,
            tags,
            features,
            junit,
            json,
            html,
            cucumber_json,
            event_wait,
            concurrency,
            quiet,
            max_response_body,
            request_timeout,
            variance,
            webhook_listen,
            phases,
            operations,
            checks,
        } => {
            let mut opts = payconform::harness::CheckOptions::new(target);
            opts.webhook_listen = webhook_listen;
            opts.scenarios = phases.contains(&Phase::Scenarios);
            opts.sweep = phases.contains(&Phase::Sweep);
            opts.operations = operations;
            opts.checks = checks;
            opts.tags = tags;
            opts.features = features;
            opts.event_wait = event_wait.map(std::time::Duration::from_secs);
            opts.concurrency = concurrency.map(|c| c as usize);
            opts.progress = !quiet;
            opts.max_response_body = (max_response_body as usize).saturating_mul(1024 * 1024);
            opts.request_timeout = std::time::Duration::from_secs(request_timeout);
            opts.variance = variance;
            check(opts, Reports { junit, json, html, cucumber_json })
        }
        Command::Lint { dir } => lint(dir),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "payconform", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Sandbox {
            addr,
            public_url,
            credential,
            api_key,
            max_payments,
            threads,
            header_timeout,
            body_timeout,
            idle_timeout,
            max_connections,
            body_budget,
            variance,
            webhook_url,
            hmac_key,
            webhook_user,
            webhook_delay_ms,
            log_format,
            quiet,
        } => {
            init_log(log_format, quiet);
            let webhook = webhook_url.map(|url| payconform::sandbox::webhook::WebhookConfig {
                url: url.to_string(),
                hmac_key,
                basic: webhook_user,
                delay: std::time::Duration::from_millis(webhook_delay_ms),
                ..Default::default()
            });
            let config = payconform::sandbox::TwinConfig {
                credentials: credential,
                api_keys: api_key,
                public_url: public_url.map(|u| u.to_string()),
                max_payments,
                variance,
                webhook,
            };
            let secs = std::time::Duration::from_secs;
            let limits = payconform::sandbox::server::Limits {
                header_timeout: secs(header_timeout),
                body_timeout: secs(body_timeout),
                idle_timeout: secs(idle_timeout),
                max_connections: max_connections.map_or(0, |n| n as usize),
                body_budget: (body_budget as usize).saturating_mul(1024 * 1024),
                ..Default::default()
            };
            sandbox(addr, config, limits, threads.map(usize::from))
        }
    }
}

struct Reports {
    junit: Option<PathBuf>,
    cucumber_json: Option<PathBuf>,
    json: Option<PathBuf>,
    html: Option<PathBuf>,
}

fn check(opts: payconform::harness::CheckOptions, reports: Reports) -> ExitCode {
    use payconform::harness::HarnessError;
    // Refuse unwritable report paths before anything is sent.
    for path in [&reports.junit, &reports.json, &reports.html, &reports.cucumber_json].into_iter().flatten() {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty() && !p.is_dir()) {
            eprintln!("payconform check: cannot write {}: {} is not a directory", path.display(), parent.display());
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

fn lint(dir: Option<PathBuf>) -> ExitCode {
    for api in payconform::spec::Api::ALL {
        if let Err(e) = payconform::spec::load(api, api.source()) {
            println!("{e}");
            return ExitCode::FAILURE;
        }
    }
    let report = match &dir {
        Some(d) => match payconform::spec::lint_examples(d) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("payconform lint: {}: {e}", d.display());
                return ExitCode::from(2);
            }
        },
        None => payconform::spec::lint_embedded_examples(),
    };
    for p in &report.problems {
        println!("{p}");
    }
    let source = dir.as_ref().map(|d| d.display().to_string()).unwrap_or_else(|| "built-in vendor examples".into());
    eprintln!(
        "lint {source}: {} example(s) checked, {} allow-listed, {} skipped (operations outside our specs), {} problem(s)",
        report.checked,
        report.allowed.len(),
        report.skipped.len(),
        report.problems.len()
    );
    if report.checked == 0 {
        eprintln!("lint {source}: no example was checked, which is not a pass");
        return ExitCode::FAILURE;
    }
    if report.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// A phase of `payconform check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Phase {
    /// The Gherkin scenarios.
    Scenarios,
    /// The sweep generated from the spec.
    Sweep,
}

fn check_kind(s: &str) -> Result<payconform::conformance::CheckKind, String> {
    payconform::conformance::CheckKind::from_name(s).ok_or_else(|| {
        let all: Vec<&str> = payconform::conformance::CheckKind::ALL.iter().map(|c| c.name()).collect();
        format!("no check is named {s:?}; the checks are {}", all.join(", "))
    })
}

fn hex_key(s: &str) -> Result<String, String> {
    match hex::decode(s.trim()) {
        Ok(k) if !k.is_empty() => Ok(s.trim().to_string()),
        _ => Err("an HMAC key is hexadecimal, as Adyen's Customer Area shows it".into()),
    }
}

fn user_password(s: &str) -> Result<String, String> {
    if s.split_once(':').is_some_and(|(u, _)| !u.is_empty()) {
        Ok(s.to_string())
    } else {
        Err("expected USER:PASSWORD".into())
    }
}

fn sandbox(
    addr: std::net::SocketAddr,
    config: payconform::sandbox::TwinConfig,
    limits: payconform::sandbox::server::Limits,
    threads: Option<usize>,
) -> ExitCode {
    let runtime = match threads {
        Some(1) => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        Some(n) => tokio::runtime::Builder::new_multi_thread().worker_threads(n).enable_all().build(),
        None => tokio::runtime::Runtime::new(),
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("payconform sandbox: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let public = config.public_url.clone();
        let twin = payconform::sandbox::Twin::new(config);
        let server = match payconform::sandbox::server::SandboxServer::start_with(twin, addr, limits).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("payconform sandbox: cannot listen on {addr}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let stop = stop_signal();
        let root = public.map(|u| u.trim_end_matches('/').to_string()).unwrap_or_else(|| server.url());
        // Whoever started us may stop reading stdout: a closed pipe must not take the
        // twin down, so write errors are ignored rather than panicking in println!.
        let mut out = std::io::stdout().lock();
        for (api, url) in payconform::sandbox::wiremock_adapter::base_urls(&root) {
            let _ = writeln!(out, "{api} {url}");
        }
        let _ = out.flush();
        drop(out);
        // Ctrl-C or SIGTERM (as from `docker stop` or a CI service): stop accepting, let
        // requests in flight finish, exit 0.
        stop.await;
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

/// Ctrl-C or SIGTERM. The handlers are installed when this is called, so a signal
/// that arrives before the future is awaited is not lost.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut term), Some(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
