//! One run of `payconform check`: the target, the scenarios, the sweep, the report.

use super::collect::Collector;
use super::collect::Seen;
use super::features::Planned;
use super::features::{Preparsed, load_sources, parse_features, plan, scenario_id};
use super::target::{Endpoint, Target};
use super::world::ConformanceWorld;
use super::world::{ExchangeRecord, RunContext};
use super::{CheckOptions, HarnessError};
use crate::operation::Api;
use crate::report::{Redactor, RunReport, Status};
use crate::sandbox::Twin;
use cucumber::gherkin::{self};
use cucumber::tag::Ext as _;
use cucumber::{World as _, writer};
use futures::FutureExt as _;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Check that every host the run will talk to answers HTTP at all, so that an
/// unreachable target is one line, not a failure per request. One request per host,
/// without credentials and without following redirects; any HTTP answer will do.
async fn preflight(
    endpoints: &[Endpoint],
    http: &[(Api, reqwest::Client, reqwest::Client)],
) -> Result<(), HarnessError> {
    let mut seen = std::collections::BTreeSet::new();
    for e in endpoints.iter().filter(|e| e.skip.is_none()) {
        let Ok(url) = url::Url::parse(&e.base_url) else { continue };
        if !seen.insert((url.scheme().to_string(), url.host_str().map(str::to_string), url.port_or_known_default())) {
            continue;
        }
        let Some((_, _, anon)) = http.iter().find(|(a, _, _)| *a == e.api) else { continue };
        match tokio::time::timeout(Duration::from_secs(10), anon.get(url.clone()).send()).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => return Err(HarnessError::Unreachable(crate::client::describe_transport(&err, Some(&url)))),
            Err(_) => {
                let at = format!("{}:{}", url.host_str().unwrap_or("?"), url.port_or_known_default().unwrap_or(0));
                return Err(HarnessError::Unreachable(format!("timed out after 10 s waiting for {at} to answer")));
            }
        }
    }
    Ok(())
}

/// Whether the target is payconform's twin, not in variance mode: it alone answers
/// `GET /__payconform/twin` (without credentials) with `{"twin": "payconform"}`.
async fn is_twin(root: &str, http: &[(Api, reqwest::Client, reqwest::Client)]) -> bool {
    let Some((_, _, anon)) = http.first() else { return false };
    let probe = anon.get(format!("{}{}", root.trim_end_matches('/'), crate::sandbox::TWIN_PROBE_PATH)).send();
    match tokio::time::timeout(Duration::from_secs(10), probe).await {
        // The probe's answer is small; a hostile target's endless one is read for 4 KiB.
        Ok(Ok(mut r)) if r.status() == 200 => {
            let body = crate::client::read_prefix(&mut r, 4096).await;
            serde_json::from_slice::<serde_json::Value>(&body)
                .is_ok_and(|v| v["twin"] == "payconform" && v["variance"].is_null())
        }
        _ => false,
    }
}

/// Run the suite and report. Errors only when the run cannot start.
pub async fn run(opts: &CheckOptions) -> Result<RunReport, HarnessError> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let tags = tag_expression(opts)?;
    let mut features = parse_features(load_sources(&opts.features)?)?;
    check_usage(opts)?;
    let (notifications, no_notifications) = notifications(opts).await?;
    let mock = match opts.target {
        Target::Sandbox => Some(embedded_twin(opts, notifications.as_ref()).await?),
        _ => None,
    };
    let replay = match &opts.target {
        Target::Replay(path) => {
            let rec = crate::replay::Recording::load(path).map_err(HarnessError::Usage)?;
            let notify = notifications.as_ref().map(|n| (n.receiver.url(), n.hmac_key.clone()));
            let server = crate::replay::ReplayServer::start(rec, ([127, 0, 0, 1], 0).into(), notify)
                .await
                .map_err(|e| HarnessError::Setup(format!("cannot start the replay: {e}")))?;
            Some(server)
        }
        _ => None,
    };
    let root = mock.as_ref().map(|m| m.url()).or_else(|| replay.as_ref().map(|r| r.url()));
    let endpoints = super::target::endpoints(&opts.target, root.as_deref(), &opts.env).map_err(HarnessError::Usage)?;
    let target_label = match (&mock, &replay) {
        (Some(m), _) => format!("sandbox ({})", m.url()),
        (_, Some(r)) => format!("{} ({})", opts.target, r.url()),
        _ => opts.target.to_string(),
    };
    // The notification HMAC key is a secret like the credentials.
    let redactor = Redactor::new(
        endpoints.iter().flat_map(|e| e.secrets.clone()).chain(notifications.as_ref().map(|n| n.hmac_key.clone())),
    );
    let http = RunContext::http_clients(&endpoints, opts.request_timeout).map_err(HarnessError::Setup)?;
    if mock.is_none() {
        preflight(&endpoints, &http).await?;
    }
    // A twin in variance mode stands in for a vendor's sandbox: it is no twin to @twin
    // scenarios, and its events are asynchronous.
    let twin = match &opts.target {
        Target::Sandbox => opts.variance.is_none(),
        Target::Live => false,
        Target::Url(root) => is_twin(root, &http).await,
        Target::Replay(_) => is_twin(root.as_deref().unwrap_or(""), &http).await,
    };
    if !opts.scenarios {
        features.clear();
    }
    let recording = match &opts.record {
        Some(path) => {
            let secrets = endpoints.iter().flat_map(|e| e.secrets.clone());
            let secrets = secrets.chain(notifications.as_ref().map(|n| n.hmac_key.clone()));
            let meta = crate::record::RecordingMeta { target: recorded_target(opts), twin };
            let writer = crate::record::HarWriter::create_with(path, secrets, Some(&meta))
                .map_err(|e| HarnessError::Usage(format!("--record {}: {e}", path.display())))?;
            Some(crate::record::SharedRecording::new(writer))
        }
        None => None,
    };
    let planned = Arc::new(plan(&mut features, tags.as_ref(), &endpoints, twin, no_notifications.as_deref()));
    let ctx = Arc::new(RunContext {
        max_response_body: opts.max_response_body,
        http,
        endpoints,
        // Worldpay: "It can take up to 15 minutes for a payment event to update".
        event_wait: opts.event_wait.unwrap_or(if twin { Duration::ZERO } else { WORLDPAY_EVENT_WAIT }),
        twin,
        sink: Mutex::new(BTreeMap::new()),
        run_tag: format!("{:x}", rand::random::<u32>()),
        notification_wait: if twin { Duration::from_secs(10) } else { Duration::from_secs(60) },
        checks: opts.checks.clone(),
        notifications,
        recording,
    });
    let mut seen = run_scenarios(opts, &ctx, features, planned.clone(), &redactor).await;
    let mut sink = std::mem::take(&mut *ctx.sink.lock().unwrap_or_else(|p| p.into_inner()));
    // The collector is done with its share: the sweep adds to the list itself.
    let mut planned = Arc::unwrap_or_clone(planned);
    if opts.sweep {
        run_sweep(opts, &ctx, tags.as_ref(), &mut planned, &mut seen, &mut sink, &redactor).await;
    }
    if let Some(server) = mock {
        server.shutdown().await;
    }
    let misses = match replay {
        Some(server) => server.shutdown().await,
        None => Vec::new(),
    };
    if let (Some(r), Some(n)) = (&ctx.recording, &ctx.notifications) {
        record_notifications(r, n);
    }
    if let Some(r) = &ctx.recording {
        r.finish().map_err(|e| HarnessError::Setup(format!("the recording could not be written: {e}")))?;
    }
    let info = crate::report::RunInfo { target: target_label, elapsed: started.elapsed(), started_at, twin };
    let mut report = super::assemble::report(info, &planned, seen, sink, &redactor);
    report.replay_misses = misses
        .iter()
        .map(|m| {
            let near = m.nearest.as_deref().map(|n| format!("; nearest recorded: {n}")).unwrap_or_default();
            redactor.clean(&format!("{}{near}", m.request))
        })
        .collect();
    Ok(report)
}

/// The Adyen notifications the run received, oldest first, into its recording: a
/// replay sends them again.
fn record_notifications(r: &crate::record::SharedRecording, n: &super::webhooks::Notifications) {
    let kept: Vec<Value> = n.receiver.received.lock().unwrap_or_else(|p| p.into_inner()).newest_first().collect();
    for envelope in kept.into_iter().rev() {
        let ex = crate::client::Exchange {
            operation: String::new(),
            method: "POST".into(),
            url: n.receiver.url(),
            request_headers: vec![("content-type".into(), "application/json".into())],
            request_body: Some(envelope.to_string().into_bytes()),
            status: Some(200),
            response_headers: vec![("content-type".into(), "text/plain".into())],
            response_body: b"[accepted]".to_vec(),
            error: None,
            oversized: None,
            elapsed: std::time::Duration::ZERO,
        };
        let cx = crate::record::Context { api: Some(Api::Adyen), notification: true, ..Default::default() };
        r.write(&ex, cx);
    }
}

/// What a recording names as its target: the kind of target and its variance seed (not
/// the embedded twin's random port).
fn recorded_target(opts: &CheckOptions) -> String {
    match (&opts.target, opts.variance) {
        (Target::Sandbox, Some(seed)) => format!("sandbox (variance {seed})"),
        (target, _) => target.to_string(),
    }
}

/// `--tags`, parsed.
fn tag_expression(opts: &CheckOptions) -> Result<Option<gherkin::tagexpr::TagOperation>, HarnessError> {
    match opts.tags.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t
            .parse::<gherkin::tagexpr::TagOperation>()
            .map(Some)
            .map_err(|e| HarnessError::Usage(format!("--tags {t:?} is not a tag expression: {e}"))),
        None => Ok(None),
    }
}

/// Options that cannot work together, or name nothing.
fn check_usage(opts: &CheckOptions) -> Result<(), HarnessError> {
    if opts.variance.is_some() && opts.target != Target::Sandbox {
        return Err(HarnessError::Usage(
            "--variance starts a varied twin, so it needs --target sandbox; \
             for a twin elsewhere, start it with payconform sandbox --variance SEED"
                .into(),
        ));
    }
    for name in &opts.operations {
        let known = Api::ALL
            .iter()
            .flat_map(|a| &crate::spec::spec(*a).operations)
            .any(|o| o.operation_id == *name || o.method == *name);
        if !known {
            return Err(HarnessError::Usage(format!(
                "--operations: no operation is named {name:?} (see payconform lint or GET / on a twin)"
            )));
        }
    }
    Ok(())
}

/// How long an event step waits on a target that is not a twin, unless `--event-wait`
/// says otherwise: Worldpay's documented "up to 15 minutes for a payment event to
/// update" (its query-a-payment pages). Adyen has no event query; its notifications
/// have their own wait.
pub const WORLDPAY_EVENT_WAIT: Duration = Duration::from_secs(15 * 60);

/// Adyen notifications: the built-in twin sends them to a receiver of the harness's,
/// signed with a key made for the run; elsewhere the user routes them to
/// `--webhook-listen`, signed with ADYEN_HMAC_KEY. Without a receiver, why
/// `@notifications` scenarios are skipped.
async fn notifications(
    opts: &CheckOptions,
) -> Result<(Option<super::webhooks::Notifications>, Option<String>), HarnessError> {
    let key = opts.env.get("ADYEN_HMAC_KEY").filter(|k| !k.trim().is_empty());
    match (&opts.target, opts.webhook_listen, key) {
        (Target::Sandbox | Target::Replay(_), _, _) => {
            let hmac_key = hex::encode(rand::random::<[u8; 32]>());
            let receiver = super::webhooks::Receiver::start(
                ([127, 0, 0, 1], 0).into(),
                hmac_key.clone(),
                crate::sandbox::Limits::default(),
            )
            .await
            .map_err(|e| HarnessError::Setup(format!("cannot start the notification receiver: {e}")))?;
            Ok((Some(super::webhooks::Notifications { receiver, hmac_key }), None))
        }
        (_, Some(addr), Some(key)) => {
            if hex::decode(key.trim()).is_err() {
                return Err(HarnessError::Usage(
                    "ADYEN_HMAC_KEY is not hexadecimal (Adyen's Customer Area shows it as hex)".into(),
                ));
            }
            let receiver =
                super::webhooks::Receiver::start(addr, key.trim().to_string(), crate::sandbox::Limits::default())
                    .await
                    .map_err(|e| HarnessError::Usage(format!("--webhook-listen {addr}: cannot listen there: {e}")))?;
            Ok((Some(super::webhooks::Notifications { receiver, hmac_key: key.trim().to_string() }), None))
        }
        (_, listen, key) => Ok((
            None,
            Some(format!(
                "tagged @notifications: waits for Adyen notifications, and this run has no receiver \
                 (needs --webhook-listen ADDR{} and ADYEN_HMAC_KEY{}; route your Adyen webhook to that address)",
                if listen.is_some() { " (given)" } else { "" },
                if key.is_some() { " (set)" } else { "" },
            )),
        )),
    }
}

/// The embedded twin, served by the same hyper server as `payconform sandbox` (not
/// wiremock, whose drop blocks on its state inside the runtime and could hang a run).
async fn embedded_twin(
    opts: &CheckOptions,
    notifications: Option<&super::webhooks::Notifications>,
) -> Result<crate::sandbox::SandboxServer, HarnessError> {
    let webhook = notifications.map(|n| crate::sandbox::WebhookConfig::prompt(n.receiver.url(), n.hmac_key.clone()));
    let twin = Twin::new(crate::sandbox::TwinConfig { variance: opts.variance, webhook, ..Default::default() });
    crate::sandbox::SandboxServer::start(twin, ([127, 0, 0, 1], 0).into())
        .await
        .map_err(|e| HarnessError::Setup(format!("cannot start the embedded twin: {e}")))
}

/// How many scenarios (or sweep entries) run at once.
fn concurrency(opts: &CheckOptions) -> usize {
    opts.concurrency.unwrap_or(if opts.target == Target::Live { 4 } else { 32 }).max(1)
}

/// The Gherkin scenarios, through cucumber; what each did, by scenario id.
async fn run_scenarios(
    opts: &CheckOptions,
    ctx: &Arc<RunContext>,
    features: Vec<gherkin::Feature>,
    planned: Arc<Vec<Planned>>,
    redactor: &Redactor,
) -> BTreeMap<usize, Seen> {
    let to_run = planned.iter().filter(|p| p.skip.is_none()).count();
    let seen = Arc::new(Mutex::new(BTreeMap::new()));
    if to_run > 0 {
        let collector = Collector {
            ctx: ctx.clone(),
            seen: seen.clone(),
            planned,
            redactor: redactor.clone(),
            progress: opts.progress,
            total: to_run,
            done: 0,
        };
        let before_ctx = ctx.clone();
        let after_ctx = ctx.clone();
        ConformanceWorld::cucumber::<PathBuf>()
            .with_parser(Preparsed(features))
            .with_writer(writer::AssertNormalized::new(collector))
            .max_concurrent_scenarios(concurrency(opts))
            .before(move |_, _, sc, w| {
                w.ctx = Some(before_ctx.clone());
                w.id = scenario_id(sc).unwrap_or(usize::MAX);
                async {}.boxed_local()
            })
            .after(move |_, _, sc, _, w| {
                if let (Some(w), Some(id)) = (w, scenario_id(sc)) {
                    let records: Vec<ExchangeRecord> = std::mem::take(&mut w.records);
                    after_ctx.sink.lock().unwrap_or_else(|p| p.into_inner()).insert(id, records);
                }
                async {}.boxed_local()
            })
            .with_default_cli()
            .run(())
            .await;
    }
    std::mem::take(&mut *seen.lock().unwrap_or_else(|p| p.into_inner()))
}

/// The sweep, after the scenarios: one entry per operation, selected by `--tags` like
/// a scenario (each carries `@sweep` and its API's short name).
async fn run_sweep(
    opts: &CheckOptions,
    ctx: &Arc<RunContext>,
    tags: Option<&gherkin::tagexpr::TagOperation>,
    planned: &mut Vec<Planned>,
    seen: &mut BTreeMap<usize, Seen>,
    sink: &mut BTreeMap<usize, Vec<ExchangeRecord>>,
    redactor: &Redactor,
) {
    let mut todo = Vec::new();
    for (api, op) in super::sweep::operations(ctx, &opts.operations) {
        let p = super::sweep::plan(ctx, api, op);
        if tags.is_some_and(|t| !t.eval(p.tags.iter())) {
            continue;
        }
        if p.skip.is_none() {
            todo.push((planned.len(), api, op));
        }
        planned.push(p);
    }
    for (id, s, records) in super::sweep::run(ctx.clone(), todo, concurrency(opts)).await {
        if opts.progress {
            let mark = if s.steps.iter().any(|st| st.status == Status::Failed) { "FAIL" } else { "ok  " };
            eprintln!("sweep {mark} {}", redactor.clean(&planned[id].name));
        }
        seen.insert(id, s);
        sink.insert(id, records);
    }
}
