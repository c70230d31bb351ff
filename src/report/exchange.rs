//! Exchanges as the reports show them, redacted, with a curl that sends a failing one
//! again.

use serde::Serialize;

use super::Redactor;
use super::{ExchangeLog, ExchangeRecord, prefix};
use crate::operation::Api;

/// One exchange as the JSON report shows it, redacted: credentials and card numbers
/// never appear, in any encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExchangeDetail {
    /// operationId.
    pub operation: String,
    /// What was sent.
    pub request: RequestDetail,
    /// What came back; absent after a transport failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseDetail>,
    /// How many violations the exchange had.
    pub violations: usize,
    /// For an exchange with violations or a transport failure: a curl command that sends
    /// it again, with the credentials as environment-variable references (card numbers
    /// stay masked: put your test card back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
}

impl ExchangeDetail {
    /// One exchange of a scenario, redacted, with a curl where it failed.
    pub(crate) fn of(e: &ExchangeRecord, r: &Redactor, budget: &mut super::Budget) -> ExchangeDetail {
        let log = &e.log;
        let mut shown = |body: &str| {
            let kept = prefix(body, budget.take_bytes(body.len()));
            if kept.len() < body.len() {
                format!(
                    "{kept}… ({} bytes; the run's report shows at most {} bytes of bodies)",
                    body.len(),
                    super::MAX_LOG_BYTES_PER_RUN
                )
            } else {
                body.to_string()
            }
        };
        ExchangeDetail {
            operation: e.operation.clone(),
            request: RequestDetail {
                method: log.method.clone(),
                url: r.clean(&log.url),
                headers: log.request_headers.iter().map(|(n, v)| (r.clean(n), shown(&r.clean(v)))).collect(),
                body: log.request_body.as_deref().map(|b| shown(&r.clean_block(b))),
            },
            response: e.status.map(|status| ResponseDetail {
                status,
                headers: log.response_headers.iter().map(|(n, v)| (r.clean(n), shown(&r.clean(v)))).collect(),
                body: shown(&r.clean_block(&log.response_body)),
            }),
            violations: e.violations.len(),
            curl: (!e.violations.is_empty() || e.transport.is_some()).then(|| curl(e.api, log, r)),
        }
    }
}

/// The request half of an [`ExchangeDetail`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestDetail {
    /// HTTP method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Headers, without `Authorization` and `X-API-Key`.
    pub headers: Vec<(String, String)>,
    /// Body, if any (cut at 64 KiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// The response half of an [`ExchangeDetail`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseDetail {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body (cut at 64 KiB).
    pub body: String,
}

/// `'…'` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A curl command that sends `log` again; credentials as environment variables.
pub(super) fn curl(api: Api, log: &ExchangeLog, r: &Redactor) -> String {
    let mut parts = vec!["curl -s -i -X".to_string(), log.method.clone(), shell_quote(&r.clean(&log.url))];
    for (n, v) in &log.request_headers {
        if n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("host") {
            continue;
        }
        parts.push("-H".into());
        parts.push(shell_quote(&format!("{n}: {}", r.clean(v))));
    }
    parts.push(match api {
        _ if api.vendor() == crate::operation::Vendor::Adyen => "-H \"X-API-Key: $ADYEN_API_KEY\"".to_string(),
        _ => "-u \"$WORLDPAY_USERNAME:$WORLDPAY_PASSWORD\"".to_string(),
    });
    if let Some(b) = &log.request_body {
        parts.push("--data-raw".into());
        parts.push(shell_quote(&r.clean(b)));
    }
    parts.join(" ")
}
