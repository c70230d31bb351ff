//! What every scenario of one run shares.

use crate::client::{ClientError, Config};
use crate::conformance::CheckKind;
use crate::harness::target::Endpoint;
use crate::operation::Api;
use crate::report::ExchangeRecord;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Shared by every scenario of one run.
pub(crate) struct RunContext {
    pub(crate) endpoints: Vec<Endpoint>,
    /// The cap on response bodies.
    pub(crate) max_response_body: usize,
    pub(crate) event_wait: Duration,
    /// Whether the target is a twin with its `__twin` inspection endpoint.
    pub(crate) twin: bool,
    /// Per scenario id: every exchange it made.
    pub(crate) sink: Mutex<BTreeMap<usize, Vec<ExchangeRecord>>>,
    /// Distinguishes references made by this run from other runs against the same target.
    pub(crate) run_tag: String,
    /// Per API: the HTTP client with its credentials, and one without. Shared by every
    /// scenario (building one loads the TLS roots).
    pub(crate) http: Vec<(Api, reqwest::Client, reqwest::Client)>,
    /// Adyen notifications received in this run, where the run has a receiver.
    pub(crate) notifications: Option<crate::harness::webhooks::Notifications>,
    /// How long a notification step waits.
    pub(crate) notification_wait: Duration,
    /// The checks whose violations count (`--checks`); empty: all.
    pub(crate) checks: Vec<CheckKind>,
    /// Where every exchange is recorded (`--record`).
    pub(crate) recording: Option<crate::record::SharedRecording>,
}

impl RunContext {
    /// Build the shared HTTP clients of each endpoint.
    pub(crate) fn http_clients(
        endpoints: &[Endpoint],
        timeout: Duration,
    ) -> Result<Vec<(Api, reqwest::Client, reqwest::Client)>, String> {
        endpoints
            .iter()
            .map(|e| {
                let mut anon = Config::new(e.base_url.clone());
                anon.timeout = timeout;
                let authed = match &e.credentials {
                    Some(c) => anon.clone().credentials(c.clone()),
                    None => anon.clone(),
                };
                let err = |e: ClientError| e.to_string();
                Ok((e.api, authed.http_client().map_err(err)?, anon.http_client().map_err(err)?))
            })
            .collect()
    }
}
