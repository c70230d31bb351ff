//! The `payconform` command line. Thin: parsing here, work in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Typed clients, a stateful sandbox twin and a conformance suite for Worldpay and Adyen.
#[derive(Parser, Debug)]
#[command(name = "payconform", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load every spec, resolve every $ref, and check example bodies against the schemas.
    ///
    /// DIR holds `<api>/<operationId>/<kind>.<name>.json` files (kind: request or
    /// response-<status>); without DIR, the vendors' published examples built into
    /// payconform are checked. Prints one line per problem; exits 1 on any.
    Lint {
        /// Folder of example bodies (default: the built-in vendor examples).
        dir: Option<PathBuf>,
    },
    /// Serve the stateful sandbox twin of all three APIs until Ctrl-C.
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
    },
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
        Command::Lint { dir } => lint(dir),
        Command::Sandbox { addr, public_url, credential, api_key, max_payments } => {
            let config = payconform::sandbox::TwinConfig {
                credentials: credential,
                api_keys: api_key,
                public_url: public_url.map(|u| u.to_string()),
                max_payments,
            };
            sandbox(addr, config)
        }
    }
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
        "lint {source}: {} example(s) checked, {} allow-listed, {} skipped (operation not in our specs), {} problem(s)",
        report.checked,
        report.allowed.len(),
        report.skipped.len(),
        report.problems.len()
    );
    if report.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn sandbox(addr: std::net::SocketAddr, config: payconform::sandbox::TwinConfig) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("payconform sandbox: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let public = config.public_url.clone();
        let twin = payconform::sandbox::Twin::new(config);
        let server = match payconform::sandbox::server::SandboxServer::start(twin, addr).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("payconform sandbox: cannot listen on {addr}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let root = public.map(|u| u.trim_end_matches('/').to_string()).unwrap_or_else(|| server.url());
        for (api, url) in payconform::sandbox::wiremock_adapter::base_urls(&root) {
            println!("{api} {url}");
        }
        let _ = tokio::signal::ctrl_c().await;
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}
