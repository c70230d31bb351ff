//! Help for a step that matches no definition: the closest entry of the vocabulary
//! (read from the step definitions themselves), and hints for common slips.

use std::sync::LazyLock;

use cucumber::codegen::{StepConstructor as _, WorldInventory};
use regex::Regex;

use super::ConformanceWorld;

/// Every step definition as a readable pattern with its parameters named
/// (`I authorize {int} {currency}`), as the README lists them.
pub(crate) fn vocabulary() -> &'static [String] {
    static VOCABULARY: LazyLock<Vec<String>> = LazyLock::new(|| {
        let mut out: Vec<String> = Vec::new();
        for re in step_regexes() {
            let entry = readable(re.as_str());
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
        out.sort();
        out
    });
    &VOCABULARY
}

/// An entry with its parameters as `{}`, the way [`shape_of`] writes a step.
fn unnamed(entry: &str) -> String {
    static PARAM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{[a-z_]*\}").expect("valid regex"));
    PARAM.replace_all(entry, "{}").into_owned()
}

/// The regex of every registered step definition (Given, When and Then).
fn step_regexes() -> impl Iterator<Item = Regex> {
    type W = ConformanceWorld;
    cucumber::codegen::inventory::iter::<<W as WorldInventory>::Given>
        .into_iter()
        .map(|s| (s.inner().1)())
        .chain(cucumber::codegen::inventory::iter::<<W as WorldInventory>::When>.into_iter().map(|s| (s.inner().1)()))
        .chain(cucumber::codegen::inventory::iter::<<W as WorldInventory>::Then>.into_iter().map(|s| (s.inner().1)()))
}

/// `^I authorize ((?:-?\d+)|(?:\d+)) ([A-Z]{3})$` → `I authorize {int} {currency}`:
/// each outermost group becomes the parameter it is, `{}` if none is known.
fn readable(regex: &str) -> String {
    let body = regex.trim_start_matches('^').trim_end_matches('$');
    let mut out = String::new();
    let mut group = String::new();
    let mut depth = 0usize;
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) if depth == 0 => out.push(n),
                Some(n) => {
                    group.push(c);
                    group.push(n);
                }
                None => {}
            },
            '(' => {
                if depth > 0 {
                    group.push(c);
                }
                depth += 1;
            }
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.push_str(&format!("{{{}}}", parameter_name(&group)));
                    group.clear();
                } else {
                    group.push(c);
                }
            }
            _ if depth == 0 => out.push(c),
            _ => group.push(c),
        }
    }
    out
}

/// The name of the parameter whose regex a group holds (`int`, `string`, `word`, or one
/// of the vocabulary's typed parameters); empty if none.
fn parameter_name(group: &str) -> &'static str {
    if group == r"(?:-?\d+)|(?:\d+)" {
        return "int";
    }
    if group.starts_with("?:\"") {
        return "string";
    }
    if group == r"[^\s]+" {
        return "word";
    }
    super::steps::parameters().iter().find(|p| p.regex == group).map_or("", |p| p.name)
}

/// The step text with its values replaced by `{}`: numbers and quoted strings.
fn shape_of(text: &str) -> String {
    static VALUES: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#""[^"]*"|'[^']*'|-?\d+(\.\d+)?"#).expect("valid regex"));
    VALUES.replace_all(text, "{}").into_owned()
}

/// What to tell the author of a step that matches nothing.
pub(crate) fn help(step: &str) -> String {
    static DECIMAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\d+\.\d+\b").expect("valid regex"));
    let mut out = String::from("no step definition matches this step");
    if DECIMAL.is_match(step) {
        out.push_str("; amounts are integers in minor units (10.00 GBP is written 1000 GBP)");
    }
    let shape = shape_of(step).replace("authorise", "authorize").replace("Authorise", "authorize");
    // A step whose words fit an entry but whose value does not (`the adyen-v40 API`):
    // that entry, with the words its parameter admits.
    let loose = vocabulary().iter().find(|v| loosely(v).is_match(step));
    let best = vocabulary().iter().map(|v| (likeness(&shape, v), v)).max_by(|a, b| a.0.total_cmp(&b.0));
    let entry = match (loose, best) {
        (Some(entry), _) => Some((entry, true)),
        (None, Some((score, entry))) => Some((entry, score >= 0.6)),
        (None, None) => None,
    };
    match entry {
        Some((entry, true)) => out.push_str(&format!("; did you mean `{entry}`?")),
        // The words differ too much for a did-you-mean; the nearest step still helps.
        Some((entry, false)) => out.push_str(&format!("; the nearest step is `{entry}`")),
        None => {}
    }
    if let Some((entry, _)) = entry {
        // The words a typed parameter admits, for each one in the entry.
        for p in super::steps::parameters().iter().filter(|p| entry.contains(&format!("{{{}}}", p.name))) {
            out.push_str(&format!(" ({{{}}} is {})", p.name, p.words));
        }
    }
    out.push_str(" (the step vocabulary is in docs/steps.md)");
    out
}

/// How alike a step's shape and an entry are, 0 to 1: their edit distance, and for a
/// step whose words differ, the words they share, a typed parameter counting as each
/// word it admits (`I refund 700` shares `refund` with `I partially {partial} {int} …`).
fn likeness(shape: &str, entry: &str) -> f64 {
    let edits = strsim::normalized_levenshtein(&shape.to_lowercase(), &unnamed(entry).to_lowercase());
    let admitted = |word: &str| -> Vec<String> {
        match word.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
            Some(name) => super::steps::parameters()
                .iter()
                .filter(|p| p.name == name)
                .flat_map(|p| p.words.split([',', ' ', '`']).filter(|w| w.len() > 2).map(str::to_lowercase))
                .collect(),
            None => vec![word.to_lowercase()],
        }
    };
    let theirs: std::collections::BTreeSet<String> = entry.split(' ').flat_map(admitted).collect();
    let ours: Vec<String> = shape.split(' ').filter(|w| *w != "{}" && w.len() > 1).map(str::to_lowercase).collect();
    let shared = ours.iter().filter(|w| theirs.contains(*w)).count() as f64 / ours.len().max(1) as f64;
    edits.max(0.5 * edits + 0.5 * shared)
}

/// An entry as a regex in which each parameter takes any one word or quoted string.
fn loosely(entry: &str) -> Regex {
    let parts: Vec<String> = unnamed(entry).split("{}").map(regex::escape).collect();
    Regex::new(&format!("^{}$", parts.join(r#"(?:"[^"]*"|\S+)"#))).expect("an escaped entry is a valid regex")
}

/// The first line (1-based) whose first word looks like a misspelled Gherkin keyword,
/// with what to say about it.
pub(crate) fn misspelled_keyword(text: &str) -> Option<(usize, String)> {
    const KEYWORDS: [&str; 12] = [
        "Feature:",
        "Background:",
        "Scenario:",
        "Scenario Outline:",
        "Scenario Template:",
        "Rule:",
        "Examples:",
        "Given",
        "When",
        "Then",
        "And",
        "But",
    ];
    text.lines().enumerate().find_map(|(i, line)| {
        let line = line.trim_start();
        if line.starts_with(['#', '@', '|', '"', '*']) || line.is_empty() {
            return None;
        }
        // A header keyword runs to its colon; a step keyword is the first word.
        let head = match line.find(':') {
            Some(colon) if !line[..colon].contains(' ') || line[..colon].split(' ').count() == 2 => &line[..=colon],
            _ => line.split(' ').next().unwrap_or(""),
        };
        if head.len() < 3 || KEYWORDS.contains(&head) {
            return None;
        }
        // One edit for the short step words (so a description's "Adds" is no "And"),
        // two for the headers.
        let distance = |k: &str| strsim::damerau_levenshtein(&head.to_lowercase(), &k.to_lowercase());
        KEYWORDS
            .iter()
            .filter(|k| distance(k) <= if k.len() <= 5 { 1 } else { 2 })
            .min_by_key(|k| distance(k))
            .map(|k| (i + 1, format!("`{head}` is not a Gherkin keyword; did you mean `{k}`?")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_comes_from_the_definitions() {
        let v = vocabulary();
        assert!(v.iter().any(|s| s == "I authorize {int} {currency}"), "{v:?}");
        assert!(v.iter().any(|s| s == "the status is {int}"), "{v:?}");
        // A group no parameter is known for stays `{}`.
        assert_eq!(readable(r"^the response field (.+) is (.+)$"), "the response field {} is {}");
        assert_eq!(unnamed("I {action} the payment {int}"), "I {} the payment {}");
    }

    #[test]
    fn misspelled_keywords_are_named_with_their_line() {
        let text =
            "Feature: x\n  A description line.\n\n  Scenario: ok\n    Given the adyen API\n    Wen I authorize 1 EUR\n";
        assert_eq!(misspelled_keyword(text), Some((6, "`Wen` is not a Gherkin keyword; did you mean `When`?".into())));
        let text = "Feature: x\n\n  Scenari: typo\n    Given the adyen API\n";
        assert_eq!(misspelled_keyword(text).map(|(l, _)| l), Some(3));
        let fine = "Feature: x\n  Adds text\n  Scenario: a\n    Given the adyen API\n    And I authorize 1 EUR\n";
        assert_eq!(misspelled_keyword(fine), None);
    }

    #[test]
    fn near_misses_get_the_closest_entry() {
        for (typed, expected) in [
            ("I authorise 100 GBP", "I authorize {int} {currency}"),
            ("authorise 100 GBP", "I authorize {int} {currency}"),
            ("settle the payment", "I {action} the payment"),
            ("the status was 201", "the status is {int}"),
            // Words outside a typed parameter's vocabulary match no definition.
            ("I setle the payment", "I {action} the payment"),
            ("I authorize 100 gbp", "I authorize {int} {currency}"),
        ] {
            assert!(!step_regexes().any(|r| r.is_match(typed)), "{typed} should match no step definition");
            let h = help(typed);
            assert!(h.contains(&format!("did you mean `{expected}`")), "{typed}: {h}");
        }
        assert!(!step_regexes().any(|r| r.is_match("the worldpay API")));
        assert!(step_regexes().any(|r| r.is_match("the worldpay-v7 API")));
        assert!(help("I setle the payment").contains("({action} is settle, cancel, refund or reverse)"));
        assert!(vocabulary().iter().all(|v| !v.contains("{}")), "every parameter is named: {:?}", vocabulary());
        assert!(help("I authorize 10.00 GBP").contains("integers in minor units"));
        assert!(!help("the moon is made of cheese and stars").contains("did you mean"));
        // Words that fit an entry with a value it does not take: that entry and its words.
        let h = help("the adyen-v40 API");
        assert!(h.contains("did you mean `the {api} API`?") && h.contains("worldpay-v7"), "{h}");
        // Words that differ: the step sharing them, a typed parameter's words counted.
        let h = help("I refund 700");
        assert!(h.contains("`I partially {partial} {int}`"), "{h}");
        let h = help("the payment flies to the moon");
        assert!(h.contains("the nearest step is `"), "a far step still gets the nearest: {h}");
    }
}
