//! The sandbox twin: a stateful local simulator of the three APIs.
//!
//! [`Twin::handle`] takes a plain [`TwinRequest`] and returns a [`TwinResponse`]; it
//! knows no HTTP server. Two thin adapters serve it: [`TwinResponder`] mounts it as
//! a wiremock `Respond` (for tests, composable with your own mocks), and
//! [`SandboxServer`] is a small hyper server for the standalone `payconform sandbox`.
//!
//! Per request: route by the vendors' real paths → authenticate (each credential is
//! its own merchant) → check headers → parse and validate the body against the
//! embedded spec → run the gateway's rules on the ledger → answer in the vendor's
//! shape, with absolute action links built from the request's host.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::operation::Api;
use crate::spec::{Operation, SchemaViolation, spec};

mod adyen;
mod conn;
mod gate;
mod idempotency;
mod ledger;
#[cfg(test)]
mod ledger_props;
mod limits;
pub(crate) mod listen;
mod server;
mod token;
mod variance;
mod webhook;
#[cfg(feature = "wiremock")]
mod wiremock_adapter;
mod worldpay;

use gate::{Gateway, authenticate, parse_body, preferred};

/// Modifications the twin keeps per Adyen payment (older ones are dropped and counted);
/// its inspection endpoint shows at most this many.
pub use ledger::HISTORY;

pub use idempotency::{CAPACITY as IDEMPOTENCY_KEYS, MAX_KEY_LEN as IDEMPOTENCY_KEY_MAX};
use ledger::Ledger;
pub use limits::Limits;
pub use server::SandboxServer;
pub use variance::Variance;
pub use webhook::WebhookConfig;
/// The wiremock crate the adapter is built on, at the version it needs: mount your own
/// mocks beside the twin with it, without a dependency of your own.
#[cfg(feature = "wiremock")]
pub use wiremock;
#[cfg(feature = "wiremock")]
pub use wiremock_adapter::{TwinResponder, twin_request};

/// The base URL of each API on a server at `root` (e.g. `http://127.0.0.1:4010`).
pub fn base_urls(root: &str) -> Vec<(Api, String)> {
    let root = root.trim_end_matches('/');
    Api::ALL.iter().map(|a| (*a, format!("{root}{}", a.base_path()))).collect()
}

/// The gateway serving `api` (here, above both the gate and the gateways, so that
/// the gate does not depend on what implements it).
fn gateway(api: Api) -> &'static dyn Gateway {
    match api {
        Api::WorldpayV7 => &worldpay::Worldpay(Api::WorldpayV7),
        Api::WorldpayPayments => &worldpay::Worldpay(Api::WorldpayPayments),
        Api::Adyen => &adyen::Adyen,
        Api::AdyenCheckout => &adyen::AdyenCheckout,
    }
}

/// The path only payconform's twin answers (`GET`, no credentials needed) with
/// `{"twin": "payconform"}`: the harness runs `@twin` scenarios only where it does.
pub const TWIN_PROBE_PATH: &str = "/__payconform/twin";

/// Request bodies larger than this are refused with 413 before parsing.
pub const MAX_BODY: usize = 1024 * 1024;

/// Payments kept before the oldest is evicted (see [`TwinConfig::max_payments`]).
pub const DEFAULT_MAX_PAYMENTS: usize = 100_000;

/// The Card Payments v7 media type.
pub const V7_MEDIA: &str = "application/vnd.worldpay.payments-v7+json";

/// A request as the twin sees it.
#[derive(Debug, Clone, Default)]
pub struct TwinRequest {
    /// HTTP method.
    pub method: String,
    /// Path, raw (percent escapes kept), without query.
    pub path: String,
    /// Headers (names in any case).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl TwinRequest {
    /// A header value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A response from the twin.
#[derive(Debug, Clone, PartialEq)]
pub struct TwinResponse {
    /// Status code.
    pub status: u16,
    /// Content-Type.
    pub content_type: &'static str,
    /// JSON body.
    pub body: Value,
    /// Further headers (e.g. `Allow` on a 405).
    pub headers: Vec<(&'static str, String)>,
}

impl TwinResponse {
    /// A JSON answer with no further headers.
    pub fn json(status: u16, content_type: &'static str, body: Value) -> Self {
        TwinResponse { status, content_type, body, headers: Vec::new() }
    }

    /// The body as bytes.
    pub fn body_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).unwrap_or_default()
    }
}

/// How the twin accepts credentials and builds links.
#[derive(Clone, Default)]
pub struct TwinConfig {
    /// Accepted Basic credentials (`user:password`); empty with no API keys = any.
    pub credentials: Vec<String>,
    /// Accepted Adyen API keys; empty with no credentials = any.
    pub api_keys: Vec<String>,
    /// Base for action links (e.g. `https://twin.example.com`); default: the Host header.
    pub public_url: Option<String>,
    /// Payments kept before the oldest is evicted; 0 means [`DEFAULT_MAX_PAYMENTS`].
    pub max_payments: usize,
    /// Vendor-variance mode: vary every choice the vendors' documents leave open, per
    /// seed ([`variance::Variance`]).
    pub variance: Option<u64>,
    /// Send Adyen standard notifications ([`webhook::WebhookConfig`]). Needs a tokio
    /// runtime when the twin is made.
    pub webhook: Option<webhook::WebhookConfig>,
}

impl std::fmt::Debug for TwinConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwinConfig")
            .field("credentials", &format!("{} configured", self.credentials.len()))
            .field("api_keys", &format!("{} configured", self.api_keys.len()))
            .field("public_url", &self.public_url)
            .field("max_payments", &self.max_payments)
            .field("variance", &self.variance)
            .field("webhook", &self.webhook)
            .finish()
    }
}

/// The twin. Cheap to clone; clones share state.
///
/// [`Twin::default()`] is the twin most tests want: lenient (any well-formed credential
/// is accepted and is its own merchant), deterministic (no variance), no notifications,
/// at most [`DEFAULT_MAX_PAYMENTS`] payments. [`Twin::new`] takes a [`TwinConfig`] for
/// the rest. Serve it with [`SandboxServer`], or call
/// [`Twin::handle`] directly.
#[derive(Clone)]
pub struct Twin {
    inner: Arc<TwinInner>,
}

pub(crate) struct TwinInner {
    pub(crate) ledger: Ledger,
    pub(crate) keys: token::Keys,
    strict: Option<(HashSet<String>, HashSet<String>)>,
    public_url: Option<String>,
    /// Counter behind Adyen pspReferences (payments and modifications).
    pub(crate) references: std::sync::atomic::AtomicU64,
    /// The seed's choices, in vendor-variance mode.
    pub(crate) variance: Option<variance::Variance>,
    /// Variance mode: per payment, the event shown before its last change and how many
    /// more queries still show it.
    pub(crate) lagging: std::sync::Mutex<std::collections::HashMap<ledger::PaymentId, (ledger::Event, u8)>>,
    /// Adyen notifications, when configured.
    pub(crate) webhooks: Option<webhook::Webhooks>,
    /// Adyen `Idempotency-Key`s seen.
    pub(crate) idempotency: idempotency::Store,
}

impl Default for Twin {
    fn default() -> Self {
        Twin::new(TwinConfig::default())
    }
}

/// What the twin knows about the caller.
pub(crate) struct Ctx<'a> {
    pub(crate) merchant: ledger::Merchant,
    pub(crate) base: String,
    pub(crate) twin: &'a TwinInner,
}

impl Twin {
    /// A twin with its own empty ledger and a fresh per-process token key.
    pub fn new(config: TwinConfig) -> Self {
        let strict = (!config.credentials.is_empty() || !config.api_keys.is_empty())
            .then(|| (config.credentials.iter().cloned().collect(), config.api_keys.iter().cloned().collect()));
        let cap = if config.max_payments == 0 { DEFAULT_MAX_PAYMENTS } else { config.max_payments };
        Twin {
            inner: Arc::new(TwinInner {
                ledger: Ledger::new(cap),
                keys: token::Keys::random(),
                strict,
                public_url: config.public_url.map(|u| u.trim_end_matches('/').to_string()),
                references: std::sync::atomic::AtomicU64::new(1),
                variance: config.variance.map(variance::Variance::new),
                lagging: std::sync::Mutex::new(std::collections::HashMap::new()),
                webhooks: config.webhook.and_then(webhook::Webhooks::start),
                idempotency: idempotency::Store::default(),
            }),
        }
    }

    /// How many payments the twin holds (at most [`TwinConfig::max_payments`]): for
    /// your own tests, e.g. that a request your code should have refused made none.
    pub fn payment_count(&self) -> usize {
        self.inner.ledger.len()
    }

    /// A protective answer of the twin (not a vendor rule), in the shape of the API
    /// that owns `path`: 400 for a body that cannot be read as HTTP, 408 for a body
    /// that does not arrive in time, 413 for one over [`MAX_BODY`]. `spec/` lists these
    /// statuses under `x-payconform-twin-responses`.
    pub(crate) fn protective(&self, path: &str, kind: Protective) -> TwinResponse {
        gateway_of(path).protective(kind)
    }

    /// Handle one request.
    pub fn handle(&self, req: &TwinRequest) -> TwinResponse {
        match self.head(req) {
            Ok(admitted) => self.finish(&admitted, req),
            Err(r) => r,
        }
    }

    /// Everything that can be decided from the request line and headers alone: the
    /// route, the method, and the credentials. A server calls this before it reads a
    /// body, so that a caller without credentials never gets to park one in memory.
    pub(crate) fn head(&self, req: &TwinRequest) -> Result<Admitted, TwinResponse> {
        let t = &*self.inner;
        if req.path == "/" && req.method == "GET" {
            return Err(TwinResponse::json(200, "application/json", index(t, req)));
        }
        if req.path == TWIN_PROBE_PATH && req.method == "GET" {
            let mut body = json!({"twin": "payconform"});
            if let Some(v) = &t.variance {
                body["variance"] = json!(v.seed);
            }
            return Err(TwinResponse::json(200, "application/json", body));
        }
        let Some((api, rel)) = Api::route(&req.path) else {
            return Err(gateway(Api::WorldpayV7).endpoint_not_found());
        };
        let gw = gateway(api);
        // The twin's own inspection endpoint (Adyen modifications; in the README).
        if gw.inspects(&req.method, rel) {
            let merchant = authenticate(t, gw, req)?;
            return Ok(Admitted { api, op: None, link: None, merchant });
        }
        let s = spec(api);
        let Some((op, params)) = s.find(&req.method, rel) else {
            let allow: Vec<&str> =
                s.operations.iter().filter(|o| o.match_path(rel).is_some()).map(|o| o.http_method).collect();
            if allow.is_empty() {
                return Err(gw.endpoint_not_found());
            }
            // A known path with a method the spec does not declare for it.
            let mut r = gw.protective(Protective::MethodNotAllowed);
            r.headers.push(("allow", allow.join(", ")));
            return Err(r);
        };
        let merchant = authenticate(t, gw, req)?;
        // An operation's one path parameter: Worldpay's linkData, Checkout's paymentPspReference.
        let link = params.into_iter().next().map(|(_, v)| v.to_string());
        Ok(Admitted { api, op: Some(op), link, merchant })
    }

    /// The rest of the work for a request [`Twin::head`] admitted: headers that depend
    /// on the body, the body, and the gateway's rules.
    pub(crate) fn finish(&self, admitted: &Admitted, req: &TwinRequest) -> TwinResponse {
        let t = &*self.inner;
        let gw = gateway(admitted.api);
        if req.body.len() > MAX_BODY {
            return gw.protective(Protective::TooLarge);
        }
        let Some(op) = admitted.op else {
            let (_, rel) = Api::route(&req.path).unwrap_or((admitted.api, ""));
            return gw.inspect(t, admitted.merchant, rel);
        };
        if let Some(r) = preferred(gw, op, req).or_else(|| gw.check_headers(op, req)) {
            return r;
        }
        let body = match parse_body(gw, op, req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let base = link_base(t, req);
        let ctx = Ctx { merchant: admitted.merchant, base, twin: t };
        gw.handle(&ctx, op, admitted.link.as_deref(), &body, req)
    }

    /// The answer when handling a request failed unexpectedly (a bug in the twin): the
    /// vendor's documented 500, in the shape of the API that owns `path`.
    pub(crate) fn internal_error(&self, path: &str) -> TwinResponse {
        gateway_of(path).internal_error()
    }
}

/// The gateway of the API that owns `path` (v7's for a path no API owns).
fn gateway_of(path: &str) -> &'static dyn Gateway {
    gateway(Api::route(path).map_or(Api::WorldpayV7, |(api, _)| api))
}

/// The origin action links are built on: the configured public URL, else the origin a
/// reverse proxy in front says the client used (`X-Forwarded-Host` and
/// `X-Forwarded-Proto`, as `payconform proxy` sends them, so that a client behind it
/// follows links through it), else the Host header.
fn link_base(t: &TwinInner, req: &TwinRequest) -> String {
    if let Some(u) = &t.public_url {
        return u.clone();
    }
    let authority = |v: &str| {
        !v.is_empty() && v.len() <= 255 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
    };
    if let Some(host) = req.header("x-forwarded-host").map(str::trim).filter(|h| authority(h)) {
        let scheme = match req.header("x-forwarded-proto").map(str::trim) {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        return format!("{scheme}://{host}");
    }
    format!("http://{}", req.header("host").unwrap_or("localhost"))
}

/// `GET /`: each API with its base URL and operations, and where to read more.
fn index(t: &TwinInner, req: &TwinRequest) -> Value {
    let root = link_base(t, req);
    let apis: Vec<Value> = Api::ALL
        .iter()
        .map(|&api| {
            let ops: Vec<Value> = spec(api)
                .operations
                .iter()
                .map(|o| json!({"operationId": o.operation_id, "method": o.http_method, "path": o.path}))
                .collect();
            json!({"api": api.name(), "shortName": api.short_name(), "title": api.title(),
                   "baseUrl": format!("{root}{}", api.base_path()), "operations": ops})
        })
        .collect();
    json!({
        "twin": "payconform",
        "about": "A stateful sandbox twin of Worldpay Card Payments v7, the Worldpay Payments API, Adyen's classic Payment API and Adyen's Checkout API (v71, also served as v72). Any well-formed credential is its own merchant unless the twin was started with --credential or --api-key.",
        "readme": "https://crates.io/crates/payconform (README: The sandbox twin)",
        "apis": apis,
    })
}

impl Admitted {
    /// The API.
    pub(crate) fn api(&self) -> Api {
        self.api
    }
    /// The operationId (`__twin` for the twin's inspection endpoint).
    pub(crate) fn operation_id(&self) -> &str {
        self.op.map_or("__twin", |o| o.operation_id)
    }
    /// A short tag of the merchant for logs: a hash of the credential, never the
    /// credential itself.
    pub(crate) fn merchant_tag(&self) -> String {
        format!("{:06x}", self.merchant >> 40)
    }
}

/// A request [`Twin::head`] let through: which API and operation, and whose it is.
#[derive(Debug, Clone)]
pub(crate) struct Admitted {
    api: Api,
    /// `None` for the twin's own inspection endpoint.
    op: Option<&'static Operation>,
    link: Option<String>,
    merchant: ledger::Merchant,
}

/// The twin's protective answers: statuses no vendor documents, declared in `spec/`
/// under `x-payconform-twin-responses`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protective {
    /// 400: the body could not be read as HTTP (e.g. a bad chunk size).
    Malformed,
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// 408: the body did not arrive within the body timeout.
    Timeout,
    /// 413: the body is larger than [`MAX_BODY`].
    TooLarge,
}

impl Protective {
    /// The status, Worldpay's errorName and the message of this answer.
    fn describe(self) -> (u16, &'static str, String) {
        match self {
            Protective::Malformed => (400, "requestIsMalformed", "The request body could not be read.".into()),
            Protective::MethodNotAllowed => {
                (405, "methodNotAllowed", "The method is not allowed for the requested resource.".into())
            }
            Protective::Timeout => (408, "requestTimeout", "The request body did not arrive in time.".into()),
            Protective::TooLarge => (413, "bodyTooLarge", format!("The request body is larger than {MAX_BODY} bytes.")),
        }
    }
}

/// A JSON integer as the twin holds it. The schemas bound every `int64` field to its
/// range (and a float to the integers it holds exactly), so a validated amount always
/// fits; a number written with an exponent or a fraction of zero (`1e2`) is the integer
/// it equals. `None` (never silently 0) for anything else.
pub(crate) fn int64(v: &Value) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= EXACT).map(|f| f as i64))
}

/// Shared by the gateways: the violations as Worldpay `validationErrors`.
pub(crate) fn worldpay_validation_errors(violations: &[SchemaViolation]) -> Value {
    Value::Array(
        violations
            .iter()
            .map(|v| json!({"errorName": v.rule.worldpay_error_name(), "message": v.message, "jsonPath": v.json_path}))
            .collect(),
    )
}
