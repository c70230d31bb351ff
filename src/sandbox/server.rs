//! The standalone server behind `payconform sandbox`: hyper, HTTP/1.1, keep-alive.
//!
//! Unlike wiremock it keeps nothing per request, and each request holds the ledger's
//! lock only for the few microseconds of its state change, so it can run for days.
//!
//! It is shared by whole CI fleets, so it defends itself ([`Limits`]):
//! - a client gets [`Limits::header_timeout`] to send a request's headers (counted from
//!   its first byte, or from the connection's start), [`Limits::body_timeout`] to send
//!   its body, and a keep-alive connection is closed after [`Limits::idle_timeout`]
//!   without a request;
//! - at most [`Limits::max_connections`] connections are served at once (by default
//!   derived from the descriptor limit); further clients wait in the listen backlog and
//!   are served as others finish or time out, and accept errors back off instead of
//!   spinning;
//! - credentials are checked before a body is read, and the bytes of request bodies held
//!   at once across all connections are bounded by [`Limits::body_budget`];
//! - a request that panics the twin gets the vendor's 500, not a dropped connection.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::limits::Limits;
use super::listen::Listening;
use super::{MAX_BODY, Protective, Twin, TwinRequest, TwinResponse};
use crate::operation::Api;

/// A running sandbox server.
pub struct SandboxServer {
    listening: Listening,
}

impl SandboxServer {
    /// Bind `addr` (port 0 picks a free port) and serve `twin` with default [`Limits`]
    /// until shut down.
    pub async fn start(twin: Twin, addr: SocketAddr) -> io::Result<SandboxServer> {
        SandboxServer::serve_with(twin, TcpListener::bind(addr).await?, Limits::default())
    }

    /// Bind `addr` and serve `twin` with these limits.
    pub async fn start_with(twin: Twin, addr: SocketAddr, limits: Limits) -> io::Result<SandboxServer> {
        SandboxServer::serve_with(twin, TcpListener::bind(addr).await?, limits)
    }

    /// Serve `twin` on a listener you bound yourself (e.g. one of several sharing a
    /// port through `SO_REUSEPORT`, one per thread). Must be called inside a runtime.
    pub fn serve(twin: Twin, listener: TcpListener) -> io::Result<SandboxServer> {
        SandboxServer::serve_with(twin, listener, Limits::default())
    }

    /// [`SandboxServer::serve`] with these limits.
    pub fn serve_with(twin: Twin, listener: TcpListener, limits: Limits) -> io::Result<SandboxServer> {
        let shared = Arc::new(Shared { twin, limits, budget: Semaphore::new(limits.body_budget.max(MAX_BODY)) });
        let listening = Listening::start(listener, limits, move |req| serve_one(shared.clone(), req))?;
        Ok(SandboxServer { listening })
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.listening.addr())
    }

    /// The base URL of each API.
    pub fn base_urls(&self) -> Vec<(Api, String)> {
        super::base_urls(&self.url())
    }

    /// The base URL of one API: what a client's [`Config::new`](crate::client::Config::new)
    /// takes (`http://127.0.0.1:PORT/pal/servlet/Payment/v40` for Adyen).
    pub fn base_url(&self, api: Api) -> String {
        format!("{}{}", self.url(), api.base_path())
    }

    /// Stop accepting, let requests in flight finish (within the drain timeout), and
    /// close every connection.
    pub async fn shutdown(self) {
        self.listening.shutdown().await;
    }
}

struct Shared {
    twin: Twin,
    limits: Limits,
    /// Bytes of request bodies held at once.
    budget: Semaphore,
}

fn reply(r: &TwinResponse) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(r.body_bytes())));
    *resp.status_mut() = hyper::StatusCode::from_u16(r.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    headers.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(r.content_type));
    for (name, value) in &r.headers {
        if let Ok(v) = hyper::header::HeaderValue::from_str(value) {
            headers.insert(*name, v);
        }
    }
    resp
}

/// Close the connection after this answer (the body was not read to its end).
fn closing(mut r: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    r.headers_mut().insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
    r
}

enum BodyProblem {
    TooLarge,
    Malformed,
}

/// Read a body of at most [`MAX_BODY`] bytes, holding budget for every byte kept.
async fn read_body<'a>(
    mut body: Incoming,
    budget: &'a Semaphore,
) -> Result<(Vec<u8>, Option<tokio::sync::SemaphorePermit<'a>>), BodyProblem> {
    let mut out = Vec::new();
    let mut held: Option<tokio::sync::SemaphorePermit<'a>> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyProblem::Malformed)?;
        let Ok(data) = frame.into_data() else { continue };
        if out.len() + data.len() > MAX_BODY {
            return Err(BodyProblem::TooLarge);
        }
        let n = u32::try_from(data.len()).map_err(|_| BodyProblem::TooLarge)?;
        let permit = budget.acquire_many(n).await.map_err(|_| BodyProblem::Malformed)?;
        match held.as_mut() {
            Some(h) => h.merge(permit),
            None => held = Some(permit),
        }
        out.extend_from_slice(&data);
    }
    Ok((out, held))
}

/// One line per request (target `payconform::request`, level info): method, path, API,
/// operation, status, latency and a short merchant tag; never a credential, a body or a
/// card number (one in the path is masked), and nothing that can act on a terminal (the
/// path's controls, C1 and bidirectional characters are escaped).
fn log(method: &str, path: &str, admitted: Option<&super::Admitted>, status: u16, started: std::time::Instant) {
    let path = crate::redact::for_log(path);
    tracing::info!(
        target: "payconform::request",
        method,
        path = &*path,
        api = admitted.map_or("-", |a| a.api().name()),
        operation = admitted.map_or("-", |a| a.operation_id()),
        status,
        latency_us = started.elapsed().as_micros() as u64,
        merchant = admitted.map(|a| a.merchant_tag()).as_deref().unwrap_or("-"),
    );
}

async fn serve_one(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = std::time::Instant::now();
    // Nothing is copied for the log unless a subscriber wants the line.
    let line = tracing::enabled!(target: "payconform::request", tracing::Level::INFO)
        .then(|| (req.method().to_string(), req.uri().path().to_string()));
    let (response, admitted) = answer(&shared, req).await;
    if let Some((method, path)) = line {
        log(&method, &path, admitted.as_ref(), response.status().as_u16(), started);
    }
    response
}

async fn answer(shared: &Shared, req: Request<Incoming>) -> (Response<Full<Bytes>>, Option<super::Admitted>) {
    let (parts, body) = req.into_parts();
    let twin = &shared.twin;
    let mut twin_req = TwinRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: Vec::new(),
    };
    // Route, method and credentials first: nobody parks a body without credentials.
    let admitted = match twin.head(&twin_req) {
        Ok(a) => a,
        Err(r) => return (closing_unless_empty(reply(&r), &parts.headers), None),
    };
    let declared = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let refuse = |kind| (closing(reply(&twin.protective(&twin_req.path, kind))), Some(admitted.clone()));
    if declared.is_some_and(|n| n > MAX_BODY) {
        return refuse(Protective::TooLarge);
    }
    let _held = match tokio::time::timeout(shared.limits.body_timeout, read_body(body, &shared.budget)).await {
        Err(_) => return refuse(Protective::Timeout),
        Ok(Err(BodyProblem::TooLarge)) => return refuse(Protective::TooLarge),
        Ok(Err(BodyProblem::Malformed)) => return refuse(Protective::Malformed),
        Ok(Ok((bytes, held))) => {
            twin_req.body = bytes;
            held
        }
    };
    // No input may take a worker down: a panic is the vendor's 500, never an empty reply.
    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| twin.finish(&admitted, &twin_req)))
        .unwrap_or_else(|_| twin.internal_error(&twin_req.path));
    (reply(&answer), Some(admitted))
}

/// An answer given before the body was read: close the connection if a body may
/// follow, so its bytes are never taken for the next request.
fn closing_unless_empty(r: Response<Full<Bytes>>, headers: &hyper::HeaderMap) -> Response<Full<Bytes>> {
    let empty = headers.get(hyper::header::TRANSFER_ENCODING).is_none()
        && headers.get(hyper::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).is_none_or(|v| v.trim() == "0");
    if empty { r } else { closing(r) }
}
