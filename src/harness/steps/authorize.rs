//! Authorizing a payment, the right way and deliberately wrong ways.

use cucumber::{given, when};
use serde_json::Value;

use super::params::Currency;
use crate::harness::world::requests::{AuthOptions, authorization_with};
use crate::harness::world::{ConformanceWorld, Tweak};

async fn authorize(w: &mut ConformanceWorld, amount: i64, currency: &str, o: AuthOptions) -> Result<(), String> {
    let (api, op, b) = authorization_with(w, amount, currency, &o)?;
    w.payment.links.clear();
    w.payment.offered = None;
    w.payment.captured = 0;
    w.call(op, None, Some(b)).await?;
    if api.vendor() == crate::operation::Vendor::Adyen {
        w.payment.psp_reference = w.field("pspReference")?.and_then(Value::as_str).map(str::to_string);
    }
    Ok(())
}

async fn authorize_wrongly(w: &mut ConformanceWorld, amount: i64, currency: &str, t: Tweak) -> Result<(), String> {
    let (_, op, b) = authorization_with(w, amount, currency, &AuthOptions::default())?;
    w.call_raw(op, None, Some(b), t).await
}

/// `When I authorize 100 GBP`
#[given(expr = "I authorize {int} {currency}")]
#[when(expr = "I authorize {int} {currency}")]
async fn plain(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize(w, amount, &currency.0, AuthOptions::default()).await
}

/// `When I pre-authorise 1000 EUR` (Adyen: `additionalData.authorisationType: PreAuth`,
/// which its "Adjust authorisation" page requires before an adjustment)
#[given(expr = "I pre-authorise {int} {currency}")]
#[when(expr = "I pre-authorise {int} {currency}")]
async fn pre_authorise(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize(w, amount, &currency.0, AuthOptions { pre_auth: true, ..AuthOptions::default() }).await
}

/// `When I authorize 1706 GBP accepting a partial amount`
#[given(expr = "I authorize {int} {currency} accepting a partial amount")]
#[when(expr = "I authorize {int} {currency} accepting a partial amount")]
async fn partial(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize(w, amount, &currency.0, AuthOptions { partial: true, ..AuthOptions::default() }).await
}

/// `When I authorize 100 GBP with auto-settlement`
#[given(expr = "I authorize {int} {currency} with auto-settlement")]
#[when(expr = "I authorize {int} {currency} with auto-settlement")]
async fn auto(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize(w, amount, &currency.0, AuthOptions { auto: true, ..AuthOptions::default() }).await
}

/// `When I authorize 100 GBP for card holder "REFUSED"`
#[given(expr = "I authorize {int} {currency} for card holder {string}")]
#[when(expr = "I authorize {int} {currency} for card holder {string}")]
async fn with_holder(w: &mut ConformanceWorld, amount: i64, currency: Currency, holder: String) -> Result<(), String> {
    authorize(w, amount, &currency.0, AuthOptions { holder: Some(holder), ..AuthOptions::default() }).await
}

/// `When I authorize 100 GBP with auto-settlement accepting a partial amount` (invalid on v7)
#[when(expr = "I authorize {int} {currency} with auto-settlement accepting a partial amount")]
async fn auto_partial(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    let (_, op, b) = authorization_with(
        w,
        amount,
        &currency.0,
        &AuthOptions { auto: true, partial: true, ..AuthOptions::default() },
    )?;
    w.call(op, None, Some(b)).await
}

/// `When I authorize 100 GBP without credentials`
#[when(expr = "I authorize {int} {currency} without credentials")]
async fn no_credentials(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { no_credentials: true, ..Tweak::default() }).await
}

/// `When I authorize 100 GBP with malformed credentials`
#[when(expr = "I authorize {int} {currency} with malformed credentials")]
async fn malformed_credentials(w: &mut ConformanceWorld, amount: i64, currency: Currency) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { malformed_credentials: true, ..Tweak::default() }).await
}

/// `When I authorize 100 GBP with the Content-Type "text/plain"`
#[when(expr = "I authorize {int} {currency} with the Content-Type {string}")]
async fn content_type(w: &mut ConformanceWorld, amount: i64, currency: Currency, ct: String) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { content_type: Some(ct), ..Tweak::default() }).await
}

/// `When I authorize 100 GBP without the "WP-Api-Version" header`
#[when(expr = "I authorize {int} {currency} without the {string} header")]
async fn without_header(w: &mut ConformanceWorld, amount: i64, currency: Currency, h: String) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { drop_header: Some(h), ..Tweak::default() }).await
}

/// `When I authorize 100 GBP with the "WP-Api-Version" header set to "2023-01-01"`
#[when(expr = "I authorize {int} {currency} with the {string} header set to {string}")]
async fn with_header(
    w: &mut ConformanceWorld,
    amount: i64,
    currency: Currency,
    h: String,
    v: String,
) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { set_header: Some((h, v)), ..Tweak::default() }).await
}

/// `When I authorize 100 GBP without the field "instruction.narrative"`
#[when(expr = "I authorize {int} {currency} without the field {string}")]
async fn without_field(w: &mut ConformanceWorld, amount: i64, currency: Currency, f: String) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { drop_field: Some(f), ..Tweak::default() }).await
}

/// `When I authorize 100 GBP with the field "channel" set to "web"` (always a string)
#[when(expr = "I authorize {int} {currency} with the field {string} set to {string}")]
async fn with_field(
    w: &mut ConformanceWorld,
    amount: i64,
    currency: Currency,
    f: String,
    v: String,
) -> Result<(), String> {
    authorize_wrongly(w, amount, &currency.0, Tweak { set_field: Some((f, Value::String(v))), ..Tweak::default() })
        .await
}

/// `When I authorize 100 GBP with the field "instruction.value.amount" set to the JSON "-1"`
#[when(expr = "I authorize {int} {currency} with the field {string} set to the JSON {string}")]
async fn with_json(
    w: &mut ConformanceWorld,
    amount: i64,
    currency: Currency,
    f: String,
    v: String,
) -> Result<(), String> {
    let value: Value = serde_json::from_str(&v).map_err(|e| format!("{v:?} is not JSON: {e}"))?;
    authorize_wrongly(w, amount, &currency.0, Tweak { set_field: Some((f, value)), ..Tweak::default() }).await
}

/// `When I send the authorization body "{not json"`
#[when(expr = "I send the authorization body {string}")]
async fn raw_body(w: &mut ConformanceWorld, raw: String) -> Result<(), String> {
    authorize_wrongly(w, 100, "GBP", Tweak { raw_body: Some(raw.into_bytes()), ..Tweak::default() }).await
}
