//! Action links: an href from a response resolved to the operation it names, refused
//! when it points at any host but the configured one.

use url::Url;

use super::ClientError;
use crate::operation::OperationInfo;

/// An action link resolved to the operation it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionLink {
    /// The operation the link names (operationId, client method, HTTP method, …).
    pub operation: &'static OperationInfo,
    /// The token exactly as it appears in the href (percent escapes kept);
    /// pass it as `link_data` to the generated method.
    pub link_data: String,
    /// The href as the response gave it.
    pub href: String,
}

impl ActionLink {
    /// The link, if it names `operation` (by operationId or client method name); else a
    /// [`ClientError::BadLink`] with the href and the operation it does name.
    pub fn require_operation(self, operation: &str) -> Result<Self, ClientError> {
        if self.operation.operation_id == operation || self.operation.method == operation {
            Ok(self)
        } else {
            Err(ClientError::BadLink {
                href: self.href.clone(),
                reason: format!("it is a {} link, not {operation}", self.operation.operation_id),
            })
        }
    }
}

fn origin(u: &Url) -> String {
    format!("{}://{}:{}", u.scheme(), u.host_str().unwrap_or(""), u.port_or_known_default().unwrap_or(0))
}

/// Resolve an href against an API's base URL and operation table.
pub fn parse_action_link(
    base: &Url,
    operations: &'static [OperationInfo],
    href: &str,
) -> Result<ActionLink, ClientError> {
    let bad = |reason: String| ClientError::BadLink { href: href.to_string(), reason };
    let url = base.join(href).map_err(|e| bad(format!("not a URL: {e}")))?;
    if origin(&url) != origin(base) {
        return Err(ClientError::ForeignLink { href: href.to_string(), found: origin(&url), expected: origin(base) });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("action links carry no query or fragment".into()));
    }
    let base_path = base.path().trim_end_matches('/');
    let rest = url
        .path()
        .strip_prefix(base_path)
        .ok_or_else(|| bad(format!("it is not under the base path {base_path:?}")))?;
    for operation in operations {
        // A link names an operation whose path has exactly one parameter: the token.
        if let Some([(_, token)]) = operation.match_path(rest).as_deref() {
            return Ok(ActionLink { operation, link_data: token.to_string(), href: href.to_string() });
        }
    }
    Err(bad(format!("no operation of this API has the path {rest:?}")))
}
