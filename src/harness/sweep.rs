//! The sweep: every documented (operation, status) pair, exercised by a request derived
//! from the spec and sent through the same clients and checker as the scenarios.
//!
//! Per operation it reaches the operation by the shortest legal path the spec's link
//! declarations allow (authorize, then follow links, the smallest amounts), then sends:
//! the request without credentials and with malformed ones (401); with a wrong
//! `Content-Type` (415) and without or with a wrong `WP-Api-Version` (406) where the
//! operation documents them; a body that is not JSON, one per required field missing
//! and one per constraint broken (400, Adyen 422), which must name the field; a forged
//! token, another action's token and (on a twin) another merchant's (404), or for
//! Adyen an unknown original reference (422); and finally the valid request (its
//! documented success). Each expectation is what the spec documents, so the sweep is
//! live-safe by construction; what it cannot reach gets a reason in the coverage matrix.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::report::{Status, StepResult};
use super::steps::authorize::authorization;
use super::steps::modify::adyen_request;
use super::world::{Action, ConformanceWorld, ExchangeRecord, RunContext, Tweak};
use super::{Planned, Seen};
use crate::spec::{Api, Operation, spec};

/// The tag every sweep entry carries (with the API's short name), so `--tags` can
/// select or leave it out like a scenario.
pub const SWEEP_TAG: &str = "sweep";

/// The operations to sweep: every operation of every API with an endpoint here, or only
/// those named (operationId or method name).
pub(crate) fn operations(ctx: &RunContext, only: &[String]) -> Vec<(Api, &'static Operation)> {
    ctx.endpoints
        .iter()
        .flat_map(|e| spec(e.api).operations.iter().map(move |o| (e.api, o)))
        .filter(|(_, o)| only.is_empty() || only.iter().any(|n| *n == o.operation_id || *n == o.method))
        .collect()
}

/// The planned entry of an operation's sweep; `skip` when its API cannot run here.
pub(crate) fn plan(ctx: &RunContext, api: Api, op: &Operation) -> Planned {
    let skip = ctx.endpoints.iter().find(|e| e.api == api).and_then(|e| e.skip.clone());
    Planned {
        api: Some(api),
        feature: "Sweep".into(),
        path: format!("spec/{}.yaml", api.name()),
        line: 0,
        name: format!("sweep {} {}", api.short_name(), op.operation_id),
        tags: vec![SWEEP_TAG.into(), api.short_name().into()],
        skip,
    }
}

/// Run the sweep of `ops` (with their planned ids), `concurrency` operations at once.
pub(crate) async fn run(
    ctx: Arc<RunContext>,
    ops: Vec<(usize, Api, &'static Operation)>,
    concurrency: usize,
) -> Vec<(usize, Seen, Vec<ExchangeRecord>)> {
    futures::stream::iter(ops)
        .map(|(id, api, op)| {
            let ctx = ctx.clone();
            async move {
                let (seen, records) = sweep_operation(ctx, id, api, op).await;
                (id, seen, records)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// One check of the sweep: a label, the statuses that pass, and the field the error
/// must name (Worldpay `validationErrors[].jsonPath`).
struct Check {
    label: String,
    expect: Vec<u16>,
    /// The JSON path the error must name, or (for a field inside a oneOf) the object.
    names: Option<(String, Option<String>)>,
}

struct Book {
    steps: Vec<StepResult>,
}

impl Book {
    fn record(&mut self, w: &ConformanceWorld, check: &Check, sent: Result<(), String>) {
        let outcome = sent.and_then(|()| {
            let reply = w.reply()?;
            let status = reply.status.ok_or("no answer")?;
            if !check.expect.contains(&status) {
                return Err(format!("expected {}, got {}", list(&check.expect), w.describe_reply()));
            }
            if let Some((path, or_within)) = &check.names {
                // A field that picks a oneOf branch (an instrument's `type`) may be named by
                // the object it picks for: no branch matches that object.
                let ok = |p: &str| p == path || or_within.as_deref().is_some_and(|w| p == w);
                let named = reply.body["validationErrors"]
                    .as_array()
                    .is_some_and(|errs| errs.iter().any(|e| e["jsonPath"].as_str().is_some_and(ok)));
                if !named {
                    return Err(format!("the validation error does not name {path}: {}", w.describe_reply()));
                }
            }
            Ok(())
        });
        self.steps.push(StepResult {
            text: format!("Sweep {}", check.label),
            status: if outcome.is_ok() { Status::Passed } else { Status::Failed },
            message: outcome.err(),
        });
    }

    fn fail(&mut self, label: &str, why: String) {
        self.steps.push(StepResult { text: format!("Sweep {label}"), status: Status::Failed, message: Some(why) });
    }
}

fn list(s: &[u16]) -> String {
    s.iter().map(u16::to_string).collect::<Vec<_>>().join(" or ")
}

/// The way to an operation: the href to send to (Worldpay link operations), the body
/// of the valid request, and another action's href from the same response.
struct Reached {
    href: Option<String>,
    link_data: Option<String>,
    body: Option<Value>,
    other_link_data: Option<String>,
}

async fn sweep_operation(
    ctx: Arc<RunContext>,
    id: usize,
    api: Api,
    op: &'static Operation,
) -> (Seen, Vec<ExchangeRecord>) {
    let started = Instant::now();
    let mut w = ConformanceWorld::default();
    w.ctx = Some(ctx.clone());
    w.id = id;
    let mut book = Book { steps: Vec::new() };
    if let Err(e) = w.connect(api) {
        book.fail("connect", e);
    } else {
        match reach(&mut w, api, op).await {
            Ok(r) => checks(&mut w, &mut book, api, op, &r, ctx.twin).await,
            Err(e) => book.fail(&format!("reaching {}", op.operation_id), e),
        }
    }
    let seen = Seen { steps: book.steps, started: Some(started), elapsed: started.elapsed(), finished: true };
    (seen, std::mem::take(&mut w.records))
}

/// Authorize, then follow the offered links towards `op` (each step the link whose
/// operation declares the shortest way on), never through the event query; the
/// smallest amounts (2, and 1 for a partial step).
async fn reach(w: &mut ConformanceWorld, api: Api, op: &Operation) -> Result<Reached, String> {
    let (_, auth_op, mut body) = authorization(w, 2, if api == Api::Adyen { "EUR" } else { "GBP" })?;
    if api != Api::Adyen {
        // Accepting a partial amount makes Worldpay answer with its `amounts`: more of
        // the documented response is checked (the amount, 2, is authorized in full).
        body["instruction"]["value"]["acceptPartialAmount"] = json!(true);
    }
    let action = op.action;
    if action == Some(Action::Authorize) {
        return Ok(Reached { href: None, link_data: None, body: Some(body), other_link_data: None });
    }
    w.call(auth_op, None, Some(body)).await?;
    let status = w.reply()?.status.unwrap_or(0);
    if !(200..300).contains(&status) {
        return Err(format!("the authorization answered {}", w.describe_reply()));
    }
    if api == Api::Adyen {
        w.payment.psp_reference = w.field("pspReference")?.and_then(Value::as_str).map(str::to_string);
        let body = match action {
            Some(Action::TechnicalCancel) => {
                let merchant = w.conn()?.endpoint.merchant.clone();
                json!({"merchantAccount": merchant, "originalMerchantReference": w.payment.reference, "reference": w.next_reference()?})
            }
            Some(Action::AdjustAuthorisation) => {
                let (_, mut b) = adyen_request(w, Action::Cancel, None)?;
                b["modificationAmount"] = json!({"value": 3, "currency": w.payment.currency});
                b
            }
            Some(action) => adyen_request(w, action, Some(1))?.1,
            None => return Err(format!("{} names no action (x-payconform-action)", op.operation_id)),
        };
        return Ok(Reached { href: None, link_data: None, body: Some(body), other_link_data: None });
    }
    let s = spec(api);
    let distance = distances(api, op.operation_id);
    for _ in 0..4 {
        // Is the target offered now?
        let offered: Vec<(&'static str, String)> = w
            .payment
            .latest
            .values()
            .filter_map(|href| w.resolve(href).ok().map(|l| (l.operation.operation_id, href.clone())))
            .collect();
        if let Some((_, href)) = offered.iter().find(|(o, _)| *o == op.operation_id) {
            let link_data = w.resolve(href).map_err(|e| e.to_string())?.link_data;
            let other_link_data = offered
                .iter()
                .find(|(o, _)| *o != op.operation_id)
                .and_then(|(_, h)| w.resolve(h).ok().map(|l| l.link_data));
            let body = match op.request {
                Some(_) => Some(w.amount_body(1)?),
                None => None,
            };
            return Ok(Reached { href: Some(href.clone()), link_data: Some(link_data), body, other_link_data });
        }
        // Else the offered step that declares the shortest way on (not the event query).
        let next = offered
            .iter()
            .filter(|(o, _)| s.operation(o).and_then(|o| o.action) != Some(Action::Events))
            .filter_map(|(o, _)| distance.get(o).map(|d| (*d, *o)))
            .min_by_key(|(d, o)| (*d, s.operation(o).is_some_and(|o| o.request.is_some())));
        let Some((_, next)) = next else {
            return Err(format!(
                "no offered link leads to {} (offered: {:?})",
                op.operation_id,
                offered.iter().map(|(o, _)| o).collect::<Vec<_>>()
            ));
        };
        let step = s.operation(next).ok_or("unknown operation")?;
        let action = step.action.ok_or("an operation without an action")?;
        let body = match step.request {
            Some(_) => Some(w.amount_body(1)?),
            None => None,
        };
        w.follow(action, body, None, false).await?;
        if !w.reply()?.status.is_some_and(|s| (200..300).contains(&s)) {
            return Err(format!("on the way to {}: {}", op.operation_id, w.describe_reply()));
        }
    }
    Err(format!("{} was not reached in 4 steps", op.operation_id))
}

/// For every operation: how many declared link steps its success responses are from
/// `target` (0: it offers `target` itself), never through the event query.
fn distances(api: Api, target: &str) -> BTreeMap<&'static str, usize> {
    let ops = &spec(api).operations;
    let mut dist: BTreeMap<&'static str, usize> = BTreeMap::new();
    for round in 0..ops.len() {
        for o in ops {
            if o.action == Some(Action::Events) || dist.contains_key(o.operation_id) {
                continue;
            }
            let reaches = o.info.responses.iter().flat_map(|d| d.next).any(|n| {
                if round == 0 { n.operation == target } else { dist.get(n.operation).is_some_and(|d| *d == round - 1) }
            });
            if reaches {
                dist.insert(o.operation_id, round);
            }
        }
    }
    dist
}

async fn checks(w: &mut ConformanceWorld, book: &mut Book, api: Api, op: &Operation, r: &Reached, twin: bool) {
    let documented = |s: u16| op.responses.contains_key(&s.to_string());
    let id = op.info;
    let href = r.href.as_deref();
    // 401.
    if documented(401) {
        for (label, t) in [
            ("401 without credentials", Tweak { no_credentials: true, ..Default::default() }),
            ("401 with malformed credentials", Tweak { malformed_credentials: true, ..Default::default() }),
        ] {
            let sent = w.call_raw(id, href, r.body.clone(), t).await;
            book.record(w, &Check { label: label.into(), expect: vec![401], names: None }, sent);
        }
    }
    // 415.
    if documented(415) {
        let t = Tweak { content_type: Some("text/plain".into()), ..Default::default() };
        let sent = w.call_raw(id, href, r.body.clone(), t).await;
        book.record(
            w,
            &Check { label: "415 with Content-Type text/plain".into(), expect: vec![415], names: None },
            sent,
        );
    }
    // 406: each required header with a documented set of values, missing and wrong.
    if documented(406) {
        for h in op.headers.iter().filter(|h| h.required && h.allowed.is_some()) {
            let cases = [
                (format!("406 without {}", h.name), Tweak { drop_header: Some(h.name.clone()), ..Default::default() }),
                (
                    format!("406 with a wrong {}", h.name),
                    Tweak { set_header: Some((h.name.clone(), "1999-01-01".into())), ..Default::default() },
                ),
            ];
            for (label, t) in cases {
                let sent = w.call_raw(id, href, r.body.clone(), t).await;
                book.record(w, &Check { label, expect: vec![406], names: None }, sent);
            }
        }
    }
    // 400 / 422: the body.
    let invalid = if documented(400) && api != Api::Adyen {
        Some(400)
    } else if documented(422) && api == Api::Adyen {
        Some(422)
    } else {
        None
    };
    if let (Some(body), Some(status)) = (&r.body, invalid) {
        // Every API answers a body that is not JSON with 400 (Adyen: 702).
        if documented(400) {
            let t = Tweak { raw_body: Some(b"{\"not json".to_vec()), ..Default::default() };
            let sent = w.call_raw(id, href, r.body.clone(), t).await;
            let check = Check { label: "400 for a body that is not JSON".into(), expect: vec![400], names: None };
            book.record(w, &check, sent);
        }
        for (label, t, path, one_of) in body_breaks(api, op, body) {
            let sent = w.call_raw(id, href, r.body.clone(), t).await;
            let names = (api != Api::Adyen).then(|| (format!("$.{path}"), one_of.map(|o| format!("$.{o}"))));
            book.record(w, &Check { label: format!("{status} {label}"), expect: vec![status], names }, sent);
        }
    }
    // 404: tokens (Worldpay link operations); Adyen: an unknown original reference.
    if let (Some(href), Some(ld)) = (r.href.as_deref(), r.link_data.as_deref())
        && documented(404)
    {
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("forged by payconform's sweep");
        let mut cases = vec![("404 for a forged token".to_string(), href.replace(ld, &forged), Tweak::default())];
        if let Some(other) = &r.other_link_data {
            cases.push(("404 for another action's token".into(), href.replace(ld, other), Tweak::default()));
        }
        if twin {
            // Another merchant: any other credential is one on a twin.
            let other =
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("sweep-other-merchant:pw"));
            cases.push((
                "404 for another merchant's token".into(),
                href.to_string(),
                Tweak { set_header: Some(("authorization".into(), other)), ..Default::default() },
            ));
        }
        for (label, h, t) in cases {
            let sent = w.call_raw(id, Some(&h), r.body.clone(), t).await;
            book.record(w, &Check { label, expect: vec![404], names: None }, sent);
        }
    }
    if api == Api::Adyen
        && documented(422)
        && let Some(body) = &r.body
    {
        for field in ["originalReference", "originalMerchantReference"] {
            if body.get(field).is_some() {
                let t = Tweak { set_field: Some((field.into(), json!("8835511210681441"))), ..Default::default() };
                let sent = w.call_raw(id, None, r.body.clone(), t).await;
                book.record(
                    w,
                    &Check { label: format!("422 for an unknown {field}"), expect: vec![422], names: None },
                    sent,
                );
            }
        }
    }
    // On a twin: every documented error status the checks above could not produce (no
    // vendor-documented trigger), asked for with `Prefer: code=NNN`.
    if twin {
        let produced: Vec<u16> =
            w.records.iter().filter(|e| e.operation == op.operation_id).filter_map(|e| e.status).collect();
        let mut wanted: Vec<u16> = op
            .responses
            .keys()
            .filter_map(|k| k.parse().ok())
            .filter(|s| (400..600).contains(s) && !produced.contains(s))
            .collect();
        wanted.sort_unstable();
        for code in wanted {
            let t = Tweak { set_header: Some(("prefer".into(), format!("code={code}"))), ..Default::default() };
            let sent = w.call_raw(id, href, r.body.clone(), t).await;
            let label = format!("{code} on the twin with Prefer: code={code} (no documented trigger)");
            book.record(w, &Check { label, expect: vec![code], names: None }, sent);
        }
    }
    // Last, the valid request: its documented success.
    let success: Vec<u16> =
        op.responses.keys().filter_map(|k| k.parse().ok()).filter(|s| (200..300).contains(s)).collect();
    let sent = w.call(id, r.link_data.as_deref(), r.body.clone()).await;
    book.record(
        w,
        &Check { label: format!("{} for the valid request", list(&success)), expect: success, names: None },
        sent,
    );
}

/// One broken body per required field (missing) and per constraint (broken), for the
/// fields the valid body carries: (label, tweak, property path, and the object whose
/// oneOf the field is in, if it is).
fn body_breaks(api: Api, op: &Operation, body: &Value) -> Vec<(String, Tweak, String, Option<String>)> {
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
        let mut out_push = |label: String, t: Tweak| out.push((label, t, path.clone(), one_of.clone()));
        if c.get("required") == Some(&Value::Bool(true)) {
            out_push(format!("without {path}"), Tweak { drop_field: Some(path.clone()), ..Default::default() });
        }
        let set = |v: Value| Tweak { set_field: Some((path.clone(), v)), ..Default::default() };
        let kind = c.get("type").and_then(Value::as_str).unwrap_or("");
        let wrong_type = match kind {
            "string" => Some(json!(12345)),
            "integer" | "number" | "boolean" | "object" | "array" => Some(json!("not a value of this type")),
            _ => None,
        };
        if let Some(v) = wrong_type {
            out_push(format!("with {path} of the wrong type"), set(v));
        }
        if let Some(max) = c.get("maxLength").and_then(Value::as_u64) {
            out_push(format!("with {path} too long"), set(json!("A".repeat(max as usize + 1))));
        }
        if c.get("minLength").and_then(Value::as_u64).is_some_and(|m| m > 0) {
            out_push(format!("with {path} empty"), set(json!("")));
        }
        if let Some(p) = c.get("pattern").and_then(Value::as_str)
            && let Ok(re) = regress::Regex::new(p)
        {
            let len_ok = |s: &str| {
                let n = s.chars().count() as u64;
                c.get("minLength").and_then(Value::as_u64).is_none_or(|m| n >= m)
                    && c.get("maxLength").and_then(Value::as_u64).is_none_or(|m| n <= m)
            };
            let candidates = ["<>", "a\nb", "zzz", "%%", "ÄÖÜ", "0", "ZZZZ", "a b"];
            if let Some(bad) = candidates.iter().find(|s| len_ok(s) && re.find(s).is_none()) {
                out_push(format!("with {path} not matching its pattern"), set(json!(bad)));
            }
        }
        if let Some(e) = c.get("enum").and_then(Value::as_array)
            && e.iter().all(Value::is_string)
        {
            out_push(format!("with {path} outside its enum"), set(json!("notDocumented")));
        }
        if let Some(min) = c.get("minimum").and_then(Value::as_i64) {
            out_push(format!("with {path} below its minimum"), set(json!(min - 1)));
        }
        if let Some(max) = c.get("maximum").and_then(Value::as_i64)
            && max < i64::MAX
        {
            out_push(format!("with {path} above its maximum"), set(json!(max + 1)));
        }
        if c.get("format").and_then(Value::as_str) == Some("int64") {
            out_push(format!("with {path} past int64"), set(json!(9_223_372_036_854_775_808u64)));
        }
    }
    out
}

fn deref<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    while let Some(r) = v.get("$ref").and_then(Value::as_str) {
        match doc.pointer(r.trim_start_matches('#')) {
            Some(t) => v = t,
            None => break,
        }
    }
    v
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

/// Why a documented pair no request reached cannot be reached, where a reason is known.
pub(crate) fn unreachable_reason(api: Api, op: &Operation, status: u16, twin: bool) -> String {
    let link_op = op.path.contains("{linkData}");
    match status {
        500 => "no documented trigger (a gateway failure)".into(),
        403 => "no documented trigger (needs a credential without the permission)".into(),
        404 if !link_op => "no documented trigger (the operation's path has no token)".into(),
        400 if op.request.is_none() => "no documented trigger (the operation has no body)".into(),
        406 if api != Api::WorldpayPayments => "no documented trigger".into(),
        _ if !twin => "needs a state the target cannot be brought to, or a check the sweep does not make here".into(),
        _ => "not reached: no scenario or sweep check produced it".into(),
    }
}
