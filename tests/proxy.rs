//! `payconform proxy` (issue 22): a clean flow through it has no finding; a broken
//! client and a broken upstream are flagged by operation and JSON path, the over-settle
//! by the lifecycle rule and not by the schema; the recording opens in a strict HAR 1.2
//! parser; and the proxy survives hostile clients and upstreams.

use std::time::Duration;

use payconform::proxy::{ANNOTATION_HEADER, Proxy, ProxyConfig};
use payconform::sandbox::{SandboxServer, Twin};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const V7: &str = "application/vnd.worldpay.payments-v7+json";

fn v7_authorize(reference: &str, amount: i64) -> Value {
    json!({
        "transactionReference": reference, "merchant": {"entity": "default"}, "channel": "ecom",
        "instruction": {"requestAutoSettlement": {"enabled": false}, "narrative": {"line1": "Shop"},
          "value": {"amount": amount, "currency": "GBP"},
          "paymentInstrument": {"type": "card/plain", "cardNumber": "4444333322221111", "cvc": "123",
            "expiryDate": {"month": 5, "year": 2030}}}})
}

struct Setup {
    proxy: Proxy,
    har: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

async fn proxy_to(upstream: &str, tweak: impl FnOnce(&mut ProxyConfig)) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("run.har");
    let mut config = ProxyConfig::new(upstream.parse().unwrap());
    config.record = Some(har.clone());
    tweak(&mut config);
    let proxy = Proxy::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    Setup { proxy, har, _dir: dir }
}

async fn send(
    url: &str,
    verb: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut req = client.request(verb.parse().unwrap(), url);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Every finding of the report: (exchange index, check, side, json_path, message).
fn findings(report: &payconform::RunReport) -> Vec<(usize, String, String, String, String)> {
    report
        .scenarios
        .iter()
        .flat_map(|s| {
            s.violations.iter().map(move |v| {
                (s.line, v.check.clone(), v.side.clone(), v.json_path.clone(), format!("{} {}", v.operation, v.message))
            })
        })
        .collect()
}

/// The recording, read by the `har` crate's strict HAR 1.2 types (not ours).
fn strict_har(path: &std::path::Path) -> har::v1_2::Log {
    match har::from_path(path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display())).log {
        har::Spec::V1_2(log) => log,
        other => panic!("not HAR 1.2: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_adyen_flow_through_the_proxy_has_no_finding_and_is_recorded() {
    let twin = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let s = proxy_to(&twin.url(), |c| c.annotate = true).await;
    let base = format!("{}/pal/servlet/Payment/v68", s.proxy.url());
    let key = [("x-api-key", "AQEsecret-key-of-the-merchant"), ("content-type", "application/json")];
    let auth = json!({"merchantAccount": "M", "reference": "order-1", "amount": {"value": 1000, "currency": "EUR"},
        "card": {"number": "4111111111111111", "expiryMonth": "03", "expiryYear": "2030", "cvc": "737", "holderName": "A Shopper"}});
    let (status, headers, body) = send(&format!("{base}/authorise"), "POST", &key, Some(&auth)).await;
    assert_eq!((status, headers.get(ANNOTATION_HEADER).unwrap().to_str().unwrap()), (200, "none"));
    let psp = body["pspReference"].as_str().unwrap().to_string();
    for op in ["capture", "refund"] {
        let m = json!({"merchantAccount": "M", "originalReference": psp, "modificationAmount": {"value": 1000, "currency": "EUR"}});
        let (status, _, body) = send(&format!("{base}/{op}"), "POST", &key, Some(&m)).await;
        assert_eq!((status, body["response"].as_str()), (200, Some(format!("[{op}-received]").as_str())));
    }
    let cancel = json!({"merchantAccount": "M", "originalReference": psp});
    send(&format!("{base}/cancel"), "POST", &key, Some(&cancel)).await;
    let report = s.proxy.shutdown().await.unwrap().report;
    assert_eq!((report.exchanges, findings(&report)), (4, vec![]));
    let log = strict_har(&s.har);
    assert_eq!(log.entries.len(), 4);
    let text = std::fs::read_to_string(&s.har).unwrap();
    assert!(
        !text.contains("4111111111111111") && !text.contains("AQEsecret") && !text.contains("\\\"737\\\""),
        "{text}"
    );
    // The card is the same pseudonym wherever it appears; the pspReference is kept.
    assert!(text.contains("****1111#1") && text.contains(&psp), "{text}");
    twin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_client_is_flagged_by_operation_and_json_path() {
    let twin = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let s = proxy_to(&twin.url(), |_| {}).await;
    let url = s.proxy.url();
    let basic = [("authorization", "Basic dXNlcjpwYXNzd29yZA=="), ("content-type", V7), ("accept", V7)];
    // 1. A Payments API request without WP-Api-Version.
    let payment = json!({"transactionReference": "p-1", "merchant": {"entity": "default"},
        "instruction": {"method": "card", "narrative": {"line1": "Shop"}, "value": {"amount": 100, "currency": "GBP"},
          "paymentInstrument": {"type": "plain", "cardHolderName": "A B", "cardNumber": "4000000000001091",
            "expiryDate": {"month": 5, "year": 2035}}}});
    let json_headers = [("authorization", "Basic dXNlcjpwYXNzd29yZA=="), ("content-type", "application/json")];
    send(&format!("{url}/api/payments"), "POST", &json_headers, Some(&payment)).await;
    // 2. An amount as a string.
    let mut bad = v7_authorize("r-2", 100);
    bad["instruction"]["value"]["amount"] = json!("100");
    send(&format!("{url}/cardPayments/customerInitiatedTransactions"), "POST", &basic, Some(&bad)).await;
    // 3. A link no answer offered.
    send(&format!("{url}/payments/settlements/full/bm90LW9mZmVyZWQ"), "POST", &basic, None).await;
    let report = s.proxy.shutdown().await.unwrap().report;
    let found = findings(&report);
    let has = |i: usize, check: &str, path: &str| found.iter().any(|f| f.0 == i && f.1 == check && f.3 == path);
    assert!(has(0, "headers", "WP-Api-Version"), "{found:#?}");
    assert!(found.iter().any(|f| f.0 == 0 && f.4.starts_with("payment ")), "names the operation: {found:#?}");
    assert!(has(1, "request_body", "$.instruction.value.amount"), "{found:#?}");
    assert!(has(2, "lifecycle.offered", "url"), "{found:#?}");
    assert!(found.iter().all(|f| f.2 == "request"), "the twin answered as documented: {found:#?}");
    twin.shutdown().await;
}

/// An upstream that authorises 1000, then accepts two partial settles of 600 each, drops
/// `outcome` from one answer and answers an undocumented 418.
async fn broken_upstream() -> MockServer {
    let up = MockServer::start().await;
    let links = |base: &str| {
        json!({
            "cardPayments:partialSettle": {"href": format!("{base}/payments/settlements/partials/TOKEN")},
            "cardPayments:cancel": {"href": format!("{base}/payments/authorizations/cancellations/TOKEN")}})
    };
    let base = up.uri();
    Mock::given(method("POST"))
        .and(path("/cardPayments/customerInitiatedTransactions"))
        .and(wiremock::matchers::body_string_contains("good"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_raw(json!({"outcome": "authorized", "_links": links(&base)}).to_string(), V7),
        )
        .mount(&up)
        .await;
    Mock::given(method("POST"))
        .and(path("/cardPayments/customerInitiatedTransactions"))
        .and(wiremock::matchers::body_string_contains("dropped"))
        .respond_with(ResponseTemplate::new(201).set_body_raw(json!({"_links": {}}).to_string(), V7))
        .mount(&up)
        .await;
    Mock::given(method("POST"))
        .and(path("/cardPayments/customerInitiatedTransactions"))
        .and(wiremock::matchers::body_string_contains("teapot"))
        .respond_with(ResponseTemplate::new(418).set_body_raw(json!({}).to_string(), V7))
        .mount(&up)
        .await;
    Mock::given(method("POST"))
        .and(path("/payments/settlements/partials/TOKEN"))
        .respond_with(ResponseTemplate::new(202).set_body_raw(json!({"_links": links(&base)}).to_string(), V7))
        .mount(&up)
        .await;
    up
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_upstream_is_flagged_and_the_over_settle_by_the_lifecycle() {
    let up = broken_upstream().await;
    let s = proxy_to(&up.uri(), |_| {}).await;
    let url = s.proxy.url();
    let h = [("authorization", "Basic dXNlcjpwYXNzd29yZA=="), ("content-type", V7), ("accept", V7)];
    let auth = format!("{url}/cardPayments/customerInitiatedTransactions");
    send(&auth, "POST", &h, Some(&v7_authorize("good", 1000))).await;
    let settle = json!({"value": {"amount": 600, "currency": "GBP"}, "reference": "s1"});
    let partial = format!("{url}/payments/settlements/partials/TOKEN");
    send(&partial, "POST", &h, Some(&settle)).await;
    send(&partial, "POST", &h, Some(&settle)).await;
    send(&auth, "POST", &h, Some(&v7_authorize("dropped", 1))).await;
    send(&auth, "POST", &h, Some(&v7_authorize("teapot", 1))).await;
    let report = s.proxy.shutdown().await.unwrap().report;
    let found = findings(&report);
    // The second settle: a money finding on the upstream's side, resting on all three
    // exchanges, and no schema violation (its answer is well-formed).
    let on2: Vec<_> = found.iter().filter(|f| f.0 == 2).collect();
    assert_eq!(on2.len(), 1, "{found:#?}");
    assert_eq!(
        (on2[0].1.as_str(), on2[0].2.as_str(), on2[0].3.as_str()),
        ("lifecycle.money", "response", "$.value.amount")
    );
    assert!(on2[0].4.contains("rests on exchanges #0, #1, #2"), "{}", on2[0].4);
    assert!(found.iter().all(|f| f.0 != 1), "the first settle is within the amount: {found:#?}");
    assert!(found.iter().any(|f| f.0 == 3 && f.1 == "response_body" && f.4.contains("outcome")), "{found:#?}");
    assert!(found.iter().any(|f| f.0 == 4 && f.1 == "status" && f.4.contains("418")), "{found:#?}");
    // The recording carries the findings too.
    let log = strict_har(&s.har);
    assert_eq!(log.entries.len(), 5);
    let raw: Value = serde_json::from_str(&std::fs::read_to_string(&s.har).unwrap()).unwrap();
    assert_eq!(raw["log"]["entries"][2]["_payconform"]["findings"][0]["check"], "lifecycle.money");
    assert_eq!(raw["log"]["entries"][2]["_payconform"]["findings"][0]["rests_on"], json!([0, 1, 2]));
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_passed_on_and_never_followed() {
    let up = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "http://elsewhere.invalid/steal"))
        .mount(&up)
        .await;
    let s = proxy_to(&up.uri(), |_| {}).await;
    let h = [("x-api-key", "k-123456"), ("content-type", "application/json")];
    let url = format!("{}/pal/servlet/Payment/v40/authorise", s.proxy.url());
    let (status, headers, _) = send(&url, "POST", &h, Some(&json!({}))).await;
    assert_eq!((status, headers["location"].to_str().unwrap()), (302, "http://elsewhere.invalid/steal"));
    assert_eq!(up.received_requests().await.unwrap().len(), 1);
    let report = s.proxy.shutdown().await.unwrap().report;
    assert!(
        findings(&report).iter().any(|f| f.1 == "status" && f.4.contains("never followed")),
        "{:?}",
        findings(&report)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_upstream_is_a_clear_502_and_stays_in_the_recording() {
    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let s = proxy_to(&dead, |_| {}).await;
    let h = [("x-api-key", "k-123456"), ("content-type", "application/json")];
    let url = format!("{}/pal/servlet/Payment/v40/authorise", s.proxy.url());
    let (status, _, body) = send(&url, "POST", &h, Some(&json!({"reference": "x"}))).await;
    assert_eq!((status, body["payconform"]["error"].as_str()), (502, Some("upstream_unreachable")), "{body}");
    // An upstream that breaks off in the middle of its body.
    let broken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let broken_url = format!("http://{}", broken.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut c, _)) = broken.accept().await {
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf).await;
            let _ = c
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"psp")
                .await;
        }
    });
    let s2 = proxy_to(&broken_url, |_| {}).await;
    let url2 = format!("{}/pal/servlet/Payment/v40/authorise", s2.proxy.url());
    let client = reqwest::Client::new();
    let r = client.post(&url2).header("x-api-key", "k-123456").body("{}").send().await.unwrap();
    assert!(r.bytes().await.is_err(), "the client sees the body break off too");
    for (setup, why) in [(s, "could not be reached"), (s2, "broke off")] {
        let report = setup.proxy.shutdown().await.unwrap().report;
        assert_eq!(report.summary.transport_errors, 1);
        let log = strict_har(&setup.har);
        assert_eq!(log.entries.len(), 1, "nothing is lost from the recording");
        let comment = log.entries[0].comment.clone().unwrap_or_default();
        assert!(comment.contains(why), "{comment}");
    }
}

/// A client that reads the status and drops the answer (as many do) does not undo what
/// the upstream did: the proxy reads the answer to its end and records and judges it
/// whole. The upstream sends its body only after the client has gone.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_leaves_after_the_head_still_gets_the_answer_recorded_whole() {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up_url = format!("http://{}", upstream.local_addr().unwrap());
    let answer = r#"{"pspReference":"8815000000000001","resultCode":"Authorised","authCode":"123"}"#;
    tokio::spawn(async move {
        while let Ok((mut c, _)) = upstream.accept().await {
            let mut buf = [0u8; 8192];
            let _ = c.read(&mut buf).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                answer.len()
            );
            let _ = c.write_all(head.as_bytes()).await;
            tokio::time::sleep(Duration::from_millis(400)).await;
            let _ = c.write_all(answer.as_bytes()).await;
        }
    });
    let s = proxy_to(&up_url, |_| {}).await;
    let url = format!("{}/pal/servlet/Payment/v40/authorise", s.proxy.url());
    let r = reqwest::Client::new()
        .post(&url)
        .header("x-api-key", "k-123456")
        .header("content-type", "application/json")
        .body(r#"{"merchantAccount":"M","reference":"r1","amount":{"value":1000,"currency":"EUR"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    drop(r);
    // The shutdown waits for the answer still being read.
    let report = s.proxy.shutdown().await.unwrap().report;
    assert_eq!(report.summary.transport_errors, 0, "the upstream answered in full");
    let log = strict_har(&s.har);
    assert_eq!(log.entries.len(), 1);
    let text = log.entries[0].response.content.text.clone().unwrap_or_default();
    assert!(text.contains("\"resultCode\":\"Authorised\""), "the whole answer is recorded: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_and_huge_requests_get_the_proxys_own_answer() {
    let twin = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let s = proxy_to(&twin.url(), |c| {
        c.limits.body_timeout = Duration::from_millis(300);
        c.max_request_body = 64 * 1024;
    })
    .await;
    let addr = s.proxy.url().trim_start_matches("http://").to_string();
    // A body that never arrives.
    let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
    c.write_all(b"POST /pal/servlet/Payment/v40/authorise HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{")
        .await
        .unwrap();
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), c.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A body over the cap, declared and chunked: 413 from the proxy, whose connection
    // then closes (the rest of the body is never read).
    let url = format!("{}/pal/servlet/Payment/v40/authorise", s.proxy.url());
    for head in ["content-length: 204800\r\n", "transfer-encoding: chunked\r\n"] {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let request = format!("POST /pal/servlet/Payment/v40/authorise HTTP/1.1\r\nhost: x\r\n{head}\r\n");
        c.write_all(request.as_bytes()).await.unwrap();
        let chunk = format!("2000\r\n{}\r\n", "x".repeat(0x2000));
        // Declared: the answer comes before any body byte. Chunked: just past the cap,
        // so that no unread byte makes the close a reset.
        let chunks = if head.starts_with("transfer") { 9 } else { 0 };
        for _ in 0..chunks {
            c.write_all(chunk.as_bytes()).await.unwrap();
        }
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413") && answer.contains("request_too_large"), "{head}: {answer}");
    }
    // Non-UTF-8 bytes and control characters reach the twin and the recording survives them.
    let r = reqwest::Client::new()
        .post(&url)
        .header("x-api-key", "k-123456")
        .header("content-type", "application/json")
        .body(vec![0xff, 0xfe, b'{', 0x1b, b'}'])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400, "Adyen's documented answer to a body that is not JSON");
    let report = s.proxy.shutdown().await.unwrap().report;
    assert_eq!(
        report.scenarios.len(),
        4,
        "every exchange is counted: {:?}",
        report.scenarios.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    assert_eq!(strict_har(&s.har).entries.len(), 4);
    twin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_answer_is_streamed_through_and_not_kept() {
    let up = MockServer::start().await;
    let body = vec![b'x'; 8 * 1024 * 1024];
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).insert_header("content-type", "application/json").set_body_bytes(body))
        .mount(&up)
        .await;
    let s = proxy_to(&up.uri(), |c| c.max_response_body = 64 * 1024).await;
    let url = format!("{}/pal/servlet/Payment/v40/authorise", s.proxy.url());
    let r = reqwest::Client::new().post(&url).header("x-api-key", "k-123456").body("{}").send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().len(), 8 * 1024 * 1024, "forwarded whole");
    let report = s.proxy.shutdown().await.unwrap().report;
    assert!(findings(&report).iter().any(|f| f.1 == "response_body" && f.4.contains("cap")), "{:?}", findings(&report));
    let size = std::fs::metadata(&s.har).unwrap().len();
    assert!(size < 64 * 1024, "the recording holds no body past the cap: {size} bytes");
}

#[tokio::test(flavor = "multi_thread")]
async fn many_merchants_at_once_each_keep_their_own_pseudonym() {
    let twin = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let s = proxy_to(&twin.url(), |_| {}).await;
    let base = format!("{}/pal/servlet/Payment/v40", s.proxy.url());
    let tasks: Vec<_> = (0..48)
        .map(|i| {
            let base = base.clone();
            tokio::spawn(async move {
                let key = format!("merchant-key-{i:04}");
                let h = [("x-api-key", key.as_str()), ("content-type", "application/json")];
                let auth = json!({"merchantAccount": "M", "reference": format!("o-{i}"), "amount": {"value": 500, "currency": "EUR"},
                    "card": {"number": "5555555555554444", "expiryMonth": "03", "expiryYear": "2030", "cvc": "737", "holderName": "A B"}});
                let (_, _, body) = send(&format!("{base}/authorise"), "POST", &h, Some(&auth)).await;
                let psp = body["pspReference"].as_str().unwrap().to_string();
                let m = json!({"merchantAccount": "M", "originalReference": psp, "modificationAmount": {"value": 500, "currency": "EUR"}});
                send(&format!("{base}/capture"), "POST", &h, Some(&m)).await;
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let report = s.proxy.shutdown().await.unwrap().report;
    assert_eq!((report.exchanges, findings(&report)), (96, vec![]));
    let text = std::fs::read_to_string(&s.har).unwrap();
    assert!(!text.contains("merchant-key-"), "no key is recorded");
    let secrets: std::collections::BTreeSet<&str> =
        text.match_indices("<secret#").map(|(i, _)| &text[i..i + text[i..].find('>').unwrap() + 1]).collect();
    assert_eq!(secrets.len(), 48, "one stable pseudonym per credential");
    twin.shutdown().await;
}

#[tokio::test]
async fn a_bad_upstream_is_refused_with_a_reason() {
    for (url, why) in [("ftp://h/", "http or https"), ("http://u:p@h/", "credentials"), ("http://h/?q=1", "query")] {
        let err = Proxy::start(ProxyConfig::new(url.parse().unwrap()), "127.0.0.1:0".parse().unwrap()).await.err();
        assert!(err.as_ref().is_some_and(|e| e.to_string().contains(why)), "{url}: {err:?}");
    }
}
