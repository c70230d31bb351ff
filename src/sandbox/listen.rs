//! Serving HTTP/1.1 with the sandbox's defences, for every listener payconform opens
//! (the twin's server, the harness's notification receiver): per-phase timeouts
//! ([`TimedIo`]), a connection cap, accept errors that back off, and a graceful drain.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_util::task::TaskTracker;

use super::conn::{Clock, Phase, TimedIo};
use super::limits::Limits;

/// A listener being served; [`Listening::shutdown`] drains it.
pub(crate) struct Listening {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    connections: TaskTracker,
    drain: Duration,
}

impl Listening {
    /// Serve `listener` with `limits`, each request answered by `handler`. Must be
    /// called inside a runtime.
    pub(crate) fn start<H, F, B>(listener: TcpListener, limits: Limits, handler: H) -> io::Result<Listening>
    where
        H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
        F: Future<Output = Response<B>> + Send + 'static,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let connections = TaskTracker::new();
        let slots = Arc::new(Semaphore::new(limits.connection_cap()));
        let task = tokio::spawn(accept_loop(listener, Arc::new(handler), limits, slots, stopped, connections.clone()));
        Ok(Listening { addr, stop, task, connections, drain: limits.drain_timeout })
    }

    /// The bound address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop accepting, let requests in flight finish (within the drain timeout), and
    /// close every connection.
    pub(crate) async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let _ = (&mut self.task).await;
        self.connections.close();
        let _ = tokio::time::timeout(self.drain, self.connections.wait()).await;
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        // Dropped without a shutdown: stop accepting and close what is open.
        let _ = self.stop.send(true);
    }
}

async fn accept_loop<H, F, B>(
    listener: TcpListener,
    handler: Arc<H>,
    limits: Limits,
    slots: Arc<Semaphore>,
    mut stopped: watch::Receiver<bool>,
    connections: TaskTracker,
) where
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    const FIRST_BACKOFF: Duration = Duration::from_millis(5);
    let mut backoff = FIRST_BACKOFF;
    loop {
        // Take a connection slot first: at the cap, new clients wait in the backlog.
        let slot = tokio::select! {
            _ = stopped.changed() => return,
            slot = slots.clone().acquire_owned() => match slot {
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
        let handler = handler.clone();
        let conn_stop = stopped.clone();
        connections.spawn(async move {
            serve_connection(stream, handler, limits, conn_stop).await;
            drop(slot);
        });
    }
}

async fn serve_connection<H, F, B>(
    stream: tokio::net::TcpStream,
    handler: Arc<H>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) where
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let clock = Arc::new(Clock::new());
    let io = TimedIo::new(stream, clock.clone(), limits);
    let service = service_fn(move |req| {
        clock.enter(Phase::Service);
        let answer = handler(req);
        async move { Ok::<_, std::convert::Infallible>(answer.await) }
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
