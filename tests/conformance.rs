//! The whole Gherkin suite (`features/`), run by cucumber-rs through the generated
//! clients: once against a twin started in-process (the default target), and once
//! against a twin served on its own port by the standalone server and reached through
//! `--target URL`, so the path a remote target takes is exercised over real HTTP.
//! Every scenario also asserts that all its exchanges conform to the spec.
//! `harness = false`: this is the suite's own runner.

use std::process::ExitCode;

use payconform::harness::{CheckOptions, Env, Target, run};
use payconform::sandbox::SandboxServer;
use payconform::sandbox::{Twin, TwinConfig};

fn main() -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let mut failed = false;

        let mut opts = CheckOptions::new(Target::Sandbox);
        opts.env = Env::new();
        opts.progress = true;
        let report = run(&opts).await.expect("the suite starts");
        println!("{}", report.summary());
        failed |= !report.passed() || report.skipped_count() > 0;

        // The standalone twin sends Adyen notifications to the run's --webhook-listen
        // address, signed with the run's ADYEN_HMAC_KEY, as a vendor's sandbox would.
        const HMAC_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let listen = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port");
        let webhook = payconform::sandbox::WebhookConfig::prompt(format!("http://{listen}/"), HMAC_KEY);
        let twin = Twin::new(TwinConfig { webhook: Some(webhook), ..TwinConfig::default() });
        let server = SandboxServer::start(twin, "127.0.0.1:0".parse().expect("address"))
            .await
            .expect("the standalone twin starts");
        let mut opts = CheckOptions::new(Target::Url(server.url()));
        opts.env = Env::from([("ADYEN_HMAC_KEY".to_string(), HMAC_KEY.to_string())]);
        opts.webhook_listen = Some(listen);
        let report = run(&opts).await.expect("the suite starts");
        println!("{}", report.summary());
        failed |= !report.passed() || report.skipped_count() > 0;
        server.shutdown().await;

        if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
    })
}
