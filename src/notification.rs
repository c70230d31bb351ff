//! Adyen standard notifications (webhooks): the signature Adyen puts on each
//! `NotificationRequestItem`, for your own handler and for the twin.
//!
//! Adyen signs eight fields of each item, joined with `:` in this order (a missing one
//! is the empty string): `pspReference`, `originalReference`, `merchantAccountCode`,
//! `merchantReference`, `amount.value`, `amount.currency`, `eventCode`, `success`. The
//! signature is HMAC-SHA256 under the hex-decoded HMAC key from your Customer Area,
//! base64-encoded, in `additionalData.hmacSignature`. Answer `[accepted]` with HTTP 200,
//! or Adyen sends the notification again.
//!
//! ```
//! use payconform::notification::{sign, verify};
//! let key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
//! let mut item = serde_json::json!({
//!     "pspReference": "7914073381342284", "merchantAccountCode": "TestMerchant",
//!     "merchantReference": "TestPayment-1407325143704", "eventCode": "AUTHORISATION",
//!     "success": "true", "amount": {"value": 1130, "currency": "EUR"}});
//! item["additionalData"] = serde_json::json!({"hmacSignature": sign(&item, key).unwrap()});
//! assert!(verify(&item, key).is_ok());
//! ```

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Why a notification did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    /// The HMAC key is not hexadecimal.
    #[error("the HMAC key is not hexadecimal (Adyen's Customer Area shows it as hex)")]
    BadKey,
    /// The item carries no `additionalData.hmacSignature`.
    #[error("the notification item carries no additionalData.hmacSignature")]
    Unsigned,
    /// The signature is not the one the key gives.
    #[error("the HMAC signature does not match (wrong key, or the item was changed)")]
    Mismatch,
    /// The body is not Adyen's envelope.
    #[error(
        "not a notification: expected {{\"live\": …, \"notificationItems\": [{{\"NotificationRequestItem\": …}}]}}"
    )]
    NotAnEnvelope,
}

/// The string Adyen signs for one `NotificationRequestItem`.
pub fn signing_string(item: &Value) -> String {
    let field = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    };
    [
        field(item.get("pspReference")),
        field(item.get("originalReference")),
        field(item.get("merchantAccountCode")),
        field(item.get("merchantReference")),
        field(item.pointer("/amount/value")),
        field(item.pointer("/amount/currency")),
        field(item.get("eventCode")),
        field(item.get("success")),
    ]
    .join(":")
}

fn mac(item: &Value, hex_key: &str) -> Result<Hmac<Sha256>, NotificationError> {
    let key = hex::decode(hex_key.trim()).map_err(|_| NotificationError::BadKey)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| NotificationError::BadKey)?;
    mac.update(signing_string(item).as_bytes());
    Ok(mac)
}

/// The base64 signature of one item under a hex HMAC key.
pub fn sign(item: &Value, hex_key: &str) -> Result<String, NotificationError> {
    Ok(base64::engine::general_purpose::STANDARD.encode(mac(item, hex_key)?.finalize().into_bytes()))
}

/// Check one item's `additionalData.hmacSignature` (in constant time).
pub fn verify(item: &Value, hex_key: &str) -> Result<(), NotificationError> {
    let given =
        item.pointer("/additionalData/hmacSignature").and_then(Value::as_str).ok_or(NotificationError::Unsigned)?;
    let given = base64::engine::general_purpose::STANDARD.decode(given).map_err(|_| NotificationError::Mismatch)?;
    mac(item, hex_key)?.verify_slice(&given).map_err(|_| NotificationError::Mismatch)
}

/// The items of a notification body (`notificationItems[].NotificationRequestItem`).
pub fn items(body: &Value) -> Result<Vec<&Value>, NotificationError> {
    let list = body.get("notificationItems").and_then(Value::as_array).ok_or(NotificationError::NotAnEnvelope)?;
    list.iter().map(|i| i.get("NotificationRequestItem").ok_or(NotificationError::NotAnEnvelope)).collect()
}

/// Check every item of a notification body; the number of items on success.
pub fn verify_body(body: &Value, hex_key: &str) -> Result<usize, NotificationError> {
    let items = items(body)?;
    for item in &items {
        verify(item, hex_key)?;
    }
    Ok(items.len())
}

/// Adyen's envelope around items: `{"live": "false", "notificationItems": [...]}`.
pub fn envelope(items: impl IntoIterator<Item = Value>) -> Value {
    let wrapped: Vec<Value> = items.into_iter().map(|i| serde_json::json!({"NotificationRequestItem": i})).collect();
    serde_json::json!({"live": "false", "notificationItems": wrapped})
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item() -> Value {
        json!({"pspReference": "7914073381342284", "originalReference": "", "merchantAccountCode": "TestMerchant",
               "merchantReference": "TestPayment-1407325143704", "eventCode": "AUTHORISATION", "success": "true",
               "amount": {"value": 1130, "currency": "EUR"}})
    }

    #[test]
    fn the_signing_string_is_adyens_eight_fields() {
        assert_eq!(
            signing_string(&item()),
            "7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true"
        );
    }

    /// The expected signature was computed apart from this code, with Python's standard
    /// library: `base64.b64encode(hmac.new(bytes.fromhex(KEY), SIGNING_STRING.encode(),
    /// hashlib.sha256).digest())`.
    #[test]
    fn signatures_match_an_independent_implementation() {
        let key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
        assert_eq!(sign(&item(), key).unwrap(), "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=");
        let mut i = item();
        i["additionalData"] = json!({"hmacSignature": "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="});
        assert_eq!(verify(&i, key), Ok(()));
    }

    #[test]
    fn a_changed_item_or_another_key_does_not_verify() {
        let key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
        let mut i = item();
        i["additionalData"] = json!({"hmacSignature": sign(&i, key).unwrap()});
        assert_eq!(verify(&i, key), Ok(()));
        let mut changed = i.clone();
        changed["amount"]["value"] = json!(1131);
        assert_eq!(verify(&changed, key), Err(NotificationError::Mismatch));
        assert_eq!(verify(&i, &key.replace('4', "5")), Err(NotificationError::Mismatch));
        assert_eq!(verify(&i, "not hex"), Err(NotificationError::BadKey));
        assert_eq!(verify(&item(), key), Err(NotificationError::Unsigned));
        assert_eq!(verify_body(&envelope([i]), key), Ok(1));
        assert_eq!(verify_body(&json!({"x": 1}), key), Err(NotificationError::NotAnEnvelope));
    }
}
