//! Fault tests of the job queue with real processes: `blockbuilders serve --no-workers` (the
//! API alone) and `blockbuilders worker` processes on one database.
//!
//! - A server killed and started again loses no queued job.
//! - A worker killed with SIGKILL in the middle of a sweep: its lease runs out, another
//!   worker re-claims the job, and the run completes exactly once (one result, one
//!   `succeeded` event, one notification), on SQLite and on PostgreSQL with two workers.
//! - A job whose worker is killed twice is not tried a third time: it fails with "this run
//!   stopped its worker".

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bb_store::{Db, JobStatus, PlanTier, RunStatus};
use serde_json::{Value, json};

/// An upper bound on waiting; a test that reaches it has failed.
const PATIENCE: Duration = Duration::from_secs(180);
const LEASE: &str = "2s";
const SECRET: &str = "fault-test-secret-long-enough-for-hs256";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A child process, killed (SIGKILL) when dropped.
struct Proc {
    child: Child,
    name: &'static str,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(logs: &std::path::Path, name: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_blockbuilders"));
    let log = std::fs::File::create(logs.join(format!("{name}.log"))).expect("log file");
    cmd.current_dir(root())
        .env("BB_LOG", "info")
        // exports and audit heads in memory, never in the repository
        .env("BB_OBJECT_STORE_URL", "memory:")
        .env("BB_LOG_FORMAT", "pretty")
        .env_remove("BB_DATABASE_URL")
        .stdin(Stdio::null())
        .stderr(log);
    cmd
}

/// `serve --no-workers` on port 0; returns the process and its address.
fn start_server(url: &str, logs: &std::path::Path) -> (Proc, String) {
    let mut child = command(logs, "server")
        .args(["serve", "--no-workers", "--demo", "--bind", "127.0.0.1:0"])
        .args(["--database-url", url, "--jwt-secret", SECRET])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .expect("readable");
        if let Some(rest) = line.strip_prefix("Blockbuilders is running at ") {
            break rest.trim().to_owned();
        }
    };
    // keep draining what it prints
    std::thread::spawn(move || for _ in lines {});
    (
        Proc {
            child,
            name: "server",
        },
        addr,
    )
}

fn start_worker(url: &str, logs: &std::path::Path, n: usize) -> Proc {
    let child = command(logs, &format!("worker{n}"))
        .args([
            "worker",
            "--database-url",
            url,
            "--workers",
            "1",
            "--lease",
            LEASE,
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("the worker starts");
    Proc {
        child,
        name: "worker",
    }
}

struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn sign_in(base: &str) -> Api {
        let client = reqwest::Client::new();
        let login: Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "email": "demo@blockbuilders.local", "password": "demo-password-123" }))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("login JSON");
        let token = login["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token in {login}"))
            .to_owned();
        Api {
            client,
            base: base.to_owned(),
            token,
        }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON")
    }

    /// Reads the run's event stream until an event of `kind` (returns every event seen).
    async fn events_until(&self, kind: &str, path: &str, stop: &str) -> Vec<(String, Value)> {
        self.events_after(kind, path, None, stop)
            .await
            .into_iter()
            .map(|(_, event, data)| (event, data))
            .collect()
    }

    /// Like [`Api::events_until`], after the event numbered `after`; every event comes with
    /// its number.
    async fn events_after(
        &self,
        kind: &str,
        path: &str,
        after: Option<i64>,
        stop: &str,
    ) -> Vec<(i64, String, Value)> {
        let mut request = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(after) = after {
            request = request.header("Last-Event-ID", after.to_string());
        }
        let mut response = request.send().await.expect("events");
        assert_eq!(response.status().as_u16(), 200, "{kind} events");
        let mut buffer = String::new();
        let mut seen = Vec::new();
        let read = async {
            loop {
                while let Some(end) = buffer.find("\n\n") {
                    let frame: String = buffer.drain(..end + 2).collect();
                    let event = frame
                        .lines()
                        .find_map(|l| l.strip_prefix("event:"))
                        .map(|v| v.trim().to_owned());
                    let data = frame
                        .lines()
                        .find_map(|l| l.strip_prefix("data:"))
                        .and_then(|v| serde_json::from_str::<Value>(v.trim()).ok());
                    let id = frame
                        .lines()
                        .find_map(|l| l.strip_prefix("id:"))
                        .and_then(|v| v.trim().parse::<i64>().ok())
                        .unwrap_or(0);
                    if let (Some(event), Some(data)) = (event, data) {
                        let done = event == stop;
                        seen.push((id, event, data));
                        if done {
                            return;
                        }
                    }
                }
                match response.chunk().await.expect("stream") {
                    Some(bytes) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
                    None => return,
                }
            }
        };
        tokio::time::timeout(PATIENCE, read)
            .await
            .unwrap_or_else(|_| panic!("no {stop} event for {path} in time"));
        seen
    }
}

async fn fault(url: &str, workers: usize) {
    bb_server::install_crypto_provider();
    let logs = tempfile::tempdir().expect("log directory");
    let (server, addr) = start_server(url, logs.path());
    let api = Api::sign_in(&addr).await;
    let db = Db::connect(url).await.expect("the test's own connection");
    let (demo, _) = db
        .users()
        .by_email("demo@blockbuilders.local")
        .await
        .unwrap()
        .expect("the demo account");
    db.users()
        .set_plan(&demo.id, PlanTier::Premium, None)
        .await
        .unwrap();
    let graph: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("strategies/sma_crossover.json")).unwrap(),
    )
    .unwrap();
    let (status, created) = api
        .post(
            "/api/v1/strategies",
            json!({ "title": "Fault test", "graph": graph }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let strategy = created["strategy"]["id"].as_str().unwrap().to_owned();

    // Queued with no worker anywhere: a big sweep and a small backtest. The sweep (about
    // 2,000 combinations) runs for seconds, so its worker is still computing when the test has
    // seen its first progress and kills it.
    let (status, sweep) = api
        .post(
            "/api/v1/sweeps",
            json!({ "strategy_id": strategy, "symbol": "BTC-PERP", "timeframe": "1m",
                    "params": ["fast.period=5..50:1", "slow.period=20..250:5"],
                    "where": ["fast.period<slow.period"] }),
        )
        .await;
    assert_eq!(status, 202, "{sweep}");
    let sweep = sweep["id"].as_str().unwrap().to_owned();
    let (status, small) = api
        .post(
            "/api/v1/backtests",
            json!({ "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d" }),
        )
        .await;
    assert_eq!(status, 202, "{small}");
    let small = small["id"].as_str().unwrap().to_owned();

    // The server dies and comes back: the queued jobs are still there.
    server.kill();
    let (_server, addr) = start_server(url, logs.path());
    let api = Api::sign_in(&addr).await;
    for path in [
        format!("/api/v1/sweeps/{sweep}"),
        format!("/api/v1/backtests/{small}"),
    ] {
        assert_eq!(api.get(&path).await["status"], "queued", "{path}");
    }

    // Workers start; the one that takes the sweep is killed while it computes.
    let mut pool: Vec<Proc> = (0..workers)
        .map(|n| start_worker(url, logs.path(), n))
        .collect();
    let events_path = format!("/api/v1/sweeps/{sweep}/events");
    let first = api.events_until("sweep", &events_path, "progress").await;
    assert!(first.iter().any(|(k, _)| k == "started"), "{first:?}");
    let job_id = db.runs().get(&sweep).await.unwrap().job_id.unwrap();
    let job = db.jobs().get(&job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Running, "{job:?}");
    assert_eq!(job.attempts, 1);
    let holder = job.worker_id.clone().expect("a worker holds the job");
    let at = pool
        .iter()
        .position(|p| holder.starts_with(&format!("worker-{}-", p.pid())))
        .unwrap_or_else(|| panic!("{holder} is none of the workers"));
    let victim = pool.remove(at);
    assert_eq!(victim.name, "worker");
    victim.kill();
    if pool.is_empty() {
        pool.push(start_worker(url, logs.path(), 9));
    }

    // Another worker re-claims it once the lease has run out, and finishes it.
    let rest = api.events_until("sweep", &events_path, "succeeded").await;
    let kinds: Vec<&str> = rest.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "succeeded").count(),
        1,
        "{kinds:?}"
    );
    let job = db.jobs().get(&job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
    assert_eq!(job.attempts, 2, "{job:?}");
    assert_ne!(job.worker_id.as_deref(), Some(holder.as_str()));
    let log = db.runs().events_after(&sweep, 0).await.unwrap();
    let started: Vec<i64> = log
        .iter()
        .filter(|e| e.kind == "started")
        .map(|e| e.payload["attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(started, [1, 2], "{log:?}");
    assert_eq!(log.iter().filter(|e| e.kind == "succeeded").count(), 1);
    let run = db.runs().get(&sweep).await.unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    let detail = api.get(&format!("/api/v1/sweeps/{sweep}")).await;
    assert!(
        detail["sweep"]["rows"].as_array().unwrap().len() > 400,
        "{detail}"
    );
    let notes = db
        .notifications()
        .list(&demo.id, false, 100, 0)
        .await
        .unwrap();
    let about_sweep = notes
        .items
        .iter()
        .filter(|n| n.payload["run_id"] == sweep.as_str())
        .count();
    assert_eq!(about_sweep, 1, "{:?}", notes.items);

    // The small backtest queued before the restart ran too.
    let small_events = api
        .events_until(
            "backtest",
            &format!("/api/v1/backtests/{small}/events"),
            "succeeded",
        )
        .await;
    assert_eq!(
        small_events.last().map(|(k, _)| k.as_str()),
        Some("succeeded")
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_s_job_completes_exactly_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fault.db").display());
    fault(&url, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_s_job_completes_exactly_once_on_postgres_with_two_workers() {
    use sqlx::Connection;
    let admin = std::env::var("BB_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432");
    let name = format!("bb_fault_{}", uuid_like());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("{admin} names no database"),
    };
    let outcome = tokio::spawn(async move { fault(&url, 2).await }).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

fn uuid_like() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// Kills the worker (among `pool`) that holds `job_id` and returns it removed from the pool.
async fn kill_holder(db: &Db, job_id: &str, pool: &mut Vec<Proc>, attempt: i64) {
    let job = db.jobs().get(job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Running, "{job:?}");
    assert_eq!(job.attempts, attempt, "{job:?}");
    let holder = job.worker_id.clone().expect("a worker holds the job");
    let at = pool
        .iter()
        .position(|p| holder.starts_with(&format!("worker-{}-", p.pid())))
        .unwrap_or_else(|| panic!("{holder} is none of the workers"));
    pool.remove(at).kill();
}

/// A job whose worker died twice while running it (here: killed with SIGKILL, as a stack
/// overflow or the out-of-memory killer would) is not handed to a third worker: the reaper
/// dead-letters it and its run fails with "this run stopped its worker".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_stopped_two_workers_fails_without_a_third_try_on_sqlite() {
    bb_server::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("deadly.db").display());
    let logs = tempfile::tempdir().expect("log directory");
    let (_server, addr) = start_server(&url, logs.path());
    let api = Api::sign_in(&addr).await;
    let db = Db::connect(&url).await.expect("the test's own connection");
    let (demo, _) = db
        .users()
        .by_email("demo@blockbuilders.local")
        .await
        .unwrap()
        .expect("the demo account");
    db.users()
        .set_plan(&demo.id, PlanTier::Premium, None)
        .await
        .unwrap();
    let graph: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("strategies/sma_crossover.json")).unwrap(),
    )
    .unwrap();
    let (status, created) = api
        .post(
            "/api/v1/strategies",
            json!({ "title": "Deadly", "graph": graph }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let strategy = created["strategy"]["id"].as_str().unwrap().to_owned();
    let (status, sweep) = api
        .post(
            "/api/v1/sweeps",
            // About 4,400 combinations: long enough that neither attempt can finish in the
            // time the test takes to see it start and kill its worker.
            json!({ "strategy_id": strategy, "symbol": "BTC-PERP", "timeframe": "1m",
                    "params": ["fast.period=2..40:1", "slow.period=20..250:2"],
                    "where": ["fast.period<slow.period"] }),
        )
        .await;
    assert_eq!(status, 202, "{sweep}");
    let sweep = sweep["id"].as_str().unwrap().to_owned();
    let events_path = format!("/api/v1/sweeps/{sweep}/events");

    // The first worker takes it and dies while computing.
    let mut pool = vec![start_worker(&url, logs.path(), 1)];
    let seen = api
        .events_after("sweep", &events_path, None, "progress")
        .await;
    let job_id = db.runs().get(&sweep).await.unwrap().job_id.unwrap();
    kill_holder(&db, &job_id, &mut pool, 1).await;
    // The second takes it once the lease has run out, and dies too.
    pool.push(start_worker(&url, logs.path(), 2));
    let mut last = seen.last().map(|(id, _, _)| *id);
    loop {
        let more = api
            .events_after("sweep", &events_path, last, "progress")
            .await;
        last = more.last().map(|(id, _, _)| *id).or(last);
        assert!(
            !more
                .iter()
                .any(|(_, kind, _)| kind == "failed" || kind == "succeeded"),
            "the run ended before its second attempt: {more:?}"
        );
        let second_attempt = more
            .iter()
            .any(|(_, kind, data)| kind == "started" && data["attempt"] == 2);
        if second_attempt {
            break;
        }
    }
    kill_holder(&db, &job_id, &mut pool, 2).await;
    // A third worker's reaper dead-letters it instead of running it.
    pool.push(start_worker(&url, logs.path(), 3));
    let rest = api
        .events_after("sweep", &events_path, last, "failed")
        .await;
    let (_, kind, failed) = rest.last().expect("events");
    assert_eq!(kind, "failed", "{rest:?}");
    assert!(
        failed.to_string().contains("this run stopped its worker"),
        "{failed}"
    );
    let job = db.jobs().get(&job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Failed, "{job:?}");
    assert_eq!(job.attempts, 2, "{job:?}");
    assert_eq!(
        job.last_error.as_deref(),
        Some(bb_store::STOPPED_ITS_WORKER)
    );
    let run = db.runs().get(&sweep).await.unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    assert!(
        run.error
            .as_deref()
            .is_some_and(|e| e.starts_with("this run stopped its worker")),
        "{run:?}"
    );
    let log = db.runs().events_after(&sweep, 0).await.unwrap();
    let started: Vec<i64> = log
        .iter()
        .filter(|e| e.kind == "started")
        .map(|e| e.payload["attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(started, [1, 2], "{log:?}");
    db.close().await;
}

/// A paper run ticking (a replay, a candle a second) while its worker is killed with
/// SIGKILL, then another worker takes over: every candle is in the ledger once, in order,
/// with none skipped, and the run's count agrees.
async fn paper_fault(url: &str) {
    bb_server::install_crypto_provider();
    let logs = tempfile::tempdir().expect("log directory");
    let (_server, addr) = start_server(url, logs.path());
    let api = Api::sign_in(&addr).await;
    let db = Db::connect(url).await.expect("the test's own connection");
    let graph: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("strategies/sma_crossover.json")).unwrap(),
    )
    .unwrap();
    let (status, created) = api
        .post(
            "/api/v1/strategies",
            json!({ "title": "Paper fault", "graph": graph }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let strategy = created["strategy"]["id"].as_str().unwrap().to_owned();
    let datasets = api.get("/api/v1/market/datasets").await;
    let daily = datasets["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["symbol"] == "BTC-USD" && d["timeframe"] == "1d")
        .expect("the demo's daily BTC")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, run) = api
        .post(
            "/api/v1/paper-trades",
            json!({ "strategy_id": strategy, "dataset_id": daily, "replay_from": "2021-01-01" }),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    let id = run["id"].as_str().unwrap().to_owned();
    let events = format!("/api/v1/paper-trades/{id}/events");

    let first = start_worker(url, logs.path(), 0);
    // Wait for a few candles, then kill the worker right after one (the next may be under
    // way).
    let mut seen = 0;
    let mut after = None;
    while seen < 4 {
        let got = api.events_after("paper", &events, after, "tick").await;
        after = got.last().map(|(seq, _, _)| *seq);
        seen += got.iter().filter(|(_, kind, _)| kind == "tick").count();
    }
    first.kill();
    let _second = start_worker(url, logs.path(), 1);
    while seen < 10 {
        let got = api.events_after("paper", &events, after, "tick").await;
        after = got.last().map(|(seq, _, _)| *seq);
        seen += got.iter().filter(|(_, kind, _)| kind == "tick").count();
    }
    // The worker keeps ticking: read the ledger first, then the run, whose candle count
    // (advanced in each tick's transaction) can then only be ahead of the ledger.
    let ledger = db.paper_runs().events(&id, 0, 10_000).await.unwrap();
    let run = db.paper_runs().get(&id).await.unwrap();
    let ticks: Vec<i64> = ledger
        .iter()
        .filter(|e| e.kind == "tick")
        .map(|e| e.candle_ts.unwrap())
        .collect();
    assert!(ticks.len() >= 10, "{ticks:?}");
    assert!(
        ticks.windows(2).all(|w| w[1] - w[0] == 86_400_000),
        "one a day, in order, none twice or skipped: {ticks:?}"
    );
    assert!(
        run.candles >= ticks.len() as i64,
        "{} < {}",
        run.candles,
        ticks.len()
    );
    let seqs: Vec<i64> = ledger.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_run_survives_a_killed_worker_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("paper.db").display());
    paper_fault(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_run_survives_a_killed_worker_on_postgres() {
    use sqlx::Connection;
    let admin = std::env::var("BB_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432");
    let name = format!("bb_paper_{}", uuid_like());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("{admin} names no database"),
    };
    let outcome = tokio::spawn(async move { paper_fault(&url).await }).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
