//! Adyen's `/authorise`: the result from Adyen's documented test values, the card
//! checks it documents, and the payment it makes.

use serde_json::{Value, json};

use super::notify::{Notice, notify};
use super::{error, next_psp, ok};
use crate::sandbox::ledger::{NewPayment, Status};
use crate::sandbox::{Ctx, TwinResponse, int64};

/// Adyen's classic-API test values ("Testing result codes and refusal reasons"): the
/// `RequestedTestAcquirerResponseCode`, the `card.holderName` that asks for the same,
/// the `resultCode` and the `refusalReason`. Rows 17 to 27 are past what Adyen's page
/// could be read to here: 17–19 are confirmed on it, the rest come from a copy of the
/// table (`tests/fixtures/vendor-facts/SOURCES.md`).
const TEST_VALUES: [(&str, &str, &str, Option<&str>); 28] = [
    ("0", "UNKNOWN", "Error", Some("Unknown")),
    ("1", "APPROVED", "Authorised", None),
    ("2", "DECLINED", "Refused", Some("Refused")),
    ("3", "REFERRAL", "Refused", Some("Referral")),
    ("4", "ERROR", "Error", Some("Acquirer Error")),
    ("5", "BLOCK_CARD", "Refused", Some("Blocked Card")),
    ("6", "CARD_EXPIRED", "Refused", Some("Expired Card")),
    ("7", "INVALID_AMOUNT", "Refused", Some("Invalid Amount")),
    ("8", "INVALID_CARD_NUMBER", "Refused", Some("Invalid Card Number")),
    ("9", "ISSUER_UNAVAILABLE", "Refused", Some("Issuer Unavailable")),
    ("10", "NOT_SUPPORTED", "Refused", Some("Not supported")),
    ("11", "NOT_3D_AUTHENTICATED", "Refused", Some("3D Not Authenticated")),
    ("12", "NOT_ENOUGH_BALANCE", "Refused", Some("Not enough balance")),
    ("13", "PENDING", "Received", None),
    ("14", "ACQUIRER_FRAUD", "Refused", Some("Acquirer Fraud")),
    ("15", "CANCELLED", "Refused", Some("Cancelled")),
    ("16", "SHOPPER_CANCELLED", "Refused", Some("Shopper Cancelled")),
    ("17", "INVALID_PIN", "Refused", Some("Invalid Pin")),
    ("18", "PIN_TRIES_EXCEEDED", "Refused", Some("Pin tries exceeded")),
    ("19", "PIN_VALIDATION_NOT_POSSIBLE", "Refused", Some("Pin validation not possible")),
    ("20", "FRAUD", "Refused", Some("FRAUD")),
    ("21", "NOT_SUBMITTED", "Refused", Some("Not Submitted")),
    ("22", "FRAUD_CANCELLED", "Cancelled", Some("FRAUD-CANCELLED")),
    ("23", "TRANSACTION_NOT_PERMITTED", "Refused", Some("Transaction Not Permitted")),
    ("24", "CVC_DECLINED", "Refused", Some("CVC Declined")),
    ("25", "RESTRICTED_CARD", "Refused", Some("Restricted Card")),
    ("26", "REVOCATION_OF_AUTH", "Refused", Some("Revocation Of Auth")),
    ("27", "DECLINED_NON_GENERIC", "Refused", Some("Declined Non Generic")),
];

/// The length of a card's security code: four for American Express (34, 37), three
/// for the rest (Adyen's error 103 "CVC is not the right length").
fn cvc_length(number: &str) -> usize {
    if number.starts_with("34") || number.starts_with("37") { 4 } else { 3 }
}

/// The card brand Adyen names in a notification's `paymentMethod`, from the number's
/// prefix (Adyen's test cards: 4 visa, 51–55 and 2221–2720 mc, 34/37 amex).
fn brand(number: &str) -> &'static str {
    let two: u32 = number.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let four: u32 = number.get(..4).and_then(|p| p.parse().ok()).unwrap_or(0);
    match () {
        _ if number.starts_with('4') => "visa",
        _ if (51..=55).contains(&two) || (2221..=2720).contains(&four) => "mc",
        _ if two == 34 || two == 37 => "amex",
        _ if number.starts_with("6011") || two == 65 => "discover",
        _ if two == 36 || (300..=305).contains(&(four / 10)) || two == 38 => "diners",
        _ if (3528..=3589).contains(&four) => "jcb",
        _ => "scheme",
    }
}

pub(super) fn authorise(ctx: &Ctx<'_>, body: &Value) -> TwinResponse {
    // The response code wins over the holder name; anything the table does not list
    // is authorised.
    let code = body["additionalData"]["RequestedTestAcquirerResponseCode"].as_str();
    let holder = body["card"]["holderName"].as_str().unwrap_or("");
    let row = match code {
        Some(code) => TEST_VALUES.iter().find(|r| r.0 == code),
        None => TEST_VALUES.iter().find(|r| r.1 == holder),
    };
    let (result, refusal) = row.map_or(("Authorised", None), |r| (r.2, r.3));
    let status = match result {
        "Authorised" => Status::Authorized,
        "Received" => Status::Pending,
        _ => Status::Refused,
    };
    let Some(amount) = int64(&body["amount"]["value"]) else {
        return error(422, "100", "Field 'amount.value' must be an integer", "validation");
    };
    if let Some(cvc) = body["card"]["cvc"].as_str()
        && cvc.chars().count() != cvc_length(body["card"]["number"].as_str().unwrap_or(""))
    {
        return error(422, "103", "CVC is not the right length", "validation");
    }
    let psp_reference = next_psp(ctx.twin);
    let p = ctx.twin.ledger.create(
        NewPayment {
            merchant: ctx.merchant,
            status,
            currency: body["amount"]["currency"].as_str().unwrap_or("EUR").to_string(),
            requested: amount,
            authorized: if status == Status::Authorized { amount } else { 0 },
            settle_now: false,
            reference: body["reference"].as_str().unwrap_or("").to_string(),
            // Adyen's failed-modification holder names (its testing page).
            fails: match holder {
                "capture failed" => Some("capture"),
                "refund failed" => Some("refund"),
                _ => None,
            },
            brand: brand(body["card"]["number"].as_str().unwrap_or("")),
            pre_auth: body["additionalData"]["authorisationType"].as_str() == Some("PreAuth"),
        },
        |_| psp_reference.clone(),
    );
    let mut out = json!({"pspReference": p.external_id, "resultCode": result});
    if let Some(v) = &ctx.twin.variance {
        out[v.extra_field.as_str()] = json!(v.seed);
    }
    // A Received (pending) authorisation is notified when it is decided; the twin
    // never decides it.
    if result != "Received" {
        let n = Notice {
            event: "AUTHORISATION",
            psp_reference: &p.external_id,
            amount: Some(amount),
            success: result == "Authorised",
            reason: refusal,
            action: None,
        };
        notify(ctx, body, &p, n);
    }
    match refusal {
        Some(r) => out["refusalReason"] = json!(r),
        None if result == "Authorised" => out["authCode"] = json!(format!("{:06}", p.id % 1_000_000)),
        None => {}
    }
    ok(out)
}
