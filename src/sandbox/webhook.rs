//! Adyen standard notifications from the twin: every authorisation and modification is
//! reported to a configured URL, signed as Adyen signs them, after a short delay, and
//! retried with backoff until the receiver answers with any 2xx (Adyen accepts a
//! notification on its status code; the `[accepted]` body is not required).
//!
//! Request handling only ever `try_send`s into a bounded queue: a slow or dead receiver
//! never slows the twin; when the queue is full the notification is dropped with a log
//! line. Each delivery (its final outcome) gets one log line.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Semaphore, mpsc};

use crate::notification;

/// Where and how the twin delivers notifications.
#[derive(Clone)]
pub struct WebhookConfig {
    /// The receiver's URL.
    pub url: String,
    /// Hex HMAC key; without one, items are sent unsigned.
    pub hmac_key: Option<String>,
    /// Basic credentials for the receiver, `user:password`. They win over a
    /// `user:password@` in [`WebhookConfig::url`], which is used only without them; one
    /// `Authorization` header is ever sent.
    pub basic: Option<String>,
    /// Wait before the first attempt.
    pub delay: Duration,
    /// Wait before the first retry; doubled after each, at most one minute.
    pub retry: Duration,
    /// Attempts before giving up.
    pub attempts: u32,
    /// Notifications waiting at most; more are dropped.
    pub queue: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            url: String::new(),
            hmac_key: None,
            basic: None,
            delay: Duration::from_millis(200),
            retry: Duration::from_secs(1),
            attempts: 10,
            queue: 1024,
        }
    }
}

impl WebhookConfig {
    /// Signed notifications to `url` with no delay and quick retries: for a receiver on
    /// the same machine, such as the harness's own or a test's.
    pub fn prompt(url: impl Into<String>, hmac_key: impl Into<String>) -> WebhookConfig {
        WebhookConfig {
            url: url.into(),
            hmac_key: Some(hmac_key.into()),
            delay: Duration::ZERO,
            retry: Duration::from_millis(100),
            ..Default::default()
        }
    }
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &target(self).0)
            .field("hmac_key", &self.hmac_key.as_ref().map(|_| "set"))
            .field("basic", &self.basic.as_ref().map(|_| "set"))
            .field("delay", &self.delay)
            .finish()
    }
}

/// The sending half, held by the twin.
pub(crate) struct Webhooks {
    tx: mpsc::Sender<Value>,
    hmac_key: Option<String>,
}

impl Webhooks {
    /// Start the delivery task on the current tokio runtime; `None` (and a log line)
    /// without one.
    pub(crate) fn start(config: WebhookConfig) -> Option<Webhooks> {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            tracing::error!(target: "payconform::webhook", "webhooks need a tokio runtime; notifications are off");
            return None;
        };
        let (tx, mut rx) = mpsc::channel::<Value>(config.queue.max(1));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .ok()?;
        let hmac_key = config.hmac_key.clone();
        let config = Arc::new(config);
        rt.spawn(async move {
            let slots = Arc::new(Semaphore::new(64));
            while let Some(body) = rx.recv().await {
                let Ok(permit) = slots.clone().acquire_owned().await else { break };
                let (client, config) = (client.clone(), config.clone());
                tokio::spawn(async move {
                    deliver(&client, &config, body).await;
                    drop(permit);
                });
            }
        });
        Some(Webhooks { tx, hmac_key })
    }

    /// Queue one item (signed here), never waiting.
    pub(crate) fn send(&self, mut item: Value) {
        if let Some(key) = &self.hmac_key {
            match notification::sign(&item, key) {
                Ok(sig) => item["additionalData"]["hmacSignature"] = Value::String(sig),
                Err(e) => tracing::error!(target: "payconform::webhook", "cannot sign: {e}"),
            }
        }
        let event = item["eventCode"].as_str().unwrap_or("").to_string();
        if self.tx.try_send(notification::envelope([item])).is_err() {
            tracing::warn!(target: "payconform::webhook", event, "notification queue full: dropped");
        }
    }
}

/// Bytes of a receiver's answer read at most: an endless answer costs no more.
pub const ANSWER_CAP: usize = 4 * 1024;

/// The start of a receiver's answer, at most [`ANSWER_CAP`] bytes (lossy UTF-8).
async fn read_answer(resp: &mut reqwest::Response) -> String {
    String::from_utf8_lossy(&crate::client::read_prefix(resp, ANSWER_CAP).await).into_owned()
}

/// The receiver's URL without its credentials, and the credentials to send: the
/// configured `basic` wins over a `user:password@` in the URL, so one `Authorization`
/// header is ever sent.
fn target(config: &WebhookConfig) -> (String, Option<(String, String)>) {
    let Ok(mut url) = url::Url::parse(&config.url) else { return (config.url.clone(), None) };
    let from_url = (!url.username().is_empty()).then(|| {
        let user = percent_encoding::percent_decode_str(url.username()).decode_utf8_lossy().into_owned();
        let pass = url.password().map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned());
        (user, pass.unwrap_or_default())
    });
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let basic = config
        .basic
        .as_deref()
        .and_then(|b| b.split_once(':'))
        .map(|(u, p)| (u.to_string(), p.to_string()))
        .or(from_url);
    (url.to_string(), basic)
}

async fn deliver(client: &reqwest::Client, config: &WebhookConfig, body: Value) {
    tokio::time::sleep(config.delay).await;
    let item = notification::items(&body).ok().and_then(|i| i.first().map(|v| (*v).clone())).unwrap_or_default();
    let event = item["eventCode"].as_str().unwrap_or("");
    let psp = item["pspReference"].as_str().unwrap_or("");
    let mut wait = config.retry;
    let mut last = String::new();
    let (url, basic) = target(config);
    for attempt in 1..=config.attempts.max(1) {
        let mut req = client.post(&url).json(&body);
        if let Some((user, password)) = &basic {
            req = req.basic_auth(user, Some(password));
        }
        match req.send().await {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                // Adyen accepts a notification "on the basis of the HTTP status code"
                // (Webhooks-v1): any 2xx, with or without the `[accepted]` body. What
                // the receiver says is read only to log it, and at most ANSWER_CAP bytes.
                let text = read_answer(&mut resp).await;
                if (200..300).contains(&status) {
                    tracing::info!(target: "payconform::webhook", event, psp_reference = psp, attempt, status, "notification delivered");
                    return;
                }
                last = format!("HTTP {status}: {}", crate::redact::inert(text.trim()));
            }
            Err(e) => last = crate::client::describe_transport(&e, None),
        }
        if attempt < config.attempts {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(60));
        }
    }
    tracing::warn!(target: "payconform::webhook", event, psp_reference = psp, attempts = config.attempts, last, "notification given up");
}
