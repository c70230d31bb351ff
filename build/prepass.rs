//! The pre-pass that progenitor 0.15 needs, and the operation rows read on the way:
//! vendor `+json` media types become `application/json`, one request media type,
//! constant headers removed and recorded for the client hooks, one success and one
//! error body type per operation, the action and next actions checked.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::names::{deref as resolve, escape, snake};
use super::{Action, OperationRow, Problem, operations};

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

pub(super) fn prepass(doc: &mut Value) -> Result<Vec<OperationRow>, Problem> {
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
    check_documented_fields(&snapshot, &rows)?;
    strip_unsupported_keywords(doc);
    Ok(rows)
}

/// `x-payconform-documented-fields`: per operationId with a request body, a list of
/// dotted field paths.
fn check_documented_fields(doc: &Value, rows: &[OperationRow]) -> Result<(), Problem> {
    let Some(fields) = doc.get("x-payconform-documented-fields") else { return Ok(()) };
    let at = "/x-payconform-documented-fields".to_string();
    let Some(fields) = fields.as_object() else {
        return Err((None, Some(at), "must map operationIds to lists of field paths".into()));
    };
    for (op, list) in fields {
        let here = Some(format!("{at}/{}", escape(op)));
        if !rows.iter().any(|r| &r.operation_id == op && r.request_media_type.is_some()) {
            return Err((Some(op.clone()), here, "names no operation of this spec with a request body".into()));
        }
        let ok = list.as_array().is_some_and(|l| {
            l.iter().all(|p| p.as_str().is_some_and(|p| !p.is_empty() && p.split('.').all(|s| !s.is_empty())))
        });
        if !ok {
            return Err((Some(op.clone()), here, "must be a list of dotted field paths (`instruction.value`)".into()));
        }
    }
    Ok(())
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
            // `null`: the vendor documents the action, its operation is outside this spec.
            let target = match target {
                Value::Null => None,
                t => Some(t.as_str().map(String::from).ok_or_else(|| {
                    problem(
                        format!("{ptr}/responses/{}/x-payconform-next", escape(status)),
                        format!("next action {relation:?} must name an operationId, or be null"),
                    )
                })?),
            };
            next.push((relation.clone(), target));
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
                let Some(target) = target else { continue };
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
            m.remove("x-payconform-documented-fields");
            for child in m.values_mut() {
                strip_unsupported_keywords(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_unsupported_keywords),
        _ => {}
    }
}
