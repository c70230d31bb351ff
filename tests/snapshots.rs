//! Snapshots of the operation tables generated from `spec/` (not of progenitor's code):
//! the operation table build.rs emits per API, with each operation's action and the next
//! actions each documented status may carry. A spec edit that changes them shows here
//! as a diff a reviewer can read. To accept a change:
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

#[test]
fn generated_operation_tables_match_their_snapshots() {
    let update = std::env::var_os("PAYCONFORM_UPDATE_SNAPSHOTS").is_some();
    let mut stale = Vec::new();
    for api in Api::ALL {
        let got = table(api);
        let path = format!("{}/tests/snapshots/{}.txt", env!("CARGO_MANIFEST_DIR"), api.name());
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
        "generated operation tables changed (PAYCONFORM_UPDATE_SNAPSHOTS=1 cargo test --test snapshots accepts it):\n{}",
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
