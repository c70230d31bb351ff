//! Adyen classic Payment API v40.
//!
//! Modifications are acknowledged like the real API does (`[capture-received]` with a
//! new 16-character pspReference). A missing or unknown original reference is rejected
//! at once with 422 `167`. A rule broken on a known payment (cancel after capture,
//! refund beyond capture) is acknowledged too, and recorded as a failed modification:
//! `GET /pal/servlet/Payment/v40/__twin/payments/{pspReference}` (same credentials)
//! shows every modification with `success` and `reason`, the shape notifications will use.

mod authorise;
mod checkout;
mod notify;

pub(crate) use checkout::AdyenCheckout;

use serde_json::{Value, json};

use authorise::authorise;
use notify::{Notice, notify};

use crate::client::adyen::Op as AdyenOp;
use crate::operation::Action;
use crate::sandbox::gate::Gateway;
use crate::sandbox::ledger::{Merchant, Modification, Op, Payment, RuleError, Status};
use crate::sandbox::{Ctx, Protective, TwinInner, TwinRequest, TwinResponse, idempotency, int64};
use crate::spec::{Operation, Rule, SchemaViolation, media_is};

/// Adyen's classic Payment API.
pub(crate) struct Adyen;

impl Gateway for Adyen {
    fn unauthorized(&self) -> TwinResponse {
        error(401, "000", "HTTP Status Response - Unauthorized", "security")
    }
    fn api_key_header(&self) -> Option<&'static str> {
        Some("x-api-key")
    }
    fn endpoint_not_found(&self) -> TwinResponse {
        error(404, "000", "Requested endpoint was not found", "validation")
    }
    fn preferred(&self, status: u16) -> TwinResponse {
        match status {
            403 => error(403, "010", "Not allowed", "security"),
            500 => self.internal_error(),
            c => error(c, "000", "Preferred status (Prefer: code)", "validation"),
        }
    }
    fn check_headers(&self, _: &Operation, req: &TwinRequest) -> Option<TwinResponse> {
        let json = media_is(req.header("content-type"), "application/json");
        (!json).then(|| error(400, "702", "Content-Type must be application/json", "validation"))
    }
    fn body_empty(&self) -> TwinResponse {
        error(400, "702", "Empty input which would have resulted in a null result.", "validation")
    }
    fn body_not_json(&self, e: &serde_json::Error) -> TwinResponse {
        error(400, "702", &format!("Unexpected input: {e}"), "validation")
    }
    fn invalid(&self, violations: &[SchemaViolation]) -> TwinResponse {
        validation_error(violations)
    }
    fn protective(&self, kind: Protective) -> TwinResponse {
        let (status, _, message) = kind.describe();
        let code = if kind == Protective::MethodNotAllowed { "000" } else { "702" };
        error(status, code, &message, "validation")
    }
    fn internal_error(&self) -> TwinResponse {
        error(500, "905", "Internal error", "internal")
    }
    fn inspects(&self, method: &str, rel: &str) -> bool {
        method == "GET" && rel.starts_with("/__twin/payments/")
    }
    fn inspect(&self, t: &TwinInner, merchant: Merchant, rel: &str) -> TwinResponse {
        inspect(t, merchant, rel.trim_start_matches("/__twin/payments/"))
    }
    /// With an `Idempotency-Key`, the same key, body and credential replay the first
    /// answer; another body gets 422 `704`, and the first still in flight 409 `704`
    /// with `Transient-Error: true` (see [`idempotency`]).
    fn handle(&self, ctx: &Ctx<'_>, op: &Operation, _: Option<&str>, body: &Value, req: &TwinRequest) -> TwinResponse {
        idempotent(ctx, op, None, body, req, || handle(ctx, op, body))
    }
}

/// Adyen's `Idempotency-Key`, the same on every Adyen API: `work` runs at most once per
/// key, operation, path parameter (Checkout's `paymentPspReference`), body and
/// credential; a retry gets the first answer.
pub(crate) fn idempotent(
    ctx: &Ctx<'_>,
    op: &Operation,
    link: Option<&str>,
    body: &Value,
    req: &TwinRequest,
    work: impl FnOnce() -> TwinResponse,
) -> TwinResponse {
    let Some(key) = req.header("idempotency-key").filter(|k| !k.trim().is_empty()) else {
        return work();
    };
    if let Some(why) = idempotency::refuse(key) {
        // Our choice of code: Adyen documents the limit, not the error (README).
        return error(400, "702", &why, "validation");
    }
    let t = ctx.twin;
    let print = idempotency::fingerprint(op.operation_id, link, body);
    let mut resp = match t.idempotency.begin(ctx.merchant, key, print) {
        idempotency::Begin::Replay(r) => r,
        idempotency::Begin::Conflict => {
            let mut r = error(422, "704", "request already processed or in progress", "validation");
            r.headers.push(("Transient-Error", "false".into()));
            r
        }
        idempotency::Begin::InProgress => {
            let mut r = error(409, "704", "request already processed or in progress", "validation");
            r.headers.push(("Transient-Error", "true".into()));
            r
        }
        idempotency::Begin::Fresh => {
            let r = work();
            t.idempotency.finish(ctx.merchant, key, print, &r);
            r
        }
    };
    // Adyen echoes the key so a client can tell the answer was idempotent.
    resp.headers.push(("Idempotency-Key", key.to_string()));
    resp
}

/// An error in Adyen's ServiceError shape.
pub(crate) fn error(status: u16, code: &str, message: &str, kind: &str) -> TwinResponse {
    TwinResponse::json(
        status,
        "application/json",
        json!({"status": status, "errorCode": code, "message": message, "errorType": kind}),
    )
}

/// The first violation, in Adyen's terms: 167 for a missing original reference, 901
/// "Invalid Merchant Account" for a missing merchant account (as a real answer quoted
/// in Adyen/adyen-python-api-library#238 shows), 100 "Required object 'amount' is not
/// provided." for a missing amount (Adyen/adyen-ruby-api-library#168), 130 for any
/// other missing field, 101 for a bad card number, else 422 `100` (our choice for the
/// rest; Adyen does not publish one code per rule).
pub(crate) fn validation_error(violations: &[SchemaViolation]) -> TwinResponse {
    let v = &violations[0];
    let field = v.json_path.trim_start_matches("$.").to_string();
    match v.rule {
        Rule::Missing if field == "originalReference" => {
            error(422, "167", "Original pspReference required for this operation", "validation")
        }
        Rule::Missing if field == "merchantAccount" => error(422, "901", "Invalid Merchant Account", "validation"),
        Rule::Missing if matches!(field.as_str(), "amount" | "modificationAmount") => {
            error(422, "100", &format!("Required object '{field}' is not provided."), "validation")
        }
        Rule::Missing => error(422, "130", &format!("Required field '{field}' is not provided."), "validation"),
        Rule::Pattern | Rule::Luhn if field == "card.number" => error(422, "101", "Invalid card number", "validation"),
        Rule::NotAllowed => {
            error(422, "100", &format!("Field '{field}' is not allowed for this operation."), "validation")
        }
        _ => error(422, "100", &format!("Field '{field}' {}", v.message), "validation"),
    }
}

/// The next pspReference: 16 upper-case letters and digits, as Adyen's are
/// (`QFQTPCQ8HXSKGK82` in its examples), unique for the life of the twin. One counter
/// serves payments and modifications alike; 7,919 is prime to 36^14, so spreading the
/// counter by it is one-to-one for the first 36^14 references. Two characters of
/// prefix: `QF`, or the variance seed's.
pub(super) fn next_psp(t: &TwinInner) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const SPACE: u128 = 36u128.pow(14);
    let n = t.references.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let prefix = t.variance.as_ref().map_or(*b"QF", |v| v.psp_prefix);
    let mut x = u128::from(n) * 7_919 % SPACE;
    let mut out = [b'0'; 16];
    out[..2].copy_from_slice(&prefix);
    for slot in out[2..].iter_mut().rev() {
        *slot = DIGITS[(x % 36) as usize];
        x /= 36;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn ok(body: Value) -> TwinResponse {
    TwinResponse::json(200, "application/json", body)
}

/// One kind of modification: its name in the ledger (and the failing holder name),
/// what it does to the money and its notification's eventCode.
pub(crate) struct Modifying {
    pub(crate) kind: &'static str,
    pub(crate) apply: fn(i64) -> Op,
    pub(crate) event: &'static str,
}

/// The modifications both Adyen APIs make, by their action: the ledger's name, the
/// money rule and the notification's eventCode are the same on each.
pub(crate) fn modifying(action: Action) -> Option<Modifying> {
    let m = |kind, apply, event| Some(Modifying { kind, apply, event });
    match action {
        Action::Settle | Action::PartialSettle => m("capture", Op::SettlePartial, "CAPTURE"),
        Action::Cancel => m("cancel", |_| Op::CancelFull, "CANCELLATION"),
        Action::Refund | Action::PartialRefund => m("refund", Op::RefundPartial, "REFUND"),
        Action::CancelOrRefund | Action::Reverse => m("cancelOrRefund", |_| Op::Reverse, "CANCEL_OR_REFUND"),
        Action::TechnicalCancel => m("technicalCancel", |_| Op::Reverse, "TECHNICAL_CANCEL"),
        Action::AdjustAuthorisation => m("adjustAuthorisation", Op::Adjust, "AUTHORISATION_ADJUSTMENT"),
        Action::Authorize | Action::PartialCancel | Action::Events => None,
    }
}

fn handle(ctx: &Ctx<'_>, op: &Operation, body: &Value) -> TwinResponse {
    let Some(which) = AdyenOp::of(op.info) else {
        return error(404, "000", "Requested endpoint was not found", "validation");
    };
    let ack = match which {
        AdyenOp::PostAuthorise => return authorise(ctx, body),
        AdyenOp::PostCapture => "[capture-received]",
        AdyenOp::PostCancel => "[cancel-received]",
        AdyenOp::PostRefund => "[refund-received]",
        AdyenOp::PostCancelOrRefund => "[cancelOrRefund-received]",
        AdyenOp::PostAdjustAuthorisation => "[adjustAuthorisation-received]",
        AdyenOp::PostTechnicalCancel => "[technical-cancel-received]",
    };
    let Some(how) = op.action.and_then(modifying) else {
        return error(404, "000", "Requested endpoint was not found", "validation");
    };
    let p = if which == AdyenOp::PostTechnicalCancel {
        let reference = body["originalMerchantReference"].as_str().unwrap_or("");
        match ctx.twin.ledger.find_reference(ctx.merchant, reference) {
            Some(p) => p,
            None => {
                return error(422, "167", "Original merchant reference not found for this operation", "validation");
            }
        }
    } else {
        let original = body["originalReference"].as_str().unwrap_or("");
        let Some(p) = ctx.twin.ledger.find_external(ctx.merchant, original) else {
            return error(422, "167", "Original pspReference required for this operation", "validation");
        };
        p
    };
    let amount = match body.get("modificationAmount") {
        Some(m) => match int64(&m["value"]) {
            Some(a) => Some(a),
            None => return error(422, "100", "Field 'modificationAmount.value' must be an integer", "validation"),
        },
        None => None,
    };
    let reference = modify(ctx, body, &p, how, amount);
    ok(json!({"pspReference": reference, "response": ack}))
}

/// Decide a modification and return its new pspReference (the caller acknowledges it):
/// a broken rule is recorded as a failed modification and moves no money, as Adyen
/// reports it later in a notification. `body` is in the classic shape
/// (`merchantAccount`, `reference`, `modificationAmount`).
pub(crate) fn modify(ctx: &Ctx<'_>, body: &Value, p: &Payment, how: Modifying, amount: Option<i64>) -> String {
    let Modifying { kind, apply, event } = how;
    let op = apply(amount.unwrap_or(0));
    let t = ctx.twin;
    let reference = next_psp(t);
    let currency = body["modificationAmount"]["currency"].as_str();
    // Adyen's failed-modification test values: acknowledged, notified as done, then
    // failed, no money moved. Adyen's own CAPTURE_FAILED and REFUND_FAILED examples
    // (Webhooks-v1) carry success "true" and the reason "Capture Failed" / "Refund
    // Failed": the notification reports the failure event itself.
    if p.fails == Some(kind) {
        let (failed, reason) =
            if kind == "capture" { ("CAPTURE_FAILED", "Capture Failed") } else { ("REFUND_FAILED", "Refund Failed") };
        t.ledger.record(
            ctx.merchant,
            p.id,
            Modification { kind, reference: reference.clone(), amount, success: false, reason: Some(reason.into()) },
        );
        let n = Notice { event, psp_reference: &reference, amount, success: true, reason: None, action: None };
        notify(ctx, body, p, n);
        let n = Notice { event: failed, reason: Some(reason), ..n };
        notify(ctx, body, p, n);
        return reference;
    }
    let outcome = match p.status {
        // Adyen's v40 document: the modification's currency must match the authorisation's.
        _ if currency.is_some_and(|c| c != p.currency) => Some(Err(RuleError::CurrencyMismatch {
            requested: currency.unwrap_or_default().to_string(),
            authorised: p.currency.clone(),
        })),
        Status::Refused | Status::Pending => Some(Err(RuleError::NotAuthorized)),
        // Adyen documents that a captured payment can no longer be cancelled.
        _ if kind == "cancel" && p.settled > 0 => Some(Err(RuleError::CancelNotAllowed)),
        // Adyen's "Adjust authorisation": only a pre-authorisation can be adjusted. What
        // it answers for another is not published; the twin acknowledges, then notifies
        // the adjustment as failed (a @twin scenario pins it).
        _ if kind == "adjustAuthorisation" && !p.pre_auth => Some(Err(RuleError::NotPreAuthorisation)),
        _ => t.ledger.apply(ctx.merchant, p.id, op),
    };
    let (success, reason) = match outcome {
        Some(Ok(_)) => (true, None),
        Some(Err(e)) => (false, Some(e.to_string())),
        None => (false, Some("payment no longer known".into())),
    };
    // Adyen's CANCEL_OR_REFUND example names what was done in `modification.action`.
    let action = (kind == "cancelOrRefund").then_some(if p.settled > 0 { "refund" } else { "cancel" });
    let n = Notice { event, psp_reference: &reference, amount, success, reason: reason.as_deref(), action };
    notify(ctx, body, p, n);
    t.ledger.record(ctx.merchant, p.id, Modification { kind, reference: reference.clone(), amount, success, reason });
    reference
}

/// The twin-only view of one payment and its modifications.
pub(crate) fn inspect(t: &TwinInner, merchant: u64, psp_reference: &str) -> TwinResponse {
    let Some(p) = t.ledger.find_external(merchant, psp_reference) else {
        return error(422, "167", "Original pspReference required for this operation", "validation");
    };
    let history = t.ledger.history(merchant, p.id).unwrap_or_default();
    let mods: Vec<Value> = history
        .kept
        .iter()
        .map(|m| {
            json!({"eventCode": m.kind, "pspReference": m.reference, "amount": m.amount,
                         "success": m.success, "reason": m.reason})
        })
        .collect();
    ok(json!({
        "pspReference": p.external_id, "status": format!("{:?}", p.status), "currency": p.currency,
        "authorised": p.authorized, "captured": p.settled, "refunded": p.refunded, "cancelled": p.cancelled,
        "modifications": mods, "modificationsTotal": history.total,
    }))
}
