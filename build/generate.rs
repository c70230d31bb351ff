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
pub use action::Action;
pub use names::snake;
use names::{collect_refs, deref as resolve, escape, pascal};
use serde_json::{Map, Value};

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
    pub responses: Vec<(String, Vec<(String, String)>)>,
}

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

type Problem = (Option<String>, Option<String>, String);

fn operations(doc: &Value) -> Vec<(String, String, String)> {
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
    let mut refs = Vec::new();
    collect_refs(doc, String::new(), &mut refs);
    for (at, target) in refs {
        let op = operation_of(doc, &at);
        match target.strip_prefix('#') {
            Some(p) if doc.pointer(p).is_some() => {}
            Some(_) => return Err((op, Some(at), format!("$ref {target:?} points at nothing in this document"))),
            None => {
                return Err((op, Some(at), format!("$ref {target:?} is not local; only '#/...' refs are supported")));
            }
        }
    }
    Ok(())
}

/// The operationId whose subtree holds `pointer`, if any.
fn operation_of(doc: &Value, pointer: &str) -> Option<String> {
    operations(doc).into_iter().find_map(|(_, _, ptr)| {
        let inside = pointer == ptr || pointer.starts_with(&format!("{ptr}/"));
        inside.then(|| doc.pointer(&ptr)?.get("operationId")?.as_str().map(String::from)).flatten()
    })
}

fn is_json(media: &str) -> bool {
    let base = media.split(';').next().unwrap_or("").trim();
    base == "application/json" || (base.starts_with("application/") && base.ends_with("+json"))
}

/// Rewrite one `content` map to a single `application/json` entry; returns the
/// original media type and the schema (as written, `$ref` kept) for comparison.
fn normalise_content(content: &mut Map<String, Value>, op: &str, at: &str) -> Result<Option<(String, Value)>, Problem> {
    if content.is_empty() {
        return Ok(None);
    }
    let json: Vec<String> = content.keys().filter(|k| is_json(k)).cloned().collect();
    let Some(chosen) = json.first().cloned() else {
        let kinds: Vec<&String> = content.keys().collect();
        return Err((
            Some(op.into()),
            Some(at.into()),
            format!("only JSON bodies are supported, found media types {kinds:?}"),
        ));
    };
    let mut media = content.remove(&chosen).expect("key listed");
    let schema = media.get("schema").cloned().unwrap_or(Value::Null);
    if let Some(m) = media.as_object_mut() {
        m.remove("examples");
        m.remove("example");
    }
    content.clear();
    content.insert("application/json".into(), media);
    Ok(Some((chosen, schema)))
}

fn prepass(doc: &mut Value) -> Result<Vec<OperationRow>, Problem> {
    let snapshot = doc.clone();
    let mut rows = Vec::new();
    for (path, method, ptr) in operations(&snapshot) {
        let op_id = snapshot.pointer(&format!("{ptr}/operationId")).and_then(Value::as_str).unwrap_or("").to_string();
        let mut row = read_row(&snapshot, &path, &method, &ptr, &op_id)?;
        let path_item_ptr = ptr.rsplit_once('/').map(|(p, _)| p.to_string()).unwrap_or_default();
        for params_ptr in [format!("{path_item_ptr}/parameters"), format!("{ptr}/parameters")] {
            if let Some(params) = doc.pointer_mut(&params_ptr).and_then(Value::as_array_mut) {
                row.constant_headers.extend(take_constant_headers(&snapshot, params));
                open_path_params(&snapshot, params);
            }
        }
        let body_ptr = format!("{ptr}/requestBody");
        if let Some(body) = doc.pointer_mut(&body_ptr) {
            row.request_media_type = normalise_request(&snapshot, body, &op_id, &body_ptr)?;
        }
        let resp_ptr = format!("{ptr}/responses");
        let Some(responses) = doc.pointer_mut(&resp_ptr).and_then(Value::as_object_mut) else {
            return Err((Some(op_id), Some(resp_ptr), "operation has no responses".into()));
        };
        row.response_media_type = normalise_responses(&snapshot, responses, &op_id, &resp_ptr)?;
        rows.push(row);
    }
    check_model(&rows)?;
    strip_unsupported_keywords(doc);
    Ok(rows)
}

/// What the spec says of one operation besides its schemas: method, path, aliases,
/// action and, per documented status, the next actions.
fn read_row(doc: &Value, path: &str, method: &str, ptr: &str, op_id: &str) -> Result<OperationRow, Problem> {
    let op = doc.pointer(ptr).unwrap_or(&Value::Null);
    let problem = |at: String, message: String| (Some(op_id.to_string()), Some(at), message);
    let action = match op.get("x-payconform-action") {
        None => None,
        Some(word) => {
            let word = word.as_str().unwrap_or("");
            let known: Vec<&str> = Action::ALL.iter().map(|a| a.word()).collect();
            Some(Action::from_word(word).ok_or_else(|| {
                problem(
                    format!("{ptr}/x-payconform-action"),
                    format!("x-payconform-action {word:?} is not one of {known:?}"),
                )
            })?)
        }
    };
    let mut responses = Vec::new();
    for (status, r) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
        let mut next = Vec::new();
        for (relation, target) in
            resolve(doc, r).get("x-payconform-next").and_then(Value::as_object).into_iter().flatten()
        {
            let target = target.as_str().ok_or_else(|| {
                problem(
                    format!("{ptr}/responses/{}/x-payconform-next", escape(status)),
                    format!("next action {relation:?} must name an operationId"),
                )
            })?;
            next.push((relation.clone(), target.to_string()));
        }
        responses.push((status.clone(), next));
    }
    Ok(OperationRow {
        method_name: snake(op_id),
        operation_id: op_id.to_string(),
        request_media_type: None,
        response_media_type: None,
        constant_headers: Vec::new(),
        http_method: method.to_uppercase(),
        path: path.to_string(),
        path_aliases: op
            .get("x-payconform-path-aliases")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
            .unwrap_or_default(),
        action,
        responses,
    })
}

/// Each action word used once, and every next action naming an operation of the spec.
fn check_model(rows: &[OperationRow]) -> Result<(), Problem> {
    let mut seen = BTreeMap::new();
    for row in rows {
        if let Some(action) = row.action
            && let Some(first) = seen.insert(action, &row.operation_id)
        {
            return Err((
                Some(row.operation_id.clone()),
                None,
                format!("x-payconform-action {:?} is already operation {first}'s", action.word()),
            ));
        }
        for (status, next) in &row.responses {
            for (relation, target) in next {
                if !rows.iter().any(|r| &r.operation_id == target) {
                    return Err((
                        Some(row.operation_id.clone()),
                        None,
                        format!(
                            "response {status} declares next action {relation:?} naming {target:?}, \
                             which is not an operation of this spec"
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Remove the header parameters with one allowed value (the hooks send them, not
/// callers), and Content-Type/Accept (the hooks send the documented media types).
fn take_constant_headers(doc: &Value, params: &mut Vec<Value>) -> Vec<(String, String)> {
    let mut constant = Vec::new();
    params.retain(|p| {
        let resolved = resolve(doc, p);
        let is_header = resolved.get("in").and_then(Value::as_str) == Some("header");
        let values = resolved.pointer("/schema/enum").and_then(Value::as_array);
        match (is_header, values, resolved.get("name").and_then(Value::as_str)) {
            (true, Some(v), Some(n)) if v.len() == 1 && v[0].is_string() => {
                constant.push((n.to_string(), v[0].as_str().unwrap_or("").to_string()));
                false
            }
            (true, _, Some(n)) => !(n.eq_ignore_ascii_case("content-type") || n.eq_ignore_ascii_case("accept")),
            _ => true,
        }
    });
    constant
}

/// Path parameters are opaque tokens passed verbatim: no newtype for length limits.
fn open_path_params(doc: &Value, params: &mut [Value]) {
    for p in params.iter_mut() {
        if p.get("$ref").is_some() {
            *p = resolve(doc, p).clone();
        }
        let is_path = p.get("in").and_then(Value::as_str) == Some("path");
        if let Some(schema) = p.get_mut("schema").and_then(Value::as_object_mut).filter(|_| is_path) {
            schema.remove("minLength");
            schema.remove("maxLength");
            schema.remove("pattern");
        }
    }
}

/// The request body becomes one JSON media type; returns the documented one.
fn normalise_request(doc: &Value, body: &mut Value, op_id: &str, body_ptr: &str) -> Result<Option<String>, Problem> {
    if body.get("$ref").is_some() {
        *body = resolve(doc, body).clone();
    }
    match body.get_mut("content").and_then(Value::as_object_mut) {
        Some(content) => Ok(normalise_content(content, op_id, &format!("{body_ptr}/content"))?.map(|(m, _)| m)),
        None => Ok(None),
    }
}

/// Responses: one JSON media type each, one success and one error body type per
/// operation; returns the documented response media type.
fn normalise_responses(
    doc: &Value,
    responses: &mut Map<String, Value>,
    op_id: &str,
    resp_ptr: &str,
) -> Result<Option<String>, Problem> {
    let mut media_type = None;
    let mut ok_schemas: Vec<(String, Value)> = Vec::new();
    let mut err_schemas: Vec<(String, Value)> = Vec::new();
    let mut err_bodyless: Vec<String> = Vec::new();
    for (status, resp) in responses.iter_mut() {
        if resp.get("$ref").is_some() {
            *resp = resolve(doc, resp).clone();
        }
        let at = format!("{resp_ptr}/{status}/content");
        let found = match resp.get_mut("content").and_then(Value::as_object_mut) {
            Some(content) => normalise_content(content, op_id, &at)?,
            None => None,
        };
        let success = status.starts_with('2');
        match found {
            Some((media, schema)) => {
                media_type.get_or_insert(media);
                if success { &mut ok_schemas } else { &mut err_schemas }.push((status.clone(), schema));
            }
            None if !success => err_bodyless.push(status.clone()),
            None => {}
        }
    }
    for (kind, list) in [("success", &ok_schemas), ("error", &err_schemas)] {
        if let Some((first_status, first)) = list.first()
            && let Some((status, _)) = list.iter().find(|(_, s)| s != first)
        {
            return Err((
                Some(op_id.to_string()),
                Some(format!("{resp_ptr}/{}", escape(status))),
                format!(
                    "{kind} responses {first_status} and {status} have different body schemas; \
                     the generated client needs one {kind} body type per operation (use one schema, \
                     e.g. a shared Error with optional fields)"
                ),
            ));
        }
    }
    if let (Some((with_body, _)), Some(without)) = (err_schemas.first(), err_bodyless.first()) {
        return Err((
            Some(op_id.to_string()),
            Some(format!("{resp_ptr}/{}", escape(without))),
            format!(
                "error response {without} has no body while {with_body} has one; give every documented error the same body schema"
            ),
        ));
    }
    Ok(media_type)
}

/// `not` (used to forbid a field) is enforced by the validator, but typify cannot
/// express it in a Rust type; drop it from the generator's copy only.
fn strip_unsupported_keywords(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("not").is_some_and(Value::is_object) && m.get("type").is_some() {
                m.remove("not");
            }
            m.remove("x-payconform-media-type");
            m.remove("x-payconform-twin-responses");
            m.remove("x-payconform-path-aliases");
            m.remove("x-payconform-next");
            m.remove("x-payconform-action");
            m.remove("x-payconform-webhooks");
            for child in m.values_mut() {
                strip_unsupported_keywords(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_unsupported_keywords),
        _ => {}
    }
}

/// Rust source for one API's operation table: the `Op` enum and `OPERATIONS`.
/// `api` is the `Api` variant the rows belong to.
pub fn operation_table(api: &str, rows: &[OperationRow]) -> String {
    use std::fmt::Write as _;
    let n = rows.len();
    let variants: Vec<String> = rows.iter().map(|r| pascal(&r.operation_id)).collect();
    let all: Vec<String> = variants.iter().map(|v| format!("Op::{v}")).collect();
    let mut s = String::new();
    let _ = writeln!(s, "/// Every operation of this API, one variant per operationId (generated from the spec).");
    let _ = writeln!(s, "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum Op {{");
    for (r, v) in rows.iter().zip(&variants) {
        let _ = writeln!(s, "    /// `{}`: {} {}\n    {v},", r.operation_id, r.http_method, r.path);
    }
    let _ = writeln!(s, "}}\n\nimpl Op {{\n    /// Every operation, in table order.");
    let _ = writeln!(s, "    pub const ALL: [Op; {n}] = [{}];", all.join(", "));
    let _ = writeln!(s, "    /// This operation's row in [`OPERATIONS`].");
    let _ = writeln!(s, "    pub fn info(self) -> &'static crate::operation::OperationInfo {{");
    let _ = writeln!(s, "        &OPERATIONS[self as usize]\n    }}");
    let _ = writeln!(s, "    /// The operation a row names, if the row is this API's.");
    let _ = writeln!(s, "    pub fn of(info: &crate::operation::OperationInfo) -> Option<Op> {{");
    let _ = writeln!(
        s,
        "        if info.api == crate::spec::Api::{api} {{ Op::ALL.get(info.index).copied() }} else {{ None }}"
    );
    let _ = writeln!(s, "    }}\n}}\n");
    let _ = writeln!(s, "/// This API's operations (generated from the spec), indexed by [`Op`].");
    let _ = writeln!(s, "pub static OPERATIONS: [crate::operation::OperationInfo; {n}] = [");
    let opt = |o: &Option<String>| o.as_ref().map_or("None".to_string(), |v| format!("Some({v:?})"));
    for (index, r) in rows.iter().enumerate() {
        let headers: Vec<String> = r.constant_headers.iter().map(|(n, v)| format!("({n:?}, {v:?})")).collect();
        let aliases: Vec<String> = r.path_aliases.iter().map(|a| format!("{a:?}")).collect();
        let action =
            r.action.map_or("None".to_string(), |a| format!("Some(crate::operation::Action::{})", a.variant()));
        let _ = writeln!(s, "    crate::operation::OperationInfo {{");
        let _ = writeln!(s, "        api: crate::spec::Api::{api},\n        index: {index},");
        let _ = writeln!(s, "        operation_id: {:?},\n        method: {:?},", r.operation_id, r.method_name);
        let _ = writeln!(s, "        http_method: {:?},\n        path: {:?},", r.http_method, r.path);
        let _ = writeln!(s, "        path_aliases: &[{}],", aliases.join(", "));
        let _ = writeln!(s, "        request_media_type: {},", opt(&r.request_media_type));
        let _ = writeln!(s, "        response_media_type: {},", opt(&r.response_media_type));
        let _ = writeln!(s, "        constant_headers: &[{}],\n        action: {action},", headers.join(", "));
        let _ = writeln!(s, "        responses: &[");
        for (status, next) in &r.responses {
            let next: Vec<String> = next
                .iter()
                .map(|(rel, op)| format!("crate::operation::Next {{ relation: {rel:?}, operation: {op:?} }}"))
                .collect();
            let _ = writeln!(
                s,
                "            crate::operation::Documented {{ status: {status:?}, next: &[{}] }},",
                next.join(", ")
            );
        }
        let _ = writeln!(s, "        ],\n    }},");
    }
    let _ = writeln!(s, "];");
    s
}
