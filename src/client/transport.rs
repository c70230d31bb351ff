//! One exchange on the wire: the documented headers put on a request, the request
//! sent and its answer read through the body cap, the [`Exchange`] a [`Recorder`] sees,
//! and transport failures in words a person can act on.

use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::Inner;
use crate::operation::OperationInfo;

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

/// The first `cap` bytes of a body, and no more: for answers read only to look at (a
/// probe, a webhook receiver's reply), which a hostile peer could make endless.
pub(crate) async fn read_prefix(response: &mut reqwest::Response, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < cap {
        match response.chunk().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk[..chunk.len().min(cap - out.len())]),
            _ => break,
        }
    }
    out
}

/// Bytes of a response body any exchange may hold without the shared budget.
pub const SMALL_BODY: usize = 256 * 1024;

/// Bytes of response bodies past [`SMALL_BODY`] held at once by every client of this
/// process together: 64 MiB. A body that grows past [`SMALL_BODY`] first reserves its
/// whole cap (at most this budget) and waits, within the request's timeout, while
/// others hold it; so 32 concurrent hostile 1 GB answers cost 64 MiB, not 32 × 16 MiB.
pub const RESPONSE_BUDGET: usize = 64 * 1024 * 1024;

static BUDGET: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(RESPONSE_BUDGET);

/// Read a body through the cap: an endless or huge body costs at most `max` bytes, and
/// a body past [`SMALL_BODY`] holds a share of [`RESPONSE_BUDGET`] (returned with the
/// body, to be dropped once the body has been handed on). Returns the body (empty when
/// over the cap) and whether it was over.
async fn read_capped(
    response: &mut reqwest::Response,
    max: usize,
) -> reqwest::Result<(Vec<u8>, bool, Option<tokio::sync::SemaphorePermit<'static>>)> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Ok((Vec::new(), true, None));
    }
    let declared = response.content_length().map_or(0, |n| n as usize).min(SMALL_BODY);
    let mut body = Vec::with_capacity(declared);
    let mut held = None;
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max {
            return Ok((Vec::new(), true, None));
        }
        let needed = body.len() + chunk.len();
        if needed > SMALL_BODY && held.is_none() {
            let share = u32::try_from(max.min(RESPONSE_BUDGET)).unwrap_or(u32::MAX);
            held = BUDGET.acquire_many(share).await.ok();
        }
        if needed > body.capacity() {
            // Grow by doubling, but never past the cap (a Vec's own growth could take
            // twice the cap).
            let target = (body.capacity() * 2).max(needed).min(max);
            body.reserve_exact(target - body.len());
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false, held))
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
    let (body, oversized, _held) = match read_capped(&mut response, inner.max_body).await {
        Ok(read) => read,
        Err(e) => return failed(exchange, e),
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that answers every request with a body of `len` bytes.
    async fn serving(len: usize) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n");
                    let _ = s.write_all(head.as_bytes()).await;
                    let _ = s.write_all(&vec![b' '; len]).await;
                });
            }
        });
        url
    }

    async fn fetch(url: &str) -> usize {
        let config = crate::client::Config::new(url);
        let (_, http, inner) = config.build().unwrap();
        let request = http.get(url).build().unwrap();
        let response = execute(&http, &inner, request, "op").await.unwrap();
        response.bytes().await.unwrap().len()
    }

    /// Issue 19, item 6: bodies past the small allowance share one budget across every
    /// exchange of the process; small ones never wait for it.
    #[tokio::test(flavor = "multi_thread")]
    async fn large_bodies_wait_for_the_shared_budget() {
        let (large, small) = (serving(SMALL_BODY * 4).await, serving(1024).await);
        let all = BUDGET.acquire_many(RESPONSE_BUDGET as u32).await.unwrap();
        let waiting = tokio::spawn({
            let large = large.clone();
            async move { fetch(&large).await }
        });
        assert_eq!(fetch(&small).await, 1024, "a small body does not wait");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting.is_finished(), "a large body waits while the budget is spent");
        drop(all);
        assert_eq!(waiting.await.unwrap(), SMALL_BODY * 4);
    }
}
