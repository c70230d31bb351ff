//! A recording of the whole `payconform check` run (issue 22): it opens in the `har`
//! crate's strict HAR 1.2 types, and a scanner written here, independent of the
//! redactor (its own Luhn check, its own list of encodings), finds no credential, card
//! number or card security code in it, in any encoding.

use base64::Engine;
use payconform::{CheckOptions, Target, run};
use regex::Regex;

/// The Luhn check, written again here so that the scanner shares nothing with the
/// redactor.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Every form of `secret` the scanner looks for: as is, base64 in four alphabets at the
/// three alignments it can take inside a longer base64 text, percent-encoded and
/// JSON-escaped.
fn forms(secret: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut out = vec![secret.to_string()];
    for pad in ["", "a", "ab"] {
        let text = format!("{pad}{secret}");
        for e in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            let enc = e.encode(&text);
            // The characters that depend only on the secret's own bytes.
            let skip = (pad.len() * 4).div_ceil(3) + 1;
            let keep = enc.trim_end_matches('=');
            if keep.len() > skip + 8 {
                out.push(keep[skip..keep.len() - 2].to_string());
            }
        }
    }
    out.push(secret.bytes().map(|b| format!("%{b:02X}")).collect());
    out.push(secret.chars().map(|c| format!("\\u{:04x}", c as u32)).collect());
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_check_run_is_valid_har_and_holds_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("check.har");
    let mut opts = CheckOptions::new(Target::Sandbox);
    opts.record = Some(path.clone());
    let report = run(&opts).await.unwrap();
    assert!(report.passed(), "{}", report.summary());

    // A strict reader we did not write.
    let log = match har::from_path(&path).unwrap().log {
        har::Spec::V1_2(log) => log,
        other => panic!("not HAR 1.2: {other:?}"),
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entries = raw["log"]["entries"].as_array().unwrap();
    let notifications = entries.iter().filter(|e| e["_payconform"]["notification"] == true).count();
    assert_eq!(entries.len(), log.entries.len());
    assert_eq!(entries.len() - notifications, report.exchanges, "every exchange is recorded");
    assert!(notifications > 0, "and the Adyen notifications the run received");

    // 1. Every card number the run sends (the harness's and the features'), and the
    // twin's credentials, in every form.
    let mut secrets: Vec<String> =
        ["4444333322221111", "4111111111111111", "payconform:sandbox", "payconform-sandbox-key"]
            .map(String::from)
            .to_vec();
    let digits = Regex::new(r"\b\d{13,19}\b").unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/features")).unwrap() {
        for f in std::fs::read_dir(entry.unwrap().path()).unwrap() {
            let feature = std::fs::read_to_string(f.unwrap().path()).unwrap();
            // Card numbers, not the pspReferences the features quote (a reference is kept).
            for line in feature.lines().filter(|l| !l.to_ascii_lowercase().contains("reference")) {
                secrets.extend(digits.find_iter(line).map(|m| m.as_str().to_string()).filter(|d| luhn(d)));
            }
        }
    }
    secrets.sort();
    secrets.dedup();
    for s in &secrets {
        for form in forms(s) {
            assert!(!text.contains(&form), "{s} is in the recording as {form:?}");
        }
        let spaced: Vec<&str> = (0..s.len()).step_by(4).map(|i| &s[i..(i + 4).min(s.len())]).collect();
        for sep in [" ", "-"] {
            assert!(!text.contains(&spaced.join(sep)), "{s} is in the recording, grouped");
        }
    }

    // 2. Any Luhn-valid run of 13 to 19 digits that is not the value of a reference.
    let run_with_key = Regex::new(r#"(?i)([A-Za-z_]*)\\?"?\s*[:=]\s*\\?"?(\d{13,19})\b|\b(\d{13,19})\b"#).unwrap();
    for c in run_with_key.captures_iter(&text) {
        let (key, number) = match (c.get(1), c.get(2), c.get(3)) {
            (Some(k), Some(n), _) => (k.as_str().to_ascii_lowercase(), n.as_str()),
            (_, _, Some(n)) => (String::new(), n.as_str()),
            _ => continue,
        };
        if luhn(number) {
            let at = c.get(0).unwrap().start();
            let context = &text[at.saturating_sub(160)..(at + 60).min(text.len())];
            assert!(
                key.ends_with("reference"),
                "a card number {number} (after {key:?}) is in the recording: {context}"
            );
        }
    }

    // 3. No card security code: every cvc field holds a pseudonym.
    let cvc = Regex::new(r#"(?i)\\?"(cvc|cvv|cvn)\\?"\s*:\s*\\?"([^"\\]*)"#).unwrap();
    let mut codes = 0;
    for c in cvc.captures_iter(&text) {
        codes += 1;
        // A pseudonym (`<cvc#1>`, or `<cvc:21#3>` for a probe's value that is no code),
        // or a probe's empty one.
        let v = &c[2];
        assert!(
            v.is_empty() || v.starts_with("<cvc#") || v.starts_with("<cvc:"),
            "a card security code {v:?} is in the recording"
        );
    }
    assert!(codes > 0, "the run sends security codes, so the scan must see their pseudonyms");
    // And the run's cards read as stable pseudonyms.
    assert!(text.contains("****1111#1"));
}
