//! In-process cost of the twin (no HTTP): validated, stateful authorisations and full
//! authorise → capture → refund round trips. HTTP figures come from benches/load.sh.

use criterion::{Criterion, criterion_group, criterion_main};
use payconform::sandbox::{Twin, TwinConfig, TwinRequest};

fn adyen(path: &str, body: String) -> TwinRequest {
    TwinRequest {
        method: "POST".into(),
        path: format!("/pal/servlet/Payment/v40{path}"),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-api-key".into(), "bench".into()),
            ("host".into(), "localhost".into()),
        ],
        body: body.into_bytes(),
    }
}

const AUTHORISE: &str = r#"{"merchantAccount":"M","reference":"r","amount":{"value":1000,"currency":"EUR"},"card":{"number":"4111111111111111","expiryMonth":"03","expiryYear":"2030","cvc":"737","holderName":"APPROVED"}}"#;

fn bench(c: &mut Criterion) {
    let twin = Twin::new(TwinConfig { max_payments: 100_000, ..TwinConfig::default() });
    let auth = adyen("/authorise", AUTHORISE.to_string());
    c.bench_function("adyen authorise (validate + ledger + response)", |b| {
        b.iter(|| assert_eq!(twin.handle(&auth).status, 200));
    });
    c.bench_function("adyen authorise -> capture -> refund", |b| {
        b.iter(|| {
            let r = twin.handle(&auth);
            let psp = r.body["pspReference"].as_str().unwrap().to_string();
            for path in ["/capture", "/refund"] {
                let body = format!(r#"{{"merchantAccount":"M","originalReference":"{psp}","modificationAmount":{{"value":1000,"currency":"EUR"}}}}"#);
                assert_eq!(twin.handle(&adyen(path, body)).status, 200);
            }
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
