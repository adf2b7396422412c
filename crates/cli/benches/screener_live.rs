//! End-to-end screener latency with a real `serve` process: a live-paced synthetic full
//! market (9,000 symbols, the first five minutes after its open at 90,000 messages a
//! second) drives the screener (`BB_SCREENER_FEED=synthetic:9000`, default settings); a
//! client on the alert WebSocket measures, for every alert, the wall clock at arrival minus
//! the triggering event's time (event in → alert stored, published and sent). Prints
//! numbers; asserts nothing.
//!
//! Run: `cargo bench -p blockbuilders --bench screener_live` (BENCH_SECONDS, default 30).
#![allow(clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::{Value, json};

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

fn now_ns() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    )
    .unwrap()
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    bb_server::install_crypto_provider();
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_blockbuilders"))
        .current_dir(root())
        .env("BB_LOG", "warn")
        .env("BB_OBJECT_STORE_URL", "memory:")
        .env("BB_SCREENER_FEED", "synthetic:9000")
        .env_remove("BB_DATABASE_URL")
        .args([
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &url,
        ])
        .args(["--jwt-secret", "bench-secret-that-is-long-enough-for-hs256"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
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
    let ws = format!(
        "{}/api/v1/screener/alerts/ws?access_token={token}",
        base.replacen("http", "ws", 1)
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(ws).await.unwrap();
    let health = |client: reqwest::Client, base: String, token: String| async move {
        let h: Value = client
            .get(format!("{base}/api/v1/screener/health"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        h["feeds"][0]["events"].as_u64().unwrap_or(0)
    };
    let events_before = health(client.clone(), base.clone(), token.clone()).await;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut latencies = Vec::new();
    let mut lagged = 0u64;
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline.into(), socket.next()).await
    {
        let arrived = now_ns();
        let Ok(text) = message.into_text() else {
            continue;
        };
        let alert: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(n) = alert["lagged"].as_u64() {
            lagged += n;
            continue;
        }
        if let Some(t) = alert["trigger_time_ns"].as_i64() {
            latencies.push(arrived - t);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let events_after = health(client.clone(), base.clone(), token.clone()).await;
    let rss = rss_kb(pid);
    latencies.sort_unstable();
    let ms = |ns: i64| ns as f64 / 1e6;
    println!(
        "screener live: {} events in {elapsed:.1} s ({:.0} events/s through the server's screener), 9000 symbols",
        events_after - events_before,
        (events_after - events_before) as f64 / elapsed
    );
    if latencies.is_empty() {
        println!("screener live: no alerts arrived");
        return;
    }
    println!(
        "screener live: {} alerts on the WebSocket; event → alert latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms{}",
        latencies.len(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap()),
        if lagged > 0 {
            format!(" ({lagged} dropped for a slow reader)")
        } else {
            String::new()
        }
    );
    println!("screener live: server resident memory {} MB", rss / 1024);
}
