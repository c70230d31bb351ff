//! The requests the steps and the sweep both build: an authorization of the scenario's
//! API, and an Adyen modification of its payment. They live with the World, below both,
//! so that the sweep does not import steps.

use serde_json::{Value, json};

use super::{Action, ConformanceWorld};
use crate::client::{adyen, adyen_checkout, worldpay_payments, worldpay_v7};
use crate::operation::OperationInfo;
use crate::operation::{Api, Vendor};

/// Options of one authorization.
#[derive(Default)]
pub(crate) struct AuthOptions {
    pub(crate) partial: bool,
    pub(crate) auto: bool,
    pub(crate) holder: Option<String>,
    /// Adyen: `additionalData.authorisationType: PreAuth`.
    pub(crate) pre_auth: bool,
}

const WORLDPAY_CARD: &str = "4444333322221111";
const ADYEN_CARD: &str = "4111111111111111";

/// The authorization request of the scenario's API for `amount` `currency` (the steps
/// and the sweep).
pub(crate) fn authorization(
    w: &mut ConformanceWorld,
    amount: i64,
    currency: &str,
) -> Result<(Api, &'static OperationInfo, Value), String> {
    authorization_with(w, amount, currency, &AuthOptions::default())
}

/// A Worldpay plain card of instrument type `kind` (v7 `card/plain`, Payments API
/// `plain`) and the `value` of `amount` `currency`, as both APIs spell them.
fn worldpay_card_and_value(kind: &str, amount: i64, currency: &str, o: &AuthOptions) -> (Value, Value) {
    let mut card = json!({"type": kind, "cardNumber": WORLDPAY_CARD, "expiryDate": {"month": 5, "year": 2030}});
    if let Some(h) = &o.holder {
        card["cardHolderName"] = json!(h);
    }
    let mut value = json!({"amount": amount, "currency": currency});
    if o.partial {
        value["acceptPartialAmount"] = json!(true);
    }
    (card, value)
}

/// The authorization request of the scenario's API for `amount` `currency`, with
/// options.
pub(crate) fn authorization_with(
    w: &mut ConformanceWorld,
    amount: i64,
    currency: &str,
    o: &AuthOptions,
) -> Result<(Api, &'static OperationInfo, Value), String> {
    let api = w.api()?;
    let reference = w.next_reference()?;
    let merchant = w.conn()?.endpoint.merchant.clone();
    w.payment.reference = reference.clone();
    w.payment.amount = amount;
    w.payment.currency = currency.to_string();
    Ok(match api {
        _ if o.pre_auth && api.vendor() != Vendor::Adyen => {
            return Err("a pre-authorisation is an Adyen option; Worldpay estimates an authorization instead".into());
        }
        Api::WorldpayV7 => {
            let (card, value) = worldpay_card_and_value("card/plain", amount, currency, o);
            let b = json!({"transactionReference": reference, "merchant": {"entity": merchant}, "channel": "ecom",
                "instruction": {"requestAutoSettlement": {"enabled": o.auto}, "narrative": {"line1": "payconform"},
                    "value": value, "paymentInstrument": card}});
            (api, worldpay_v7::Op::Authorize.info(), b)
        }
        Api::WorldpayPayments => {
            let (card, value) = worldpay_card_and_value("plain", amount, currency, o);
            let mut instruction = json!({"method": "card", "narrative": {"line1": "payconform"}, "value": value,
                "paymentInstrument": card});
            if o.auto {
                instruction["settlement"] = json!({"auto": true});
            }
            let b = json!({"transactionReference": reference, "merchant": {"entity": merchant}, "instruction": instruction});
            (api, worldpay_payments::Op::Payment.info(), b)
        }
        Api::Adyen => {
            if o.partial || o.auto {
                return Err("partial amounts and auto-settlement are Worldpay options; Adyen has neither here".into());
            }
            let holder = o.holder.clone().unwrap_or_else(|| "Ada Lovelace".into());
            let mut b = json!({"merchantAccount": merchant, "reference": reference,
                "amount": {"value": amount, "currency": currency},
                "card": {"number": ADYEN_CARD, "expiryMonth": "03", "expiryYear": "2030", "cvc": "737", "holderName": holder}});
            if o.pre_auth {
                b["additionalData"] = json!({"authorisationType": "PreAuth"});
            }
            (api, adyen::Op::PostAuthorise.info(), b)
        }
        Api::AdyenCheckout => {
            if o.partial || o.auto {
                return Err("partial amounts and auto-settlement are Worldpay options; Adyen has neither here".into());
            }
            let holder = o.holder.clone().unwrap_or_else(|| "Ada Lovelace".into());
            let mut b = json!({"merchantAccount": merchant, "reference": reference,
                "amount": {"value": amount, "currency": currency},
                "paymentMethod": {"type": "scheme", "number": ADYEN_CARD, "expiryMonth": "03", "expiryYear": "2030",
                    "cvc": "737", "holderName": holder},
                "returnUrl": "https://payconform.invalid/return"});
            if o.pre_auth {
                b["additionalData"] = json!({"authorisationType": "PreAuth"});
            }
            (api, adyen_checkout::Op::PostPayments.info(), b)
        }
    })
}

/// An Adyen modification of the scenario's payment: the operation, the href to send
/// it to (Checkout names the payment in the path; `None` for the classic API's fixed
/// paths) and its body.
pub(crate) struct AdyenRequest {
    pub(crate) op: &'static OperationInfo,
    pub(crate) href: Option<String>,
    pub(crate) body: Value,
}

/// The Adyen operation, href and body for an action, on either Adyen API: the classic
/// one names the payment in `originalReference` and the amount `modificationAmount`,
/// Checkout names it in the path and the amount `amount`.
pub(crate) fn adyen_request(
    w: &mut ConformanceWorld,
    action: Action,
    amount: Option<i64>,
) -> Result<AdyenRequest, String> {
    let psp = w.payment.psp_reference.clone().ok_or("no pspReference: authorise a payment first")?;
    let api = w.api()?;
    let merchant = w.conn()?.endpoint.merchant.clone();
    let currency = w.payment.currency.clone();
    let checkout = api == Api::AdyenCheckout;
    let mut b = json!({"merchantAccount": merchant, "reference": w.next_reference()?});
    if !checkout {
        b["originalReference"] = json!(psp);
    }
    let amount_field = if checkout { "amount" } else { "modificationAmount" };
    let money = |v: i64| json!({"value": v, "currency": currency});
    let action = match action {
        Action::Settle | Action::PartialSettle => {
            b[amount_field] = money(amount.unwrap_or(w.payment.amount));
            Action::Settle
        }
        Action::Refund | Action::PartialRefund => {
            let v = amount.unwrap_or(if w.payment.captured > 0 { w.payment.captured } else { w.payment.amount });
            b[amount_field] = money(v);
            Action::Refund
        }
        Action::AdjustAuthorisation => {
            b[amount_field] = money(amount.unwrap_or(w.payment.amount));
            Action::AdjustAuthorisation
        }
        Action::Cancel => Action::Cancel,
        Action::Reverse | Action::CancelOrRefund => Action::CancelOrRefund,
        Action::PartialCancel => return Err("Adyen has no partial cancel; adjust the authorisation instead".into()),
        Action::Events => return Err("Adyen has no event query; its outcomes arrive as notifications".into()),
        Action::Authorize | Action::TechnicalCancel => {
            return Err(format!("{} is not a modification of a pspReference", action.word()));
        }
    };
    let op = crate::spec::spec(api)
        .operation_for(action)
        .ok_or_else(|| format!("{api} has no operation that does {}", action.word()))?
        .info;
    let href = checkout.then(|| {
        let base = w.conn().map(|c| c.endpoint.base_url.trim_end_matches('/').to_string()).unwrap_or_default();
        format!("{base}{}", op.path.replace("{paymentPspReference}", &psp))
    });
    Ok(AdyenRequest { op, href, body: b })
}

/// Adyen's cancel by the merchant's own reference for the payment: classic
/// `technicalCancel` (`originalMerchantReference`), Checkout `/cancels`
/// (`paymentReference`).
pub(crate) fn adyen_cancel_by_reference(w: &mut ConformanceWorld) -> Result<AdyenRequest, String> {
    let api = w.api()?;
    let merchant = w.conn()?.endpoint.merchant.clone();
    let field = if api == Api::AdyenCheckout { "paymentReference" } else { "originalMerchantReference" };
    let body = json!({"merchantAccount": merchant, field: w.payment.reference, "reference": w.next_reference()?});
    let op = crate::spec::spec(api)
        .operation_for(Action::TechnicalCancel)
        .ok_or_else(|| format!("{api} has no cancel by reference"))?
        .info;
    Ok(AdyenRequest { op, href: None, body })
}
