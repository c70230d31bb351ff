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
#[allow(dead_code)] // pascal and collect_refs: the build script's
mod names;
pub(crate) use names::deref;
use names::{escape, nearest_ref, unresolved_ref};

use crate::operation::{Action, OperationInfo};
use serde_json::Value;

mod lint;
mod validate;

pub use lint::{LintProblem, LintReport, lint_embedded_examples, lint_examples};
use validate::convert;
pub use validate::{Rule, SchemaViolation, luhn_valid, pointer_to_json_path};

pub use crate::operation::Api;
pub use crate::operation::canonical_relation;

/// A body the spec documents: its media type and schema.
pub struct Body {
    /// Documented media type.
    pub media_type: String,
    /// The JSON Schema (converted), with `$ref`s into the document.
    pub schema: Value,
    /// Whether a request body is required.
    pub required: bool,
    /// The fields the vendor documents for this request body, when its objects are
    /// closed to them (`x-payconform-documented-fields`).
    documented: Option<Arc<validate::Documented>>,
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

/// One operation of one API: its row of the generated operation table (through
/// `Deref`: operationId, method, path, action, next actions, …) and the schemas of its
/// bodies and headers.
#[derive(Debug)]
pub struct Operation {
    /// The operation's row in the table build.rs generated from the spec.
    pub info: &'static OperationInfo,
    /// The request body, if documented.
    pub request: Option<Body>,
    /// Documented responses by status (`"201"`, `"default"`), with their body if any.
    pub responses: BTreeMap<String, Option<Body>>,
    /// Documented header parameters.
    pub headers: Vec<HeaderParam>,
    /// The twin's protective answers (`x-payconform-twin-responses`), shared by every
    /// operation of the API: accepted after the documented responses, never counted
    /// as documented.
    pub twin_responses: Arc<BTreeMap<String, Option<Body>>>,
}

impl std::ops::Deref for Operation {
    type Target = OperationInfo;
    fn deref(&self) -> &OperationInfo {
        self.info
    }
}

impl Operation {
    /// The documented response for a status, falling back to `default`, then to the
    /// twin's declared protective answers.
    pub fn response(&self, status: u16) -> Option<&Option<Body>> {
        let key = status.to_string();
        self.responses.get(&key).or_else(|| self.responses.get("default")).or_else(|| self.twin_responses.get(&key))
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
    static SPECS: [OnceLock<Spec>; Api::ALL.len()] = [const { OnceLock::new() }; Api::ALL.len()];
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
    if let Some((at, target, _)) = unresolved_ref(&raw) {
        let hint = nearest_ref(&raw, &target).map(|n| format!("; did you mean {n:?}?")).unwrap_or_default();
        return Err(fail(format!("$ref {target:?} at {at} does not resolve{hint}")));
    }
    let doc = Doc { converted: Arc::new(convert(&raw)), raw: &raw };
    let twin_responses: BTreeMap<String, Option<Body>> = raw
        .get("x-payconform-twin-responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(status, r)| (status.clone(), doc.body(r, true)))
        .collect();
    let twin_responses = Arc::new(twin_responses);
    let mut webhooks = BTreeMap::new();
    for (name, w) in raw.get("x-payconform-webhooks").and_then(Value::as_object).into_iter().flatten() {
        let body = doc.body(w, true).ok_or_else(|| fail(format!("x-payconform-webhooks/{name}: no content")))?;
        webhooks.insert(name.clone(), body);
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
            // The build script generated the table from this very text.
            let info = api.operations().iter().find(|o| o.operation_id == id).ok_or_else(|| {
                fail(format!("operation {id} is not in the generated operation table; rebuild after editing spec/"))
            })?;
            operations.push(doc.operation(info, path, method, &twin_responses));
        }
    }
    // In table order, so that a row's index is its operation's.
    operations.sort_by_key(|o| o.info.index);
    if operations.len() != api.operations().len() {
        return Err(fail("the spec's operations differ from the generated table; rebuild after editing spec/".into()));
    }
    Ok(Spec { api, operations, webhooks })
}

/// A spec document as read (`$ref`s resolve in it) and converted to JSON Schema.
struct Doc<'a> {
    raw: &'a Value,
    converted: Arc<Value>,
}

impl Doc<'_> {
    /// The body a request body or response documents (its first media type), if any.
    fn body(&self, holder: &Value, required: bool) -> Option<Body> {
        let (media, m) = deref(self.raw, holder).get("content")?.as_object()?.iter().next()?;
        Some(Body {
            media_type: media.clone(),
            schema: convert(m.get("schema").unwrap_or(&Value::Bool(true))),
            required,
            documented: None,
            doc: self.converted.clone(),
            validator: OnceLock::new(),
        })
    }

    /// One operation: its row, its bodies and its header parameters.
    fn operation(
        &self,
        info: &'static OperationInfo,
        path: &str,
        method: &str,
        twin_responses: &Arc<BTreeMap<String, Option<Body>>>,
    ) -> Operation {
        let op_raw = self.raw.pointer(&format!("/paths/{}/{method}", escape(path))).unwrap_or(&Value::Null);
        let documented = self
            .raw
            .pointer(&format!("/x-payconform-documented-fields/{}", escape(info.operation_id)))
            .and_then(Value::as_array)
            .map(|l| Arc::new(validate::Documented::new(l.iter().filter_map(Value::as_str))));
        let request = op_raw.get("requestBody").and_then(|b| {
            let required = deref(self.raw, b).get("required").and_then(Value::as_bool).unwrap_or(false);
            self.body(b, required).map(|body| Body { documented, ..body })
        });
        let responses = op_raw
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(status, r)| (status.clone(), self.body(r, true)))
            .collect();
        let path_params = self.raw.pointer(&format!("/paths/{}/parameters", escape(path))).and_then(Value::as_array);
        let op_params = op_raw.get("parameters").and_then(Value::as_array);
        let headers = path_params
            .into_iter()
            .flatten()
            .chain(op_params.into_iter().flatten())
            .map(|p| deref(self.raw, p))
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("header"))
            .map(|p| HeaderParam {
                name: p.get("name").and_then(Value::as_str).unwrap_or("").to_string(),
                required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                allowed: p
                    .pointer("/schema/enum")
                    .and_then(Value::as_array)
                    .map(|v| v.iter().filter_map(Value::as_str).map(String::from).collect()),
            })
            .collect();
        Operation { info, request, responses, headers, twin_responses: twin_responses.clone() }
    }
}

impl Spec {
    /// A body the vendor sends to the merchant (`x-payconform-webhooks`), e.g. Adyen's
    /// `notification`.
    pub fn webhook(&self, name: &str) -> Option<&Body> {
        self.webhooks.get(name)
    }

    /// The operation that performs `action` (`x-payconform-action`), if this API has one.
    pub fn operation_for(&self, action: Action) -> Option<&Operation> {
        self.operations.iter().find(|o| o.action == Some(action))
    }

    /// The operation of a row of the generated table.
    /// Panics if the row is another API's.
    pub fn of(&self, info: &OperationInfo) -> &Operation {
        assert_eq!(info.api, self.api, "operation {} is not an operation of {}", info.operation_id, self.api);
        &self.operations[info.index]
    }

    /// An operation by vendor operationId or by generated method name.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.operation_id == id || o.method == id)
    }

    /// The operation serving `method path` (path relative to the API base path).
    pub fn find<'p>(&self, method: &str, path: &'p str) -> Option<(&Operation, Vec<(&'static str, &'p str)>)> {
        self.operations
            .iter()
            .filter(|o| o.http_method.eq_ignore_ascii_case(method))
            .find_map(|o| o.match_path(path).map(|params| (o, params)))
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
        assert_eq!(spec(Api::AdyenCheckout).operations.len(), 7);
        for api in Api::ALL {
            let s = spec(api);
            for (row, op) in api.operations().iter().zip(&s.operations) {
                assert!(std::ptr::eq(row, op.info), "{api}: {} out of table order", row.operation_id);
                assert!(std::ptr::eq(s.of(row), op));
            }
        }
    }

    #[test]
    fn operations_by_action() {
        let by = |api, a| spec(api).operation_for(a).map(|o| o.operation_id);
        assert_eq!(by(Api::WorldpayPayments, Action::PartialSettle), Some("partialSettle"));
        assert_eq!(by(Api::WorldpayV7, Action::PartialSettle), Some("partialSettlement"));
        assert_eq!(by(Api::Adyen, Action::PartialCancel), None);
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
