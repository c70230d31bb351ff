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

#[path = "names.rs"]
mod names;
pub use names::snake;
use names::{collect_refs, escape};
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

/// What the client hooks need to know about one operation's wire format.
#[derive(Debug, Clone, PartialEq)]
pub struct WireInfo {
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
}

/// The generated client source and its wire table.
pub struct Generated {
    /// Pretty-printed Rust source of the client module.
    pub code: String,
    /// One entry per operation.
    pub wire: Vec<WireInfo>,
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
    let wire = prepass(&mut doc).map_err(|(op, ptr, msg)| err(op, ptr, msg))?;
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
    Ok(Generated { code: prettyplease::unparse(&file_ast), wire })
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

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(p) => doc.pointer(p).map(|t| resolve(doc, t)).unwrap_or(v),
        None => v,
    }
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

fn prepass(doc: &mut Value) -> Result<Vec<WireInfo>, Problem> {
    let snapshot = doc.clone();
    let mut wire = Vec::new();
    for (path, method, ptr) in operations(&snapshot) {
        let op_id = snapshot.pointer(&format!("{ptr}/operationId")).and_then(Value::as_str).unwrap_or("").to_string();
        let mut info = WireInfo {
            method_name: snake(&op_id),
            operation_id: op_id.clone(),
            request_media_type: None,
            response_media_type: None,
            constant_headers: Vec::new(),
            http_method: method.to_uppercase(),
            path: path.clone(),
            path_aliases: snapshot
                .pointer(&format!("{ptr}/x-payconform-path-aliases"))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                .unwrap_or_default(),
        };
        let path_item_ptr = ptr.rsplit_once('/').map(|(p, _)| p.to_string()).unwrap_or_default();
        // Constant headers (an enum of one value) are sent by the hooks, not by callers.
        for params_ptr in [format!("{path_item_ptr}/parameters"), format!("{ptr}/parameters")] {
            let Some(params) = doc.pointer_mut(&params_ptr).and_then(Value::as_array_mut) else { continue };
            let mut keep = Vec::new();
            for p in params.drain(..) {
                let resolved = resolve(&snapshot, &p).clone();
                let is_header = resolved.get("in").and_then(Value::as_str) == Some("header");
                let values = resolved.pointer("/schema/enum").and_then(Value::as_array);
                let name = resolved.get("name").and_then(Value::as_str);
                match (is_header, values, name) {
                    (true, Some(v), Some(n)) if v.len() == 1 && v[0].is_string() => {
                        info.constant_headers.push((n.to_string(), v[0].as_str().unwrap_or("").to_string()));
                    }
                    (true, _, Some(n))
                        if n.eq_ignore_ascii_case("content-type") || n.eq_ignore_ascii_case("accept") => {}
                    _ => keep.push(p),
                }
            }
            *params = keep;
        }
        // Path parameters are opaque tokens passed verbatim: no newtype for length limits.
        for params_ptr in [format!("{path_item_ptr}/parameters"), format!("{ptr}/parameters")] {
            let Some(params) = doc.pointer_mut(&params_ptr).and_then(Value::as_array_mut) else { continue };
            for p in params.iter_mut() {
                if p.get("$ref").is_some() {
                    *p = resolve(&snapshot, p).clone();
                }
                let is_path = p.get("in").and_then(Value::as_str) == Some("path");
                if let Some(schema) = p.get_mut("schema").and_then(Value::as_object_mut).filter(|_| is_path) {
                    schema.remove("minLength");
                    schema.remove("maxLength");
                    schema.remove("pattern");
                }
            }
        }
        // Request body: one JSON media type.
        let body_ptr = format!("{ptr}/requestBody");
        if let Some(body) = doc.pointer_mut(&body_ptr) {
            if body.get("$ref").is_some() {
                *body = resolve(&snapshot, body).clone();
            }
            if let Some(content) = body.get_mut("content").and_then(Value::as_object_mut)
                && let Some((media, _)) = normalise_content(content, &op_id, &format!("{body_ptr}/content"))?
            {
                info.request_media_type = Some(media);
            }
        }
        // Responses: one success and one error body type.
        let resp_ptr = format!("{ptr}/responses");
        let Some(responses) = doc.pointer_mut(&resp_ptr).and_then(Value::as_object_mut) else {
            return Err((Some(op_id), Some(resp_ptr), "operation has no responses".into()));
        };
        let mut ok_schemas: Vec<(String, Value)> = Vec::new();
        let mut err_schemas: Vec<(String, Value)> = Vec::new();
        let mut err_bodyless: Vec<String> = Vec::new();
        for (status, resp) in responses.iter_mut() {
            if resp.get("$ref").is_some() {
                *resp = resolve(&snapshot, resp).clone();
            }
            let at = format!("{resp_ptr}/{status}/content");
            let found = match resp.get_mut("content").and_then(Value::as_object_mut) {
                Some(content) => normalise_content(content, &op_id, &at)?,
                None => None,
            };
            let success = status.starts_with('2');
            match found {
                Some((media, schema)) => {
                    info.response_media_type.get_or_insert(media);
                    if success {
                        ok_schemas.push((status.clone(), schema))
                    } else {
                        err_schemas.push((status.clone(), schema))
                    }
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
                    Some(op_id),
                    Some(format!("{resp_ptr}/{}", escape(status))),
                    format!(
                        "{kind} responses {first_status} and {status} have different body schemas; \
                         the generated client needs one {kind} body type per operation (use one schema, \
                         e.g. a shared Error with optional fields)"
                    ),
                ));
            }
        }
        if !err_schemas.is_empty() && !err_bodyless.is_empty() {
            return Err((
                Some(op_id),
                Some(format!("{resp_ptr}/{}", escape(&err_bodyless[0]))),
                format!(
                    "error response {} has no body while {} has one; give every documented error the same body schema",
                    err_bodyless[0], err_schemas[0].0
                ),
            ));
        }
        wire.push(info);
    }
    strip_unsupported_keywords(doc);
    Ok(wire)
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

/// Rust source for the wire table of one API.
pub fn wire_table(wire: &[WireInfo]) -> String {
    let mut s = String::from(
        "/// Wire format of every operation, from the spec (generated by build.rs).\npub static WIRE: &[crate::client::Wire] = &[\n",
    );
    for w in wire {
        let opt = |o: &Option<String>| match o {
            Some(v) => format!("Some({v:?})"),
            None => "None".to_string(),
        };
        let headers: Vec<String> = w.constant_headers.iter().map(|(n, v)| format!("({n:?}, {v:?})")).collect();
        let aliases: Vec<String> = w.path_aliases.iter().map(|a| format!("{a:?}")).collect();
        s.push_str(&format!(
            "    crate::client::Wire {{ method: {:?}, operation_id: {:?}, http_method: {:?}, path: {:?}, path_aliases: &[{}], request_media_type: {}, response_media_type: {}, constant_headers: &[{}] }},\n",
            w.method_name,
            w.operation_id,
            w.http_method,
            w.path,
            aliases.join(", "),
            opt(&w.request_media_type),
            opt(&w.response_media_type),
            headers.join(", ")
        ));
    }
    s.push_str("];\n");
    s
}
