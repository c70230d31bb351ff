//! Typed clients generated from `spec/` at build time, and what sits around them.
//!
//! Each API module re-exports its generated `Client` and `types`. The generated code
//! is never edited; this module adds, through progenitor's `ClientHooks`:
//!
//! - the vendor's real wire format (the v7 media type as `Content-Type`/`Accept`,
//!   `WP-Api-Version` on the Payments API, `Content-Length: 0` on body-less POSTs, no
//!   `api-version` header), taken from the table build.rs writes from the spec;
//! - link tokens passed verbatim: a `linkData` argument is the token exactly as it
//!   appears in the href, percent escapes included, and exactly those bytes are sent;
//! - an optional [`Recorder`] that sees every exchange (the conformance checker uses it);
//! - [`ActionLink`] parsing, which refuses links to any host but the configured one so
//!   credentials are never sent elsewhere.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::operation::OperationInfo;

/// Credentials for a gateway. `Debug` never shows a password or key.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP Basic (Worldpay; Adyen web-service users).
    Basic {
        /// User name, e.g. `ws@Company.Acme` on Adyen.
        username: String,
        /// Password.
        password: String,
    },
    /// Adyen `X-API-Key`.
    ApiKey(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { username, .. } => {
                f.debug_struct("Basic").field("username", username).field("password", &"<redacted>").finish()
            }
            Credentials::ApiKey(_) => f.debug_tuple("ApiKey").field(&"<redacted>").finish(),
        }
    }
}

impl Credentials {
    /// The header that carries these credentials, marked sensitive so that reqwest
    /// and anything printing headers through `Debug` hide it.
    pub fn header(&self) -> Result<(HeaderName, HeaderValue), ClientError> {
        use base64::Engine;
        let (name, value) = match self {
            Credentials::Basic { username, password } => {
                let raw = format!("{username}:{password}");
                (header::AUTHORIZATION, format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw)))
            }
            Credentials::ApiKey(key) => (HeaderName::from_static("x-api-key"), key.clone()),
        };
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| ClientError::Config("credentials contain characters not allowed in a header".into()))?;
        value.set_sensitive(true);
        Ok((name, value))
    }
}

/// How to reach one API.
#[derive(Clone)]
pub struct Config {
    /// Base URL of the API, e.g. `https://try.access.worldpay.com` or
    /// `https://pal-test.adyen.com/pal/servlet/Payment/v40`.
    pub base_url: String,
    /// Credentials sent on every request, if any.
    pub credentials: Option<Credentials>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Receives every exchange, if set.
    pub recorder: Option<Arc<dyn Recorder>>,
    /// Response bodies are read up to this many bytes; a larger one is not read
    /// further (the client sees an empty body, a recorder sees
    /// [`Exchange::oversized`]). Default [`DEFAULT_MAX_RESPONSE_BODY`].
    pub max_response_body: usize,
}

/// The default cap on a response body: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .field("recorder", &self.recorder.as_ref().map(|_| "<set>"))
            .field("max_response_body", &self.max_response_body)
            .finish()
    }
}

impl Config {
    /// A config with a 30 s timeout, a 16 MiB response cap, no credentials and no recorder.
    pub fn new(base_url: impl Into<String>) -> Self {
        Config {
            base_url: base_url.into(),
            credentials: None,
            timeout: Duration::from_secs(30),
            recorder: None,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
        }
    }
    /// Set the response body cap.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }
    /// Set the credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }
    /// Set the recorder.
    pub fn recorder(mut self, recorder: Arc<dyn Recorder>) -> Self {
        self.recorder = Some(recorder);
        self
    }

    pub(crate) fn build(&self) -> Result<(String, reqwest::Client, Inner), ClientError> {
        let (base, inner) = self.inner()?;
        Ok((base, self.http_client()?, inner))
    }

    /// The checked base URL and the per-client state (recorder).
    pub(crate) fn inner(&self) -> Result<(String, Inner), ClientError> {
        let base = Url::parse(&self.base_url)
            .map_err(|e| ClientError::Config(format!("base URL {:?} is not a URL: {e}", self.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(ClientError::Config(format!(
                "base URL {:?} must be http(s)://host[:port][/path]",
                self.base_url
            )));
        }
        let trimmed = self.base_url.trim_end_matches('/').to_string();
        Ok((trimmed, Inner { base, recorder: self.recorder.clone(), max_body: self.max_response_body }))
    }

    /// The HTTP client: credentials as a default header, the timeout, and no
    /// redirects: a 3xx is an answer like any other, so credentials and card data never
    /// travel to an origin other than the configured one. Building one loads the TLS
    /// roots, so share it where many clients talk to one endpoint.
    pub(crate) fn http_client(&self) -> Result<reqwest::Client, ClientError> {
        let mut headers = HeaderMap::new();
        if let Some(c) = &self.credentials {
            let (n, v) = c.header()?;
            headers.insert(n, v);
        }
        reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .build()
            .map_err(|e| ClientError::Config(format!("cannot build the HTTP client: {e}")))
    }
}

/// State every generated client carries (progenitor's inner type).
#[derive(Clone)]
pub struct Inner {
    base: Url,
    recorder: Option<Arc<dyn Recorder>>,
    max_body: usize,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

/// Errors from setting up a client or following a link.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The configuration cannot work.
    #[error("client configuration: {0}")]
    Config(String),
    /// The link points at another host than the configured one; nothing was sent.
    #[error(
        "refusing to follow {href:?}: it points at {found}, not the configured {expected}; credentials are only sent to the configured host"
    )]
    ForeignLink {
        /// The link as given.
        href: String,
        /// `scheme://host:port` of the link.
        found: String,
        /// `scheme://host:port` of the configured base URL.
        expected: String,
    },
    /// The link is not a URL, or not one this API has an operation for.
    #[error("cannot follow {href:?}: {reason}")]
    BadLink {
        /// The link as given.
        href: String,
        /// Why.
        reason: String,
    },
}

/// One HTTP exchange as the client saw it; credentials are already removed.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// operationId (progenitor's snake_case name).
    pub operation: String,
    /// HTTP method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Request headers, with `Authorization` and `X-API-Key` removed.
    pub request_headers: Vec<(String, String)>,
    /// Request body, if any.
    pub request_body: Option<Vec<u8>>,
    /// Response status; `None` if the request failed before a response.
    pub status: Option<u16>,
    /// Response headers.
    pub response_headers: Vec<(String, String)>,
    /// Response body.
    pub response_body: Vec<u8>,
    /// Transport error, if any (no answer, or an answer that broke off), in words a
    /// person can act on; see [`describe_transport`].
    pub error: Option<String>,
    /// The response body was larger than this cap and was not read past it;
    /// `response_body` is then empty.
    pub oversized: Option<usize>,
    /// Time from send to the last body byte.
    pub elapsed: Duration,
}

impl Exchange {
    /// The value of a response header (case-insensitive name).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    /// The value of a request header (case-insensitive name).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request_headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Receives every exchange a client makes.
pub trait Recorder: Send + Sync {
    /// Called once per request, after the response body has been read.
    fn record(&self, exchange: Exchange);
}

fn is_secret_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("x-api-key")
}

fn header_pairs(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .filter(|(n, _)| !is_secret_header(n.as_str()))
        .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect()
}

/// Put the documented wire format on a request built by generated code.
pub(crate) fn prepare(operations: &[OperationInfo], request: &mut reqwest::Request, method: &str) {
    let headers = request.headers_mut();
    headers.remove("api-version");
    if let Some(w) = operations.iter().find(|w| w.method == method) {
        let has_body = request.body().is_some();
        let headers = request.headers_mut();
        match (has_body, w.request_media_type) {
            (true, Some(media)) => {
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
            }
            _ => {
                headers.remove(header::CONTENT_TYPE);
            }
        }
        headers.insert(header::ACCEPT, HeaderValue::from_static(w.response_media_type.unwrap_or("application/json")));
        for (n, v) in w.constant_headers {
            if let Ok(name) = HeaderName::try_from(*n) {
                headers.insert(name, HeaderValue::from_static(v));
            }
        }
        if !has_body && matches!(w.http_method, "POST" | "PUT" | "PATCH") {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
    }
    // linkData is passed verbatim; progenitor escaped its '%' as '%25'. Undo exactly that.
    let path = request.url().path().to_string();
    if path.contains("%25") {
        let restored = path.replace("%25", "%");
        request.url_mut().set_path(&restored);
    }
}

/// A transport failure in words a person can act on, naming host and port:
/// connection refused, DNS failure, TLS mismatch, timeout, or a body that broke off.
/// `url` is the request's, for errors that do not carry one.
pub fn describe_transport(e: &reqwest::Error, url: Option<&Url>) -> String {
    let (host, port) = e
        .url()
        .or(url)
        .map(|u| (u.host_str().unwrap_or("?").to_string(), u.port_or_known_default().unwrap_or(0)))
        .unwrap_or_else(|| ("the target".into(), 0));
    let at = format!("{host}:{port}");
    let mut causes = Vec::new();
    let mut io_kind = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        causes.push(err.to_string());
        source = err.source();
    }
    let last = causes.last().cloned().unwrap_or_else(|| e.to_string());
    let all = causes.join(": ").to_ascii_lowercase();
    if e.is_timeout() || io_kind == Some(std::io::ErrorKind::TimedOut) {
        return format!("timed out talking to {at}");
    }
    if io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
        return format!("connection refused by {at}: nothing is listening there");
    }
    if all.contains("dns error")
        || all.contains("failed to lookup address")
        || all.contains("name or service not known")
    {
        return format!("DNS lookup of {host} failed: {last}");
    }
    if all.contains("invalidcontenttype")
        || all.contains("tls")
        || all.contains("certificate")
        || all.contains("handshake")
    {
        return format!("TLS handshake with {at} failed ({last}); if the target speaks plain HTTP, use an http:// URL");
    }
    if io_kind == Some(std::io::ErrorKind::ConnectionReset) {
        return format!("connection reset by {at}");
    }
    if e.is_body() || e.is_decode() {
        return format!("the response from {at} broke off: {last}");
    }
    format!("cannot talk to {at}: {last}")
}

/// Send a request and read its answer through the body cap, recording the exchange
/// when a recorder is set.
pub(crate) async fn execute(
    http: &reqwest::Client,
    inner: &Inner,
    request: reqwest::Request,
    operation: &str,
) -> reqwest::Result<reqwest::Response> {
    let recorder = inner.recorder.clone();
    let url = request.url().clone();
    let mut exchange = recorder.as_ref().map(|_| Exchange {
        operation: operation.to_string(),
        method: request.method().to_string(),
        url: request.url().to_string(),
        request_headers: header_pairs(request.headers()),
        request_body: request.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec),
        status: None,
        response_headers: Vec::new(),
        response_body: Vec::new(),
        error: None,
        oversized: None,
        elapsed: Duration::ZERO,
    });
    let started = Instant::now();
    let finish = |exchange: Option<Exchange>| {
        if let (Some(r), Some(mut ex)) = (&recorder, exchange) {
            ex.elapsed = started.elapsed();
            r.record(ex);
        }
    };
    // A transport failure is recorded, described, and handed back as it came.
    let failed = |mut exchange: Option<Exchange>, e: reqwest::Error| {
        if let Some(ex) = exchange.as_mut() {
            ex.error = Some(describe_transport(&e, Some(&url)));
        }
        finish(exchange);
        Err(e)
    };
    let mut response = match http.execute(request).await {
        Ok(r) => r,
        Err(e) => return failed(exchange, e),
    };
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    if let Some(ex) = exchange.as_mut() {
        ex.status = Some(status.as_u16());
        ex.response_headers = header_pairs(&headers);
    }
    // Read through the cap: an endless or huge body costs at most `max_body` bytes.
    let mut body = Vec::new();
    let mut oversized = false;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > inner.max_body {
                    oversized = true;
                    body.clear();
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return failed(exchange, e),
        }
    }
    drop(response);
    if let Some(ex) = exchange.as_mut() {
        ex.oversized = oversized.then_some(inner.max_body);
        ex.response_body = body.clone();
    }
    finish(exchange);
    let mut rebuilt = http::Response::new(bytes::Bytes::from(body));
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    if oversized {
        rebuilt.headers_mut().remove(header::CONTENT_LENGTH);
    }
    Ok(reqwest::Response::from(rebuilt))
}

/// An action link resolved to the operation it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionLink {
    /// The operation the link names (operationId, client method, HTTP method, …).
    pub operation: &'static OperationInfo,
    /// The token exactly as it appears in the href (percent escapes kept);
    /// pass it as `link_data` to the generated method.
    pub link_data: String,
}

impl ActionLink {
    /// Check that the link names the expected operation (by operationId or method name).
    pub fn expect(self, operation: &str) -> Result<Self, ClientError> {
        if self.operation.operation_id == operation || self.operation.method == operation {
            Ok(self)
        } else {
            Err(ClientError::BadLink {
                href: self.link_data.clone(),
                reason: format!("it is a {} link, not {operation}", self.operation.operation_id),
            })
        }
    }
}

fn origin(u: &Url) -> String {
    format!("{}://{}:{}", u.scheme(), u.host_str().unwrap_or(""), u.port_or_known_default().unwrap_or(0))
}

/// Resolve an href against an API's base URL and operation table.
pub fn parse_action_link(
    base: &Url,
    operations: &'static [OperationInfo],
    href: &str,
) -> Result<ActionLink, ClientError> {
    let bad = |reason: String| ClientError::BadLink { href: href.to_string(), reason };
    let url = base.join(href).map_err(|e| bad(format!("not a URL: {e}")))?;
    if origin(&url) != origin(base) {
        return Err(ClientError::ForeignLink { href: href.to_string(), found: origin(&url), expected: origin(base) });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("action links carry no query or fragment".into()));
    }
    let base_path = base.path().trim_end_matches('/');
    let rest = url
        .path()
        .strip_prefix(base_path)
        .ok_or_else(|| bad(format!("it is not under the base path {base_path:?}")))?;
    for operation in operations {
        // A link names an operation whose path has exactly one parameter: the token.
        if let Some([(_, token)]) = operation.match_path(rest).as_deref() {
            return Ok(ActionLink { operation, link_data: token.to_string() });
        }
    }
    Err(bad(format!("no operation of this API has the path {rest:?}")))
}

/// The hooks that give a generated client the vendor's wire format, and its
/// constructors; invoked in each generated client module.
macro_rules! client_extensions {
    () => {
        impl progenitor_client::ClientHooks<crate::client::Inner> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                crate::client::prepare(&OPERATIONS, request, info.operation_id);
                Ok(())
            }
            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                use progenitor_client::ClientInfo;
                crate::client::execute(self.client(), self.inner(), request, info.operation_id).await
            }
        }

        impl Client {
            /// A client for this API with credentials, timeout and recorder from `config`.
            pub fn connect(config: &crate::client::Config) -> Result<Self, crate::client::ClientError> {
                let (base, http, inner) = config.build()?;
                Ok(Self::new_with_client(&base, http, inner))
            }
            /// Resolve an action link from a response to the operation it names.
            /// Refuses links to any other host than the configured base URL.
            pub fn action_link(&self, href: &str) -> Result<crate::client::ActionLink, crate::client::ClientError> {
                use progenitor_client::ClientInfo;
                crate::client::parse_action_link(&self.inner().base, &OPERATIONS, href)
            }
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/modules.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let c = Credentials::Basic { username: "u".into(), password: "hunter2".into() };
        assert!(!format!("{c:?}").contains("hunter2"));
        let k = Credentials::ApiKey("AQEkey".into());
        assert!(!format!("{k:?}").contains("AQEkey"));
        let cfg = Config::new("http://x").credentials(c);
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }
}
