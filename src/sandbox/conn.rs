//! Per-connection timeouts of the standalone server: a socket wrapper that fails a read
//! when the connection's current phase (headers, idle keep-alive) overruns its limit.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use std::sync::Arc;

use super::limits::Limits;

/// Where a connection is in its life, for its timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Phase {
    /// Waiting for the next request on a kept-alive connection.
    Idle = 0,
    /// Receiving a request's headers.
    Headers = 1,
    /// A request is with the service (which bounds its body read itself).
    Service = 2,
}

/// The phase of one connection and when it began, shared by its IO and its service.
pub(crate) struct Clock {
    origin: Instant,
    phase: AtomicU8,
    since_ns: AtomicU64,
}

impl Clock {
    pub(crate) fn new() -> Self {
        // A new connection is receiving its first request's headers.
        Clock { origin: Instant::now(), phase: AtomicU8::new(Phase::Headers as u8), since_ns: AtomicU64::new(0) }
    }
    fn now_ns(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Relaxed) {
            0 => Phase::Idle,
            1 => Phase::Headers,
            _ => Phase::Service,
        }
    }
    pub(crate) fn enter(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
        self.since_ns.store(self.now_ns(), Ordering::Relaxed);
    }
    /// When the current phase must end, if it has a deadline.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let allowed = match self.phase() {
            Phase::Idle => limits.idle_timeout,
            Phase::Headers => limits.header_timeout,
            Phase::Service => return None,
        };
        Some(self.origin + Duration::from_nanos(self.since_ns.load(Ordering::Relaxed)) + allowed)
    }
}

/// A socket whose reads fail with `TimedOut` when the connection's phase overruns.
pub(crate) struct TimedIo {
    inner: tokio::net::TcpStream,
    clock: Arc<Clock>,
    limits: Limits,
    timer: Option<(Instant, Pin<Box<Sleep>>)>,
}

impl TimedIo {
    pub(crate) fn new(inner: tokio::net::TcpStream, clock: Arc<Clock>, limits: Limits) -> Self {
        TimedIo { inner, clock, limits, timer: None }
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before && self.clock.phase() == Phase::Idle {
                    self.clock.enter(Phase::Headers);
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                let Some(deadline) = self.clock.deadline(&self.limits) else { return Poll::Pending };
                let this = &mut *self;
                let sleep = match &mut this.timer {
                    Some((at, sleep)) => {
                        if *at != deadline {
                            sleep.as_mut().reset(deadline);
                            *at = deadline;
                        }
                        sleep
                    }
                    None => &mut this.timer.insert((deadline, Box::pin(tokio::time::sleep_until(deadline)))).1,
                };
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "client too slow"))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            // An answer is going out: the connection is idle until the next request.
            self.clock.enter(Phase::Idle);
        }
        r
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.clock.enter(Phase::Idle);
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
