//! Turns one hand-written OpenAPI document into a progenitor client module.
//!
//! Shared by `build.rs` and by `tests/build_failures.rs` (through `#[path]`), so the
//! error messages a user sees from a broken spec are the ones the tests check.
//!
//! Steps: parse YAML; check the document structurally (OpenAPI 3.0.x, every
//! operation has an operationId, every `$ref` resolves); apply the pre-pass that
//! progenitor 0.15 needs (vendor `+json` media types become `application/json`,
//! one request media type, constant headers removed and recorded for the client
//! hooks, one success and one error body type per operation); then generate behind
//! a panic guard, so that a generator panic still names the file.

use std::collections::BTreeMap;
use std::fmt;

#[path = "action.rs"]
mod action;
#[path = "names.rs"]
mod names;
#[path = "prepass.rs"]
mod prepass;
#[path = "table.rs"]
mod table;
pub use action::Action;
use names::{escape, nearest_ref, unresolved_ref};
use prepass::prepass;
use serde_json::Value;
pub use table::{api_enum, operation_table};

/// A spec that cannot be turned into a client, with where the problem is.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    /// The spec file as the user named it (e.g. `spec/adyen-payment-v40.yaml`).
    pub file: String,
    /// The operationId, or `METHOD /path` when the operationId is missing, if any.
    pub operation: Option<String>,
    /// JSON pointer into the document, if the problem has one place.
    pub pointer: Option<String>,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(op) = &self.operation {
            write!(f, ": operation {op}")?;
        }
        if let Some(p) = &self.pointer {
            write!(f, " at {p}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// One row of an API's operation table: everything about an operation that is not a
/// schema. build.rs writes the rows as `OPERATIONS` and an `Op` enum per API; the
/// clients, the spec index, the checker, the twin and the harness all read that table.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationRow {
    /// progenitor's method name (snake_case operationId).
    pub method_name: String,
    /// The operationId as written in the spec.
    pub operation_id: String,
    /// The documented request media type, if the operation has a body.
    pub request_media_type: Option<String>,
    /// The documented media type of the responses.
    pub response_media_type: Option<String>,
    /// Headers with a single allowed value, sent by the hooks on every call.
    pub constant_headers: Vec<(String, String)>,
    /// HTTP method, upper case.
    pub http_method: String,
    /// Other path templates that name the same operation (`x-payconform-path-aliases`).
    pub path_aliases: Vec<String>,
    /// Path template relative to the server URL, e.g. `/payments/events/{linkData}`.
    pub path: String,
    /// What the operation does to a payment (`x-payconform-action`).
    pub action: Option<Action>,
    /// Every documented status, with the next actions its response may carry
    /// (`x-payconform-next`: relation or action name, and the operationId it names).
    pub responses: Vec<(String, Vec<NextRow>)>,
}

/// One declared next action: the relation or action name, and the operationId it names
/// (`None`: documented by the vendor, its operation outside this spec).
pub type NextRow = (String, Option<String>);

/// The generated client source and its operation table.
pub struct Generated {
    /// Pretty-printed Rust source of the client module.
    pub code: String,
    /// One row per operation, in document order.
    pub operations: Vec<OperationRow>,
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Generate a client for one spec. `file` is only used in error messages.
pub fn generate(file: &str, yaml: &str) -> Result<Generated, SpecError> {
    let err = |operation: Option<String>, pointer: Option<String>, message: String| SpecError {
        file: file.to_string(),
        operation,
        pointer,
        message,
    };
    let mut doc: Value = serde_yaml::from_str(yaml).map_err(|e| {
        let pointer = e.location().map(|l| format!("line {}, column {}", l.line(), l.column()));
        err(None, pointer, format!("not valid YAML: {e}"))
    })?;
    check_structure(&doc).map_err(|(op, ptr, msg)| err(op, ptr, msg))?;
    let operations = prepass(&mut doc).map_err(|(op, ptr, msg)| err(op, ptr, msg))?;
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(doc).map_err(|e| err(None, None, format!("not an OpenAPI 3.0 document: {e}")))?;

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_derive("schemars::JsonSchema")
        .with_inner_type(quote::quote! { crate::client::Inner })
        // Card data lives in types whose Debug never shows it (src/secret.rs).
        .with_replacement("CardNumber", "crate::secret::CardNumber", std::iter::empty())
        .with_replacement("Cvc", "crate::secret::Cvc", std::iter::empty());
    let result = std::panic::catch_unwind(move || {
        let mut generator = progenitor::Generator::new(&settings);
        generator.generate_tokens(&spec).map(|tokens| tokens.to_string())
    });
    let tokens = match result {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            return Err(err(None, None, format!("progenitor rejected the document: {e}")));
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            return Err(err(None, None, format!("progenitor panicked on a construct it does not support: {what}")));
        }
    };
    let file_ast =
        syn::parse_file(&tokens).map_err(|e| err(None, None, format!("generated code does not parse: {e}")))?;
    Ok(Generated { code: prettyplease::unparse(&file_ast), operations })
}

pub(crate) type Problem = (Option<String>, Option<String>, String);

pub(crate) fn operations(doc: &Value) -> Vec<(String, String, String)> {
    // (path, method, pointer)
    let mut out = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for m in METHODS {
                if item.get(m).is_some() {
                    out.push((path.clone(), m.to_string(), format!("/paths/{}/{m}", escape(path))));
                }
            }
        }
    }
    out
}

fn check_structure(doc: &Value) -> Result<(), Problem> {
    let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.0.") {
        return Err((
            None,
            Some("/openapi".into()),
            format!("openapi version {version:?} is not supported; progenitor accepts 3.0.x only"),
        ));
    }
    if doc.get("paths").and_then(Value::as_object).is_none_or(|p| p.is_empty()) {
        return Err((None, Some("/paths".into()), "the document has no paths".into()));
    }
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (path, method, ptr) in operations(doc) {
        let op = &doc.pointer(&ptr).expect("listed above");
        let id = op.get("operationId").and_then(Value::as_str);
        let Some(id) = id else {
            return Err((
                Some(format!("{} {path}", method.to_uppercase())),
                Some(ptr),
                "missing operationId; every operation needs one to become a client method".into(),
            ));
        };
        if let Some(prev) = seen.insert(id.to_string(), ptr.clone()) {
            return Err((Some(id.into()), Some(ptr), format!("duplicate operationId, first used at {prev}")));
        }
    }
    // Every local $ref must resolve; remote refs are not supported.
    match unresolved_ref(doc) {
        None => Ok(()),
        Some((at, target, local)) => {
            let op = operation_of(doc, &at);
            Err(if local {
                let hint = nearest_ref(doc, &target).map(|n| format!("; did you mean {n:?}?")).unwrap_or_default();
                (op, Some(at), format!("$ref {target:?} points at nothing in this document{hint}"))
            } else {
                (op, Some(at), format!("$ref {target:?} is not local; only '#/...' refs are supported"))
            })
        }
    }
}

/// The operationId whose subtree holds `pointer`, if any.
fn operation_of(doc: &Value, pointer: &str) -> Option<String> {
    operations(doc).into_iter().find_map(|(_, _, ptr)| {
        let inside = pointer == ptr || pointer.starts_with(&format!("{ptr}/"));
        inside.then(|| doc.pointer(&ptr)?.get("operationId")?.as_str().map(String::from)).flatten()
    })
}
