//! `payconform lint`: check a folder of example bodies against the specs.
//!
//! Layout (the vendors' examples as shipped in `tests/fixtures/vendor-examples`):
//! `<api>/<operationId>/<kind>.<name>.json` with kind `request` or `response-<status>`.

use std::fmt;
use std::path::Path;

use super::Body;
use super::{Api, spec};

/// Vendor-published examples that contradict the seed documents, which win, or lie
/// outside what a spec models (Checkout's other payment methods). Each one must still
/// fail validation; one that passes is reported as stale.
pub const ALLOWED: &[(&str, &str)] = &[
    (
        "worldpay-card-payments-v7/eventQuery/response-200.querying-a-payment-event-with-a-transaction-reference.json",
        "its _links values are bare strings; seeds 000, 003 and 004 give every action link as an object {href}",
    ),
    (
        "worldpay-card-payments-v7/eventRecovery/response-200.querying-a-payment-event-with-a-transaction-reference.json",
        "same bare-string _links as eventQuery (operation not implemented; listed for when it is)",
    ),
    (
        "adyen-payment-v40/post-cancel/response-200.sdk-fixture-cancel-received.json",
        "pspReference is the SDK placeholder 'PSP_REFERENCE'; seed 001 says pspReference is a 16-character string",
    ),
    (
        "adyen-payment-v40/post-adjustAuthorisation/response-200.sdk-fixture-adjust-authorisation-received.json",
        "pspReference is the SDK placeholder 'PSP_REFERENCE'; seed 001 says pspReference is a 16-character string",
    ),
    (
        "adyen-payment-v40/post-cancelOrRefund/response-200.sdk-fixture-cancelorrefund-received.json",
        "pspReference is the SDK placeholder 'PSP_REFERENCE'; seed 001 says pspReference is a 16-character string",
    ),
    (
        "adyen-checkout-v71/post-payments/request.applepay.json",
        "not a card: spec/adyen-checkout-v71.yaml models only the card branch (CardDetails) of paymentMethod's 58",
    ),
    (
        "adyen-checkout-v71/post-payments/request.googlepay.json",
        "not a card: spec/adyen-checkout-v71.yaml models only the card branch (CardDetails) of paymentMethod's 58",
    ),
    (
        "adyen-checkout-v71/post-payments/request.ideal.json",
        "not a card: spec/adyen-checkout-v71.yaml models only the card branch (CardDetails) of paymentMethod's 58",
    ),
    (
        "adyen-checkout-v71/post-payments/request.klarna.json",
        "not a card: spec/adyen-checkout-v71.yaml models only the card branch (CardDetails) of paymentMethod's 58",
    ),
    (
        "adyen-checkout-v71/post-payments/request.on-demand-top-up-from-transfer-instrument.json",
        "not a card: spec/adyen-checkout-v71.yaml models only the card branch (CardDetails) of paymentMethod's 58",
    ),
];

/// One problem found by lint.
#[derive(Debug, Clone, PartialEq)]
pub struct LintProblem {
    /// The example file, relative to the folder.
    pub file: String,
    /// What is wrong (with a JSONPath where there is one).
    pub message: String,
}

impl fmt::Display for LintProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// What lint found.
#[derive(Debug, Default)]
pub struct LintReport {
    /// Example bodies validated against an implemented operation.
    pub checked: usize,
    /// Files passed over, with why (operation not implemented, not an example).
    pub skipped: Vec<(String, String)>,
    /// Allow-listed files that fail as expected, with the reason.
    pub allowed: Vec<(String, &'static str)>,
    /// Problems; lint fails when there is any.
    pub problems: Vec<LintProblem>,
}

/// Lint a folder laid out as `<api>/<operationId>/<kind>.<name>.json`.
pub fn lint_examples(dir: &Path) -> std::io::Result<LintReport> {
    let mut files = Vec::new();
    for api_dir in std::fs::read_dir(dir)? {
        let api_dir = api_dir?;
        if !api_dir.file_type()?.is_dir() {
            continue;
        }
        for op_dir in std::fs::read_dir(api_dir.path())? {
            let op_dir = op_dir?;
            if !op_dir.file_type()?.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(op_dir.path())? {
                let f = f?;
                let rel = f.path().strip_prefix(dir).unwrap_or(&f.path()).to_string_lossy().replace('\\', "/");
                if rel.ends_with(".json") {
                    files.push((rel, std::fs::read(f.path())?));
                }
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no <api>/<operationId>/<kind>.<name>.json files under {}", dir.display()),
        ));
    }
    Ok(lint_files(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())), true))
}

static EMBEDDED: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/tests/fixtures/vendor-examples");

/// Lint the vendor examples compiled into the binary.
pub fn lint_embedded_examples() -> LintReport {
    let mut files = Vec::new();
    collect(&EMBEDDED, &mut files);
    files.sort_by(|a, b| a.0.cmp(b.0));
    lint_files(files.into_iter(), false)
}

fn collect(dir: &'static include_dir::Dir<'static>, out: &mut Vec<(&'static str, &'static [u8])>) {
    for f in dir.files() {
        if let Some(p) = f.path().to_str().filter(|p| p.ends_with(".json") && p.matches('/').count() == 2) {
            out.push((p, f.contents()));
        }
    }
    for d in dir.dirs() {
        collect(d, out);
    }
}

/// The valid API folder names, long and short.
fn api_folders() -> String {
    Api::ALL.iter().map(|a| format!("{} ({})", a.name(), a.short_name())).collect::<Vec<_>>().join(", ")
}

/// Lint example files. `strict` (your own folder): an operation folder or a file
/// prefix that names nothing is an error listing the valid ones. Otherwise (the
/// vendors' examples, which include operations out of our scope) it is skipped.
fn lint_files<'a>(files: impl Iterator<Item = (&'a str, &'a [u8])>, strict: bool) -> LintReport {
    let mut report = LintReport::default();
    for (rel, bytes) in files {
        match schema_for(rel, strict) {
            Ok(body) => check_example(&mut report, rel, bytes, body),
            Err(Unchecked::Problem(message)) => report.problems.push(LintProblem { file: rel.into(), message }),
            Err(Unchecked::Skipped(why)) => report.skipped.push((rel.to_string(), why)),
        }
    }
    report
}

/// Why an example file is not checked: a problem to report, or (with the built-in
/// examples, which cover more operations than the specs) a file to pass over.
enum Unchecked {
    Problem(String),
    Skipped(String),
}

/// The schema an example at `<api>/<operationId>/<kind>.<name>.json` must match.
fn schema_for(rel: &str, strict: bool) -> Result<&'static Body, Unchecked> {
    let parts: Vec<&str> = rel.split('/').collect();
    let [api_name, op_id, file_name] = parts[..] else {
        return Err(Unchecked::Skipped("not at <api>/<operationId>/<file>".into()));
    };
    let api = Api::from_any_name(api_name).ok_or_else(|| {
        Unchecked::Problem(format!("unknown API folder {api_name:?}; the API folders are {}", api_folders()))
    })?;
    let Some(op) = spec(api).operation(op_id) else {
        if strict {
            let ids: Vec<&str> = spec(api).operations.iter().map(|o| o.operation_id).collect();
            let message = format!("unknown operation folder {op_id:?}; {} has {}", api.name(), ids.join(", "));
            return Err(Unchecked::Problem(message));
        }
        return Err(Unchecked::Skipped(format!("operation {op_id} is not in spec/{}.yaml", api.name())));
    };
    let kind = file_name.split('.').next().unwrap_or("");
    if kind == "request" {
        return op.request.as_ref().ok_or_else(|| Unchecked::Problem(format!("{op_id} documents no request body")));
    }
    if let Some(status) = kind.strip_prefix("response-").and_then(|s| s.parse::<u16>().ok()) {
        return match op.response(status) {
            Some(Some(b)) => Ok(b),
            Some(None) => Err(Unchecked::Problem(format!("{op_id} documents {status} without a body"))),
            None => Err(Unchecked::Problem(format!("{op_id} does not document status {status}"))),
        };
    }
    let message =
        format!("unknown example kind {kind:?}: a file is request.<name>.json or response-<status>.<name>.json");
    Err(if strict { Unchecked::Problem(message) } else { Unchecked::Skipped(message) })
}

/// Validate one example against its schema, minding the allow-list.
fn check_example(report: &mut LintReport, rel: &str, bytes: &[u8], body: &Body) {
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            report.problems.push(LintProblem { file: rel.into(), message: format!("not JSON: {e}") });
            return;
        }
    };
    report.checked += 1;
    let violations = body.validate(&value);
    let allowed = ALLOWED.iter().find(|(f, _)| *f == rel).map(|(_, why)| *why);
    match (allowed, violations.is_empty()) {
        (Some(why), false) => report.allowed.push((rel.to_string(), why)),
        (Some(_), true) => report.problems.push(LintProblem {
            file: rel.into(),
            message: "is on the allow-list but now validates: remove it from ALLOWED in src/spec/lint.rs".into(),
        }),
        (None, _) => {
            for v in violations {
                report.problems.push(LintProblem { file: rel.into(), message: v.to_string() });
            }
        }
    }
}
