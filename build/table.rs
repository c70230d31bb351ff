//! The Rust source of one API's operation table, written by build.rs.

use super::OperationRow;
use super::names::pascal;

/// Rust source for one API's operation table: the `Op` enum and `OPERATIONS`.
/// `api` is the `Api` variant the rows belong to.
pub fn operation_table(api: &str, rows: &[OperationRow]) -> String {
    use std::fmt::Write as _;
    let n = rows.len();
    let variants: Vec<String> = rows.iter().map(|r| pascal(&r.operation_id)).collect();
    let all: Vec<String> = variants.iter().map(|v| format!("Op::{v}")).collect();
    let mut s = String::new();
    let _ = writeln!(s, "/// Every operation of this API, one variant per operationId (generated from the spec).");
    let _ = writeln!(s, "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum Op {{");
    for (r, v) in rows.iter().zip(&variants) {
        let _ = writeln!(s, "    /// `{}`: {} {}\n    {v},", r.operation_id, r.http_method, r.path);
    }
    let _ = writeln!(s, "}}\n\nimpl Op {{\n    /// Every operation, in table order.");
    let _ = writeln!(s, "    pub const ALL: [Op; {n}] = [{}];", all.join(", "));
    let _ = writeln!(s, "    /// This operation's row in [`OPERATIONS`].");
    let _ = writeln!(s, "    pub fn info(self) -> &'static crate::operation::OperationInfo {{");
    let _ = writeln!(s, "        &OPERATIONS[self as usize]\n    }}");
    let _ = writeln!(s, "    /// The operation a row names, if the row is this API's.");
    let _ = writeln!(s, "    pub fn of(info: &crate::operation::OperationInfo) -> Option<Op> {{");
    let _ = writeln!(
        s,
        "        if info.api == crate::spec::Api::{api} {{ Op::ALL.get(info.index).copied() }} else {{ None }}"
    );
    let _ = writeln!(s, "    }}\n}}\n");
    let _ = writeln!(s, "/// This API's operations (generated from the spec), indexed by [`Op`].");
    let _ = writeln!(s, "pub static OPERATIONS: [crate::operation::OperationInfo; {n}] = [");
    let opt = |o: &Option<String>| o.as_ref().map_or("None".to_string(), |v| format!("Some({v:?})"));
    for (index, r) in rows.iter().enumerate() {
        let headers: Vec<String> = r.constant_headers.iter().map(|(n, v)| format!("({n:?}, {v:?})")).collect();
        let aliases: Vec<String> = r.path_aliases.iter().map(|a| format!("{a:?}")).collect();
        let action =
            r.action.map_or("None".to_string(), |a| format!("Some(crate::operation::Action::{})", a.variant()));
        let _ = writeln!(s, "    crate::operation::OperationInfo {{");
        let _ = writeln!(s, "        api: crate::spec::Api::{api},\n        index: {index},");
        let _ = writeln!(s, "        operation_id: {:?},\n        method: {:?},", r.operation_id, r.method_name);
        let _ = writeln!(s, "        http_method: {:?},\n        path: {:?},", r.http_method, r.path);
        let _ = writeln!(s, "        path_aliases: &[{}],", aliases.join(", "));
        let _ = writeln!(s, "        request_media_type: {},", opt(&r.request_media_type));
        let _ = writeln!(s, "        response_media_type: {},", opt(&r.response_media_type));
        let _ = writeln!(s, "        constant_headers: &[{}],\n        action: {action},", headers.join(", "));
        let _ = writeln!(s, "        responses: &[");
        for (status, next) in &r.responses {
            let next: Vec<String> = next
                .iter()
                .map(|(rel, op)| format!("crate::operation::Next {{ relation: {rel:?}, operation: {op:?} }}"))
                .collect();
            let _ = writeln!(
                s,
                "            crate::operation::Documented {{ status: {status:?}, next: &[{}] }},",
                next.join(", ")
            );
        }
        let _ = writeln!(s, "        ],\n    }},");
    }
    let _ = writeln!(s, "];");
    s
}
