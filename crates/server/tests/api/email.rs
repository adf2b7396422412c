//! Email over a real SMTP server process (aiosmtpd from the test venv, its Debugging
//! handler printing every message it receives; the test reads them from its output): a
//! finished backtest's summary arrives with RFC 8058 one-click unsubscribe headers; the
//! preferences turn a kind off (then no email is even queued, while the in-app
//! notification still comes) or into the daily digest; the one-click POST and the app's
//! token both unsubscribe without a session; every route is tried as anonymous, as another
//! user and with hostile input.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use crate::common::{ErrorCode, TestApp};
use crate::conform::assert_conforms;
use crate::templates::finish;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

const PUBLIC: &str = "https://app.blockbuilders.test";

/// A received message: its headers (names lower-cased) and its text part, decoded.
#[derive(Debug)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub raw: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body with quoted-printable soft breaks and escapes undone (enough to search).
    pub fn decoded(&self) -> String {
        let joined = self.raw.replace("=\r\n", "").replace("=\n", "");
        let mut out = String::new();
        let bytes = joined.as_bytes();
        let mut i = 0;
        let mut buf = Vec::new();
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                buf.push(b);
                i += 3;
                continue;
            }
            buf.push(bytes[i]);
            i += 1;
        }
        out.push_str(&String::from_utf8_lossy(&buf));
        out
    }
}

/// aiosmtpd on 127.0.0.1, printing what it receives.
pub struct SmtpSink {
    pub addr: SocketAddr,
    rx: mpsc::UnboundedReceiver<Mail>,
    _child: Child,
}

fn python() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut child = Command::new(python())
            .args(["-u", "-m", "aiosmtpd", "-n", "-l", &addr.to_string()])
            .args(["-c", "aiosmtpd.handlers.Debugging"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("aiosmtpd from .venv (scripts/setup test installs it)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            let mut current: Option<Vec<String>> = None;
            while let Ok(Some(line)) = lines.next_line().await {
                if line.starts_with("---------- MESSAGE FOLLOWS") {
                    current = Some(Vec::new());
                } else if line.starts_with("------------ END MESSAGE") {
                    if let Some(lines) = current.take() {
                        let _ = tx.send(parse(&lines));
                    }
                } else if let Some(c) = current.as_mut() {
                    c.push(line);
                }
            }
        });
        // Ready once it accepts a connection.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "aiosmtpd did not start"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        SmtpSink {
            addr,
            rx,
            _child: child,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The next message received (within a minute).
    pub async fn next(&mut self) -> Mail {
        tokio::time::timeout(Duration::from_secs(60), self.rx.recv())
            .await
            .expect("an email within a minute")
            .expect("aiosmtpd still running")
    }

    /// Nothing received so far (messages already printed are queued here).
    pub fn none_yet(&mut self) -> bool {
        self.rx.try_recv().is_err()
    }
}

fn parse(lines: &[String]) -> Mail {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut body_at = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            body_at = i + 1;
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_lowercase(), value.trim().to_owned()));
        }
    }
    Mail {
        headers,
        raw: lines[body_at.min(lines.len())..].join("\n"),
    }
}

async fn app_with(sink: &SmtpSink) -> TestApp {
    app_on(sink, false).await
}

async fn app_on(sink: &SmtpSink, postgres: bool) -> TestApp {
    let url = sink.url();
    let configure = |c: &mut bb_server::config::Config| {
        c.smtp_url = Some(bb_server::config::Secret::new(url));
        c.mail_from = "Blockbuilders <alerts@mail.blockbuilders.test>".into();
        c.public_url = Some(PUBLIC.into());
    };
    let app = if postgres {
        TestApp::spawn_postgres_with(configure).await
    } else {
        TestApp::spawn_with(configure).await
    };
    bb_market::demo::load_demo(app.state.db()).await.unwrap();
    app
}

async fn backtest(app: &TestApp, token: &str, strategy: &str) -> String {
    finish(
        app,
        token,
        "backtests",
        json!({ "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d" }),
    )
    .await
}

/// Waits until the email with this `Message-ID` is recorded sent (or failed).
async fn recorded(
    bus: &mut tokio::sync::broadcast::Receiver<bb_store::BusEvent>,
    user_id: &str,
    message_id: &str,
) {
    let topic = bb_store::email_topic(user_id);
    loop {
        let e = tokio::time::timeout(Duration::from_secs(60), bus.recv())
            .await
            .expect("the email recorded within a minute")
            .expect("the bus runs");
        if e.topic == topic && message_id.contains(&e.payload) {
            return;
        }
    }
}

fn token_of(url: &str) -> &str {
    url.split("token=").nth(1).unwrap().trim_end_matches('>')
}

#[tokio::test]
async fn a_backtest_summary_is_emailed_and_the_preferences_turn_it_off_or_into_a_digest() {
    summary_journey(false).await;
}

#[tokio::test]
async fn a_backtest_summary_is_emailed_on_postgres_too() {
    summary_journey(true).await;
}

async fn summary_journey(postgres: bool) {
    let mut sink = SmtpSink::start().await;
    let app = app_on(&sink, postgres).await;
    let ada = app.register("ada-mail@example.com").await;
    let confirm = sink.next().await;
    assert_eq!(
        confirm.header("subject"),
        Some("Confirm your email address for Blockbuilders")
    );
    // Account emails cannot be unsubscribed from.
    assert_eq!(confirm.header("list-unsubscribe"), None);

    let prefs = app
        .get("/api/v1/notification-preferences", Some(&ada.token))
        .await;
    assert_eq!(prefs.status, StatusCode::OK);
    assert_conforms("PreferencesView", &prefs.body);
    assert_eq!(prefs.body["email"]["address"], "ada-mail@example.com");
    assert_eq!(prefs.body["email"]["sending"], true);
    let row = |body: &Value, kind: &str| {
        body["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == kind)
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&prefs.body, "backtest.succeeded")["email"], "instant");
    assert_eq!(row(&prefs.body, "sweep.succeeded")["email"], "daily");

    // A finished backtest: its summary arrives by email.
    let mut bus = app.state.db().subscribe();
    let strategy = app
        .create_strategy(&ada.token, "Mailed crossover", "private")
        .await;
    let run = backtest(&app, &ada.token, &strategy).await;
    let mail = sink.next().await;
    assert_eq!(mail.header("to"), Some("ada-mail@example.com"));
    assert!(
        mail.header("from")
            .unwrap()
            .contains("alerts@mail.blockbuilders.test")
    );
    assert!(
        mail.header("subject")
            .unwrap()
            .starts_with("Backtest finished: "),
        "{mail:?}"
    );
    let message_id = mail.header("message-id").unwrap();
    assert!(
        message_id.ends_with("@mail.blockbuilders.test>"),
        "{message_id}"
    );
    assert_eq!(mail.header("auto-submitted"), Some("auto-generated"));
    assert_eq!(
        mail.header("list-unsubscribe-post"),
        Some("List-Unsubscribe=One-Click")
    );
    let one_click = mail.header("list-unsubscribe").unwrap().to_owned();
    assert!(
        one_click.starts_with(&format!("<{PUBLIC}/api/v1/email/unsubscribe?token=")),
        "{one_click}"
    );
    assert!(
        mail.header("content-type")
            .unwrap()
            .starts_with("multipart/alternative")
    );
    let text = mail.decoded();
    assert!(text.contains("Return: "), "{text}");
    assert!(text.contains("Trades: "), "{text}");
    assert!(
        text.contains(&format!("{PUBLIC}/backtests/{run}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("Stop these emails: {PUBLIC}/unsubscribe?token=")),
        "{text}"
    );

    // The SMTP server prints a message before its answer reaches us: wait for the record.
    recorded(&mut bus, &ada.id, message_id).await;
    let emails = app.get("/api/v1/emails", Some(&ada.token)).await;
    assert_conforms("EmailList", &emails.body);
    assert_eq!(emails.body["total"], 2, "the confirmation and the summary");
    let first = &emails.body["items"][0];
    assert_eq!(first["status"], "sent");
    assert_eq!(first["kind"], "backtest.succeeded");
    assert_eq!(first["attempts"], 1);
    assert_eq!(
        format!(
            "<{}@mail.blockbuilders.test>",
            first["id"].as_str().unwrap()
        ),
        message_id
    );

    // Email off for backtest summaries: in-app still arrives, no email is even queued
    // (the outbox is written in the notification's transaction).
    let off = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/notification-preferences",
            Some(&ada.token),
            Some(json!({ "items": [{ "kind": "backtest.succeeded", "email": "off" }] })),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(row(&off.body, "backtest.succeeded")["email"], "off");
    assert_eq!(row(&off.body, "backtest.succeeded")["webhook"], "on");
    let second = backtest(&app, &ada.token, &strategy).await;
    let notes = app
        .get("/api/v1/notifications", Some(&ada.token))
        .await
        .body;
    assert!(
        notes["items"][0]["link"]
            .as_str()
            .unwrap()
            .ends_with(&second)
    );
    assert_eq!(
        app.get("/api/v1/emails", Some(&ada.token)).await.body["total"],
        2
    );

    // The daily digest: held, then one email carries it.
    app.call(
        reqwest::Method::PUT,
        "/api/v1/notification-preferences",
        Some(&ada.token),
        Some(json!({ "items": [{ "kind": "backtest.succeeded", "email": "daily" }] })),
    )
    .await;
    backtest(&app, &ada.token, &strategy).await;
    let held = app.get("/api/v1/emails", Some(&ada.token)).await.body;
    assert_eq!(held["items"][0]["status"], "digest");
    let day = 86_400_000;
    let db = app.state.db();
    assert_eq!(
        db.emails()
            .send_digests(bb_store::now_ms(), day)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        db.emails()
            .send_digests(bb_store::now_ms() + day, day)
            .await
            .unwrap(),
        1
    );
    let digest = sink.next().await;
    recorded(&mut bus, &ada.id, digest.header("message-id").unwrap()).await;
    assert_eq!(
        digest.header("subject"),
        Some("Your Blockbuilders digest: 1 notification")
    );
    assert!(
        digest.decoded().contains("Backtest finished: "),
        "{digest:?}"
    );
    let after = app.get("/api/v1/emails", Some(&ada.token)).await.body;
    assert_eq!(after["items"][0]["kind"], "digest");
    assert_eq!(after["items"][0]["status"], "sent");
    assert_eq!(after["items"][1]["status"], "digested");
    assert_eq!(
        db.emails()
            .send_digests(bb_store::now_ms() + day, day)
            .await
            .unwrap(),
        0
    );

    // One click from the mail provider: a form POST with the token, no session.
    let reply = app
        .client
        .post(
            app.url(
                one_click
                    .trim_start_matches(&format!("<{PUBLIC}"))
                    .trim_end_matches('>'),
            ),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    let reply = crate::common::Reply::from(reply).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_conforms("UnsubscribeResult", &reply.body);
    assert_eq!(reply.body["kind"], "backtest.succeeded");
    let prefs = app
        .get("/api/v1/notification-preferences", Some(&ada.token))
        .await
        .body;
    assert_eq!(row(&prefs, "backtest.succeeded")["email"], "off");
    // The digest's own link turns off every kind that went to the digest.
    let digest_link = digest.header("list-unsubscribe").unwrap().to_owned();
    let reply = app
        .post(
            "/api/v1/email/unsubscribe",
            None,
            json!({ "token": token_of(&digest_link) }),
        )
        .await;
    assert_eq!(reply.body["kind"], "digest", "{}", reply.text);
    let prefs = app
        .get("/api/v1/notification-preferences", Some(&ada.token))
        .await
        .body;
    assert_eq!(row(&prefs, "sweep.succeeded")["email"], "off");
    assert_eq!(row(&prefs, "backtest.failed")["email"], "instant");
    assert!(sink.none_yet());
}

#[tokio::test]
async fn email_routes_refuse_anonymous_other_users_forged_tokens_and_hostile_input() {
    let mut sink = SmtpSink::start().await;
    let app = app_with(&sink).await;
    let bo = app.register("bo-mail@example.com").await;
    let cy = app.register("cy-mail@example.com").await;
    for _ in 0..2 {
        assert!(
            sink.next()
                .await
                .header("subject")
                .unwrap()
                .starts_with("Confirm your email")
        );
    }
    let strategy = app.create_strategy(&bo.token, "Bo's", "private").await;
    backtest(&app, &bo.token, &strategy).await;
    let mail = sink.next().await;
    let token = token_of(mail.header("list-unsubscribe").unwrap()).to_owned();

    for (method, path) in [
        (reqwest::Method::GET, "/api/v1/notification-preferences"),
        (reqwest::Method::PUT, "/api/v1/notification-preferences"),
        (reqwest::Method::GET, "/api/v1/emails"),
    ] {
        let reply = app
            .call(method, path, None, Some(json!({ "items": [] })))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // Another user sees none of Bo's emails: only their own confirmation.
    let cy_emails = app.get("/api/v1/emails", Some(&cy.token)).await.body;
    assert_eq!(cy_emails["total"], 1);
    assert_eq!(cy_emails["items"][0]["kind"], "account.verify_email");

    let put = |items: Value| {
        app.call(
            reqwest::Method::PUT,
            "/api/v1/notification-preferences",
            Some(&cy.token),
            Some(json!({ "items": items })),
        )
    };
    for (items, field) in [
        (
            json!([{ "kind": "root.everything", "email": "off" }]),
            "items[0].kind",
        ),
        (
            json!([{ "kind": "backtest.succeeded", "email": "hourly" }]),
            "items[0].email",
        ),
        (
            json!([{ "kind": "backtest.succeeded", "webhook": "maybe" }]),
            "items[0].webhook",
        ),
        (
            json!([{ "kind": "backtest.failed" }, { "kind": "backtest.failed" }]),
            "items[1].kind",
        ),
        (
            json!(vec![json!({ "kind": "backtest.failed" }); 500]),
            "items",
        ),
    ] {
        let reply = put(items).await;
        assert_eq!(
            reply.error_code(),
            ErrorCode::ValidationFailed,
            "{}",
            reply.text
        );
        assert_eq!(
            reply.body["error"]["details"]["field"], field,
            "{}",
            reply.text
        );
    }
    let extra = put(json!([{ "kind": "backtest.failed", "sms": "on" }])).await;
    assert_eq!(extra.error_code(), ErrorCode::ValidationFailed);
    // Nothing of a refused change was stored.
    let prefs = app
        .get("/api/v1/notification-preferences", Some(&cy.token))
        .await
        .body;
    assert!(
        prefs["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["email"] != "off")
    );

    // Forged, altered or missing tokens unsubscribe nobody.
    let cy_token_forged = {
        use base64::Engine;
        let raw = String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&token)
                .unwrap(),
        )
        .unwrap();
        let sig = raw.rsplit('\n').next().unwrap().to_owned();
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{}\nbacktest.succeeded\n{sig}", cy.id))
    };
    for bad in [cy_token_forged.as_str(), "x", &"A".repeat(5000), ""] {
        let reply = app
            .post("/api/v1/email/unsubscribe", None, json!({ "token": bad }))
            .await;
        assert_eq!(
            reply.error_code(),
            ErrorCode::NotFound,
            "{bad:.20}: {}",
            reply.text
        );
    }
    let no_token = app
        .client
        .post(app.url("/api/v1/email/unsubscribe"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::BAD_REQUEST);
    // A GET (a link scanner) never unsubscribes.
    let get = app
        .get(&format!("/api/v1/email/unsubscribe?token={token}"), None)
        .await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    let prefs = app
        .get("/api/v1/notification-preferences", Some(&bo.token))
        .await
        .body;
    assert!(
        prefs["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["email"] != "off")
    );
    // The genuine token works, for Bo only.
    let reply = app
        .post("/api/v1/email/unsubscribe", None, json!({ "token": token }))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let bo_prefs = app
        .get("/api/v1/notification-preferences", Some(&bo.token))
        .await
        .body;
    let cy_prefs = app
        .get("/api/v1/notification-preferences", Some(&cy.token))
        .await
        .body;
    let email_of = |b: &Value| {
        b["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == "backtest.succeeded")
            .unwrap()["email"]
            .clone()
    };
    assert_eq!(email_of(&bo_prefs), "off");
    assert_eq!(email_of(&cy_prefs), "instant");
}

#[tokio::test]
async fn without_smtp_nothing_is_queued_and_the_page_says_email_is_off() {
    let app = TestApp::spawn().await;
    bb_market::demo::load_demo(app.state.db()).await.unwrap();
    let di = app.register("di-mail@example.com").await;
    let prefs = app
        .get("/api/v1/notification-preferences", Some(&di.token))
        .await
        .body;
    assert_eq!(prefs["email"]["sending"], false);
    // Nobody is asked to confirm an address the server would send nothing to.
    let me = app.get("/api/v1/me", Some(&di.token)).await.body;
    assert!(me.get("email_verified").is_none(), "{me}");
    let strategy = app.create_strategy(&di.token, "Quiet", "private").await;
    backtest(&app, &di.token, &strategy).await;
    assert_eq!(
        app.get("/api/v1/emails", Some(&di.token)).await.body["total"],
        0
    );
    let reply = app
        .post("/api/v1/email/unsubscribe", None, json!({ "token": "abc" }))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

/// The link (`PUBLIC` + path + `?token=`) in a message's text.
fn link_in(mail: &Mail, path: &str) -> String {
    let text = mail.decoded();
    let start = text
        .find(&format!("{PUBLIC}{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {text}"));
    text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn account_emails_confirm_the_address_reset_the_password_and_tell_of_new_devices() {
    let mut sink = SmtpSink::start().await;
    let app = app_with(&sink).await;
    let eve = app.register("eve-mail@example.com").await;

    // Registering sends a confirmation link; opening it confirms the address, once.
    let confirm = sink.next().await;
    assert_eq!(confirm.header("to"), Some("eve-mail@example.com"));
    let token = link_in(&confirm, "/verify-email");
    let me = app.get("/api/v1/me", Some(&eve.token)).await;
    assert_eq!(me.body["email_verified"], false);
    let resend = app
        .post(
            "/api/v1/auth/verify-email/send",
            Some(&eve.token),
            json!({}),
        )
        .await;
    assert_eq!(
        resend.error_code(),
        ErrorCode::RateLimited,
        "a link went out a moment ago"
    );
    let ok = app
        .post("/api/v1/auth/verify-email", None, json!({ "token": token }))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_conforms("Verified", &ok.body);
    assert_eq!(ok.body["email"], "eve-mail@example.com");
    assert_eq!(
        app.get("/api/v1/me", Some(&eve.token)).await.body["email_verified"],
        true
    );
    let again = app
        .post("/api/v1/auth/verify-email", None, json!({ "token": token }))
        .await;
    assert_eq!(again.error_code(), ErrorCode::NotFound);
    let resend = app
        .post(
            "/api/v1/auth/verify-email/send",
            Some(&eve.token),
            json!({}),
        )
        .await;
    assert_eq!(resend.error_code(), ErrorCode::Conflict);
    let anonymous = app
        .post("/api/v1/auth/verify-email/send", None, json!({}))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // A reset for an address with no account answers the same and sends nothing.
    let nobody = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "nobody@example.com" }),
        )
        .await;
    let reset = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "EVE-mail@example.com " }),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::ACCEPTED);
    assert_eq!(reset.status, StatusCode::ACCEPTED);
    assert_eq!(nobody.body, reset.body);
    let twice = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "eve-mail@example.com" }),
        )
        .await;
    assert_eq!(twice.status, StatusCode::ACCEPTED);
    let mail = sink.next().await;
    assert_eq!(
        mail.header("subject"),
        Some("Reset your Blockbuilders password")
    );
    assert_eq!(mail.header("list-unsubscribe"), None);
    let token = link_in(&mail, "/reset-password");
    // A weak password is refused beside its field, and the link still works after.
    let weak = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": token, "password": "password" }),
        )
        .await;
    assert_eq!(weak.error_code(), ErrorCode::ValidationFailed);
    assert_eq!(weak.body["error"]["details"]["field"], "password");
    let new_password = "quartz lantern meadow ripple 42";
    let done = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": token, "password": new_password }),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let reused = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": token, "password": new_password }),
        )
        .await;
    assert_eq!(reused.error_code(), ErrorCode::NotFound);
    for bad in ["", "x", &"y".repeat(500)] {
        let reply = app
            .post(
                "/api/v1/auth/password-reset/confirm",
                None,
                json!({ "token": bad, "password": new_password }),
            )
            .await;
        assert_eq!(reply.error_code(), ErrorCode::NotFound);
    }
    // Every session ended: the old refresh token no longer works; the old password neither.
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": eve.refresh }),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED);
    let old = app
        .login("eve-mail@example.com", crate::common::PASSWORD)
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);

    // Signing in from a browser never seen before: an email. With its cookie: none.
    let fresh = app.login("eve-mail@example.com", new_password).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    let notice = sink.next().await;
    assert_eq!(
        notice.header("subject"),
        Some("A new sign-in to your Blockbuilders account")
    );
    assert!(
        notice.decoded().contains("127.0.0.1"),
        "{}",
        notice.decoded()
    );
    let device = fresh
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("bb_device="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("a device cookie");
    let known = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("cookie", format!("bb_device={device}"))
        .json(&json!({ "email": "eve-mail@example.com", "password": new_password }))
        .send()
        .await
        .unwrap();
    assert_eq!(known.status(), StatusCode::OK);
    // The outbox is written with the sign-in: no email was queued for the known device.
    let token = fresh.body["access_token"].as_str().unwrap();
    let emails = app.get("/api/v1/emails?limit=100", Some(token)).await.body;
    let kinds: Vec<&str> = emails["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "account.new_sign_in",
            "account.password_reset",
            "account.verify_email"
        ]
    );
    assert!(sink.none_yet());
}

#[tokio::test]
async fn a_mail_server_that_cannot_be_reached_leaves_the_email_queued_with_the_reason() {
    // A port with nothing listening: every try fails to connect.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let app = TestApp::spawn_with(|c| {
        c.smtp_url = Some(bb_server::config::Secret::new(format!("smtp://{closed}")));
        c.public_url = Some(PUBLIC.into());
    })
    .await;
    let mut bus = app.state.db().subscribe();
    let fay = app.register("fay-mail@example.com").await;
    // The confirmation email's first try fails and is recorded, with why.
    let topic = bb_store::email_topic(&fay.id);
    loop {
        let e = tokio::time::timeout(Duration::from_secs(60), bus.recv())
            .await
            .expect("a try recorded within a minute")
            .expect("the bus runs");
        if e.topic == topic {
            break;
        }
    }
    let emails = app.get("/api/v1/emails", Some(&fay.token)).await.body;
    let email = &emails["items"][0];
    assert_eq!(email["kind"], "account.verify_email");
    // Queued again for the job's next try (a second may have happened meanwhile: the
    // queue retries after a second).
    assert_eq!(email["status"], "queued", "{emails}");
    assert!(email["attempts"].as_i64().unwrap() >= 1, "{emails}");
    assert!(
        email["last_error"]
            .as_str()
            .unwrap()
            .contains("could not take it now"),
        "{emails}"
    );
    assert_eq!(email["sent_at"], Value::Null);
}
