//! The README's step vocabulary lists every step definition, and nothing else.

use std::collections::BTreeSet;

#[test]
fn readme_lists_every_step_definition() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/harness/steps");
    let mut defined = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split("expr = \"").skip(1) {
            defined.insert(part.split('"').next().unwrap().to_string());
        }
    }
    assert!(defined.len() >= 30, "found {} step definitions", defined.len());
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme.split("### Step vocabulary").nth(1).expect("a Step vocabulary section");
    let listed: BTreeSet<String> = table
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next().map(str::to_string))
        .collect();
    assert_eq!(defined, listed, "README step table and step definitions differ");
}
