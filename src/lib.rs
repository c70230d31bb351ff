//! # payconform
//!
//! Typed clients, a stateful sandbox twin and a conformance harness for three card
//! payment APIs, all built from one source of truth: the hand-written OpenAPI documents
//! in `spec/`.
//!
//! - [`client`]: clients generated at build time by progenitor for Worldpay Access Card
//!   Payments v7, Worldpay Payments API 2024-06-01 and Adyen classic Payment API v40,
//!   with the vendors' real wire format and action-link helpers.
//! - [`operation`]: the operation model generated from `spec/`: one row per operation
//!   (paths, media types, action, next actions) and an `Op` enum per API.
//! - [`spec`]: the specs embedded in the library: an operation index and JSON Schema
//!   validation of bodies, and the example lint behind `payconform lint`.
//! - [`conformance`]: the exchange checker: every request and response against the spec.
//! - [`sandbox`]: the stateful twin of the three APIs, served through wiremock or hyper.
//! - [`secret`]: card-data types whose `Debug` never shows the secret.
//!
//! ```no_run
//! use payconform::client::{Config, Credentials, worldpay_v7};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::new("https://try.access.worldpay.com")
//!     .credentials(Credentials::Basic { username: "user".into(), password: "pass".into() });
//! let client = worldpay_v7::Client::connect(&config)?;
//! let body: worldpay_v7::types::AuthorizeRequest = serde_json::from_str(r#"{
//!     "transactionReference": "order-1", "merchant": {"entity": "default"}, "channel": "ecom",
//!     "instruction": {"requestAutoSettlement": {"enabled": false}, "narrative": {"line1": "Shop"},
//!       "value": {"amount": 1706, "currency": "GBP", "acceptPartialAmount": true},
//!       "paymentInstrument": {"type": "card/plain", "cardNumber": "4444333322221111",
//!         "expiryDate": {"month": 5, "year": 2030}}}}"#)?;
//! let authorized = client.authorize(&body).await?;
//! // Follow the settle link the gateway handed back; never build one.
//! if let Some(settle) = authorized.links.as_ref().and_then(|l| l.card_payments_settle.as_ref()) {
//!     let link = client.action_link(&settle.href)?.expect("settle")?;
//!     client.settle(&link.link_data).await?;
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod client;
pub mod conformance;
#[cfg(feature = "harness")]
pub mod harness;
pub mod notification;
pub mod operation;
pub mod redact;

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub mod sandbox;
pub mod secret;
pub mod spec;
