//! Issue 25: the request log never holds a request up. With the sandbox's stderr a pipe
//! that nobody reads (the pipe's buffer fills, then the log's bounded queue), every
//! request is still answered; the lines that did not fit are dropped, and once stderr
//! is read again a log line says how many were dropped.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// More requests than the pipe (64 KiB) and the log's queue (16,384 lines) can hold.
const REQUESTS: usize = 24_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stalled_log_drops_lines_and_says_so_but_never_holds_a_request() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_payconform"))
        .args(["sandbox", "--addr", "127.0.0.1:0", "--log-format", "text"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let root = line.split_whitespace().nth(1).expect("a base URL").to_string();
    let stderr = child.stderr.take().unwrap();

    // Nobody reads stderr while these run.
    let http = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (http, next, ok, url) = (http.clone(), next.clone(), ok.clone(), format!("{root}/__payconform/twin"));
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < REQUESTS {
                if http.get(&url).send().await.is_ok_and(|r| r.status() == 200) {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let all = async {
        for t in tasks {
            t.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(300), all).await.expect("requests were held up by a stalled log");
    assert_eq!(ok.load(Ordering::Relaxed), REQUESTS, "every request answered");

    // Now read stderr: the queue drains, and the drops are reported.
    let found = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stderr).lines();
        let (mut request_lines, mut report) = (0usize, None);
        while let Some(Ok(l)) = lines.next() {
            if l.contains("payconform::request") {
                request_lines += 1;
            }
            if l.contains("the log dropped lines under load") {
                report = Some(l);
                break;
            }
        }
        (request_lines, report)
    });
    let (request_lines, report) =
        tokio::time::timeout(Duration::from_secs(60), found).await.expect("a report of the drops").unwrap();
    let report = report.expect("a line reporting the dropped lines");
    let total: usize = report
        .split("dropped_total=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{report}"));
    assert!(total > 0 && total < REQUESTS, "{report}");
    assert!(request_lines > 0 && request_lines < REQUESTS, "{request_lines} request lines before the report");
    child.kill().unwrap();
    let _ = child.wait();
}
