//! Where a run sends its requests, and with which credentials.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use url::Url;

use crate::client::Credentials;
use crate::operation::{Api, Vendor};

/// Worldpay's test host (both Worldpay APIs).
pub const WORLDPAY_TEST_URL: &str = "https://try.access.worldpay.com";
/// Adyen's test base URL for the classic Payment API v40.
pub const ADYEN_TEST_URL: &str = "https://pal-test.adyen.com/pal/servlet/Payment/v40";
/// Adyen's Checkout test environment, v71 (override with `ADYEN_CHECKOUT_URL`, e.g.
/// `https://checkout-test.adyen.com/v72`).
pub const ADYEN_CHECKOUT_TEST_URL: &str = "https://checkout-test.adyen.com/v71";

/// Basic user the harness presents to a twin when no credentials are configured.
pub const SANDBOX_USERNAME: &str = "payconform";
/// Basic password the harness presents to a twin when no credentials are configured.
pub const SANDBOX_PASSWORD: &str = "sandbox";
/// `X-API-Key` the harness presents to a twin's Adyen API when none is configured.
pub const SANDBOX_API_KEY: &str = "payconform-sandbox-key";
/// Worldpay `merchant.entity` used against a twin.
pub const SANDBOX_ENTITY: &str = "default";
/// Adyen `merchantAccount` used against a twin.
pub const SANDBOX_MERCHANT_ACCOUNT: &str = "PayconformSandbox";

/// What a run talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A fresh twin started in-process on a random port (the default).
    Sandbox,
    /// The vendors' test environments, with credentials from the environment.
    Live,
    /// All three APIs under one base URL (e.g. `payconform sandbox` running elsewhere).
    Url(String),
    /// A recording (`check --record`) served offline in-process (`replay:FILE.har`).
    Replay(std::path::PathBuf),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Sandbox => f.write_str("sandbox"),
            Target::Live => f.write_str("live"),
            Target::Url(u) => f.write_str(u),
            Target::Replay(p) => write!(f, "replay:{}", p.display()),
        }
    }
}

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sandbox" => Ok(Target::Sandbox),
            "live" => Ok(Target::Live),
            other if other.starts_with("replay:") => {
                let path = &other["replay:".len()..];
                if path.is_empty() {
                    return Err("replay: needs a recording, e.g. replay:run.har".into());
                }
                Ok(Target::Replay(path.into()))
            }
            other => {
                Url::parse(other).map_err(|_| {
                    format!("target must be `sandbox`, `live`, `replay:FILE.har` or an http(s) URL, got {other:?}")
                })?;
                check_base_url("target URL", other)?;
                Ok(Target::Url(other.trim_end_matches('/').to_string()))
            }
        }
    }
}

/// Every rule a configured base URL must pass (`--target`, `WORLDPAY_URL`,
/// `ADYEN_URL`): http(s) with a host, no credentials, no query or fragment, and not a
/// vendor's production host.
pub fn check_base_url(what: &str, raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|_| format!("{what} {raw:?} is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{what} must be http(s)://host[:port][/path], got {raw:?}"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{what} must not carry credentials; set them in the environment \
             (WORLDPAY_USERNAME, ADYEN_API_KEY, ...)"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{what} must not carry a query or fragment, got {raw:?}"));
    }
    refuse_production(&url).map_err(|e| format!("{what}: {e}"))?;
    Ok(url)
}

/// A host as a resolver sees it: lower case, IDNA-mapped (the URL parser does both for
/// http and https), without the trailing dots of a fully qualified name.
fn canonical_host(url: &Url) -> String {
    url.host_str().unwrap_or("").trim_end_matches('.').to_ascii_lowercase()
}

/// Refuse the vendors' production hosts: the suite creates real payments.
pub fn refuse_production(url: &Url) -> Result<(), String> {
    let host = canonical_host(url);
    let production = host == "access.worldpay.com"
        || (host.ends_with(".adyenpayments.com") && host.contains("live"))
        || (host.ends_with(".adyen.com") && host.contains("live"));
    if production {
        Err(format!(
            "refusing {host}: it is a production host, and the suite authorizes, settles and refunds payments; \
             use the vendor's test environment (try.access.worldpay.com, pal-test.adyen.com) or the sandbox twin"
        ))
    } else {
        Ok(())
    }
}

/// How to reach one API in this run.
#[derive(Clone)]
pub struct Endpoint {
    /// The API.
    pub api: Api,
    /// Its base URL.
    pub base_url: String,
    /// Credentials to present.
    pub credentials: Option<Credentials>,
    /// Worldpay `merchant.entity` or Adyen `merchantAccount`.
    pub merchant: String,
    /// Why scenarios of this API cannot run here, if they cannot.
    pub skip: Option<String>,
    /// Every secret value configured for it, to scrub from reports.
    pub secrets: Vec<String>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("api", &self.api)
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("merchant", &self.merchant)
            .field("skip", &self.skip)
            .finish()
    }
}

/// Environment variables, as the run sees them (injectable for tests).
pub type Env = BTreeMap<String, String>;

fn var<'a>(env: &'a Env, name: &str) -> Option<&'a str> {
    env.get(name).map(String::as_str).filter(|v| !v.trim().is_empty())
}

fn base_from(env: &Env, var_name: &str, default: &str, path: &str) -> Result<String, String> {
    let raw = var(env, var_name).unwrap_or(default);
    let url = check_base_url(var_name, raw)?;
    let trimmed = raw.trim_end_matches('/');
    Ok(if url.path().trim_matches('/').is_empty() { format!("{trimmed}{path}") } else { trimmed.to_string() })
}

/// Worldpay credentials from the environment, or `None` with what is missing.
fn worldpay_env(env: &Env) -> Result<(Credentials, String), String> {
    match (var(env, "WORLDPAY_USERNAME"), var(env, "WORLDPAY_PASSWORD"), var(env, "WORLDPAY_ENTITY")) {
        (Some(u), Some(p), Some(e)) => Ok((Credentials::Basic { username: u.into(), password: p.into() }, e.into())),
        _ => Err("no Worldpay credentials: set WORLDPAY_USERNAME, WORLDPAY_PASSWORD and WORLDPAY_ENTITY".into()),
    }
}

fn adyen_env(env: &Env) -> Result<(Credentials, String), String> {
    let creds = if let Some(k) = var(env, "ADYEN_API_KEY") {
        Some(Credentials::ApiKey(k.into()))
    } else {
        match (var(env, "ADYEN_USERNAME"), var(env, "ADYEN_PASSWORD")) {
            (Some(u), Some(p)) => Some(Credentials::Basic { username: u.into(), password: p.into() }),
            _ => None,
        }
    };
    match (creds, var(env, "ADYEN_MERCHANT_ACCOUNT")) {
        (Some(c), Some(m)) => Ok((c, m.into())),
        _ => Err("no Adyen credentials: set ADYEN_API_KEY (or ADYEN_USERNAME and ADYEN_PASSWORD) \
                  and ADYEN_MERCHANT_ACCOUNT"
            .into()),
    }
}

fn secrets_of(c: &Credentials) -> Vec<String> {
    match c {
        // The pair too: a Basic header carries base64 of `user:password`, which the
        // redactor cannot find from the password alone.
        Credentials::Basic { username, password } => vec![password.clone(), format!("{username}:{password}")],
        Credentials::ApiKey(k) => vec![k.clone()],
    }
}

fn sandbox_defaults(api: Api) -> (Credentials, String) {
    match api.vendor() {
        Vendor::Adyen => (Credentials::ApiKey(SANDBOX_API_KEY.into()), SANDBOX_MERCHANT_ACCOUNT.into()),
        Vendor::Worldpay => (
            Credentials::Basic { username: SANDBOX_USERNAME.into(), password: SANDBOX_PASSWORD.into() },
            SANDBOX_ENTITY.into(),
        ),
    }
}

/// The endpoints of `target` for each API. `root` is the twin's URL for
/// [`Target::Sandbox`] (the caller starts it). Only credentials taken from the
/// environment count as secrets; the twin's defaults are public.
pub fn endpoints(target: &Target, root: Option<&str>, env: &Env) -> Result<Vec<Endpoint>, String> {
    let mut out = Vec::new();
    for api in Api::ALL {
        let from_env = match api.vendor() {
            Vendor::Adyen => adyen_env(env),
            Vendor::Worldpay => worldpay_env(env),
        }
        .map(|found| (found, true));
        let (base_url, found) = match target {
            Target::Sandbox | Target::Replay(_) => {
                let root = root.ok_or("the sandbox target needs a running twin")?;
                (format!("{}{}", root.trim_end_matches('/'), api.base_path()), Ok((sandbox_defaults(api), false)))
            }
            Target::Url(root) => {
                (format!("{root}{}", api.base_path()), Ok(from_env.unwrap_or_else(|_| (sandbox_defaults(api), false))))
            }
            Target::Live => {
                let base_url = match api {
                    Api::Adyen => base_from(env, "ADYEN_URL", ADYEN_TEST_URL, api.base_path())?,
                    // Adyen's Checkout host has no /checkout prefix: the version is the path.
                    Api::AdyenCheckout => base_from(env, "ADYEN_CHECKOUT_URL", ADYEN_CHECKOUT_TEST_URL, "/v71")?,
                    _ => base_from(env, "WORLDPAY_URL", WORLDPAY_TEST_URL, "")?,
                };
                (base_url, from_env)
            }
        };
        out.push(match found {
            Ok(((credentials, merchant), secret)) => Endpoint {
                api,
                base_url,
                secrets: if secret { secrets_of(&credentials) } else { vec![] },
                credentials: Some(credentials),
                merchant,
                skip: None,
            },
            Err(why) => {
                Endpoint { api, base_url, credentials: None, merchant: String::new(), skip: Some(why), secrets: vec![] }
            }
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn targets_parse_and_production_is_refused() {
        assert_eq!("sandbox".parse::<Target>(), Ok(Target::Sandbox));
        assert_eq!("live".parse::<Target>(), Ok(Target::Live));
        assert_eq!("http://127.0.0.1:4010/".parse::<Target>(), Ok(Target::Url("http://127.0.0.1:4010".into())));
        assert!("ftp://x".parse::<Target>().unwrap_err().contains("http(s)"));
        assert!("nonsense".parse::<Target>().unwrap_err().contains("sandbox"));
        assert!("http://u:pw@127.0.0.1:1".parse::<Target>().unwrap_err().contains("must not carry credentials"));
        assert!("https://access.worldpay.com".parse::<Target>().unwrap_err().contains("production"));
        let e = endpoints(&Target::Live, None, &env(&[("ADYEN_URL", "https://abc-pal-live.adyenpayments.com")]));
        assert!(e.unwrap_err().contains("ADYEN_URL: refusing"));
        let e = endpoints(&Target::Live, None, &env(&[("WORLDPAY_URL", "https://access.worldpay.com/")]));
        assert!(e.unwrap_err().contains("production host"));
        // Adyen's Checkout live hosts (`<prefix>-checkout-live.adyenpayments.com/checkout`).
        let live = "https://1797a841fbb37ca7-AdyenDemo-checkout-live.adyenpayments.com/checkout/v71";
        let e = endpoints(&Target::Live, None, &env(&[("ADYEN_CHECKOUT_URL", live)]));
        assert!(e.unwrap_err().contains("ADYEN_CHECKOUT_URL: refusing"));
        // A bare test host gets Checkout's version path; the default is Adyen's v71.
        let e = endpoints(&Target::Live, None, &env(&[("ADYEN_CHECKOUT_URL", "http://127.0.0.1:9")])).unwrap();
        let checkout = e.iter().find(|e| e.api == Api::AdyenCheckout).unwrap();
        assert_eq!(checkout.base_url, "http://127.0.0.1:9/v71");
        let e = endpoints(&Target::Live, None, &env(&[])).unwrap();
        let checkout = e.iter().find(|e| e.api == Api::AdyenCheckout).unwrap();
        assert_eq!(checkout.base_url, ADYEN_CHECKOUT_TEST_URL);
    }

    #[test]
    fn the_production_guard_sees_through_spelling() {
        // A trailing dot, capitals, a port, IDNA (fullwidth letters map to ASCII).
        for target in [
            "https://access.worldpay.com.",
            "https://ACCESS.worldpay.com.:443",
            "https://access.worldpay.com..",
            "https://\u{ff41}ccess.worldpay.com",
            "https://xyz-pal-live.adyenpayments.com./pal/servlet/Payment/v40",
        ] {
            let e = target.parse::<Target>().unwrap_err();
            assert!(e.contains("production host"), "{target}: {e}");
        }
        for (var, url) in [
            ("ADYEN_URL", "https://xyz-pal-live.adyenpayments.com."),
            ("WORLDPAY_URL", "https://ACCESS.worldpay.com.:443"),
        ] {
            let e = endpoints(&Target::Live, None, &env(&[(var, url)])).unwrap_err();
            assert!(e.contains(var) && e.contains("production host"), "{var}={url}: {e}");
        }
        // The environment's URLs obey every rule --target obeys.
        for (var, url, says) in [
            ("WORLDPAY_URL", "https://u:p@try.access.worldpay.com", "must not carry credentials"),
            ("ADYEN_URL", "https://key@pal-test.adyen.com", "must not carry credentials"),
            ("ADYEN_URL", "https://pal-test.adyen.com/?x=1", "query"),
        ] {
            let e = endpoints(&Target::Live, None, &env(&[(var, url)])).unwrap_err();
            assert!(e.contains(var) && e.contains(says), "{var}={url}: {e}");
        }
    }

    #[test]
    fn live_skips_apis_without_credentials_and_keeps_secrets_for_scrubbing() {
        let e = endpoints(
            &Target::Live,
            None,
            &env(&[("ADYEN_API_KEY", "AQE-secret"), ("ADYEN_MERCHANT_ACCOUNT", "Acme"), ("WORLDPAY_USERNAME", "u")]),
        )
        .unwrap();
        assert_eq!(e[0].base_url, WORLDPAY_TEST_URL);
        assert!(e[0].skip.as_deref().unwrap().contains("WORLDPAY_PASSWORD"));
        assert_eq!(
            (e[2].base_url.as_str(), e[2].merchant.as_str(), e[2].skip.is_none()),
            (ADYEN_TEST_URL, "Acme", true)
        );
        assert_eq!(e[2].secrets, ["AQE-secret"]);
        assert!(!format!("{:?}", e[2]).contains("AQE-secret"));
        // A host-only override gets the API's path.
        let e = endpoints(&Target::Live, None, &env(&[("ADYEN_URL", "http://127.0.0.1:9/")])).unwrap();
        assert_eq!(e[2].base_url, "http://127.0.0.1:9/pal/servlet/Payment/v40");
    }

    #[test]
    fn url_target_uses_twin_defaults_unless_configured() {
        let e = endpoints(&Target::Url("http://h:1".into()), None, &env(&[])).unwrap();
        assert_eq!(e[1].merchant, SANDBOX_ENTITY);
        assert_eq!(e[2].base_url, "http://h:1/pal/servlet/Payment/v40");
        assert!(matches!(&e[2].credentials, Some(Credentials::ApiKey(k)) if k == SANDBOX_API_KEY));
        assert!(e.iter().all(|e| e.secrets.is_empty()), "the twin's public defaults are not secrets to scrub");
    }
}
