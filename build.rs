//! Generates, from the one list of APIs (build/apis.rs) and their specs in `spec/`:
//! per API a typed client (`OUT_DIR/<stem>.rs`, see build/generate.rs); the operation
//! model's generated half, the `Api` enum and each API's `Op`/`OPERATIONS`
//! (`OUT_DIR/operations.rs`, included by `src/operation/`); and the client modules
//! (`OUT_DIR/modules.rs`). All of it is built as tokens and pretty-printed.

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
    let mut tables = Vec::new();
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
                tables.push(generate::operation_table(api.variant, &g.operations));
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    if !failures.is_empty() {
        // One line per broken spec, once: cargo shows a build script's stderr when it fails.
        for f in &failures {
            eprintln!("error: {f}");
        }
        std::process::exit(1);
    }
    write("operations.rs".into(), &pretty(generate::api_enum(&APIS, tables)));
    write("modules.rs".into(), &client_modules(&APIS));
}

/// Tokens as formatted Rust source (progenitor's example build does the same).
fn pretty(tokens: proc_macro2::TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the generated operation model parses");
    prettyplease::unparse(&file)
}

/// One client module per API: progenitor's client and types, the operation table
/// re-exported from the ground floor, and the hooks that give the client the vendor's
/// wire format.
fn client_modules(apis: &[ApiDecl]) -> String {
    let modules = apis.iter().map(|a| {
        let module = quote::format_ident!("{}", a.module);
        let doc = format!(" {} (`spec/{}.yaml`): the generated client and types,", a.title, a.stem);
        let file = format!("/{}.rs", a.stem);
        quote::quote! {
            pub mod #module {
                #![doc = #doc]
                #![doc = " and the operation table ([`Op`], [`OPERATIONS`])."]
                #[allow(missing_docs, clippy::all, unused, rustdoc::all)]
                mod generated {
                    include!(concat!(env!("OUT_DIR"), #file));
                }
                pub use generated::*;
                pub use crate::operation::#module::{Op, OPERATIONS};
                client_extensions!();
            }
        }
    });
    pretty(quote::quote! { #(#modules)* })
}
