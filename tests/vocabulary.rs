//! The README's step vocabulary lists every step definition, and nothing else, with its
//! parameters named as the definitions name them (`{int}`, `{currency}`, …). The
//! definitions are read from the step functions cucumber registered (the same list
//! `payconform check` suggests from), not from the source text.

use std::collections::BTreeSet;

#[test]
fn readme_lists_every_step_definition() {
    let defined: BTreeSet<String> = payconform::harness::step_vocabulary().into_iter().collect();
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme.split("### Step vocabulary").nth(1).expect("a Step vocabulary section");
    let listed: BTreeSet<String> = table
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| !l.starts_with("| `{")) // the parameter table
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next().map(String::from))
        .collect();
    assert_eq!(defined, listed, "README step table and step definitions differ");
}
