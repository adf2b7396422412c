//! Webhook and email delivery latency with a real `serve` process. Prints numbers; asserts
//! nothing.
//!
//! `serve --demo --webhook-allow-private --smtp-url smtp://…` on SQLite with in-process
//! workers, and a real SMTP server (aiosmtpd from the test venv, printing what it
//! receives); the demo user registers an endpoint for `backtest.succeeded` at a local
//! receiver, then runs an SMA crossover backtest on the bundled daily BTC candles, one at a
//! time. For each run it measures the time from the run's completion (`finished_at`, the
//! transaction that stores the result, the notification, its webhook delivery and its
//! email) to the signed message's arrival at the receiver (signature verified) and to the
//! summary email's arrival at the SMTP server. `finished_at` is the store's clock, which
//! runs a few milliseconds ahead of the wall clock after a burst of writes (it is strictly
//! increasing), so the same arrivals are also measured from a wall-clock reference: the
//! in-app notification's arrival on the user's push stream (`/notifications/stream`),
//! which the server sends when the run's transaction commits.
//!
//! Run: `cargo bench -p blockbuilders --bench notifications` (after `scripts/setup test`).
#![allow(clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use tokio::sync::mpsc;

const SECRET: &str = "bench-secret-that-is-long-enough-for-hs256";
const RUNS: usize = 30;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// (arrival ms, body, signature verified)
type Arrival = (i64, Value, bool);

async fn receiver(
    secret: std::sync::Arc<std::sync::Mutex<String>>,
) -> (String, mpsc::UnboundedReceiver<Arrival>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let at = now_ms();
            let (tx, secret) = (tx.clone(), secret.clone());
            async move {
                let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
                let key = secret.lock().unwrap().clone();
                let ok = bb_webhooks::verify(
                    &key,
                    h("webhook-id"),
                    h("webhook-timestamp"),
                    h("webhook-signature"),
                    &body,
                    at / 1000,
                )
                .is_ok();
                let _ = tx.send((at, serde_json::from_slice(&body).unwrap_or(Value::Null), ok));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), rx)
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

/// aiosmtpd on a free port; each received message's (arrival ms, subject).
fn smtp_sink() -> (String, Proc, mpsc::UnboundedReceiver<(i64, String)>) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(root().join(".venv/bin/python"))
        .args([
            "-u",
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &addr,
            "-c",
            "aiosmtpd.handlers.Debugging",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("aiosmtpd in .venv (scripts/setup test)");
    let out = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut subject = String::new();
        for line in out.lines().map_while(Result::ok) {
            if let Some(s) = line.strip_prefix("Subject: ") {
                subject = s.to_owned();
            } else if line.starts_with("------------ END MESSAGE") {
                let _ = tx.send((now_ms(), std::mem::take(&mut subject)));
            }
        }
    });
    while std::net::TcpStream::connect(&addr).is_err() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (format!("smtp://{addr}"), Proc(child), rx)
}

#[tokio::main]
async fn main() {
    bb_server::install_crypto_provider();
    let (smtp, _smtp, mut mails) = smtp_sink();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_blockbuilders"))
        .current_dir(root())
        .env("BB_LOG", "warn")
        .env("BB_OBJECT_STORE_URL", "memory:")
        .env_remove("BB_DATABASE_URL")
        .args([
            "serve",
            "--demo",
            "--webhook-allow-private",
            "--bind",
            "127.0.0.1:0",
            "--smtp-url",
            &smtp,
        ])
        .args(["--database-url", &url, "--jwt-secret", SECRET])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(rest) = line.strip_prefix("Blockbuilders is running at ") {
            break rest.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let _server = Proc(child);

    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": "demo@blockbuilders.local", "password": "demo-password-123" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let key = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (hook, mut arrivals) = receiver(key.clone()).await;
    let endpoint: Value = client
        .post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(&token)
        .json(&json!({ "url": hook, "kinds": ["backtest.succeeded"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    *key.lock().unwrap() = endpoint["secret"].as_str().unwrap().to_owned();
    // The user's push stream: each notification's arrival (wall clock), by its link.
    let (pushed_tx, mut pushed) = mpsc::unbounded_channel::<(i64, String)>();
    let mut stream = client
        .get(format!(
            "{base}/api/v1/notifications/stream?access_token={token}"
        ))
        .send()
        .await
        .unwrap();
    tokio::spawn(async move {
        let mut buf = String::new();
        while let Ok(Some(chunk)) = stream.chunk().await {
            let at = now_ms();
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                if let Some(i) = event.find("\"link\":\"/backtests/") {
                    let link: String = event[i + 8..].chars().take_while(|c| *c != '"').collect();
                    let _ = pushed_tx.send((at, link));
                }
            }
        }
    });
    let graph: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("strategies/sma_crossover.json")).unwrap(),
    )
    .unwrap();
    let created: Value = client
        .post(format!("{base}/api/v1/strategies"))
        .bearer_auth(&token)
        .json(&json!({ "title": "Webhook latency", "graph": graph }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let strategy = created["strategy"]["id"].as_str().unwrap().to_owned();
    let body = json!({ "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d" });

    let mut latencies = Vec::new();
    let mut email_latencies = Vec::new();
    let mut webhook_after_push = Vec::new();
    let mut email_after_push = Vec::new();
    let mut verified = 0;
    for i in 0..RUNS + 3 {
        let run: Value = client
            .post(format!("{base}/api/v1/backtests"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = run["id"].as_str().unwrap().to_owned();
        let (at, message, ok) = arrivals.recv().await.expect("a webhook");
        assert_eq!(message["data"]["link"], format!("/backtests/{id}"));
        let view: Value = client
            .get(format!("{base}/api/v1/backtests/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let finished = view["finished_at"].as_i64().expect("finished");
        let mailed = loop {
            let (at, subject) = mails.recv().await.expect("an email");
            if subject.starts_with("Backtest finished") {
                break at;
            }
        };
        let link = format!("/backtests/{id}");
        let in_app = loop {
            let (at, l) = pushed.recv().await.expect("the in-app notification");
            if l == link {
                break at;
            }
        };
        if i >= 3 {
            latencies.push(at - finished);
            email_latencies.push(mailed - finished);
            webhook_after_push.push(at - in_app);
            email_after_push.push(mailed - in_app);
            verified += usize::from(ok);
        }
    }
    latencies.sort_unstable();
    email_latencies.sort_unstable();
    webhook_after_push.sort_unstable();
    email_after_push.sort_unstable();
    println!(
        "webhook latency, run completion (finished_at) → signed message at the receiver, \
         SQLite, in-process workers, {RUNS} backtests: min {} ms, median {} ms, p95 {} ms, \
         max {} ms; signatures verified {verified}/{RUNS}",
        latencies[0],
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95),
        latencies.last().unwrap(),
    );
    println!(
        "email latency, run completion (finished_at) → the summary email received by the SMTP \
         server (aiosmtpd), SQLite, in-process workers, {RUNS} backtests: min {} ms, median {} \
         ms, p95 {} ms, max {} ms",
        email_latencies[0],
        percentile(&email_latencies, 0.5),
        percentile(&email_latencies, 0.95),
        email_latencies.last().unwrap(),
    );
    for (what, v) in [
        ("webhook", &webhook_after_push),
        ("email", &email_after_push),
    ] {
        println!(
            "{what} latency, the in-app notification's push (wall clock) → {what} arrival, \
             {RUNS} backtests: min {} ms, median {} ms, p95 {} ms, max {} ms",
            v[0],
            percentile(v, 0.5),
            percentile(v, 0.95),
            v.last().unwrap(),
        );
    }
}
