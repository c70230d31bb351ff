//! The server's limits against slow, hostile and noisy clients, shared by the
//! connection wrapper (`conn.rs`) and the accept loop (`listen.rs`).

use std::time::Duration;

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
    /// Default 64 MiB; never below [`MAX_BODY`](crate::sandbox::MAX_BODY).
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
