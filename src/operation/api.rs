//! What the generated [`Api`] enum knows beyond its table: names in both spellings,
//! and its display form.

use std::fmt;

use super::Api;

/// A vendor: what is the same for all of its APIs (credentials, error fields,
/// notifications) keys on this, so that a new API of a vendor needs no new case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vendor {
    /// Worldpay: Basic credentials, `errorName`, action links.
    Worldpay,
    /// Adyen: `X-API-Key` or Basic, `errorCode`, `resultCode`, standard notifications.
    Adyen,
}

impl Api {
    /// The API for a spec stem.
    pub fn from_name(name: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Which API a request path belongs to, on the vendors' hosts and on the twin
    /// alike, and the path relative to the API's base (what the spec's templates match).
    /// The twin, the proxy and the recordings all route with this.
    pub fn route(path: &str) -> Option<(Api, &str)> {
        if let Some(after) = path.strip_prefix("/pal/") {
            // Classic Payment under every version path Adyen's official SDKs have used
            // (v40 through v68, the SDKs' default), all with the v40 behaviour. Anything
            // else under /pal/ is Adyen's, and gets Adyen's 404.
            let versioned = after.strip_prefix("servlet/Payment/v").and_then(|v| {
                let digits = v.bytes().take_while(u8::is_ascii_digit).count();
                let version: u32 = v[..digits].parse().ok()?;
                let rest = &v[digits..];
                ((40..=68).contains(&version) && (rest.is_empty() || rest.starts_with('/'))).then_some(rest)
            });
            return Some((Api::Adyen, versioned.unwrap_or(path)));
        }
        // Checkout under the twin's /checkout/v71 and /checkout/v72, and under Adyen's own
        // /v71 and /v72 (checkout-test.adyen.com/v72 is the SDKs' default), all with the
        // v71 behaviour (the v72 differences are listed in the spec).
        for prefix in ["/checkout/v71", "/checkout/v72", "/v71", "/v72"] {
            if let Some(rest) = path.strip_prefix(prefix)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return Some((Api::AdyenCheckout, rest));
            }
        }
        if path == "/api/payments" || path.starts_with("/api/payments/") {
            return Some((Api::WorldpayPayments, path));
        }
        if path.starts_with("/cardPayments/") || path.starts_with("/payments/") {
            return Some((Api::WorldpayV7, path));
        }
        None
    }

    /// The API for its spec stem or its short name.
    pub fn from_any_name(name: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|a| a.name() == name || a.short_name() == name)
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
