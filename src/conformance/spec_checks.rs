//! The checks, one function each, in the spirit of schemathesis' check set: every
//! check looks at the same [`Subject`] and returns what it found, and
//! [`super::check_exchange`] names each finding by its check.

use serde_json::Value;

use super::{CheckKind, Side, next_actions};
use crate::client::Exchange;
use crate::operation::Api;
use crate::spec::{Body, Operation, media_is};

/// What a check found: which half of the exchange, where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Finding {
    /// Which half of the exchange.
    pub(super) side: Side,
    /// The JSONPath, or the header's name.
    pub(super) json_path: String,
    /// What is wrong.
    pub(super) message: String,
}

impl Finding {
    pub(super) fn request(json_path: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding { side: Side::Request, json_path: json_path.into(), message: message.into() }
    }
    pub(super) fn response(json_path: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding { side: Side::Response, json_path: json_path.into(), message: message.into() }
    }
}

/// A check.
type Check = fn(&Subject<'_>) -> Vec<Finding>;

/// Every check with its name, in the order a side's violations are listed.
pub(super) const CHECKS: [(CheckKind, Check); 6] = [
    (CheckKind::Headers, headers),
    (CheckKind::Status, status),
    (CheckKind::MediaType, media_type),
    (CheckKind::RequestBody, request_body),
    (CheckKind::ResponseBody, response_body),
    (CheckKind::Links, links),
];

/// One exchange and its operation, with the answer read once.
pub(super) struct Subject<'a> {
    api: Api,
    op: &'a Operation,
    ex: &'a Exchange,
    /// The answer, when one came whole: a transport failure (no answer, or one that
    /// broke off) is not a spec violation, and an oversized body was not read.
    answer: Option<Answer<'a>>,
}

/// A whole answer: its status, what the spec documents for it, and its JSON.
struct Answer<'a> {
    status: u16,
    /// `None`: the status is not documented; `Some(None)`: documented without a body.
    documented: Option<&'a Option<Body>>,
    /// The body parsed, when the documentation has one.
    json: Option<Result<Value, String>>,
}

impl<'a> Subject<'a> {
    pub(super) fn new(api: Api, op: &'a Operation, ex: &'a Exchange) -> Self {
        let answer = ex.status.filter(|_| ex.error.is_none() && ex.oversized.is_none()).map(|status| {
            let documented = op.response(status);
            let json = documented.and_then(Option::as_ref).map(|_| {
                serde_json::from_slice::<Value>(&ex.response_body).map_err(|e| format!("body is not JSON: {e}"))
            });
            Answer { status, documented, json }
        });
        Subject { api, op, ex, answer }
    }

    /// The documented body of the answer and the answer's JSON, where both exist.
    fn answered_body(&self) -> Option<(u16, &'a Body, &Result<Value, String>)> {
        let a = self.answer.as_ref()?;
        Some((a.status, a.documented?.as_ref()?, a.json.as_ref()?))
    }
}

/// Every required request header is present with an allowed value.
fn headers(s: &Subject<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for h in s.op.headers.iter().filter(|h| h.required) {
        match s.ex.request_header(&h.name) {
            None => out.push(Finding::request(h.name.clone(), "required header is missing")),
            Some(val) if h.allowed.as_ref().is_some_and(|a| !a.iter().any(|x| x == val)) => {
                out.push(Finding::request(h.name.clone(), format!("value {val:?} is not allowed")))
            }
            _ => {}
        }
    }
    out
}

/// The response status is documented for the operation (a redirect is named, and never
/// followed).
fn status(s: &Subject<'_>) -> Vec<Finding> {
    let Some(a) = s.answer.as_ref().filter(|a| a.documented.is_none()) else { return Vec::new() };
    let mut message = format!("status {} is not documented for this operation", a.status);
    if (300..400).contains(&a.status) {
        let to = s.ex.response_header("location").unwrap_or("nowhere");
        message.push_str(&format!(" (a redirect to {to}; never followed)"));
    }
    vec![Finding::response("$", message)]
}

/// The request's and the response's `Content-Type` are the documented ones.
fn media_type(s: &Subject<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let (Some(body), Some(_)) = (&s.op.request, &s.ex.request_body)
        && !media_is(s.ex.request_header("content-type"), &body.media_type)
    {
        out.push(Finding::request("Content-Type", format!("expected {}", body.media_type)));
    }
    if let Some((_, body, _)) = s.answered_body() {
        let ct = s.ex.response_header("content-type");
        if !media_is(ct, &body.media_type) {
            let message = format!("expected {}, got {}", body.media_type, ct.unwrap_or("none"));
            out.push(Finding::response("Content-Type", message));
        }
    }
    out
}

/// The request body matches the documented schema.
fn request_body(s: &Subject<'_>) -> Vec<Finding> {
    let (Some(body), Some(bytes)) = (&s.op.request, &s.ex.request_body) else { return Vec::new() };
    match serde_json::from_slice::<Value>(bytes) {
        Ok(json) => body.validate(&json).into_iter().map(|v| Finding::request(v.json_path, v.message)).collect(),
        Err(e) => vec![Finding::request("$", format!("body is not JSON: {e}"))],
    }
}

/// The response body matches the documented schema, is absent where none is
/// documented, and is within the size cap.
fn response_body(s: &Subject<'_>) -> Vec<Finding> {
    if let Some(cap) = s.ex.oversized.filter(|_| s.ex.status.is_some() && s.ex.error.is_none()) {
        let message = format!("the body is larger than the {cap}-byte cap; it was not read further");
        return vec![Finding::response("$", message)];
    }
    if let Some(Answer { documented: Some(None), .. }) = &s.answer
        && !s.ex.response_body.is_empty()
    {
        return vec![Finding::response("$", "documented without a body, but a body came back")];
    }
    match s.answered_body() {
        Some((_, body, Ok(json))) => {
            body.validate(json).into_iter().map(|v| Finding::response(v.json_path, v.message)).collect()
        }
        Some((_, _, Err(e))) => vec![Finding::response("$", e.clone())],
        None => Vec::new(),
    }
}

/// Every next action the response offers is documented for its status.
fn links(s: &Subject<'_>) -> Vec<Finding> {
    let Some((status, _, Ok(json))) = s.answered_body() else { return Vec::new() };
    let documented: Vec<&str> = s.op.next_for(status).iter().map(|n| n.relation).collect();
    next_actions(s.api, json)
        .into_iter()
        .filter(|(_, rel)| s.op.documented_next(status, rel).is_none())
        .map(|(path, rel)| {
            let listed = if documented.is_empty() { "none".to_string() } else { documented.join(", ") };
            let message = format!(
                "next action {rel:?} is not documented for {} {status} (documented: {listed})",
                s.op.operation_id
            );
            Finding::response(path, message)
        })
        .collect()
}
