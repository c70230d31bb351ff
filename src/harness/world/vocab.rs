//! The vocabulary's actions, the deliberate defects a step can ask for, and editing
//! a body by dotted path.

use crate::operation::Api;
use crate::operation::OperationInfo;
use crate::spec::spec;
use reqwest::header::{self, HeaderName, HeaderValue};
use serde_json::Value;

/// The short names the vocabulary uses for the APIs.
pub(crate) fn api_by_name(name: &str) -> Option<Api> {
    Api::from_any_name(name)
}

pub(crate) use crate::operation::Action;

/// The operation that performs `action` on `api`, as the spec declares it
/// (`x-payconform-action`).
pub(crate) fn operation_for(api: Api, action: Action) -> Result<&'static OperationInfo, String> {
    spec(api).operation_for(action).map(|o| o.info).ok_or_else(|| format!("{api} has no {} operation", action.word()))
}

/// Changes that make a request deliberately wrong.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tweak {
    pub(crate) no_credentials: bool,
    pub(crate) malformed_credentials: bool,
    pub(crate) content_type: Option<String>,
    pub(crate) drop_header: Option<String>,
    pub(crate) set_header: Option<(String, String)>,
    pub(crate) raw_body: Option<Vec<u8>>,
    pub(crate) drop_field: Option<String>,
    pub(crate) set_field: Option<(String, Value)>,
}

impl Tweak {
    /// The tweak's header changes, on a request the hooks have prepared.
    pub(super) fn headers(&self, api: Api, headers: &mut reqwest::header::HeaderMap) -> Result<(), String> {
        if let Some(ct) = &self.content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).map_err(|e| e.to_string())?);
        }
        if let Some(h) = &self.drop_header {
            headers.remove(h.as_str());
        }
        if let Some((n, v)) = &self.set_header {
            let name = HeaderName::from_bytes(n.as_bytes()).map_err(|e| format!("bad header name {n:?}: {e}"))?;
            headers.insert(name, HeaderValue::from_str(v).map_err(|e| format!("bad header value {v:?}: {e}"))?);
        }
        if self.malformed_credentials {
            let (name, value) = if api.vendor() == crate::operation::Vendor::Adyen {
                ("x-api-key", "")
            } else {
                ("authorization", "Basic not*base64")
            };
            headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        Ok(())
    }

    /// Whether the tweak only changes the body (which the typed client could not send).
    pub(super) fn body_only(&self) -> bool {
        !self.no_credentials
            && !self.malformed_credentials
            && self.content_type.is_none()
            && self.drop_header.is_none()
            && self.set_header.is_none()
            && self.raw_body.is_none()
    }
}

/// A path like `instruction.value.amount` as a JSON pointer.
pub(crate) fn pointer(path: &str) -> String {
    path.split('.').map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1"))).collect()
}

pub(crate) fn remove_path(body: &mut Value, path: &str) -> Result<(), String> {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (pointer(p), l),
        None => (String::new(), path),
    };
    body.pointer_mut(&parent)
        .and_then(Value::as_object_mut)
        .and_then(|o| o.remove(last))
        .map(|_| ())
        .ok_or_else(|| format!("the request has no field {path:?} to remove"))
}

pub(crate) fn set_path(body: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (pointer(p), l),
        None => (String::new(), path),
    };
    let obj = body
        .pointer_mut(&parent)
        .and_then(Value::as_object_mut)
        .ok_or_else(|| format!("the request has no object at {parent:?} to set {last:?} in"))?;
    obj.insert(last.to_string(), value);
    Ok(())
}
