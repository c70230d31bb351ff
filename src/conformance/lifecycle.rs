//! Lifecycle checks across exchanges: what a sequence of observed exchanges says about
//! each payment, from the exchanges alone (never from a twin's internals).
//!
//! Four rules, each a [`Rule`]:
//! - **money**: an upstream that accepts a settle beyond what it authorised, a refund
//!   beyond what it settled, or an amount in another currency than the payment's;
//! - **offered**: a followed link, or an Adyen modification's `originalReference`, must
//!   come from an earlier answer;
//! - **state**: a request that follows a link the payment's latest answer no longer
//!   offers, or that modifies a payment whose answer refused it;
//! - **reuse**: the same payment reference, or the same `Idempotency-Key`, sent again
//!   with another body.
//!
//! Asynchronous answers are not outcomes. Adyen's `[capture-received]` only says Adyen
//! took the request (the outcome comes as a notification, which no proxy sees), so no
//! money rule reads it. A Worldpay settle or refund answered 202 (`sentForSettlement`)
//! is not final either, but the upstream has taken the instruction, and Worldpay
//! refuses one beyond the payment's amount at once: so the money rule counts what was
//! accepted, and never treats it as settled funds.
//!
//! Bounded: payments are forgotten oldest first past [`Lifecycle::MAX_PAYMENTS`] or
//! [`Lifecycle::MAX_BYTES`] of links held, references past [`Lifecycle::MAX_REFERENCES`].

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{Hash, Hasher};

use serde_json::Value;

use super::{Side, next_actions};
use crate::client::Exchange;
use crate::operation::{Action, Api, Vendor};
use crate::spec::spec;

/// Which lifecycle rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// Money moved beyond what was authorised or settled, or changed currency.
    Money,
    /// A link or reference that no earlier answer offered.
    Offered,
    /// A request the payment's latest answer says it is past.
    State,
    /// A reference or `Idempotency-Key` reused with another body.
    Reuse,
}

impl Rule {
    /// The rule's name in reports: `lifecycle.money`, `lifecycle.offered`, ….
    pub fn name(self) -> &'static str {
        match self {
            Rule::Money => "lifecycle.money",
            Rule::Offered => "lifecycle.offered",
            Rule::State => "lifecycle.state",
            Rule::Reuse => "lifecycle.reuse",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One lifecycle finding: the rule, which side broke it, where, and the exchanges it
/// rests on (by their position in the observed sequence, this one last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleFinding {
    /// The rule broken.
    pub rule: Rule,
    /// `Request`: the client sent what it should not have; `Response`: the upstream
    /// accepted what it should not have.
    pub side: Side,
    /// API.
    pub api: Api,
    /// The operation of the exchange that broke it.
    pub operation: String,
    /// JSONPath into that exchange's body, or `url`, or a header's name.
    pub json_path: String,
    /// What is wrong.
    pub message: String,
    /// The exchanges it rests on, earliest first; the last is the one that broke it.
    pub rests_on: Vec<usize>,
}

impl fmt::Display for LifecycleFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on: Vec<String> = self.rests_on.iter().map(|i| format!("#{i}")).collect();
        write!(
            f,
            "{} {} {} {} {}: {} (exchanges {})",
            self.rule,
            self.api,
            self.operation,
            self.side,
            self.json_path,
            self.message,
            on.join(", ")
        )
    }
}

/// What the observed answers say about one payment.
#[derive(Debug, Default)]
struct Payment {
    /// The exchange that created it.
    origin: usize,
    /// Minor units the upstream authorised, and the currency.
    authorised: Option<(i64, String)>,
    /// Accepted settles, refunds and partial cancels: total and the exchanges.
    settled: (i64, Vec<usize>),
    refunded: (i64, Vec<usize>),
    cancelled: (i64, Vec<usize>),
    /// Why no modification may follow (a refusal), and the exchange that said so.
    refused: Option<(usize, String)>,
    /// The relations the latest answer with links offered, and that answer.
    offers: Option<(usize, Vec<String>)>,
    /// The paths of links offered for it (to forget them with it).
    hrefs: Vec<String>,
    /// Adyen: its pspReference.
    psp: Option<String>,
}

/// The lifecycle checker: feed it every exchange in order with [`Lifecycle::observe`].
#[derive(Debug, Default)]
pub struct Lifecycle {
    payments: HashMap<u64, Payment>,
    order: VecDeque<u64>,
    next_id: u64,
    /// Link path → payment and the relation it was offered as, and by which exchange.
    links: HashMap<String, (u64, String, usize)>,
    /// Adyen pspReference → payment.
    psps: HashMap<String, u64>,
    /// (scope, kind, value) → hash of what was sent with it, and the exchange.
    references: HashMap<(u64, &'static str, String), (u64, usize)>,
    reference_order: VecDeque<(u64, &'static str, String)>,
    bytes: usize,
}

impl Lifecycle {
    /// Payments remembered before the oldest is forgotten.
    pub const MAX_PAYMENTS: usize = 100_000;
    /// Bytes of links and references remembered before the oldest payment is forgotten.
    pub const MAX_BYTES: usize = 64 * 1024 * 1024;
    /// References and `Idempotency-Key`s remembered.
    pub const MAX_REFERENCES: usize = 100_000;
    /// Links of one answer that are remembered (a hostile answer can offer thousands).
    const MAX_LINKS_PER_ANSWER: usize = 32;
    /// Longest link path remembered.
    const MAX_LINK_LEN: usize = 4096;

    /// A checker that has seen nothing.
    pub fn new() -> Self {
        Lifecycle::default()
    }

    /// Check exchange number `index` (of `api`, its `operation` an operationId) against
    /// what the earlier ones said, and learn from it.
    pub fn observe(&mut self, index: usize, api: Api, ex: &Exchange) -> Vec<LifecycleFinding> {
        let mut out = Vec::new();
        let Some(op) = spec(api).operation(&ex.operation) else { return out };
        let Some(status) = ex.status.filter(|_| ex.error.is_none()) else { return out };
        let accepted = (200..300).contains(&status);
        let request: Option<Value> = ex.request_body.as_deref().and_then(|b| serde_json::from_slice(b).ok());
        let answer: Option<Value> =
            if ex.oversized.is_none() { serde_json::from_slice(&ex.response_body).ok() } else { None };
        let finding = |rule, side, json_path: &str, message: String, rests_on: Vec<usize>| LifecycleFinding {
            rule,
            side,
            api,
            operation: op.operation_id.to_string(),
            json_path: json_path.to_string(),
            message,
            rests_on,
        };
        let scope = scope_of(ex);
        self.reuse(index, (api, scope), ex, request.as_ref(), op.action, &mut out, &finding);

        let action = op.action;
        if action == Some(Action::Authorize) {
            if accepted {
                self.authorised(index, api, request.as_ref(), answer.as_ref());
            }
            return out;
        }
        // Which payment the request names, and whether an earlier answer offered it.
        let path = path_of(&ex.url);
        let payment = match api.vendor() {
            Vendor::Adyen => {
                if action == Some(Action::TechnicalCancel) {
                    return out;
                }
                // The classic API names the payment in the body, Checkout in the path.
                let in_body = request.as_ref().and_then(|r| r.get("originalReference")).and_then(Value::as_str);
                let in_path = Api::route(path)
                    .and_then(|(_, rel)| op.match_path(rel))
                    .and_then(|params| params.into_iter().find(|(n, _)| *n == "paymentPspReference"))
                    .map(|(_, v)| v);
                let (psp, at, name) = match (in_body, in_path) {
                    (Some(p), _) => (p, "$.originalReference", "originalReference"),
                    (None, Some(p)) => (p, "url", "paymentPspReference"),
                    (None, None) => return out,
                };
                match self.psps.get(psp) {
                    Some(id) => *id,
                    None => {
                        let message = format!("{name} {psp:?} was not returned by an earlier answer");
                        out.push(finding(Rule::Offered, Side::Request, at, message, vec![index]));
                        return out;
                    }
                }
            }
            Vendor::Worldpay => {
                if !op.path.contains("{linkData}") {
                    return out;
                }
                match self.links.get(path) {
                    Some((id, relation, offered_by)) => {
                        let (id, relation, offered_by) = (*id, relation.clone(), *offered_by);
                        if let Some(p) = self.payments.get(&id)
                            && let Some((latest, offers)) = &p.offers
                            && *latest > offered_by
                            && !offers.contains(&relation)
                        {
                            let message = format!(
                                "follows {relation:?}, offered by exchange #{offered_by}, but the payment's latest answer (#{latest}) no longer offers it"
                            );
                            out.push(finding(
                                Rule::State,
                                Side::Request,
                                "url",
                                message,
                                vec![offered_by, *latest, index],
                            ));
                        }
                        id
                    }
                    None => {
                        let message = format!("the link {path:?} was not offered by an earlier answer");
                        out.push(finding(Rule::Offered, Side::Request, "url", message, vec![index]));
                        return out;
                    }
                }
            }
        };
        if let Some((by, why)) = self.payments.get(&payment).and_then(|p| p.refused.clone())
            && action != Some(Action::Events)
        {
            let message = format!("modifies a payment that exchange #{by} answered {why:?}");
            out.push(finding(Rule::State, Side::Request, "$", message, vec![by, index]));
        }
        let adyen = api.vendor() == Vendor::Adyen;
        if accepted && !adyen {
            self.money(index, payment, action, request.as_ref(), &mut out, &finding);
        }
        if let Some(answer) = answer.as_ref().filter(|_| accepted && !adyen) {
            self.offered(index, payment, api, answer);
        }
        out
    }

    /// An accepted authorisation: a new payment, its amount and what it offers.
    fn authorised(&mut self, index: usize, api: Api, request: Option<&Value>, answer: Option<&Value>) {
        let Some(answer) = answer else { return };
        let id = self.next_id;
        self.next_id += 1;
        let mut p = Payment { origin: index, ..Payment::default() };
        match api.vendor() {
            Vendor::Adyen => {
                let amount = request.and_then(|r| r.get("amount"));
                let result = answer.get("resultCode").and_then(Value::as_str).unwrap_or("");
                if result == "Authorised" {
                    p.authorised = money(amount);
                } else {
                    p.refused = Some((index, format!("resultCode {result}")));
                }
                if let Some(psp) = answer.get("pspReference").and_then(Value::as_str) {
                    p.psp = Some(psp.to_string());
                    self.bytes += psp.len();
                    self.psps.insert(psp.to_string(), id);
                }
            }
            Vendor::Worldpay => {
                let value = request.and_then(|r| r.pointer("/instruction/value"));
                let outcome = answer.get("outcome").and_then(Value::as_str).unwrap_or("");
                let requested = money(value);
                let total = answer.pointer("/amounts/totalAuthorized").and_then(Value::as_i64);
                let authorised = match (requested, total) {
                    (Some((_, currency)), Some(t)) => Some((t, currency)),
                    (r, _) => r,
                };
                match outcome.to_ascii_lowercase().replace(' ', "").as_str() {
                    "authorized" => p.authorised = authorised,
                    "sentforsettlement" => {
                        p.settled = (authorised.as_ref().map_or(0, |a| a.0), vec![index]);
                        p.authorised = authorised;
                    }
                    other => p.refused = Some((index, format!("outcome {other}"))),
                }
            }
        }
        self.payments.insert(id, p);
        self.order.push_back(id);
        if api.vendor() != Vendor::Adyen {
            self.offered(index, id, api, answer);
        }
        self.forget_old();
    }

    /// The links an accepted answer offers for `payment`: remembered, and the offers of
    /// the payment's latest answer.
    fn offered(&mut self, index: usize, payment: u64, api: Api, answer: &Value) {
        let Some(key) = api.offers_in() else { return };
        if answer.get(key).is_none() {
            return;
        }
        let actions = next_actions(api, answer);
        let mut relations = Vec::new();
        let mut learned = Vec::new();
        for (_, relation) in actions.into_iter().take(Self::MAX_LINKS_PER_ANSWER) {
            relations.push(relation.to_string());
            let href =
                answer.get(key).and_then(|l| l.get(relation)).and_then(|l| l.get("href")).and_then(Value::as_str);
            if let Some(href) = href.filter(|h| h.len() <= Self::MAX_LINK_LEN) {
                learned.push((path_of(href).to_string(), relation.to_string()));
            }
        }
        let Some(p) = self.payments.get_mut(&payment) else { return };
        p.offers = Some((index, relations));
        for (path, relation) in learned {
            self.bytes += path.len() + relation.len();
            p.hrefs.push(path.clone());
            self.links.insert(path, (payment, relation, index));
        }
        self.forget_old();
    }

    /// The money rules for an accepted modification of a Worldpay payment.
    fn money(
        &mut self,
        index: usize,
        payment: u64,
        action: Option<Action>,
        request: Option<&Value>,
        out: &mut Vec<LifecycleFinding>,
        finding: &impl Fn(Rule, Side, &str, String, Vec<usize>) -> LifecycleFinding,
    ) {
        let Some(p) = self.payments.get_mut(&payment) else { return };
        let Some((authorised, currency)) = p.authorised.clone() else { return };
        let part = request.and_then(|r| money(r.get("value")));
        if let Some((_, c)) = &part
            && *c != currency
        {
            let message = format!("the upstream accepted an amount in {c} for a payment authorised in {currency}");
            out.push(finding(Rule::Money, Side::Response, "$.value.currency", message, vec![p.origin, index]));
            return;
        }
        let open = authorised - p.settled.0 - p.cancelled.0;
        let part_amount = part.as_ref().map_or(0, |a| a.0);
        let at = if part.is_some() { "$.value.amount" } else { "$" };
        let mut over = |kind: &str, amount: i64, limit: i64, what: &str, earlier: &[usize], origin: usize| {
            let mut rests_on = vec![origin];
            rests_on.extend(earlier.iter().copied().filter(|e| *e != origin));
            rests_on.push(index);
            let message = format!(
                "the upstream accepted a {kind} of {amount} {currency} with only {limit} {currency} {what} (authorised {authorised})"
            );
            out.push(finding(Rule::Money, Side::Response, at, message, rests_on));
        };
        match action {
            Some(Action::Settle) => {
                if open <= 0 {
                    over("settle", open.max(0), open.max(0), "left to settle", &p.settled.1, p.origin);
                }
                p.settled.0 += open.max(0);
                p.settled.1.push(index);
            }
            Some(Action::PartialSettle) => {
                let amount = part_amount;
                if amount > open {
                    over("settle", amount, open.max(0), "left to settle", &p.settled.1, p.origin);
                }
                p.settled.0 += amount;
                p.settled.1.push(index);
            }
            Some(Action::PartialCancel) => {
                let amount = part_amount;
                if amount > open {
                    over("partial cancel", amount, open.max(0), "left authorised", &p.settled.1, p.origin);
                }
                p.cancelled.0 += amount;
                p.cancelled.1.push(index);
            }
            Some(Action::Refund) | Some(Action::PartialRefund) => {
                let left = p.settled.0 - p.refunded.0;
                let amount = if action == Some(Action::Refund) { left.max(0) } else { part_amount };
                let earlier: Vec<usize> = p.settled.1.iter().chain(&p.refunded.1).copied().collect();
                if amount > left || (action == Some(Action::Refund) && left <= 0) {
                    over("refund", amount, left.max(0), "settled and not refunded", &earlier, p.origin);
                }
                p.refunded.0 += amount;
                p.refunded.1.push(index);
            }
            Some(Action::Reverse) => {
                if p.settled.0 > 0 {
                    p.refunded.0 = p.settled.0;
                    p.refunded.1.push(index);
                } else {
                    p.cancelled.0 = open.max(0);
                    p.cancelled.1.push(index);
                }
            }
            Some(Action::Cancel) => {
                p.cancelled.0 += open.max(0);
                p.cancelled.1.push(index);
            }
            _ => {}
        }
    }

    /// The reference of an authorisation and every `Idempotency-Key`: sent again with
    /// another body is a finding.
    #[allow(clippy::too_many_arguments)]
    fn reuse(
        &mut self,
        index: usize,
        (api, scope): (Api, u64),
        ex: &Exchange,
        request: Option<&Value>,
        action: Option<Action>,
        out: &mut Vec<LifecycleFinding>,
        finding: &impl Fn(Rule, Side, &str, String, Vec<usize>) -> LifecycleFinding,
    ) {
        let body = fingerprint(ex.request_body.as_deref(), request);
        let mut seen = |kind: &'static str, value: String, hash: u64, path: &str| {
            let key = (scope, kind, value.clone());
            match self.references.get(&key) {
                Some((h, first)) if *h != hash => {
                    let message = format!("{kind} {value:?} was sent by exchange #{first} with another body");
                    out.push(finding(Rule::Reuse, Side::Request, path, message, vec![*first, index]));
                }
                Some(_) => {}
                None => {
                    self.bytes += value.len();
                    self.references.insert(key.clone(), (hash, index));
                    self.reference_order.push_back(key);
                    if self.reference_order.len() > Self::MAX_REFERENCES
                        && let Some(old) = self.reference_order.pop_front()
                    {
                        self.bytes = self.bytes.saturating_sub(old.2.len());
                        self.references.remove(&old);
                    }
                }
            }
        };
        if let Some(key) = ex.request_header("idempotency-key").filter(|k| k.len() <= 256) {
            let mut h = DefaultHasher::new();
            (ex.method.as_str(), path_of(&ex.url), body).hash(&mut h);
            seen("Idempotency-Key", key.to_string(), h.finish(), "Idempotency-Key");
        }
        if action == Some(Action::Authorize) {
            let (field, path) = match api.vendor() {
                Vendor::Adyen => ("reference", "$.reference"),
                Vendor::Worldpay => ("transactionReference", "$.transactionReference"),
            };
            if let Some(reference) =
                request.and_then(|r| r.get(field)).and_then(Value::as_str).filter(|r| r.len() <= 256)
            {
                seen("reference", reference.to_string(), body, path);
            }
        }
    }

    /// Forget the oldest payments past the count or byte bound.
    fn forget_old(&mut self) {
        while self.order.len() > Self::MAX_PAYMENTS || self.bytes > Self::MAX_BYTES {
            let Some(id) = self.order.pop_front() else { break };
            if let Some(p) = self.payments.remove(&id) {
                for h in p.hrefs {
                    self.bytes = self.bytes.saturating_sub(h.len());
                    self.links.remove(&h);
                }
                if let Some(psp) = p.psp {
                    self.bytes = self.bytes.saturating_sub(psp.len());
                    self.psps.remove(&psp);
                }
            }
        }
    }
}

/// An amount object (`{"value"|"amount": n, "currency": "EUR"}`) as minor units and
/// currency.
fn money(v: Option<&Value>) -> Option<(i64, String)> {
    let v = v?;
    let amount = v.get("amount").or_else(|| v.get("value")).and_then(Value::as_i64)?;
    let currency = v.get("currency").and_then(Value::as_str).unwrap_or("").to_string();
    Some((amount, currency))
}

/// The path (and query) of a URL, or the text itself if it has no scheme.
fn path_of(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

/// Whose requests these are: a hash of the credential (each credential is its own
/// merchant), never the credential itself.
fn scope_of(ex: &Exchange) -> u64 {
    let mut h = DefaultHasher::new();
    ex.request_header("authorization").hash(&mut h);
    ex.request_header("x-api-key").hash(&mut h);
    h.finish()
}

/// A body's fingerprint: of its JSON when it parses (so key order and spacing do not
/// count), else of its bytes.
fn fingerprint(bytes: Option<&[u8]>, json: Option<&Value>) -> u64 {
    let mut h = DefaultHasher::new();
    match json {
        Some(v) => v.to_string().hash(&mut h),
        None => bytes.hash(&mut h),
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(operation: &str, url: &str, body: Option<Value>, status: u16, answer: Value) -> Exchange {
        Exchange {
            operation: operation.into(),
            method: "POST".into(),
            url: url.into(),
            request_headers: vec![("authorization".into(), "Basic dTpw".into())],
            request_body: body.map(|b| b.to_string().into_bytes()),
            status: Some(status),
            response_headers: Vec::new(),
            response_body: answer.to_string().into_bytes(),
            error: None,
            oversized: None,
            elapsed: std::time::Duration::ZERO,
        }
    }

    fn authorize(amount: i64) -> Exchange {
        let body = serde_json::json!({"transactionReference": "r1", "instruction": {"value": {"amount": amount, "currency": "GBP"}}});
        let answer = serde_json::json!({"outcome": "authorized", "_links": {
            "cardPayments:settle": {"href": "http://p/payments/settlements/T1"},
            "cardPayments:partialSettle": {"href": "http://p/payments/settlements/partials/T1"},
            "cardPayments:cancel": {"href": "http://p/payments/authorizations/cancellations/T1"}}});
        ex("authorize", "http://p/cardPayments/customerInitiatedTransactions", Some(body), 201, answer)
    }

    fn partial_settle(amount: i64) -> Exchange {
        let body = serde_json::json!({"reference": "s", "value": {"amount": amount, "currency": "GBP"}});
        let answer = serde_json::json!({"_links": {"cardPayments:partialSettle": {"href": "http://p/payments/settlements/partials/T1"},
            "cardPayments:refund": {"href": "http://p/payments/settlements/refunds/full/T1"}}});
        ex("partialSettlement", "http://p/payments/settlements/partials/T1", Some(body), 202, answer)
    }

    #[test]
    fn an_accepted_over_settle_is_money_and_names_its_exchanges() {
        let mut l = Lifecycle::new();
        assert!(l.observe(0, Api::WorldpayV7, &authorize(1000)).is_empty());
        assert!(l.observe(1, Api::WorldpayV7, &partial_settle(600)).is_empty());
        let found = l.observe(2, Api::WorldpayV7, &partial_settle(600));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].rule, found[0].side, found[0].rests_on.clone()),
            (Rule::Money, Side::Response, vec![0, 1, 2])
        );
        assert_eq!(found[0].json_path, "$.value.amount");
    }

    #[test]
    fn a_refused_over_settle_is_no_finding() {
        let mut l = Lifecycle::new();
        l.observe(0, Api::WorldpayV7, &authorize(1000));
        let mut refused = partial_settle(5000);
        refused.status = Some(400);
        refused.response_body = br#"{"errorName":"x"}"#.to_vec();
        assert!(l.observe(1, Api::WorldpayV7, &refused).is_empty());
    }

    #[test]
    fn a_link_never_offered_and_one_no_longer_offered() {
        let mut l = Lifecycle::new();
        let mut stray = partial_settle(10);
        stray.url = "http://p/payments/settlements/partials/FORGED".into();
        assert_eq!(l.observe(0, Api::WorldpayV7, &stray)[0].rule, Rule::Offered);
        l.observe(1, Api::WorldpayV7, &authorize(1000));
        l.observe(2, Api::WorldpayV7, &partial_settle(100));
        // The cancel link came with the authorisation; the settle's answer no longer offers it.
        let cancel = ex(
            "cancel",
            "http://p/payments/authorizations/cancellations/T1",
            None,
            202,
            serde_json::json!({"_links": {}}),
        );
        let found = l.observe(3, Api::WorldpayV7, &cancel);
        assert_eq!((found[0].rule, found[0].rests_on.clone()), (Rule::State, vec![1, 2, 3]), "{found:?}");
    }

    #[test]
    fn a_reference_reused_with_another_body() {
        let mut l = Lifecycle::new();
        l.observe(0, Api::WorldpayV7, &authorize(1000));
        assert!(l.observe(1, Api::WorldpayV7, &authorize(1000)).is_empty(), "a retry with the same body is fine");
        let found = l.observe(2, Api::WorldpayV7, &authorize(2000));
        assert_eq!((found[0].rule, found[0].rests_on.clone()), (Rule::Reuse, vec![0, 2]));
    }

    #[test]
    fn adyen_received_is_no_outcome_and_references_must_be_offered() {
        let mut l = Lifecycle::new();
        let auth = ex(
            "post-authorise",
            "http://p/pal/servlet/Payment/v40/authorise",
            Some(serde_json::json!({"reference": "a", "amount": {"value": 1000, "currency": "EUR"}})),
            200,
            serde_json::json!({"pspReference": "8815000000000001", "resultCode": "Authorised"}),
        );
        l.observe(0, Api::Adyen, &auth);
        let capture = |psp: &str, value: i64| {
            ex(
                "post-capture",
                "http://p/pal/servlet/Payment/v40/capture",
                Some(
                    serde_json::json!({"originalReference": psp, "modificationAmount": {"value": value, "currency": "EUR"}}),
                ),
                200,
                serde_json::json!({"pspReference": "8815000000000002", "response": "[capture-received]"}),
            )
        };
        // Beyond the authorised amount, but only received: the notification decides.
        assert!(l.observe(1, Api::Adyen, &capture("8815000000000001", 5000)).is_empty());
        assert_eq!(l.observe(2, Api::Adyen, &capture("0000", 1))[0].rule, Rule::Offered);
    }

    #[test]
    fn checkout_names_the_payment_in_its_path() {
        let mut l = Lifecycle::new();
        let pay = ex(
            "post-payments",
            "http://p/checkout/v72/payments",
            Some(serde_json::json!({"reference": "a", "amount": {"value": 1000, "currency": "EUR"}})),
            200,
            serde_json::json!({"pspReference": "8815000000000001", "resultCode": "Authorised"}),
        );
        l.observe(0, Api::AdyenCheckout, &pay);
        let capture = |psp: &str| {
            ex(
                "post-payments-paymentPspReference-captures",
                &format!("http://p/checkout/v72/payments/{psp}/captures"),
                Some(serde_json::json!({"amount": {"value": 5000, "currency": "EUR"}})),
                201,
                serde_json::json!({"pspReference": "8815000000000002", "status": "received"}),
            )
        };
        // Beyond the amount but only received; a pspReference no answer gave is flagged.
        assert!(l.observe(1, Api::AdyenCheckout, &capture("8815000000000001")).is_empty());
        let found = l.observe(2, Api::AdyenCheckout, &capture("PCUNKNOWNPAYMENT"));
        assert_eq!((found[0].rule, found[0].json_path.as_str()), (Rule::Offered, "url"), "{found:?}");
        assert!(found[0].message.contains("paymentPspReference"), "{found:?}");
    }

    #[test]
    fn memory_is_bounded_by_count() {
        let mut l = Lifecycle::new();
        for i in 0..(Lifecycle::MAX_PAYMENTS + 10) {
            l.authorised(
                i,
                Api::Adyen,
                None,
                Some(&serde_json::json!({"pspReference": i.to_string(), "resultCode": "Authorised"})),
            );
        }
        assert_eq!(l.payments.len(), Lifecycle::MAX_PAYMENTS);
        assert_eq!(l.psps.len(), Lifecycle::MAX_PAYMENTS);
    }
}
