//! The test harness: a running app, a client, and helpers for the common calls.

pub use bb_server::error::ErrorCode;
use bb_server::{AppState, Config, Secret};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;
use tokio::net::TcpListener;

pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256";
pub const PASSWORD: &str = "lunar tapestry quietly orbits";

pub const SMA_CROSSOVER: &str = include_str!("../../../../strategies/sma_crossover.json");
pub const MISSING_INPUT: &str = include_str!("../../../../strategies/broken/missing_input.json");

/// A running app.
pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
    _postgres: Option<PostgresDb>,
}

/// A response: status, headers and the JSON body (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Checks the error envelope and returns its code.
    pub fn error_code(&self) -> ErrorCode {
        let error = &self.body["error"];
        assert!(
            error.is_object(),
            "no error envelope in {}: {}",
            self.status,
            self.text
        );
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            self.text
        );
        assert!(
            error["timestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{}",
            self.text
        );
        let id = self.header("x-request-id").expect("x-request-id header");
        assert_eq!(error["requestId"].as_str(), Some(id), "{}", self.text);
        serde_json::from_value(error["code"].clone())
            .unwrap_or_else(|e| panic!("an unknown error code ({e}): {}", self.text))
    }

    /// The `bb_refresh` cookie's value from `Set-Cookie`.
    pub fn refresh_cookie(&self) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("bb_refresh="))
            .map(|v| v.split(';').next().unwrap_or_default().to_string())
    }
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub token: String,
    pub refresh: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let mut config = test_config(url);
        configure(&mut config);
        TestApp::start(config, Some(dir), None).await
    }

    /// On a fresh PostgreSQL database, dropped at the end of the test.
    pub async fn spawn_postgres() -> TestApp {
        TestApp::spawn_postgres_with(|_| {}).await
    }

    pub async fn spawn_postgres_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        let db = PostgresDb::create().await;
        let mut config = test_config(db.url.clone());
        // No database file to keep objects next to: keep them in memory.
        config.object_store_url = Some("memory:".to_string());
        configure(&mut config);
        TestApp::start(config, None, Some(db)).await
    }

    async fn start(
        config: Config,
        dir: Option<tempfile::TempDir>,
        postgres: Option<PostgresDb>,
    ) -> TestApp {
        bb_server::install_crypto_provider();
        let state = bb_server::start(config).await.expect("the app starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(bb_server::run(
            listener,
            state.clone(),
            std::future::pending(),
        ));
        TestApp {
            addr,
            state,
            client: reqwest::Client::new(),
            _dir: dir,
            _postgres: postgres,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        Reply::from(req.send().await.expect("request sent")).await
    }

    /// Sends raw bytes as a JSON body.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        Reply::from(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// A DELETE with a bearer token; the status.
    pub async fn delete_path(&self, path: &str, token: &str) -> reqwest::StatusCode {
        self.call(Method::DELETE, path, Some(token), None)
            .await
            .status
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    /// Registers a new account (password [`PASSWORD`]) and signs in.
    pub async fn register(&self, email: &str) -> Account {
        let reply = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
        let login = self.login(email, PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.text);
        account(&login)
    }

    /// Turns on two-factor sign-in for the signed-in account; returns the TOTP secret and
    /// the recovery codes.
    pub async fn enable_two_factor(&self, token: &str) -> (String, Vec<String>) {
        let setup = self
            .post("/api/v1/auth/2fa/setup", Some(token), json!({}))
            .await;
        assert_eq!(setup.status, StatusCode::OK, "{}", setup.text);
        let secret = setup.body["secret"].as_str().unwrap().to_string();
        let enable = self
            .post(
                "/api/v1/auth/2fa/enable",
                Some(token),
                json!({ "code": totp_code(&secret, 0) }),
            )
            .await;
        assert_eq!(enable.status, StatusCode::OK, "{}", enable.text);
        let codes = enable.body["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        (secret, codes)
    }

    /// Signs in with the password and a TOTP code `steps` × 30 s ahead (each code works once:
    /// use a step not used before).
    pub async fn login_two_factor(&self, email: &str, secret: &str, steps: i64) -> Account {
        let login = self.login(email, PASSWORD).await;
        assert_eq!(login.body["two_factor_required"], true, "{}", login.text);
        let verify = self
            .post(
                "/api/v1/auth/2fa/verify",
                None,
                json!({ "challenge": login.body["challenge"], "code": totp_code(secret, steps) }),
            )
            .await;
        assert_eq!(verify.status, StatusCode::OK, "{}", verify.text);
        account(&verify)
    }

    /// Makes the account an admin with two-factor sign-in on (admin routes need both);
    /// its token keeps working. Returns the TOTP secret.
    pub async fn make_admin(&self, account: &Account) -> String {
        self.state
            .db()
            .users()
            .set_role(&account.id, bb_store::Role::Admin, None)
            .await
            .unwrap();
        self.enable_two_factor(&account.token).await.0
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Creates a strategy with `graph` as version 1; returns its id.
    pub async fn create_strategy(&self, token: &str, title: &str, visibility: &str) -> String {
        let reply = self
            .post(
                "/api/v1/strategies",
                Some(token),
                json!({ "title": title, "visibility": visibility, "graph": graph(SMA_CROSSOVER) }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["strategy"]["id"].as_str().unwrap().to_string()
    }
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("response body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }
}

/// The account in a register or login answer.
pub fn account(reply: &Reply) -> Account {
    Account {
        id: reply.body["user"]["id"]
            .as_str()
            .expect("user id")
            .to_string(),
        token: reply.body["access_token"]
            .as_str()
            .expect("access token")
            .to_string(),
        refresh: reply.refresh_cookie().expect("refresh cookie"),
    }
}

/// The TOTP code for now plus `steps` × 30 s, computed from the secret with totp-rs
/// (RFC 6238, SHA-1, 6 digits, 30 s).
pub fn totp_code(secret: &str, steps: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = now.saturating_add_signed(steps * 30);
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap()
        .generate(at)
        .to_string()
}

/// A strategy file as a JSON value.
pub fn graph(text: &str) -> Value {
    serde_json::from_str(text).expect("strategy JSON")
}

pub fn test_config(database_url: String) -> Config {
    let mut config = Config::new(database_url);
    config.jwt_secret = Some(Secret::new(JWT_SECRET));
    config
}

/// A PostgreSQL database made for one test and dropped (with its connections) afterwards.
pub struct PostgresDb {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PostgresDb {
    pub async fn create() -> PostgresDb {
        use sqlx::Connection;
        let admin_url = std::env::var("BB_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let name = format!("bb_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = sqlx::postgres::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at {admin_url} ({e}); start it or set BB_TEST_POSTGRES_URL"
                )
            });
        // `name` is ours: "bb_test_" and hex digits.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("CREATE DATABASE");
        conn.close().await.ok();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        PostgresDb {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for PostgresDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot block; use a thread of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::postgres::PgConnection::connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "warning: could not drop the test database {}",
                self.name
            );
        }
    }
}
