//! Wall time of `payconform check` against a twin started in-process (what it does by
//! default, after the build), by phase: the Gherkin scenarios alone, the sweep alone,
//! and both. Criterion reports the time per run and, as throughput, the exchanges
//! checked per second. Targets: the whole run under 3 s; the sweep adds under 1 s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use payconform::harness::{CheckOptions, Env, Target, run};

fn suite(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let options = |scenarios: bool, sweep: bool| {
        let mut o = CheckOptions::new(Target::Sandbox);
        o.env = Env::new();
        o.scenarios = scenarios;
        o.sweep = sweep;
        o
    };
    let mut group = c.benchmark_group("suite");
    group.sample_size(10);
    for (name, scenarios, sweep) in
        [("scenarios only", true, false), ("sweep only", false, true), ("scenarios and sweep", true, true)]
    {
        let opts = options(scenarios, sweep);
        let first = runtime.block_on(run(&opts)).expect("the suite starts");
        assert!(first.passed(), "{}", first.summary());
        eprintln!("{name}: {} entries, {} exchanges per run", first.scenarios.len(), first.exchanges);
        group.throughput(Throughput::Elements(first.exchanges as u64));
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let r = run(&opts).await.expect("the suite starts");
                assert!(r.passed());
                r.exchanges
            })
        });
    }
    group.finish();
}

criterion_group!(benches, suite);
criterion_main!(benches);
