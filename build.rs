//! Generates, from the one list of APIs (build/apis.rs) and their specs in `spec/`:
//! the `Api` enum (`OUT_DIR/apis.rs`), the client modules (`OUT_DIR/modules.rs`), and
//! per API a typed client (`<stem>.rs`, see build/generate.rs) and its operation table
//! (`<stem>.ops.rs`).

use std::fmt::Write as _;

#[path = "build/apis.rs"]
mod apis;
#[path = "build/generate.rs"]
mod generate;

use apis::{APIS, ApiDecl};

fn main() {
    println!("cargo:rerun-if-changed=build");
    // Embedded with include_dir, which cannot tell Cargo it read them: a changed
    // feature file or fixture must rebuild the crate.
    println!("cargo:rerun-if-changed=features");
    println!("cargo:rerun-if-changed=tests/fixtures/vendor-examples");
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let write = |name: String, body: &str| {
        std::fs::write(out_dir.join(&name), body).unwrap_or_else(|e| panic!("cannot write {name} to OUT_DIR: {e}"))
    };
    let mut failures = Vec::new();
    for api in &APIS {
        let file = format!("spec/{}.yaml", api.stem);
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
                write(format!("{}.rs", api.stem), &g.code);
                write(format!("{}.ops.rs", api.stem), &generate::operation_table(api.variant, &g.operations));
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
    write("apis.rs".into(), &api_enum(&APIS));
    write("modules.rs".into(), &client_modules(&APIS));
}

/// The `Api` enum and what it knows of each API.
fn api_enum(apis: &[ApiDecl]) -> String {
    let mut s = String::from(
        "/// One of the APIs (generated from build/apis.rs).\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum Api {\n",
    );
    for a in apis {
        let _ = writeln!(s, "    /// {}.\n    {},", a.title, a.variant);
    }
    let all: Vec<String> = apis.iter().map(|a| format!("Api::{}", a.variant)).collect();
    let _ = writeln!(s, "}}\n\nimpl Api {{\n    /// Every API, in a fixed order.");
    let _ = writeln!(s, "    pub const ALL: [Api; {}] = [{}];", apis.len(), all.join(", "));
    let method = |s: &mut String, doc: &str, name: &str, ret: &str, value: &dyn Fn(&ApiDecl) -> String| {
        let _ = writeln!(s, "    /// {doc}\n    pub fn {name}(self) -> {ret} {{\n        match self {{");
        for a in apis {
            let _ = writeln!(s, "            Api::{} => {},", a.variant, value(a));
        }
        let _ = writeln!(s, "        }}\n    }}");
    };
    method(&mut s, "The spec file stem, also the folder name of its examples.", "name", "&'static str", &|a| {
        format!("{:?}", a.stem)
    });
    method(
        &mut s,
        "The short name the step vocabulary and the CLI use (`worldpay-v7`, `adyen`).",
        "short_name",
        "&'static str",
        &|a| format!("{:?}", a.short),
    );
    method(&mut s, "Human title.", "title", "&'static str", &|a| format!("{:?}", a.title));
    method(
        &mut s,
        "Path prefix of the API on a gateway host (what the spec's server URL adds).",
        "base_path",
        "&'static str",
        &|a| format!("{:?}", a.base_path),
    );
    method(&mut s, "The embedded spec text.", "source", "&'static str", &|a| {
        format!("include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/spec/{}.yaml\"))", a.stem)
    });
    method(
        &mut s,
        "The operation table generated from the spec.",
        "operations",
        "&'static [crate::operation::OperationInfo]",
        &|a| format!("&crate::client::{}::OPERATIONS", a.module),
    );
    s.push_str("}\n");
    s
}

/// One client module per API: progenitor's client and types, the operation table, and
/// the hooks that give the client the vendor's wire format.
fn client_modules(apis: &[ApiDecl]) -> String {
    let mut s = String::new();
    for a in apis {
        let _ = writeln!(s, "pub mod {} {{", a.module);
        let _ = writeln!(s, "    //! {} (`spec/{}.yaml`): the generated client and types,", a.title, a.stem);
        let _ = writeln!(s, "    //! and the operation table ([`Op`], [`OPERATIONS`]).");
        let _ = writeln!(s, "    #[allow(missing_docs, clippy::all, unused, rustdoc::all)]\n    mod generated {{");
        let _ = writeln!(s, "        include!(concat!(env!(\"OUT_DIR\"), \"/{}.rs\"));\n    }}", a.stem);
        let _ = writeln!(s, "    pub use generated::*;");
        let _ = writeln!(s, "    include!(concat!(env!(\"OUT_DIR\"), \"/{}.ops.rs\"));", a.stem);
        let _ = writeln!(s, "    client_extensions!();\n}}\n");
    }
    s
}
