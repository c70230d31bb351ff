//! The `payconform` command line. Thin: parsing here, work in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

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
    Check(cli::check::CheckArgs),
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
    Sandbox(cli::sandbox::SandboxArgs),
    /// Check any client's traffic: a reverse proxy in front of one upstream (a twin, a
    /// vendor's test host, any URL) that checks every exchange against the spec and the
    /// payment's lifecycle, and records them as redacted HAR until Ctrl-C or SIGTERM.
    ///
    /// Prints `proxy http://ADDR` on stdout; point your client's base URL there. Exits
    /// 0, or 1 with --fail-on-violation when an exchange broke the spec or a lifecycle
    /// rule; 2 on bad usage.
    Proxy(cli::proxy::ProxyArgs),
    /// Serve a recording (`check --record`, `proxy --record`) as a mock until Ctrl-C or
    /// SIGTERM, matching requests by operation and flow, not bytes; then print the
    /// requests it held nothing for (exit 1 if there were any).
    Replay {
        /// The HAR file.
        file: PathBuf,
        /// Address to listen on; port 0 picks a free port (printed on stdout).
        #[arg(long, default_value = "127.0.0.1:8082")]
        addr: std::net::SocketAddr,
    },
    /// Re-send each recorded flow, in order, to a target (by default a twin started
    /// in-process) and list where its answers differ from the recording, each
    /// classified: twin, spec, or the vendor's undocumented choice.
    ///
    /// Exits 0 when nothing new drifted (differences in --baseline are known), 1 on new
    /// drift, 2 on bad usage or when the target cannot be reached.
    Drift {
        /// The HAR file.
        file: PathBuf,
        /// `sandbox` (a twin started in-process) or a base URL serving the three APIs.
        #[arg(long, default_value = "sandbox")]
        against: String,
        /// Known differences, each with a reason (written by --write-baseline).
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Write every difference found as a baseline.
        #[arg(long, value_name = "FILE")]
        write_baseline: Option<PathBuf>,
        /// Write the differences as JSON.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Write the differences as one HTML page.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Work with HAR recordings.
    Har {
        #[command(subcommand)]
        command: HarCommand,
    },
}

/// `payconform har …`.
#[derive(Subcommand, Debug)]
enum HarCommand {
    /// Fail (exit 1), naming the entry and the JSON path, on anything in a HAR file
    /// that looks like a secret: a credential header, a card number in any spelling, a
    /// card security code, base64 of a card number. For CI, on committed recordings.
    Lint {
        /// The HAR files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// A further header that holds a credential (repeatable).
        #[arg(long, value_name = "NAME")]
        redact_header: Vec<String>,
    },
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
            // One line, exit 2: the first line of clap's message, without its usage block,
            // and never the value of an option that holds a secret.
            let rendered = e.render().to_string();
            let first = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
            eprintln!("{} (see payconform --help)", payconform::inert(&without_secret(&e, first)));
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Check(args) => cli::check::run(args),
        Command::Lint { dir } => lint(dir),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "payconform", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Sandbox(args) => cli::sandbox::run(args),
        Command::Proxy(args) => cli::proxy::run(args),
        Command::Replay { file, addr } => cli::proxy::replay(&file, addr),
        Command::Drift { file, against, baseline, write_baseline, json, html } => cli::proxy::drift(
            &file,
            &against,
            baseline.as_deref(),
            cli::proxy::DriftOutputs {
                write_baseline: write_baseline.as_deref(),
                json: json.as_deref(),
                html: html.as_deref(),
            },
        ),
        Command::Har { command: HarCommand::Lint { files, redact_header } } => cli::proxy::lint(&files, &redact_header),
    }
}

/// Options whose values are secrets: an error about one names the option, never the
/// value (clap's message quotes it).
const SECRET_OPTIONS: [&str; 4] = ["--hmac-key", "--webhook-user", "--credential", "--api-key"];

/// `line` without the value clap quotes in it, when the value is a secret's.
fn without_secret(e: &clap::Error, line: &str) -> String {
    use clap::error::{ContextKind, ContextValue};
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(a)) => a.as_str(),
        _ => return line.to_string(),
    };
    if !SECRET_OPTIONS.iter().any(|o| arg.starts_with(o)) {
        return line.to_string();
    }
    match e.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(v)) if !v.is_empty() => {
            line.replace(&format!("'{v}' "), "").replace(v.as_str(), "<redacted>")
        }
        _ => line.to_string(),
    }
}

fn lint(dir: Option<PathBuf>) -> ExitCode {
    for api in payconform::Api::ALL {
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
