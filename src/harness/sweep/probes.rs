//! The checks the sweep makes of one reached operation, one kind at a time, each
//! expecting the status the spec documents for it.

use base64::Engine;
use serde_json::json;

use super::super::world::{ConformanceWorld, Tweak};
use super::bodies::body_breaks;
use super::reach::Reached;
use super::{Book, Check, list};
use crate::operation::{Api, Vendor};
use crate::spec::Operation;

/// One operation under the sweep.
struct Probe<'a> {
    w: &'a mut ConformanceWorld,
    book: &'a mut Book,
    api: Api,
    op: &'a Operation,
    r: &'a Reached,
}

/// Every check, in order: credentials, media type, headers, bodies, tokens, Adyen
/// references, on a twin the statuses without a trigger, and last the valid request.
pub(super) async fn checks(
    w: &mut ConformanceWorld,
    book: &mut Book,
    api: Api,
    op: &Operation,
    r: &Reached,
    twin: bool,
) {
    let mut p = Probe { w, book, api, op, r };
    p.credentials().await;
    p.media_type().await;
    p.headers().await;
    p.bodies().await;
    p.tokens(twin).await;
    p.references().await;
    if twin {
        p.preferred().await;
    }
    p.success().await;
}

impl Probe<'_> {
    fn documented(&self, status: u16) -> bool {
        self.op.responses.contains_key(&status.to_string())
    }

    /// Send the reached request with `tweak` (to `href`), expecting `expect`.
    async fn expect(&mut self, check: Check, href: Option<&str>, tweak: Tweak) {
        let sent = self.w.call_raw(self.op.info, href, self.r.body.clone(), tweak).await;
        self.book.record(self.w, &check, sent);
    }

    async fn simple(&mut self, label: impl Into<String>, status: u16, tweak: Tweak) {
        let href = self.r.href.clone();
        self.expect(Check { label: label.into(), expect: vec![status], names: None }, href.as_deref(), tweak).await;
    }

    /// 401, without credentials and with malformed ones.
    async fn credentials(&mut self) {
        if self.documented(401) {
            self.simple("401 without credentials", 401, Tweak { no_credentials: true, ..Default::default() }).await;
            let malformed = Tweak { malformed_credentials: true, ..Default::default() };
            self.simple("401 with malformed credentials", 401, malformed).await;
        }
    }

    /// 415 for another Content-Type.
    async fn media_type(&mut self) {
        if self.documented(415) {
            let t = Tweak { content_type: Some("text/plain".into()), ..Default::default() };
            self.simple("415 with Content-Type text/plain", 415, t).await;
        }
    }

    /// 406: each required header with a documented set of values, missing and wrong.
    async fn headers(&mut self) {
        if !self.documented(406) {
            return;
        }
        for h in self.op.headers.iter().filter(|h| h.required && h.allowed.is_some()) {
            let missing = Tweak { drop_header: Some(h.name.clone()), ..Default::default() };
            self.simple(format!("406 without {}", h.name), 406, missing).await;
            let wrong = Tweak { set_header: Some((h.name.clone(), "1999-01-01".into())), ..Default::default() };
            self.simple(format!("406 with a wrong {}", h.name), 406, wrong).await;
        }
    }

    /// 400 / 422: a body that is not JSON, then one broken body per field and constraint,
    /// the error naming the field (Worldpay).
    async fn bodies(&mut self) {
        let adyen = self.api.vendor() == Vendor::Adyen;
        let status = if self.documented(400) && !adyen {
            400
        } else if self.documented(422) && adyen {
            422
        } else {
            return;
        };
        let Some(body) = self.r.body.clone() else { return };
        // Every API answers a body that is not JSON with 400 (Adyen: 702).
        if self.documented(400) {
            let t = Tweak { raw_body: Some(b"{\"not json".to_vec()), ..Default::default() };
            self.simple("400 for a body that is not JSON", 400, t).await;
        }
        for (label, t, path, one_of) in body_breaks(self.api, self.op, &body) {
            let names = (!adyen).then(|| (format!("$.{path}"), one_of.map(|o| format!("$.{o}"))));
            let href = self.r.href.clone();
            self.expect(Check { label: format!("{status} {label}"), expect: vec![status], names }, href.as_deref(), t)
                .await;
        }
    }

    /// 404 for tokens (Worldpay link operations): forged, another action's, and on a
    /// twin another merchant's.
    async fn tokens(&mut self, twin: bool) {
        let (Some(href), Some(ld)) = (self.r.href.clone(), self.r.link_data.clone()) else { return };
        if !self.documented(404) {
            return;
        }
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("forged by payconform's sweep");
        let mut cases = vec![("404 for a forged token".to_string(), href.replace(&ld, &forged), Tweak::default())];
        if let Some(other) = &self.r.other_link_data {
            cases.push(("404 for another action's token".into(), href.replace(&ld, other), Tweak::default()));
        }
        if twin {
            // Another merchant: any other credential is one on a twin.
            let other =
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("sweep-other-merchant:pw"));
            let t = Tweak { set_header: Some(("authorization".into(), other)), ..Default::default() };
            cases.push(("404 for another merchant's token".into(), href.clone(), t));
        }
        for (label, h, t) in cases {
            self.expect(Check { label, expect: vec![404], names: None }, Some(&h), t).await;
        }
    }

    /// Adyen: 422 for an unknown original reference, in the body (classic, and
    /// Checkout's cancel by reference) or in the path (Checkout's paymentPspReference).
    async fn references(&mut self) {
        if self.api.vendor() != Vendor::Adyen || !self.documented(422) {
            return;
        }
        let Some(body) = self.r.body.clone() else { return };
        let href = self.r.href.clone();
        for field in ["originalReference", "originalMerchantReference", "paymentReference"] {
            if body.get(field).is_some() {
                let t = Tweak { set_field: Some((field.into(), json!("8835511210681441"))), ..Default::default() };
                let check = Check { label: format!("422 for an unknown {field}"), expect: vec![422], names: None };
                self.expect(check, href.as_deref(), t).await;
            }
        }
        if let (Some(href), Some(psp)) = (&href, &self.r.link_data) {
            // Letters, not digits: a 16-digit Luhn-valid path segment would be redacted
            // from reports and recordings as a card number.
            let unknown = href.replace(&format!("/{psp}/"), "/PCUNKNOWNPAYMENT/");
            let check =
                Check { label: "422 for an unknown paymentPspReference".into(), expect: vec![422], names: None };
            self.expect(check, Some(&unknown), Tweak::default()).await;
        }
    }

    /// On a twin: every documented error status the checks above could not produce (no
    /// vendor-documented trigger), asked for with `Prefer: code=NNN`.
    async fn preferred(&mut self) {
        let produced: Vec<u16> =
            self.w.records.iter().filter(|e| e.operation == self.op.operation_id).filter_map(|e| e.status).collect();
        let mut wanted: Vec<u16> = self
            .op
            .responses
            .keys()
            .filter_map(|k| k.parse().ok())
            .filter(|s| (400..600).contains(s) && !produced.contains(s))
            .collect();
        wanted.sort_unstable();
        for code in wanted {
            let t = Tweak { set_header: Some(("prefer".into(), format!("code={code}"))), ..Default::default() };
            self.simple(format!("{code} on the twin with Prefer: code={code} (no documented trigger)"), code, t).await;
        }
    }

    /// Last, the valid request: its documented success.
    async fn success(&mut self) {
        let success: Vec<u16> =
            self.op.responses.keys().filter_map(|k| k.parse().ok()).filter(|s| (200..300).contains(s)).collect();
        let sent = self.w.call(self.op.info, self.r.link_data.as_deref(), self.r.body.clone()).await;
        let check = Check { label: format!("{} for the valid request", list(&success)), expect: success, names: None };
        self.book.record(self.w, &check, sent);
    }
}
