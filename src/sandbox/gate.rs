//! What every request passes before a gateway's rules: credentials (each one its own
//! merchant), `Prefer: code`, the documented headers, and a body that parses and
//! validates against the spec, each refused in the vendor's own error shape.

#[allow(unused_imports)]
use super::*;

/// A merchant is a hash of its kind of credential and the credential itself.
fn merchant_of(kind: &str, credential: &str) -> ledger::Merchant {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    kind.hash(&mut h);
    credential.hash(&mut h);
    h.finish()
}

pub(super) fn authenticate(t: &TwinInner, api: Api, req: &TwinRequest) -> Result<ledger::Merchant, TwinResponse> {
    use base64::Engine;
    let denied = || match api {
        Api::Adyen => adyen::error(401, "000", "HTTP Status Response - Unauthorized", "security"),
        _ => worldpay::error(api, 401, "accessDenied", "Access to the requested resource has been denied.", None),
    };
    if api == Api::Adyen
        && let Some(key) = req.header("x-api-key")
    {
        // Only visible ASCII: a server that turned other bytes into U+FFFD would make two
        // different keys one merchant. Compared exactly from here on.
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(denied());
        }
        if let Some((_, keys)) = &t.strict
            && !keys.contains(key)
        {
            return Err(denied());
        }
        return Ok(merchant_of("key", key));
    }
    let Some(auth) = req.header("authorization") else { return Err(denied()) };
    let Some(encoded) = auth.strip_prefix("Basic ").or_else(|| auth.strip_prefix("basic ")) else {
        return Err(denied());
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else { return Err(denied()) };
    // The decoded bytes must be UTF-8 exactly as sent (no lossy conversion), without
    // control characters.
    let Ok(text) = String::from_utf8(raw) else { return Err(denied()) };
    if text.chars().any(char::is_control) {
        return Err(denied());
    }
    let Some((user, _)) = text.split_once(':') else { return Err(denied()) };
    if user.is_empty() {
        return Err(denied());
    }
    if let Some((creds, _)) = &t.strict
        && !creds.contains(&text)
    {
        return Err(denied());
    }
    Ok(merchant_of("basic", &text))
}

/// `Prefer: code=NNN` (RFC 7240, as API mocks such as Prism read it): an error status
/// the spec documents for the operation (4xx or 5xx, after authentication), answered in
/// the vendor's error shape, with nothing done. For trying a client's handling of
/// statuses the vendors give no trigger for (a 500, Adyen's 403); the sweep uses it on
/// twins only. A status the operation does not document, or a success, is ignored.
pub(super) fn preferred(api: Api, op: &Operation, req: &TwinRequest) -> Option<TwinResponse> {
    let code: u16 = req
        .header("prefer")?
        .split([',', ';'])
        .find_map(|p| p.trim().strip_prefix("code="))
        .and_then(|c| c.trim().parse().ok())?;
    if !(400..600).contains(&code) || !op.responses.contains_key(&code.to_string()) {
        return None;
    }
    Some(match (api, code) {
        (Api::Adyen, 403) => adyen::error(403, "010", "Not allowed", "security"),
        (Api::Adyen, 500) => adyen::error(500, "905", "Internal error", "internal"),
        (Api::Adyen, c) => adyen::error(c, "000", "Preferred status (Prefer: code)", "validation"),
        (_, 500) => worldpay::error(
            api,
            500,
            "internalErrorOccurred",
            "We cannot currently process your request. Please contact support.",
            None,
        ),
        (_, 404) => worldpay::error(api, 404, "resourceNotFound", "Resource not found", None),
        (_, c) => worldpay::error(api, c, "preferredStatus", "Preferred status (Prefer: code)", None),
    })
}

pub(super) fn check_headers(api: Api, op: &Operation, req: &TwinRequest) -> Option<TwinResponse> {
    let has_body = !req.body.is_empty();
    match api {
        // Worldpay documents both media-type headers as required on every v7 operation,
        // GET and body-less POST included (spec: components/parameters), and 415 as the
        // answer; the generated clients send both on every request.
        Api::WorldpayV7 => {
            let content_type = req.header("content-type");
            if content_type.is_none()
                && op.headers.iter().any(|h| h.required && h.name.eq_ignore_ascii_case("content-type"))
            {
                return Some(worldpay::error(api, 415, "headerIsMissing", "The Content-Type header is missing", None));
            }
            if (content_type.is_some() || has_body) && !media_is(content_type, V7_MEDIA) {
                return Some(worldpay::error(api, 415, "headerHasInvalidValue", "Bad content type", None));
            }
            match req.header("accept") {
                None if op.headers.iter().any(|h| h.required && h.name.eq_ignore_ascii_case("accept")) => {
                    return Some(worldpay::error(api, 415, "headerIsMissing", "The Accept header is missing", None));
                }
                Some(accept)
                    if !accept
                        .split(',')
                        .any(|m| [V7_MEDIA, "*/*", "application/*"].iter().any(|x| media_is(Some(m), x))) =>
                {
                    return Some(worldpay::error(api, 415, "headerHasInvalidValue", "Bad accept type", None));
                }
                _ => {}
            }
        }
        Api::WorldpayPayments => {
            for h in op.headers.iter().filter(|h| h.required) {
                match req.header(&h.name) {
                    None => {
                        return Some(worldpay::error(
                            api,
                            406,
                            "headerIsMissing",
                            "A valid header must be provided.",
                            Some(&h.name),
                        ));
                    }
                    Some(v) if h.allowed.as_ref().is_some_and(|a| !a.iter().any(|x| x == v)) => {
                        return Some(worldpay::error(
                            api,
                            406,
                            "headerHasInvalidValue",
                            "A valid header must be provided.",
                            Some(&h.name),
                        ));
                    }
                    Some(_) => {}
                }
            }
            if let Some(accept) = req.header("accept") {
                let ok = accept
                    .split(',')
                    .any(|m| ["application/json", "*/*", "application/*"].iter().any(|x| media_is(Some(m), x)));
                if !ok {
                    return Some(worldpay::error(
                        api,
                        406,
                        "headerHasInvalidValue",
                        "A valid header must be provided.",
                        Some("Accept"),
                    ));
                }
            }
            // A body-less operation may come without a Content-Type, but one that names
            // another media type is refused: the vendor documents 415 for these too.
            let content_type = req.header("content-type");
            if (op.request.is_some() || has_body || content_type.is_some())
                && !media_is(content_type, "application/json")
            {
                return Some(worldpay::error(
                    api,
                    415,
                    "headerHasInvalidValue",
                    "A valid header must be provided.",
                    Some("Content-Type"),
                ));
            }
        }
        Api::Adyen => {
            if !media_is(req.header("content-type"), "application/json") {
                return Some(adyen::error(400, "702", "Content-Type must be application/json", "validation"));
            }
        }
    }
    None
}

pub(super) fn parse_body(api: Api, op: &Operation, req: &TwinRequest) -> Result<Value, TwinResponse> {
    let Some(body) = &op.request else { return Ok(Value::Null) };
    if req.body.iter().all(u8::is_ascii_whitespace) {
        if !body.required {
            return Ok(Value::Null);
        }
        return Err(match api {
            Api::Adyen => {
                adyen::error(400, "702", "Empty input which would have resulted in a null result.", "validation")
            }
            _ => worldpay::error(api, 400, "bodyIsEmpty", "The body of the request is empty.", None),
        });
    }
    let value: Value = serde_json::from_slice(&req.body).map_err(|e| match api {
        Api::Adyen => adyen::error(400, "702", &format!("Unexpected input: {e}"), "validation"),
        _ => worldpay::error(api, 400, "bodyIsNotJson", "The body of the request is not valid JSON.", None),
    })?;
    let violations = body.validate(&value);
    if violations.is_empty() {
        return Ok(value);
    }
    Err(match api {
        Api::Adyen => adyen::validation_error(&violations),
        _ => worldpay::validation_error(api, &violations),
    })
}
