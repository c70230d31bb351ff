//! The operation model's generated half, as tokens (quote), pretty-printed by build.rs:
//! per API an `Op` enum and its `OPERATIONS` rows, and the `Api` enum over them all.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::OperationRow;
use super::names::pascal;
use crate::apis::ApiDecl;

/// The tokens of one API's operation table: the `Op` enum and `OPERATIONS`.
/// `api` is the `Api` variant the rows belong to.
pub fn operation_table(api: &str, rows: &[OperationRow]) -> TokenStream {
    let api = format_ident!("{api}");
    let n = proc_macro2::Literal::usize_unsuffixed(rows.len());
    let variants: Vec<_> = rows.iter().map(|r| format_ident!("{}", pascal(&r.operation_id))).collect();
    let variant_docs = rows.iter().map(|r| format!(" `{}`: {} {}", r.operation_id, r.http_method, r.path));
    let opt = |o: &Option<String>| match o {
        Some(v) => quote! { Some(#v) },
        None => quote! { None },
    };
    let infos = rows.iter().enumerate().map(|(index, r)| {
        let index = proc_macro2::Literal::usize_unsuffixed(index);
        let (operation_id, method, http_method, path) = (&r.operation_id, &r.method_name, &r.http_method, &r.path);
        let aliases = &r.path_aliases;
        let (request, response) = (opt(&r.request_media_type), opt(&r.response_media_type));
        let headers = r.constant_headers.iter().map(|(n, v)| quote! { (#n, #v) });
        let action = match r.action {
            Some(a) => {
                let a = format_ident!("{}", a.variant());
                quote! { Some(crate::operation::Action::#a) }
            }
            None => quote! { None },
        };
        let responses = r.responses.iter().map(|(status, next)| {
            let next = next.iter().map(|(relation, op)| {
                let op = opt(op);
                quote! { crate::operation::Next { relation: #relation, operation: #op } }
            });
            quote! { crate::operation::Documented { status: #status, next: &[#(#next),*] } }
        });
        quote! {
            crate::operation::OperationInfo {
                api: crate::operation::Api::#api,
                index: #index,
                operation_id: #operation_id,
                method: #method,
                http_method: #http_method,
                path: #path,
                path_aliases: &[#(#aliases),*],
                request_media_type: #request,
                response_media_type: #response,
                constant_headers: &[#(#headers),*],
                action: #action,
                responses: &[#(#responses),*],
            }
        }
    });
    quote! {
        /// Every operation of this API, one variant per operationId (generated from the spec).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Op {
            #( #[doc = #variant_docs] #variants, )*
        }

        impl Op {
            /// Every operation, in table order.
            pub const ALL: [Op; #n] = [#(Op::#variants),*];
            /// This operation's row in [`OPERATIONS`].
            pub fn info(self) -> &'static crate::operation::OperationInfo {
                &OPERATIONS[self as usize]
            }
            /// The operation a row names, if the row is this API's.
            pub fn of(info: &crate::operation::OperationInfo) -> Option<Op> {
                if info.api == crate::operation::Api::#api { Op::ALL.get(info.index).copied() } else { None }
            }
        }

        /// This API's operations (generated from the spec), indexed by [`Op`].
        pub static OPERATIONS: [crate::operation::OperationInfo; #n] = [#(#infos),*];
    }
}

/// The tokens of the `Api` enum and what it knows of each API, over `tables` (each
/// API's operation table, in a module named for it).
pub fn api_enum(apis: &[ApiDecl], tables: Vec<TokenStream>) -> TokenStream {
    let variants: Vec<_> = apis.iter().map(|a| format_ident!("{}", a.variant)).collect();
    let modules: Vec<_> = apis.iter().map(|a| format_ident!("{}", a.module)).collect();
    let titles: Vec<_> = apis.iter().map(|a| a.title).collect();
    let docs = apis.iter().map(|a| format!(" {}.", a.title));
    let module_docs = apis.iter().map(|a| format!(" {} (`spec/{}.yaml`): its operation table.", a.title, a.stem));
    let stems = apis.iter().map(|a| a.stem);
    let shorts = apis.iter().map(|a| a.short);
    let paths = apis.iter().map(|a| a.base_path);
    let vendors = apis.iter().map(|a| format_ident!("{}", a.vendor));
    let offers = apis.iter().map(|a| a.offers);
    let sources = apis.iter().map(|a| format!("/spec/{}.yaml", a.stem));
    let n = proc_macro2::Literal::usize_unsuffixed(apis.len());
    quote! {
        /// One of the APIs (generated from build/apis.rs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Api {
            #( #[doc = #docs] #variants, )*
        }

        impl Api {
            /// Every API, in a fixed order.
            pub const ALL: [Api; #n] = [#(Api::#variants),*];
            /// The spec file stem, also the folder name of its examples.
            pub fn name(self) -> &'static str {
                match self { #(Api::#variants => #stems,)* }
            }
            /// The short name the step vocabulary and the CLI use (`worldpay-v7`, `adyen`).
            pub fn short_name(self) -> &'static str {
                match self { #(Api::#variants => #shorts,)* }
            }
            /// Human title.
            pub fn title(self) -> &'static str {
                match self { #(Api::#variants => #titles,)* }
            }
            /// Path prefix of the API on a gateway host (what the spec's server URL adds).
            pub fn base_path(self) -> &'static str {
                match self { #(Api::#variants => #paths,)* }
            }
            /// The vendor of the API.
            pub fn vendor(self) -> crate::operation::Vendor {
                match self { #(Api::#variants => crate::operation::Vendor::#vendors,)* }
            }
            /// The response field where a success offers the payment's next actions
            /// (`_links`, `_actions`); `None` where the API offers none.
            pub fn offers_in(self) -> Option<&'static str> {
                match self { #(Api::#variants => Some(#offers),)* }.filter(|o| !o.is_empty())
            }
            /// The embedded spec text.
            pub fn source(self) -> &'static str {
                match self { #(Api::#variants => include_str!(concat!(env!("CARGO_MANIFEST_DIR"), #sources)),)* }
            }
            /// The operation table generated from the spec.
            pub fn operations(self) -> &'static [crate::operation::OperationInfo] {
                match self { #(Api::#variants => &#modules::OPERATIONS,)* }
            }
        }

        #(
            #[doc = #module_docs]
            pub mod #modules { #tables }
        )*
    }
}
