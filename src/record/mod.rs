//! Recordings: exchanges as HAR 1.2 files (serde types of our own, checked in the
//! tests by the `har` crate's strict parser), that browsers' developer tools, Charles,
//! Fiddler and other HAR readers open, and that are safe to commit.
//!
//! Redacted always, with no switch to turn it off ([`HarWriter`]): credentials in
//! headers (`Authorization`, `X-API-Key`, `Proxy-Authorization`, cookies and any header
//! named with [`HarWriter::redact_header`]), card numbers in any spelling, card security
//! codes and secrets by field name become stable pseudonyms (the same card is
//! `****1111#1` throughout a file), and a credential echoed anywhere else, in any
//! encoding, is removed. pspReferences, payment ids and link tokens are kept as they are.
//!
//! [`lint`] checks a recording for anything that still looks like a secret.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::client::Exchange;
use crate::conformance::{LifecycleFinding, Violation};
use crate::operation::Api;
use crate::redact::{CREDENTIAL_HEADERS, FieldKind, Pseudonyms, Redactor, credential_values};

mod lint;

pub use lint::{LintFinding, lint};

/// A HAR file's top level.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Har {
    /// The log.
    pub log: Log,
}

/// HAR `log`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Log {
    /// `1.2`.
    pub version: String,
    /// What wrote it.
    pub creator: Creator,
    /// The exchanges, in the order they started.
    pub entries: Vec<Entry>,
    /// How it was made, and what was left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// What payconform knows of the recorded target.
    #[serde(rename = "_payconform", default, skip_serializing_if = "Option::is_none")]
    pub payconform: Option<RecordingMeta>,
}

/// What a recording says about its target (the log's `_payconform`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingMeta {
    /// What was recorded (redacted): `sandbox (variance 7)`, a URL, `proxy to …`.
    pub target: String,
    /// Whether the target was payconform's twin (answering its probe), so that a replay
    /// answers the probe as the target did.
    pub twin: bool,
}

/// HAR `creator`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Creator {
    /// `payconform`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// One exchange.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// When the request started (RFC 3339).
    pub started_date_time: String,
    /// Milliseconds from the request's start to the response's last byte.
    pub time: f64,
    /// What was sent.
    pub request: HarRequest,
    /// What came back (status 0 when nothing did).
    pub response: HarResponse,
    /// HAR `cache` (nothing is cached).
    pub cache: Cache,
    /// HAR `timings`.
    pub timings: Timings,
    /// A transport failure, or a body left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// What payconform knows of it: API, operation and findings (HAR lets custom
    /// fields start with an underscore).
    #[serde(rename = "_payconform", default, skip_serializing_if = "Option::is_none")]
    pub payconform: Option<EntryMeta>,
}

/// HAR `cache`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cache {}

/// HAR `timings`, in milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timings {
    /// Sending the request.
    pub send: f64,
    /// Waiting for the answer.
    pub wait: f64,
    /// Reading the answer.
    pub receive: f64,
}

/// A header, cookie or query parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameValue {
    /// Name.
    pub name: String,
    /// Value (redacted).
    pub value: String,
}

/// HAR `request`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HarRequest {
    /// Method.
    pub method: String,
    /// Absolute URL (redacted).
    pub url: String,
    /// `HTTP/1.1`.
    pub http_version: String,
    /// Always empty: cookies stay in the (redacted) headers.
    pub cookies: Vec<NameValue>,
    /// Headers (redacted).
    pub headers: Vec<NameValue>,
    /// The URL's query, decoded (redacted).
    pub query_string: Vec<NameValue>,
    /// The body, if one was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_data: Option<PostData>,
    /// -1: not measured.
    pub headers_size: i64,
    /// The body's length in bytes as sent.
    pub body_size: i64,
}

/// HAR `postData`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostData {
    /// Its Content-Type.
    pub mime_type: String,
    /// The body (redacted).
    pub text: String,
}

/// HAR `response`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HarResponse {
    /// Status (0: no answer).
    pub status: u16,
    /// Reason phrase.
    pub status_text: String,
    /// `HTTP/1.1`.
    pub http_version: String,
    /// Always empty: cookies stay in the (redacted) headers.
    pub cookies: Vec<NameValue>,
    /// Headers (redacted).
    pub headers: Vec<NameValue>,
    /// The body.
    pub content: Content,
    /// The `Location` of a redirect (never followed), else empty.
    #[serde(rename = "redirectURL")]
    pub redirect_url: String,
    /// -1: not measured.
    pub headers_size: i64,
    /// The body's length in bytes as received.
    pub body_size: i64,
}

/// HAR `content`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    /// Length in bytes as received.
    pub size: i64,
    /// Content-Type.
    pub mime_type: String,
    /// The body (redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Why the text is partial or missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// What payconform adds to an entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EntryMeta {
    /// API name (spec stem).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// operationId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The exchange's position in the recording.
    pub index: usize,
    /// The flow it belongs to (a scenario of a `check` run), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<usize>,
    /// An Adyen notification the run received (its request is the vendor's POST to the
    /// receiver); a replay sends it again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub notification: bool,
    /// Its findings: spec violations and lifecycle findings (redacted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FindingMeta>,
}

/// One finding in an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingMeta {
    /// The check or rule (`response_body`, `lifecycle.money`).
    pub check: String,
    /// `request` or `response`.
    pub side: String,
    /// JSONPath, header or `url`.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// The exchanges a lifecycle finding rests on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rests_on: Vec<usize>,
}

/// Bytes of one body kept in a recording; a longer one is cut, and says so.
pub const MAX_RECORDED_BODY: usize = 1024 * 1024;
/// Bytes a recording may grow to by default ([`HarWriter::max_bytes`]); past it,
/// entries are counted, not written, and the file's comment says how many.
pub const DEFAULT_MAX_RECORDING: u64 = 256 * 1024 * 1024;

/// Distinct credentials learnt from headers (whose echoes are removed everywhere).
const MAX_LEARNT_SECRETS: usize = 64;

/// Writes a HAR 1.2 file entry by entry, redacting every one: the file is whole after
/// [`HarWriter::finish`], and every entry written before is on disk (flushed) at once.
pub struct HarWriter {
    out: BufWriter<File>,
    written: u64,
    max_bytes: u64,
    entries: usize,
    left_out: usize,
    redactor: Redactor,
    /// Configured secrets and those learnt from credential headers.
    secrets: Vec<String>,
    extra_headers: Vec<String>,
    pseudonyms: Pseudonyms,
}

impl std::fmt::Debug for HarWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HarWriter({} entries)", self.entries)
    }
}

/// What to record of one exchange beside the exchange itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// Its API, if its path names one.
    pub api: Option<Api>,
    /// When it started.
    pub started: Option<SystemTime>,
    /// Its spec violations.
    pub violations: &'a [Violation],
    /// Its lifecycle findings.
    pub lifecycle: &'a [LifecycleFinding],
    /// Its operationId, where the exchange names it otherwise (a client's method name).
    pub operation: Option<&'a str>,
    /// The flow it belongs to (a scenario), if known.
    pub flow: Option<usize>,
    /// It is an Adyen notification the run received (not an exchange it made).
    pub notification: bool,
}

impl HarWriter {
    /// Create (or truncate) `path` and write the file's head. `secrets` are values to
    /// remove wherever they appear (passwords, API keys, HMAC keys).
    pub fn create(path: &Path, secrets: impl IntoIterator<Item = String>) -> io::Result<HarWriter> {
        HarWriter::create_with(path, secrets, None)
    }

    /// [`HarWriter::create`] with what the recording says about its target.
    pub fn create_with(
        path: &Path,
        secrets: impl IntoIterator<Item = String>,
        meta: Option<&RecordingMeta>,
    ) -> io::Result<HarWriter> {
        let mut out = BufWriter::new(File::create(path)?);
        let secrets: Vec<String> = secrets.into_iter().collect();
        let meta = match meta {
            Some(m) => {
                let m = RecordingMeta { target: Redactor::new(secrets.clone()).redact(&m.target), twin: m.twin };
                format!(",\"_payconform\":{}", serde_json::to_string(&m).map_err(io::Error::other)?)
            }
            None => String::new(),
        };
        let head = format!(
            "{{\"log\":{{\"version\":\"1.2\",\"creator\":{{\"name\":\"payconform\",\"version\":\"{}\"}}{meta},\"entries\":[",
            env!("CARGO_PKG_VERSION")
        );
        out.write_all(head.as_bytes())?;
        out.flush()?;
        Ok(HarWriter {
            written: head.len() as u64,
            out,
            max_bytes: DEFAULT_MAX_RECORDING,
            entries: 0,
            left_out: 0,
            redactor: Redactor::new(secrets.clone()),
            secrets,
            extra_headers: Vec::new(),
            pseudonyms: Pseudonyms::default(),
        })
    }

    /// Treat the header `name` as a credential too.
    pub fn redact_header(mut self, name: &str) -> Self {
        self.extra_headers.push(name.to_ascii_lowercase());
        self
    }

    /// Stop writing entries once the file is this large (they are counted instead).
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Entries written.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Entries left out because the file reached its size bound.
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// Redact and append one exchange. `request_headers` are the headers as sent,
    /// credentials included (they are replaced by pseudonyms here).
    pub fn write(&mut self, ex: &Exchange, cx: Context<'_>) -> io::Result<()> {
        self.learn(&ex.request_headers);
        let entry = self.entry(ex, cx);
        let json = serde_json::to_vec(&entry).map_err(io::Error::other)?;
        let sep = usize::from(self.entries > 0);
        if self.written + (json.len() + sep) as u64 + 64 > self.max_bytes {
            self.left_out += 1;
            return Ok(());
        }
        if sep == 1 {
            self.out.write_all(b",")?;
        }
        self.out.write_all(&json)?;
        self.out.flush()?;
        self.written += (json.len() + sep) as u64;
        self.entries += 1;
        Ok(())
    }

    /// Write the file's end. A recording that was not finished (the process was
    /// killed) has every entry written before it, and no end: [`lint`] says so.
    pub fn finish(mut self) -> io::Result<()> {
        let comment = match self.left_out {
            0 => String::new(),
            n => format!(
                ",\"comment\":\"{n} more exchange(s) were not recorded: the recording reached its {}-byte bound\"",
                self.max_bytes
            ),
        };
        self.out.write_all(format!("]{comment}}}}}\n").as_bytes())?;
        self.out.flush()
    }

    /// Learn the credentials a request carries, so their echoes are removed anywhere.
    fn learn(&mut self, headers: &[(String, String)]) {
        let mut new = Vec::new();
        for (name, value) in headers {
            if !self.is_credential(name) {
                continue;
            }
            let candidates = credential_values(value);
            for c in candidates {
                if c.len() >= 4 && !self.secrets.contains(&c) && !new.contains(&c) {
                    new.push(c);
                }
            }
        }
        if !new.is_empty() && self.secrets.len() < MAX_LEARNT_SECRETS {
            self.secrets.extend(new);
            self.secrets.truncate(MAX_LEARNT_SECRETS);
            self.redactor = Redactor::new(self.secrets.clone());
        }
    }

    fn is_credential(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        CREDENTIAL_HEADERS.contains(&lower.as_str()) || self.extra_headers.contains(&lower)
    }

    fn headers(&mut self, headers: &[(String, String)]) -> Vec<NameValue> {
        headers
            .iter()
            .map(|(name, value)| {
                let value = if self.is_credential(name) {
                    // The scheme stays readable (`Basic <secret#1>`); the credential does not.
                    match value.trim().split_once(' ') {
                        Some((scheme, rest))
                            if scheme.len() <= 16 && scheme.bytes().all(|b| b.is_ascii_alphabetic()) =>
                        {
                            format!("{scheme} {}", self.pseudonyms.other(FieldKind::Secret, rest.trim()))
                        }
                        _ => self.pseudonyms.other(FieldKind::Secret, value.trim()),
                    }
                } else {
                    self.text(value)
                };
                NameValue { name: self.text(name), value }
            })
            .collect()
    }

    fn text(&mut self, text: &str) -> String {
        self.pseudonyms.redact(&self.redactor, text)
    }

    /// A body as recorded: redacted text, cut at [`MAX_RECORDED_BODY`], and why.
    fn body(&mut self, bytes: &[u8]) -> (String, Option<String>) {
        let kept = &bytes[..bytes.len().min(MAX_RECORDED_BODY)];
        let mut notes = Vec::new();
        let text = match std::str::from_utf8(kept) {
            Ok(t) => t.to_string(),
            Err(_) => {
                notes.push("the body is not UTF-8; invalid bytes are shown as U+FFFD".to_string());
                String::from_utf8_lossy(kept).into_owned()
            }
        };
        if kept.len() < bytes.len() {
            notes.push(format!("the first {MAX_RECORDED_BODY} of {} bytes are recorded", bytes.len()));
        }
        (self.text(&text), (!notes.is_empty()).then(|| notes.join("; ")))
    }

    fn entry(&mut self, ex: &Exchange, cx: Context<'_>) -> Entry {
        let header = |hs: &[(String, String)], n: &str| {
            hs.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone()).unwrap_or_default()
        };
        let started =
            cx.started.unwrap_or_else(|| SystemTime::now().checked_sub(ex.elapsed).unwrap_or_else(SystemTime::now));
        let started: chrono::DateTime<chrono::Utc> = started.into();
        let url = self.text(&ex.url);
        let query_string = url::Url::parse(&url)
            .map(|u| u.query_pairs().map(|(n, v)| NameValue { name: n.into_owned(), value: v.into_owned() }).collect())
            .unwrap_or_default();
        let request_headers = self.headers(&ex.request_headers);
        let post_data = ex.request_body.as_deref().map(|b| {
            let (text, _) = self.body(b);
            PostData { mime_type: header(&ex.request_headers, "content-type"), text }
        });
        let response_headers = self.headers(&ex.response_headers);
        let (text, mut note) = self.body(&ex.response_body);
        if let Some(cap) = ex.oversized {
            note = Some(format!("the body was larger than the {cap}-byte cap and was not recorded"));
        }
        let status = ex.status.unwrap_or(0);
        // Whole microseconds: a float's long tail of digits reads like a card number.
        let ms = |d: Duration| d.as_micros() as f64 / 1000.0;
        let mut findings: Vec<FindingMeta> = cx
            .violations
            .iter()
            .map(|v| FindingMeta {
                check: v.check.name().into(),
                side: v.side.as_str().into(),
                path: self.text(&v.json_path),
                message: self.text(&v.message),
                rests_on: Vec::new(),
            })
            .collect();
        for f in cx.lifecycle {
            let (path, message) = (self.text(&f.json_path), self.text(&f.message));
            findings.push(FindingMeta {
                check: f.rule.name().into(),
                side: f.side.as_str().into(),
                path,
                message,
                rests_on: f.rests_on.clone(),
            });
        }
        let comment = ex.error.as_deref().map(|e| format!("transport failure: {}", self.text(e)));
        Entry {
            started_date_time: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            time: ms(ex.elapsed),
            request: HarRequest {
                method: ex.method.clone(),
                url,
                http_version: "HTTP/1.1".into(),
                cookies: Vec::new(),
                headers: request_headers,
                query_string,
                post_data,
                headers_size: -1,
                body_size: ex.request_body.as_ref().map_or(0, |b| b.len() as i64),
            },
            response: HarResponse {
                status,
                status_text: http::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("")
                    .into(),
                http_version: "HTTP/1.1".into(),
                cookies: Vec::new(),
                headers: response_headers,
                content: Content {
                    size: ex.oversized.map_or(ex.response_body.len() as i64, |c| c as i64),
                    mime_type: header(&ex.response_headers, "content-type"),
                    text: (ex.status.is_some() && ex.oversized.is_none()).then_some(text),
                    comment: note,
                },
                redirect_url: self.text(&header(&ex.response_headers, "location")),
                headers_size: -1,
                body_size: ex.response_body.len() as i64,
            },
            cache: Cache {},
            timings: Timings { send: 0.0, wait: ms(ex.elapsed), receive: 0.0 },
            comment,
            payconform: Some(EntryMeta {
                api: cx.api.map(|a| a.name().to_string()),
                operation: cx
                    .operation
                    .map(str::to_string)
                    .or_else(|| (!ex.operation.is_empty()).then(|| ex.operation.clone())),
                index: self.entries + self.left_out,
                flow: cx.flow,
                notification: cx.notification,
                findings,
            }),
        }
    }
}

/// Read a recording (at most `max_bytes` of it).
pub fn read(path: &Path, max_bytes: u64) -> Result<Har, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > max_bytes {
        return Err(format!("{}: {} bytes, more than the {max_bytes}-byte bound", path.display(), meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a HAR file: {e}", path.display()))
}

/// A [`HarWriter`] shared by many writers at once (the scenarios of a run): the first
/// write error is kept and returned by [`SharedRecording::finish`].
#[derive(Debug)]
pub struct SharedRecording {
    writer: std::sync::Mutex<Option<HarWriter>>,
    error: std::sync::Mutex<Option<io::Error>>,
}

impl SharedRecording {
    /// Share `writer`.
    pub fn new(writer: HarWriter) -> Self {
        SharedRecording { writer: std::sync::Mutex::new(Some(writer)), error: std::sync::Mutex::new(None) }
    }

    /// Append one exchange (see [`HarWriter::write`]).
    pub fn write(&self, ex: &Exchange, cx: Context<'_>) {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = w.as_mut()
            && let Err(e) = w.write(ex, cx)
        {
            self.error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
        }
    }

    /// Finish the file; the first error of any write, else of the finish.
    pub fn finish(&self) -> io::Result<usize> {
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(e) = self.error.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(e);
        }
        match w {
            Some(w) => {
                let n = w.entries();
                w.finish().map(|_| n)
            }
            None => Ok(0),
        }
    }
}
