//! Fairness under a flood (in-process, no HTTP): how many authorisations a quiet
//! merchant gets through alone, and while another merchant floods one payment with
//! captures that fail. The flood first puts 12,000 modifications on its payment, as in
//! the hardening issue's attack. Run with `cargo bench --bench fairness`; it prints
//! both rates and their ratio (the target is at least 50%).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use payconform::sandbox::{Twin, TwinRequest};

fn adyen(path: &str, key: &str, body: String) -> TwinRequest {
    TwinRequest {
        method: "POST".into(),
        path: format!("/pal/servlet/Payment/v40{path}"),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-api-key".into(), key.into()),
            ("host".into(), "localhost".into()),
        ],
        body: body.into_bytes(),
    }
}

const AUTHORISE: &str = r#"{"merchantAccount":"M","reference":"r","amount":{"value":1000,"currency":"EUR"},"card":{"number":"4111111111111111","expiryMonth":"03","expiryYear":"2030","cvc":"737","holderName":"APPROVED"}}"#;

/// Authorisations per second of the quiet merchant over `secs`.
fn quiet_rate(twin: &Twin, secs: f64) -> f64 {
    let auth = adyen("/authorise", "quiet", AUTHORISE.to_string());
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < secs {
        assert_eq!(twin.handle(&auth).status, 200);
        n += 1;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let secs = std::env::var("FAIRNESS_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let twin = Twin::default();
    // Warm up (validators compiled, ledger allocated).
    quiet_rate(&twin, 0.5);
    let alone = quiet_rate(&twin, secs);

    let r = twin.handle(&adyen("/authorise", "flood", AUTHORISE.to_string()));
    let psp = r.body["pspReference"].as_str().expect("a pspReference").to_string();
    let capture = adyen(
        "/capture",
        "flood",
        format!(
            r#"{{"merchantAccount":"M","originalReference":"{psp}","modificationAmount":{{"value":999999,"currency":"EUR"}}}}"#
        ),
    );
    for _ in 0..12_000 {
        twin.handle(&capture);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let (twin, stop, capture) = (twin.clone(), stop.clone(), capture.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                twin.handle(&capture);
                n += 1;
            }
            n
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let flooded = quiet_rate(&twin, secs);
    stop.store(true, Ordering::Relaxed);
    let captures = flood.join().expect("the flood thread ends");
    println!("quiet merchant alone:            {alone:>9.0} authorisations/s");
    println!("quiet merchant during the flood: {flooded:>9.0} authorisations/s");
    println!("flood: {captures} failed captures on one payment in {secs:.1} s (after 12,000 first)");
    println!("kept: {:.0}% of its quiet throughput (target: at least 50%)", 100.0 * flooded / alone);
}
