//! The step vocabulary in docs/steps.md lists every step definition, and nothing else, with its
//! parameters named as the definitions name them (`{int}`, `{currency}`, …). The
//! definitions are read from the step functions cucumber registered (the same list
//! `payconform check` suggests from), not from the source text.

use std::collections::BTreeSet;

#[test]
fn the_step_reference_lists_every_step_definition() {
    let defined: BTreeSet<String> = payconform::harness::step_vocabulary().into_iter().collect();
    let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/steps.md")).unwrap();
    let listed: BTreeSet<String> = table
        .lines()
        .filter(|l| !l.starts_with("| `{")) // the parameter table
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next().map(String::from))
        .collect();
    assert_eq!(defined, listed, "docs/steps.md step table and step definitions differ");
}
