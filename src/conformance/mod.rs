//! The exchange checker: every request a client sends and every response it gets,
//! checked against the spec. Violations are data, with operation, status and JSON path.

use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::client::{Exchange, Recorder};
use crate::operation::Api;
use crate::spec::spec;

mod lifecycle;
mod spec_checks;

pub use lifecycle::{Lifecycle, LifecycleFinding, Rule};

use spec_checks::Finding;

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

/// Violations kept per exchange: the first 50, then one that counts the rest, so that
/// a hostile answer (250,000 undocumented links) costs a bounded report.
pub const MAX_VIOLATIONS_PER_EXCHANGE: usize = 50;

/// The end of the message of a violation that counts those left out.
const NOT_LISTED: &str = " more violation(s) in this exchange are not listed";

/// How many violations `v` stands for: the count of one that counts those left out,
/// else one.
fn stands_for(v: &Violation) -> usize {
    v.message.split_once(NOT_LISTED).filter(|_| v.json_path == "$").and_then(|(n, _)| n.parse().ok()).unwrap_or(1)
}

/// Keep the first [`MAX_VIOLATIONS_PER_EXCHANGE`] violations and add one that counts the
/// rest (named by the first left out: its check, side and status). Capping twice counts
/// right: a counting violation left out adds its own count.
pub(crate) fn cap_violations(mut v: Vec<Violation>) -> Vec<Violation> {
    let counted = v.len() == MAX_VIOLATIONS_PER_EXCHANGE + 1 && stands_for(&v[MAX_VIOLATIONS_PER_EXCHANGE]) > 1;
    if v.len() <= MAX_VIOLATIONS_PER_EXCHANGE || counted {
        return v;
    }
    let rest: usize = v[MAX_VIOLATIONS_PER_EXCHANGE..].iter().map(stands_for).sum();
    let mut more = v.swap_remove(MAX_VIOLATIONS_PER_EXCHANGE);
    v.truncate(MAX_VIOLATIONS_PER_EXCHANGE);
    more.json_path = "$".into();
    more.message = format!("{rest}{NOT_LISTED} (the first {MAX_VIOLATIONS_PER_EXCHANGE} are)");
    v.push(more);
    v
}

/// Check one exchange of `api`: at most [`MAX_VIOLATIONS_PER_EXCHANGE`] violations and
/// one that counts the rest.
pub fn check_exchange(api: Api, ex: &Exchange) -> Vec<Violation> {
    let violation = |operation: String, check, Finding { side, json_path, message }: Finding| Violation {
        api,
        operation,
        status: ex.status,
        check,
        side,
        json_path,
        message,
    };
    let Some(op) = spec(api).operation(&ex.operation) else {
        let finding = Finding::request("$", "operation is not in the spec");
        return vec![violation(ex.operation.clone(), CheckKind::Status, finding)];
    };
    let subject = spec_checks::Subject::new(api, op, ex);
    let mut out: Vec<Violation> = spec_checks::CHECKS
        .iter()
        .flat_map(|(kind, check)| check(&subject).into_iter().map(|f| violation(op.operation_id.to_string(), *kind, f)))
        .collect();
    // What was sent, then what came back (each in check order).
    out.sort_by_key(|v| v.side == Side::Response);
    cap_violations(out)
}

/// The next actions a response offers, with their JSONPath: v7 `_links` relations
/// (but `curies`), Payments API `_actions`. Adyen has none.
pub(crate) fn next_actions(api: Api, body: &Value) -> Vec<(String, &str)> {
    // `curies` is v7's link metadata, not a relation.
    let Some(key) = api.offers_in() else { return Vec::new() };
    let skip = ["curies"];
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
    /// The exchanges after the first `n`, with their violations, moved out: the
    /// recorder keeps counting them but no longer holds their bodies (a hostile
    /// answer's megabytes are held once, by the taker, not for the recorder's life).
    pub fn take_since(&self, n: usize) -> Vec<(Exchange, Vec<Violation>)> {
        let mut g = self.lock();
        let start = n.min(g.len());
        g[start..]
            .iter_mut()
            .map(|(ex, v)| {
                let body = std::mem::take(&mut ex.response_body);
                let request = ex.request_body.take();
                let mut moved = ex.clone();
                moved.response_body = body;
                moved.request_body = request;
                (moved, std::mem::take(v))
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(body: &[u8]) -> Exchange {
        Exchange {
            operation: "authorize".into(),
            method: "POST".into(),
            url: "http://h/cardPayments/customerInitiatedTransactions".into(),
            request_headers: Vec::new(),
            request_body: Some(b"{}".to_vec()),
            status: Some(201),
            response_headers: Vec::new(),
            response_body: body.to_vec(),
            error: None,
            oversized: None,
            elapsed: std::time::Duration::ZERO,
        }
    }

    /// A taken exchange's bodies are held once, by the taker: the recorder keeps the
    /// count, not the megabytes.
    #[test]
    fn take_since_moves_the_bodies_out() {
        let r = CheckingRecorder::new(Api::WorldpayV7);
        r.record(exchange(&vec![b' '; 1024 * 1024]));
        r.record(exchange(b"{}"));
        let taken = r.take_since(1);
        assert_eq!((taken.len(), taken[0].0.response_body.as_slice()), (1, b"{}".as_slice()));
        let all = r.take_since(0);
        assert_eq!(all[0].0.response_body.len(), 1024 * 1024);
        assert_eq!(r.count(), 2);
        assert!(r.exchanges_since(0).iter().all(|(e, _)| e.response_body.is_empty()), "nothing is held twice");
    }

    #[test]
    fn capping_counts_what_it_leaves_out_even_twice() {
        let v = |m: &str| Violation {
            api: Api::Adyen,
            operation: "o".into(),
            status: Some(200),
            check: CheckKind::Links,
            side: Side::Response,
            json_path: "$.x".into(),
            message: m.into(),
        };
        let once = cap_violations((0..120).map(|i| v(&i.to_string())).collect());
        assert_eq!(once.len(), MAX_VIOLATIONS_PER_EXCHANGE + 1);
        assert!(once[MAX_VIOLATIONS_PER_EXCHANGE].message.starts_with("70 more"), "{}", once[50].message);
        let mut again = once;
        again.extend((0..10).map(|i| v(&i.to_string())));
        let twice = cap_violations(again);
        assert!(twice[MAX_VIOLATIONS_PER_EXCHANGE].message.starts_with("80 more"), "{}", twice[50].message);
    }
}
