//! `payconform check` against hostile servers (issue: hardening): redirects, huge and
//! endless bodies, stalls, unreachable targets, and servers that echo secrets.

mod common;
use common::payconform;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use payconform::harness::{CheckOptions, Env, RunReport, Target, run};
use payconform::sandbox::twin_request;
use payconform::sandbox::{Twin, TwinResponse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A server that answers every request with what `answer` writes, then closes.
async fn hostile<F, Fut>(answer: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                // Read the request head (and whatever body came with it).
                let mut buf = vec![0u8; 64 * 1024];
                let _ = tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await;
                answer(s).await;
            });
        }
    });
    url
}

/// A listener that only counts who connects to it.
async fn counter() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((_s, _)) = listener.accept().await {
            h.fetch_add(1, Ordering::SeqCst);
        }
    });
    (url, hits)
}

fn options(url: &str, tags: &str) -> CheckOptions {
    let mut opts = CheckOptions::new(Target::Url(url.into()));
    opts.env = Env::from([
        ("WORLDPAY_USERNAME".to_string(), "user".to_string()),
        ("WORLDPAY_PASSWORD".to_string(), "pw-secret".to_string()),
        ("WORLDPAY_ENTITY".to_string(), "default".to_string()),
        ("ADYEN_API_KEY".to_string(), "AQE-key-secret".to_string()),
        ("ADYEN_MERCHANT_ACCOUNT".to_string(), "Acme".to_string()),
    ]);
    opts.tags = Some(tags.into());
    opts
}

fn messages(report: &RunReport) -> Vec<String> {
    report.scenarios.iter().flat_map(|s| &s.violations).map(|v| format!("{} {}", v.json_path, v.message)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_never_followed_and_are_reported() {
    let (elsewhere, hits) = counter().await;
    for location in [format!("{elsewhere}/steal"), "https://access.worldpay.com/cardPayments/x".to_string()] {
        let loc = location.clone();
        let url = hostile(move |mut s| {
            let loc = loc.clone();
            async move {
                let head = format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {loc}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                let _ = s.write_all(head.as_bytes()).await;
            }
        })
        .await;
        let report = run(&options(&url, "@adyen or @worldpay-v7")).await.expect("the run starts");
        assert!(!report.passed());
        let found = messages(&report);
        assert!(found.iter().any(|m| m.contains("status 307 is not documented") && m.contains(&location)), "{found:?}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(hits.load(Ordering::SeqCst), 0, "a request (with its credentials and card data) reached the other host");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_body_is_capped_and_the_run_writes_its_report() {
    let url = hostile(|mut s| async move {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        if s.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
        // Endless for the client; bounded here (1 GiB), and stops when the client hangs up.
        for _ in 0..16 * 1024 {
            if s.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await;
    let mut opts = options(&url, "@adyen");
    opts.max_response_body = 256 * 1024;
    let report = run(&opts).await.expect("the run finishes");
    let found = messages(&report);
    assert!(found.iter().any(|m| m.contains("larger than the 262144-byte cap")), "{found:?}");
    assert!(
        !found.iter().any(|m| m.contains("cannot decode")),
        "one problem is reported once, not again as a decode failure: {found:?}"
    );
    assert!(report.to_json().contains("262144-byte cap"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_body_is_a_transport_error_not_a_violation() {
    let url = hostile(|mut s| async move {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"pspRef";
        let _ = s.write_all(head.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let mut opts = options(&url, "@adyen");
    opts.request_timeout = Duration::from_secs(1);
    opts.concurrency = Some(64);
    let report = run(&opts).await.expect("the run finishes");
    assert!(!report.passed());
    let found = messages(&report);
    assert!(found.is_empty(), "a stall is no spec violation: {found:?}");
    let transport: Vec<&String> = report.scenarios.iter().flat_map(|s| &s.transport_errors).collect();
    assert!(
        !transport.is_empty() && transport.iter().all(|t| t.contains("timed out talking to 127.0.0.1")),
        "{transport:?}"
    );
    let summary = report.summary();
    assert!(summary.contains(", 0 violations") && summary.contains("transport errors:"), "{summary}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_target_is_one_line_and_exit_2() {
    let o = tokio::task::block_in_place(|| payconform(&["check", "--target", "http://127.0.0.1:1"], &[]));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("connection refused by 127.0.0.1:1"), "{err}");
    assert!(o.stdout.is_empty(), "nothing ran: {}", String::from_utf8_lossy(&o.stdout));

    // https:// against a plain-HTTP twin names TLS.
    let srv = payconform::sandbox::SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let tls = srv.url().replace("http://", "https://");
    let o = tokio::task::block_in_place(|| payconform(&["check", "--target", &tls], &[]));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("TLS handshake with 127.0.0.1") && err.contains("use an http:// URL"), "{err}");
    srv.shutdown().await;
}

/// A twin that echoes the request's credentials back in every answer, as a careless
/// or hostile server might.
struct Echo(Twin);

impl Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let req = twin_request(request);
        let TwinResponse { status, content_type, mut body, .. } = self.0.handle(&req);
        let auth = req.header("authorization").unwrap_or("").to_string();
        if let Some(o) = body.as_object_mut() {
            o.insert("echo".into(), auth.clone().into());
            o.insert("echoDecoded".into(), decode(&auth).into());
            o.insert("echoEscaped".into(), "pw%20s3cret%2F1".into());
        }
        ResponseTemplate::new(status).set_body_raw(serde_json::to_vec(&body).unwrap(), content_type)
    }
}

fn decode(auth: &str) -> String {
    let b64 = auth.trim_start_matches("Basic ");
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap_or_default()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_encoding_of_a_secret_and_no_card_number_reaches_any_output() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Echo(Twin::default())).mount(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let features = dir.path().join("f");
    std::fs::create_dir(&features).unwrap();
    std::fs::write(
        features.join("echo.feature"),
        "Feature: Echo\n\n  Background:\n    Given the worldpay-v7 API\n\n\
         \x20 @4444333322221111\n\
         \x20 Scenario: Card 4444 3333 2222 1111 and 4444-3333-2222-1111\n\
         \x20   When I authorize 100 GBP\n\
         \x20   Then the outcome is \"nope\"\n\n\
         \x20 Scenario: A step that names the password\n\
         \x20   When I authorize 100 GBP\n\
         \x20   Then the response field \"pw s3cret/1\" is \"x\"\n\n\
         \x20 Scenario: Twelve Devanagari digits १२३४५६७८९०१२ and a card ४४४४३३३३२२२२११११\n\
         \x20   When I authorize 100 GBP\n\
         \x20   Then the outcome is \"nope\"\n",
    )
    .unwrap();
    let paths = ["r.xml", "r.json", "r.html"].map(|n| dir.path().join(n));
    let [junit, json, html] = paths.each_ref().map(|p| p.to_str().unwrap());
    let uri = server.uri();
    let args = [
        "check",
        "--target",
        &uri,
        "--features",
        features.to_str().unwrap(),
        "--junit",
        junit,
        "--json",
        json,
        "--html",
        html,
    ];
    let env = [("WORLDPAY_USERNAME", "merchant"), ("WORLDPAY_PASSWORD", "pw s3cret/1"), ("WORLDPAY_ENTITY", "default")];
    let o = tokio::task::block_in_place(|| payconform(&args, &env));
    let console = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "the scenarios fail, nothing panics: {console}");
    assert!(console.contains("<redacted>"), "the echo reached the console, redacted: {console}");
    let basic = base64::engine::general_purpose::STANDARD.encode("merchant:pw s3cret/1");
    let mut outputs = vec![("console", console)];
    for p in &paths {
        outputs.push((p.file_name().unwrap().to_str().unwrap(), std::fs::read_to_string(p).unwrap()));
    }
    for (name, text) in &outputs {
        for leak in [
            basic.as_str(),
            "pw s3cret/1",
            "pw%20s3cret%2F1",
            "s3cret",
            "4444333322221111",
            "4444 3333",
            "4444-3333",
            "४४४४३३३३",
        ] {
            assert!(!text.contains(leak), "{name} contains {leak:?}:\n{text}");
        }
    }
    let json: serde_json::Value = serde_json::from_str(&outputs[2].1).unwrap();
    let names: Vec<&str> = json["scenarios"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Card ****1111 and ****1111"), "{names:?}");
    assert!(names.iter().any(|n| n.contains("१२३४५६७८९०१२") && n.contains("****११११")), "{names:?}");
    let tags = &json["scenarios"][0]["tags"];
    assert_eq!(tags, &serde_json::json!(["****1111"]), "tags are masked too");
}
