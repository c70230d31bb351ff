//! The twin against slow, hostile and noisy clients (issue: hardening). Raw sockets
//! where a well-behaved HTTP client could not misbehave the way an attacker does.

use std::time::Duration;

use base64::Engine;
use payconform::check_exchange;
use payconform::client::Exchange;
use payconform::sandbox::{HISTORY, Twin, TwinRequest};
use payconform::sandbox::{Limits, SandboxServer};
use payconform::spec::Api;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const V7: &str = "application/vnd.worldpay.payments-v7+json";

fn basic(user: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:pw")))
}

fn req(method: &str, path: &str, headers: &[(&str, &str)], body: &Value) -> TwinRequest {
    TwinRequest {
        method: method.into(),
        path: path.into(),
        headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        body: if body.is_null() { Vec::new() } else { serde_json::to_vec(body).unwrap() },
    }
}

fn v7_authorize(amount: Value, instrument: Value) -> Value {
    json!({"transactionReference": "t", "merchant": {"entity": "default"}, "channel": "ecom",
        "instruction": {"requestAutoSettlement": {"enabled": false}, "narrative": {"line1": "x"},
            "value": {"amount": amount, "currency": "GBP", "acceptPartialAmount": true},
            "paymentInstrument": instrument}})
}

fn card() -> Value {
    json!({"type": "card/plain", "cardNumber": "4444333322221111", "expiryDate": {"month": 5, "year": 2035}})
}

fn v7(twin: &Twin, body: &Value) -> (u16, Value) {
    let auth = basic("m");
    let r = twin.handle(&req(
        "POST",
        "/cardPayments/customerInitiatedTransactions",
        &[("authorization", &auth), ("content-type", V7), ("accept", V7), ("host", "h")],
        body,
    ));
    (r.status, r.body)
}

fn payments(twin: &Twin, body: &Value) -> (u16, Value) {
    let auth = basic("m");
    let r = twin.handle(&req(
        "POST",
        "/api/payments",
        &[("authorization", &auth), ("content-type", "application/json"), ("wp-api-version", "2024-06-01")],
        body,
    ));
    (r.status, r.body)
}

fn adyen(twin: &Twin, key: &str, op: &str, body: &Value) -> (u16, Value) {
    let r = twin.handle(&req(
        "POST",
        &format!("/pal/servlet/Payment/v40/{op}"),
        &[("x-api-key", key), ("content-type", "application/json")],
        body,
    ));
    (r.status, r.body)
}

fn adyen_authorise(twin: &Twin, key: &str, value: Value) -> (u16, Value) {
    adyen(
        twin,
        key,
        "authorise",
        &json!({"merchantAccount": "M", "reference": "r", "amount": {"value": value, "currency": "EUR"},
            "card": {"number": "4111111111111111", "expiryMonth": "03", "expiryYear": "2030", "cvc": "737",
                     "holderName": "A"}}),
    )
}

#[test]
fn a_non_ascii_card_number_neither_panics_nor_leaves_state_behind() {
    let twin = Twin::default();
    let token = json!({"type": "card/networkToken", "cardNumber": "12345é"});
    let (status, body) = v7(&twin, &v7_authorize(json!(100), token.clone()));
    assert_eq!(status, 201, "{body}");
    assert!(body.get("paymentInstrument").is_none(), "nothing sliced out of a non-digit number: {body}");
    let p = json!({"transactionReference": "t", "merchant": {"entity": "default"},
        "instruction": {"method": "card", "narrative": {"line1": "x"}, "value": {"amount": 100, "currency": "GBP"},
            "paymentInstrument": token}});
    let (status, body) = payments(&twin, &p);
    assert!(status < 500, "{status} {body}");
}

#[test]
fn amounts_outside_int64_or_in_exponent_form_never_become_another_amount() {
    let twin = Twin::default();
    for big in ["9223372036854775808", "99999999999999999999", "1e308"] {
        let amount: Value = serde_json::from_str(big).unwrap();
        let (status, body) = v7(&twin, &v7_authorize(amount.clone(), card()));
        assert_eq!(status, 400, "{big}: {body}");
        assert_eq!(body["validationErrors"][0]["jsonPath"], "$.instruction.value.amount", "{big}: {body}");
        let (status, body) = adyen_authorise(&twin, "k", amount);
        assert_eq!((status, body["errorCode"].as_str()), (422, Some("100")), "{big}: {body}");
    }
    // A split amount has no minimum: -9223372036854775809 parses as the float -2^63,
    // which is still outside int64 (found by schemathesis).
    let mut split: Value = serde_json::from_str(
        r#"{"merchantAccount": "M", "reference": "r", "amount": {"value": 1, "currency": "EUR"},
            "splits": [{"type": "VAT", "amount": {"value": -9223372036854775809}}]}"#,
    )
    .unwrap();
    let (status, body) = adyen(&twin, "k", "authorise", &split);
    assert_eq!((status, body["errorCode"].as_str()), (422, Some("100")), "{body}");
    split["splits"][0]["amount"]["value"] = json!(i64::MIN);
    assert_eq!(adyen(&twin, "k", "authorise", &split).0, 200, "the lowest int64 is one");
    assert_eq!(twin.payment_count(), 1, "no payment was made from an amount the twin cannot hold");
    // 1.706e3 is the integer 1706 (JSON Schema calls it one); it is held as exactly
    // 1706, the partial-authorization test value, whose answer shows the amount.
    let (status, body) = v7(&twin, &v7_authorize(serde_json::from_str("1.706e3").unwrap(), card()));
    assert_eq!((status, &body["amounts"]["requested"]), (201, &json!(1706)), "{body}");
    // An Adyen capture of 2^64 is refused, not acknowledged.
    let (_, auth) = adyen_authorise(&twin, "k", json!(1000));
    let psp = auth["pspReference"].as_str().unwrap();
    let capture = json!({"merchantAccount": "M", "originalReference": psp,
        "modificationAmount": {"value": serde_json::from_str::<Value>("18446744073709551616").unwrap(), "currency": "EUR"}});
    let (status, body) = adyen(&twin, "k", "capture", &capture);
    assert_eq!(status, 422, "{body}");
}

#[test]
fn credentials_are_compared_exactly() {
    let twin = Twin::default();
    // What a server makes of `victim\xff\xfekey` and `victim\x80\x81key`.
    for key in ["victim\u{fffd}\u{fffd}key", "victim key", "\u{7f}"] {
        let (status, body) = adyen_authorise(&twin, key, json!(1));
        assert_eq!((status, body["errorCode"].as_str()), (401, Some("000")), "{key:?}");
    }
    let (status, _) = adyen_authorise(&twin, "victim-key", json!(1));
    assert_eq!(status, 200);
}

#[tokio::test]
async fn invalid_header_bytes_are_not_a_merchant() {
    let srv = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let body = br#"{"merchantAccount":"M","reference":"r","amount":{"value":1,"currency":"EUR"}}"#;
    let mut head = b"POST /pal/servlet/Payment/v40/authorise HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-API-Key: victim\xff\xfekey\r\n".to_vec();
    head.extend_from_slice(format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()).as_bytes());
    head.extend_from_slice(body);
    let answer = exchange(&srv, &head).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    srv.shutdown().await;
}

#[test]
fn a_payment_keeps_a_bounded_history_and_references_never_collide() {
    let twin = Twin::default();
    let (_, first) = adyen_authorise(&twin, "k", json!(1000));
    let (_, second) = adyen_authorise(&twin, "k", json!(1000));
    let first = first["pspReference"].as_str().unwrap().to_string();
    let mut seen = std::collections::HashSet::from([first.clone(), second["pspReference"].as_str().unwrap().into()]);
    let n = 1_100;
    for _ in 0..n {
        let capture = json!({"merchantAccount": "M", "originalReference": first,
            "modificationAmount": {"value": 5000, "currency": "EUR"}});
        let (status, body) = adyen(&twin, "k", "capture", &capture);
        assert_eq!(status, 200);
        let psp = body["pspReference"].as_str().unwrap().to_string();
        assert!(seen.insert(psp.clone()), "pspReference {psp} given twice");
    }
    let r = twin.handle(&req(
        "GET",
        &format!("/pal/servlet/Payment/v40/__twin/payments/{first}"),
        &[("x-api-key", "k")],
        &Value::Null,
    ));
    assert_eq!(r.body["modifications"].as_array().unwrap().len(), HISTORY);
    assert_eq!(r.body["modificationsTotal"], json!(n));
    assert_eq!(r.body["captured"], json!(0), "every capture over the authorisation failed and moved nothing");
}

#[test]
fn a_known_path_with_an_undeclared_method_gets_405_with_allow() {
    let twin = Twin::default();
    let auth = basic("m");
    let r = twin.handle(&req("TRACE", "/api/payments", &[("authorization", &auth)], &Value::Null));
    assert_eq!((r.status, r.body["errorName"].as_str()), (405, Some("methodNotAllowed")));
    assert_eq!(r.headers, vec![("allow", "POST".to_string())]);
    let r = twin.handle(&req("GET", "/pal/servlet/Payment/v40/authorise", &[("x-api-key", "k")], &Value::Null));
    assert_eq!((r.status, r.content_type, r.body["status"].as_u64()), (405, "application/json", Some(405)));
    assert_eq!(r.headers, vec![("allow", "POST".to_string())]);
    // An unknown path is still 404.
    let r = twin.handle(&req("GET", "/api/nothing-here", &[("authorization", &auth)], &Value::Null));
    assert_eq!(r.status, 404);
}

#[test]
fn the_checker_accepts_the_twins_declared_protective_statuses_only() {
    let ex = |status: u16, body: &[u8]| Exchange {
        operation: "post-authorise".into(),
        method: "POST".into(),
        url: "http://h/pal/servlet/Payment/v40/authorise".into(),
        request_headers: vec![("content-type".into(), "application/json".into())],
        request_body: None,
        status: Some(status),
        response_headers: vec![("content-type".into(), "application/json".into())],
        response_body: body.to_vec(),
        error: None,
        oversized: None,
        elapsed: Duration::ZERO,
    };
    let error = br#"{"status":413,"errorCode":"702","message":"too large","errorType":"validation"}"#;
    for status in [405, 408, 413] {
        assert_eq!(check_exchange(Api::Adyen, &ex(status, error)), vec![], "{status} is declared in spec/");
    }
    assert_eq!(check_exchange(Api::Adyen, &ex(431, b"")), vec![]);
    let v = check_exchange(Api::Adyen, &ex(418, error));
    assert!(v.iter().any(|v| v.message.contains("not documented")), "{v:?}");
}

/// Send raw bytes, read until the server closes (at most 10 s).
async fn exchange(srv: &SandboxServer, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(srv.url().trim_start_matches("http://")).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Read until the server closes the connection; `None` if it is still open after 10 s.
async fn read_until_closed(s: &mut TcpStream) -> Option<String> {
    let mut out = Vec::new();
    match tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

fn quick() -> Limits {
    Limits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(1),
        ..Limits::default()
    }
}

#[tokio::test]
async fn slow_clients_are_cut_off_in_headers_body_and_keep_alive() {
    let srv = SandboxServer::start_with(Twin::default(), "127.0.0.1:0".parse().unwrap(), quick()).await.unwrap();
    let addr = srv.url().trim_start_matches("http://").to_string();
    let auth = basic("m");

    // Silent after connecting.
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    // Stuck in the headers.
    let mut in_headers = TcpStream::connect(&addr).await.unwrap();
    in_headers.write_all(b"POST /api/payments HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // Stuck in the body.
    let mut in_body = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/payments HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nWP-Api-Version: 2024-06-01\r\nContent-Length: 100\r\n\r\n{{\"a\":"
    );
    in_body.write_all(head.as_bytes()).await.unwrap();
    // Idle in keep-alive after one answered request.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();

    assert_eq!(read_until_closed(&mut silent).await.as_deref(), Some(""), "a silent connection is closed");
    assert_eq!(read_until_closed(&mut in_headers).await.as_deref(), Some(""), "stuck headers are cut off");
    let body = read_until_closed(&mut in_body).await.expect("a stalled body is cut off");
    assert!(body.starts_with("HTTP/1.1 408"), "{body}");
    assert!(body.contains("requestTimeout"), "in the API's error shape: {body}");
    let answered = read_until_closed(&mut idle).await.expect("an idle keep-alive connection is closed");
    assert!(answered.starts_with("HTTP/1.1 404"), "the request itself was answered: {answered}");
    srv.shutdown().await;
}

#[tokio::test]
async fn a_body_without_credentials_is_refused_before_it_is_read() {
    // Default limits: had the twin waited for the rest of the body, it would answer only
    // after its 30 s body timeout.
    let srv = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut s = TcpStream::connect(srv.url().trim_start_matches("http://")).await.unwrap();
    s.write_all(
        b"POST /api/payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n",
    )
    .await
    .unwrap();
    s.write_all(&vec![b' '; 512 * 1024]).await.unwrap();
    // The answer comes without the rest of the body and well before any timeout.
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await.expect("answered at once").unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");
    srv.shutdown().await;
}

#[tokio::test]
async fn bodies_in_flight_are_bounded_across_connections() {
    // Budget of one maximal body: a second body waits until the first one's client
    // times out, then is served.
    let limits = Limits { body_budget: 1024 * 1024, ..quick() };
    let srv = SandboxServer::start_with(Twin::default(), "127.0.0.1:0".parse().unwrap(), limits).await.unwrap();
    let addr = srv.url().trim_start_matches("http://").to_string();
    let auth = basic("m");
    let head = |len: usize| {
        format!(
            "POST /api/payments HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nWP-Api-Version: 2024-06-01\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
    };
    let mut hog = TcpStream::connect(&addr).await.unwrap();
    hog.write_all(head(1024 * 1024).as_bytes()).await.unwrap();
    hog.write_all(&vec![b' '; 1024 * 1024 - 10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut small = TcpStream::connect(&addr).await.unwrap();
    small.write_all(format!("{}{{}}", head(2)).as_bytes()).await.unwrap();
    let hog_answer = read_until_closed(&mut hog).await.expect("the hog is cut off");
    assert!(hog_answer.starts_with("HTTP/1.1 408"), "{hog_answer}");
    let answer = read_until_closed(&mut small).await.expect("the small request is served");
    assert!(answer.starts_with("HTTP/1.1 400"), "a schema error for {{}}, so the body was read: {answer}");
    assert!(answer.contains("bodyDoesNotMatchSchema"), "{answer}");
    srv.shutdown().await;
}

#[tokio::test]
async fn a_bad_chunk_size_is_400_not_413() {
    let srv = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let auth = basic("m");
    let raw = format!(
        "POST /api/payments HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nWP-Api-Version: 2024-06-01\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
    );
    let answer = exchange(&srv, raw.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("requestIsMalformed"), "{answer}");
    srv.shutdown().await;
}

/// The standalone binary under a 64-descriptor limit, with more idle clients than
/// descriptors: it neither spins nor stops serving.
#[cfg(target_os = "linux")]
#[test]
fn descriptor_exhaustion_backs_off_and_keeps_serving() {
    // Above the descriptor limit on purpose: accept() itself runs out of descriptors.
    under_64_descriptors(&["--max-connections", "1000"], true);
}

/// The same with the default connection cap, derived from the descriptor limit: the
/// twin stops accepting before it runs out, and serves again as soon as clients leave.
#[cfg(target_os = "linux")]
#[test]
fn the_default_connection_cap_follows_the_descriptor_limit() {
    under_64_descriptors(&[], false);
}

#[cfg(target_os = "linux")]
fn under_64_descriptors(extra: &[&str], wait_for_timeouts: bool) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_payconform"));
    cmd.args(["sandbox", "--addr", "127.0.0.1:0", "--header-timeout", "2", "--idle-timeout", "2", "--threads", "1"]);
    cmd.args(extra);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: 64, rlim_max: 64 };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("payconform sandbox starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line.split_whitespace().nth(1).expect("a base URL line").to_string();
    let addr = url.trim_start_matches("http://").trim_end_matches('/').to_string();

    let idle: Vec<std::net::TcpStream> = (0..70).map(|_| std::net::TcpStream::connect(&addr).unwrap()).collect();
    let cpu = || {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap();
        let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
        // utime and stime (fields 14 and 15 of proc(5)), in clock ticks.
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    };
    let before = cpu();
    let started = std::time::Instant::now();
    std::thread::sleep(Duration::from_millis(1500));
    let used = (cpu() - before) as f64 / 100.0; // ticks are 1/100 s on Linux
    let share = used / started.elapsed().as_secs_f64();
    assert!(share < 0.5, "the accept loop spins: {:.0}% of a core while out of descriptors", share * 100.0);

    // A new client is served as the idle ones time out (or leave).
    if !wait_for_timeouts {
        drop(idle);
    }
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 404"), "a new client got {answer:?}");
}

#[cfg(unix)]
#[test]
fn sigterm_drains_the_request_in_flight_and_exits_zero() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_payconform"))
        .args(["sandbox", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    // Reading one line and dropping the pipe also checks that a closed stdout does not
    // take the twin down (it used to panic printing the other base URLs).
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split_whitespace().nth(1).unwrap().trim_start_matches("http://").to_string();
    // A request whose body is still on its way when the signal comes. `Expect:
    // 100-continue` tells us when the twin has started reading the body.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = basic("m");
    let head = format!(
        "POST /api/payments HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nWP-Api-Version: 2024-06-01\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut interim = [0u8; 25];
    s.read_exact(&mut interim).unwrap();
    assert!(interim.starts_with(b"HTTP/1.1 100 Continue"), "{:?}", String::from_utf8_lossy(&interim));
    s.write_all(b"{").unwrap();
    // SAFETY: kill only sends a signal to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) }, 0);
    std::thread::sleep(Duration::from_millis(200));
    s.write_all(b"}").unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "the request in flight was answered: {answer:?}");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn adyen_is_served_on_every_sdk_version_path_and_answers_in_its_own_shape_elsewhere() {
    let twin = Twin::default();
    let body = json!({"merchantAccount": "M", "reference": "r", "amount": {"value": 1000, "currency": "EUR"},
        "card": {"number": "4111111111111111", "expiryMonth": "03", "expiryYear": "2030", "cvc": "737", "holderName": "A"}});
    for version in [40, 49, 52, 64, 68] {
        let r = twin.handle(&req(
            "POST",
            &format!("/pal/servlet/Payment/v{version}/authorise"),
            &[("x-api-key", "k"), ("content-type", "application/json")],
            &body,
        ));
        assert_eq!((r.status, r.body["resultCode"].as_str()), (200, Some("Authorised")), "v{version}");
    }
    for path in [
        "/pal/servlet/Payment/V40/authorise",
        "/pal/servlet/Payment/v69/authorise",
        "/pal/servlet/Checkout/v70/payments",
    ] {
        let r = twin.handle(&req("POST", path, &[("x-api-key", "k"), ("content-type", "application/json")], &body));
        assert_eq!((r.status, r.content_type), (404, "application/json"), "{path}");
        assert_eq!(r.body["status"], json!(404), "Adyen's error shape for {path}: {}", r.body);
    }
}

#[test]
fn an_adyen_modification_in_another_currency_is_acknowledged_then_fails_and_moves_no_money() {
    let twin = Twin::default();
    let (_, auth) = adyen_authorise(&twin, "k", json!(1000));
    let psp = auth["pspReference"].as_str().unwrap().to_string();
    let modify = |op: &str, value: i64, currency: &str| {
        let body = json!({"merchantAccount": "M", "originalReference": psp,
            "modificationAmount": {"value": value, "currency": currency}});
        let (status, body) = adyen(&twin, "k", op, &body);
        assert_eq!(status, 200, "acknowledged: {body}");
    };
    let view = || {
        let path = format!("/pal/servlet/Payment/v40/__twin/payments/{psp}");
        twin.handle(&req("GET", &path, &[("x-api-key", "k")], &Value::Null)).body
    };
    modify("capture", 500, "USD");
    modify("adjustAuthorisation", 2000, "GBP");
    modify("capture", 600, "EUR");
    modify("refund", 100, "JPY");
    let v = view();
    assert_eq!((&v["authorised"], &v["captured"], &v["refunded"]), (&json!(1000), &json!(600), &json!(0)), "{v}");
    let outcomes: Vec<(bool, String)> = v["modifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["success"].as_bool().unwrap(), m["reason"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(outcomes.iter().map(|o| o.0).collect::<Vec<_>>(), [false, false, true, false], "{outcomes:?}");
    assert!(outcomes[0].1.contains("USD is not the authorisation's EUR"), "{outcomes:?}");
    assert!(outcomes[3].1.contains("JPY"), "{outcomes:?}");
}

#[test]
fn adyen_splits_follow_adyens_document() {
    // Adyen requires only `type` and lists 16 types (seed 001's Verification is kept).
    let twin = Twin::default();
    for split in
        [json!({"type": "BalanceAccount", "account": "BA1"}), json!({"type": "TopUp"}), json!({"type": "Verification"})]
    {
        let body = json!({"merchantAccount": "M", "reference": "r", "amount": {"value": 1, "currency": "EUR"}, "splits": [split]});
        let (status, body) = adyen(&twin, "k", "authorise", &body);
        assert_eq!(status, 200, "{body}");
    }
    let body = json!({"merchantAccount": "M", "reference": "r", "amount": {"value": 1, "currency": "EUR"},
        "splits": [{"type": "Bonus"}]});
    assert_eq!(adyen(&twin, "k", "authorise", &body).0, 422, "an unlisted type is refused");
}

#[test]
fn get_root_is_an_index_of_the_apis() {
    let twin = Twin::default();
    let r = twin.handle(&req("GET", "/", &[("host", "twin.local:8080")], &Value::Null));
    assert_eq!((r.status, r.content_type), (200, "application/json"));
    let apis = r.body["apis"].as_array().unwrap();
    assert_eq!(apis.len(), payconform::Api::ALL.len());
    assert_eq!(apis[2]["baseUrl"], "http://twin.local:8080/pal/servlet/Payment/v40");
    assert_eq!(apis[3]["baseUrl"], "http://twin.local:8080/checkout/v71");
    let v7_ops: Vec<&str> =
        apis[0]["operations"].as_array().unwrap().iter().map(|o| o["operationId"].as_str().unwrap()).collect();
    assert!(v7_ops.contains(&"authorize") && v7_ops.contains(&"eventQuery"), "{v7_ops:?}");
    assert!(r.body["readme"].as_str().unwrap().contains("README"));
}

/// The standalone twin's request log: one line per request, never a credential.
#[cfg(unix)]
#[test]
fn the_sandbox_logs_one_line_per_request_without_credentials() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};
    let run = |extra: &[&str]| -> String {
        let mut child = Command::new(env!("CARGO_BIN_EXE_payconform"))
            .args(["sandbox", "--addr", "127.0.0.1:0"])
            .args(extra)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let addr = line.split_whitespace().nth(1).unwrap().trim_start_matches("http://").to_string();
        let body = r#"{"merchantAccount":"M","reference":"r","amount":{"value":1,"currency":"EUR"}}"#;
        let request = format!(
            "POST /pal/servlet/Payment/v40/authorise HTTP/1.1\r\nHost: x\r\nX-API-Key: AQE-very-secret-key\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // SAFETY: kill only sends a signal to our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        let mut log = String::new();
        child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
        child.wait().unwrap();
        log
    };
    let text = run(&[]);
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("payconform::request")).collect();
    assert_eq!(lines.len(), 1, "{text}");
    for field in [r#"method="POST""#, r#"operation="post-authorise""#, "status=200", "latency_us=", "merchant="] {
        assert!(lines[0].contains(field), "{field} in {}", lines[0]);
    }
    assert!(!text.contains("AQE-very-secret-key"), "{text}");

    let json = run(&["--log-format", "json"]);
    let entry: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).expect("a JSON line");
    assert_eq!((entry["operation"].as_str(), entry["status"].as_u64()), (Some("post-authorise"), Some(200)));
    assert_eq!(entry["api"], "adyen-payment-v40");

    assert_eq!(run(&["--quiet"]).trim(), "", "--quiet logs no request");
}

/// Worldpay marks `Content-Type` and `Accept` required on every v7 operation, GET and
/// body-less POST included (tests/fixtures/vendor-facts, the `parameters` of each
/// operation); 415 is the status it documents. The twin enforces both; the checker
/// flags a request without them; the generated clients send both (tests/clients.rs).
#[test]
fn v7_media_type_headers_are_required_on_every_operation() {
    let twin = Twin::default();
    let (status, body) = v7(&twin, &v7_authorize(json!(100), card()));
    assert_eq!(status, 201, "{body}");
    let settle = body["_links"]["cardPayments:settle"]["href"].as_str().unwrap().to_string();
    let events = body["_links"]["cardPayments:events"]["href"].as_str().unwrap().to_string();
    let path = |href: &str| url::Url::parse(href).unwrap().path().to_string();
    let auth = basic("m");
    let call = |method: &str, href: &str, headers: &[(&str, &str)]| {
        let mut all = vec![("authorization", auth.as_str())];
        all.extend_from_slice(headers);
        let r = twin.handle(&req(method, &path(href), &all, &Value::Null));
        (r.status, r.body["errorName"].as_str().map(String::from))
    };
    for (method, href) in [("GET", &events), ("POST", &settle)] {
        assert_eq!(call(method, href, &[("accept", V7)]), (415, Some("headerIsMissing".into())), "{method}");
        assert_eq!(call(method, href, &[("content-type", V7)]), (415, Some("headerIsMissing".into())), "{method}");
        assert_eq!(
            call(method, href, &[("content-type", "application/json"), ("accept", V7)]),
            (415, Some("headerHasInvalidValue".into())),
            "{method}"
        );
        assert_eq!(
            call(method, href, &[("content-type", V7), ("accept", "text/html")]),
            (415, Some("headerHasInvalidValue".into())),
            "{method}"
        );
    }
    assert_eq!(call("GET", &events, &[("content-type", V7), ("accept", V7)]).0, 200);
    assert_eq!(call("POST", &settle, &[("content-type", V7), ("accept", "*/*")]).0, 202);

    let ex = |headers: Vec<(&str, &str)>| Exchange {
        operation: "event_query".into(),
        method: "GET".into(),
        url: events.clone(),
        request_headers: headers.into_iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        request_body: None,
        status: Some(200),
        response_headers: vec![("content-type".into(), V7.into())],
        response_body: br#"{"lastEvent":"Authorized","_links":{}}"#.to_vec(),
        error: None,
        oversized: None,
        elapsed: Duration::ZERO,
    };
    let v = check_exchange(Api::WorldpayV7, &ex(vec![("accept", V7)]));
    assert!(v.iter().any(|v| v.json_path == "Content-Type" && v.message.contains("missing")), "{v:?}");
    assert_eq!(check_exchange(Api::WorldpayV7, &ex(vec![("accept", V7), ("content-type", V7)])), vec![]);
}
