//! Broken bodies: one per required field (missing) and per constraint (broken), from
//! the operation's request schema in the spec.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::super::world::Tweak;
use crate::operation::Api;
use crate::spec::{Operation, deref};

/// One broken body per required field (missing) and per constraint (broken), for the
/// fields the valid body carries: (label, tweak, property path, and the object whose
/// oneOf the field is in, if it is).
pub(super) fn body_breaks(api: Api, op: &Operation, body: &Value) -> Vec<(String, Tweak, String, Option<String>)> {
    let doc: Value = match serde_yaml::from_str(api.source()) {
        Ok(d) => d,
        Err(_) => return Vec::new(),
    };
    let Some(schema) = doc
        .pointer(&format!("/paths/{}", op.path.replace('~', "~0").replace('/', "~1")))
        .and_then(|item| item.get(op.http_method.to_lowercase()))
        .and_then(|o| o.pointer("/requestBody/content"))
        .and_then(Value::as_object)
        .and_then(|c| c.values().next())
        .and_then(|m| m.get("schema"))
    else {
        return Vec::new();
    };
    let mut fields = BTreeMap::new();
    flatten(&doc, schema, "", false, &mut fields);
    let mut out = Vec::new();
    for (path, c) in &fields {
        if body.pointer(&format!("/{}", path.replace('.', "/"))).is_none() {
            continue;
        }
        let one_of = c.get("oneOf").and_then(Value::as_str).map(String::from);
        out.extend(breaks_of(path, c).into_iter().map(|(label, t)| (label, t, path.clone(), one_of.clone())));
    }
    out
}

/// The broken values of one field: missing (if required), of the wrong type, and one
/// per constraint it has.
fn breaks_of(path: &str, c: &Map<String, Value>) -> Vec<(String, Tweak)> {
    let mut out = Vec::new();
    let set = |v: Value| Tweak { set_field: Some((path.to_string(), v)), ..Default::default() };
    if c.get("required") == Some(&Value::Bool(true)) {
        out.push((format!("without {path}"), Tweak { drop_field: Some(path.to_string()), ..Default::default() }));
    }
    let wrong_type = match c.get("type").and_then(Value::as_str).unwrap_or("") {
        "string" => Some(json!(12345)),
        "integer" | "number" | "boolean" | "object" | "array" => Some(json!("not a value of this type")),
        _ => None,
    };
    if let Some(v) = wrong_type {
        out.push((format!("with {path} of the wrong type"), set(v)));
    }
    if let Some(max) = c.get("maxLength").and_then(Value::as_u64) {
        out.push((format!("with {path} too long"), set(json!("A".repeat(max as usize + 1)))));
    }
    if c.get("minLength").and_then(Value::as_u64).is_some_and(|m| m > 0) {
        out.push((format!("with {path} empty"), set(json!(""))));
    }
    if let Some(bad) = outside_pattern(c) {
        out.push((format!("with {path} not matching its pattern"), set(json!(bad))));
    }
    if let Some(e) = c.get("enum").and_then(Value::as_array)
        && e.iter().all(Value::is_string)
    {
        out.push((format!("with {path} outside its enum"), set(json!("notDocumented"))));
    }
    if let Some(min) = c.get("minimum").and_then(Value::as_i64) {
        out.push((format!("with {path} below its minimum"), set(json!(min - 1))));
    }
    if let Some(max) = c.get("maximum").and_then(Value::as_i64)
        && max < i64::MAX
    {
        out.push((format!("with {path} above its maximum"), set(json!(max + 1))));
    }
    if c.get("format").and_then(Value::as_str) == Some("int64") {
        out.push((format!("with {path} past int64"), set(json!(9_223_372_036_854_775_808u64))));
    }
    out
}

/// A value of an allowed length that the field's pattern refuses, if one of a few
/// candidates is.
fn outside_pattern(c: &Map<String, Value>) -> Option<&'static str> {
    let re = regress::Regex::new(c.get("pattern")?.as_str()?).ok()?;
    let len_ok = |s: &str| {
        let n = s.chars().count() as u64;
        c.get("minLength").and_then(Value::as_u64).is_none_or(|m| n >= m)
            && c.get("maxLength").and_then(Value::as_u64).is_none_or(|m| n <= m)
    };
    let candidates = ["<>", "a\nb", "zzz", "%%", "ÄÖÜ", "0", "ZZZZ", "a b"];
    candidates.into_iter().find(|s| len_ok(s) && re.find(s).is_none())
}

/// `property path -> constraints` of a schema, through $refs and allOf/oneOf/anyOf
/// (the plain-card branch of an instrument oneOf is the one a valid body uses).
fn flatten(doc: &Value, schema: &Value, prefix: &str, required: bool, out: &mut BTreeMap<String, Map<String, Value>>) {
    let s = deref(doc, schema);
    let Some(obj) = s.as_object() else { return };
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(branches) = obj.get(key).and_then(Value::as_array) {
            // A oneOf's first branch is the one the sweep's bodies use.
            let take = if key == "allOf" { branches.len() } else { 1 };
            for b in branches.iter().take(take) {
                let before: Vec<String> = out.keys().cloned().collect();
                flatten(doc, b, prefix, required, out);
                if key != "allOf" {
                    for (_, v) in out.iter_mut().filter(|(k, _)| !before.contains(k) && k.as_str() != prefix) {
                        v.entry("oneOf").or_insert_with(|| Value::String(prefix.to_string()));
                    }
                }
            }
        }
    }
    if !prefix.is_empty() {
        let e = out.entry(prefix.to_string()).or_default();
        for a in ["type", "pattern", "minLength", "maxLength", "enum", "minimum", "maximum", "format"] {
            if let Some(v) = obj.get(a) {
                e.insert(a.into(), v.clone());
            }
        }
        if required {
            e.insert("required".into(), Value::Bool(true));
        }
    }
    let req: Vec<&str> =
        obj.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    for (name, sub) in obj.get("properties").and_then(Value::as_object).into_iter().flatten() {
        let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        flatten(doc, sub, &path, req.contains(&name.as_str()), out);
    }
}
