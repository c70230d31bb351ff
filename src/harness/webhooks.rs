//! The harness's receiver for Adyen standard notifications: it answers every POST with
//! `[accepted]` (so a sender never retries into it), keeps the last bodies it got, and
//! lets notification steps wait for one.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

/// Bodies kept at most (the oldest go first).
const KEPT: usize = 10_000;
/// A notification body larger than this is answered 413 and not kept.
const MAX_BODY: usize = 1024 * 1024;

/// What the receiver got: each body, parsed (a body that is not JSON is kept as the
/// string it was, so a step can say what arrived).
pub(crate) type Received = Arc<Mutex<VecDeque<Value>>>;

/// A running receiver; it stops when dropped.
pub(crate) struct Receiver {
    pub(crate) addr: SocketAddr,
    pub(crate) received: Received,
    /// Woken whenever a body is kept, so a waiting step looks again at once.
    pub(crate) arrived: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Listen on `addr` (port 0 picks one).
    pub(crate) async fn start(addr: SocketAddr) -> std::io::Result<Receiver> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let received: Received = Arc::new(Mutex::new(VecDeque::new()));
        let store = received.clone();
        let arrived = Arc::new(tokio::sync::Notify::new());
        let wake = arrived.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                };
                let (store, wake) = (store.clone(), wake.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let (store, wake) = (store.clone(), wake.clone());
                        async move {
                            let (status, text) = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                                Ok(body) => {
                                    let bytes = body.to_bytes();
                                    let v = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                                        Value::String(String::from_utf8_lossy(&bytes).into_owned())
                                    });
                                    let mut g = store.lock().unwrap_or_else(|e| e.into_inner());
                                    if g.len() >= KEPT {
                                        g.pop_front();
                                    }
                                    g.push_back(v);
                                    drop(g);
                                    wake.notify_waiters();
                                    (200, "[accepted]")
                                }
                                Err(_) => (413, "too large"),
                            };
                            Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .status(status)
                                    .body(Full::new(Bytes::from_static(text.as_bytes())))
                                    .unwrap_or_default(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Receiver { addr, received, arrived, task })
    }

    /// The URL to give a sender.
    pub(crate) fn url(&self) -> String {
        format!("http://{}/notifications", self.addr)
    }
}

/// Where notification steps find notifications, and the key that signs them.
pub(crate) struct Notifications {
    pub(crate) receiver: Receiver,
    pub(crate) hmac_key: String,
}
