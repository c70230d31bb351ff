//! The twin as a wiremock `Respond`, for in-process use in Rust tests.
//!
//! The twin is mounted at the lowest priority (255), so any mock you mount yourself
//! (default priority 5) wins for the requests it matches: inject a 500, a delay or a
//! malformed body into an otherwise stateful twin, and use wiremock's verification.

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{Twin, TwinRequest};

/// Answers every request from the twin.
#[derive(Clone)]
pub struct TwinResponder {
    twin: Twin,
}

impl TwinResponder {
    /// A responder backed by `twin`.
    pub fn new(twin: Twin) -> Self {
        TwinResponder { twin }
    }
}

/// Turn a wiremock request into the twin's plain request.
pub fn twin_request(req: &Request) -> TwinRequest {
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host"))
        && let Some(host) = req.url.host_str()
    {
        let host = match req.url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        headers.push(("host".into(), host));
    }
    TwinRequest { method: req.method.to_string(), path: req.url.path().to_string(), headers, body: req.body.clone() }
}

impl Respond for TwinResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let r = self.twin.handle(&twin_request(request));
        let mut t = ResponseTemplate::new(r.status).set_body_raw(r.body_bytes(), r.content_type);
        for (name, value) in &r.headers {
            t = t.insert_header(*name, value.as_str());
        }
        t
    }
}

impl Twin {
    /// Mount this twin on a wiremock server, below any mock of your own.
    pub async fn mount(&self, server: &MockServer) {
        Mock::given(any())
            .respond_with(TwinResponder::new(self.clone()))
            .with_priority(u8::MAX)
            .named("payconform twin")
            .mount(server)
            .await;
    }

    /// Start a wiremock server on a random port with a fresh default twin mounted.
    pub async fn start_mock() -> (MockServer, Twin) {
        let server = MockServer::start().await;
        let twin = Twin::default();
        twin.mount(&server).await;
        (server, twin)
    }
}
