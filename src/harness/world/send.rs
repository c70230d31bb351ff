//! Sending one operation (through the generated client, or raw with deliberate
//! defects) and taking in what came back.

use super::vocab::{Tweak, remove_path, set_path};
use super::{ConformanceWorld, Reply, Typed};
use crate::client::{adyen, adyen_checkout as checkout, execute, prepare, worldpay_payments as wpp, worldpay_v7 as v7};
use crate::conformance::{CheckKind, Side, Violation};
use crate::operation::Api;
use crate::operation::OperationInfo;
use crate::report::{ExchangeLog, ExchangeRecord};
use crate::spec::spec;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn typed_body<T: DeserializeOwned>(body: Option<Value>, op: &OperationInfo) -> Result<T, String> {
    let op = op.operation_id;
    serde_json::from_value(body.unwrap_or(Value::Null))
        .map_err(|e| format!("cannot build a typed {op} request from this step: {e}"))
}

/// What the generated client made of a response: `None` when it decoded it (or the
/// status is one the spec does not document, which the checker reports).
fn decoded<T, E: std::fmt::Debug>(
    r: Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
) -> Option<String> {
    use progenitor_client::Error as P;
    match r {
        Ok(_) | Err(P::ErrorResponse(_)) | Err(P::UnexpectedResponse(_)) | Err(P::CommunicationError(_)) => None,
        Err(P::InvalidResponsePayload(_, e)) => Some(format!("the generated client cannot decode the body: {e}")),
        Err(e) => Some(format!("the generated client failed: {e}")),
    }
}

impl ConformanceWorld {
    /// Send one operation through the generated client, then check what happened.
    pub(crate) async fn call(
        &mut self,
        op: &'static OperationInfo,
        link: Option<&str>,
        body: Option<Value>,
    ) -> Result<(), String> {
        let problem = self.send_typed(op, link, body).await?;
        self.absorb(false, problem)
    }

    /// One exhaustive `match` per API over its generated `Op`.
    async fn send_typed(
        &self,
        op: &'static OperationInfo,
        link: Option<&str>,
        body: Option<Value>,
    ) -> Result<Option<String>, String> {
        let ld = || link.ok_or_else(|| format!("{} needs a link to follow", op.operation_id));
        let wrong = || format!("{} is an operation of {}, not of this scenario's API", op.operation_id, op.api);
        Ok(match &self.conn()?.typed {
            Typed::V7(c) => match v7::Op::of(op).ok_or_else(wrong)? {
                v7::Op::Authorize => decoded(c.authorize(&typed_body(body, op)?).await),
                v7::Op::Settle => decoded(c.settle(ld()?).await),
                v7::Op::PartialSettlement => decoded(c.partial_settlement(ld()?, &typed_body(body, op)?).await),
                v7::Op::Cancel => decoded(c.cancel(ld()?).await),
                v7::Op::PartialCancel => decoded(c.partial_cancel(ld()?, &typed_body(body, op)?).await),
                v7::Op::Refund => decoded(c.refund(ld()?).await),
                v7::Op::PartialRefund => decoded(c.partial_refund(ld()?, &typed_body(body, op)?).await),
                v7::Op::Reversal => decoded(c.reversal(ld()?).await),
                v7::Op::EventQuery => decoded(c.event_query(ld()?).await),
            },
            Typed::Payments(c) => match wpp::Op::of(op).ok_or_else(wrong)? {
                wpp::Op::Payment => decoded(c.payment(&typed_body(body, op)?).await),
                wpp::Op::QueryEvents => decoded(c.query_events(ld()?).await),
                wpp::Op::Settle => decoded(c.settle(ld()?).await),
                wpp::Op::PartialSettle => decoded(c.partial_settle(ld()?, &typed_body(body, op)?).await),
                wpp::Op::Cancel => decoded(c.cancel(ld()?).await),
                wpp::Op::Refund => decoded(c.refund(ld()?).await),
                wpp::Op::PartialRefund => decoded(c.partial_refund(ld()?, &typed_body(body, op)?).await),
                wpp::Op::Reversal => decoded(c.reversal(ld()?).await),
            },
            Typed::Adyen(c) => match adyen::Op::of(op).ok_or_else(wrong)? {
                adyen::Op::PostAuthorise => decoded(c.post_authorise(&typed_body(body, op)?).await),
                adyen::Op::PostCapture => decoded(c.post_capture(&typed_body(body, op)?).await),
                adyen::Op::PostCancel => decoded(c.post_cancel(&typed_body(body, op)?).await),
                adyen::Op::PostRefund => decoded(c.post_refund(&typed_body(body, op)?).await),
                adyen::Op::PostCancelOrRefund => decoded(c.post_cancel_or_refund(&typed_body(body, op)?).await),
                adyen::Op::PostTechnicalCancel => decoded(c.post_technical_cancel(&typed_body(body, op)?).await),
                adyen::Op::PostAdjustAuthorisation => {
                    decoded(c.post_adjust_authorisation(&typed_body(body, op)?).await)
                }
            },
            // No Idempotency-Key through the typed client: the idempotency steps send
            // theirs raw.
            Typed::Checkout(c) => match checkout::Op::of(op).ok_or_else(wrong)? {
                checkout::Op::PostPayments => decoded(c.post_payments(None, &typed_body(body, op)?).await),
                checkout::Op::PostPaymentsPaymentPspReferenceCaptures => {
                    decoded(c.post_payments_payment_psp_reference_captures(ld()?, None, &typed_body(body, op)?).await)
                }
                checkout::Op::PostPaymentsPaymentPspReferenceCancels => {
                    decoded(c.post_payments_payment_psp_reference_cancels(ld()?, None, &typed_body(body, op)?).await)
                }
                checkout::Op::PostPaymentsPaymentPspReferenceRefunds => {
                    decoded(c.post_payments_payment_psp_reference_refunds(ld()?, None, &typed_body(body, op)?).await)
                }
                checkout::Op::PostPaymentsPaymentPspReferenceReversals => {
                    decoded(c.post_payments_payment_psp_reference_reversals(ld()?, None, &typed_body(body, op)?).await)
                }
                checkout::Op::PostPaymentsPaymentPspReferenceAmountUpdates => decoded(
                    c.post_payments_payment_psp_reference_amount_updates(ld()?, None, &typed_body(body, op)?).await,
                ),
                checkout::Op::PostCancels => decoded(c.post_cancels(None, &typed_body(body, op)?).await),
            },
        })
    }

    /// Send one operation with deliberate defects (outside the typed client), then check
    /// the response; the request side is exempt because it is wrong on purpose.
    /// `href` is the action link to send to (Worldpay); `None` sends to the operation's
    /// fixed path (authorization, every Adyen operation).
    pub(crate) async fn call_raw(
        &mut self,
        op: &'static OperationInfo,
        href: Option<&str>,
        body: Option<Value>,
        tweak: Tweak,
    ) -> Result<(), String> {
        let link = match href {
            Some(h) => Some(self.resolve(h).map_err(|e| e.to_string())?),
            None => None,
        };
        let link = link.as_ref().map(|l| l.link_data.as_str());
        let mut body = body;
        if let Some(b) = body.as_mut() {
            if let Some(path) = &tweak.drop_field {
                remove_path(b, path)?;
            }
            if let Some((path, value)) = &tweak.set_field {
                set_path(b, path, value.clone())?;
            }
        }
        if tweak.body_only() && tweak.drop_field.is_none() {
            // A body the typed client can still express goes through it.
            if self.send_typed(op, link, body.clone()).await.is_ok() {
                return self.absorb(true, None);
            }
        }
        let conn = self.conn()?;
        let api = conn.endpoint.api;
        let url = match href {
            Some(h) => url::Url::parse(&conn.endpoint.base_url)
                .and_then(|base| base.join(h))
                .map_err(|e| format!("cannot resolve {h:?}: {e}"))?
                .to_string(),
            None => format!("{}{}", conn.endpoint.base_url.trim_end_matches('/'), op.path),
        };
        let method = reqwest::Method::from_bytes(op.http_method.as_bytes()).map_err(|e| e.to_string())?;
        let client = if tweak.no_credentials || tweak.malformed_credentials { &conn.anon } else { &conn.http };
        let mut builder = client.request(method, &url);
        let bytes = match (&tweak.raw_body, &body) {
            (Some(raw), _) => Some(raw.clone()),
            (None, Some(b)) => Some(serde_json::to_vec(b).map_err(|e| e.to_string())?),
            (None, None) => None,
        };
        if let Some(b) = bytes {
            builder = builder.body(b);
        }
        let mut request = builder.build().map_err(|e| format!("cannot build the request: {e}"))?;
        prepare(api.operations(), &mut request, op.method);
        tweak.headers(api, request.headers_mut())?;
        let _ = execute(client, &conn.inner, request, op.method).await;
        self.absorb(true, None)
    }

    /// Take in the exchanges made since the last call: keep their records (with their
    /// violations) and update the reply and the payment. Fails only on a transport error.
    fn absorb(&mut self, exempt_request: bool, client_problem: Option<String>) -> Result<(), String> {
        let conn = self.conn()?;
        let api = conn.endpoint.api;
        let fresh = conn.recorder.take_since(self.checked);
        self.checked += fresh.len();
        if fresh.is_empty() {
            return Err(client_problem.unwrap_or_else(|| "no request was sent".into()));
        }
        let mut transport = Vec::new();
        let count = fresh.len();
        for (i, (ex, violations)) in fresh.into_iter().enumerate() {
            let operation =
                spec(api).operation(&ex.operation).map_or_else(|| ex.operation.clone(), |o| o.operation_id.to_string());
            if let Some(r) = &self.ctx()?.recording {
                let cx = crate::record::Context {
                    api: Some(api),
                    violations: &violations,
                    operation: Some(&operation),
                    flow: Some(self.id),
                    ..Default::default()
                };
                r.write(&ex, cx);
            }
            let record = |violations, transport| ExchangeRecord {
                api,
                operation: operation.clone(),
                status: ex.status,
                violations,
                transport,
                preferred: ex.request_header("prefer").is_some(),
                log: ExchangeLog::of(&ex),
            };
            if let Some(err) = &ex.error {
                transport.push(format!("{operation}: {err}"));
                self.records.push(record(Vec::new(), Some(err.clone())));
                continue;
            }
            let body: Value = serde_json::from_slice(&ex.response_body).unwrap_or(Value::Null);
            let last_problem = client_problem.as_ref().filter(|_| i + 1 == count);
            let vs = self.violations(api, &operation, (ex.status, &body), violations, exempt_request, last_problem)?;
            self.records.push(record(vs, None));
            if ex.status.is_some_and(|s| (200..300).contains(&s)) {
                self.learn(api, &body);
            }
            self.last = Some(Reply { operation, status: ex.status, body });
        }
        // A spec violation is recorded, once, and fails the scenario when it ends; the
        // steps go on from the raw JSON, so one bad field does not hide everything after
        // it. Without an answer there is nothing to go on from.
        if transport.is_empty() {
            Ok(())
        } else {
            Err(format!("transport error (not a spec violation): {}", transport.join("; ")))
        }
    }

    /// An exchange's violations: the checker's (the request's left out when it is wrong
    /// on purpose), the links', and what the generated client could not decode; only the
    /// checks `--checks` selects count.
    fn violations(
        &self,
        api: Api,
        operation: &str,
        (status, body): (Option<u16>, &Value),
        checked: Vec<Violation>,
        exempt_request: bool,
        client_problem: Option<&String>,
    ) -> Result<Vec<Violation>, String> {
        let mut vs: Vec<Violation> =
            checked.into_iter().filter(|v| !(exempt_request && v.side == Side::Request)).collect();
        vs.extend(self.link_violations(api, operation, status, body));
        let mut vs = crate::conformance::cap_violations(vs);
        let selected = &self.ctx()?.checks;
        if !selected.is_empty() {
            vs.retain(|v| selected.contains(&v.check));
        }
        // What the generated client could not decode is already a violation when the
        // checker found the response wrong: report each problem once.
        if let Some(p) = client_problem
            && !vs.iter().any(|v| v.side == Side::Response)
        {
            vs.push(Violation {
                api,
                operation: operation.to_string(),
                status,
                check: CheckKind::ResponseBody,
                side: Side::Response,
                json_path: "$".into(),
                message: p.clone(),
            });
        }
        Ok(vs)
    }
}
