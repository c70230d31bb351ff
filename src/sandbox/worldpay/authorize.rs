//! Authorizing a payment on either Worldpay API: the vendor's rules for the request,
//! its issuer-response test values, the payment in the ledger, and the answer.

use serde_json::{Map, Value, json};

use super::super::ledger::{NewPayment, Payment, Status};
use super::super::{Ctx, TwinResponse, V7_MEDIA, int64};
use super::{error, links, not_an_integer, success};
use crate::operation::Api;
use crate::spec::Operation;

/// Worldpay's issuer-response test values (its card payment testing pages): a
/// `cardHolderName` magic value, its result code and its result description.
const TEST_VALUES: &[(&str, Option<&str>, &str)] = &[
    ("ERROR", None, "ERROR"),
    // The page publishes no code for plain REFUSED ("N/A"); 5 is the twin's choice,
    // pinned only by an @twin scenario.
    ("REFUSED", Some("5"), "REFUSED"),
    ("REFUSED4", Some("4"), "HOLD CARD"),
    ("REFUSED5", Some("5"), "REFUSED"),
    ("REFUSED8", Some("8"), "APPROVE AFTER IDENTIFICATION"),
    ("REFUSED13", Some("13"), "INVALID AMOUNT"),
    ("REFUSED15", Some("15"), "INVALID CARD ISSUER"),
    ("REFUSED17", Some("17"), "ANNULATION BY CLIENT"),
    ("REFUSED28", Some("28"), "ACCESS DENIED"),
    ("REFUSED29", Some("29"), "IMPOSSIBLE REFERENCE NUMBER"),
    ("REFUSED33", Some("33"), "CARD EXPIRED"),
    ("REFUSED34", Some("34"), "FRAUD SUSPICION"),
    ("REFUSED38", Some("38"), "SECURITY CODE EXPIRED"),
    ("REFUSED41", Some("41"), "LOST CARD"),
    ("REFUSED43", Some("43"), "STOLEN CARD, PICK UP"),
    ("REFUSED51", Some("51"), "LIMIT EXCEEDED"),
    ("REFUSED55", Some("55"), "INVALID SECURITY CODE"),
    // Past 55 the twin follows a copy of the table: Worldpay's page could not be read
    // that far here (tests/fixtures/vendor-facts/SOURCES.md).
    ("REFUSED56", Some("56"), "UNKNOWN CARD"),
    ("REFUSED57", Some("57"), "ILLEGAL TRANSACTION"),
    ("REFUSED62", Some("62"), "RESTRICTED CARD"),
    ("REFUSED63", Some("63"), "SECURITY RULES VIOLATED"),
    ("REFUSED75", Some("75"), "SECURITY CODE INVALID"),
    ("REFUSED76", Some("76"), "CARD BLOCKED"),
    ("REFUSED85", Some("85"), "REJECTED BY CARD ISSUER"),
];

/// The refusal a card holder name asks for: its code (if published) and description.
/// Every name the table does not list (`AUTHORISED`, `Bob`, `REFUSED99`) is authorized,
/// as the page says. `ERROR` has no published HTTP effect; the twin refuses it with the
/// description "ERROR" and no code.
fn refusal(holder: &str) -> Option<(Option<&'static str>, &'static str)> {
    TEST_VALUES.iter().find(|(name, _, _)| *name == holder).map(|(_, code, text)| (*code, *text))
}

fn brand(pan: &str) -> &'static str {
    match pan.as_bytes().first() {
        Some(b'4') => "visa",
        Some(b'5') | Some(b'2') => "mastercard",
        Some(b'3') => "amex",
        _ => "unknown",
    }
}

/// What the request asks for.
struct Asked<'a> {
    amount: i64,
    currency: String,
    partial_ok: bool,
    auto: bool,
    instrument: &'a Value,
}

pub(super) fn authorize(ctx: &Ctx<'_>, api: Api, op: &Operation, body: &Value) -> TwinResponse {
    let asked = match asked(api, body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let holder = asked.instrument["cardHolderName"].as_str().unwrap_or("");
    let mut refused = refusal(holder);
    if let Some(v) = &ctx.twin.variance {
        // What the vendor leaves open: plain REFUSED's code, and ERROR's HTTP effect.
        if holder == "REFUSED" {
            refused = Some((v.plain_refused_code, "REFUSED"));
        }
        if holder == "ERROR" && v.error_is_500 {
            let message = "We cannot currently process your request. Please contact support.";
            return error(api, 500, "internalErrorOccurred", message, None);
        }
    }
    let authorized = if asked.partial_ok && asked.amount == 1706 { 123 } else { asked.amount };
    let p = ctx.twin.ledger.create(
        NewPayment {
            merchant: ctx.merchant,
            status: if refused.is_some() { Status::Refused } else { Status::Authorized },
            currency: asked.currency.clone(),
            requested: asked.amount,
            authorized: if refused.is_some() { 0 } else { authorized },
            settle_now: asked.auto && refused.is_none(),
            reference: body["transactionReference"].as_str().unwrap_or("").to_string(),
            fails: None,
            brand: "",
            pre_auth: false,
        },
        |id| {
            use base64::Engine;
            format!("pay{}0", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.to_be_bytes()))
        },
    );
    let mut out = identity(ctx, api, &p, asked.instrument);
    if let Some((code, text)) = refused {
        out.insert("outcome".into(), json!("refused"));
        if let Some(code) = code {
            out.insert("refusalCode".into(), json!(code));
        }
        out.insert("refusalDescription".into(), json!(text));
        out.insert("advice".into(), json!({"code": "01"}));
        return success(ctx, api, 201, out);
    }
    out.insert("issuer".into(), json!({"authorizationCode": format!("T{:05}", p.id % 100_000)}));
    if api == Api::WorldpayV7 {
        out.insert("scheme".into(), json!({"reference": format!("MCC{:012}", p.id)}));
    } else {
        out.insert("schemeReference".into(), json!(format!("{:015}", p.id)));
    }
    // Seed 004: "If a partial amount is authorized, you will receive an authorized
    // outcome with an amounts object"; a full authorization has none.
    if asked.partial_ok && authorized < asked.amount {
        out.insert(
            "amounts".into(),
            json!({"requested": asked.amount, "totalAuthorized": authorized, "currency": asked.currency,
                   "partialAuthorization": authorized < asked.amount}),
        );
    }
    let (status, outcome) = match (api, asked.auto) {
        (Api::WorldpayV7, true) => (201, "Sent for Settlement"),
        (Api::WorldpayV7, false) => (201, "authorized"),
        (_, true) => (202, "sentForSettlement"),
        (_, false) => (201, "authorized"),
    };
    out.extend(links(ctx, api, op, status, &p));
    out.insert("outcome".into(), json!(outcome));
    success(ctx, api, status, out)
}

/// The amount, currency and options of the request; on v7, the vendor's rule that
/// partial amounts and estimates need auto-settlement off.
fn asked(api: Api, body: &Value) -> Result<Asked<'_>, TwinResponse> {
    let instr = &body["instruction"];
    let value = &instr["value"];
    let amount = int64(&value["amount"]).ok_or_else(|| not_an_integer(api, "$.instruction.value.amount"))?;
    let auto = match api {
        Api::WorldpayV7 => instr["requestAutoSettlement"]["enabled"].as_bool() == Some(true),
        _ => instr["settlement"]["auto"].as_bool() == Some(true),
    };
    if api == Api::WorldpayV7 && auto {
        let bad: Vec<Value> = ["acceptPartialAmount", "estimated"]
            .into_iter()
            .filter(|field| value[field].as_bool() == Some(true))
            .map(|field| {
                json!({"errorName": "fieldHasInvalidValue",
                    "message": format!("{field} requires requestAutoSettlement.enabled to be false"),
                    "jsonPath": format!("$.instruction.value.{field}")})
            })
            .collect();
        if !bad.is_empty() {
            let body = json!({"errorName": "bodyDoesNotMatchSchema",
                "message": "The json body provided does not match the expected schema", "validationErrors": bad});
            return Err(TwinResponse::json(400, V7_MEDIA, body));
        }
    }
    Ok(Asked {
        amount,
        currency: value["currency"].as_str().unwrap_or("GBP").to_string(),
        partial_ok: value["acceptPartialAmount"].as_bool() == Some(true),
        auto,
        instrument: &instr["paymentInstrument"],
    })
}

/// What every answer to an authorization carries: the payment's identifiers, the risk
/// factors, and the card masked.
fn identity(ctx: &Ctx<'_>, api: Api, p: &Payment, instrument: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("paymentId".into(), json!(p.external_id));
    if api == Api::WorldpayV7 {
        out.insert("commandId".into(), json!(super::command_id(ctx)));
    } else {
        out.insert("transactionReference".into(), json!(p.reference));
    }
    let cvc = if instrument.get("cvc").is_some() { "matched" } else { "notSupplied" };
    out.insert(
        "riskFactors".into(),
        json!([{"type": "cvc", "risk": cvc},
               {"type": "avs", "risk": "notChecked", "detail": "address"},
               {"type": "avs", "risk": "notChecked", "detail": "postcode"}]),
    );
    // Only a card number of 12 to 19 ASCII digits is echoed masked: the schema checks
    // digits on `card/plain` only, and slicing anything else could split a character.
    let pan = instrument["cardNumber"].as_str().unwrap_or("");
    if (12..=19).contains(&pan.len()) && pan.bytes().all(|b| b.is_ascii_digit()) {
        let mut masked = json!({"type": "card/plain+masked", "cardBin": &pan[..6],
            "lastFour": &pan[pan.len() - 4..], "cardBrand": brand(pan), "fundingType": "credit",
            "category": "consumer", "countryCode": "GB"});
        if let Some(exp) = instrument.get("expiryDate") {
            masked["expiryDate"] = exp.clone();
        }
        out.insert("paymentInstrument".into(), masked);
    }
    out
}
