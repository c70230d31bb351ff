//! The World of the conformance suite: one per scenario. It holds the clients for the
//! scenario's API, the payment the scenario works on, and every exchange it made,
//! each already checked against the spec.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{self, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::client::{
    ActionLink, ClientError, Config, Inner, Wire, adyen, execute, prepare, worldpay_payments as wpp, worldpay_v7 as v7,
};
use crate::conformance::{CheckKind, CheckingRecorder, Side, Violation};
use crate::spec::{Api, canonical_relation, spec};

use super::target::Endpoint;

/// Shared by every scenario of one run.
pub(crate) struct RunContext {
    pub(crate) endpoints: Vec<Endpoint>,
    /// The cap on response bodies.
    pub(crate) max_response_body: usize,
    pub(crate) event_wait: Duration,
    /// Whether the target is a twin with its `__twin` inspection endpoint.
    pub(crate) twin: bool,
    /// Per scenario id: every exchange it made.
    pub(crate) sink: Mutex<BTreeMap<usize, Vec<ExchangeRecord>>>,
    /// Distinguishes references made by this run from other runs against the same target.
    pub(crate) run_tag: String,
    /// Per API: the HTTP client with its credentials, and one without. Shared by every
    /// scenario (building one loads the TLS roots).
    pub(crate) http: Vec<(Api, reqwest::Client, reqwest::Client)>,
    /// Adyen notifications received in this run, where the run has a receiver.
    pub(crate) notifications: Option<super::webhooks::Notifications>,
    /// How long a notification step waits.
    pub(crate) notification_wait: Duration,
    /// The checks whose violations count (`--checks`); empty: all.
    pub(crate) checks: Vec<CheckKind>,
}

impl RunContext {
    /// Build the shared HTTP clients of each endpoint.
    pub(crate) fn http_clients(
        endpoints: &[Endpoint],
        timeout: Duration,
    ) -> Result<Vec<(Api, reqwest::Client, reqwest::Client)>, String> {
        endpoints
            .iter()
            .map(|e| {
                let mut anon = Config::new(e.base_url.clone());
                anon.timeout = timeout;
                let authed = match &e.credentials {
                    Some(c) => anon.clone().credentials(c.clone()),
                    None => anon.clone(),
                };
                let err = |e: ClientError| e.to_string();
                Ok((e.api, authed.http_client().map_err(err)?, anon.http_client().map_err(err)?))
            })
            .collect()
    }
}

/// One checked exchange, as the reports need it.
#[derive(Debug, Clone)]
pub(crate) struct ExchangeRecord {
    pub(crate) api: Api,
    pub(crate) operation: String,
    pub(crate) status: Option<u16>,
    pub(crate) violations: Vec<Violation>,
    /// A transport failure instead of (or in the middle of) an answer.
    pub(crate) transport: Option<String>,
    /// The request asked a twin for its status with `Prefer: code=NNN`.
    pub(crate) preferred: bool,
    /// What was sent and what came back (not yet redacted; the report redacts it).
    pub(crate) log: ExchangeLog,
}

/// The bytes of one exchange, for the reports (bodies cut at [`LOG_BODY_CAP`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct ExchangeLog {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) request_headers: Vec<(String, String)>,
    pub(crate) request_body: Option<String>,
    pub(crate) response_headers: Vec<(String, String)>,
    pub(crate) response_body: String,
}

/// Bodies longer than this are cut in the reports.
pub(crate) const LOG_BODY_CAP: usize = 64 * 1024;

fn cut(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(LOG_BODY_CAP)]).into_owned();
    if bytes.len() > LOG_BODY_CAP { format!("{text}… ({} bytes in all)", bytes.len()) } else { text }
}

/// A request body with every card security code masked (`cvc`, at any depth); card
/// numbers and credentials are the redactor's.
fn mask_cvc(bytes: &[u8]) -> String {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k.eq_ignore_ascii_case("cvc") && x.is_string() {
                        *x = Value::String("***".into());
                    } else {
                        walk(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut v) => {
            walk(&mut v);
            cut(&serde_json::to_vec(&v).unwrap_or_default())
        }
        Err(_) => cut(bytes),
    }
}

impl ExchangeLog {
    fn of(ex: &crate::client::Exchange) -> ExchangeLog {
        ExchangeLog {
            method: ex.method.clone(),
            url: ex.url.clone(),
            request_headers: ex.request_headers.clone(),
            request_body: ex.request_body.as_deref().map(mask_cvc),
            response_headers: ex.response_headers.clone(),
            response_body: cut(&ex.response_body),
        }
    }
}

/// The short names the vocabulary uses for the APIs.
pub(crate) fn api_by_name(name: &str) -> Option<Api> {
    Api::from_any_name(name)
}

/// Management actions, named as the vocabulary names them for every API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Settle,
    PartialSettle,
    Cancel,
    PartialCancel,
    Refund,
    PartialRefund,
    Reverse,
    Events,
}

impl Action {
    pub(crate) fn parse(word: &str, partial: bool) -> Result<Action, String> {
        Ok(match (word, partial) {
            ("settle", false) => Action::Settle,
            ("settle", true) => Action::PartialSettle,
            ("cancel", false) => Action::Cancel,
            ("cancel", true) => Action::PartialCancel,
            ("refund", false) => Action::Refund,
            ("refund", true) => Action::PartialRefund,
            ("reverse", false) => Action::Reverse,
            _ => {
                return Err(format!(
                    "unknown action {word:?}: use settle, cancel, refund or reverse (partially: settle, cancel, refund)"
                ));
            }
        })
    }

    /// The action a word of the spec's vocabulary (`x-payconform-action`) names.
    pub(crate) fn from_word(word: &str) -> Option<Action> {
        [
            Action::Settle,
            Action::PartialSettle,
            Action::Cancel,
            Action::PartialCancel,
            Action::Refund,
            Action::PartialRefund,
            Action::Reverse,
            Action::Events,
        ]
        .into_iter()
        .find(|a| a.word() == word)
    }

    /// The action's word in the spec's vocabulary (`x-payconform-action`).
    pub(crate) fn word(self) -> &'static str {
        match self {
            Action::Settle => "settle",
            Action::PartialSettle => "partialSettle",
            Action::Cancel => "cancel",
            Action::PartialCancel => "partialCancel",
            Action::Refund => "refund",
            Action::PartialRefund => "partialRefund",
            Action::Reverse => "reverse",
            Action::Events => "events",
        }
    }

    /// The operation that performs this action on a Worldpay API, as the spec declares
    /// it (`x-payconform-action`); the links the responses offer name it, and which
    /// relation carries it is the spec's business too (`x-payconform-next`).
    pub(crate) fn operation(self, api: Api) -> Option<&'static str> {
        match api {
            Api::Adyen => None,
            _ => crate::spec::spec(api).operation_for(self.word()).map(|o| o.operation_id.as_str()),
        }
    }
}

/// Changes that make a request deliberately wrong.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tweak {
    pub(crate) no_credentials: bool,
    pub(crate) malformed_credentials: bool,
    pub(crate) content_type: Option<String>,
    pub(crate) drop_header: Option<String>,
    pub(crate) set_header: Option<(String, String)>,
    pub(crate) raw_body: Option<Vec<u8>>,
    pub(crate) drop_field: Option<String>,
    pub(crate) set_field: Option<(String, Value)>,
}

impl Tweak {
    /// Whether the tweak only changes the body (which the typed client could not send).
    fn body_only(&self) -> bool {
        !self.no_credentials
            && !self.malformed_credentials
            && self.content_type.is_none()
            && self.drop_header.is_none()
            && self.set_header.is_none()
            && self.raw_body.is_none()
    }
}

enum Typed {
    V7(v7::Client),
    Payments(wpp::Client),
    Adyen(adyen::Client),
}

pub(crate) struct Conn {
    pub(crate) endpoint: Endpoint,
    typed: Typed,
    recorder: Arc<CheckingRecorder>,
    /// The run's shared client for this API, with its credentials.
    pub(crate) http: reqwest::Client,
    anon: reqwest::Client,
    inner: Inner,
}

/// The last response, as the steps read it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reply {
    pub(crate) operation: String,
    pub(crate) status: Option<u16>,
    pub(crate) body: Value,
}

/// What the scenario knows about its payment.
#[derive(Debug, Clone, Default)]
pub(crate) struct PaymentState {
    /// Every link href seen for the payment, by relation (the latest wins): only
    /// `@twin` steps that test a stale link use these.
    pub(crate) links: BTreeMap<String, String>,
    /// The links of the latest successful response, by relation: what the steps follow.
    pub(crate) latest: BTreeMap<String, String>,
    /// Relations the latest response offered as next steps (`payments:` read as
    /// `cardPayments:`).
    pub(crate) offered: Option<Vec<String>>,
    pub(crate) psp_reference: Option<String>,
    pub(crate) reference: String,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) captured: i64,
}

/// The cucumber World.
#[derive(Default, cucumber::World)]
pub struct ConformanceWorld {
    pub(crate) ctx: Option<Arc<RunContext>>,
    pub(crate) id: usize,
    pub(crate) conn: Option<Conn>,
    checked: usize,
    pub(crate) records: Vec<ExchangeRecord>,
    pub(crate) last: Option<Reply>,
    pub(crate) payment: PaymentState,
    seq: u32,
}

impl fmt::Debug for ConformanceWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConformanceWorld")
            .field("api", &self.conn.as_ref().map(|c| c.endpoint.api))
            .field("exchanges", &self.records.len())
            .field("last_status", &self.last.as_ref().and_then(|l| l.status))
            .finish_non_exhaustive()
    }
}

pub(crate) fn wire(api: Api) -> &'static [Wire] {
    match api {
        Api::WorldpayV7 => v7::WIRE,
        Api::WorldpayPayments => wpp::WIRE,
        Api::Adyen => adyen::WIRE,
    }
}

fn typed_body<T: DeserializeOwned>(body: Option<Value>, op: &str) -> Result<T, String> {
    serde_json::from_value(body.unwrap_or(Value::Null))
        .map_err(|e| format!("cannot build a typed {op} request from this step: {e}"))
}

/// What the generated client made of a response: `None` when it decoded it (or the
/// status is one the spec does not document, which the checker reports).
fn decoded<T, E: std::fmt::Debug>(
    r: Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
) -> Option<String> {
    use progenitor_client::Error as P;
    match r {
        Ok(_) | Err(P::ErrorResponse(_)) | Err(P::UnexpectedResponse(_)) | Err(P::CommunicationError(_)) => None,
        Err(P::InvalidResponsePayload(_, e)) => Some(format!("the generated client cannot decode the body: {e}")),
        Err(e) => Some(format!("the generated client failed: {e}")),
    }
}

/// A path like `instruction.value.amount` as a JSON pointer.
pub(crate) fn pointer(path: &str) -> String {
    path.split('.').map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1"))).collect()
}

pub(crate) fn remove_path(body: &mut Value, path: &str) -> Result<(), String> {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (pointer(p), l),
        None => (String::new(), path),
    };
    body.pointer_mut(&parent)
        .and_then(Value::as_object_mut)
        .and_then(|o| o.remove(last))
        .map(|_| ())
        .ok_or_else(|| format!("the request has no field {path:?} to remove"))
}

pub(crate) fn set_path(body: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (pointer(p), l),
        None => (String::new(), path),
    };
    let obj = body
        .pointer_mut(&parent)
        .and_then(Value::as_object_mut)
        .ok_or_else(|| format!("the request has no object at {parent:?} to set {last:?} in"))?;
    obj.insert(last.to_string(), value);
    Ok(())
}

impl ConformanceWorld {
    pub(crate) fn ctx(&self) -> Result<&RunContext, String> {
        self.ctx.as_deref().ok_or_else(|| "the World has no run context (run it through payconform check)".into())
    }

    pub(crate) fn conn(&self) -> Result<&Conn, String> {
        self.conn.as_ref().ok_or_else(|| {
            "no API chosen: start the scenario (or its Background) with `Given the <api> API`, \
             where <api> is worldpay-v7, worldpay-payments or adyen"
                .into()
        })
    }

    pub(crate) fn api(&self) -> Result<Api, String> {
        Ok(self.conn()?.endpoint.api)
    }

    /// Choose the API and connect its clients.
    pub(crate) fn connect(&mut self, api: Api) -> Result<(), String> {
        let endpoint = self
            .ctx()?
            .endpoints
            .iter()
            .find(|e| e.api == api)
            .cloned()
            .ok_or_else(|| format!("no endpoint for {api}"))?;
        if let Some(why) = &endpoint.skip {
            return Err(format!("{api} cannot run here: {why}"));
        }
        let (http, anon) = self
            .ctx()?
            .http
            .iter()
            .find(|(a, _, _)| *a == api)
            .map(|(_, h, a)| (h.clone(), a.clone()))
            .ok_or_else(|| format!("no HTTP client for {api}"))?;
        let recorder = CheckingRecorder::new(api);
        let (base, inner) = Config::new(endpoint.base_url.clone())
            .recorder(recorder.clone())
            .max_response_body(self.ctx()?.max_response_body)
            .inner()
            .map_err(|e| e.to_string())?;
        let typed = match api {
            Api::WorldpayV7 => Typed::V7(v7::Client::new_with_client(&base, http.clone(), inner.clone())),
            Api::WorldpayPayments => Typed::Payments(wpp::Client::new_with_client(&base, http.clone(), inner.clone())),
            Api::Adyen => Typed::Adyen(adyen::Client::new_with_client(&base, http.clone(), inner.clone())),
        };
        self.conn = Some(Conn { endpoint, typed, recorder, http, anon, inner });
        self.checked = 0;
        Ok(())
    }

    /// A reference unique to this run, scenario and request.
    pub(crate) fn next_reference(&mut self) -> Result<String, String> {
        self.seq += 1;
        Ok(format!("pc-{}-{}-{}", self.ctx()?.run_tag, self.id, self.seq))
    }

    /// Resolve an href against the API's base URL and operation table.
    pub(crate) fn resolve(&self, href: &str) -> Result<ActionLink, ClientError> {
        match &self.conn().map_err(ClientError::Config)?.typed {
            Typed::V7(c) => c.action_link(href),
            Typed::Payments(c) => c.action_link(href),
            Typed::Adyen(c) => c.action_link(href),
        }
    }

    /// Send one operation through the generated client, then check what happened.
    pub(crate) async fn call(&mut self, op: &str, link: Option<&str>, body: Option<Value>) -> Result<(), String> {
        let problem = self.send_typed(op, link, body).await?;
        self.absorb(false, problem)
    }

    async fn send_typed(&self, op: &str, link: Option<&str>, body: Option<Value>) -> Result<Option<String>, String> {
        let ld = || link.ok_or_else(|| format!("{op} needs a link to follow"));
        let unknown = || format!("the vocabulary has no typed call for operation {op:?}");
        Ok(match &self.conn()?.typed {
            Typed::V7(c) => match op {
                "authorize" => decoded(c.authorize(&typed_body(body, op)?).await),
                "settle" => decoded(c.settle(ld()?).await),
                "partialSettlement" => decoded(c.partial_settlement(ld()?, &typed_body(body, op)?).await),
                "cancel" => decoded(c.cancel(ld()?).await),
                "partialCancel" => decoded(c.partial_cancel(ld()?, &typed_body(body, op)?).await),
                "refund" => decoded(c.refund(ld()?).await),
                "partialRefund" => decoded(c.partial_refund(ld()?, &typed_body(body, op)?).await),
                "reversal" => decoded(c.reversal(ld()?).await),
                "eventQuery" => decoded(c.event_query(ld()?).await),
                _ => return Err(unknown()),
            },
            Typed::Payments(c) => match op {
                "payment" => decoded(c.payment(&typed_body(body, op)?).await),
                "queryEvents" => decoded(c.query_events(ld()?).await),
                "settle" => decoded(c.settle(ld()?).await),
                "partialSettle" => decoded(c.partial_settle(ld()?, &typed_body(body, op)?).await),
                "cancel" => decoded(c.cancel(ld()?).await),
                "refund" => decoded(c.refund(ld()?).await),
                "partialRefund" => decoded(c.partial_refund(ld()?, &typed_body(body, op)?).await),
                "reversal" => decoded(c.reversal(ld()?).await),
                _ => return Err(unknown()),
            },
            Typed::Adyen(c) => match op {
                "post-authorise" => decoded(c.post_authorise(&typed_body(body, op)?).await),
                "post-capture" => decoded(c.post_capture(&typed_body(body, op)?).await),
                "post-cancel" => decoded(c.post_cancel(&typed_body(body, op)?).await),
                "post-refund" => decoded(c.post_refund(&typed_body(body, op)?).await),
                "post-cancelOrRefund" => decoded(c.post_cancel_or_refund(&typed_body(body, op)?).await),
                "post-technicalCancel" => decoded(c.post_technical_cancel(&typed_body(body, op)?).await),
                "post-adjustAuthorisation" => decoded(c.post_adjust_authorisation(&typed_body(body, op)?).await),
                _ => return Err(unknown()),
            },
        })
    }

    /// Send one operation with deliberate defects (outside the typed client), then check
    /// the response; the request side is exempt because it is wrong on purpose.
    /// `href` is the action link to send to (Worldpay); `None` sends to the operation's
    /// fixed path (authorization, every Adyen operation).
    pub(crate) async fn call_raw(
        &mut self,
        op: &str,
        href: Option<&str>,
        body: Option<Value>,
        tweak: Tweak,
    ) -> Result<(), String> {
        let link = match href {
            Some(h) => Some(self.resolve(h).map_err(|e| e.to_string())?),
            None => None,
        };
        let link = link.as_ref().map(|l| l.link_data.as_str());
        let mut body = body;
        if let Some(b) = body.as_mut() {
            if let Some(path) = &tweak.drop_field {
                remove_path(b, path)?;
            }
            if let Some((path, value)) = &tweak.set_field {
                set_path(b, path, value.clone())?;
            }
        }
        if tweak.body_only() && tweak.drop_field.is_none() {
            // A body the typed client can still express goes through it.
            if self.send_typed(op, link, body.clone()).await.is_ok() {
                return self.absorb(true, None);
            }
        }
        let conn = self.conn()?;
        let api = conn.endpoint.api;
        let w =
            wire(api).iter().find(|w| w.operation_id == op).ok_or_else(|| format!("{api} has no operation {op:?}"))?;
        let url = match href {
            Some(h) => url::Url::parse(&conn.endpoint.base_url)
                .and_then(|base| base.join(h))
                .map_err(|e| format!("cannot resolve {h:?}: {e}"))?
                .to_string(),
            None => format!("{}{}", conn.endpoint.base_url.trim_end_matches('/'), w.path),
        };
        let method = reqwest::Method::from_bytes(w.http_method.as_bytes()).map_err(|e| e.to_string())?;
        let client = if tweak.no_credentials || tweak.malformed_credentials { &conn.anon } else { &conn.http };
        let mut builder = client.request(method, &url);
        let bytes = match (&tweak.raw_body, &body) {
            (Some(raw), _) => Some(raw.clone()),
            (None, Some(b)) => Some(serde_json::to_vec(b).map_err(|e| e.to_string())?),
            (None, None) => None,
        };
        if let Some(b) = bytes {
            builder = builder.body(b);
        }
        let mut request = builder.build().map_err(|e| format!("cannot build the request: {e}"))?;
        prepare(wire(api), &mut request, w.method);
        let headers = request.headers_mut();
        if let Some(ct) = &tweak.content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).map_err(|e| e.to_string())?);
        }
        if let Some(h) = &tweak.drop_header {
            headers.remove(h.as_str());
        }
        if let Some((n, v)) = &tweak.set_header {
            let name = HeaderName::from_bytes(n.as_bytes()).map_err(|e| format!("bad header name {n:?}: {e}"))?;
            headers.insert(name, HeaderValue::from_str(v).map_err(|e| format!("bad header value {v:?}: {e}"))?);
        }
        if tweak.malformed_credentials {
            let (name, value) =
                if api == Api::Adyen { ("x-api-key", "") } else { ("authorization", "Basic not*base64") };
            headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        let _ = execute(client, &conn.inner, request, w.method).await;
        self.absorb(true, None)
    }

    /// Take in the exchanges made since the last call: keep their records (with their
    /// violations) and update the reply and the payment. Fails only on a transport error.
    fn absorb(&mut self, exempt_request: bool, client_problem: Option<String>) -> Result<(), String> {
        let conn = self.conn()?;
        let api = conn.endpoint.api;
        let fresh = conn.recorder.exchanges_since(self.checked);
        self.checked += fresh.len();
        if fresh.is_empty() {
            return Err(client_problem.unwrap_or_else(|| "no request was sent".into()));
        }
        let mut transport = Vec::new();
        let count = fresh.len();
        for (i, (ex, violations)) in fresh.into_iter().enumerate() {
            let operation =
                spec(api).operation(&ex.operation).map(|o| o.operation_id.clone()).unwrap_or(ex.operation.clone());
            if let Some(err) = &ex.error {
                transport.push(format!("{operation}: {err}"));
                self.records.push(ExchangeRecord {
                    api,
                    operation,
                    status: ex.status,
                    violations: Vec::new(),
                    transport: Some(err.clone()),
                    preferred: ex.request_header("prefer").is_some(),
                    log: ExchangeLog::of(&ex),
                });
                continue;
            }
            let body: Value = serde_json::from_slice(&ex.response_body).unwrap_or(Value::Null);
            let mut vs: Vec<Violation> =
                violations.into_iter().filter(|v| !(exempt_request && v.side == Side::Request)).collect();
            vs.extend(self.link_violations(api, &operation, ex.status, &body));
            // --checks: only the selected checks count.
            let selected = &self.ctx()?.checks;
            if !selected.is_empty() {
                vs.retain(|v| selected.contains(&v.check));
            }
            // What the generated client could not decode is already a violation when
            // the checker found the response wrong: report each problem once.
            if i + 1 == count
                && !vs.iter().any(|v| v.side == Side::Response)
                && let Some(p) = &client_problem
            {
                vs.push(Violation {
                    api,
                    operation: operation.clone(),
                    status: ex.status,
                    check: CheckKind::ResponseBody,
                    side: Side::Response,
                    json_path: "$".into(),
                    message: p.clone(),
                });
            }
            self.records.push(ExchangeRecord {
                api,
                operation: operation.clone(),
                status: ex.status,
                violations: vs,
                transport: None,
                preferred: ex.request_header("prefer").is_some(),
                log: ExchangeLog::of(&ex),
            });
            if ex.status.is_some_and(|s| (200..300).contains(&s)) {
                self.learn(api, &body);
            }
            self.last = Some(Reply { operation, status: ex.status, body });
        }
        // A spec violation is recorded, once, and fails the scenario when it ends; the
        // steps go on from the raw JSON, so one bad field does not hide everything after
        // it. Without an answer there is nothing to go on from.
        if transport.is_empty() {
            Ok(())
        } else {
            Err(format!("transport error (not a spec violation): {}", transport.join("; ")))
        }
    }

    /// Every href a response offers must name an operation of this API on the target,
    /// and a documented next action must name the operation `spec/` declares for it.
    /// (Whether the relation is documented at all is the checker's.)
    fn link_violations(&self, api: Api, operation: &str, status: Option<u16>, body: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        let op = spec(api).operation(operation);
        let mut check = |json_path: String, rel: &str, href: &Value, method: Option<&Value>| {
            let v = |message: String| Violation {
                api,
                operation: operation.to_string(),
                status,
                check: CheckKind::Links,
                side: Side::Response,
                json_path: json_path.clone(),
                message,
            };
            let Some(href) = href.as_str() else {
                out.push(v("link has no href string".into()));
                return;
            };
            match self.resolve(href) {
                Err(e) => out.push(v(format!("action link does not resolve: {e}"))),
                Ok(link) => {
                    if let Some(expected) = op.zip(status).and_then(|(op, s)| op.documented_next(s, rel))
                        && link.operation_id != expected
                    {
                        out.push(v(format!("{rel:?} must link to {expected}, but links to {}", link.operation_id)));
                    }
                    if let Some(m) = method.and_then(Value::as_str)
                        && !m.eq_ignore_ascii_case(link.http_method)
                    {
                        out.push(v(format!("method {m} does not match {} {}", link.http_method, link.operation_id)));
                    }
                }
            }
        };
        if let Some(links) = body.get("_links").and_then(Value::as_object) {
            for (rel, l) in links.iter().filter(|(rel, _)| rel.as_str() != "curies") {
                check(format!("$._links['{rel}'].href"), rel, &l["href"], None);
            }
        }
        if let Some(actions) = body.get("_actions").and_then(Value::as_object) {
            for (rel, l) in actions {
                check(format!("$._actions.{rel}.href"), rel, &l["href"], Some(&l["method"]));
            }
        }
        out
    }

    /// Remember the links and references a successful response gives.
    fn learn(&mut self, api: Api, body: &Value) {
        let mut latest = BTreeMap::new();
        for (rel, l) in ["_links", "_actions"].iter().filter_map(|k| body.get(k)?.as_object()).flatten() {
            if let Some(h) = l["href"].as_str() {
                let rel = canonical_relation(rel).into_owned();
                self.payment.links.insert(rel.clone(), h.to_string());
                latest.insert(rel, h.to_string());
            }
        }
        if api != Api::Adyen {
            self.payment.latest = latest;
        }
        // Every Worldpay success is a payment resource: what it links is what is legal now.
        let offered_in = match api {
            Api::WorldpayV7 => "_links",
            Api::WorldpayPayments => "_actions",
            Api::Adyen => "",
        };
        if !offered_in.is_empty() {
            let rels = body.get(offered_in).and_then(Value::as_object).map(|o| o.keys().cloned().collect::<Vec<_>>());
            self.payment.offered = Some(
                rels.unwrap_or_default()
                    .into_iter()
                    .filter(|k| k != "curies")
                    .map(|k| canonical_relation(&k).into_owned())
                    .collect(),
            );
        }
        if let Some(total) = body.pointer("/amounts/totalAuthorized").and_then(Value::as_i64) {
            self.payment.amount = total;
        }
    }

    /// Follow the link the latest successful response gave for `action`. A link from an
    /// earlier response is never reused unless `stale` says so (for `@twin` scenarios
    /// that test what a gateway does with one).
    pub(crate) async fn follow(
        &mut self,
        action: Action,
        body: Option<Value>,
        tweak: Option<Tweak>,
        stale: bool,
    ) -> Result<(), String> {
        let api = self.api()?;
        let op = action.operation(api).ok_or_else(|| format!("{api} has no {action:?} operation"))?;
        let pool = if stale { &self.payment.links } else { &self.payment.latest };
        let found = pool.iter().find_map(|(rel, href)| {
            self.resolve(href).ok().filter(|l| l.operation_id == op).map(|l| (rel.clone(), href.clone(), l))
        });
        let Some((_rel, href, link)) = found else {
            let offered: Vec<&String> = self.payment.latest.keys().collect();
            return Err(if stale {
                format!("no response for this payment offered a link to {op}")
            } else {
                format!(
                    "the latest response offered no link to {op} (it offered {offered:?}); \
                     a link from an earlier response is not reused"
                )
            });
        };
        match tweak {
            Some(t) => self.call_raw(link.operation_id, Some(&href), body, t).await,
            None => self.call(link.operation_id, Some(&link.link_data), body).await,
        }
    }

    /// The body of the last response (or an error if there was none).
    pub(crate) fn reply(&self) -> Result<&Reply, String> {
        self.last.as_ref().ok_or_else(|| "no request has been sent yet".into())
    }

    /// Value at a dotted path in the last response body.
    pub(crate) fn field(&self, path: &str) -> Result<Option<&Value>, String> {
        Ok(self.reply()?.body.pointer(&pointer(path)))
    }

    /// A modification body for an amount, in the API's own shape.
    pub(crate) fn amount_body(&mut self, amount: i64) -> Result<Value, String> {
        let reference = self.next_reference()?;
        let currency = if self.payment.currency.is_empty() { "GBP".to_string() } else { self.payment.currency.clone() };
        Ok(json!({"value": {"amount": amount, "currency": currency}, "reference": reference}))
    }

    /// The current reply as text, for error messages.
    pub(crate) fn describe_reply(&self) -> String {
        match &self.last {
            Some(r) => format!(
                "{} answered {} {}",
                r.operation,
                r.status.map(|s| s.to_string()).unwrap_or_else(|| "nothing".into()),
                serde_json::to_string(&r.body).unwrap_or_default()
            ),
            None => "no request sent yet".into(),
        }
    }
}
