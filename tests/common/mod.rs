//! Helpers shared by the tests that run the `payconform` binary.

use std::process::{Command, Output};

/// Run the binary with a clean environment: only PATH and `env`.
pub fn payconform(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_payconform"));
    cmd.args(args).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("payconform runs")
}
