//! `payconform proxy`: a reverse proxy in front of one upstream (the twin, a vendor's
//! test host, or any URL) that checks every exchange any client makes, as `payconform
//! check` checks its own, and records them.
//!
//! Per request: read the client's request (at most [`ProxyConfig::max_request_body`],
//! within the listener's timeouts) → forward it to the upstream (hyper, rustls for
//! https; redirects are answered to the client, never followed) with the same method,
//! path, query, headers and body → stream the answer back as it arrives, keeping a copy
//! of at most [`ProxyConfig::max_response_body`] bytes → check the exchange against the
//! spec (the operation is found from the path, as the twin finds it) and against the
//! payment's life so far ([`Lifecycle`]) → record it (redacted HAR) and log one line.
//!
//! On the wire nothing changes but what a reverse proxy must change: `Host` names the
//! upstream, hop-by-hop headers are not forwarded, and `X-Forwarded-Host` and
//! `X-Forwarded-Proto` say what the client used (the twin builds its links on them, so a
//! client follows them through the proxy). `--annotate` adds `X-Payconform-Violations`
//! to each answer, which then waits for the whole body.
//!
//! The proxy knows nothing of the harness: it uses the checker, the lifecycle rules, the
//! redactor, the recorder and the reports, as the harness does.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;

use crate::client::Exchange;
use crate::conformance::{Lifecycle, LifecycleFinding, Violation, check_exchange};
use crate::operation::Api;
use crate::record::{Context, HarWriter};
use crate::redact::{CREDENTIAL_HEADERS, credential_values};
use crate::report::{RunReport, TrafficEntry};
use crate::sandbox::Limits;
use crate::sandbox::listen::Listening;
use crate::spec::spec;

/// The response header `--annotate` adds: the exchange's violations, or `none`.
pub const ANNOTATION_HEADER: &str = "x-payconform-violations";

/// How a proxy runs.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The upstream's base URL (`http://127.0.0.1:4010`, `https://pal-test.adyen.com`);
    /// a path in it is put before every request's path.
    pub upstream: url::Url,
    /// Add [`ANNOTATION_HEADER`] to every answer.
    pub annotate: bool,
    /// Record every exchange to this HAR file.
    pub record: Option<PathBuf>,
    /// Further headers holding credentials (redacted in recordings and reports).
    pub redact_headers: Vec<String>,
    /// Secret values to remove wherever they appear (e.g. an HMAC key).
    pub secrets: Vec<String>,
    /// Bytes of a request body accepted; a larger one is refused with 413.
    pub max_request_body: usize,
    /// Bytes of an answer's body kept for checking and recording; the rest is
    /// forwarded, not checked.
    pub max_response_body: usize,
    /// Time the upstream has to answer (head and body).
    pub upstream_timeout: Duration,
    /// The listener's limits (timeouts, connections), as the twin's.
    pub limits: Limits,
    /// Exchanges kept for the reports (their counts are always whole).
    pub max_reported: usize,
}

impl ProxyConfig {
    /// A proxy to `upstream` with the defaults: no annotation, no recording, 1 MiB
    /// requests, 16 MiB answers kept, 30 s for the upstream, 10,000 exchanges in reports.
    pub fn new(upstream: url::Url) -> Self {
        ProxyConfig {
            upstream,
            annotate: false,
            record: None,
            redact_headers: Vec::new(),
            secrets: Vec::new(),
            max_request_body: crate::sandbox::MAX_BODY,
            max_response_body: 16 * 1024 * 1024,
            upstream_timeout: Duration::from_secs(30),
            limits: Limits::default(),
            max_reported: 10_000,
        }
    }
}

/// Why a proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The upstream URL is not http(s), or carries credentials.
    #[error("--upstream {0}")]
    Upstream(String),
    /// The recording could not be created.
    #[error("cannot write the recording {path}: {source}")]
    Record {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The listener could not start, or TLS could not be set up.
    #[error("{0}")]
    Io(#[from] io::Error),
}

type Upstream = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;
type ProxyBody = BoxBody<Bytes, io::Error>;

/// A running proxy.
pub struct Proxy {
    listening: Listening,
    shared: Arc<Shared>,
}

struct Shared {
    config: ProxyConfig,
    /// The tasks that stream answers through and finish their exchanges.
    tasks: tokio_util::task::TaskTracker,
    client: Upstream,
    started: Instant,
    started_at: SystemTime,
    state: Mutex<State>,
    count: AtomicUsize,
}

/// What the proxy has seen, behind one lock held only between awaits.
struct State {
    lifecycle: Lifecycle,
    recorder: Option<HarWriter>,
    record_error: Option<String>,
    reported: Vec<TrafficEntry>,
    /// Exchanges with a spec violation or a lifecycle finding.
    failing: usize,
    /// Exchanges not kept for the reports.
    unreported: usize,
}

impl Proxy {
    /// Bind `addr` and proxy to the configured upstream until shut down. Must be
    /// called inside a runtime.
    pub async fn start(config: ProxyConfig, addr: SocketAddr) -> Result<Proxy, ProxyError> {
        Proxy::serve(config, TcpListener::bind(addr).await?)
    }

    /// Proxy on a listener you bound yourself.
    pub fn serve(config: ProxyConfig, listener: TcpListener) -> Result<Proxy, ProxyError> {
        let up = &config.upstream;
        if !matches!(up.scheme(), "http" | "https") || up.host_str().is_none() {
            return Err(ProxyError::Upstream(format!("must be an http or https URL, not {up}")));
        }
        if !up.username().is_empty() || up.password().is_some() {
            return Err(ProxyError::Upstream("must not carry credentials: clients send their own".into()));
        }
        if up.query().is_some() || up.fragment().is_some() {
            return Err(ProxyError::Upstream("must not have a query or a fragment".into()));
        }
        let recorder = match &config.record {
            Some(path) => {
                let meta =
                    crate::record::RecordingMeta { target: format!("proxy to {}", config.upstream), twin: false };
                let mut w = HarWriter::create_with(path, config.secrets.clone(), Some(&meta))
                    .map_err(|source| ProxyError::Record { path: path.display().to_string(), source })?;
                for h in &config.redact_headers {
                    w = w.redact_header(h);
                }
                Some(w)
            }
            None => None,
        };
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .or_else(|_| {
                // No system roots (a minimal container): plain http still works.
                Ok::<_, io::Error>(
                    hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(
                        rustls::ClientConfig::builder()
                            .with_root_certificates(rustls::RootCertStore::empty())
                            .with_no_client_auth(),
                    ),
                )
            })?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(https);
        let shared = Arc::new(Shared {
            tasks: tokio_util::task::TaskTracker::new(),
            client,
            started: Instant::now(),
            started_at: SystemTime::now(),
            count: AtomicUsize::new(0),
            state: Mutex::new(State {
                lifecycle: Lifecycle::new(),
                recorder,
                record_error: None,
                reported: Vec::new(),
                failing: 0,
                unreported: 0,
            }),
            config,
        });
        let handler = shared.clone();
        let listening = Listening::start(listener, shared.config.limits, move |req| {
            let shared = handler.clone();
            async move { shared.exchange(req).await }
        })?;
        Ok(Proxy { listening, shared })
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.listening.addr())
    }

    /// Exchanges proxied so far.
    pub fn exchanges(&self) -> usize {
        self.shared.count.load(Ordering::Relaxed)
    }

    /// Exchanges so far with a spec violation or a lifecycle finding.
    pub fn failing(&self) -> usize {
        self.shared.lock().failing
    }

    /// The report of everything seen so far (the same model `payconform check` writes).
    pub fn report(&self) -> RunReport {
        self.shared.report()
    }

    /// Stop accepting, let exchanges in flight finish (their answers streamed to the
    /// end), finish the recording, and return what was seen.
    pub async fn shutdown(self) -> Result<Finished, ProxyError> {
        self.listening.shutdown().await;
        self.shared.tasks.close();
        let _ = tokio::time::timeout(self.shared.config.upstream_timeout, self.shared.tasks.wait()).await;
        let report = self.shared.report();
        let (recorder, error, failing) = {
            let mut state = self.shared.lock();
            (state.recorder.take(), state.record_error.take(), state.failing)
        };
        if let Some(r) = recorder {
            r.finish()?;
        }
        if let Some(e) = error {
            return Err(ProxyError::Io(io::Error::other(e)));
        }
        Ok(Finished { report, exchanges: self.shared.count.load(Ordering::Relaxed), failing })
    }
}

/// What a proxy saw, once shut down.
#[derive(Debug)]
pub struct Finished {
    /// The report (the same model `payconform check` writes).
    pub report: RunReport,
    /// Exchanges proxied.
    pub exchanges: usize,
    /// Exchanges with a spec violation or a lifecycle finding.
    pub failing: usize,
}

/// Headers a proxy never forwards (RFC 9110 §7.6.1), besides those `Connection` names.
/// `Host` and the forwarding headers are the proxy's to set.
const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "x-forwarded-host",
    "x-forwarded-proto",
];

fn end_to_end(headers: &HeaderMap) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
    let named: Vec<String> = headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|t| t.trim().to_ascii_lowercase()))
        .collect();
    headers.iter().filter(move |(n, _)| !HOP_BY_HOP.contains(&n.as_str()) && !named.iter().any(|x| x == n.as_str()))
}

fn pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers.iter().map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

/// The proxy's own answer (never the upstream's): a JSON body that names the proxy.
fn own_answer(status: StatusCode, error: &str, message: &str) -> Response<ProxyBody> {
    let body = serde_json::json!({"payconform": {"proxy": true, "error": error, "message": message}});
    let mut r = Response::new(full(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    r
}

fn full(b: Bytes) -> ProxyBody {
    Full::new(b).map_err(|never| match never {}).boxed()
}

/// What the request said, kept for the exchange.
struct Asked {
    method: String,
    path_and_query: String,
    client_url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    api: Option<Api>,
    operation: Option<String>,
    started: Instant,
    started_at: SystemTime,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn exchange(self: Arc<Self>, req: Request<Incoming>) -> Response<ProxyBody> {
        let started = Instant::now();
        let started_at = SystemTime::now();
        let (parts, body) = req.into_parts();
        let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
        let host =
            parts.headers.get(hyper::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost").to_string();
        let (api, operation) = identify(parts.method.as_str(), parts.uri.path());
        let mut asked = Asked {
            method: parts.method.to_string(),
            client_url: format!("http://{host}{path_and_query}"),
            path_and_query,
            headers: pairs(&parts.headers),
            body: Vec::new(),
            api,
            operation,
            started,
            started_at,
        };
        // The request, whole (within the body timeout and the cap).
        let declared = parts
            .headers
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let cap = self.config.max_request_body;
        if declared.is_some_and(|n| n > cap as u64) {
            let why = format!("the request body is larger than the proxy's {cap}-byte cap (--max-request-body)");
            return self.refuse(asked, StatusCode::PAYLOAD_TOO_LARGE, "request_too_large", &why);
        }
        match tokio::time::timeout(self.config.limits.body_timeout, read_capped(body, cap)).await {
            Err(_) => {
                let why = "the request body did not arrive in time";
                return self.refuse(asked, StatusCode::REQUEST_TIMEOUT, "request_timeout", why);
            }
            Ok(Err(Capped::TooLarge)) => {
                let why = format!("the request body is larger than the proxy's {cap}-byte cap (--max-request-body)");
                return self.refuse(asked, StatusCode::PAYLOAD_TOO_LARGE, "request_too_large", &why);
            }
            Ok(Err(Capped::Broken(e))) => {
                return self.refuse(asked, StatusCode::BAD_REQUEST, "request_malformed", &e);
            }
            Ok(Ok(b)) => asked.body = b,
        }
        // Forward.
        let target = join(&self.config.upstream, &asked.path_and_query);
        let mut up = Request::builder().method(parts.method.clone()).uri(&target);
        for (n, v) in end_to_end(&parts.headers) {
            up = up.header(n, v);
        }
        up = up.header("x-forwarded-host", host.as_str()).header("x-forwarded-proto", "http");
        let up = match up.body(Full::new(Bytes::from(asked.body.clone()))) {
            Ok(r) => r,
            Err(e) => return self.refuse(asked, StatusCode::BAD_REQUEST, "request_malformed", &e.to_string()),
        };
        let sent = Instant::now();
        let answer = match tokio::time::timeout(self.config.upstream_timeout, self.client.request(up)).await {
            Err(_) => {
                let why = format!("the upstream did not answer within {:?}", self.config.upstream_timeout);
                return self.upstream_failed(asked, StatusCode::GATEWAY_TIMEOUT, "upstream_timeout", &why, sent);
            }
            Ok(Err(e)) => {
                let why = format!("the upstream could not be reached: {}", describe(&e));
                return self.upstream_failed(asked, StatusCode::BAD_GATEWAY, "upstream_unreachable", &why, sent);
            }
            Ok(Ok(a)) => a,
        };
        let (head, body) = answer.into_parts();
        let mut response = Response::builder().status(head.status);
        for (n, v) in end_to_end(&head.headers) {
            response = response.header(n, v);
        }
        let head_pairs = pairs(&head.headers);
        if self.config.annotate {
            // The annotation goes in the head: the whole answer first.
            let deadline = self.config.upstream_timeout.saturating_sub(sent.elapsed());
            let read = tokio::time::timeout(deadline, read_capped(body, self.config.max_response_body)).await;
            let (bytes, error, oversized) = match read {
                Ok(Ok(b)) => (b, None, None),
                Ok(Err(Capped::TooLarge)) => (Vec::new(), None, Some(self.config.max_response_body)),
                Ok(Err(Capped::Broken(e))) => (Vec::new(), Some(e), None),
                Err(_) => (Vec::new(), Some("the upstream's body did not arrive in time".into()), None),
            };
            if error.is_some() || oversized.is_some() {
                let why = error.clone().unwrap_or_else(|| "the upstream's body is larger than the cap".into());
                let done =
                    self.finish(asked, Some(head.status.as_u16()), head_pairs, Vec::new(), error, oversized, sent);
                let mut r = own_answer(StatusCode::BAD_GATEWAY, "upstream_body", &why);
                r.headers_mut().insert(ANNOTATION_HEADER, annotation(&done));
                return r;
            }
            let done = self.finish(asked, Some(head.status.as_u16()), head_pairs, bytes.clone(), None, None, sent);
            let mut r = response.body(full(Bytes::from(bytes))).unwrap_or_else(|_| {
                own_answer(StatusCode::BAD_GATEWAY, "upstream_head", "the upstream's head could not be forwarded")
            });
            r.headers_mut().insert(ANNOTATION_HEADER, annotation(&done));
            return r;
        }
        // Stream the answer through, keeping a bounded copy, and finish the exchange
        // when its last byte has been passed on (or the body broke off).
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, io::Error>>(8);
        let status = head.status.as_u16();
        let shared = self.clone();
        self.tasks.spawn(async move {
            let mut body = body;
            let mut kept: Vec<u8> = Vec::new();
            let mut oversized = None;
            let mut error = None;
            let mut forwarded: u64 = 0;
            let mut client_gone = false;
            let deadline = tokio::time::Instant::now() + shared.config.upstream_timeout.saturating_sub(sent.elapsed());
            loop {
                let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
                    Err(_) => {
                        error = Some("the upstream's body did not arrive in time".to_string());
                        let _ = tx.send(Err(io::Error::other("upstream body timed out"))).await;
                        break;
                    }
                    Ok(None) => break,
                    Ok(Some(Err(e))) => {
                        error = Some(format!("the upstream's body broke off: {e}"));
                        let _ = tx.send(Err(io::Error::other("upstream body broke off"))).await;
                        break;
                    }
                    Ok(Some(Ok(f))) => f,
                };
                if let Some(data) = frame.data_ref() {
                    if oversized.is_none() && kept.len() + data.len() <= shared.config.max_response_body {
                        kept.extend_from_slice(data);
                    } else if oversized.is_none() {
                        oversized = Some(shared.config.max_response_body);
                        kept = Vec::new();
                    }
                }
                // A client that leaves early (many read the status and drop the rest)
                // does not undo what the upstream did: the answer is still read to its
                // end, within the same deadline and cap, and judged whole. Past the cap
                // nothing more is kept or passed on, so reading stops there.
                if !client_gone {
                    let len = frame.data_ref().map_or(0, |d| d.len() as u64);
                    match tx.send(Ok(frame)).await {
                        Ok(()) => forwarded += len,
                        Err(_) => client_gone = true,
                    }
                } else if oversized.is_some() {
                    break;
                }
            }
            drop(tx);
            if client_gone {
                tracing::debug!(target: "payconform::proxy", forwarded, "the client left before the answer's end");
            }
            shared.finish(asked, Some(status), head_pairs, kept, error, oversized, sent);
        });
        let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
        response.body(BodyExt::boxed(StreamBody::new(stream))).unwrap_or_else(|_| {
            own_answer(StatusCode::BAD_GATEWAY, "upstream_head", "the upstream's head could not be forwarded")
        })
    }

    /// The proxy's own refusal of a request it did not forward (counted and recorded).
    fn refuse(&self, asked: Asked, status: StatusCode, error: &str, why: &str) -> Response<ProxyBody> {
        let answer = own_answer(status, error, why);
        let transport = format!("not forwarded: {why}");
        let sent = Instant::now();
        self.finish(asked, None, Vec::new(), Vec::new(), Some(transport), None, sent);
        answer
    }

    /// The upstream failed: a clear answer of the proxy's own, one log line, and the
    /// exchange recorded with the failure.
    fn upstream_failed(
        &self,
        asked: Asked,
        status: StatusCode,
        error: &str,
        why: &str,
        sent: Instant,
    ) -> Response<ProxyBody> {
        self.finish(asked, None, Vec::new(), Vec::new(), Some(why.to_string()), None, sent);
        own_answer(status, error, why)
    }

    /// Check, record, log and keep one exchange; its findings.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        asked: Asked,
        status: Option<u16>,
        response_headers: Vec<(String, String)>,
        response_body: Vec<u8>,
        error: Option<String>,
        oversized: Option<usize>,
        sent: Instant,
    ) -> Done {
        let upstream = sent.elapsed();
        let ex = Exchange {
            operation: asked.operation.clone().unwrap_or_default(),
            method: asked.method,
            url: asked.client_url,
            request_headers: asked.headers,
            request_body: (!asked.body.is_empty() || asked.api.is_some_and(|a| has_body(a, &asked.operation)))
                .then_some(asked.body),
            status,
            response_headers,
            response_body,
            error,
            oversized,
            elapsed: asked.started.elapsed(),
        };
        let violations: Vec<Violation> = match (asked.api, &asked.operation) {
            (Some(api), Some(_)) => check_exchange(api, &ex),
            _ => Vec::new(),
        };
        let unmatched = match (asked.api, &asked.operation) {
            (_, Some(_)) => None,
            (Some(api), None) => Some(format!("no operation of {api} serves {} {}", ex.method, path_only(&ex.url))),
            (None, None) => Some(format!("no API in the specs serves {}", path_only(&ex.url))),
        };
        let mut state = self.lock();
        // Numbered under the lock, so that a count read with it matches what it holds.
        let index = self.count.fetch_add(1, Ordering::Relaxed);
        let lifecycle: Vec<LifecycleFinding> = match asked.api {
            Some(api) if asked.operation.is_some() => state.lifecycle.observe(index, api, &ex),
            _ => Vec::new(),
        };
        // A path no spec describes (a twin's own inspection, a typo) is listed, not judged.
        let failed = !violations.is_empty() || !lifecycle.is_empty();
        if failed {
            state.failing += 1;
        }
        if let Some(w) = state.recorder.as_mut() {
            let cx = Context {
                api: asked.api,
                started: Some(asked.started_at),
                violations: &violations,
                lifecycle: &lifecycle,
                operation: None,
                flow: None,
                notification: false,
            };
            if let Err(e) = w.write(&ex, cx) {
                state.record_error.get_or_insert_with(|| format!("the recording could not be written: {e}"));
            }
        }
        let done = Done { violations: violations.len() + lifecycle.len() };
        log(&ex, asked.api, upstream, done.violations);
        if state.reported.len() < self.config.max_reported {
            state.reported.push(TrafficEntry { index, api: asked.api, exchange: ex, violations, lifecycle, unmatched });
        } else {
            state.unreported += 1;
        }
        done
    }

    fn report(&self) -> RunReport {
        let state = self.lock();
        let mut secrets = self.config.secrets.clone();
        secrets.extend(
            state.reported.iter().flat_map(|e| credentials(&e.exchange.request_headers, &self.config.redact_headers)),
        );
        crate::report::traffic_report(
            &format!("proxy to {}", self.config.upstream),
            self.started.elapsed(),
            self.started_at,
            &state.reported,
            state.unreported,
            &secrets,
            &self.config.redact_headers,
        )
    }
}

/// What an exchange came to, for the annotation.
struct Done {
    violations: usize,
}

fn annotation(d: &Done) -> HeaderValue {
    match d.violations {
        0 => HeaderValue::from_static("none"),
        n => HeaderValue::from_str(&n.to_string()).unwrap_or(HeaderValue::from_static("some")),
    }
}

/// The API and operation serving `method path`, by the vendors' real paths.
fn identify(method: &str, path: &str) -> (Option<Api>, Option<String>) {
    match Api::route(path) {
        Some((api, rel)) => (Some(api), spec(api).find(method, rel).map(|(op, _)| op.operation_id.to_string())),
        None => (None, None),
    }
}

fn has_body(api: Api, operation: &Option<String>) -> bool {
    operation.as_deref().and_then(|o| spec(api).operation(o)).is_some_and(|o| o.request.is_some())
}

fn path_only(url: &str) -> &str {
    url.split_once("://").map_or(url, |(_, r)| r.find('/').map_or("/", |i| &r[i..]))
}

/// The upstream URL for a request: the upstream's base path, then the request's path
/// and query.
fn join(upstream: &url::Url, path_and_query: &str) -> String {
    let base = upstream.as_str().trim_end_matches('/');
    format!("{base}{path_and_query}")
}

/// Credential values in these headers (for the report's redactor).
fn credentials(headers: &[(String, String)], extra: &[String]) -> Vec<String> {
    headers
        .iter()
        .filter(|(n, _)| {
            CREDENTIAL_HEADERS.contains(&n.to_ascii_lowercase().as_str())
                || extra.iter().any(|e| e.eq_ignore_ascii_case(n))
        })
        .flat_map(|(_, v)| credential_values(v))
        .collect()
}

enum Capped {
    TooLarge,
    Broken(String),
}

async fn read_capped<B>(mut body: B, cap: usize) -> Result<Vec<u8>, Capped>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Capped::Broken(format!("the body could not be read: {e}")))?;
        if let Some(data) = frame.data_ref() {
            if out.len() + data.len() > cap {
                return Err(Capped::TooLarge);
            }
            out.extend_from_slice(data);
        }
    }
    Ok(out)
}

fn describe(e: &hyper_util::client::legacy::Error) -> String {
    use std::error::Error;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// One line per exchange (target `payconform::proxy`, level info): method, path, API,
/// operation, status, latency, the upstream's latency and the findings; never a
/// credential or a body (a card number in the path is masked).
fn log(ex: &Exchange, api: Option<Api>, upstream: Duration, findings: usize) {
    if !tracing::enabled!(target: "payconform::proxy", tracing::Level::INFO) {
        return;
    }
    let path = crate::redact::for_log(path_only(&ex.url));
    tracing::info!(
        target: "payconform::proxy",
        method = ex.method.as_str(),
        path = &*path,
        api = api.map_or("-", |a| a.name()),
        operation = if ex.operation.is_empty() { "-" } else { ex.operation.as_str() },
        status = ex.status.unwrap_or(0),
        latency_us = ex.elapsed.as_micros() as u64,
        upstream_us = upstream.as_micros() as u64,
        violations = findings,
        error = ex.error.as_deref().map(crate::redact::inert).as_deref().unwrap_or("-"),
    );
}
