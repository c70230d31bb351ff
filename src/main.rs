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
