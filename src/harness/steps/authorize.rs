//! Authorizing a payment, the right way and deliberately wrong ways.

use cucumber::{given, when};
use serde_json::{Value, json};

use super::params::Currency;
use crate::client::{adyen, worldpay_payments, worldpay_v7};
use crate::harness::world::{ConformanceWorld, Tweak};
use crate::operation::OperationInfo;
use crate::spec::Api;

/// Options of one authorization.
#[derive(Default)]
struct Opts {
    partial: bool,
    auto: bool,
    holder: Option<String>,
    /// Adyen: `additionalData.authorisationType: PreAuth`.
    pre_auth: bool,
}

const WORLDPAY_CARD: &str = "4444333322221111";
const ADYEN_CARD: &str = "4111111111111111";

/// The authorization request of the scenario's API for `amount` `currency` (the sweep
/// uses it too).
pub(crate) fn authorization(
    w: &mut ConformanceWorld,
    amount: i64,
    currency: &str,
) -> Result<(Api, &'static OperationInfo, Value), String> {
    body(w, amount, currency, &Opts::default())
}

/// The authorization request of the scenario's API for `amount` `currency`.
fn body(
    w: &mut ConformanceWorld,
    amount: i64,
    currency: &str,
    o: &Opts,
) -> Result<(Api, &'static OperationInfo, Value), String> {
    let api = w.api()?;
    let reference = w.next_reference()?;
    let merchant = w.conn()?.endpoint.merchant.clone();
    w.payment.reference = reference.clone();
    w.payment.amount = amount;
    w.payment.currency = currency.to_string();
    Ok(match api {
        _ if o.pre_auth && api != Api::Adyen => {
            return Err("a pre-authorisation is an Adyen option; Worldpay estimates an authorization instead".into());
        }
        Api::WorldpayV7 => {
            let mut card =
                json!({"type": "card/plain", "cardNumber": WORLDPAY_CARD, "expiryDate": {"month": 5, "year": 2030}});
            if let Some(h) = &o.holder {
                card["cardHolderName"] = json!(h);
            }
            let mut value = json!({"amount": amount, "currency": currency});
            if o.partial {
                value["acceptPartialAmount"] = json!(true);
            }
            let b = json!({"transactionReference": reference, "merchant": {"entity": merchant}, "channel": "ecom",
                "instruction": {"requestAutoSettlement": {"enabled": o.auto}, "narrative": {"line1": "payconform"},
                    "value": value, "paymentInstrument": card}});
            (api, worldpay_v7::Op::Authorize.info(), b)
        }
        Api::WorldpayPayments => {
            let mut card =
                json!({"type": "plain", "cardNumber": WORLDPAY_CARD, "expiryDate": {"month": 5, "year": 2030}});
            if let Some(h) = &o.holder {
                card["cardHolderName"] = json!(h);
            }
            let mut value = json!({"amount": amount, "currency": currency});
            if o.partial {
                value["acceptPartialAmount"] = json!(true);
            }
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
    })
}

async fn authorize(w: &mut ConformanceWorld, amount: i64, currency: &str, o: Opts) -> Result<(), String> {
    let (api, op, b) = body(w, amount, currency, &o)?;
    w.payment.links.clear();
    w.payment.offered = None;
    w.payment.captured = 0;
    w.call(op, None, Some(b)).await?;
    if api == Api::Adyen {
        w.payment.psp_reference = w.field("pspReference")?.and_then(Value::as_str).map(str::to_string);
    }
    Ok(())
}

async fn authorize_wrongly(w: &mut ConformanceWorld, amount: i64, currency: &str, t: Tweak) -> Result<(), String> {
    let (_, op, b) = body(w, amount, currency, &Opts::default())?;
    w.call_raw(op, None, Some(b), t).await
}

/// `When I authorize 100 GBP`
#[given(expr = "I authorize {int} {currency}")]
#[when(expr = "I authorize {int} {currency}")]
async fn plain(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize(w, amount, &currency.0, Opts::default()).await
}

/// `When I pre-authorise 1000 EUR` (Adyen: `additionalData.authorisationType: PreAuth`,
/// which its "Adjust authorisation" page requires before an adjustment)
#[given(expr = "I pre-authorise {int} {currency}")]
#[when(expr = "I pre-authorise {int} {currency}")]
async fn pre_authorise(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize(w, amount, &currency.0, Opts { pre_auth: true, ..Opts::default() }).await
}

/// `When I authorize 1706 GBP accepting a partial amount`
#[given(expr = "I authorize {int} {currency} accepting a partial amount")]
#[when(expr = "I authorize {int} {currency} accepting a partial amount")]
async fn partial(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize(w, amount, &currency.0, Opts { partial: true, ..Opts::default() }).await
}

/// `When I authorize 100 GBP with auto-settlement`
#[given(expr = "I authorize {int} {currency} with auto-settlement")]
#[when(expr = "I authorize {int} {currency} with auto-settlement")]
async fn auto(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize(w, amount, &currency.0, Opts { auto: true, ..Opts::default() }).await
}

/// `When I authorize 100 GBP for card holder "REFUSED"`
#[given(expr = "I authorize {int} {currency} for card holder {string}")]
#[when(expr = "I authorize {int} {currency} for card holder {string}")]
async fn with_holder(w: &mut ConformanceWorld, amount: i64, currency: Currency, holder: String) -> Result<(), String> {
    authorize(w, amount, &currency.0, Opts { holder: Some(holder), ..Opts::default() }).await
}

/// `When I authorize 100 GBP with auto-settlement accepting a partial amount` (invalid on v7)
#[when(expr = "I authorize {int} {currency} with auto-settlement accepting a partial amount")]
async fn auto_partial(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    let (_, op, b) = body(w, amount, &currency.0, &Opts { auto: true, partial: true, ..Opts::default() })?;
    w.call(op, None, Some(b)).await
}

/// `When I authorize 100 GBP without credentials`
#[when(expr = "I authorize {int} {currency} without credentials")]
async fn no_credentials(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { no_credentials: true, ..Tweak::default() }).await
}

/// `When I authorize 100 GBP with malformed credentials`
#[when(expr = "I authorize {int} {currency} with malformed credentials")]
async fn malformed_credentials(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { malformed_credentials: true, ..Tweak::default() }).await
}

/// `When I authorize 100 GBP with the Content-Type "text/plain"`
#[when(expr = "I authorize {int} {currency} with the Content-Type {string}")]
async fn content_type(w: &mut ConformanceWorld, amount: i64, currency: Currency, ct: String) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { content_type: Some(ct), ..Tweak::default() }).await
}

/// `When I authorize 100 GBP without the "WP-Api-Version" header`
#[when(expr = "I authorize {int} {currency} without the {string} header")]
async fn without_header(w: &mut ConformanceWorld, amount: i64, currency: Currency, h: String) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { drop_header: Some(h), ..Tweak::default() }).await
}

/// `When I authorize 100 GBP with the "WP-Api-Version" header set to "2023-01-01"`
#[when(expr = "I authorize {int} {currency} with the {string} header set to {string}")]
async fn with_header(
    w: &mut ConformanceWorld,
    amount: i64,
    currency: Currency,
    h: String,
    v: String,
) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { set_header: Some((h, v)), ..Tweak::default() }).await
}

/// `When I authorize 100 GBP without the field "instruction.narrative"`
#[when(expr = "I authorize {int} {currency} without the field {string}")]
async fn without_field(w: &mut ConformanceWorld, amount: i64, currency: Currency, f: String) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { drop_field: Some(f), ..Tweak::default() }).await
}

/// `When I authorize 100 GBP with the field "channel" set to "web"` (always a string)
#[when(expr = "I authorize {int} {currency} with the field {string} set to {string}")]
async fn with_field(
    w: &mut ConformanceWorld,
    amount: i64,
    currency: Currency,
    f: String,
    v: String,
) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { set_field: Some((f, Value::String(v))), ..Tweak::default() })
        .await
}

/// `When I authorize 100 GBP with the field "instruction.value.amount" set to the JSON "-1"`
#[when(expr = "I authorize {int} {currency} with the field {string} set to the JSON {string}")]
async fn with_json(
    w: &mut ConformanceWorld,
    amount: i64,
    currency: Currency,
    f: String,
    v: String,
) -> Result<(), String> {
    let value: Value = serde_json::from_str(&v).map_err(|e| format!("{v:?} is not JSON: {e}"))?;
    authorize_wrongly(w, amount, &currency.0, Tweak { set_field: Some((f, value)), ..Tweak::default() }).await
}

/// `When I send the authorization body "{not json"`
#[when(expr = "I send the authorization body {string}")]
async fn raw_body(w: &mut ConformanceWorld, raw: String) -> Result<(), String> {
    authorize_wrongly(w, 100, "GBP", Tweak { raw_body: Some(raw.into_bytes()), ..Tweak::default() }).await
}
