//! The exchanges a scenario made, kept for the reports.

use crate::conformance::Violation;
use crate::operation::Api;

/// One checked exchange, as the reports need it.
#[derive(Debug, Clone)]
pub(crate) struct ExchangeRecord {
    pub(crate) api: Api,
    pub(crate) operation: String,
    pub(crate) status: Option<u16>,
    pub(crate) violations: Vec<Violation>,
    /// A transport failure instead of (or in the middle of) an answer.
    pub(crate) transport: Option<String>,
    /// The request asked a twin for its status with `Prefer: code=NNN`.
    pub(crate) preferred: bool,
    /// What was sent and what came back (not yet redacted; the report redacts it).
    pub(crate) log: ExchangeLog,
}

/// The bytes of one exchange, for the reports (bodies cut at [`LOG_BODY_CAP`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct ExchangeLog {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) request_headers: Vec<(String, String)>,
    pub(crate) request_body: Option<String>,
    pub(crate) response_headers: Vec<(String, String)>,
    pub(crate) response_body: String,
}

/// Bodies longer than this are cut in the reports.
pub(crate) const LOG_BODY_CAP: usize = 64 * 1024;

fn cut(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(LOG_BODY_CAP)]).into_owned();
    if bytes.len() > LOG_BODY_CAP { format!("{text}… ({} bytes in all)", bytes.len()) } else { text }
}

/// A body with the field rules applied (`cvc`, card numbers and secrets by field name,
/// the rules the recordings use too); card numbers elsewhere and credentials are the
/// redactor's.
fn mask_fields(bytes: &[u8]) -> String {
    crate::redact::mask_fields(&cut(bytes))
}

impl ExchangeLog {
    pub(crate) fn of(ex: &crate::client::Exchange) -> ExchangeLog {
        ExchangeLog {
            method: ex.method.clone(),
            url: ex.url.clone(),
            request_headers: ex.request_headers.clone(),
            request_body: ex.request_body.as_deref().map(mask_fields),
            response_headers: ex.response_headers.clone(),
            response_body: cut(&ex.response_body),
        }
    }
}
