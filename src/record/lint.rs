//! `payconform har lint`: anything in a HAR file that looks like a secret, named by
//! entry and JSON path, so that CI can refuse a recording before it is committed.
//!
//! It reads any HAR file, not only payconform's, and looks at every string in it
//! (bodies that are JSON are read as JSON, so a path inside them is named too):
//! - a credential header whose value is not a pseudonym;
//! - a card-number, security-code or secret field whose value is not a pseudonym;
//! - a card number in any spelling (by the Luhn check; never a reference field's value),
//!   as is or inside base64;
//! - an `Authorization`-style credential or an Adyen API key written anywhere.

use std::sync::LazyLock;

use base64::Engine;
use regex::Regex;
use serde_json::Value;

use crate::redact::{CREDENTIAL_HEADERS, FieldKind, field_kind, is_reference_field, mask_card_numbers};

/// One thing that looks like a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintFinding {
    /// The entry (its position in `log.entries`), if it is in one.
    pub entry: Option<usize>,
    /// The JSON path in the file, then (after `→`) in the body it is in.
    pub path: String,
    /// What it looks like.
    pub message: String,
}

impl std::fmt::Display for LintFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.entry {
            Some(i) => write!(f, "entry {i}: {}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// A pseudonym or a redaction mark, as a recording writes them.
static PSEUDONYM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Za-z]{1,16} )?(?:<(?:secret|cvc(?::\d+)?)#(?:\d+|\?)>|<redacted>|\*{4}\d{4}#(?:\d+|\?)|\*+)$")
        .expect("valid regex")
});
/// Credentials written in text.
static CREDENTIAL_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:basic|bearer)\s+[A-Za-z0-9+/=._~-]{8,}|\bAQE[A-Za-z0-9+/=_-]{30,}").expect("valid regex")
});
/// Tokens that may be base64.
static BASE64ISH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/_-]{16,}={0,2}").expect("valid regex"));

/// Lint a HAR document (already parsed as JSON). `extra_headers` are further headers
/// that hold credentials.
pub fn lint(har: &Value, extra_headers: &[String]) -> Vec<LintFinding> {
    let mut out = Vec::new();
    if har.pointer("/log/version").and_then(Value::as_str) != Some("1.2") {
        out.push(LintFinding { entry: None, path: "$.log.version".into(), message: "not a HAR 1.2 file".into() });
    }
    let Some(entries) = har.pointer("/log/entries").and_then(Value::as_array) else {
        out.push(LintFinding { entry: None, path: "$.log.entries".into(), message: "no entries array".into() });
        return out;
    };
    for (i, entry) in entries.iter().enumerate() {
        let mut linter = Linter { entry: i, out: &mut out, extra_headers };
        linter.walk(entry, &format!("$.log.entries[{i}]"), None);
    }
    out
}

struct Linter<'a> {
    entry: usize,
    out: &'a mut Vec<LintFinding>,
    extra_headers: &'a [String],
}

impl Linter<'_> {
    fn flag(&mut self, path: &str, message: impl Into<String>) {
        self.out.push(LintFinding { entry: Some(self.entry), path: path.to_string(), message: message.into() });
    }

    fn walk(&mut self, v: &Value, path: &str, key: Option<&str>) {
        match v {
            Value::Object(m) => {
                // A header: {"name": ..., "value": ...}.
                if let (Some(Value::String(name)), Some(Value::String(value))) = (m.get("name"), m.get("value")) {
                    let lower = name.to_ascii_lowercase();
                    if (CREDENTIAL_HEADERS.contains(&lower.as_str()) || self.extra_headers.contains(&lower))
                        && !value.is_empty()
                        && !PSEUDONYM.is_match(value)
                    {
                        self.flag(&format!("{path}.value"), format!("header {name} carries a credential"));
                        return;
                    }
                }
                for (k, x) in m {
                    let child = format!("{path}.{}", member(k));
                    if (k == "text") && x.is_string() {
                        let text = x.as_str().unwrap_or("");
                        if let Ok(body) = serde_json::from_str::<Value>(text)
                            && (body.is_object() || body.is_array())
                        {
                            self.walk(&body, &format!("{child}→$"), None);
                            continue;
                        }
                    }
                    self.walk(x, &child, Some(k));
                }
            }
            Value::Array(a) => {
                for (j, x) in a.iter().enumerate() {
                    self.walk(x, &format!("{path}[{j}]"), key);
                }
            }
            Value::String(s) => self.string(s, path, key),
            Value::Number(n) => {
                // A recording writes a number in such a field as 1 and zeros (and a
                // card's last four digits).
                let digits = n.to_string();
                let zeros = digits.strip_prefix('1').unwrap_or(&digits).trim_start_matches('0');
                match key.and_then(field_kind) {
                    Some(FieldKind::Card) if digits.len() >= 8 && zeros.len() > 4 => {
                        self.flag(path, "a card number field with a number in it")
                    }
                    Some(FieldKind::Cvc) if !zeros.is_empty() => self.flag(path, "a card security code"),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn string(&mut self, s: &str, path: &str, key: Option<&str>) {
        if s.is_empty() {
            return;
        }
        match key.and_then(field_kind) {
            Some(FieldKind::Card) if !PSEUDONYM.is_match(s) && s.chars().filter(char::is_ascii_digit).count() >= 8 => {
                return self.flag(path, "a card number field that is not a pseudonym");
            }
            Some(FieldKind::Cvc) if !PSEUDONYM.is_match(s) => {
                return self.flag(path, "a card security code that is not a pseudonym");
            }
            Some(FieldKind::Secret) if !PSEUDONYM.is_match(s) => {
                return self.flag(path, "a secret field that is not a pseudonym");
            }
            _ => {}
        }
        if key.is_some_and(is_reference_field) {
            return;
        }
        if mask_card_numbers(s) != s {
            return self.flag(path, "a card number (it passes the Luhn check)");
        }
        if CREDENTIAL_TEXT.is_match(s) && !PSEUDONYM.is_match(s) {
            return self.flag(path, "a credential written as text");
        }
        for token in BASE64ISH.find_iter(s) {
            let t = token.as_str();
            let decoded = [
                &base64::engine::general_purpose::STANDARD,
                &base64::engine::general_purpose::URL_SAFE,
                &base64::engine::general_purpose::STANDARD_NO_PAD,
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ]
            .iter()
            .find_map(|e| e.decode(t).ok())
            .and_then(|b| String::from_utf8(b).ok());
            if let Some(text) = decoded
                && mask_card_numbers(&text) != text
            {
                return self.flag(path, "base64 of a card number");
            }
        }
    }
}

/// A member name as a JSONPath step.
fn member(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        k.to_string()
    } else {
        format!("['{}']", k.replace('\'', "\\'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_entry_and_the_path() {
        let har = serde_json::json!({"log": {"version": "1.2", "entries": [
            {"request": {"headers": [{"name": "Authorization", "value": "Basic <secret#1>"}],
                         "postData": {"mimeType": "application/json", "text": "{\"card\":{\"number\":\"****1111#1\",\"cvc\":\"<cvc#1>\"}}"}}},
            {"request": {"headers": [{"name": "X-API-Key", "value": "AQEabc"}],
                         "postData": {"text": "{\"card\":{\"number\":\"4111111111111111\",\"cvc\":\"737\"},\"pspReference\":\"8815000000007912\"}"}},
             "response": {"content": {"text": "see NDExMTExMTExMTExMTExMQ== here"}}}
        ]}});
        let found = lint(&har, &[]);
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            vec![
                "entry 1: $.log.entries[1].request.headers[0].value: header X-API-Key carries a credential",
                "entry 1: $.log.entries[1].request.postData.text→$.card.cvc: a card security code that is not a pseudonym",
                "entry 1: $.log.entries[1].request.postData.text→$.card.number: a card number field that is not a pseudonym",
                "entry 1: $.log.entries[1].response.content.text: base64 of a card number",
            ]
        );
    }
}
