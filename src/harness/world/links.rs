//! The links a response offers: checked against the spec and the target, learned, and
//! followed.

use super::ConformanceWorld;
use super::vocab::{Action, Tweak, operation_for};
use crate::conformance::{CheckKind, Side, Violation};
use crate::operation::Api;
use crate::spec::{canonical_relation, spec};
use serde_json::Value;
use std::collections::BTreeMap;

/// Links per answer the harness examines and remembers (the vendors offer under 20); a
/// hostile answer with 250,000 costs no more.
const MAX_LINKS: usize = 256;

impl ConformanceWorld {
    /// Every href a response offers must name an operation of this API on the target,
    /// and a documented next action must name the operation `spec/` declares for it.
    /// (Whether the relation is documented at all is the checker's.)
    pub(super) fn link_violations(
        &self,
        api: Api,
        operation: &str,
        status: Option<u16>,
        body: &Value,
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        let op = spec(api).operation(operation);
        let mut check = |json_path: String, rel: &str, href: &Value, method: Option<&Value>| {
            let v = |message: String| Violation {
                api,
                operation: operation.to_string(),
                status,
                check: CheckKind::Links,
                side: Side::Response,
                json_path: json_path.clone(),
                message,
            };
            let Some(href) = href.as_str() else {
                out.push(v("link has no href string".into()));
                return;
            };
            let documented = op.zip(status).and_then(|(op, s)| op.documented_next(s, rel));
            if documented.is_some_and(|n| n.operation.is_none()) {
                // A documented action whose operation this spec does not model (3DS).
                return;
            }
            match self.resolve(href) {
                Err(e) => out.push(v(format!("action link does not resolve: {e}"))),
                Ok(link) => {
                    if let Some(expected) = documented.and_then(|n| n.operation)
                        && link.operation.operation_id != expected
                    {
                        let found = link.operation.operation_id;
                        out.push(v(format!("{rel:?} must link to {expected}, but links to {found}")));
                    }
                    if let Some(m) = method.and_then(Value::as_str)
                        && !m.eq_ignore_ascii_case(link.operation.http_method)
                    {
                        let (method, id) = (link.operation.http_method, link.operation.operation_id);
                        out.push(v(format!("method {m} does not match {method} {id}")));
                    }
                }
            }
        };
        let mut skipped = 0;
        if let Some(links) = body.get("_links").and_then(Value::as_object) {
            skipped += links.len().saturating_sub(MAX_LINKS);
            for (rel, l) in links.iter().take(MAX_LINKS).filter(|(rel, _)| rel.as_str() != "curies") {
                check(format!("$._links['{rel}'].href"), rel, &l["href"], None);
            }
        }
        if let Some(actions) = body.get("_actions").and_then(Value::as_object) {
            skipped += actions.len().saturating_sub(MAX_LINKS);
            for (rel, l) in actions.iter().take(MAX_LINKS) {
                check(format!("$._actions.{rel}.href"), rel, &l["href"], Some(&l["method"]));
            }
        }
        if skipped > 0 {
            out.push(Violation {
                api,
                operation: operation.to_string(),
                status,
                check: CheckKind::Links,
                side: Side::Response,
                json_path: "$".into(),
                message: format!(
                    "{skipped} more link(s) not examined: the harness follows at most {MAX_LINKS} per answer"
                ),
            });
        }
        out
    }

    /// Remember the links and references a successful response gives.
    pub(super) fn learn(&mut self, api: Api, body: &Value) {
        let mut latest = BTreeMap::new();
        let offered = ["_links", "_actions"].iter().filter_map(|k| body.get(k)?.as_object());
        for (rel, l) in offered.flat_map(|m| m.iter().take(MAX_LINKS)) {
            if let Some(h) = l["href"].as_str() {
                let rel = canonical_relation(rel).into_owned();
                self.payment.links.insert(rel.clone(), h.to_string());
                latest.insert(rel, h.to_string());
            }
        }
        // Every Worldpay success is a payment resource: what it links is what is legal now.
        if let Some(offered_in) = api.offers_in() {
            self.payment.latest = latest;
            let rels = body.get(offered_in).and_then(Value::as_object).map(|o| o.keys().cloned().collect::<Vec<_>>());
            self.payment.offered = Some(
                rels.unwrap_or_default()
                    .into_iter()
                    .filter(|k| k != "curies")
                    .map(|k| canonical_relation(&k).into_owned())
                    .collect(),
            );
        }
        if let Some(total) = body.pointer("/amounts/totalAuthorized").and_then(Value::as_i64) {
            self.payment.amount = total;
        }
    }

    /// Follow the link the latest successful response gave for `action`. A link from an
    /// earlier response is never reused unless `stale` says so (for `@twin` scenarios
    /// that test what a gateway does with one).
    pub(crate) async fn follow(
        &mut self,
        action: Action,
        body: Option<Value>,
        tweak: Option<Tweak>,
        stale: bool,
    ) -> Result<(), String> {
        let api = self.api()?;
        let op = operation_for(api, action)?;
        let pool = if stale { &self.payment.links } else { &self.payment.latest };
        let found = pool.iter().find_map(|(rel, href)| {
            self.resolve(href).ok().filter(|l| std::ptr::eq(l.operation, op)).map(|l| (rel.clone(), href.clone(), l))
        });
        let Some((_rel, href, link)) = found else {
            let offered: Vec<&String> = self.payment.latest.keys().collect();
            return Err(if stale {
                format!("no response for this payment offered a link to {}", op.operation_id)
            } else {
                format!(
                    "the latest response offered no link to {} (it offered {offered:?}); \
                     a link from an earlier response is not reused",
                    op.operation_id
                )
            });
        };
        match tweak {
            Some(t) => self.call_raw(link.operation, Some(&href), body, t).await,
            None => self.call(link.operation, Some(&link.link_data), body).await,
        }
    }
}
