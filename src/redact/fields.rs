//! The field-aware rules, in one place for the reports, the logs and the recordings:
//! which JSON fields (or form and query keys) hold a card number, a card security code,
//! a secret, or a reference that only looks like a card number.
//!
//! A recording replaces each sensitive value by a stable pseudonym ([`Pseudonyms`]):
//! the same card is `****1111#1` wherever it appears in one file, so a flow still reads.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::Redactor;
use super::cards::mask_card_numbers_with;

/// Fields whose value is a reference, never a card number (regex fragments, matched
/// case-insensitively): a 16-digit pspReference passes the Luhn check one time in ten,
/// and a user needs it whole to talk to the vendor.
pub(crate) const REFERENCE_FIELDS: [&str; 9] = [
    "psp_?reference",
    "originalreference",
    "originalpspreference",
    "paymentpspreference",
    "merchantreference",
    "transactionreference",
    "reference",
    "commandid",
    "eventid",
];

/// Whether the field named `name` holds a reference (kept whole everywhere): its name
/// ends with one of [`REFERENCE_FIELDS`] (`originalMerchantReference` too), as the
/// text rule before a value reads it.
pub(crate) fn is_reference_field(name: &str) -> bool {
    static WHOLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!("(?i)(?:{})$", REFERENCE_FIELDS.join("|"))).expect("valid regex"));
    WHOLE.is_match(name)
}

/// Fields that hold a card number, whatever its digits (a negative test's number that
/// fails the Luhn check is still a card number).
const CARD_FIELDS: [&str; 5] = ["number", "cardnumber", "pan", "accountnumber", "primaryaccountnumber"];

/// Fields that hold a card security code.
const CVC_FIELDS: [&str; 7] = ["cvc", "cvv", "cvv2", "cvn", "securitycode", "cardsecuritycode", "cvccode"];

/// Fields that hold a secret.
const SECRET_FIELDS: [&str; 9] =
    ["password", "apikey", "api_key", "x-api-key", "hmackey", "hmac_key", "secret", "clientsecret", "authorization"];

/// Headers whose values are credentials, in every recording, report and log.
pub(crate) const CREDENTIAL_HEADERS: [&str; 5] =
    ["authorization", "proxy-authorization", "x-api-key", "cookie", "set-cookie"];

/// The secret values a credential header's value carries: the value, the part after
/// its scheme, and for `Basic` the decoded `user:password` and the password; so that
/// their echoes can be removed in any encoding.
pub(crate) fn credential_values(value: &str) -> Vec<String> {
    use base64::Engine;
    let value = value.trim();
    let mut out = vec![value.to_string()];
    if let Some((scheme, rest)) = value.split_once(' ') {
        out.push(rest.trim().to_string());
        if scheme.eq_ignore_ascii_case("basic")
            && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest.trim())
            && let Ok(pair) = String::from_utf8(decoded)
        {
            if let Some((_, password)) = pair.split_once(':') {
                out.push(password.to_string());
            }
            out.push(pair);
        }
    }
    out
}

/// What a field holds, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FieldKind {
    /// A card number.
    Card,
    /// A card security code.
    Cvc,
    /// A password, key or token.
    Secret,
}

/// What the field named `name` holds, if it is one of the sensitive kinds.
pub(crate) fn field_kind(name: &str) -> Option<FieldKind> {
    let lower = name.to_ascii_lowercase();
    let is = |list: &[&str]| list.contains(&lower.as_str());
    if is(&CARD_FIELDS) {
        Some(FieldKind::Card)
    } else if is(&CVC_FIELDS) {
        Some(FieldKind::Cvc)
    } else if is(&SECRET_FIELDS) {
        Some(FieldKind::Secret)
    } else {
        None
    }
}

/// A sensitive field's value in text: a JSON member (`"cvc": "737"`, `"number": 4111…`,
/// with the key's quotes JSON-escaped or not) or a form or query pair (`cvc=737`).
static SENSITIVE_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    let names: Vec<String> =
        CARD_FIELDS.iter().chain(&CVC_FIELDS).chain(&SECRET_FIELDS).map(|n| regex::escape(n)).collect();
    let names = names.join("|");
    Regex::new(&format!(
        r#"(?i)(?P<key>(?:\\?"(?:{names})\\?"\s*:\s*)|(?:\b(?:{names})=))(?P<value>\\?"(?:[^"\\]|\\[^"])*\\?"|[^\s,}}\]&"]+)"#
    ))
    .expect("valid regex")
});

/// Stable pseudonyms for one recording: the same card, code or secret always gets the
/// same stand-in within it, and nothing of the original is kept but a card's last four
/// digits. Bounded: after [`Pseudonyms::CAPACITY`] distinct values the rest share one
/// stand-in per kind (still never the value).
#[derive(Debug, Default)]
pub(crate) struct Pseudonyms {
    cards: HashMap<String, String>,
    per_tail: HashMap<String, usize>,
    others: HashMap<(FieldKind, String), String>,
    per_kind: HashMap<FieldKind, usize>,
}

impl Pseudonyms {
    /// Distinct values remembered per kind.
    pub(crate) const CAPACITY: usize = 10_000;

    /// `****1111#1`: the last four digits and which card with those digits it is.
    pub(crate) fn card(&mut self, digits: &str, tail: &str) -> String {
        if let Some(p) = self.cards.get(digits) {
            return p.clone();
        }
        if self.cards.len() >= Self::CAPACITY {
            return format!("****{tail}#?");
        }
        let n = self.per_tail.entry(tail.to_string()).or_insert(0);
        *n += 1;
        let p = format!("****{tail}#{n}");
        self.cards.insert(digits.to_string(), p.clone());
        p
    }

    /// `<cvc#1>`, `<secret#2>`: which code or secret it is, and nothing of it.
    /// A value that is no security code (not 3 or 4 digits: a validation probe's)
    /// shows its length, `<cvc:5#2>`, so that a replay tells the probes apart.
    pub(crate) fn other(&mut self, kind: FieldKind, value: &str) -> String {
        let code = (3..=4).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit());
        let odd;
        let label = match kind {
            FieldKind::Cvc if code => "cvc",
            FieldKind::Cvc => {
                odd = format!("cvc:{}", value.chars().count());
                odd.as_str()
            }
            FieldKind::Secret | FieldKind::Card => "secret",
        };
        let key = (kind, value.to_string());
        if let Some(p) = self.others.get(&key) {
            return p.clone();
        }
        let n = self.per_kind.entry(kind).or_insert(0);
        if *n >= Self::CAPACITY {
            return format!("<{label}#?>");
        }
        *n += 1;
        let p = format!("<{label}#{n}>");
        self.others.insert(key, p.clone());
        p
    }

    /// The text for a recording: every configured secret in any encoding removed, every
    /// sensitive field's value (by its name) a pseudonym, and every other card number
    /// (by the Luhn check, in any spelling, but never a reference field's value) a
    /// card pseudonym. Nothing is escaped: the recording's format does that.
    pub(crate) fn redact(&mut self, redactor: &Redactor, text: &str) -> String {
        let text = redactor.secrets_removed(text);
        let by_field = replace_fields(&text, |kind, inner| match kind {
            FieldKind::Card => {
                let digits: String = inner.chars().filter(char::is_ascii_digit).collect();
                let tail = &digits[digits.len().saturating_sub(4)..];
                self.card(&digits, tail)
            }
            other => self.other(other, inner),
        });
        mask_card_numbers_with(&by_field, |digits, tail| self.card(digits, tail))
    }
}

/// Every sensitive field's value in `text` (by its name) replaced by what `stand_in`
/// makes of it; a card field with fewer than 8 digits ("number": 3 in an address) is
/// kept.
fn replace_fields(text: &str, mut stand_in: impl FnMut(FieldKind, &str) -> String) -> String {
    SENSITIVE_VALUE
        .replace_all(text, |c: &Captures<'_>| {
            let key = &c["key"];
            let name = key.trim_matches(|ch: char| !ch.is_ascii_alphanumeric() && ch != '_' && ch != '-');
            let (open, inner, close) = split_quotes(&c["value"]);
            let kind = field_kind(name.trim_end_matches('=')).unwrap_or(FieldKind::Secret);
            // Nothing to hide in an empty value (and a probe's empty `cvc` must stay one).
            if inner.is_empty() || (kind == FieldKind::Card && inner.chars().filter(char::is_ascii_digit).count() < 8) {
                return c[0].to_string();
            }
            if open.is_empty() && !key.ends_with('=') {
                // A JSON number (a probe's `"cvc": 737`) stays a number of its length.
                let digits = inner.chars().filter(char::is_ascii_digit).count();
                if digits == inner.len() && digits > 0 {
                    // JSON allows no leading zero: a 1, zeros, and a card's last four.
                    let keep = if kind == FieldKind::Card { 4.min(digits - 1) } else { 0 };
                    let zeros = "0".repeat(digits - 1 - keep);
                    return format!("{key}1{zeros}{}", &inner[digits - keep..]);
                }
            }
            format!("{key}{open}{}{close}", stand_in(kind, inner))
        })
        .into_owned()
}

/// The field rules for a report (no pseudonyms): a card field's value as `****` and its
/// last four digits, a security code as `***`, a secret as `<redacted>`.
#[cfg(feature = "report")]
pub(crate) fn mask_fields(text: &str) -> String {
    replace_fields(text, |kind, inner| match kind {
        FieldKind::Card => {
            let digits: String = inner.chars().filter(char::is_ascii_digit).collect();
            format!("****{}", &digits[digits.len().saturating_sub(4)..])
        }
        FieldKind::Cvc => "***".into(),
        FieldKind::Secret => "<redacted>".into(),
    })
}

/// A value's opening quote (`"` or `\"`), its inside, and its closing quote.
fn split_quotes(raw: &str) -> (&str, &str, &str) {
    for q in ["\\\"", "\""] {
        if raw.len() >= 2 * q.len()
            && let Some(inner) = raw.strip_prefix(q).and_then(|r| r.strip_suffix(q))
        {
            return (q, inner, q);
        }
    }
    ("", raw, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_card_is_the_same_pseudonym_and_references_stay() {
        let mut p = Pseudonyms::default();
        let r = Redactor::default();
        let body = r#"{"card":{"number":"4111111111111111","cvc":"737"},"pspReference":"8815000000007912"}"#;
        let out = p.redact(&r, body);
        assert_eq!(out, r#"{"card":{"number":"****1111#1","cvc":"<cvc#1>"},"pspReference":"8815000000007912"}"#);
        // The same card written with spaces elsewhere, and a second card ending 1111.
        let again = p.redact(&r, "card 4111 1111 1111 1111 and 4444333322221111 and cvc=737");
        assert_eq!(again, "card ****1111#1 and ****1111#2 and cvc=<cvc#1>");
        // A card field whose number fails the Luhn check is still a card.
        assert_eq!(p.redact(&r, r#"{"cardNumber": "4111111111111112"}"#), r#"{"cardNumber": "****1112#1"}"#);
        // A number stays a number, and valid JSON.
        assert_eq!(
            p.redact(&r, r#"{"cardNumber": 4111111111111112, "cvc": 12345}"#),
            r#"{"cardNumber": 1000000000001112, "cvc": 10000}"#
        );
        // A short number field is not a card number.
        assert_eq!(p.redact(&r, r#"{"number": "12"}"#), r#"{"number": "12"}"#);
        // An empty code stays empty.
        assert_eq!(p.redact(&r, r#"{"cvc":""}"#), r#"{"cvc":""}"#);
        // JSON-escaped quotes (a body inside a string).
        assert_eq!(p.redact(&r, r#"{\"cvc\":\"123\"}"#), r#"{\"cvc\":\"<cvc#2>\"}"#);
    }

    #[test]
    fn configured_secrets_go_first() {
        let mut p = Pseudonyms::default();
        let r = Redactor::new(["s3cr3t-key".to_string()]);
        assert_eq!(
            p.redact(&r, "echo s3cr3t-key and \"password\": \"pw\""),
            "echo <redacted> and \"password\": \"<secret#1>\""
        );
    }
}
