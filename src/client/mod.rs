//! Typed clients generated from `spec/` at build time, and what sits around them.
//!
//! Each API module re-exports its generated `Client` and `types`. The generated code
//! is never edited; this module adds, through progenitor's `ClientHooks`:
//!
//! - the vendor's real wire format (the v7 media type as `Content-Type`/`Accept`,
//!   `WP-Api-Version` on the Payments API, `Content-Length: 0` on body-less POSTs, no
//!   `api-version` header), taken from the table build.rs writes from the spec;
//! - link tokens passed verbatim: a `linkData` argument is the token exactly as it
//!   appears in the href, percent escapes included, and exactly those bytes are sent;
//! - an optional [`Recorder`] that sees every exchange (the conformance checker uses it);
//! - [`ActionLink`] parsing, which refuses links to any host but the configured one so
//!   credentials are never sent elsewhere.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

mod link;
mod transport;

pub use link::{ActionLink, parse_action_link};
pub use transport::{Exchange, Recorder, describe_transport};
pub(crate) use transport::{execute, prepare, read_prefix};

/// Credentials for a gateway. `Debug` never shows a password or key.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP Basic (Worldpay; Adyen web-service users).
    Basic {
        /// User name, e.g. `ws@Company.Acme` on Adyen.
        username: String,
        /// Password.
        password: String,
    },
    /// Adyen `X-API-Key`.
    ApiKey(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { username, .. } => {
                f.debug_struct("Basic").field("username", username).field("password", &"<redacted>").finish()
            }
            Credentials::ApiKey(_) => f.debug_tuple("ApiKey").field(&"<redacted>").finish(),
        }
    }
}

impl Credentials {
    /// The header that carries these credentials, marked sensitive so that reqwest
    /// and anything printing headers through `Debug` hide it.
    pub fn header(&self) -> Result<(HeaderName, HeaderValue), ClientError> {
        use base64::Engine;
        let (name, value) = match self {
            Credentials::Basic { username, password } => {
                let raw = format!("{username}:{password}");
                (header::AUTHORIZATION, format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw)))
            }
            Credentials::ApiKey(key) => (HeaderName::from_static("x-api-key"), key.clone()),
        };
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| ClientError::Config("credentials contain characters not allowed in a header".into()))?;
        value.set_sensitive(true);
        Ok((name, value))
    }
}

/// How to reach one API.
#[derive(Clone)]
pub struct Config {
    /// Base URL of the API, e.g. `https://try.access.worldpay.com` or
    /// `https://pal-test.adyen.com/pal/servlet/Payment/v40`.
    pub base_url: String,
    /// Credentials sent on every request, if any.
    pub credentials: Option<Credentials>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Receives every exchange, if set.
    pub recorder: Option<Arc<dyn Recorder>>,
    /// Response bodies are read up to this many bytes; a larger one is not read
    /// further (the client sees an empty body, a recorder sees
    /// [`Exchange::oversized`]). Default [`DEFAULT_MAX_RESPONSE_BODY`].
    pub max_response_body: usize,
}

/// The default cap on a response body: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .field("recorder", &self.recorder.as_ref().map(|_| "<set>"))
            .field("max_response_body", &self.max_response_body)
            .finish()
    }
}

impl Config {
    /// A config with a 30 s timeout, a 16 MiB response cap, no credentials and no recorder.
    pub fn new(base_url: impl Into<String>) -> Self {
        Config {
            base_url: base_url.into(),
            credentials: None,
            timeout: Duration::from_secs(30),
            recorder: None,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
        }
    }
    /// Set the response body cap.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }
    /// Set the credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }
    /// Set the recorder.
    pub fn recorder(mut self, recorder: Arc<dyn Recorder>) -> Self {
        self.recorder = Some(recorder);
        self
    }

    pub(crate) fn build(&self) -> Result<(String, reqwest::Client, Inner), ClientError> {
        let (base, inner) = self.inner()?;
        Ok((base, self.http_client()?, inner))
    }

    /// The checked base URL and the per-client state (recorder).
    pub(crate) fn inner(&self) -> Result<(String, Inner), ClientError> {
        let base = Url::parse(&self.base_url)
            .map_err(|e| ClientError::Config(format!("base URL {:?} is not a URL: {e}", self.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(ClientError::Config(format!(
                "base URL {:?} must be http(s)://host[:port][/path]",
                self.base_url
            )));
        }
        let trimmed = self.base_url.trim_end_matches('/').to_string();
        Ok((trimmed, Inner { base, recorder: self.recorder.clone(), max_body: self.max_response_body }))
    }

    /// The HTTP client: credentials as a default header, the timeout, and no
    /// redirects: a 3xx is an answer like any other, so credentials and card data never
    /// travel to an origin other than the configured one. Building one loads the TLS
    /// roots, so share it where many clients talk to one endpoint.
    pub(crate) fn http_client(&self) -> Result<reqwest::Client, ClientError> {
        let mut headers = HeaderMap::new();
        if let Some(c) = &self.credentials {
            let (n, v) = c.header()?;
            headers.insert(n, v);
        }
        reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .build()
            .map_err(|e| ClientError::Config(format!("cannot build the HTTP client: {e}")))
    }
}

/// State every generated client carries (progenitor's inner type).
#[derive(Clone)]
pub struct Inner {
    base: Url,
    recorder: Option<Arc<dyn Recorder>>,
    max_body: usize,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

/// Errors from setting up a client or following a link.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The configuration cannot work.
    #[error("client configuration: {0}")]
    Config(String),
    /// The link points at another host than the configured one; nothing was sent.
    #[error(
        "refusing to follow {href:?}: it points at {found}, not the configured {expected}; credentials are only sent to the configured host"
    )]
    ForeignLink {
        /// The link as given.
        href: String,
        /// `scheme://host:port` of the link.
        found: String,
        /// `scheme://host:port` of the configured base URL.
        expected: String,
    },
    /// The link is not a URL, or not one this API has an operation for.
    #[error("cannot follow {href:?}: {reason}")]
    BadLink {
        /// The link as given.
        href: String,
        /// Why.
        reason: String,
    },
}

/// The hooks that give a generated client the vendor's wire format, and its
/// constructors; invoked in each generated client module.
macro_rules! client_extensions {
    () => {
        impl progenitor_client::ClientHooks<crate::client::Inner> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                crate::client::prepare(&OPERATIONS, request, info.operation_id);
                Ok(())
            }
            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                use progenitor_client::ClientInfo;
                crate::client::execute(self.client(), self.inner(), request, info.operation_id).await
            }
        }

        impl Client {
            /// A client for this API with credentials, timeout and recorder from `config`.
            pub fn connect(config: &crate::client::Config) -> Result<Self, crate::client::ClientError> {
                let (base, http, inner) = config.build()?;
                Ok(Self::new_with_client(&base, http, inner))
            }
            /// Resolve an action link from a response to the operation it names.
            /// Refuses links to any other host than the configured base URL.
            pub fn action_link(&self, href: &str) -> Result<crate::client::ActionLink, crate::client::ClientError> {
                use progenitor_client::ClientInfo;
                crate::client::parse_action_link(&self.inner().base, &OPERATIONS, href)
            }
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/modules.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let c = Credentials::Basic { username: "u".into(), password: "hunter2".into() };
        assert!(!format!("{c:?}").contains("hunter2"));
        let k = Credentials::ApiKey("AQEkey".into());
        assert!(!format!("{k:?}").contains("AQEkey"));
        let cfg = Config::new("http://x").credentials(c);
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }
}
