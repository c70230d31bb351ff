//! Snapshots of what build.rs generates from `spec/` (not of progenitor's code): the
//! operation table per API, with each operation's action and the next actions each
//! documented status may carry; and the shape of the generated types, one line per
//! field of each schema (its type, and whether it is required). A spec edit that changes
//! either shows here as a diff a reviewer can read. To accept a change:
//! `PAYCONFORM_UPDATE_SNAPSHOTS=1 cargo test --test snapshots`.

use std::fmt::Write as _;

use payconform::spec::{Api, spec};

fn table(api: Api) -> String {
    let mut out = String::new();
    for w in api.operations() {
        let _ = writeln!(out, "{} {} {}", w.http_method, w.path, w.operation_id);
        let _ = writeln!(out, "  method: {}", w.method);
        for a in w.path_aliases {
            let _ = writeln!(out, "  alias: {a}");
        }
        let _ = writeln!(out, "  request: {}", w.request_media_type.unwrap_or("-"));
        let _ = writeln!(out, "  response: {}", w.response_media_type.unwrap_or("-"));
        for (n, v) in w.constant_headers {
            let _ = writeln!(out, "  header: {n}: {v}");
        }
        let _ = writeln!(out, "  action: {}", w.action.map_or("-", |a| a.word()));
        let op = spec(api).operation(w.operation_id).expect("every row is a spec operation");
        for documented in w.responses {
            let next: Vec<String> = documented
                .next
                .iter()
                .map(|n| format!("{}->{}", n.relation, n.operation.unwrap_or("(outside the spec)")))
                .collect();
            let body = op.responses.get(documented.status).expect("the spec documents the row's statuses");
            let media = body.as_ref().map_or("-", |b| b.media_type.as_str());
            let _ = writeln!(
                out,
                "  {}: {media}{}",
                documented.status,
                if next.is_empty() { String::new() } else { format!(" next [{}]", next.join(", ")) }
            );
        }
    }
    out
}

/// The shape of the types generated from a spec: every component schema (each one a
/// generated type) with its fields, and the fields of the objects inside them.
fn types(api: Api) -> String {
    let doc: serde_json::Value = serde_yaml::from_str(api.source()).expect("the spec parses");
    let mut out = String::new();
    for (name, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
        let _ = writeln!(out, "{name}: {}", kind(schema));
        fields(schema, "  ", &mut out);
    }
    out
}

/// What a schema is, in a few words: a `$ref`'s target, a type with its enum's size,
/// or the branches of a `oneOf`/`anyOf`.
fn kind(s: &serde_json::Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(branches) = s[key].as_array() {
            return format!("{key}({})", branches.iter().map(kind).collect::<Vec<_>>().join(" | "));
        }
    }
    let ty = s["type"].as_str().unwrap_or("any");
    match (s["enum"].as_array(), ty) {
        (Some(e), _) => format!("{ty} enum of {}", e.len()),
        (None, "array") => format!("array of {}", kind(&s["items"])),
        (None, _) => ty.to_string(),
    }
}

fn fields(s: &serde_json::Value, indent: &str, out: &mut String) {
    let required: Vec<&str> = s["required"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
    for (field, f) in s["properties"].as_object().into_iter().flatten() {
        let req = if required.contains(&field.as_str()) { " (required)" } else { "" };
        let _ = writeln!(out, "{indent}{field}: {}{req}", kind(f));
        let inner = if f["type"] == "array" { &f["items"] } else { f };
        fields(inner, &format!("{indent}  "), out);
    }
}

#[test]
fn generated_operation_tables_and_types_match_their_snapshots() {
    let update = std::env::var_os("PAYCONFORM_UPDATE_SNAPSHOTS").is_some();
    let mut stale = Vec::new();
    for (api, kind, got) in Api::ALL.into_iter().flat_map(|a| [(a, "", table(a)), (a, ".types", types(a))]) {
        let path = format!("{}/tests/snapshots/{}{kind}.txt", env!("CARGO_MANIFEST_DIR"), api.name());
        if update {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            let diff: Vec<String> = diff_lines(&want, &got);
            stale.push(format!("{path}:\n{}", diff.join("\n")));
        }
    }
    assert!(
        stale.is_empty(),
        "generated operation tables or types changed (PAYCONFORM_UPDATE_SNAPSHOTS=1 cargo test --test snapshots accepts it):\n{}",
        stale.join("\n\n")
    );
}

/// Lines only in the snapshot (`-`) and only in what was generated (`+`).
fn diff_lines(want: &str, got: &str) -> Vec<String> {
    let w: Vec<&str> = want.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    let mut out: Vec<String> = w.iter().filter(|l| !g.contains(l)).map(|l| format!("- {l}")).collect();
    out.extend(g.iter().filter(|l| !w.contains(l)).map(|l| format!("+ {l}")));
    out
}
