//! The embedded specs: an operation index and JSON Schema validation of bodies.
//!
//! The three documents in `spec/` are compiled into the library and parsed once.
//! Their schemas are turned from OpenAPI 3.0 into JSON Schema (`nullable` becomes a
//! `null` type, OpenAPI-only keywords are dropped, `$ref`s resolve inside the
//! document) and checked with the `jsonschema` crate. The twin validates what it
//! receives and the conformance checker validates every exchange with the same code.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

#[path = "../../build/names.rs"]
mod names;
pub(crate) use names::snake;
use names::{collect_refs, escape};
use serde_json::{Map, Value};

mod lint;
mod validate;

#[doc(hidden)] // the examples known not to validate; for this crate's tests
pub use lint::ALLOWED;
pub use lint::{LintProblem, LintReport, lint_embedded_examples, lint_examples};
use validate::convert;
pub use validate::{Rule, SchemaViolation, luhn_valid, pointer_to_json_path};

/// One of the three APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    /// Worldpay Access Card Payments v7.
    WorldpayV7,
    /// Worldpay Access Payments API 2024-06-01.
    WorldpayPayments,
    /// Adyen classic Payment API v40.
    Adyen,
}

impl Api {
    /// All three, in a fixed order.
    pub const ALL: [Api; 3] = [Api::WorldpayV7, Api::WorldpayPayments, Api::Adyen];

    /// The spec file stem, also the folder name of its examples.
    pub fn name(self) -> &'static str {
        match self {
            Api::WorldpayV7 => "worldpay-card-payments-v7",
            Api::WorldpayPayments => "worldpay-payments-2024-06-01",
            Api::Adyen => "adyen-payment-v40",
        }
    }

    /// The API for a spec stem.
    pub fn from_name(name: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The short name the step vocabulary uses (`worldpay-v7`, `worldpay-payments`, `adyen`).
    pub fn short_name(self) -> &'static str {
        match self {
            Api::WorldpayV7 => "worldpay-v7",
            Api::WorldpayPayments => "worldpay-payments",
            Api::Adyen => "adyen",
        }
    }

    /// The API for its spec stem or its short name.
    pub fn from_any_name(name: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|a| a.name() == name || a.short_name() == name)
    }

    /// Path prefix of the API on a gateway host (what the spec's server URL adds).
    pub fn base_path(self) -> &'static str {
        match self {
            Api::Adyen => "/pal/servlet/Payment/v40",
            _ => "",
        }
    }

    /// Human title.
    pub fn title(self) -> &'static str {
        match self {
            Api::WorldpayV7 => "Worldpay Card Payments v7",
            Api::WorldpayPayments => "Worldpay Payments API 2024-06-01",
            Api::Adyen => "Adyen Payment API v40",
        }
    }

    /// The embedded spec text.
    pub fn source(self) -> &'static str {
        match self {
            Api::WorldpayV7 => include_str!("../../spec/worldpay-card-payments-v7.yaml"),
            Api::WorldpayPayments => include_str!("../../spec/worldpay-payments-2024-06-01.yaml"),
            Api::Adyen => include_str!("../../spec/adyen-payment-v40.yaml"),
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A body the spec documents: its media type and schema.
pub struct Body {
    /// Documented media type.
    pub media_type: String,
    /// The JSON Schema (converted), with `$ref`s into the document.
    pub schema: Value,
    /// Whether a request body is required.
    pub required: bool,
    doc: Arc<Value>,
    validator: OnceLock<Result<jsonschema::Validator, String>>,
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body").field("media_type", &self.media_type).field("schema", &self.schema).finish()
    }
}

/// A header parameter the spec documents.
#[derive(Debug, Clone)]
pub struct HeaderParam {
    /// Header name as written.
    pub name: String,
    /// Whether it must be present.
    pub required: bool,
    /// Allowed values, if the schema is an enum.
    pub allowed: Option<Vec<String>>,
}

/// One operation of one API.
#[derive(Debug)]
pub struct Operation {
    /// Which API.
    pub api: Api,
    /// The vendor operationId.
    pub operation_id: String,
    /// progenitor's method name for it.
    pub method_name: String,
    /// HTTP method, upper case.
    pub http_method: String,
    /// Path template relative to the API base path.
    pub path: String,
    /// Other templates of the same operation (`x-payconform-path-aliases`).
    pub path_aliases: Vec<String>,
    /// The request body, if documented.
    pub request: Option<Body>,
    /// Documented responses by status (`"201"`, `"default"`), with their body if any.
    pub responses: BTreeMap<String, Option<Body>>,
    /// Documented header parameters.
    pub headers: Vec<HeaderParam>,
    /// What the operation does to a payment, in the vocabulary shared by every API
    /// (`x-payconform-action`): `authorize`, `settle`, `partialSettle`, `cancel`,
    /// `partialCancel`, `refund`, `partialRefund`, `reverse`, `events`, and Adyen's
    /// `cancelOrRefund`, `technicalCancel`, `adjustAuthorisation`. The harness finds the
    /// operation for a step by it; the twin applies the money rules of it.
    pub action: Option<String>,
    /// Per documented status, the next actions its response may carry
    /// (`x-payconform-next`): each relation (v7 `_links`) or action name (Payments API
    /// `_actions`) with the operationId its link names. Absent: the response carries none.
    pub next: BTreeMap<String, Vec<(String, String)>>,
    /// The twin's protective answers (`x-payconform-twin-responses`), shared by every
    /// operation of the API: accepted after the documented responses, never counted
    /// as documented.
    pub twin_responses: Arc<BTreeMap<String, Option<Body>>>,
}

impl Operation {
    /// The documented response for a status, falling back to `default`, then to the
    /// twin's declared protective answers.
    pub fn response(&self, status: u16) -> Option<&Option<Body>> {
        let key = status.to_string();
        self.responses.get(&key).or_else(|| self.responses.get("default")).or_else(|| self.twin_responses.get(&key))
    }

    /// The next actions documented for the response with this status: `(relation,
    /// operationId)`. `payments:` relations (seed 003) count as `cardPayments:` ones.
    pub fn next_for(&self, status: u16) -> &[(String, String)] {
        self.next.get(&status.to_string()).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The operationId a relation of this response names, if it is documented there.
    pub fn documented_next(&self, status: u16, relation: &str) -> Option<&str> {
        let relation = canonical_relation(relation);
        self.next_for(status).iter().find(|(r, _)| *r == relation).map(|(_, op)| op.as_str())
    }

    /// Match a concrete path (relative to the API base path) against this operation's
    /// template or one of its aliases; returns the path parameters.
    pub fn match_path(&self, path: &str) -> Option<Vec<(String, String)>> {
        std::iter::once(&self.path).chain(&self.path_aliases).find_map(|t| match_template(t, path))
    }
}

/// A relation as the specs declare it: seed 003's `payments:` prefix is an alias of
/// `cardPayments:`.
pub fn canonical_relation(relation: &str) -> std::borrow::Cow<'_, str> {
    match relation.strip_prefix("payments:") {
        Some(rest) => std::borrow::Cow::Owned(format!("cardPayments:{rest}")),
        None => std::borrow::Cow::Borrowed(relation),
    }
}

/// Match a path against one template; returns the path parameters.
fn match_template(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    {
        // Compare segment by segment without collecting: this runs for every operation
        // on every request the twin serves.
        let (mut t, mut p) = (template.split('/'), path.split('/'));
        let mut params = Vec::new();
        loop {
            match (t.next(), p.next()) {
                (None, None) => return Some(params),
                (Some(ts), Some(ps)) => {
                    if let Some(name) = ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        if ps.is_empty() {
                            return None;
                        }
                        params.push((name.to_string(), ps.to_string()));
                    } else if ts != ps {
                        return None;
                    }
                }
                _ => return None,
            }
        }
    }
}

/// A loaded spec.
#[derive(Debug)]
pub struct Spec {
    /// Which API.
    pub api: Api,
    /// Operations in document order.
    pub operations: Vec<Operation>,
    /// Bodies the vendor sends to the merchant (`x-payconform-webhooks`), by name.
    pub webhooks: BTreeMap<String, Body>,
}

/// Why a spec could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: {message}")]
pub struct SpecLoadError {
    /// The spec file.
    pub file: String,
    /// What is wrong, with the JSON pointer where there is one.
    pub message: String,
}
/// The embedded spec of an API, parsed on first use.
pub fn spec(api: Api) -> &'static Spec {
    static SPECS: [OnceLock<Spec>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = &SPECS[Api::ALL.iter().position(|a| *a == api).unwrap_or(0)];
    slot.get_or_init(|| {
        // The build script generated clients from these very files, so they load.
        load(api, api.source()).unwrap_or_else(|e| panic!("embedded spec does not load: {e}"))
    })
}

/// Parse and index a spec text (for `payconform lint` and tests).
pub fn load(api: Api, yaml: &str) -> Result<Spec, SpecLoadError> {
    let file = format!("spec/{}.yaml", api.name());
    let fail = |message: String| SpecLoadError { file: file.clone(), message };
    let raw: Value = serde_yaml::from_str(yaml).map_err(|e| fail(format!("not valid YAML: {e}")))?;
    // Typed parse: catches structural mistakes openapiv3 knows about.
    let typed: openapiv3::OpenAPI =
        serde_json::from_value(raw.clone()).map_err(|e| fail(format!("not an OpenAPI 3.0 document: {e}")))?;
    let mut refs = Vec::new();
    collect_refs(&raw, String::new(), &mut refs);
    for (at, target) in &refs {
        let resolves = target.strip_prefix('#').is_some_and(|p| raw.pointer(p).is_some());
        if !resolves {
            return Err(fail(format!("$ref {target:?} at {at} does not resolve")));
        }
    }
    let doc = Arc::new(convert(&raw));
    let body_of = |content: Option<&Value>, required: bool| -> Option<Body> {
        let (media, m) = content?.as_object()?.iter().next()?;
        Some(Body {
            media_type: media.clone(),
            schema: convert(m.get("schema").unwrap_or(&Value::Bool(true))),
            required,
            doc: doc.clone(),
            validator: OnceLock::new(),
        })
    };
    let mut twin_responses = BTreeMap::new();
    if let Some(rs) = raw.get("x-payconform-twin-responses").and_then(Value::as_object) {
        for (status, r) in rs {
            twin_responses.insert(status.clone(), body_of(deref(&raw, r).get("content"), true));
        }
    }
    let twin_responses = Arc::new(twin_responses);
    let mut webhooks = BTreeMap::new();
    if let Some(ws) = raw.get("x-payconform-webhooks").and_then(Value::as_object) {
        for (name, w) in ws {
            let body = body_of(deref(&raw, w).get("content"), true)
                .ok_or_else(|| fail(format!("x-payconform-webhooks/{name}: no content")))?;
            webhooks.insert(name.clone(), body);
        }
    }
    let mut operations = Vec::new();
    for (path, item) in &typed.paths.paths {
        let openapiv3::ReferenceOr::Item(item) = item else {
            return Err(fail(format!("path {path} is a $ref; inline it")));
        };
        for (method, op) in item.iter() {
            let id = op
                .operation_id
                .clone()
                .ok_or_else(|| fail(format!("{} {path}: missing operationId", method.to_uppercase())))?;
            let ptr = format!("/paths/{}/{method}", escape(path));
            let op_raw = raw.pointer(&ptr).cloned().unwrap_or(Value::Null);
            let request = op_raw
                .get("requestBody")
                .map(|b| deref(&raw, b))
                .and_then(|b| body_of(b.get("content"), b.get("required").and_then(Value::as_bool).unwrap_or(false)));
            let mut responses = BTreeMap::new();
            let mut next = BTreeMap::new();
            if let Some(rs) = op_raw.get("responses").and_then(Value::as_object) {
                for (status, r) in rs {
                    let r = deref(&raw, r);
                    responses.insert(status.clone(), body_of(r.get("content"), true));
                    if let Some(n) = r.get("x-payconform-next").and_then(Value::as_object) {
                        let pairs = n
                            .iter()
                            .map(|(rel, target)| (rel.clone(), target.as_str().unwrap_or("").to_string()))
                            .collect();
                        next.insert(status.clone(), pairs);
                    }
                }
            }
            let mut headers = Vec::new();
            let path_params =
                raw.pointer(&format!("/paths/{}/parameters", escape(path))).and_then(Value::as_array).cloned();
            let op_params = op_raw.get("parameters").and_then(Value::as_array).cloned();
            for p in path_params.into_iter().flatten().chain(op_params.into_iter().flatten()) {
                let p = deref(&raw, &p);
                if p.get("in").and_then(Value::as_str) == Some("header") {
                    headers.push(HeaderParam {
                        name: p.get("name").and_then(Value::as_str).unwrap_or("").to_string(),
                        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        allowed: p
                            .pointer("/schema/enum")
                            .and_then(Value::as_array)
                            .map(|v| v.iter().filter_map(Value::as_str).map(String::from).collect()),
                    });
                }
            }
            operations.push(Operation {
                api,
                method_name: snake(&id),
                operation_id: id,
                http_method: method.to_uppercase(),
                path: path.clone(),
                action: op_raw.get("x-payconform-action").and_then(Value::as_str).map(String::from),
                path_aliases: op_raw
                    .get("x-payconform-path-aliases")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                    .unwrap_or_default(),
                next,
                request,
                responses,
                headers,
                twin_responses: twin_responses.clone(),
            });
        }
    }
    for op in &operations {
        for (status, pairs) in &op.next {
            for (rel, target) in pairs {
                if !operations.iter().any(|o| &o.operation_id == target) {
                    return Err(fail(format!(
                        "operation {}: response {status} declares next action {rel:?} naming {target:?}, \
                         which is not an operation of this spec",
                        op.operation_id
                    )));
                }
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for op in &operations {
        if let Some(action) = &op.action {
            if !ACTIONS.contains(&action.as_str()) {
                return Err(fail(format!(
                    "operation {}: x-payconform-action {action:?} is not one of {ACTIONS:?}",
                    op.operation_id
                )));
            }
            if !seen.insert(action.clone()) {
                return Err(fail(format!(
                    "operation {}: x-payconform-action {action:?} is already another operation's",
                    op.operation_id
                )));
            }
        }
    }
    Ok(Spec { api, operations, webhooks })
}

/// The action vocabulary of `x-payconform-action`, shared by every API.
pub const ACTIONS: [&str; 12] = [
    "authorize",
    "settle",
    "partialSettle",
    "cancel",
    "partialCancel",
    "refund",
    "partialRefund",
    "reverse",
    "events",
    "cancelOrRefund",
    "technicalCancel",
    "adjustAuthorisation",
];

impl Spec {
    /// A body the vendor sends to the merchant (`x-payconform-webhooks`), e.g. Adyen's
    /// `notification`.
    pub fn webhook(&self, name: &str) -> Option<&Body> {
        self.webhooks.get(name)
    }

    /// The operation that performs `action` (`x-payconform-action`), if this API has one.
    pub fn operation_for(&self, action: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.action.as_deref() == Some(action))
    }

    /// An operation by vendor operationId or by generated method name.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.operation_id == id || o.method_name == id)
    }

    /// The operation serving `method path` (path relative to the API base path).
    pub fn find(&self, method: &str, path: &str) -> Option<(&Operation, Vec<(String, String)>)> {
        self.operations
            .iter()
            .filter(|o| o.http_method.eq_ignore_ascii_case(method))
            .find_map(|o| o.match_path(path).map(|params| (o, params)))
    }
}

fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(p) => doc.pointer(p).map(|t| deref(doc, t)).unwrap_or(v),
        None => v,
    }
}

/// The media type of a Content-Type or Accept value, without parameters (`; charset=…`).
fn media_base(v: &str) -> &str {
    v.split(';').next().unwrap_or("").trim()
}

/// Whether a header value names `expected` (case-insensitive, parameters ignored).
pub(crate) fn media_is(value: Option<&str>, expected: &str) -> bool {
    value.is_some_and(|v| media_base(v).eq_ignore_ascii_case(expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths() {
        assert_eq!(pointer_to_json_path("/instruction/value/amount"), "$.instruction.value.amount");
        assert_eq!(pointer_to_json_path("/a/0/cardPayments:settle"), "$.a[0]['cardPayments:settle']");
        assert_eq!(pointer_to_json_path(""), "$");
    }

    #[test]
    fn luhn() {
        assert!(luhn_valid("4444333322221111"));
        assert!(luhn_valid("4111111111111111"));
        assert!(!luhn_valid("4111111111111112"));
    }

    #[test]
    fn every_operation_indexed_and_names_match_the_clients() {
        assert_eq!(spec(Api::WorldpayV7).operations.len(), 9);
        assert_eq!(spec(Api::WorldpayPayments).operations.len(), 8);
        assert_eq!(spec(Api::Adyen).operations.len(), 7);
        for w in crate::client::worldpay_v7::WIRE {
            assert!(spec(Api::WorldpayV7).operation(w.method).is_some(), "{}", w.method);
        }
        for w in crate::client::adyen::WIRE {
            assert_eq!(spec(Api::Adyen).operation(w.operation_id).map(|o| o.method_name.as_str()), Some(w.method));
        }
    }

    #[test]
    fn an_unknown_or_repeated_action_word_is_named() {
        let src = Api::WorldpayV7.source();
        let typo = src.replace("x-payconform-action: settle\n", "x-payconform-action: setle\n");
        let e = load(Api::WorldpayV7, &typo).unwrap_err();
        assert!(e.message.contains("operation settle") && e.message.contains("\"setle\""), "{e:?}");
        let twice = src.replace("x-payconform-action: cancel\n", "x-payconform-action: settle\n");
        let e = load(Api::WorldpayV7, &twice).unwrap_err();
        assert!(e.message.contains("already another operation's"), "{e:?}");
        assert_eq!(spec(Api::WorldpayPayments).operation_for("partialSettle").unwrap().operation_id, "partialSettle");
        assert_eq!(spec(Api::WorldpayV7).operation_for("partialSettle").unwrap().operation_id, "partialSettlement");
    }

    #[test]
    fn validation_names_the_field_inside_one_of() {
        let op = spec(Api::WorldpayV7).operation("authorize").unwrap();
        let body = serde_json::json!({
            "transactionReference": "t", "merchant": {"entity": "default"}, "channel": "ecom",
            "instruction": {"requestAutoSettlement": {"enabled": false}, "narrative": {"line1": "x"},
              "value": {"amount": 1, "currency": "GBP"},
              "paymentInstrument": {"type": "card/plain", "cardNumber": "4444abcd33332222", "expiryDate": {"month": 1, "year": 2030}}}
        });
        let v = op.request.as_ref().unwrap().validate(&body);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].json_path, "$.instruction.paymentInstrument.cardNumber");
        assert_eq!(v[0].rule, Rule::Pattern);
    }
}
