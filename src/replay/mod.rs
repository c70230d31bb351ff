//! Replay: a HAR recording (payconform's, from `check --record` or `proxy --record`)
//! served as a mock, offline.
//!
//! Requests are matched by operation and by their place in a flow, not by bytes:
//! - a request that follows a link is matched by the link's path: the replay serves the
//!   recorded answers, so the client follows the recorded tokens, and the first unused
//!   recorded exchange on that path is the next one of its flow;
//! - an Adyen modification is matched by the pspReference it names (the recorded one
//!   the replay handed out) the same way: the classic API's `originalReference`,
//!   Checkout's path;
//! - a request that starts a flow is matched to the unused recorded exchange of the
//!   same operation whose body is nearest: references the client chose are mapped
//!   from the new run to the recorded one (and back in the answer), card fields compare
//!   by their last four digits, and every other leaf counts.
//!
//! Action links in an answer are rebased on the replay's own origin. A request that
//! matches nothing gets a 404 in its API's own error shape naming the nearest recorded
//! exchange, and is counted as a miss.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use serde_json::Value;

use crate::operation::Api;
use crate::record::{Har, RecordingMeta};
use crate::redact::{CREDENTIAL_HEADERS, FieldKind, field_kind, is_reference_field};
use crate::sandbox::{TWIN_PROBE_PATH, Twin, TwinRequest};
use crate::spec::spec;

mod drift;
mod server;

pub use drift::{Baseline, Class, Difference, DriftReport, drift};

pub use server::ReplayServer;

/// Recordings larger than this are refused.
pub const MAX_RECORDING: u64 = 512 * 1024 * 1024;

/// One recorded exchange a replay can serve.
#[derive(Debug, Clone)]
struct Recorded {
    index: usize,
    /// The flow (a `check` run's scenario) it belongs to.
    flow: Option<usize>,
    api: Api,
    operation: String,
    method: String,
    /// Path and query, as the client sent them.
    path: String,
    request: Option<Value>,
    /// The request's headers as recorded.
    asked: Vec<(String, String)>,
    /// The request's body as recorded (redacted).
    raw: String,
    /// The request's headers and body leaves, normalised once.
    norm: Option<HashMap<String, String>>,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// A recording loaded for replay.
#[derive(Debug, Clone)]
pub struct Recording {
    entries: Vec<Recorded>,
    /// Entries by API, operation and method.
    by_operation: HashMap<(Api, String, String), Vec<usize>>,
    /// Recorded Adyen notification items, by the pspReference they are about.
    notifications: HashMap<String, Vec<Value>>,
    meta: RecordingMeta,
    /// The origins the recorded clients used (`http://127.0.0.1:42873`), to rebase links.
    origins: Vec<String>,
}

impl Recording {
    /// Read a HAR file.
    pub fn load(path: &Path) -> Result<Recording, String> {
        let har = crate::record::read(path, MAX_RECORDING)?;
        Ok(Recording::from_har(&har))
    }

    /// The exchanges of a HAR document that a replay can serve: those with an answer
    /// and an operation of our specs.
    pub fn from_har(har: &Har) -> Recording {
        let mut entries = Vec::new();
        let mut origins: Vec<String> = Vec::new();
        let mut notifications: HashMap<String, Vec<Value>> = HashMap::new();
        for (index, e) in har.log.entries.iter().enumerate() {
            if e.payconform.as_ref().is_some_and(|m| m.notification) {
                let body: Option<Value> = e.request.post_data.as_ref().and_then(|p| serde_json::from_str(&p.text).ok());
                for item in body.as_ref().and_then(|b| crate::notification::items(b).ok()).unwrap_or_default() {
                    if let Some(psp) = item.get("pspReference").and_then(Value::as_str) {
                        notifications.entry(psp.to_string()).or_default().push(item.clone());
                    }
                }
                continue;
            }
            let Ok(url) = url::Url::parse(&e.request.url) else { continue };
            let origin = url.origin().ascii_serialization();
            if !origins.contains(&origin) {
                origins.push(origin);
            }
            let path = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            let Some((api, rel)) = Api::route(url.path()) else { continue };
            let Some((op, _)) = spec(api).find(&e.request.method, rel) else { continue };
            if e.response.status == 0 {
                continue;
            }
            entries.push(Recorded {
                index: e.payconform.as_ref().map_or(index, |m| m.index),
                flow: e.payconform.as_ref().and_then(|m| m.flow),
                api,
                operation: op.operation_id.to_string(),
                method: e.request.method.clone(),
                path,
                norm: None,
                asked: e.request.headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect(),
                raw: e.request.post_data.as_ref().map(|p| p.text.clone()).unwrap_or_default(),
                request: e.request.post_data.as_ref().and_then(|p| serde_json::from_str(&p.text).ok()),
                status: e.response.status,
                headers: e.response.headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect(),
                body: e.response.content.text.clone().unwrap_or_default(),
            });
        }
        for e in &mut entries {
            e.norm = Some(normalise(&e.asked, e.request.as_ref(), &e.raw, None).into_iter().collect());
        }
        let mut by_operation: HashMap<(Api, String, String), Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_operation.entry((e.api, e.operation.clone(), e.method.to_ascii_uppercase())).or_default().push(i);
        }
        Recording {
            entries,
            by_operation,
            notifications,
            meta: har.log.payconform.clone().unwrap_or_default(),
            origins,
        }
    }

    /// Exchanges a replay can serve.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is nothing to serve.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A request nothing in the recording matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    /// `POST /path`.
    pub request: String,
    /// The operation, if the path names one.
    pub operation: Option<String>,
    /// The nearest recorded exchange: its index, and how it differs.
    pub nearest: Option<String>,
}

/// An answer of the replay.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// The recorded Adyen notification items that followed this exchange, with the new
    /// run's references: to be signed and sent again.
    pub notifications: Vec<Value>,
}

/// Serves a [`Recording`]; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Replayer {
    rec: Recording,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    used: Vec<bool>,
    /// Reference values: the new run's → the recorded run's, and back.
    to_recorded: HashMap<String, String>,
    to_new: HashMap<String, String>,
    misses: Vec<Miss>,
    served: usize,
    /// pspReferences whose notifications were sent.
    notified: std::collections::HashSet<String>,
}

/// References mapped at most (a hostile client cannot grow the maps without bound).
const MAX_MAPPED: usize = 1_000_000;

impl Replayer {
    /// A replayer of `rec`, nothing served yet.
    pub fn new(rec: Recording) -> Self {
        let used = vec![false; rec.entries.len()];
        Replayer { rec, state: Mutex::new(State { used, ..State::default() }) }
    }

    /// The requests that matched nothing so far.
    pub fn misses(&self) -> Vec<Miss> {
        self.lock().misses.clone()
    }

    /// How many requests were answered from the recording.
    pub fn served(&self) -> usize {
        self.lock().served
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answer one request; `origin` is the replay's own (`http://host:port`).
    pub fn answer(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(String, String)],
        body: &[u8],
        origin: &str,
    ) -> Answer {
        let path = path_and_query.split('?').next().unwrap_or("");
        if method == "GET" && (path == TWIN_PROBE_PATH || path == "/") {
            return if self.rec.meta.twin {
                json_answer(200, "application/json", &serde_json::json!({"twin": "payconform", "replay": true}))
            } else {
                json_answer(404, "text/plain", &Value::Null)
            };
        }
        let request: Option<Value> = serde_json::from_slice(body).ok();
        let Some((api, rel)) = Api::route(path) else {
            return self.miss(None, method, path_and_query, None, "no API serves this path");
        };
        let Some((op, _)) = spec(api).find(method, rel) else {
            return self.miss(Some(api), method, path_and_query, None, "no operation serves this path");
        };
        let mut state = self.lock();
        let key = (api, op.operation_id.to_string(), method.to_ascii_uppercase());
        let candidates: Vec<usize> = self.rec.by_operation.get(&key).cloned().unwrap_or_default();
        let original = request.as_ref().and_then(|r| r.get("originalReference")).and_then(Value::as_str);
        // A path that names the payment (a Worldpay link, a Checkout paymentPspReference)
        // is matched by the path.
        let linked = op.path.contains('{');
        let keyed: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| {
                let e = &self.rec.entries[i];
                if linked {
                    e.path == path_and_query
                } else if let Some(o) = original {
                    e.request.as_ref().and_then(|r| r.get("originalReference")).and_then(Value::as_str) == Some(o)
                } else {
                    true
                }
            })
            .collect();
        let raw = String::from_utf8_lossy(body);
        let mapped: Option<HashMap<String, String>> =
            Some(normalise(headers, request.as_ref(), &raw, Some(&state.to_recorded)).into_iter().collect());
        let score = |i: usize| distance(mapped.as_ref(), self.rec.entries[i].norm.as_ref());
        let chosen = keyed.iter().copied().filter(|&i| !state.used[i]).min_by_key(|&i| (score(i), i));
        let Some(i) = chosen else {
            let nearest = keyed.iter().chain(&candidates).copied().min_by_key(|&i| (score(i), i)).map(|i| {
                let e = &self.rec.entries[i];
                let used = if state.used[i] { ", already served" } else { "" };
                format!("#{} {} {} → {}{used}", e.index, e.method, e.path, e.status)
            });
            drop(state);
            let why = if candidates.is_empty() {
                "the recording has no exchange of this operation"
            } else if keyed.is_empty() {
                "its link or originalReference was never handed out by the recording"
            } else {
                "every recorded exchange of this flow was served"
            };
            return self.miss(Some(api), method, path_and_query, nearest, why);
        };
        state.used[i] = true;
        state.served += 1;
        let e = &self.rec.entries[i];
        if let (Some(new), Some(old)) = (request.as_ref(), e.request.as_ref()) {
            learn_references(new, old, &mut state);
        }
        let mut body = e.body.clone();
        for o in &self.rec.origins {
            body = body.replace(o.as_str(), origin);
        }
        for (old, new) in &state.to_new {
            if old.len() >= 6 && body.contains(old.as_str()) {
                body = body.replace(old.as_str(), new);
            }
        }
        let headers = e
            .headers
            .iter()
            .filter(|(n, _)| {
                !matches!(
                    n.to_ascii_lowercase().as_str(),
                    "content-length" | "date" | "connection" | "transfer-encoding" | "keep-alive"
                )
            })
            .cloned()
            .collect();
        // The notifications about the pspReference this answer hands out, once each.
        let mut notifications = Vec::new();
        if e.api.vendor() == crate::operation::Vendor::Adyen
            && let Some(psp) = serde_json::from_str::<Value>(&e.body)
                .ok()
                .and_then(|v| v.get("pspReference").and_then(Value::as_str).map(str::to_string))
            && state.notified.insert(psp.clone())
        {
            for item in self.rec.notifications.get(&psp).into_iter().flatten() {
                let mut text = item.to_string();
                for (old, new) in &state.to_new {
                    if old.len() >= 6 {
                        text = text.replace(&format!("\"{old}\""), &format!("\"{new}\""));
                    }
                }
                notifications.extend(serde_json::from_str::<Value>(&text).ok());
            }
        }
        Answer { status: e.status, headers, body: body.into_bytes(), notifications }
    }

    /// A 404 in the API's own error shape, naming the nearest recorded exchange.
    fn miss(&self, api: Option<Api>, method: &str, path: &str, nearest: Option<String>, why: &str) -> Answer {
        let mut state = self.lock();
        let operation = api.and_then(|a| {
            let rel = Api::route(path.split('?').next().unwrap_or(""))?.1;
            spec(a).find(method, rel).map(|(o, _)| o.operation_id.to_string())
        });
        if state.misses.len() < 10_000 {
            let mut end = path.len().min(512);
            while !path.is_char_boundary(end) {
                end -= 1;
            }
            let request = format!("{method} {}", crate::redact::inert(&path[..end]));
            state.misses.push(Miss { request, operation, nearest: nearest.clone() });
        }
        drop(state);
        // The API's own 404 (the twin's shape for a path it does not serve).
        let probe = match api {
            Some(a) => format!(
                "{}/__payconform-replay/miss",
                if a == Api::WorldpayPayments { "/api/payments/x" } else { a.base_path() }
            ),
            None => "/__payconform-replay/miss".to_string(),
        };
        let shape =
            Twin::default().handle(&TwinRequest { method: "DELETE".into(), path: probe, ..TwinRequest::default() });
        let mut body = shape.body;
        let message = match &nearest {
            Some(n) => format!("payconform replay: no recorded exchange matches ({why}); nearest: {n}"),
            None => format!("payconform replay: no recorded exchange matches ({why})"),
        };
        if let Some(m) = body.get_mut("message") {
            *m = Value::String(message);
        }
        json_answer(404, shape.content_type, &body)
    }
}

fn json_answer(status: u16, content_type: &str, body: &Value) -> Answer {
    let bytes = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
    Answer {
        status,
        headers: vec![("content-type".into(), content_type.into())],
        body: bytes,
        notifications: Vec::new(),
    }
}

/// The headers that decide an answer (credentials by their presence only) and a body's
/// leaves, as `path → value`: card fields by their last four digits, security codes and
/// secrets by whether they are there, and references as they are (`map` absent: a recorded request) or
/// through `map` to the recorded run's (a new request's).
fn normalise(
    headers: &[(String, String)],
    v: Option<&Value>,
    raw: &str,
    map: Option<&HashMap<String, String>>,
) -> Vec<(String, String)> {
    fn walk(
        v: &Value,
        path: &str,
        key: Option<&str>,
        map: Option<&HashMap<String, String>>,
        out: &mut Vec<(String, String)>,
    ) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    walk(x, &format!("{path}.{k}"), Some(k), map, out);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, &format!("{path}[{i}]"), key, map, out);
                }
            }
            leaf => {
                let text = match leaf {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let value = match key {
                    Some(k) if is_reference_field(k) => {
                        let mapped = map.and_then(|m| m.get(&text)).cloned().unwrap_or(text);
                        format!("{REFERENCE}{mapped}")
                    }
                    Some(k) => match field_kind(k) {
                        Some(FieldKind::Card) => {
                            let digits: String =
                                text.split('#').next().unwrap_or("").chars().filter(char::is_ascii_digit).collect();
                            format!("****{}", &digits[digits.len().saturating_sub(4)..])
                        }
                        // A code compares by its shape (a recording shows the length of
                        // what is no code), a secret by whether it is there.
                        Some(FieldKind::Cvc) => cvc_shape(&text),
                        Some(_) => (if text.is_empty() { "<empty>" } else { "<present>" }).to_string(),
                        None => text,
                    },
                    None => text,
                };
                out.push((path.to_string(), value));
            }
        }
    }
    let mut out = Vec::new();
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if CREDENTIAL_HEADERS.contains(&lower.as_str()) {
            out.push((format!("header {lower}"), "<present>".into()));
        } else if DECIDING_HEADERS.contains(&lower.as_str()) {
            out.push((format!("header {lower}"), value.trim().to_ascii_lowercase()));
        }
    }
    match v {
        Some(v) => walk(v, "$", None, map, &mut out),
        None => out.push(("$ (not JSON)".into(), raw.chars().take(256).collect())),
    }
    out.sort();
    out
}

/// A security code's shape: empty, a code (3 or 4 digits, or a recording's `<cvc#n>`),
/// or anything else by its length (a recording's `<cvc:5#n>`).
fn cvc_shape(text: &str) -> String {
    if text.is_empty() {
        return "<empty>".into();
    }
    if let Some(rest) = text.strip_prefix("<cvc") {
        return match rest.strip_prefix(':').and_then(|r| r.split('#').next()) {
            Some(len) => format!("<len {len}>"),
            None => "<code>".into(),
        };
    }
    if (3..=4).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        "<code>".into()
    } else {
        format!("<len {}>", text.chars().count())
    }
}

/// Headers whose values decide an answer (the twin's and the vendors' header checks).
const DECIDING_HEADERS: [&str; 5] = ["content-type", "accept", "wp-api-version", "prefer", "idempotency-key"];

/// Marks a reference's value in a normalised body.
const REFERENCE: &str = "\u{1}ref:";

/// How far apart two normalised requests are: 100 for each leaf that differs or is in
/// one only; a reference that differs costs by how unlike the two are (a new run's
/// references differ from the recorded ones, mostly in a run tag, so the most alike
/// one is its flow's).
fn distance(a: Option<&HashMap<String, String>>, b: Option<&HashMap<String, String>>) -> usize {
    match (a, b) {
        (None, None) => 0,
        (Some(x), None) | (None, Some(x)) => 100 * (x.len() + 1),
        (Some(a), Some(b)) => {
            let mut cost = 0;
            for (k, v) in a {
                match b.get(k) {
                    Some(w) if w == v => {}
                    Some(w) if v.starts_with(REFERENCE) && w.starts_with(REFERENCE) => {
                        cost += (100.0 * (1.0 - strsim::normalized_levenshtein(v, w))).round() as usize;
                    }
                    _ => cost += 100,
                }
            }
            cost + 100 * b.keys().filter(|k| !a.contains_key(k.as_str())).count()
        }
    }
}

/// Reference fields that differ between the new request and the recorded one it
/// matched: the new run's value stands for the recorded one from now on.
fn learn_references(new: &Value, old: &Value, state: &mut State) {
    match (new, old) {
        (Value::Object(n), Value::Object(o)) => {
            for (k, nv) in n {
                let Some(ov) = o.get(k) else { continue };
                if is_reference_field(k)
                    && let (Some(ns), Some(os)) = (nv.as_str(), ov.as_str())
                {
                    if ns != os && state.to_recorded.len() < MAX_MAPPED {
                        state.to_recorded.insert(ns.to_string(), os.to_string());
                        state.to_new.insert(os.to_string(), ns.to_string());
                    }
                } else {
                    learn_references(nv, ov, state);
                }
            }
        }
        (Value::Array(n), Value::Array(o)) => {
            for (nv, ov) in n.iter().zip(o) {
                learn_references(nv, ov, state);
            }
        }
        _ => {}
    }
}
