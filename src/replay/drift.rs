//! Drift: re-send each recorded flow, in order, to a target (by default a twin), and
//! say where its answers differ from the recorded ones.
//!
//! Compared per exchange: the status, the media type, the presence and JSON type of
//! every field the spec describes, the values that carry a payment's state or money
//! (`outcome`, `resultCode`, `response`, `lastEvent`, amounts, error names and codes),
//! and the set of links or actions offered. Fields the spec does not describe (a
//! vendor's extras) and values that are always new (pspReferences, ids, dates, tokens)
//! are not drift. The recorded run's link tokens and pspReferences are mapped to the new
//! run's as the answers hand them out.
//!
//! Each difference is classified: the twin is wrong (a status, a state or money value,
//! the links offered, or a field the twin's answer breaks the spec at); the spec is
//! wrong (the recorded answer breaks it there); or an undocumented choice of the
//! vendor's (both conform and the spec decides nothing between them: an error's name or
//! code, an optional field one of them leaves out).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Recorded, Recording};
use crate::client::Exchange;
use crate::conformance::{check_exchange, next_actions};
use crate::operation::{Api, Vendor};
use crate::spec::{media_is, spec};

/// Who is wrong, by the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// The target (the twin) answers otherwise than the vendor did, where the spec
    /// decides.
    Twin,
    /// The recorded answer breaks the spec there: the spec (or the vendor) is wrong.
    Spec,
    /// Both answers conform; the vendor chose what the spec leaves open.
    VendorChoice,
}

/// One difference between a recorded answer and the target's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// The recorded exchange (its `_payconform.index`).
    pub exchange: usize,
    /// Its flow, if the recording names one.
    pub flow: Option<usize>,
    /// API name.
    pub api: String,
    /// operationId.
    pub operation: String,
    /// `status`, `Content-Type`, a JSONPath, or `$._links` for the set offered.
    pub json_path: String,
    /// What the recording says.
    pub recorded: String,
    /// What the target said.
    pub target: String,
    /// Who is wrong.
    pub class: Class,
    /// Listed in the baseline, with its reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
}

impl Difference {
    /// The key a baseline lists it by (no exchange number: a new recording renumbers).
    pub fn key(&self) -> String {
        format!("{} {} {} {} → {}", self.api, self.operation, self.json_path, self.recorded, self.target)
    }
}

/// Known differences, each with a reason (`--baseline`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Difference key → reason.
    pub known: BTreeMap<String, String>,
}

/// What a drift found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DriftReport {
    /// What was drifted against.
    pub target: String,
    /// Flows re-sent.
    pub flows: usize,
    /// Exchanges re-sent.
    pub exchanges: usize,
    /// Every difference, known ones marked.
    pub differences: Vec<Difference>,
}

impl DriftReport {
    /// Differences not in the baseline.
    pub fn new_differences(&self) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(|d| d.known.is_none())
    }

    /// A baseline listing every difference found (reason: to be written).
    pub fn baseline(&self) -> Baseline {
        let known = self
            .differences
            .iter()
            .map(|d| {
                (d.key(), d.known.clone().unwrap_or_else(|| format!("{:?}: explain why this is expected", d.class)))
            })
            .collect();
        Baseline { known }
    }

    /// The console summary: one line per difference.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "payconform drift against {}: {} flow(s), {} exchange(s), {} difference(s), {} new\n",
            self.target,
            self.flows,
            self.exchanges,
            self.differences.len(),
            self.new_differences().count()
        );
        for d in &self.differences {
            let known = d.known.as_deref().map(|r| format!(" (known: {r})")).unwrap_or_default();
            s.push_str(&format!(
                "  {:?} #{} {} {} {}: recorded {} · target {}{known}\n",
                d.class, d.exchange, d.api, d.operation, d.json_path, d.recorded, d.target
            ));
        }
        crate::redact::inert(&s).replace("\\u{a}", "\n")
    }
}

/// Values compared, by field name: a payment's state and money, and an error's identity.
const STATE_FIELDS: [&str; 9] = [
    "outcome",
    "resultCode",
    "response",
    "lastEvent",
    "amount",
    "value",
    "totalAuthorized",
    "currency",
    "refusalReason",
];
/// An error's name or code: the vendor's choice where the spec lists several.
const CHOICE_FIELDS: [&str; 3] = ["errorName", "errorCode", "errorType"];

/// Re-send every flow of `rec` to the APIs under `root` (`http://127.0.0.1:8080`) with
/// the twin's default credentials, and compare. `baseline` marks known differences.
pub async fn drift(rec: &Recording, root: &str, baseline: Option<&Baseline>) -> Result<DriftReport, String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut flows: BTreeMap<Option<usize>, Vec<&Recorded>> = BTreeMap::new();
    for e in &rec.entries {
        flows.entry(e.flow).or_default().push(e);
    }
    let mut report =
        DriftReport { target: root.to_string(), flows: flows.len(), exchanges: 0, differences: Vec::new() };
    let root = root.trim_end_matches('/');
    for (_, mut entries) in flows {
        entries.sort_by_key(|e| e.index);
        // The recorded run's tokens and pspReferences → the new run's.
        let mut map: HashMap<String, String> = HashMap::new();
        let (mut was, mut is) = (Money::default(), Money::default());
        let last = entries.last().copied();
        for e in entries {
            let (status, content_type, body) = send(&client, root, e, &map).await?;
            report.exchanges += 1;
            let recorded: Option<Value> = serde_json::from_str(&e.body).ok();
            let now: Option<Value> = serde_json::from_str(&body).ok();
            if let (Some(r), Some(n)) = (&recorded, &now) {
                learn(e.api, r, n, &mut map);
            }
            was.apply(e, e.status, recorded.as_ref());
            is.apply(e, status, now.as_ref());
            compare(
                e,
                (status, content_type.as_deref(), now.as_ref(), &body),
                recorded.as_ref(),
                &mut report.differences,
            );
        }
        if let Some(e) = last.filter(|_| was != is) {
            report.differences.push(Difference {
                exchange: e.index,
                flow: e.flow,
                api: e.api.name().into(),
                operation: e.operation.clone(),
                json_path: "money".into(),
                recorded: was.to_string(),
                target: is.to_string(),
                class: Class::Twin,
                known: None,
            });
        }
    }
    if let Some(b) = baseline {
        for d in &mut report.differences {
            d.known = b.known.get(&d.key()).cloned();
        }
    }
    Ok(report)
}

/// A flow's money, from its requests and the answers that took them: what was
/// authorised, and what settles, refunds and cancels the upstream accepted (an Adyen
/// modification's `received` is no outcome, so Adyen counts only its authorisation).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Money {
    authorised: i64,
    settled: i64,
    refunded: i64,
    cancelled: i64,
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "authorised {}, settled {}, refunded {}, cancelled {}",
            self.authorised, self.settled, self.refunded, self.cancelled
        )
    }
}

impl Money {
    fn apply(&mut self, e: &Recorded, status: u16, answer: Option<&Value>) {
        use crate::operation::Action;
        if !(200..300).contains(&status) {
            return;
        }
        let Some(op) = spec(e.api).operation(&e.operation) else { return };
        let amount =
            |v: Option<&Value>| v.and_then(|v| v.get("amount").or_else(|| v.get("value"))).and_then(Value::as_i64);
        let part = amount(e.request.as_ref().and_then(|r| r.get("value")));
        let open = self.authorised - self.settled - self.cancelled;
        match (op.action, e.api.vendor()) {
            (Some(Action::Authorize), Vendor::Adyen)
                if answer.and_then(|a| a.get("resultCode")).and_then(Value::as_str) == Some("Authorised") =>
            {
                self.authorised += amount(e.request.as_ref().and_then(|r| r.get("amount"))).unwrap_or(0);
            }
            (_, Vendor::Adyen) => {}
            (Some(Action::Authorize), _) => {
                let outcome = answer.and_then(|a| a.get("outcome")).and_then(Value::as_str).unwrap_or("");
                let requested = amount(e.request.as_ref().and_then(|r| r.pointer("/instruction/value")));
                let total = answer.and_then(|a| a.pointer("/amounts/totalAuthorized")).and_then(Value::as_i64);
                let authorised = total.or(requested).unwrap_or(0);
                match outcome.to_ascii_lowercase().replace(' ', "").as_str() {
                    "authorized" => self.authorised += authorised,
                    "sentforsettlement" => {
                        self.authorised += authorised;
                        self.settled += authorised;
                    }
                    _ => {}
                }
            }
            (Some(Action::Settle), _) => self.settled += open.max(0),
            (Some(Action::PartialSettle), _) => self.settled += part.unwrap_or(0),
            (Some(Action::Refund), _) => self.refunded = self.settled,
            (Some(Action::PartialRefund), _) => self.refunded += part.unwrap_or(0),
            (Some(Action::Cancel), _) => self.cancelled += open.max(0),
            (Some(Action::PartialCancel), _) => self.cancelled += part.unwrap_or(0),
            (Some(Action::Reverse), _) => {
                if self.settled > 0 {
                    self.refunded = self.settled;
                } else {
                    self.cancelled += open.max(0);
                }
            }
            _ => {}
        }
    }
}

/// A recorded request made sendable: pseudonyms back to test values, the recorded
/// run's tokens and references to the new run's, and the twin's default credentials
/// where the recorded request carried any.
async fn send(
    client: &reqwest::Client,
    root: &str,
    e: &Recorded,
    map: &HashMap<String, String>,
) -> Result<(u16, Option<String>, String), String> {
    let mut path = e.path.clone();
    let mut body = unredact(e.api, &e.raw);
    for (old, new) in map {
        path = path.replace(old.as_str(), new);
        body = body.replace(&format!("\"{old}\""), &format!("\"{new}\""));
    }
    let mut req =
        client.request(e.method.parse().map_err(|_| format!("bad method {}", e.method))?, format!("{root}{path}"));
    for (n, v) in &e.asked {
        match n.to_ascii_lowercase().as_str() {
            "authorization" => req = req.header("authorization", "Basic cGF5Y29uZm9ybTpzYW5kYm94"),
            "x-api-key" => req = req.header("x-api-key", "payconform-sandbox-key"),
            "host" | "content-length" | "connection" | "transfer-encoding" | "cookie" | "proxy-authorization" => {}
            _ => req = req.header(n.as_str(), v.as_str()),
        }
    }
    // A `check` recording holds no credential header at all (its clients never hand
    // them to the recorder): such a request had the run's credentials unless its
    // answer was 401.
    let carried =
        e.asked.iter().any(|(n, _)| n.eq_ignore_ascii_case("authorization") || n.eq_ignore_ascii_case("x-api-key"));
    if !carried && e.status != 401 {
        req = match e.api.vendor() {
            Vendor::Adyen => req.header("x-api-key", "payconform-sandbox-key"),
            Vendor::Worldpay => req.header("authorization", "Basic cGF5Y29uZm9ybTpzYW5kYm94"),
        };
    }
    if !e.raw.is_empty() || e.request.is_some() {
        req = req.body(body);
    }
    let resp = req.send().await.map_err(|err| format!("drift: #{} {} {}: {err}", e.index, e.method, e.path))?;
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
    let text = resp.text().await.unwrap_or_default();
    Ok((status, ct, text))
}

/// A recorded body with its pseudonyms as test values: a card `****1111#1` as the API's
/// test card with those last four digits (or a Luhn-valid number ending in them), a
/// code `<cvc#1>` as `737`, one of another length as that many ones, a secret as
/// `secret`.
fn unredact(api: Api, text: &str) -> String {
    static CARD: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\*\*\*\*(\d{4})#(?:\d+|\?)").expect("valid regex"));
    static CODE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"<cvc(?::(\d+))?#(?:\d+|\?)>").expect("valid regex"));
    static SECRET: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"<secret#(?:\d+|\?)>").expect("valid regex"));
    // The cards the built-in scenarios use (the one ending 1112 fails the Luhn check on
    // purpose); any other tail becomes a Luhn-valid test number.
    let cards = CARD.replace_all(text, |c: &regex::Captures<'_>| match (&c[1], api.vendor()) {
        ("1111", Vendor::Adyen) => "4111111111111111".to_string(),
        ("1112", Vendor::Adyen) => "4111111111111112".to_string(),
        ("1111", _) => "4444333322221111".to_string(),
        ("1112", _) => "4444333322221112".to_string(),
        (tail, _) => card_ending(tail),
    });
    let codes = CODE.replace_all(&cards, |c: &regex::Captures<'_>| match c.get(1) {
        Some(n) => "1".repeat(n.as_str().parse().unwrap_or(3).min(64)),
        None => "737".to_string(),
    });
    SECRET.replace_all(&codes, "secret").into_owned()
}

/// A 16-digit Luhn-valid number `4000 0000 000c dddd` ending in `tail`.
fn card_ending(tail: &str) -> String {
    (0..10)
        .map(|c| format!("40000000000{c}{tail}"))
        .find(|n| crate::spec::luhn_valid(n))
        .unwrap_or_else(|| format!("400000000000{tail}"))
}

/// What the new answer hands out in place of the recorded one's: every link's path (an
/// `href` at the same JSON path) and the pspReference.
fn learn(api: Api, recorded: &Value, now: &Value, map: &mut HashMap<String, String>) {
    fn walk(r: &Value, n: &Value, map: &mut HashMap<String, String>, depth: usize) {
        if depth > 16 || map.len() >= 100_000 {
            return;
        }
        match (r, n) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, x) in a {
                    let Some(y) = b.get(k) else { continue };
                    match (k.as_str(), x, y) {
                        ("href", Value::String(rh), Value::String(nh)) => {
                            let (rp, np) = (path_of(rh), path_of(nh));
                            if rp != np {
                                map.insert(rp, np);
                            }
                        }
                        ("pspReference", Value::String(rp), Value::String(np)) if rp != np => {
                            map.insert(rp.clone(), np.clone());
                        }
                        _ => walk(x, y, map, depth + 1),
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) => a.iter().zip(b).for_each(|(x, y)| walk(x, y, map, depth + 1)),
            _ => {}
        }
    }
    let _ = api;
    walk(recorded, now, map, 0);
}

fn path_of(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/".to_string(), |i| rest[i..].to_string()),
        None => url.to_string(),
    }
}

/// Compare one exchange's answers, adding each difference.
fn compare(
    e: &Recorded,
    (status, content_type, now, now_text): (u16, Option<&str>, Option<&Value>, &str),
    recorded: Option<&Value>,
    out: &mut Vec<Difference>,
) {
    let Some(op) = spec(e.api).operation(&e.operation) else { return };
    // The recorded answer's own violations: where it breaks the spec, the spec is wrong.
    let as_exchange = |status: u16, ct: Option<&str>, body: &str| Exchange {
        operation: e.operation.clone(),
        method: e.method.clone(),
        url: format!("http://recorded{}", e.path),
        request_headers: Vec::new(),
        request_body: None,
        status: Some(status),
        response_headers: ct.map(|c| vec![("content-type".to_string(), c.to_string())]).unwrap_or_default(),
        response_body: body.as_bytes().to_vec(),
        error: None,
        oversized: None,
        elapsed: std::time::Duration::ZERO,
    };
    let recorded_ct = e.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.as_str());
    let broken_recorded: BTreeSet<String> = check_exchange(e.api, &as_exchange(e.status, recorded_ct, &e.body))
        .into_iter()
        .filter(|v| v.side == crate::conformance::Side::Response)
        .map(|v| v.json_path)
        .collect();
    let broken_now: BTreeSet<String> = check_exchange(e.api, &as_exchange(status, content_type, now_text))
        .into_iter()
        .filter(|v| v.side == crate::conformance::Side::Response)
        .map(|v| v.json_path)
        .collect();
    let mut push = |json_path: &str, recorded: String, target: String, default: Class| {
        let class = if broken_recorded.contains(json_path) || broken_recorded.contains("$") && json_path == "status" {
            Class::Spec
        } else if broken_now.contains(json_path) {
            Class::Twin
        } else {
            default
        };
        out.push(Difference {
            exchange: e.index,
            flow: e.flow,
            api: e.api.name().into(),
            operation: e.operation.clone(),
            json_path: json_path.into(),
            recorded: crate::redact::inert(&recorded),
            target: crate::redact::inert(&target),
            class,
            known: None,
        });
    };
    if status != e.status {
        push("status", e.status.to_string(), status.to_string(), Class::Twin);
        return;
    }
    let (Some(body), Some(r), Some(n)) = (op.response(status).and_then(Option::as_ref), recorded, now) else { return };
    if let (Some(rc), Some(nc)) = (recorded_ct, content_type)
        && !media_is(Some(nc), rc.split(';').next().unwrap_or(rc).trim())
    {
        push("Content-Type", rc.into(), nc.into(), Class::Twin);
    }
    // Fields the spec describes: presence and type; state and money fields: values.
    let (rf, nf) = (fields(r), fields(n));
    for path in rf.keys().chain(nf.keys()).collect::<BTreeSet<_>>() {
        let steps: Vec<Option<&str>> = path.1.iter().map(|s| s.as_deref()).collect();
        if !body.describes(&steps) {
            continue;
        }
        let (a, b) = (rf.get(path), nf.get(path));
        let shown = |v: Option<&(String, String)>| v.map_or("absent".to_string(), |(t, _)| t.clone());
        if a.map(|x| &x.0) != b.map(|x| &x.0) {
            // Both conform (else the checker's verdict decides): an optional field one of
            // them leaves out, or a type the spec allows both ways, is the vendor's choice.
            push(&path.0, shown(a), shown(b), Class::VendorChoice);
            continue;
        }
        let name = path.1.last().and_then(|s| s.as_deref()).unwrap_or("");
        if let (Some(a), Some(b)) = (a, b)
            && a.1 != b.1
        {
            if STATE_FIELDS.contains(&name) {
                push(&path.0, a.1.clone(), b.1.clone(), Class::Twin);
            } else if CHOICE_FIELDS.contains(&name) {
                push(&path.0, a.1.clone(), b.1.clone(), Class::VendorChoice);
            }
        }
    }
    // The links or actions offered.
    let offered =
        |v: &Value| -> Vec<String> { next_actions(e.api, v).into_iter().map(|(_, r)| r.to_string()).collect() };
    let (ro, no) = (offered(r), offered(n));
    let (rs, ns): (BTreeSet<_>, BTreeSet<_>) = (ro.iter().collect(), no.iter().collect());
    if rs != ns {
        let key = if e.api == Api::WorldpayPayments { "$._actions" } else { "$._links" };
        let list = |s: &BTreeSet<&String>| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ");
        push(key, list(&rs), list(&ns), Class::Twin);
    }
}

/// Every field of a JSON value: (JSONPath, steps) → (JSON type, value as text).
#[allow(clippy::type_complexity)]
fn fields(v: &Value) -> BTreeMap<(String, Vec<Option<String>>), (String, String)> {
    fn walk(
        v: &Value,
        path: &str,
        steps: &mut Vec<Option<String>>,
        out: &mut BTreeMap<(String, Vec<Option<String>>), (String, String)>,
    ) {
        if steps.len() > 32 || out.len() > 10_000 {
            return;
        }
        let kind = match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        if !steps.is_empty() {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Object(_) | Value::Array(_) => String::new(),
                other => other.to_string(),
            };
            out.insert((path.to_string(), steps.clone()), (kind.to_string(), text));
        }
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    steps.push(Some(k.clone()));
                    walk(x, &format!("{path}.{k}"), steps, out);
                    steps.pop();
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate().take(100) {
                    steps.push(None);
                    walk(x, &format!("{path}[{i}]"), steps, out);
                    steps.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    walk(v, "$", &mut Vec::new(), &mut out);
    out
}
