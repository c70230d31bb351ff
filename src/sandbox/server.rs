//! The standalone server behind `payconform sandbox`: hyper, HTTP/1.1, keep-alive.
//!
//! Unlike wiremock it keeps nothing per request, and each request holds the ledger's
//! lock only for the few microseconds of its state change, so it can run for days.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::{MAX_BODY, Twin, TwinRequest, TwinResponse};
use crate::spec::Api;

/// A running sandbox server.
pub struct SandboxServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl SandboxServer {
    /// Bind `addr` (port 0 picks a free port) and serve `twin` until shut down.
    pub async fn start(twin: Twin, addr: SocketAddr) -> std::io::Result<SandboxServer> {
        SandboxServer::serve(twin, TcpListener::bind(addr).await?)
    }

    /// Serve `twin` on a listener you bound yourself (e.g. one of several sharing a
    /// port through `SO_REUSEPORT`, one per thread). Must be called inside a runtime.
    pub fn serve(twin: Twin, listener: TcpListener) -> std::io::Result<SandboxServer> {
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let _ = stream.set_nodelay(true);
                        let twin = twin.clone();
                        let mut conn_stop = stopped.clone();
                        tokio::spawn(async move {
                            let service = service_fn(move |req| serve_one(twin.clone(), req));
                            let conn = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
                            tokio::pin!(conn);
                            tokio::select! {
                                _ = conn.as_mut() => {}
                                _ = conn_stop.changed() => conn.as_mut().graceful_shutdown(),
                            }
                        });
                    }
                }
            }
        });
        Ok(SandboxServer { addr, stop, task })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL of each API.
    pub fn base_urls(&self) -> Vec<(Api, String)> {
        super::wiremock_adapter::base_urls(&self.url())
    }

    /// Stop accepting and close connections.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn reply(r: &TwinResponse) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(r.body_bytes())));
    *resp.status_mut() = hyper::StatusCode::from_u16(r.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(r.content_type));
    resp
}

async fn serve_one(twin: Twin, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let mut twin_req = TwinRequest {
        method: parts.method.to_string(),
        path,
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: Vec::new(),
    };
    let declared = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_big = || reply(&twin.too_large(&twin_req.path));
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Ok(too_big());
    }
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => twin_req.body = collected.to_bytes().to_vec(),
        Err(_) => return Ok(too_big()),
    }
    Ok(reply(&twin.handle(&twin_req)))
}
