//! Validation against the spec's schemas: the converted JSON Schema (int64 ranges, the
//! exact-integer keyword, Luhn), the violations it finds, and their vendor names.

use super::Body;
use super::names::escape;
use serde_json::{Map, Value};
use std::fmt;

/// What rule a value broke; maps onto the vendors' error names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// A required field is missing.
    Missing,
    /// Wrong JSON type; the expected type is given.
    Type(&'static str),
    /// String too long.
    TooLong,
    /// String too short.
    TooShort,
    /// String does not match its pattern.
    Pattern,
    /// Card number fails the Luhn check (`format: luhn`).
    Luhn,
    /// Value outside an enum or a numeric range.
    InvalidValue,
    /// A field that is not allowed here.
    NotAllowed,
    /// Anything else the schema rejects.
    Other,
}

impl Rule {
    /// Worldpay's published `validationErrors[].errorName` for this rule.
    pub fn worldpay_error_name(self) -> &'static str {
        match self {
            Rule::Missing => "fieldIsMissing",
            Rule::Type("string") => "fieldMustBeString",
            Rule::Type("integer") => "fieldMustBeInteger",
            Rule::Type("number") => "fieldMustBeNumber",
            Rule::Type("boolean") => "fieldMustBeBoolean",
            Rule::Type("array") => "fieldMustBeArray",
            Rule::Type(_) => "fieldMustBeObject",
            Rule::TooLong => "stringIsTooLong",
            Rule::TooShort => "stringIsTooShort",
            Rule::Pattern => "stringFailedRegexCheck",
            Rule::Luhn => "panFailedLuhnCheck",
            Rule::NotAllowed => "fieldIsNotAllowed",
            Rule::InvalidValue | Rule::Other => "fieldHasInvalidValue",
        }
    }
}

/// One place where a JSON value breaks its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaViolation {
    /// JSON pointer of the offending value (for a missing field: where it should be).
    pub pointer: String,
    /// The same place as a JSONPath (`$.instruction.value.amount`).
    pub json_path: String,
    /// The rule broken.
    pub rule: Rule,
    /// Human message.
    pub message: String,
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.json_path, self.message)
    }
}

/// Schema errors listed per body; the rest are counted. A hostile body with 250,000
/// bad entries costs a bounded list.
const MAX_SCHEMA_ERRORS: usize = 200;

impl Body {
    /// Whether the schema names the field at `path` (object keys; `None` steps into an
    /// array's items), through `$ref`s and `allOf`/`oneOf`/`anyOf`: the fields a drift
    /// compares (a field the spec does not name is a vendor's extra, not drift).
    pub fn describes(&self, path: &[Option<&str>]) -> bool {
        fn resolve<'a>(doc: &'a Value, mut s: &'a Value) -> &'a Value {
            for _ in 0..16 {
                match s.get("$ref").and_then(Value::as_str).and_then(|r| doc.pointer(r.trim_start_matches('#'))) {
                    Some(t) => s = t,
                    None => break,
                }
            }
            s
        }
        fn walk(doc: &Value, s: &Value, path: &[Option<&str>], depth: usize) -> bool {
            let s = resolve(doc, s);
            if path.is_empty() {
                return true;
            }
            if depth > 32 {
                return false;
            }
            for k in ["allOf", "oneOf", "anyOf"] {
                if let Some(branches) = s.get(k).and_then(Value::as_array)
                    && branches.iter().any(|b| walk(doc, b, path, depth + 1))
                {
                    return true;
                }
            }
            let next = match path[0] {
                Some(key) => s.get("properties").and_then(|p| p.get(key)),
                None => s.get("items"),
            };
            next.is_some_and(|n| walk(doc, n, &path[1..], depth + 1))
        }
        walk(&self.doc, &self.schema, path, 0)
    }

    /// Validate a value against this body's schema; every violation, most specific first.
    pub fn validate(&self, instance: &Value) -> Vec<SchemaViolation> {
        let validator = self.validator.get_or_init(|| {
            let mut root = Map::new();
            root.insert("allOf".into(), Value::Array(vec![self.schema.clone()]));
            if let Some(c) = self.doc.get("components") {
                root.insert("components".into(), c.clone());
            }
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                .should_validate_formats(true)
                .with_format("luhn", luhn_valid)
                .with_keyword(INT64_KEYWORD, |_, _, _| Ok(Box::new(ExactInteger)))
                .build(&Value::Object(root))
                .map_err(|e| e.to_string())
        });
        let mut out = Vec::new();
        let mut more = self.documented.as_ref().map_or(0, |d| d.undocumented(instance, &mut out, MAX_SCHEMA_ERRORS));
        match validator {
            Ok(v) => {
                // `is_valid` stops early and builds no errors: the common, valid case stays cheap.
                if !v.is_valid(instance) {
                    for e in v.iter_errors(instance) {
                        if out.len() >= MAX_SCHEMA_ERRORS {
                            more += 1;
                            continue;
                        }
                        flatten_error(&e, &mut out);
                    }
                    out.dedup();
                }
                if more > 0 {
                    out.push(SchemaViolation {
                        pointer: String::new(),
                        json_path: "$".into(),
                        rule: Rule::Other,
                        message: format!("{more} more schema error(s) not listed"),
                    });
                }
                out
            }
            Err(e) => vec![SchemaViolation {
                pointer: String::new(),
                json_path: "$".into(),
                rule: Rule::Other,
                message: format!("the spec's schema does not compile: {e}"),
            }],
        }
    }
}

/// The request fields a vendor documents for one operation
/// (`x-payconform-documented-fields`): its objects are closed to them. A path with
/// fields listed under it is an object whose other keys are not allowed; a listed path
/// with none under it is open (a value, or a free-form object).
#[derive(Debug, Default)]
pub(crate) struct Documented {
    fields: std::collections::BTreeSet<String>,
    parents: std::collections::BTreeSet<String>,
}

impl Documented {
    pub(crate) fn new<'a>(paths: impl Iterator<Item = &'a str>) -> Self {
        let mut d = Documented::default();
        for p in paths {
            let mut at = 0;
            while let Some(dot) = p[at..].find('.') {
                d.parents.insert(p[..at + dot].to_string());
                at += dot + 1;
            }
            d.fields.insert(p.to_string());
        }
        d
    }

    /// Push a `NotAllowed` violation for each key the vendor does not document, at most
    /// `cap` in all; returns how many more there were.
    pub(crate) fn undocumented(&self, instance: &Value, out: &mut Vec<SchemaViolation>, cap: usize) -> usize {
        let mut more = 0;
        if let Some(root) = instance.as_object() {
            // The root is always closed. One path buffer for the whole walk: a valid body
            // (every request the twin takes) costs no allocation per field.
            self.walk(root, &mut String::new(), &mut Vec::new(), out, cap, &mut more);
        }
        more
    }

    fn walk<'v>(
        &self,
        object: &'v Map<String, Value>,
        path: &mut String,
        keys: &mut Vec<&'v str>,
        out: &mut Vec<SchemaViolation>,
        cap: usize,
        more: &mut usize,
    ) {
        for (key, value) in object {
            let len = path.len();
            if len > 0 {
                path.push('.');
            }
            path.push_str(key);
            keys.push(key);
            if self.parents.contains(path.as_str()) {
                if let Some(o) = value.as_object() {
                    self.walk(o, path, keys, out, cap, more);
                }
            } else if !self.fields.contains(path.as_str()) {
                if out.len() >= cap {
                    *more += 1;
                } else {
                    let pointer: String = keys.iter().map(|k| format!("/{}", escape(k))).collect();
                    out.push(SchemaViolation {
                        json_path: pointer_to_json_path(&pointer),
                        pointer,
                        rule: Rule::NotAllowed,
                        message: format!("field '{key}' is not allowed"),
                    });
                }
            }
            keys.pop();
            path.truncate(len);
        }
    }
}

fn flatten_error(e: &jsonschema::ValidationError<'_>, out: &mut Vec<SchemaViolation>) {
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    let at = e.instance_path().as_str().to_string();
    let push = |out: &mut Vec<SchemaViolation>, pointer: String, rule: Rule, message: String| {
        out.push(SchemaViolation { json_path: pointer_to_json_path(&pointer), pointer, rule, message });
    };
    match e.kind() {
        K::Required { property } => {
            let name = property.as_str().unwrap_or("?");
            push(out, format!("{at}/{}", escape(name)), Rule::Missing, format!("required field '{name}' is missing"));
        }
        K::OneOfNotValid { context } | K::AnyOf { context } => {
            // Report the branch that fits best: the one with the fewest errors that did
            // not fail on a discriminating `type`/enum at the object itself.
            let best = context
                .iter()
                .filter(|errs| {
                    !errs.iter().any(|x| {
                        let p = x.instance_path().as_str();
                        p.strip_prefix(at.as_str()) == Some("/type")
                            && matches!(x.kind(), K::Enum { .. } | K::Constant { .. })
                    })
                })
                .min_by_key(|errs| errs.len());
            match best {
                Some(errs) if !errs.is_empty() => errs.iter().for_each(|x| flatten_error(x, out)),
                _ => push(out, at.clone(), Rule::InvalidValue, "matches none of the allowed shapes".into()),
            }
        }
        K::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => type_name(*t),
                TypeKind::Multiple(ts) => ts.iter().next().map(type_name).unwrap_or("value"),
            };
            push(out, at, Rule::Type(expected), format!("must be {}", article(expected)));
        }
        K::MaxLength { limit } => push(out, at, Rule::TooLong, format!("is longer than {limit} characters")),
        K::MinLength { limit } => push(
            out,
            at,
            Rule::TooShort,
            format!("is shorter than {limit} character{}", if *limit == 1 { "" } else { "s" }),
        ),
        K::Pattern { pattern } => push(out, at, Rule::Pattern, format!("does not match {pattern}")),
        K::Format { format } if format == "luhn" => push(out, at, Rule::Luhn, "fails the Luhn check".into()),
        K::Custom { message, .. } => push(out, at, Rule::InvalidValue, message.clone()),
        K::Enum { options } => push(out, at, Rule::InvalidValue, format!("must be one of {options}")),
        K::Minimum { limit } | K::ExclusiveMinimum { limit } => {
            push(out, at, Rule::InvalidValue, format!("is below the minimum {limit}"))
        }
        K::Maximum { limit } | K::ExclusiveMaximum { limit } => {
            push(out, at, Rule::InvalidValue, format!("is above the maximum {limit}"))
        }
        K::AdditionalProperties { unexpected } => {
            for name in unexpected {
                push(out, format!("{at}/{}", escape(name)), Rule::NotAllowed, format!("field '{name}' is not allowed"));
            }
        }
        K::Not { schema } => {
            let names: Vec<String> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                .unwrap_or_default();
            if names.is_empty() {
                push(out, at.clone(), Rule::NotAllowed, "is not allowed here".into());
            }
            for name in names {
                push(
                    out,
                    format!("{at}/{}", escape(&name)),
                    Rule::NotAllowed,
                    format!("field '{name}' is not allowed here"),
                );
            }
        }
        _ => push(out, at, Rule::Other, e.to_string()),
    }
}

fn type_name(t: jsonschema::types::JsonType) -> &'static str {
    use jsonschema::types::JsonType as T;
    match t {
        T::String => "string",
        T::Integer => "integer",
        T::Number => "number",
        T::Boolean => "boolean",
        T::Array => "array",
        T::Object => "object",
        T::Null => "null",
    }
}

fn article(t: &str) -> String {
    if matches!(t.chars().next(), Some('a' | 'e' | 'i' | 'o' | 'u')) { format!("an {t}") } else { format!("a {t}") }
}

/// Luhn checksum over a digit string (non-strings and non-digits are left to other rules).
pub fn luhn_valid(s: &str) -> bool {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let sum: u32 = s
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `/a/0/b~1c` → `$.a[0]['b/c']`.
pub fn pointer_to_json_path(pointer: &str) -> String {
    let mut out = String::from("$");
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push('.');
            out.push_str(&seg);
        } else {
            out.push_str(&format!("['{seg}']"));
        }
    }
    out
}

/// OpenAPI 3.0 schema object → JSON Schema (draft 7), recursively.
pub(super) fn convert(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, child) in m {
                match k.as_str() {
                    "example" | "examples" | "discriminator" | "xml" | "externalDocs" | "deprecated" | "readOnly"
                    | "writeOnly" | "nullable" => {}
                    // These map names to schemas: convert each value, keep every name.
                    "properties" | "schemas" | "patternProperties" | "definitions" => {
                        let inner = child
                            .as_object()
                            .map(|m| m.iter().map(|(n, s)| (n.clone(), convert(s))).collect())
                            .unwrap_or_default();
                        out.insert(k.clone(), Value::Object(inner));
                    }
                    _ => {
                        out.insert(k.clone(), convert(child));
                    }
                }
            }
            // `format: int64` (and int32) is a range: a number JSON calls an integer but
            // that does not fit (2^63, 1e20, 1e308) breaks the schema, in the validator,
            // the checker and the twin alike. A parser turns an integer too long for 64
            // bits into a float (-9223372036854775809 becomes -2^63, inside the range),
            // so a float must also be one that holds its integer exactly (INT64_KEYWORD).
            let range = match m.get("format").and_then(Value::as_str) {
                Some("int64") => Some((Value::from(i64::MIN), Value::from(i64::MAX))),
                Some("int32") => Some((Value::from(i32::MIN), Value::from(i32::MAX))),
                _ => None,
            };
            if let Some((min, max)) = range {
                out.entry("minimum").or_insert(min);
                out.entry("maximum").or_insert(max);
                out.insert(INT64_KEYWORD.into(), Value::Bool(true));
            }
            if m.get("nullable").and_then(Value::as_bool) == Some(true) {
                if let Some(t) = out.get("type").and_then(Value::as_str).map(String::from) {
                    out.insert("type".into(), serde_json::json!([t, "null"]));
                }
                if let Some(Value::Array(e)) = out.get_mut("enum") {
                    e.push(Value::Null);
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(convert).collect()),
        other => other.clone(),
    }
}

/// The keyword `convert` adds to integer schemas with a format: a float is accepted
/// only where it holds its integer exactly (at most 2^53), the way the twin reads it.
const INT64_KEYWORD: &str = "x-payconform-exact-integer";

struct ExactInteger;

impl<'i> jsonschema::Keyword<'i> for ExactInteger {
    fn validate(&self, instance: &'i Value) -> Result<(), jsonschema::ValidationError<'i>> {
        if self.is_valid(instance) {
            Ok(())
        } else {
            Err(jsonschema::ValidationError::custom("is outside the range of a 64-bit integer"))
        }
    }
    fn is_valid(&self, instance: &'i Value) -> bool {
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
        match instance {
            Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_none() => {
                n.as_f64().is_some_and(|f| f.abs() <= EXACT)
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Documented, Rule};
    use serde_json::json;

    /// Undocumented keys are found at any documented depth, named by an escaped JSON
    /// pointer, counted past the cap; an object with nothing listed under it is open.
    #[test]
    fn undocumented_fields_are_named_counted_and_open_objects_left_alone() {
        let d = Documented::new(["a", "a.b", "a.c.d", "free"].into_iter());
        let body = json!({"a": {"b": 1, "c": {"d": 2, "x/y": 3}, "z~": 4}, "free": {"any": 1}, "top": 0});
        let mut out = Vec::new();
        assert_eq!(d.undocumented(&body, &mut out, 10), 0);
        let mut got: Vec<(&str, &str)> = out.iter().map(|v| (v.pointer.as_str(), v.json_path.as_str())).collect();
        got.sort();
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), ["/a/c/x~1y", "/a/z~0", "/top"], "{got:?}");
        assert!(out.iter().all(|v| v.rule == Rule::NotAllowed));
        let mut capped = Vec::new();
        assert_eq!(d.undocumented(&body, &mut capped, 1), 2, "two more than the cap, counted");
        assert_eq!(capped.len(), 1);
        let mut none = Vec::new();
        assert_eq!(d.undocumented(&json!({"a": {"b": 1}, "free": {"anything": {"at": "all"}}}), &mut none, 10), 0);
        assert!(none.is_empty(), "{none:?}");
    }
}
