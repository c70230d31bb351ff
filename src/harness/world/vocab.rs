//! The vocabulary's actions, the deliberate defects a step can ask for, and editing
//! a body by dotted path.

#[allow(unused_imports)]
use super::*;

/// The short names the vocabulary uses for the APIs.
pub(crate) fn api_by_name(name: &str) -> Option<Api> {
    Api::from_any_name(name)
}

/// Management actions, named as the vocabulary names them for every API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Settle,
    PartialSettle,
    Cancel,
    PartialCancel,
    Refund,
    PartialRefund,
    Reverse,
    Events,
}

impl Action {
    pub(crate) fn parse(word: &str, partial: bool) -> Result<Action, String> {
        Ok(match (word, partial) {
            ("settle", false) => Action::Settle,
            ("settle", true) => Action::PartialSettle,
            ("cancel", false) => Action::Cancel,
            ("cancel", true) => Action::PartialCancel,
            ("refund", false) => Action::Refund,
            ("refund", true) => Action::PartialRefund,
            ("reverse", false) => Action::Reverse,
            _ => {
                return Err(format!(
                    "unknown action {word:?}: use settle, cancel, refund or reverse (partially: settle, cancel, refund)"
                ));
            }
        })
    }

    /// The action a word of the spec's vocabulary (`x-payconform-action`) names.
    pub(crate) fn from_word(word: &str) -> Option<Action> {
        [
            Action::Settle,
            Action::PartialSettle,
            Action::Cancel,
            Action::PartialCancel,
            Action::Refund,
            Action::PartialRefund,
            Action::Reverse,
            Action::Events,
        ]
        .into_iter()
        .find(|a| a.word() == word)
    }

    /// The action's word in the spec's vocabulary (`x-payconform-action`).
    pub(crate) fn word(self) -> &'static str {
        match self {
            Action::Settle => "settle",
            Action::PartialSettle => "partialSettle",
            Action::Cancel => "cancel",
            Action::PartialCancel => "partialCancel",
            Action::Refund => "refund",
            Action::PartialRefund => "partialRefund",
            Action::Reverse => "reverse",
            Action::Events => "events",
        }
    }

    /// The operation that performs this action on a Worldpay API, as the spec declares
    /// it (`x-payconform-action`); the links the responses offer name it, and which
    /// relation carries it is the spec's business too (`x-payconform-next`).
    pub(crate) fn operation(self, api: Api) -> Option<&'static str> {
        match api {
            Api::Adyen => None,
            _ => crate::spec::spec(api).operation_for(self.word()).map(|o| o.operation_id.as_str()),
        }
    }
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
