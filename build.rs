//! Generates one typed client per spec in `spec/` (see build/generate.rs).

#[path = "build/generate.rs"]
mod generate;

/// The APIs, by spec file stem; each becomes `OUT_DIR/<stem>.rs` and `<stem>.wire.rs`.
const SPECS: [&str; 3] = ["worldpay-card-payments-v7", "worldpay-payments-2024-06-01", "adyen-payment-v40"];

fn main() {
    println!("cargo:rerun-if-changed=build/generate.rs");
    // Embedded with include_dir, which cannot tell Cargo it read them: a changed
    // feature file or fixture must rebuild the crate.
    println!("cargo:rerun-if-changed=features");
    println!("cargo:rerun-if-changed=tests/fixtures/vendor-examples");
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut failures = Vec::new();
    for stem in SPECS {
        let file = format!("spec/{stem}.yaml");
        println!("cargo:rerun-if-changed={file}");
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{file}: cannot read: {e}"));
                continue;
            }
        };
        match generate::generate(&file, &text) {
            Ok(g) => {
                let write = |name: String, body: &str| {
                    std::fs::write(out_dir.join(&name), body)
                        .unwrap_or_else(|e| panic!("cannot write {name} to OUT_DIR: {e}"))
                };
                write(format!("{stem}.rs"), &g.code);
                write(format!("{stem}.wire.rs"), &generate::wire_table(&g.wire));
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    if !failures.is_empty() {
        for f in &failures {
            println!("cargo:warning=payconform spec error: {f}");
            eprintln!("error: {f}");
        }
        std::process::exit(1);
    }
}
