//! Card numbers however they are written: 12 to 19 decimal digits of any script that
//! pass the Luhn check, with the separators a person might type, shown as `****` and
//! their last four digits; never a reference that only looks like one.

use std::sync::LazyLock;

use regex::Regex;

use crate::spec::luhn_valid;

/// A run of decimal digits (any script) joined by separators a person might type: up
/// to three of space (any Unicode space, the no-break and thin spaces included), dash
/// (any Unicode dash), dot, slash or underscore between two digits.
static DIGIT_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d(?:[\p{Zs}\p{Pd}./_]{0,3}\d)*").expect("valid regex"));
static ONE_DIGIT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d$").expect("valid regex"));
/// What comes right before a value that is a reference, not a card number: a JSON key,
/// a `key=` or `key: ` pair, or a path segment, naming a reference field (the list is
/// [`super::fields::REFERENCE_FIELDS`], shared with the recordings), or the twin's
/// inspection path.
static REFERENCE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    let names = super::fields::REFERENCE_FIELDS.join("|");
    // The value may start with letters (a varied twin's `YU000000000042NC`).
    Regex::new(&format!(r#"(?i)(?:(?:{names})[\\"']*\s*[:=]\s*[\\"']*\p{{L}}{{0,8}}|__twin/payments/)$"#))
        .expect("valid regex")
});

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

/// Whether the digits at `start` are the value of a reference field (a pspReference is
/// 16 digits and passes the Luhn check one time in ten; a user needs it whole to talk to
/// the vendor).
fn names_a_reference(text: &str, start: usize) -> bool {
    let mut from = start.saturating_sub(80);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    REFERENCE_BEFORE.is_match(&text[from..start])
}

/// Every card number in the text as `****` and its last four digits.
pub(crate) fn mask_card_numbers(text: &str) -> String {
    mask_card_numbers_with(text, |_, tail| format!("****{tail}"))
}

/// Every card number in the text replaced by what `mask` makes of its digits (in ASCII)
/// and its last four characters as written.
pub(crate) fn mask_card_numbers_with(text: &str, mut mask: impl FnMut(&str, &str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for run in DIGIT_RUN.find_iter(text) {
        if names_a_reference(text, run.start()) {
            continue;
        }
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
                    let written: Vec<char> = groups[i..=j].iter().flat_map(|g| &g.digits).map(|(c, _)| *c).collect();
                    let ascii: String = groups[i..=j]
                        .iter()
                        .flat_map(|g| &g.digits)
                        .filter_map(|(_, v)| char::from_digit(*v, 10))
                        .collect();
                    let tail: String = written[written.len() - 4..].iter().collect();
                    out.push_str(&text[last..groups[i].start]);
                    out.push_str(&mask(&ascii, &tail));
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
    fn digit_values_in_any_script() {
        assert_eq!(digit_value('७'), Some(7));
        assert_eq!(digit_value('٠'), Some(0));
        assert_eq!(digit_value('𝟗'), Some(9)); // mathematical bold nine
        assert_eq!(digit_value('𝟘'), Some(0)); // double-struck zero, right after bold nine
        assert_eq!(digit_value('x'), None);
    }
}
