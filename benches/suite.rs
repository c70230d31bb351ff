//! Wall time of the whole built-in suite against a twin started in-process (what
//! `payconform check` does by default, after the build). Criterion reports the time
//! per run and, as throughput, the exchanges checked per second. Target: under 3 s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use payconform::harness::{CheckOptions, Env, Target, run};

fn suite(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let opts = {
        let mut o = CheckOptions::new(Target::Sandbox);
        o.env = Env::new();
        o
    };
    let first = runtime.block_on(run(&opts)).expect("the suite starts");
    assert!(first.passed(), "{}", first.summary());
    eprintln!("{} scenarios, {} exchanges per run", first.scenarios.len(), first.exchanges);

    let mut group = c.benchmark_group("suite");
    group.sample_size(10);
    group.throughput(Throughput::Elements(first.exchanges as u64));
    group.bench_function("whole suite against the in-process twin", |b| {
        b.to_async(&runtime).iter(|| async {
            let r = run(&opts).await.expect("the suite starts");
            assert!(r.passed());
            r.exchanges
        })
    });
    group.finish();
}

criterion_group!(benches, suite);
criterion_main!(benches);
