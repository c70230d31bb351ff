//! The operation model, the crate's ground floor: the [`Api`]s, what an operation does
//! to a payment ([`Action`]), and one row per operation of each API
//! ([`OperationInfo`]), generated from `spec/` by build.rs (`OPERATIONS` and the `Op`
//! enum in [`worldpay_v7`], [`worldpay_payments`] and [`adyen`], re-exported by each
//! [`crate::client`] module). It depends on nothing else in the crate.
//!
//! Everything about an operation that is not a schema lives here once: its
//! operationId and method name, HTTP method and path templates, media types, constant
//! headers, what it does to a payment ([`Action`]) and, per documented status, the next
//! actions its response may carry. The clients, the spec index
//! ([`crate::spec::Operation`] adds the schemas), the checker, the twin and the harness
//! all read these rows; dispatch is an exhaustive `match` over an API's `Op`.

#[path = "../../build/action.rs"]
mod action;
mod api;
pub use action::Action;
pub use api::Vendor;

// The generated half (build.rs, from `spec/` and build/apis.rs): the `Api` enum, and per
// API a module (`worldpay_v7`, `worldpay_payments`, `adyen`) with its `Op` enum and
// `OPERATIONS` rows.
include!(concat!(env!("OUT_DIR"), "/operations.rs"));

/// One operation of one API.
#[derive(Debug, PartialEq, Eq)]
pub struct OperationInfo {
    /// Which API.
    pub api: Api,
    /// Position in the API's `OPERATIONS` (and its `Op` enum).
    pub index: usize,
    /// The vendor's operationId.
    pub operation_id: &'static str,
    /// Method name on the generated client (snake_case operationId).
    pub method: &'static str,
    /// HTTP method, upper case.
    pub http_method: &'static str,
    /// Path template relative to the API's base URL.
    pub path: &'static str,
    /// Other path templates that name the same operation (e.g. the vendor's current
    /// v7 full-settle path beside seed 003's).
    pub path_aliases: &'static [&'static str],
    /// Documented request media type, if the operation has a body.
    pub request_media_type: Option<&'static str>,
    /// Documented response media type.
    pub response_media_type: Option<&'static str>,
    /// Headers with one allowed value, sent on every call.
    pub constant_headers: &'static [(&'static str, &'static str)],
    /// What the operation does to a payment (`x-payconform-action`).
    pub action: Option<Action>,
    /// Every documented status (`"201"`, `"default"`) with its next actions.
    pub responses: &'static [Documented],
}

/// A documented response status and the next actions its response may carry
/// (`x-payconform-next`).
#[derive(Debug, PartialEq, Eq)]
pub struct Documented {
    /// The status as the spec writes it.
    pub status: &'static str,
    /// The next actions; empty when the response carries none.
    pub next: &'static [Next],
}

/// One next action a response may carry.
#[derive(Debug, PartialEq, Eq)]
pub struct Next {
    /// The relation (v7 `_links`, e.g. `cardPayments:settle`) or action name (Payments
    /// API `_actions`, e.g. `settlePayment`).
    pub relation: &'static str,
    /// The operationId the link names; `None` for an action the vendor documents whose
    /// operation this spec does not model (the Payments API's 3DS steps): the checker
    /// accepts it, and nothing follows it.
    pub operation: Option<&'static str>,
}

impl OperationInfo {
    /// The next actions documented for the response with this status.
    pub fn next_for(&self, status: u16) -> &'static [Next] {
        let status = status.to_string();
        self.responses.iter().find(|d| d.status == status).map_or(&[], |d| d.next)
    }

    /// The next action a relation of this response is, if it is documented there.
    /// `payments:` relations (seed 003) count as `cardPayments:` ones.
    pub fn documented_next(&self, status: u16, relation: &str) -> Option<&'static Next> {
        let relation = canonical_relation(relation);
        self.next_for(status).iter().find(|n| n.relation == relation)
    }

    /// Every path template of the operation: its own, then its aliases.
    pub fn templates(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.path).chain(self.path_aliases.iter().copied())
    }

    /// Match a concrete path (relative to the API base path) against this operation's
    /// templates; returns the path parameters.
    pub fn match_path<'p>(&self, path: &'p str) -> Option<Vec<(&'static str, &'p str)>> {
        self.templates().find_map(|t| match_template(t, path))
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

/// Match a path against one template, segment by segment (this runs for every
/// operation on every request the twin serves); returns the path parameters.
fn match_template<'p>(template: &'static str, path: &'p str) -> Option<Vec<(&'static str, &'p str)>> {
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
                    params.push((name, ps));
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::{adyen, worldpay_payments, worldpay_v7};

    #[test]
    fn templates_match_one_segment() {
        let one = |t, p| match_template(t, p).map(|v| v.into_iter().map(|(_, v)| v).collect::<Vec<_>>());
        assert_eq!(one("/payments/events/{linkData}", "/payments/events/abc%3D"), Some(vec!["abc%3D"]));
        assert_eq!(one("/api/payments/{linkData}/refunds", "/api/payments/x/refunds"), Some(vec!["x"]));
        assert_eq!(one("/payments/events/{linkData}", "/payments/events/"), None);
        assert_eq!(one("/payments/events/{linkData}", "/payments/events/a/b"), None);
    }

    #[test]
    fn every_op_is_its_own_row_and_no_other_apis() {
        for op in worldpay_v7::Op::ALL {
            assert_eq!(worldpay_v7::Op::of(op.info()), Some(op));
            assert_eq!(worldpay_payments::Op::of(op.info()), None);
        }
        assert_eq!(adyen::Op::PostCancelOrRefund.info().operation_id, "post-cancelOrRefund");
        assert_eq!(worldpay_v7::Op::PartialSettlement.info().action, Some(Action::PartialSettle));
        for api in Api::ALL {
            for (i, row) in api.operations().iter().enumerate() {
                assert_eq!((row.api, row.index), (api, i));
            }
        }
    }

    #[test]
    fn relations_and_next_actions_come_from_the_rows() {
        let auth = worldpay_v7::Op::Authorize.info();
        assert_eq!(auth.documented_next(201, "payments:settle").and_then(|n| n.operation), Some("settle"));
        assert_eq!(
            auth.documented_next(201, "cardPayments:partialSettle").and_then(|n| n.operation),
            Some("partialSettlement")
        );
        assert_eq!(auth.documented_next(400, "cardPayments:settle"), None);
    }
}
