//! Helpers shared by the build script (build/generate.rs) and the library (src/spec),
//! which cannot share code any other way: a build script cannot use its own crate.

use serde_json::Value;

/// Escape one JSON-pointer segment.
pub fn escape(seg: &str) -> String {
    seg.replace('~', "~0").replace('/', "~1")
}

/// Every `$ref` in a document, as (JSON pointer of the holder, target).
pub fn collect_refs(v: &Value, at: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if k == "$ref" {
                    if let Some(s) = child.as_str() {
                        out.push((at.clone(), s.to_string()));
                    }
                } else {
                    collect_refs(child, format!("{at}/{}", escape(k)), out);
                }
            }
        }
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| collect_refs(c, format!("{at}/{i}"), out)),
        _ => {}
    }
}

/// progenitor's method naming: snake_case of the operationId.
pub fn snake(id: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in id.chars() {
        if c == '-' || c == ' ' || c == '.' {
            out.push('_');
            prev_lower = false;
        } else if c.is_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.extend(c.to_lowercase());
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// The Rust variant name of an operationId: `post-cancelOrRefund` becomes
/// `PostCancelOrRefund`, `partialSettlement` becomes `PartialSettlement`.
pub fn pascal(id: &str) -> String {
    snake(id).split('_').filter(|w| !w.is_empty()).map(|w| w[..1].to_uppercase() + &w[1..]).collect()
}

/// Follow a local `$ref` (`#/...`), repeatedly; a value without one is itself.
pub fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(p) => doc.pointer(p).map(|t| deref(doc, t)).unwrap_or(v),
        None => v,
    }
}

/// The name beside a dangling `$ref` target that is nearest to it (`Eror` → `Error`),
/// for a did-you-mean: the target's siblings under the same parent, within three edits
/// or starting with it (`CancelReq` → `CancelRequest`).
pub fn nearest_ref(doc: &Value, target: &str) -> Option<String> {
    let (parent, name) = target.strip_prefix('#')?.rsplit_once('/')?;
    let siblings = doc.pointer(parent)?.as_object()?;
    siblings
        .keys()
        .map(|k| (strsim::levenshtein(k, name), k))
        .filter(|(d, k)| *d <= 3 || k.starts_with(name))
        .min()
        .map(|(_, k)| format!("#{parent}/{k}"))
}

/// The first `$ref` that does not resolve in `doc`, as (holder's JSON pointer, target,
/// whether it is local): remote refs are not supported.
pub fn unresolved_ref(doc: &Value) -> Option<(String, String, bool)> {
    let mut refs = Vec::new();
    collect_refs(doc, String::new(), &mut refs);
    refs.into_iter().find_map(|(at, target)| match target.strip_prefix('#') {
        Some(p) if doc.pointer(p).is_some() => None,
        Some(_) => Some((at, target, true)),
        None => Some((at, target, false)),
    })
}
