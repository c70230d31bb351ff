//! The replay's HTTP server: the twin's listener (timeouts, connection cap, drain) in
//! front of a [`Replayer`].

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Request, Response};
use tokio::net::TcpListener;

use super::{Miss, Recording, Replayer};
use crate::sandbox::Limits;
use crate::sandbox::listen::Listening;

/// A recording served over HTTP until shut down.
pub struct ReplayServer {
    listening: Listening,
    replayer: Arc<Replayer>,
}

impl ReplayServer {
    /// Serve `rec` on `addr` (port 0 picks one). Must be called inside a runtime.
    ///
    /// With `notify` (a receiver's URL and a hex HMAC key), the recorded Adyen
    /// notifications that followed a served exchange are signed with that key and sent
    /// there, as the recorded target sent them.
    pub async fn start(rec: Recording, addr: SocketAddr, notify: Option<(String, String)>) -> io::Result<ReplayServer> {
        let listener = TcpListener::bind(addr).await?;
        let notify = notify.map(Arc::new);
        let sender = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(io::Error::other)?;
        let limits = Limits::default();
        let replayer = Arc::new(Replayer::new(rec));
        let shared = replayer.clone();
        let listening = Listening::start(listener, limits, move |req: Request<hyper::body::Incoming>| {
            let replayer = shared.clone();
            let (notify, sender) = (notify.clone(), sender.clone());
            async move {
                let (parts, body) = req.into_parts();
                let host = parts.headers.get(hyper::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
                let origin = format!("http://{host}");
                let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
                let body = match tokio::time::timeout(
                    limits.body_timeout,
                    Limited::new(body, crate::sandbox::MAX_BODY).collect(),
                )
                .await
                {
                    Ok(Ok(b)) => b.to_bytes(),
                    _ => Bytes::new(),
                };
                let headers: Vec<(String, String)> = parts
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect();
                let answer = replayer.answer(parts.method.as_str(), &path, &headers, &body, &origin);
                if let Some(to) = notify.filter(|_| !answer.notifications.is_empty()) {
                    let items = answer.notifications.clone();
                    tokio::spawn(send_notifications(sender, to, items));
                }
                let mut r = Response::new(Full::new(Bytes::from(answer.body)));
                *r.status_mut() = hyper::StatusCode::from_u16(answer.status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
                for (n, v) in answer.headers {
                    if let (Ok(n), Ok(v)) =
                        (hyper::header::HeaderName::from_bytes(n.as_bytes()), hyper::header::HeaderValue::from_str(&v))
                    {
                        r.headers_mut().append(n, v);
                    }
                }
                r
            }
        })?;
        Ok(ReplayServer { listening, replayer })
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.listening.addr())
    }

    /// The requests that matched nothing so far.
    pub fn misses(&self) -> Vec<Miss> {
        self.replayer.misses()
    }

    /// Requests answered from the recording so far.
    pub fn served(&self) -> usize {
        self.replayer.served()
    }

    /// Stop serving; the misses.
    pub async fn shutdown(self) -> Vec<Miss> {
        self.listening.shutdown().await;
        self.replayer.misses()
    }
}

/// Sign recorded notification items with the receiver's key and send them, each in its
/// own envelope, as the twin sends them.
async fn send_notifications(client: reqwest::Client, to: Arc<(String, String)>, items: Vec<serde_json::Value>) {
    let (url, key) = &*to;
    for mut item in items {
        if let Some(extra) = item.get_mut("additionalData").and_then(|a| a.as_object_mut()) {
            extra.remove("hmacSignature");
        }
        let Ok(signature) = crate::notification::sign(&item, key) else { continue };
        if let Some(extra) = item.get_mut("additionalData").and_then(|a| a.as_object_mut()) {
            extra.insert("hmacSignature".into(), serde_json::Value::String(signature));
        } else {
            item["additionalData"] = serde_json::json!({"hmacSignature": signature});
        }
        let body = crate::notification::envelope([item]);
        let _ = client.post(url.as_str()).json(&body).send().await;
    }
}
