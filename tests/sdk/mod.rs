//! Shared by the tests that run Adyen's official Python library.

use std::process::Command;

/// The Python to run Adyen's library with: `PAYCONFORM_PYTHON` (`.ci/run` makes one with
/// `pip install Adyen==16.0.0`), else `python3`. `None` when it has no `Adyen` package:
/// then the test says so past the harness's capture and passes on a developer machine,
/// but it panics under CI (the `CI` variable), where it must run.
pub fn python_with_adyen(test: &str) -> Option<String> {
    let python = std::env::var("PAYCONFORM_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_sdk = Command::new(&python).args(["-c", "import Adyen"]).output().is_ok_and(|o| o.status.success());
    if has_sdk {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run {test}: set PAYCONFORM_PYTHON to a Python with the Adyen package"
    );
    // Written past the test harness's capture (which takes only `eprintln!`), so that a
    // skip shows in `cargo test`'s output instead of passing as a silent `ok`.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {python} has no Adyen package (pip install Adyen)");
    None
}
