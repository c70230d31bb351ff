//! The proxy's cost (issue 22): the same Adyen authorise against the twin alone and
//! through `payconform proxy` in front of it, in one run. Prints the latency of
//! sequential keep-alive requests (p50, p99) and the throughput of 32 concurrent
//! clients, each side by side, and the proxy's added latency.
//!
//! `cargo bench --bench proxy` (the proxy here records nothing and logs nothing; add
//! `-- --record` to measure it with a HAR recording too).

use std::time::{Duration, Instant};

use payconform::proxy::{Proxy, ProxyConfig};
use payconform::sandbox::{SandboxServer, Twin};

const SEQUENTIAL: usize = 5_000;
const CONCURRENT: usize = 32;
const WINDOW: Duration = Duration::from_secs(3);

fn body() -> String {
    serde_json::json!({"merchantAccount": "M", "reference": "bench", "amount": {"value": 1000, "currency": "EUR"},
        "card": {"number": "4111111111111111", "expiryMonth": "03", "expiryYear": "2030", "cvc": "737", "holderName": "A B"}})
    .to_string()
}

async fn one(client: &reqwest::Client, url: &str, body: &str) {
    let r = client
        .post(url)
        .header("x-api-key", "bench-key")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 200);
    let _ = r.bytes().await.expect("body");
}

/// p50 and p99 of sequential requests, in microseconds.
async fn latency(url: &str) -> (f64, f64) {
    let client = reqwest::Client::new();
    let body = body();
    for _ in 0..200 {
        one(&client, url, &body).await;
    }
    let mut times: Vec<Duration> = Vec::with_capacity(SEQUENTIAL);
    for _ in 0..SEQUENTIAL {
        let t = Instant::now();
        one(&client, url, &body).await;
        times.push(t.elapsed());
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)].as_secs_f64() * 1e6;
    (at(0.50), at(0.99))
}

/// Requests per second of `CONCURRENT` clients over `WINDOW`.
async fn throughput(url: &str) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENT)
        .map(|_| {
            let url = url.to_string();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let body = body();
                let mut n = 0u64;
                while started.elapsed() < WINDOW {
                    one(&client, &url, &body).await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let record = std::env::args().any(|a| a == "--record");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let twin = SandboxServer::start(Twin::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = ProxyConfig::new(twin.url().parse().unwrap());
        if record {
            config.record = Some(dir.path().join("bench.har"));
        }
        config.max_reported = 0;
        let proxy = Proxy::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let direct = format!("{}/pal/servlet/Payment/v40/authorise", twin.url());
        let proxied = format!("{}/pal/servlet/Payment/v40/authorise", proxy.url());
        let (d50, d99) = latency(&direct).await;
        let (p50, p99) = latency(&proxied).await;
        let dt = throughput(&direct).await;
        let pt = throughput(&proxied).await;
        println!("payconform proxy bench ({SEQUENTIAL} sequential requests; {CONCURRENT} clients for {WINDOW:?}; record: {record})");
        println!("{:<22} {:>10} {:>10} {:>12}", "", "p50 µs", "p99 µs", "req/s");
        println!("{:<22} {:>10.0} {:>10.0} {:>12.0}", "twin alone", d50, d99, dt);
        println!("{:<22} {:>10.0} {:>10.0} {:>12.0}", "twin behind the proxy", p50, p99, pt);
        println!("added by the proxy: p50 {:.0} µs, p99 {:.0} µs; throughput {:.2}×", p50 - d50, p99 - d99, pt / dt);
        let _ = proxy.shutdown().await;
        twin.shutdown().await;
    });
}
