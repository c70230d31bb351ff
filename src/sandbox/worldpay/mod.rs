//! Worldpay Card Payments v7 and Payments API 2024-06-01 on one ledger.
//!
//! Rule breaks on a known payment answer 400 in the documented error shape with one
//! of these `errorName`s (our choice; Worldpay does not publish them):
//! `cancelNotAllowed`, `settlementNotAllowed`, `amountExceedsAuthorizedAmount`,
//! `refundNotAllowed`, `amountExceedsSettledAmount`, `amountMustBePositive`.

use serde_json::{Map, Value, json};

use super::ledger::{Event, Op as LedgerOp, Payment, PaymentId, RuleError};
use crate::operation::Action;

/// The amount of a partial modification, or the answer that refuses it.
macro_rules! try_amount {
    ($e:expr) => {
        match $e {
            Ok(a) => a,
            Err(r) => return r,
        }
    };
}
mod authorize;

use authorize::authorize;

use super::gate::Gateway;
use super::{Ctx, Protective, TwinRequest, TwinResponse, V7_MEDIA, int64, worldpay_validation_errors};
use crate::operation::Api;
use crate::operation::OperationInfo;
use crate::spec::{Operation, Rule, SchemaViolation, media_is, spec};

fn media(api: Api) -> &'static str {
    if api == Api::WorldpayV7 { V7_MEDIA } else { "application/json" }
}

/// An error in Worldpay's shape.
pub(crate) fn error(api: Api, status: u16, name: &str, message: &str, header: Option<&str>) -> TwinResponse {
    let mut body = json!({"errorName": name, "message": message});
    if let Some(h) = header {
        body["headerName"] = json!(h);
    }
    TwinResponse::json(status, media(api), body)
}

pub(crate) fn validation_error(api: Api, violations: &[SchemaViolation]) -> TwinResponse {
    let body = json!({
        "errorName": "bodyDoesNotMatchSchema",
        "message": "The json body provided does not match the expected schema",
        "validationErrors": worldpay_validation_errors(violations),
    });
    TwinResponse::json(400, media(api), body)
}

/// Worldpay's two APIs (Card Payments v7 and the Payments API): one ledger, two wire
/// shapes.
pub(crate) struct Worldpay(pub(crate) Api);

impl Gateway for Worldpay {
    fn unauthorized(&self) -> TwinResponse {
        error(self.0, 401, "accessDenied", "Access to the requested resource has been denied.", None)
    }
    fn endpoint_not_found(&self) -> TwinResponse {
        error(self.0, 404, "endpointNotFound", "Requested endpoint was not found.", None)
    }
    fn preferred(&self, status: u16) -> TwinResponse {
        match status {
            500 => self.internal_error(),
            404 => error(self.0, 404, "resourceNotFound", "Resource not found", None),
            c => error(self.0, c, "preferredStatus", "Preferred status (Prefer: code)", None),
        }
    }
    fn check_headers(&self, op: &Operation, req: &TwinRequest) -> Option<TwinResponse> {
        if self.0 == Api::WorldpayV7 { v7_headers(op, req) } else { payments_headers(op, req) }
    }
    fn body_empty(&self) -> TwinResponse {
        error(self.0, 400, "bodyIsEmpty", "The body of the request is empty.", None)
    }
    fn body_not_json(&self, _: &serde_json::Error) -> TwinResponse {
        error(self.0, 400, "bodyIsNotJson", "The body of the request is not valid JSON.", None)
    }
    fn invalid(&self, violations: &[SchemaViolation]) -> TwinResponse {
        validation_error(self.0, violations)
    }
    fn protective(&self, kind: Protective) -> TwinResponse {
        let (status, name, message) = kind.describe();
        error(self.0, status, name, &message, None)
    }
    fn internal_error(&self) -> TwinResponse {
        let message = "We cannot currently process your request. Please contact support.";
        error(self.0, 500, "internalErrorOccurred", message, None)
    }
    fn handle(&self, ctx: &Ctx<'_>, op: &Operation, link: Option<&str>, body: &Value, _: &TwinRequest) -> TwinResponse {
        handle(ctx, self.0, op, link, body)
    }
}

/// Worldpay documents both media-type headers as required on every v7 operation, GET
/// and body-less POST included (spec: components/parameters), and 415 as the answer;
/// the generated clients send both on every request.
fn v7_headers(op: &Operation, req: &TwinRequest) -> Option<TwinResponse> {
    let api = Api::WorldpayV7;
    let has_body = !req.body.is_empty();
    let content_type = req.header("content-type");
    if content_type.is_none() && op.headers.iter().any(|h| h.required && h.name.eq_ignore_ascii_case("content-type")) {
        return Some(error(api, 415, "headerIsMissing", "The Content-Type header is missing", None));
    }
    if (content_type.is_some() || has_body) && !media_is(content_type, V7_MEDIA) {
        return Some(error(api, 415, "headerHasInvalidValue", "Bad content type", None));
    }
    match req.header("accept") {
        None if op.headers.iter().any(|h| h.required && h.name.eq_ignore_ascii_case("accept")) => {
            return Some(error(api, 415, "headerIsMissing", "The Accept header is missing", None));
        }
        Some(accept)
            if !accept.split(',').any(|m| [V7_MEDIA, "*/*", "application/*"].iter().any(|x| media_is(Some(m), x))) =>
        {
            return Some(error(api, 415, "headerHasInvalidValue", "Bad accept type", None));
        }
        _ => {}
    }
    None
}

/// The Payments API's required headers (406), its Accept (406) and Content-Type (406
/// when missing, 415 when another).
fn payments_headers(op: &Operation, req: &TwinRequest) -> Option<TwinResponse> {
    let api = Api::WorldpayPayments;
    let has_body = !req.body.is_empty();
    for h in op.headers.iter().filter(|h| h.required) {
        match req.header(&h.name) {
            None => {
                return Some(error(api, 406, "headerIsMissing", "A valid header must be provided.", Some(&h.name)));
            }
            Some(v) if h.allowed.as_ref().is_some_and(|a| !a.iter().any(|x| x == v)) => {
                return Some(error(
                    api,
                    406,
                    "headerHasInvalidValue",
                    "A valid header must be provided.",
                    Some(&h.name),
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(accept) = req.header("accept") {
        let ok = accept
            .split(',')
            .any(|m| ["application/json", "*/*", "application/*"].iter().any(|x| media_is(Some(m), x)));
        if !ok {
            return Some(error(api, 406, "headerHasInvalidValue", "A valid header must be provided.", Some("Accept")));
        }
    }
    // A missing Content-Type is a missing header like the others (406 headerIsMissing
    // naming it, issue 20); a body-less operation may come without one, but one that
    // names another media type is refused: the vendor documents 415 for these too.
    let content_type = req.header("content-type");
    if content_type.is_none() && (op.request.is_some() || has_body) {
        return Some(error(api, 406, "headerIsMissing", "A valid header must be provided.", Some("Content-Type")));
    }
    if content_type.is_some() && !media_is(content_type, "application/json") {
        return Some(error(
            api,
            415,
            "headerHasInvalidValue",
            "A valid header must be provided.",
            Some("Content-Type"),
        ));
    }
    None
}

fn rule_error(ctx: &Ctx<'_>, api: Api, e: &RuleError) -> TwinResponse {
    if let Some(v) = &ctx.twin.variance {
        return error(api, 400, v.rule_error_name, &format!("{}: {e}", v.rule_error_message), None);
    }
    let name = match e {
        RuleError::CancelNotAllowed => "cancelNotAllowed",
        RuleError::SettleNotAllowed
        | RuleError::AdjustNotAllowed
        | RuleError::NotAuthorized
        | RuleError::NotPreAuthorisation => "settlementNotAllowed",
        RuleError::AdjustBelowCancelled { .. } => "amountExceedsAuthorizedAmount",
        RuleError::CurrencyMismatch { .. } => "currencyMismatch",
        RuleError::ExceedsAuthorized { .. } => "amountExceedsAuthorizedAmount",
        RuleError::RefundNotAllowed => "refundNotAllowed",
        RuleError::ExceedsSettled { .. } => "amountExceedsSettledAmount",
        RuleError::NotPositive => "amountMustBePositive",
    };
    error(api, 400, name, &capitalize(&e.to_string()), None)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn not_found(api: Api) -> TwinResponse {
    error(api, 404, "resourceNotFound", "The requested resource was not found.", None)
}

fn handle(ctx: &Ctx<'_>, api: Api, op: &Operation, link: Option<&str>, body: &Value) -> TwinResponse {
    let Some(action) = op.action else {
        return error(api, 404, "endpointNotFound", "Requested endpoint was not found.", None);
    };
    let amount = || amount(api, body);
    let ledger_op = match action {
        Action::Authorize => return authorize(ctx, api, op, body),
        Action::Settle => Some(LedgerOp::SettleFull),
        Action::PartialSettle => Some(LedgerOp::SettlePartial(try_amount!(amount()))),
        Action::Refund => Some(LedgerOp::RefundFull),
        Action::PartialRefund => Some(LedgerOp::RefundPartial(try_amount!(amount()))),
        Action::Cancel => Some(LedgerOp::CancelFull),
        Action::PartialCancel => Some(LedgerOp::CancelPartial(try_amount!(amount()))),
        Action::Reverse => Some(LedgerOp::Reverse),
        Action::Events => None,
        // Adyen's words; no Worldpay operation declares them.
        Action::CancelOrRefund | Action::TechnicalCancel | Action::AdjustAuthorisation => {
            return error(api, 404, "endpointNotFound", "Requested endpoint was not found.", None);
        }
    };
    let Some(token) = link else { return not_found(api) };
    let t = ctx.twin;
    let Some(pid) = t.keys.verify(token, action, ctx.merchant) else { return not_found(api) };
    let Some(ledger_op) = ledger_op else {
        return match t.ledger.get(ctx.merchant, pid) {
            Some(p) => events(ctx, api, op, &p),
            None => not_found(api),
        };
    };
    // Variance mode: the event before this change stays visible for a few queries.
    let before = t.variance.as_ref().and_then(|_| t.ledger.get(ctx.merchant, pid)).map(|p| p.last_event);
    match t.ledger.apply(ctx.merchant, pid, ledger_op) {
        None => not_found(api),
        Some(Err(e)) => match (&t.variance, failed_event(&e)) {
            (Some(v), Some(failed)) if v.async_refusals => received_then_failed(ctx, api, op, pid, before, failed),
            _ => rule_error(ctx, api, &e),
        },
        Some(Ok(p)) => {
            if let (Some(v), Some(before)) = (&t.variance, before) {
                t.lagging.lock().unwrap_or_else(|e| e.into_inner()).insert(p.id, (before, v.event_lag));
            }
            modified(ctx, api, op, &p)
        }
    }
}

/// The event that reports a refused change asynchronously: an amount beyond what is
/// left to settle or to refund.
fn failed_event(e: &RuleError) -> Option<Event> {
    match e {
        RuleError::ExceedsAuthorized { .. } => Some(Event::SettlementFailed),
        RuleError::ExceedsSettled { .. } => Some(Event::RefundFailed),
        _ => None,
    }
}

/// Variance mode: the change is received (202, with the payment's links as they are)
/// and then fails in its event, after the usual lag; no money moves.
fn received_then_failed(
    ctx: &Ctx<'_>,
    api: Api,
    op: &Operation,
    pid: PaymentId,
    before: Option<Event>,
    failed: Event,
) -> TwinResponse {
    let t = ctx.twin;
    let Some(p) = t.ledger.fail(ctx.merchant, pid, failed) else { return not_found(api) };
    if let (Some(v), Some(before)) = (&t.variance, before) {
        t.lagging.lock().unwrap_or_else(|e| e.into_inner()).insert(p.id, (before, v.event_lag));
    }
    // The answer says what was asked for, as a 202 does before it is processed.
    let mut shown = p.clone();
    shown.last_event = if failed == Event::SettlementFailed { Event::SentForSettlement } else { Event::SentForRefund };
    modified(ctx, api, op, &shown)
}

/// The event an events query shows: in variance mode, the one before the last change
/// for the first few queries after it.
fn shown_event(ctx: &Ctx<'_>, p: &Payment) -> Event {
    if ctx.twin.variance.is_none() {
        return p.last_event;
    }
    let mut lagging = ctx.twin.lagging.lock().unwrap_or_else(|e| e.into_inner());
    match lagging.get_mut(&p.id) {
        Some((before, left)) if *left > 0 => {
            *left -= 1;
            *before
        }
        _ => {
            lagging.remove(&p.id);
            p.last_event
        }
    }
}

/// `value.amount` of a modification body; never silently 0.
fn amount(api: Api, body: &Value) -> Result<i64, TwinResponse> {
    int64(&body["value"]["amount"]).ok_or_else(|| not_an_integer(api, "$.value.amount"))
}

fn not_an_integer(api: Api, json_path: &str) -> TwinResponse {
    validation_error(
        api,
        &[SchemaViolation {
            pointer: String::new(),
            json_path: json_path.into(),
            rule: Rule::Type("integer"),
            message: "must be an integer".into(),
        }],
    )
}

/// What an operation a link names does (its `x-payconform-action`), and whether the
/// money rules allow it on `p` now.
fn action_of(target: &OperationInfo, p: &Payment) -> Option<(Action, bool)> {
    let action = target.action?;
    let allowed = match action {
        Action::Cancel | Action::PartialCancel => p.can_cancel(),
        // A full settle or refund is offered only before any partial one.
        Action::Settle => p.can_settle() && p.settled == 0,
        Action::PartialSettle => p.can_settle(),
        Action::Refund => p.can_refund() && p.refunded == 0,
        Action::PartialRefund => p.can_refund(),
        Action::Reverse => (p.can_cancel() && p.settled == 0) || (p.can_refund() && p.refunded == 0),
        Action::Events => true,
        Action::Authorize | Action::CancelOrRefund | Action::TechnicalCancel | Action::AdjustAuthorisation => false,
    };
    Some((action, allowed))
}

/// The links a response of `op` with `status` carries for `p`: exactly the next
/// actions `spec/` documents for that response (`x-payconform-next`), those the money
/// rules allow now. v7 puts them in `_links` with curies; the Payments API in `_actions`
/// beside `_links.self`.
fn links(ctx: &Ctx<'_>, api: Api, op: &Operation, status: u16, p: &Payment) -> Map<String, Value> {
    let keys = &ctx.twin.keys;
    let s = spec(api);
    let href = |target: &OperationInfo, action: Action| {
        format!("{}{}", ctx.base, target.path.replace("{linkData}", &keys.issue(p.id, action, p.merchant)))
    };
    let offered = op.next_for(status).iter().filter_map(|next| {
        let target = s.operation(next.operation?)?;
        match action_of(target, p) {
            Some((action, true)) => Some((next.relation, href(target, action))),
            _ => None,
        }
    });
    let mut out = Map::new();
    match api {
        Api::WorldpayV7 => {
            let mut l: Map<String, Value> = offered.map(|(rel, h)| (rel.to_string(), json!({"href": h}))).collect();
            l.insert(
                "curies".into(),
                json!([{"name": "cardPayments", "href": format!("{}/rels/cardPayments/{{rel}}", ctx.base), "templated": true}]),
            );
            out.insert("_links".into(), Value::Object(l));
        }
        _ => {
            let a: Map<String, Value> =
                offered.map(|(rel, h)| (rel.to_string(), json!({"href": h, "method": "POST"}))).collect();
            let events = s.operation_for(Action::Events).map(|o| href(o, Action::Events)).unwrap_or_default();
            out.insert("_links".into(), json!({"self": {"href": events}}));
            out.insert("_actions".into(), Value::Object(a));
        }
    }
    out
}

/// A successful answer; in variance mode with an extra, undocumented field.
fn success(ctx: &Ctx<'_>, api: Api, status: u16, mut body: Map<String, Value>) -> TwinResponse {
    if let Some(v) = &ctx.twin.variance {
        body.insert(v.extra_field.clone(), json!(v.seed));
    }
    respond(api, status, body)
}

fn respond(api: Api, status: u16, body: Map<String, Value>) -> TwinResponse {
    TwinResponse::json(status, media(api), Value::Object(body))
}

fn modified(ctx: &Ctx<'_>, api: Api, operation: &Operation, p: &Payment) -> TwinResponse {
    let mut body = links(ctx, api, operation, 202, p);
    if api == Api::WorldpayPayments {
        let outcome = match (operation.action, p.last_event) {
            (Some(Action::PartialRefund), _) => "sentForPartialRefund",
            (Some(Action::Reverse), _) => "sentForReversal",
            (_, Event::SentForSettlement) => "sentForSettlement",
            (_, Event::SentForRefund) => "sentForRefund",
            _ => "sentForCancellation",
        };
        body.insert("outcome".into(), json!(outcome));
    }
    body.insert("paymentId".into(), json!(p.external_id));
    // The vendor's v7 document gives settlements' and refunds' 202 answers a commandId
    // of 21 to 36 characters of [A-Za-z0-9_-].
    let command = matches!(
        operation.action,
        Some(Action::Settle | Action::PartialSettle | Action::Refund | Action::PartialRefund)
    );
    if api == Api::WorldpayV7 && command {
        body.insert("commandId".into(), json!(command_id(ctx)));
    }
    success(ctx, api, 202, body)
}

/// A new v7 commandId: `cmd` and 22 characters, as seed 004's example has it
/// (`cmdufG9bsUF410NdvLio-s-y0`), unique for the life of the twin.
pub(super) fn command_id(ctx: &Ctx<'_>) -> String {
    format!("cmd{:0>22}", ctx.twin.references.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

fn events(ctx: &Ctx<'_>, api: Api, op: &Operation, p: &Payment) -> TwinResponse {
    let mut body = links(ctx, api, op, 200, p);
    body.insert("lastEvent".into(), json!(shown_event(ctx, p).worldpay_name()));
    success(ctx, api, 200, body)
}
