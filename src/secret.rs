//! Card data types whose `Debug` never shows the secret. Generated clients use them for
//! every `CardNumber` and `Cvc` schema (build.rs replaces typify's types with these).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// A full card number (PAN). Serializes as the plain string; `Debug` and `Display`
/// show only the last four digits.
#[derive(Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct CardNumber(String);

/// A card security code. Serializes as the plain string; `Debug` and `Display` hide it.
#[derive(Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Cvc(String);

impl CardNumber {
    /// The number, for sending. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// `****1111`.
    pub fn masked(&self) -> String {
        mask_pan(&self.0)
    }
}

impl Cvc {
    /// The code, for sending. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Mask a card number to its last four digits: `****1111`.
pub fn mask_pan(pan: &str) -> String {
    let digits: Vec<char> = pan.chars().collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("****{tail}")
}

fn digits(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

impl std::str::FromStr for CardNumber {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if digits(s, 4, 19) { Ok(CardNumber(s.to_string())) } else { Err("a card number is 4 to 19 digits".into()) }
    }
}

impl std::str::FromStr for Cvc {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if digits(s, 1, 20) { Ok(Cvc(s.to_string())) } else { Err("a CVC is 1 to 20 digits".into()) }
    }
}

impl TryFrom<&str> for CardNumber {
    type Error = String;
    fn try_from(s: &str) -> Result<Self, String> {
        s.parse()
    }
}

impl TryFrom<&str> for Cvc {
    type Error = String;
    fn try_from(s: &str) -> Result<Self, String> {
        s.parse()
    }
}

// Decoding takes any string: each spec's own constraints (Worldpay 12–19 digits,
// Adyen 4–19 characters) are enforced by the validator, which names the field; a
// stricter type here would refuse bodies the spec allows.
impl<'de> Deserialize<'de> for CardNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(CardNumber)
    }
}

impl<'de> Deserialize<'de> for Cvc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Cvc)
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber({})", self.masked())
    }
}

impl fmt::Display for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Cvc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvc(***)")
    }
}

impl fmt::Display for Cvc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_card_data_in_generated_bodies() {
        let body: crate::client::worldpay_v7::types::AuthorizeRequest = serde_json::from_value(serde_json::json!({
            "transactionReference": "t", "merchant": {"entity": "default"}, "channel": "ecom",
            "instruction": {"requestAutoSettlement": {"enabled": false}, "narrative": {"line1": "x"},
              "value": {"amount": 1, "currency": "GBP"},
              "paymentInstrument": {"type": "card/plain", "cardNumber": "4444333322221111", "cvc": "123",
                "expiryDate": {"month": 1, "year": 2030}}}
        }))
        .unwrap();
        let debug = format!("{body:?}");
        assert!(!debug.contains("4444333322221111"), "{debug}");
        assert!(debug.contains("****1111") && !debug.contains("\"123\""), "{debug}");
        // The wire form is untouched.
        assert!(serde_json::to_string(&body).unwrap().contains("4444333322221111"));
        let adyen: crate::client::adyen::types::Card =
            serde_json::from_value(serde_json::json!({"number": "4111111111111111", "cvc": "737"})).unwrap();
        assert!(!format!("{adyen:?}").contains("4111111111111111"));
    }

    #[test]
    fn bad_card_data_is_refused() {
        assert!("12ab".parse::<CardNumber>().is_err());
        assert!("12345678901234567890".parse::<CardNumber>().is_err());
        assert!("4111111111111111".parse::<CardNumber>().is_ok());
        assert!("".parse::<Cvc>().is_err());
        assert!("12a".parse::<Cvc>().is_err());
        assert!("737".parse::<Cvc>().is_ok());
    }
}
