//! The redactor: every string bound for a console, a log or a report passes through
//! [`Redactor::clean`]. It removes every configured secret in every encoding a server
//! could echo it in, and masks card numbers however they are written.

use std::sync::{Arc, LazyLock};

use base64::Engine;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use regex::Regex;

use crate::spec::luhn_valid;

/// Scrubs secrets and card numbers from text. Never panics, on any input.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every form of every secret, longest first.
    forms: Arc<Vec<String>>,
}

/// A run of decimal digits (any script) joined by at most single spaces or dashes.
static DIGIT_RUN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d(?:[ \-]?\d)*").expect("valid regex"));
static ONE_DIGIT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d$").expect("valid regex"));

/// The forms a secret can take on the wire or in an echo: as is, base64 (standard and
/// URL-safe, padded or not), percent-encoded, and JSON-escaped.
fn forms_of(secret: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut out = vec![secret.to_string()];
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        out.push(engine.encode(secret));
    }
    out.push(utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string());
    let json = serde_json::to_string(secret).unwrap_or_default();
    out.push(json.trim_matches('"').to_string());
    out
}

impl Redactor {
    /// A redactor for these secret values (passwords, API keys, and `user:password`
    /// pairs, whose base64 is what a Basic header carries). Values shorter than four
    /// characters are ignored as they would mask ordinary text.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut forms: Vec<String> =
            secrets.into_iter().filter(|s| s.chars().count() >= 4).flat_map(|s| forms_of(&s)).collect();
        forms.retain(|f| f.len() >= 4);
        forms.sort_by_key(|s| std::cmp::Reverse(s.len()));
        forms.dedup();
        Redactor { forms: Arc::new(forms) }
    }

    /// The text with every form of every secret replaced by `<redacted>`, and every card
    /// number (12 to 19 digits of any script, passing the Luhn check, with or without
    /// single spaces or dashes between them) shown as `****` and its last four digits.
    pub fn clean(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.forms.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "<redacted>");
            }
        }
        mask_card_numbers(&out)
    }
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secret forms)", self.forms.len())
    }
}

/// The value of a decimal digit of any script. Unicode assigns decimal digits only in
/// runs of ten, 0 to 9, so a digit's value is its distance from the start of its run.
fn digit_value(c: char) -> Option<u32> {
    if let Some(d) = c.to_digit(10) {
        return Some(d);
    }
    let is_digit = |c: char| {
        let mut buf = [0u8; 4];
        ONE_DIGIT.is_match(c.encode_utf8(&mut buf))
    };
    if !is_digit(c) {
        return None;
    }
    let mut below = 0u32;
    while let Some(prev) = (c as u32).checked_sub(below + 1).and_then(char::from_u32) {
        if !is_digit(prev) {
            break;
        }
        below += 1;
    }
    Some(below % 10)
}

/// One group of a digit run: its byte range in the text and its digits.
struct Group {
    start: usize,
    end: usize,
    digits: Vec<(char, u32)>,
}

fn mask_card_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for run in DIGIT_RUN.find_iter(text) {
        // Split the run at its separators; a card number is a sequence of whole groups.
        let mut groups: Vec<Group> = Vec::new();
        let mut current: Option<Group> = None;
        for (i, c) in run.as_str().char_indices() {
            let at = run.start() + i;
            match digit_value(c) {
                Some(v) => {
                    let g = current.get_or_insert(Group { start: at, end: at, digits: Vec::new() });
                    g.digits.push((c, v));
                    g.end = at + c.len_utf8();
                }
                None => groups.extend(current.take()),
            }
        }
        groups.extend(current.take());
        let mut i = 0;
        while i < groups.len() {
            // The longest sequence of groups from i that is a card number.
            let mut found = None;
            let mut count = 0;
            for (j, g) in groups.iter().enumerate().skip(i) {
                count += g.digits.len();
                if count > 19 {
                    break;
                }
                if count >= 12 {
                    let ascii: String = groups[i..=j]
                        .iter()
                        .flat_map(|g| &g.digits)
                        .filter_map(|(_, v)| char::from_digit(*v, 10))
                        .collect();
                    if luhn_valid(&ascii) {
                        found = Some(j);
                    }
                }
            }
            match found {
                Some(j) => {
                    let tail: Vec<char> = groups[i..=j].iter().flat_map(|g| &g.digits).map(|(c, _)| *c).collect();
                    out.push_str(&text[last..groups[i].start]);
                    out.push_str("****");
                    out.extend(&tail[tail.len() - 4..]);
                    last = groups[j].end;
                    i = j + 1;
                }
                None => i += 1,
            }
        }
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_luhn_valid_card_numbers_only() {
        let r = Redactor::new(["hunter22".to_string(), "k".to_string()]);
        let out = r.clean("pw hunter22 card 4444333322221111 ref 1234567890123 k");
        assert_eq!(out, "pw <redacted> card ****1111 ref 1234567890123 k");
    }

    #[test]
    fn every_encoding_of_a_secret() {
        let r = Redactor::new(["user:pa ss/wörd".to_string(), "pa ss/wörd".to_string()]);
        let basic = base64::engine::general_purpose::STANDARD.encode("user:pa ss/wörd");
        for text in [
            format!("Authorization: Basic {basic}"),
            "pass=pa%20ss%2Fw%C3%B6rd".to_string(),
            "raw pa ss/wörd".to_string(),
        ] {
            let out = r.clean(&text);
            assert!(out.contains("<redacted>") && !out.contains("ss/w") && !out.contains(&basic), "{out}");
        }
        let r = Redactor::new([r#"key"with\quote"#.to_string()]);
        let echoed = serde_json::json!({"echo": r#"key"with\quote"#}).to_string();
        assert_eq!(r.clean(&echoed), r#"{"echo":"<redacted>"}"#);
    }

    #[test]
    fn card_numbers_with_separators_and_in_other_scripts() {
        let r = Redactor::default();
        assert_eq!(r.clean("4444 3333 2222 1111 and 4444-3333-2222-1111"), "****1111 and ****1111");
        assert_eq!(r.clean("@4444333322221111"), "@****1111");
        // A card number next to another number is still found.
        assert_eq!(r.clean("4444333322221111 100"), "****1111 100");
        assert_eq!(r.clean("amount 12 4444 3333 2222 1111"), "amount 12 ****1111");
        // Devanagari 4444333322221111.
        let deva = "४४४४३३३३२२२२११११";
        assert_eq!(r.clean(deva), "****११११");
        // Twelve non-ASCII digits that are no card number: untouched, no panic.
        let twelve = "١٢٣٤٥٦٧٨٩٠١٢";
        assert_eq!(r.clean(twelve), twelve);
        // Dates, amounts and long references are not card numbers.
        assert_eq!(r.clean("2030-01-01 12:00"), "2030-01-01 12:00");
        assert_eq!(r.clean("88000000000791901234567"), "88000000000791901234567");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_text(text in "\\PC{0,60}", digits in "[0-9٠-٩०-९𝟎-𝟗 \\-]{0,40}") {
            let r = Redactor::new(["s3cret".to_string()]);
            let _ = r.clean(&text);
            let cleaned = r.clean(&digits);
            proptest::prop_assert!(!cleaned.contains("s3cret"));
        }
    }

    #[test]
    fn digit_values_in_any_script() {
        assert_eq!(digit_value('७'), Some(7));
        assert_eq!(digit_value('٠'), Some(0));
        assert_eq!(digit_value('𝟗'), Some(9)); // mathematical bold nine
        assert_eq!(digit_value('𝟘'), Some(0)); // double-struck zero, right after bold nine
        assert_eq!(digit_value('x'), None);
    }
}
