//! Adyen's Checkout API v71 (served under `/checkout/v71` and `/checkout/v72`, both
//! with the v71 behaviour): card payments and the six modifications, on the classic
//! API's machinery. The rules are the same as there (Adyen runs both on one payment
//! platform): the test values, the currency rule, idempotency, the money rules, the
//! notifications and their signing. What differs is the wire:
//!
//! - `/payments` takes the card in `paymentMethod` (type `scheme`) and answers with
//!   `merchantReference`, the `amount` and, when authorised, `additionalData.authCode`
//!   (as Adyen's card example shows).
//! - A modification names the payment in its path (`paymentPspReference`), takes
//!   `amount` (not `modificationAmount`) and answers 201 with `status: received`, the
//!   payment's pspReference and its own. Its outcome comes only as a notification.
//! - `/cancels` cancels by the merchant's `paymentReference` (TECHNICAL_CANCEL).
//! - An unknown `paymentPspReference` or `paymentReference`: 422 `167`, as the classic
//!   API answers an unknown original reference. Adyen's Checkout document names no
//!   code for it; this is our choice (README, "Decisions").
//! - A missing `returnUrl`: 422 `14_030` "Return URL is missing.", Adyen's own 422
//!   example for `/payments`.

use serde_json::{Value, json};

use super::{Adyen, error, idempotent, modify, modifying};
use crate::client::adyen_checkout::Op as CheckoutOp;
use crate::sandbox::gate::Gateway;
use crate::sandbox::ledger::Merchant;
use crate::sandbox::{Ctx, Protective, TwinInner, TwinRequest, TwinResponse, int64};
use crate::spec::{Operation, Rule, SchemaViolation};

/// Adyen's Checkout API: the classic gateway's gate, its own wire.
pub(crate) struct AdyenCheckout;

impl Gateway for AdyenCheckout {
    fn unauthorized(&self) -> TwinResponse {
        Adyen.unauthorized()
    }
    fn api_key_header(&self) -> Option<&'static str> {
        Adyen.api_key_header()
    }
    fn endpoint_not_found(&self) -> TwinResponse {
        Adyen.endpoint_not_found()
    }
    fn preferred(&self, status: u16) -> TwinResponse {
        Adyen.preferred(status)
    }
    fn check_headers(&self, op: &Operation, req: &TwinRequest) -> Option<TwinResponse> {
        Adyen.check_headers(op, req)
    }
    fn body_empty(&self) -> TwinResponse {
        Adyen.body_empty()
    }
    fn body_not_json(&self, e: &serde_json::Error) -> TwinResponse {
        Adyen.body_not_json(e)
    }
    fn invalid(&self, violations: &[SchemaViolation]) -> TwinResponse {
        let v = &violations[0];
        if v.rule == Rule::Missing && v.json_path == "$.returnUrl" {
            return error(422, "14_030", "Return URL is missing.", "validation");
        }
        // The card sits in `paymentMethod` here, where the classic API has `card`.
        let renamed: Vec<SchemaViolation> = violations
            .iter()
            .map(|v| {
                let mut v = v.clone();
                if let Some(rest) = v.json_path.strip_prefix("$.paymentMethod.") {
                    v.json_path = format!("$.card.{rest}");
                }
                v
            })
            .collect();
        let mut r = Adyen.invalid(&renamed);
        // Name the field as this API spells it.
        if let Some(text) = r.body["message"].as_str() {
            r.body["message"] = json!(text.replace("'card.", "'paymentMethod."));
        }
        r
    }
    fn protective(&self, kind: Protective) -> TwinResponse {
        Adyen.protective(kind)
    }
    fn internal_error(&self) -> TwinResponse {
        Adyen.internal_error()
    }
    fn inspects(&self, method: &str, rel: &str) -> bool {
        Adyen.inspects(method, rel)
    }
    fn inspect(&self, t: &TwinInner, merchant: Merchant, rel: &str) -> TwinResponse {
        Adyen.inspect(t, merchant, rel)
    }
    fn handle(
        &self,
        ctx: &Ctx<'_>,
        op: &Operation,
        link: Option<&str>,
        body: &Value,
        req: &TwinRequest,
    ) -> TwinResponse {
        idempotent(ctx, op, link, body, req, || handle(ctx, op, link, body))
    }
}

fn unknown_payment() -> TwinResponse {
    error(422, "167", "Original pspReference required for this operation", "validation")
}

fn handle(ctx: &Ctx<'_>, op: &Operation, link: Option<&str>, body: &Value) -> TwinResponse {
    let Some(which) = CheckoutOp::of(op.info) else {
        return Adyen.endpoint_not_found();
    };
    if which == CheckoutOp::PostPayments {
        return payment(ctx, body);
    }
    let Some(how) = op.action.and_then(modifying) else {
        return Adyen.endpoint_not_found();
    };
    let merchant_account = body["merchantAccount"].clone();
    let reference = body.get("reference").cloned();
    let (p, mut answer) = if which == CheckoutOp::PostCancels {
        let by = body["paymentReference"].as_str().unwrap_or("");
        let Some(p) = ctx.twin.ledger.find_reference(ctx.merchant, by) else {
            return error(422, "167", "Original merchant reference not found for this operation", "validation");
        };
        (p, json!({"merchantAccount": merchant_account, "paymentReference": by}))
    } else {
        let psp = link.unwrap_or("");
        let Some(p) = ctx.twin.ledger.find_external(ctx.merchant, psp) else {
            return unknown_payment();
        };
        let answer = json!({"merchantAccount": merchant_account, "paymentPspReference": p.external_id});
        (p, answer)
    };
    let amount = match body.get("amount") {
        Some(m) => match int64(&m["value"]) {
            Some(a) => Some(a),
            None => return error(422, "100", "Field 'amount.value' must be an integer", "validation"),
        },
        None => None,
    };
    // The classic shape the shared machinery (and its notifications) reads.
    let mut classic = json!({"merchantAccount": merchant_account, "originalReference": p.external_id});
    if let Some(r) = &reference {
        classic["reference"] = r.clone();
    }
    if let Some(a) = body.get("amount") {
        classic["modificationAmount"] = a.clone();
        answer["amount"] = a.clone();
    }
    answer["pspReference"] = json!(modify(ctx, &classic, &p, how, amount));
    match reference {
        Some(r) => answer["reference"] = r,
        // Adyen's amountUpdates answer always carries a reference.
        None if which == CheckoutOp::PostPaymentsPaymentPspReferenceAmountUpdates => answer["reference"] = json!(""),
        None => {}
    }
    answer["status"] = json!("received");
    TwinResponse::json(201, "application/json", answer)
}

/// `/payments`: the classic authorisation with the card taken from `paymentMethod`,
/// answered in Checkout's shape.
fn payment(ctx: &Ctx<'_>, body: &Value) -> TwinResponse {
    let mut classic = body.clone();
    classic["card"] = body["paymentMethod"].clone();
    let r = super::authorise::authorise(ctx, &classic);
    if r.status != 200 {
        return r;
    }
    let mut out = r.body;
    if let Some(code) = out.as_object_mut().and_then(|o| o.remove("authCode")) {
        out["additionalData"] = json!({"authCode": code});
    }
    out["merchantReference"] = body["reference"].clone();
    out["amount"] = body["amount"].clone();
    TwinResponse::json(200, "application/json", out)
}
