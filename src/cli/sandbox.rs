//! `payconform sandbox`: its arguments, the request log, and serving the twin until a
//! signal.

use std::io::Write as _;
use std::process::ExitCode;

/// The arguments of `payconform sandbox`.
#[derive(clap::Args, Debug)]
pub(crate) struct SandboxArgs {
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
    /// Basic credentials for the notification receiver (or put them in --webhook-url as
    /// user:password@; not both).
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
}

impl SandboxArgs {
    /// The twin's configuration, the server's limits and the worker threads.
    fn config(self) -> (payconform::sandbox::TwinConfig, payconform::sandbox::Limits, Option<usize>) {
        let webhook = self.webhook_url.map(|url| payconform::sandbox::WebhookConfig {
            url: url.to_string(),
            hmac_key: self.hmac_key,
            basic: self.webhook_user,
            delay: std::time::Duration::from_millis(self.webhook_delay_ms),
            ..Default::default()
        });
        let config = payconform::sandbox::TwinConfig {
            credentials: self.credential,
            api_keys: self.api_key,
            public_url: self.public_url.map(|u| u.to_string()),
            max_payments: self.max_payments,
            variance: self.variance,
            webhook,
        };
        let secs = std::time::Duration::from_secs;
        let limits = payconform::sandbox::Limits {
            header_timeout: secs(self.header_timeout),
            body_timeout: secs(self.body_timeout),
            idle_timeout: secs(self.idle_timeout),
            max_connections: self.max_connections.map_or(0, |n| n as usize),
            body_budget: (self.body_budget as usize).saturating_mul(1024 * 1024),
            ..Default::default()
        };
        (config, limits, self.threads.map(usize::from))
    }
}

/// The request log's format.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

/// Lines the log's queue holds at most before it drops new ones. With each line at most
/// about 1.5 KiB (a request line's path is cut at [`crate::redact::LOG_PATH_MAX`]),
/// that bounds the queue to about 24 MiB.
const LOG_QUEUE_LINES: usize = 16_384;

/// Keeps the log's writer thread alive; dropping it flushes what is queued and says how
/// many lines were dropped, if any.
pub(crate) struct LogGuard {
    _worker: tracing_appender::non_blocking::WorkerGuard,
    dropped: tracing_appender::non_blocking::ErrorCounter,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        let n = self.dropped.dropped_lines();
        if n > 0 {
            tracing::warn!(target: "payconform::log", dropped_lines = n, "the log dropped lines under load");
        }
    }
}

/// The sandbox's log on stderr. `RUST_LOG` wins where it is set; `--quiet` keeps only
/// warnings and errors.
///
/// Lines go through a bounded queue to a writer thread (tracing-appender's non-blocking
/// writer, lossy), so that a request never waits for stderr: under overload the newest
/// lines are dropped, never the request slowed. The drops are counted and reported in a
/// log line (target `payconform::log`) within a few seconds, and at exit.
pub(crate) fn init_log(format: LogFormat, quiet: bool) -> LogGuard {
    use tracing_subscriber::EnvFilter;
    let default = if quiet { "warn" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let (writer, worker) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(true)
        .thread_name("payconform-log")
        // Buffered: the writer thread drains the queue into one write per batch (it
        // flushes each time the queue is empty), not one write per line.
        .finish(std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr()));
    let dropped = writer.error_counter();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none());
    let _ = match format {
        LogFormat::Text => builder.compact().try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    let counter = dropped.clone();
    let _ = std::thread::Builder::new().name("payconform-log-drops".into()).spawn(move || {
        let mut reported = 0;
        loop {
            std::thread::sleep(std::time::Duration::from_secs(5));
            let n = counter.dropped_lines();
            if n > reported {
                tracing::warn!(
                    target: "payconform::log",
                    dropped_lines = n - reported,
                    dropped_total = n,
                    "the log dropped lines under load"
                );
                reported = n;
            }
        }
    });
    LogGuard { _worker: worker, dropped }
}

fn parse_credential(s: &str) -> Result<String, String> {
    match s.split_once(':') {
        Some((u, _)) if !u.is_empty() => Ok(s.to_string()),
        _ => Err("expected USER:PASSWORD".into()),
    }
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

/// Serve the twin until Ctrl-C or SIGTERM.
pub(crate) fn run(args: SandboxArgs) -> ExitCode {
    if args.webhook_user.is_some() && args.webhook_url.as_ref().is_some_and(|u| !u.username().is_empty()) {
        eprintln!(
            "payconform sandbox: --webhook-url carries user:password@ and --webhook-user is given; give the receiver's credentials once (see payconform --help)"
        );
        return ExitCode::from(2);
    }
    let _log = init_log(args.log_format, args.quiet);
    let addr = args.addr;
    let (config, limits, threads) = args.config();

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
        let server = match payconform::sandbox::SandboxServer::start_with(twin, addr, limits).await {
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
        for (api, url) in payconform::sandbox::base_urls(&root) {
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
pub(crate) fn stop_signal() -> impl std::future::Future<Output = ()> {
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
