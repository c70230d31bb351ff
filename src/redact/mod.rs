//! The redactor: every string bound for a console, a log, a report or a recording passes
//! through [`Redactor::clean`]. It removes every configured secret in every encoding a
//! server could echo it in, masks card numbers however they are written (but not a
//! reference that only looks like one), and escapes every character that could act on a
//! terminal or break a report's XML.

use std::sync::Arc;

use base64::Engine;
use regex::Regex;

mod cards;
mod fields;
mod inert;

pub(crate) use cards::mask_card_numbers;
#[cfg(feature = "report")]
pub(crate) use fields::mask_fields;
pub(crate) use fields::{CREDENTIAL_HEADERS, FieldKind, Pseudonyms, credential_values, field_kind, is_reference_field};
use inert::escape;
pub use inert::inert;

/// Scrubs secrets and card numbers from text and makes it inert. Never panics, on any
/// input.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every configured secret, each character matched in any of its encodings
    /// (`None` when no secret is configured).
    secrets: Option<Arc<Regex>>,
    /// How many secret values it was made with.
    count: usize,
}

/// The pattern that matches one character of a secret in any encoding a server could
/// echo it in: as is, percent-encoded (upper- or lower-case hex), `+` for a space (form
/// encoding), a JSON escape (`\u00xx` in either case, or its short form), or an HTML
/// character reference.
fn char_pattern(c: char) -> String {
    let mut alts = vec![regex::escape(&c.to_string())];
    let mut buf = [0u8; 4];
    let pct: String = c.encode_utf8(&mut buf).bytes().map(|b| format!("%(?i:{b:02x})")).collect();
    alts.push(pct);
    if c == ' ' {
        alts.push(r"\+".into());
    }
    let mut units = [0u16; 2];
    let json: String = c.encode_utf16(&mut units).iter().map(|u| format!(r"\\u(?i:{u:04x})")).collect();
    alts.push(json);
    let short = match c {
        '"' => Some(r#"\\""#),
        '\\' => Some(r"\\\\"),
        '/' => Some(r"\\/"),
        '\n' => Some(r"\\n"),
        '\r' => Some(r"\\r"),
        '\t' => Some(r"\\t"),
        _ => None,
    };
    alts.extend(short.map(str::to_string));
    alts.push(format!("&#0*{};", c as u32));
    alts.push(format!("&#(?i:x)0*(?i:{:x});", c as u32));
    let named = match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&apos;"),
        _ => None,
    };
    alts.extend(named.map(str::to_string));
    format!("(?:{})", alts.join("|"))
}

/// The forms a secret takes before it is echoed: as is, and base64 (standard and
/// URL-safe, padded or not), which is what a Basic header carries for `user:password`.
fn forms_of(secret: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut out = vec![secret.to_string()];
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        out.push(engine.encode(secret));
    }
    out
}

impl Redactor {
    /// A redactor for these secret values (passwords, API keys, HMAC keys, and
    /// `user:password` pairs, whose base64 is what a Basic header carries). Values
    /// shorter than four characters are ignored as they would mask ordinary text; a
    /// value of more than about 400 characters is matched as it is and in base64 only
    /// (its every-encoding pattern would take long to build).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let values: Vec<String> = secrets.into_iter().filter(|s| s.chars().count() >= 4).collect();
        let mut forms: Vec<String> = values.iter().flat_map(|s| forms_of(s)).filter(|f| f.len() >= 4).collect();
        // Longest first: the alternation takes the first that matches.
        forms.sort_by_key(|s| std::cmp::Reverse(s.len()));
        forms.dedup();
        let pattern: Vec<String> = forms.iter().map(|f| f.chars().map(char_pattern).collect::<String>()).collect();
        let build = |p: &str| regex::RegexBuilder::new(p).size_limit(16 * 1024 * 1024).build().ok();
        // Should the every-encoding pattern be too large (a secret of thousands of
        // characters), each form is still matched literally: never no redaction at all.
        let literal = || forms.iter().map(|f| regex::escape(f)).collect::<Vec<_>>().join("|");
        let full = pattern.join("|");
        let secrets = match full.len() {
            0 => None,
            // Real secrets are short; a pattern this large would take long to build.
            n if n > 32 * 1024 => build(&literal()),
            _ => build(&full).or_else(|| build(&literal())),
        }
        .map(Arc::new);
        Redactor { secrets, count: values.len() }
    }

    /// The text with every form of every secret replaced by `<redacted>`, every card
    /// number (12 to 19 digits of any script, passing the Luhn check, with any separators
    /// a person might type) shown as `****` and its last four digits, and every
    /// character that could act on a terminal or break XML escaped (see [`inert`]).
    pub fn clean(&self, text: &str) -> String {
        inert(&self.redact(text))
    }

    /// [`Redactor::clean`] that keeps line breaks: for a body shown as a block (a report's
    /// exchange log), never for a line of its own.
    pub fn clean_block(&self, text: &str) -> String {
        escape(&self.redact(text), true)
    }

    /// [`Redactor::clean`] without the escaping: secrets and card numbers only, for
    /// text whose format escapes for itself (a JSON value, a recording).
    pub fn redact(&self, text: &str) -> String {
        mask_card_numbers(&self.secrets_removed(text))
    }

    /// Every form of every configured secret replaced by `<redacted>`; nothing else.
    pub(crate) fn secrets_removed<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        match &self.secrets {
            Some(re) => re.replace_all(text, "<redacted>"),
            None => std::borrow::Cow::Borrowed(text),
        }
    }
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.count)
    }
}

/// A line for a log: card numbers masked and unsafe characters escaped, and borrowed
/// as it is (no work, no allocation) when it is ASCII with fewer than 12 digits and no
/// controls, as nearly every request path is.
pub(crate) fn for_log(text: &str) -> std::borrow::Cow<'_, str> {
    let plain =
        text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') && text.bytes().filter(u8::is_ascii_digit).count() < 12;
    let out =
        if plain { std::borrow::Cow::Borrowed(text) } else { std::borrow::Cow::Owned(inert(&mask_card_numbers(text))) };
    if out.len() <= LOG_PATH_MAX {
        return out;
    }
    // Masked first, then cut: a card number is never cut into a shape the mask misses.
    let mut end = LOG_PATH_MAX;
    while !out.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}…({} bytes)", &out[..end], out.len()))
}

/// The longest path a log line carries, in bytes; a longer one is cut and its length
/// given, so that every log line, and so the log's queue, is bounded in bytes.
pub(crate) const LOG_PATH_MAX: usize = 1024;

#[cfg(test)]
mod tests {
    use super::inert::is_unsafe;
    use super::*;
    use crate::spec::luhn_valid;

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

    /// Issue 19, item 3: a server that echoes `p@ss-word` percent-encoded (either case),
    /// form-encoded, or JSON-escaped in any style leaks nothing.
    #[test]
    fn a_secret_in_every_echo_encoding() {
        let r = Redactor::new(["p@ss-word".to_string(), "pa ss&word".to_string()]);
        for echo in [
            "p@ss-word",
            "p%40ss-word",
            "p%40ss%2Dword",
            "p%40ss%2dword",
            "pa+ss%26word",
            "pa%20ss%26word",
            r"pa ss\u0026word",
            r"p\u0040ss\u002Dword",
            r"p\u0040ss\u002dword",
            "pa ss&amp;word",
            "p&#64;ss-word",
            "p&#x40;ss-word",
        ] {
            let out = r.clean(&format!("echo [{echo}] end"));
            assert_eq!(out, "echo [<redacted>] end", "{echo}");
        }
        // Lower- and upper-case hex for a multi-byte character.
        let r = Redactor::new(["wörd-pass".to_string()]);
        assert_eq!(r.clean("w%c3%b6rd-pass"), "<redacted>");
        assert_eq!(r.clean("w%C3%B6rd-pass"), "<redacted>");
        assert_eq!(r.clean(r"w\u00F6rd-pass"), "<redacted>");
    }

    /// A secret too long for the every-encoding pattern is still redacted as it is.
    #[test]
    fn a_very_long_secret_is_still_redacted() {
        let long = "k".repeat(2_000);
        let r = Redactor::new([long.clone()]);
        assert_eq!(r.clean(&format!("echo {long} end")), "echo <redacted> end");
    }

    #[test]
    fn log_lines_are_borrowed_unless_there_is_something_to_do() {
        assert!(matches!(for_log("/pal/servlet/Payment/v40/authorise"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(for_log("/v40/4111111111111111/x"), "/v40/****1111/x");
        assert_eq!(for_log("/v40/\u{9b}\u{202e}"), "/v40/\\u{9b}\\u{202e}");
        assert_eq!(for_log("/v40/111122223333"), "/v40/111122223333", "12 digits that fail Luhn stay");
        // A long path is cut after masking, on a character boundary, with its length.
        let long = format!("/{}4111111111111111{}", "é".repeat(511), "a".repeat(5000));
        let cut = for_log(&long);
        assert!(cut.len() <= LOG_PATH_MAX + 24 && cut.ends_with(&format!("…({} bytes)", long.len() - 8)), "{cut}");
        assert!(!cut.contains("4111111111111111"), "{cut}");
    }

    /// Issue 19, item 4: any separator a person might type between digit groups.
    #[test]
    fn card_numbers_with_any_typed_separator() {
        let r = Redactor::default();
        for sep in [".", "\u{a0}", "\u{2009}", "/", "_", "  ", "\u{202f}", "\u{2013}", " - ", "-"] {
            let text = format!("card 4444{sep}3333{sep}2222{sep}1111 end");
            assert_eq!(r.clean(&text), "card ****1111 end", "{sep:?}");
        }
        // A newline is no separator: two numbers on two lines stay two numbers.
        assert_eq!(r.redact("44443333\n22221111"), "44443333\n22221111");
    }

    /// Issue 19, item 14: a pspReference (16 digits that pass Luhn) stays whole where the
    /// field says it is a reference; the same digits elsewhere are masked.
    #[test]
    fn references_are_not_card_numbers() {
        let r = Redactor::default();
        let psp = "8815000000007912";
        assert!(luhn_valid(psp));
        for text in [
            format!(r#"{{"pspReference":"{psp}"}}"#),
            format!(r#"{{"originalReference": "{psp}"}}"#),
            format!(r#"{{\"pspReference\":\"{psp}\"}}"#),
            format!("psp_reference={psp}"),
            format!("GET /pal/servlet/Payment/v40/__twin/payments/{psp}"),
            // A varied twin's pspReference: letters around Luhn-valid digits.
            r#"{"pspReference":"YU000000000042NC"}"#.to_string(),
        ] {
            assert_eq!(r.clean(&text), text);
        }
        assert_eq!(r.clean(&format!(r#"{{"number":"{psp}"}}"#)), r#"{"number":"****7912"}"#);
        assert_eq!(r.clean(&format!("GET /v40/{psp}")), "GET /v40/****7912");
    }

    /// Issue 19, items 1 and 2: controls, C1, bidirectional overrides and XML's
    /// forbidden characters are escaped (a block keeps its line breaks).
    #[test]
    fn nothing_can_act_on_a_terminal_or_break_xml() {
        let r = Redactor::default();
        let hostile =
            "a\u{1b}[2Jb\nscenarios: 118 passed, 0 failed\r\u{9b}31m\u{202e}txt.exe\u{fffe}\u{ffff}\u{7f}\u{2028}";
        let out = r.clean(hostile);
        assert!(out.chars().all(|c| c == '\t' || !is_unsafe(c)), "{out:?}");
        assert_eq!(
            out,
            r"a\u{1b}[2Jb\u{a}scenarios: 118 passed, 0 failed\u{d}\u{9b}31m\u{202e}txt.exe\u{fffe}\u{ffff}\u{7f}\u{2028}"
        );
        assert_eq!(r.clean("tab\there"), "tab\there");
        assert_eq!(r.clean_block("{\n  \"a\": 1\u{1b}\n}"), "{\n  \"a\": 1\\u{1b}\n}");
        assert_eq!(r.clean("plain ünïcödé 日本"), "plain ünïcödé 日本");
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
}
