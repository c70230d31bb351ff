//! The exchange checker: every request a client sends and every response it gets,
//! checked against the spec. Violations are data, with operation, status and JSON path.

use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::client::{Exchange, Recorder};
use crate::spec::{Api, media_is, spec};

/// The named checks an exchange goes through (in the spirit of schemathesis' checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckKind {
    /// The response status is documented for the operation (and was not a redirect).
    Status,
    /// The request's and the response's `Content-Type` are the documented ones.
    MediaType,
    /// Every required request header is present with an allowed value.
    Headers,
    /// The request body matches the documented schema.
    RequestBody,
    /// The response body matches the documented schema (and is within the size cap).
    ResponseBody,
    /// Every link or action is documented for the response and names the right
    /// operation on the target's host.
    Links,
}

impl CheckKind {
    /// Every check, in the order they run.
    pub const ALL: [CheckKind; 6] = [
        CheckKind::Status,
        CheckKind::MediaType,
        CheckKind::Headers,
        CheckKind::RequestBody,
        CheckKind::ResponseBody,
        CheckKind::Links,
    ];

    /// The check's name, as `--checks` takes it and the reports show it.
    pub fn name(self) -> &'static str {
        match self {
            CheckKind::Status => "status",
            CheckKind::MediaType => "media_type",
            CheckKind::Headers => "headers",
            CheckKind::RequestBody => "request_body",
            CheckKind::ResponseBody => "response_body",
            CheckKind::Links => "links",
        }
    }

    /// A check by name.
    pub fn from_name(name: &str) -> Option<CheckKind> {
        CheckKind::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which half of an exchange a violation is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// What the client sent.
    Request,
    /// What came back.
    Response,
}

impl Side {
    /// `request` or `response`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Request => "request",
            Side::Response => "response",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One way an exchange breaks the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// API.
    pub api: Api,
    /// operationId.
    pub operation: String,
    /// Response status, if there was a response.
    pub status: Option<u16>,
    /// Which check found it.
    pub check: CheckKind,
    /// Request or response.
    pub side: Side,
    /// JSONPath into the body, or a header name, or `$`.
    pub json_path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
        write!(f, "{} {} {} {} {}: {}", self.api, self.operation, status, self.side, self.json_path, self.message)
    }
}

/// Check one exchange of `api`.
pub fn check_exchange(api: Api, ex: &Exchange) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(op) = spec(api).operation(&ex.operation) else {
        return vec![Violation {
            api,
            operation: ex.operation.clone(),
            status: ex.status,
            check: CheckKind::Status,
            side: Side::Request,
            json_path: "$".into(),
            message: "operation is not in the spec".into(),
        }];
    };
    use CheckKind as C;
    let mut v = |check: CheckKind, side: Side, path: String, message: String| {
        out.push(Violation {
            api,
            operation: op.operation_id.to_string(),
            status: ex.status,
            check,
            side,
            json_path: path,
            message,
        })
    };
    // The request.
    for h in op.headers.iter().filter(|h| h.required) {
        match ex.request_header(&h.name) {
            None => v(C::Headers, Side::Request, h.name.clone(), "required header is missing".into()),
            Some(val) if h.allowed.as_ref().is_some_and(|a| !a.iter().any(|x| x == val)) => {
                v(C::Headers, Side::Request, h.name.clone(), format!("value {val:?} is not allowed"))
            }
            _ => {}
        }
    }
    if let (Some(body), Some(bytes)) = (&op.request, &ex.request_body) {
        if !media_is(ex.request_header("content-type"), &body.media_type) {
            v(C::MediaType, Side::Request, "Content-Type".into(), format!("expected {}", body.media_type));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(json) => {
                body.validate(&json).into_iter().for_each(|s| v(C::RequestBody, Side::Request, s.json_path, s.message))
            }
            Err(e) => v(C::RequestBody, Side::Request, "$".into(), format!("body is not JSON: {e}")),
        }
    }
    // The response. A transport failure (no answer, or one that broke off) is not a
    // spec violation: the harness reports it apart, once, in words a person can act on.
    let Some(status) = ex.status else { return out };
    if ex.error.is_some() {
        return out;
    }
    if let Some(cap) = ex.oversized {
        v(
            C::ResponseBody,
            Side::Response,
            "$".into(),
            format!("the body is larger than the {cap}-byte cap; it was not read further"),
        );
        return out;
    }
    match op.response(status) {
        None => {
            let mut message = format!("status {status} is not documented for this operation");
            if (300..400).contains(&status) {
                let to = ex.response_header("location").unwrap_or("nowhere");
                message.push_str(&format!(" (a redirect to {to}; never followed)"));
            }
            v(C::Status, Side::Response, "$".into(), message)
        }
        Some(None) => {
            if !ex.response_body.is_empty() {
                v(
                    C::ResponseBody,
                    Side::Response,
                    "$".into(),
                    "documented without a body, but a body came back".into(),
                );
            }
        }
        Some(Some(body)) => {
            let ct = ex.response_header("content-type");
            if !media_is(ct, &body.media_type) {
                v(
                    C::MediaType,
                    Side::Response,
                    "Content-Type".into(),
                    format!("expected {}, got {}", body.media_type, ct.unwrap_or("none")),
                );
            }
            match serde_json::from_slice::<Value>(&ex.response_body) {
                Ok(json) => {
                    body.validate(&json)
                        .into_iter()
                        .for_each(|s| v(C::ResponseBody, Side::Response, s.json_path, s.message));
                    for (path, rel) in next_actions(api, &json) {
                        if op.documented_next(status, rel).is_none() {
                            let documented: Vec<&str> = op.next_for(status).iter().map(|n| n.relation).collect();
                            v(
                                C::Links,
                                Side::Response,
                                path,
                                format!(
                                    "next action {rel:?} is not documented for {} {status} (documented: {})",
                                    op.operation_id,
                                    if documented.is_empty() { "none".to_string() } else { documented.join(", ") }
                                ),
                            );
                        }
                    }
                }
                Err(e) => v(C::ResponseBody, Side::Response, "$".into(), format!("body is not JSON: {e}")),
            }
        }
    }
    out
}

/// The next actions a response offers, with their JSONPath: v7 `_links` relations
/// (but `curies`), Payments API `_actions`. Adyen has none.
pub fn next_actions(api: Api, body: &Value) -> Vec<(String, &str)> {
    let (key, skip): (&str, &[&str]) = match api {
        Api::WorldpayV7 => ("_links", &["curies"]),
        Api::WorldpayPayments => ("_actions", &[]),
        Api::Adyen => return Vec::new(),
    };
    body.get(key)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(rel, _)| !skip.contains(&rel.as_str()))
        .map(|(rel, _)| (format!("$.{key}['{rel}']"), rel.as_str()))
        .collect()
}

/// A recorder that checks every exchange and keeps what it found.
pub struct CheckingRecorder {
    api: Api,
    seen: Mutex<Vec<(Exchange, Vec<Violation>)>>,
}

impl CheckingRecorder {
    /// A recorder for one API.
    pub fn new(api: Api) -> Arc<Self> {
        Arc::new(CheckingRecorder { api, seen: Mutex::new(Vec::new()) })
    }
    /// Every violation so far.
    pub fn violations(&self) -> Vec<Violation> {
        self.lock().iter().flat_map(|(_, v)| v.clone()).collect()
    }
    /// How many exchanges were checked.
    pub fn count(&self) -> usize {
        self.lock().len()
    }
    /// The exchanges after the first `n`, with their violations.
    pub fn exchanges_since(&self, n: usize) -> Vec<(Exchange, Vec<Violation>)> {
        self.lock().get(n..).unwrap_or_default().to_vec()
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Exchange, Vec<Violation>)>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Recorder for CheckingRecorder {
    fn record(&self, exchange: Exchange) {
        let v = check_exchange(self.api, &exchange);
        self.lock().push((exchange, v));
    }
}
