//! The World of the conformance suite: one per scenario. It holds the clients for the
//! scenario's API, the payment the scenario works on, and every exchange it made,
//! each already checked against the spec.
//!
//! `context.rs`: what a run shares; `record.rs`: the exchanges kept for the reports;
//! `vocab.rs`: the vocabulary's actions and deliberate defects; `send.rs`: sending
//! through the generated clients or raw, and taking in what came back; `links.rs`: the
//! links a response offers, checked and followed.

mod context;
mod links;
pub(crate) mod requests;
mod send;
mod vocab;

pub(crate) use crate::report::{ExchangeRecord, shorten};
pub(crate) use context::RunContext;
pub(crate) use vocab::{Action, Tweak, api_by_name, pointer};

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::client::{
    ActionLink, ClientError, Config, Inner, adyen, adyen_checkout as checkout, worldpay_payments as wpp,
    worldpay_v7 as v7,
};
use crate::conformance::CheckingRecorder;
use crate::operation::Api;

use super::target::Endpoint;

enum Typed {
    V7(v7::Client),
    Payments(wpp::Client),
    Adyen(adyen::Client),
    Checkout(checkout::Client),
}

pub(crate) struct Conn {
    pub(crate) endpoint: Endpoint,
    typed: Typed,
    recorder: Arc<CheckingRecorder>,
    /// The run's shared client for this API, with its credentials.
    pub(crate) http: reqwest::Client,
    anon: reqwest::Client,
    inner: Inner,
}

/// The last response, as the steps read it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reply {
    pub(crate) operation: String,
    pub(crate) status: Option<u16>,
    pub(crate) body: Value,
}

/// What the scenario knows about its payment.
#[derive(Debug, Clone, Default)]
pub(crate) struct PaymentState {
    /// Every link href seen for the payment, by relation (the latest wins): only
    /// `@twin` steps that test a stale link use these.
    pub(crate) links: BTreeMap<String, String>,
    /// The links of the latest successful response, by relation: what the steps follow.
    pub(crate) latest: BTreeMap<String, String>,
    /// Relations the latest response offered as next steps (`payments:` read as
    /// `cardPayments:`).
    pub(crate) offered: Option<Vec<String>>,
    pub(crate) psp_reference: Option<String>,
    pub(crate) reference: String,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) captured: i64,
}

/// The cucumber World.
#[derive(Default, cucumber::World)]
pub struct ConformanceWorld {
    pub(crate) ctx: Option<Arc<RunContext>>,
    pub(crate) id: usize,
    pub(crate) conn: Option<Conn>,
    checked: usize,
    pub(crate) records: Vec<ExchangeRecord>,
    pub(crate) last: Option<Reply>,
    pub(crate) payment: PaymentState,
    seq: u32,
}

impl fmt::Debug for ConformanceWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConformanceWorld")
            .field("api", &self.conn.as_ref().map(|c| c.endpoint.api))
            .field("exchanges", &self.records.len())
            .field("last_status", &self.last.as_ref().and_then(|l| l.status))
            .finish_non_exhaustive()
    }
}

impl ConformanceWorld {
    pub(crate) fn ctx(&self) -> Result<&RunContext, String> {
        self.ctx.as_deref().ok_or_else(|| "the World has no run context (run it through payconform check)".into())
    }

    pub(crate) fn conn(&self) -> Result<&Conn, String> {
        self.conn.as_ref().ok_or_else(|| {
            let names: Vec<&str> = Api::ALL.iter().map(|a| a.short_name()).collect();
            format!(
                "no API chosen: start the scenario (or its Background) with `Given the <api> API`, \
                 where <api> is one of {}",
                names.join(", ")
            )
        })
    }

    pub(crate) fn api(&self) -> Result<Api, String> {
        Ok(self.conn()?.endpoint.api)
    }

    /// Choose the API and connect its clients.
    pub(crate) fn connect(&mut self, api: Api) -> Result<(), String> {
        let endpoint = self
            .ctx()?
            .endpoints
            .iter()
            .find(|e| e.api == api)
            .cloned()
            .ok_or_else(|| format!("no endpoint for {api}"))?;
        if let Some(why) = &endpoint.skip {
            return Err(format!("{api} cannot run here: {why}"));
        }
        let (http, anon) = self
            .ctx()?
            .http
            .iter()
            .find(|(a, _, _)| *a == api)
            .map(|(_, h, a)| (h.clone(), a.clone()))
            .ok_or_else(|| format!("no HTTP client for {api}"))?;
        let recorder = CheckingRecorder::new(api);
        let (base, inner) = Config::new(endpoint.base_url.clone())
            .recorder(recorder.clone())
            .max_response_body(self.ctx()?.max_response_body)
            .inner()
            .map_err(|e| e.to_string())?;
        let typed = match api {
            Api::WorldpayV7 => Typed::V7(v7::Client::new_with_client(&base, http.clone(), inner.clone())),
            Api::WorldpayPayments => Typed::Payments(wpp::Client::new_with_client(&base, http.clone(), inner.clone())),
            Api::Adyen => Typed::Adyen(adyen::Client::new_with_client(&base, http.clone(), inner.clone())),
            Api::AdyenCheckout => {
                Typed::Checkout(checkout::Client::new_with_client(&base, http.clone(), inner.clone()))
            }
        };
        self.conn = Some(Conn { endpoint, typed, recorder, http, anon, inner });
        self.checked = 0;
        Ok(())
    }

    /// A reference unique to this run, scenario and request.
    pub(crate) fn next_reference(&mut self) -> Result<String, String> {
        self.seq += 1;
        Ok(format!("pc-{}-{}-{}", self.ctx()?.run_tag, self.id, self.seq))
    }

    /// Resolve an href against the API's base URL and operation table.
    pub(crate) fn resolve(&self, href: &str) -> Result<ActionLink, ClientError> {
        match &self.conn().map_err(ClientError::Config)?.typed {
            Typed::V7(c) => c.action_link(href),
            Typed::Payments(c) => c.action_link(href),
            Typed::Adyen(c) => c.action_link(href),
            Typed::Checkout(c) => c.action_link(href),
        }
    }

    /// The body of the last response (or an error if there was none).
    pub(crate) fn reply(&self) -> Result<&Reply, String> {
        self.last.as_ref().ok_or_else(|| "no request has been sent yet".into())
    }

    /// Value at a dotted path in the last response body.
    pub(crate) fn field(&self, path: &str) -> Result<Option<&Value>, String> {
        Ok(self.reply()?.body.pointer(&pointer(path)))
    }

    /// A modification body for an amount, in the API's own shape.
    pub(crate) fn amount_body(&mut self, amount: i64) -> Result<Value, String> {
        let reference = self.next_reference()?;
        let currency = if self.payment.currency.is_empty() { "GBP".to_string() } else { self.payment.currency.clone() };
        Ok(json!({"value": {"amount": amount, "currency": currency}, "reference": reference}))
    }

    /// The current reply as text, for error messages.
    pub(crate) fn describe_reply(&self) -> String {
        match &self.last {
            Some(r) => format!(
                "{} answered {} {}",
                r.operation,
                r.status.map(|s| s.to_string()).unwrap_or_else(|| "nothing".into()),
                shorten(&serde_json::to_string(&r.body).unwrap_or_default(), DESCRIBED_BODY)
            ),
            None => "no request sent yet".into(),
        }
    }
}

/// Bytes of an answer's body a step's message quotes (the whole body is in the JSON
/// report's exchange log).
const DESCRIBED_BODY: usize = 2048;
