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

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_util::task::TaskTracker;

use super::conn::{Clock, Phase, TimedIo};
use super::{MAX_BODY, Protective, Twin, TwinRequest, TwinResponse};
use crate::spec::Api;

/// The server's defences against slow, hostile and noisy clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's headers, from its first byte (or from the start of
    /// the connection for its first request). Default 10 s.
    pub header_timeout: Duration,
    /// Time to send a request's body once its headers are in. Default 30 s; on expiry
    /// the twin answers 408 and closes the connection.
    pub body_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request. Default 30 s.
    pub idle_timeout: Duration,
    /// Connections served at once; 0 derives it from the descriptor limit
    /// (`RLIMIT_NOFILE` less 64 for everything else, at least 16).
    pub max_connections: usize,
    /// Bytes of request bodies held in memory at once across all connections. A body
    /// that would exceed it waits (within its body timeout) for others to finish.
    /// Default 64 MiB; never below [`MAX_BODY`].
    pub body_budget: usize,
    /// How long a shutdown waits for requests in flight. Default 10 s.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            max_connections: 0,
            body_budget: 64 * 1024 * 1024,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// The connection cap in force: [`Limits::max_connections`], or one derived from
    /// the process's descriptor limit.
    pub fn connection_cap(&self) -> usize {
        if self.max_connections > 0 { self.max_connections } else { descriptor_cap() }
    }
}

#[cfg(unix)]
fn descriptor_cap() -> usize {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes the struct we pass.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 { lim.rlim_cur } else { 1024 };
    let soft = usize::try_from(soft).unwrap_or(usize::MAX).min(1 << 20);
    soft.saturating_sub(64).max(16)
}

#[cfg(not(unix))]
fn descriptor_cap() -> usize {
    1024
}

/// A running sandbox server.
pub struct SandboxServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    connections: TaskTracker,
    drain: Duration,
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
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let connections = TaskTracker::new();
        let shared = Arc::new(Shared {
            twin,
            limits,
            budget: Semaphore::new(limits.body_budget.max(MAX_BODY)),
            slots: Arc::new(Semaphore::new(limits.connection_cap())),
        });
        let task = tokio::spawn(accept_loop(listener, shared, stopped, connections.clone()));
        Ok(SandboxServer { addr, stop, task, connections, drain: limits.drain_timeout })
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL of each API.
    pub fn base_urls(&self) -> Vec<(Api, String)> {
        super::wiremock_adapter::base_urls(&self.url())
    }

    /// Stop accepting, let requests in flight finish (within the drain timeout), and
    /// close every connection.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.connections.close();
        let _ = tokio::time::timeout(self.drain, self.connections.wait()).await;
    }
}

struct Shared {
    twin: Twin,
    limits: Limits,
    /// Bytes of request bodies held at once.
    budget: Semaphore,
    /// Connections served at once.
    slots: Arc<Semaphore>,
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
    connections: TaskTracker,
) {
    const FIRST_BACKOFF: Duration = Duration::from_millis(5);
    let mut backoff = FIRST_BACKOFF;
    loop {
        // Take a connection slot first: at the cap, new clients wait in the backlog.
        let slot = tokio::select! {
            _ = stopped.changed() => return,
            slot = shared.slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => return,
            },
        };
        let accepted = tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                backoff = FIRST_BACKOFF;
                stream
            }
            Err(_) => {
                // Out of descriptors, or a connection that died in the backlog: back
                // off rather than spin, and try again.
                drop(slot);
                tokio::select! {
                    _ = stopped.changed() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let conn_stop = stopped.clone();
        connections.spawn(async move {
            serve_connection(stream, shared, conn_stop).await;
            drop(slot);
        });
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let clock = Arc::new(Clock::new());
    let io = TimedIo::new(stream, clock.clone(), shared.limits);
    let svc_shared = shared.clone();
    let service = service_fn(move |req| {
        clock.enter(Phase::Service);
        serve_one(svc_shared.clone(), req)
    });
    // Header and idle timeouts are TimedIo's; hyper's own header timer would count the
    // idle wait as header time.
    let conn =
        http1::Builder::new().keep_alive(true).header_read_timeout(None).serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    if *stop.borrow_and_update() {
        conn.as_mut().graceful_shutdown();
        let _ = conn.await;
        return;
    }
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
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
/// operation, status, latency and a short merchant tag; never a credential or a body.
fn log(method: &str, path: &str, admitted: Option<&super::Admitted>, status: u16, started: std::time::Instant) {
    tracing::info!(
        target: "payconform::request",
        method,
        path,
        api = admitted.map_or("-", |a| a.api().name()),
        operation = admitted.map_or("-", |a| a.operation_id()),
        status,
        latency_us = started.elapsed().as_micros() as u64,
        merchant = admitted.map(|a| a.merchant_tag()).as_deref().unwrap_or("-"),
    );
}

async fn serve_one(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = std::time::Instant::now();
    // Nothing is copied for the log unless a subscriber wants the line.
    let line = tracing::enabled!(target: "payconform::request", tracing::Level::INFO)
        .then(|| (req.method().to_string(), req.uri().path().to_string()));
    let (response, admitted) = answer(&shared, req).await;
    if let Some((method, path)) = line {
        log(&method, &path, admitted.as_ref(), response.status().as_u16(), started);
    }
    Ok(response)
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
