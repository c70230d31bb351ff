//! What every request passes before a gateway's rules: credentials (each one its own
//! merchant), `Prefer: code`, the documented headers, and a body that parses and
//! validates against the spec, each refused in the vendor's own error shape. The
//! [`Gateway`] trait is what differs per API; the passes are written once.

use super::{Ctx, Protective, TwinInner, TwinRequest, TwinResponse};
use crate::spec::{Operation, SchemaViolation};
use serde_json::Value;
use std::hash::{Hash, Hasher};

/// One API as the twin serves it: its error shapes at the gate and its rules. The
/// Worldpay APIs share one implementation, Adyen has its own; `sandbox::gateway` picks.
pub(crate) trait Gateway: Sync {
    /// 401: no or unacceptable credentials.
    fn unauthorized(&self) -> TwinResponse;
    /// The header that carries an API key on this API, if it takes one besides Basic.
    fn api_key_header(&self) -> Option<&'static str> {
        None
    }
    /// 404: no operation of the API has this path.
    fn endpoint_not_found(&self) -> TwinResponse;
    /// A documented error status asked for with `Prefer: code=NNN`.
    fn preferred(&self, status: u16) -> TwinResponse;
    /// The documented headers, if one is missing or wrong.
    fn check_headers(&self, op: &Operation, req: &TwinRequest) -> Option<TwinResponse>;
    /// An empty body where the operation requires one.
    fn body_empty(&self) -> TwinResponse;
    /// A body that is not JSON.
    fn body_not_json(&self, e: &serde_json::Error) -> TwinResponse;
    /// A body that breaks the schema.
    fn invalid(&self, violations: &[SchemaViolation]) -> TwinResponse;
    /// One of the twin's protective answers ([`Protective`]).
    fn protective(&self, kind: Protective) -> TwinResponse;
    /// 500: the twin failed unexpectedly.
    fn internal_error(&self) -> TwinResponse;
    /// Whether `GET rel` is the twin's own inspection endpoint on this API.
    fn inspects(&self, _method: &str, _rel: &str) -> bool {
        false
    }
    /// Answer the inspection endpoint.
    fn inspect(&self, _t: &TwinInner, _merchant: super::ledger::Merchant, _rel: &str) -> TwinResponse {
        self.endpoint_not_found()
    }
    /// The gateway's rules, for a request that passed the gate.
    fn handle(
        &self,
        ctx: &Ctx<'_>,
        op: &Operation,
        link: Option<&str>,
        body: &Value,
        req: &TwinRequest,
    ) -> TwinResponse;
}

/// A merchant is a hash of its kind of credential and the credential itself.
fn merchant_of(kind: &str, credential: &str) -> super::ledger::Merchant {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    kind.hash(&mut h);
    credential.hash(&mut h);
    h.finish()
}

pub(super) fn authenticate(
    t: &TwinInner,
    gw: &dyn Gateway,
    req: &TwinRequest,
) -> Result<super::ledger::Merchant, TwinResponse> {
    use base64::Engine;
    let denied = || gw.unauthorized();
    if let Some(key) = gw.api_key_header().and_then(|h| req.header(h)) {
        // Only visible ASCII: a server that turned other bytes into U+FFFD would make two
        // different keys one merchant. Compared exactly from here on.
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(denied());
        }
        if let Some((_, keys)) = &t.strict
            && !keys.contains(key)
        {
            return Err(denied());
        }
        return Ok(merchant_of("key", key));
    }
    let Some(auth) = req.header("authorization") else { return Err(denied()) };
    let Some(encoded) = auth.strip_prefix("Basic ").or_else(|| auth.strip_prefix("basic ")) else {
        return Err(denied());
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else { return Err(denied()) };
    // The decoded bytes must be UTF-8 exactly as sent (no lossy conversion), without
    // control characters.
    let Ok(text) = String::from_utf8(raw) else { return Err(denied()) };
    if text.chars().any(char::is_control) {
        return Err(denied());
    }
    let Some((user, _)) = text.split_once(':') else { return Err(denied()) };
    if user.is_empty() {
        return Err(denied());
    }
    if let Some((creds, _)) = &t.strict
        && !creds.contains(&text)
    {
        return Err(denied());
    }
    Ok(merchant_of("basic", &text))
}

/// `Prefer: code=NNN` (RFC 7240, as API mocks such as Prism read it): an error status
/// the spec documents for the operation (4xx or 5xx, after authentication), answered in
/// the vendor's error shape, with nothing done. For trying a client's handling of
/// statuses the vendors give no trigger for (a 500, Adyen's 403); the sweep uses it on
/// twins only. A status the operation does not document, or a success, is ignored.
pub(super) fn preferred(gw: &dyn Gateway, op: &Operation, req: &TwinRequest) -> Option<TwinResponse> {
    let code: u16 = req
        .header("prefer")?
        .split([',', ';'])
        .find_map(|p| p.trim().strip_prefix("code="))
        .and_then(|c| c.trim().parse().ok())?;
    if !(400..600).contains(&code) || !op.responses.contains_key(&code.to_string()) {
        return None;
    }
    Some(gw.preferred(code))
}

pub(super) fn parse_body(gw: &dyn Gateway, op: &Operation, req: &TwinRequest) -> Result<Value, TwinResponse> {
    let Some(body) = &op.request else { return Ok(Value::Null) };
    if req.body.iter().all(u8::is_ascii_whitespace) {
        if !body.required {
            return Ok(Value::Null);
        }
        return Err(gw.body_empty());
    }
    let value: Value = serde_json::from_slice(&req.body).map_err(|e| gw.body_not_json(&e))?;
    let violations = body.validate(&value);
    if violations.is_empty() { Ok(value) } else { Err(gw.invalid(&violations)) }
}
