//! The market data API: datasets with coverage and quality, candles for charts, file
//! imports with owners. The journey runs on SQLite and on PostgreSQL.

use crate::common::ErrorCode;
use crate::common::{Account, Reply, TestApp};
use crate::conform::assert_conforms;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::path::PathBuf;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DATASETS: &str = "/api/v1/market/datasets";
const IMPORTS: &str = "/api/v1/market/imports";
/// 2022-01-10T00:00:00Z.
const JAN_10: i64 = 1_641_772_800_000;
const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

fn repo_file(path: &str) -> Vec<u8> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Uploads `body` to the imports route with the query string `query`.
async fn upload(app: &TestApp, query: &str, token: Option<&str>, body: Vec<u8>) -> Reply {
    let mut req = app
        .client
        .post(app.url(&format!("{IMPORTS}?{query}")))
        .header("content-type", "application/octet-stream")
        .body(body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    Reply::from(req.send().await.expect("request sent")).await
}

/// The visible datasets, as (`SYMBOL:TIMEFRAME`, dataset).
async fn list(app: &TestApp, token: &str, query: &str) -> Vec<(String, Value)> {
    let reply = app.get(&format!("{DATASETS}{query}"), Some(token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                format!(
                    "{}:{}",
                    d["symbol"].as_str().unwrap(),
                    d["timeframe"].as_str().unwrap()
                ),
                d.clone(),
            )
        })
        .collect()
}

async fn candles(app: &TestApp, token: &str, id: &str, query: &str) -> Reply {
    app.get(&format!("{DATASETS}/{id}/candles?{query}"), Some(token))
        .await
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn times(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

/// Asserts a 422 whose `details.field` is `field`.
fn assert_field_error(reply: &Reply, field: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{field}: {}",
        reply.text
    );
    assert_eq!(reply.error_code(), ErrorCode::ValidationFailed);
    assert_eq!(
        reply.body["error"]["details"]["field"], field,
        "{}",
        reply.text
    );
}

async fn admin(app: &TestApp, email: &str) -> Account {
    let account = app.register(email).await;
    app.make_admin(&account).await;
    account
}

/// `n` one-minute candles from `start` as CSV with Unix-ms times.
fn minutes_csv(start: i64, n: usize) -> Vec<u8> {
    let mut csv = String::from("time,open,high,low,close,volume\n");
    for i in 0..n {
        let p = 100.0 + (i % 50) as f64;
        csv.push_str(&format!(
            "{},{p},{},{},{},{}\n",
            start + i as i64 * MINUTE,
            p + 2.0,
            p - 1.0,
            p + 1.0,
            i % 7 + 1
        ));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn market_journey_on_sqlite() {
    journey(&TestApp::spawn().await).await;
}

#[tokio::test]
async fn market_journey_on_postgres() {
    journey(&TestApp::spawn_postgres().await).await;
}

async fn journey(app: &TestApp) {
    bb_market::demo::load_demo(app.state.db()).await.unwrap();
    let ada = app.register("ada@example.com").await;
    let bob = app.register("bob@example.com").await;

    // Every demo dataset, with its coverage and a quality summary.
    let all = list(app, &ada.token, "").await;
    let specs: Vec<&str> = all.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        specs,
        vec![
            "ADA-BTC:5m",
            "BTC-PERP:1m",
            "BTC-USD:1d",
            "DASH-BTC:5m",
            "ETC-BTC:5m",
            "ETH-BTC:5m",
            "LTC-BTC:5m",
            "TRX-BTC:5m",
            "XLM-BTC:5m",
            "ZEC-BTC:5m"
        ]
    );
    for (spec, d) in &all {
        assert_eq!(d["source"], "demo", "{spec}");
        assert!(d["owner_id"].is_null(), "{spec}: demo data is shared");
        assert!(d["quality"].is_object(), "{spec}: {d}");
        assert!(d.get("quality_report").is_none(), "{spec}: summary only");
        assert_eq!(d["quality"]["gap_policy"], "leave");
        assert!(d["provenance"].as_str().unwrap().contains("data/demo/"));
    }
    let ada_btc = &all[0].1;
    assert_eq!(ada_btc["row_count"], 5720);
    assert_eq!(ada_btc["quality"]["gaps"], 5);
    assert_eq!(ada_btc["quality"]["missing_candles"], 40);
    assert_eq!(ada_btc["first_at"], "2018-01-10T04:55:00Z");
    let daily = &all[2].1;
    assert_eq!(daily["row_count"], 2723);
    assert_eq!(daily["first_ts"], 1_410_912_000_000_i64);
    assert_eq!(daily["first_at"], "2014-09-17T00:00:00Z");
    assert_eq!(daily["last_at"], "2022-03-01T00:00:00Z");
    assert_eq!(daily["quality"]["unterminated_last_line"], true);
    assert_eq!(daily["fetch_sources"], serde_json::json!(["demo"]));
    let perp = &all[1].1;
    assert_eq!(perp["row_count"], 45_031);
    assert_eq!(perp["quality"]["gaps"], 0);

    // Filters.
    let perp_only = list(app, &ada.token, "?symbol=btc-perp").await;
    assert_eq!(perp_only.len(), 1);
    assert_eq!(list(app, &ada.token, "?timeframe=5m").await.len(), 8);
    let reply = app
        .get(&format!("{DATASETS}?timeframe=often"), Some(&ada.token))
        .await;
    assert_field_error(&reply, "timeframe");

    // One dataset: the full quality report and the source runs.
    let daily_id = daily["id"].as_str().unwrap();
    let detail = app
        .get(&format!("{DATASETS}/{daily_id}"), Some(&ada.token))
        .await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text);
    assert_eq!(detail.body["symbol"], "BTC-USD");
    assert_eq!(detail.body["quality"]["unterminated_last_line"], true);
    assert_conforms("DatasetDetail", &detail.body);
    assert_eq!(detail.body["quality_report"]["rows"], 2723);
    assert_eq!(detail.body["quality_report"]["file"]["format"], "yahoo_csv");
    assert_eq!(
        detail.body["sources"],
        serde_json::json!([{
            "source": "demo",
            "from_ts": 1_410_912_000_000_i64,
            "from_at": "2014-09-17T00:00:00Z",
            "to_ts": 1_646_092_800_000_i64,
            "to_at": "2022-03-01T00:00:00Z",
            "candles": 2723
        }])
    );

    // Candles in a range, ISO dates or Unix ms alike.
    let perp_id = perp["id"].as_str().unwrap();
    let hour = candles(
        app,
        &ada.token,
        perp_id,
        "from=2022-01-10T00:00:00Z&to=2022-01-10T01:00:00Z",
    )
    .await;
    assert_eq!(hour.status, StatusCode::OK, "{}", hour.text);
    assert_eq!(hour.body["timeframe"], "1m");
    assert!(hour.body["resampled_from"].is_null());
    assert_eq!(hour.body["candles"], 60);
    assert_eq!(hour.body["candles_per_point"], 1);
    let t = times(&hour.body["t"]);
    assert_eq!(t.len(), 60);
    assert_eq!((t[0], t[59]), (JAN_10, JAN_10 + 59 * MINUTE));
    let by_ms = candles(
        app,
        &ada.token,
        perp_id,
        &format!("from={JAN_10}&to={}", JAN_10 + HOUR),
    )
    .await;
    assert_eq!(by_ms.body, hour.body);

    // Resampled 1m → 1h: 24 hours, the first equal to its 60 minutes.
    let day = candles(
        app,
        &ada.token,
        perp_id,
        "from=2022-01-10&to=2022-01-11&timeframe=1h",
    )
    .await;
    assert_eq!(day.status, StatusCode::OK, "{}", day.text);
    assert_eq!(day.body["timeframe"], "1h");
    assert_eq!(day.body["resampled_from"], "1m");
    let t = times(&day.body["t"]);
    assert_eq!(t.len(), 24);
    assert_eq!((t[0], t[23]), (JAN_10, JAN_10 + 23 * HOUR));
    let (o, h, l, c, v) = (
        numbers(&hour.body["o"]),
        numbers(&hour.body["h"]),
        numbers(&hour.body["l"]),
        numbers(&hour.body["c"]),
        numbers(&hour.body["v"]),
    );
    assert_eq!(numbers(&day.body["o"])[0], o[0]);
    assert_eq!(
        numbers(&day.body["h"])[0],
        h.iter().copied().fold(f64::MIN, f64::max)
    );
    assert_eq!(
        numbers(&day.body["l"])[0],
        l.iter().copied().fold(f64::MAX, f64::min)
    );
    assert_eq!(numbers(&day.body["c"])[0], c[59]);
    let volume: f64 = v.iter().sum();
    assert!((numbers(&day.body["v"])[0] - volume).abs() <= volume * 1e-12);

    // max_points: the whole month in at most 500 points of 91 merged minutes.
    let chart = candles(app, &ada.token, perp_id, "max_points=500").await;
    assert_eq!(chart.status, StatusCode::OK, "{}", chart.text);
    assert_eq!(chart.body["candles"], 45_031);
    assert_eq!(chart.body["candles_per_point"], 91);
    let t = times(&chart.body["t"]);
    assert_eq!(t.len(), 495);
    let first_ts = perp["first_ts"].as_i64().unwrap();
    assert_eq!(t[0], first_ts);
    assert_eq!(t[1], first_ts + 91 * MINUTE);
    let raw = candles(
        app,
        &ada.token,
        perp_id,
        &format!("from={first_ts}&to={}", first_ts + 91 * MINUTE),
    )
    .await;
    assert_eq!(raw.body["candles"], 91);
    assert_eq!(numbers(&chart.body["o"])[0], numbers(&raw.body["o"])[0]);
    assert_eq!(
        numbers(&chart.body["h"])[0],
        numbers(&raw.body["h"]).into_iter().fold(f64::MIN, f64::max)
    );
    assert_eq!(
        numbers(&chart.body["l"])[0],
        numbers(&raw.body["l"]).into_iter().fold(f64::MAX, f64::min)
    );
    assert_eq!(numbers(&chart.body["c"])[0], numbers(&raw.body["c"])[90]);

    // Bad parameters name their field.
    let ada_btc_id = ada_btc["id"].as_str().unwrap();
    for (id, query, field) in [
        (perp_id, "from=yesterday", "from"),
        (perp_id, "from=2022-01-11&to=2022-01-10", "to"),
        (perp_id, "timeframe=fortnight", "timeframe"),
        (ada_btc_id, "timeframe=7m", "timeframe"),
        (daily_id, "timeframe=1h", "timeframe"),
        (perp_id, "max_points=0", "max_points"),
        (perp_id, "max_points=many", "max_points"),
        // times outside 1970..2200, and ones that are not numbers
        (perp_id, "to=99999999999999999999", "to"),
        (perp_id, "from=-1", "from"),
        (perp_id, "from=2201-01-01", "from"),
        (perp_id, "to=99999-01-01", "to"),
        (perp_id, "to=inf", "to"),
        (perp_id, "to=NaN", "to"),
    ] {
        let reply = candles(app, &ada.token, id, query).await;
        assert_field_error(&reply, field);
    }

    // An upload of a real Binance dump: Ada's own dataset.
    let file = repo_file("testdata/market/binance_ADABTC-1m-2021-11-27.csv");
    let created = upload(app, "symbol=ADA-BTC", Some(&ada.token), file.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["created"], true);
    let mine = &created.body["dataset"];
    assert_eq!(mine["symbol"], "ADA-BTC");
    assert_eq!(mine["timeframe"], "1m");
    assert_eq!(mine["source"], "file");
    assert_eq!(mine["owner_id"], ada.id.as_str());
    assert_eq!(mine["row_count"], 10);
    assert_eq!(mine["first_at"], "2021-11-27T00:00:00Z");
    assert_eq!(mine["provenance"], "uploaded file (binance)");
    assert_eq!(created.body["import"]["format"], "binance");
    assert_eq!(created.body["import"]["inserted"], 10);
    assert_eq!(created.body["quality"]["rows"], 10);
    assert_conforms("ImportResult", &created.body);
    let mine_id = mine["id"].as_str().unwrap().to_string();

    // ...listed and loadable for Ada, invisible to Bob.
    let ada_sees = list(app, &ada.token, "?symbol=ADA-BTC").await;
    assert_eq!(
        ada_sees.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        vec!["ADA-BTC:1m", "ADA-BTC:5m"]
    );
    let loaded = candles(app, &ada.token, &mine_id, "").await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.text);
    assert_eq!(times(&loaded.body["t"])[0], 1_637_971_200_000);
    assert_eq!(numbers(&loaded.body["o"])[0], 0.00002853);
    assert_eq!(numbers(&loaded.body["v"])[0], 36304.2);
    assert_eq!(list(app, &bob.token, "?symbol=ADA-BTC").await.len(), 1);
    for path in [
        format!("{DATASETS}/{mine_id}"),
        format!("{DATASETS}/{mine_id}/candles"),
    ] {
        let reply = app.get(&path, Some(&bob.token)).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::NotFound);
    }

    // Importing again adds nothing; Bob never touches Ada's dataset (see
    // `dataset_names_are_per_owner`), and may not import into the shared demo data.
    let again = upload(app, "symbol=ADA-BTC", Some(&ada.token), file.clone()).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.body["created"], false);
    assert_eq!(again.body["import"]["unchanged"], 10);
    assert_eq!(again.body["dataset"]["id"], mine_id.as_str());
    let demo = repo_file("data/demo/ccxt_ADA_BTC-5m_2018-01.json");
    let refused = upload(
        app,
        "symbol=ADA-BTC&source=demo",
        Some(&bob.token),
        demo.clone(),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    // Under a name of his own he gets his own dataset.
    let his = upload(
        app,
        "symbol=ADA-BTC&source=bobs-files",
        Some(&bob.token),
        file.clone(),
    )
    .await;
    assert_eq!(his.status, StatusCode::CREATED, "{}", his.text);
    assert_eq!(his.body["dataset"]["owner_id"], bob.id.as_str());
    assert_eq!(list(app, &ada.token, "?symbol=ADA-BTC").await.len(), 2);

    // Anonymous callers are refused everywhere.
    for (method, path) in [
        (Method::GET, DATASETS.to_string()),
        (Method::GET, format!("{DATASETS}/{daily_id}")),
        (Method::GET, format!("{DATASETS}/{daily_id}/candles")),
        (Method::POST, format!("{IMPORTS}?symbol=X-Y")),
    ] {
        let reply = app.call(method.clone(), &path, None, None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::Unauthorized);
    }
    let reply = upload(app, "symbol=ADA-BTC", None, file).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
}

#[tokio::test]
async fn malformed_uploads_are_422_with_the_line_and_store_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let header = "time,open,high,low,close,volume\n";
    for (body, line, reason) in [
        (
            format!("{header}2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,2,oops,1.5,10\n"),
            3,
            "low is \"oops\", not a number",
        ),
        (
            format!("{header}2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5\n"),
            3,
            "",
        ),
        (
            format!(
                "{header}2024-01-01,1,2,0.5,1.5,10\n2024-01-03,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,1.5,10\n"
            ),
            4,
            "",
        ),
        // impossible bars
        (
            format!("{header}2024-01-01,1,2,0.5,1.5,10\n2024-01-02,-1,2,-2,1.5,10\n"),
            3,
            "open is -1; a price cannot be negative",
        ),
        (
            format!("{header}2024-01-01,1,2,0.5,1.5,-10\n"),
            2,
            "volume is -10; a volume cannot be negative",
        ),
        (
            format!("{header}2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,0.5,2,1,10\n"),
            3,
            "high 0.5 is below low 2",
        ),
        (
            format!("{header}2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,2.5,10\n"),
            3,
            "close 2.5 is outside the bar's range (low 0.5, high 2)",
        ),
    ] {
        let reply = upload(&app, "symbol=BAD-USD", Some(&ada.token), body.into_bytes()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::ValidationFailed);
        let details = &reply.body["error"]["details"];
        assert_eq!(details["line"], line, "{}", reply.text);
        let said = details["reason"].as_str().unwrap();
        assert!(!said.is_empty() && said.contains(reason), "{}", reply.text);
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("nothing was stored"),
            "{}",
            reply.text
        );
    }
    // Not a candle file at all; an empty body; a missing symbol; a bad format name.
    let reply = upload(&app, "symbol=BAD-USD", Some(&ada.token), b"hello".to_vec()).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert!(reply.body["error"]["details"]["reason"].is_string());
    let reply = upload(&app, "symbol=BAD-USD", Some(&ada.token), Vec::new()).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    let good = minutes_csv(JAN_10, 10);
    for (query, field) in [
        ("", "symbol"),
        ("symbol=BAD%20USD", "symbol"),
        ("symbol=BAD-USD&format=excel", "format"),
        ("symbol=BAD-USD&timestamp_unit=days", "timestamp_unit"),
        ("symbol=BAD-USD&timeframe=soon", "timeframe"),
    ] {
        let reply = upload(&app, query, Some(&ada.token), good.clone()).await;
        assert_field_error(&reply, field);
    }
    // 5-minute candles cannot be stored as 1-minute or 7-minute ones.
    let five = repo_file("data/demo/ccxt_ADA_BTC-5m_2018-01.json");
    for timeframe in ["1m", "7m"] {
        let reply = upload(
            &app,
            &format!("symbol=BAD-USD&timeframe={timeframe}"),
            Some(&ada.token),
            five.clone(),
        )
        .await;
        assert_field_error(&reply, "timeframe");
    }
    // A misspelt parameter is not ignored.
    let reply = upload(&app, "symbol=BAD-USD&timefrmae=1h", Some(&ada.token), good).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    // None of this left a dataset behind.
    assert!(list(&app, &ada.token, "").await.is_empty());

    // A file that disagrees with stored candles: 409, and the stored ones stay.
    let first = upload(
        &app,
        "symbol=MY-USD",
        Some(&ada.token),
        minutes_csv(JAN_10, 10),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    // the same times, other prices
    let changed = minutes_csv(JAN_10 + 5 * MINUTE, 10);
    let reply = upload(&app, "symbol=MY-USD", Some(&ada.token), changed).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
    assert_eq!(reply.error_code(), ErrorCode::Conflict);
    let all = list(&app, &ada.token, "").await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].1["row_count"], 10);
}

#[tokio::test]
async fn imports_take_large_compressed_and_resampled_files() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;

    // 60,000 minutes: more than the API's default body limit.
    let big = minutes_csv(JAN_10, 60_000);
    assert!(big.len() > bb_server::middleware::BODY_LIMIT);
    let reply = upload(
        &app,
        "symbol=BIG-USD&provenance=generated",
        Some(&ada.token),
        big,
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.body["dataset"]["row_count"], 60_000);
    assert_eq!(reply.body["dataset"]["provenance"], "generated");
    let id = reply.body["dataset"]["id"].as_str().unwrap().to_string();

    // More than 50,000 candles: refused unless narrowed or merged.
    let reply = candles(&app, &ada.token, &id, "").await;
    assert_field_error(&reply, "max_points");
    assert_eq!(reply.body["error"]["details"]["candles"], 60_000);
    let reply = candles(&app, &ada.token, &id, "max_points=1000").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["candles_per_point"], 60);
    assert_eq!(times(&reply.body["t"]).len(), 1000);
    assert_eq!(numbers(&reply.body["v"]).iter().sum::<f64>(), {
        (0..60_000).map(|i| (i % 7 + 1) as f64).sum::<f64>()
    });
    let reply = candles(&app, &ada.token, &id, "timeframe=1h").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(times(&reply.body["t"]).len(), 1000);

    // A gzip-compressed ccxt file, stored as 1h candles.
    let gz = repo_file("data/demo/ccxt_ETH_BTC-5m_2018-01.json.gz");
    let reply = upload(&app, "symbol=ETH-BTC&timeframe=1h", Some(&ada.token), gz).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.body["import"]["format"], "ccxt");
    assert_eq!(reply.body["import"]["compression"], "gzip");
    assert_eq!(reply.body["import"]["rows_read"], 5760);
    assert_eq!(reply.body["resampled_from"], "5m");
    assert_eq!(reply.body["dataset"]["timeframe"], "1h");
    // 5,760 five-minute candles from 2018-01-10 04:55: 479 complete hours
    assert_eq!(reply.body["dataset"]["row_count"], 479);

    // The format and unit can be given instead of detected.
    let seconds = "1641772800,1,2,0.5,1.5,10\n1641772860,1.5,2,1,1.8,12\n";
    let reply = upload(
        &app,
        "symbol=SEC-USD&format=binance&timestamp_unit=s",
        Some(&ada.token),
        seconds.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.body["dataset"]["first_ts"], JAN_10);
}

#[tokio::test]
async fn admins_import_shared_data_and_see_everything() {
    let app = TestApp::spawn().await;
    let root = admin(&app, "root@example.com").await;
    let ada = app.register("ada@example.com").await;
    let file = repo_file("testdata/market/binance_ADABTC-1m-2021-11-27.csv");

    // An admin's new dataset is shared, even under a reserved source name.
    let shared = upload(
        &app,
        "symbol=ADA-BTC&source=binance",
        Some(&root.token),
        file.clone(),
    )
    .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.text);
    assert!(shared.body["dataset"]["owner_id"].is_null());
    assert_eq!(list(&app, &ada.token, "").await.len(), 1);
    // Users may neither add to it nor use the reserved names.
    let reply = upload(
        &app,
        "symbol=ADA-BTC&source=binance",
        Some(&ada.token),
        file.clone(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    let reply = upload(
        &app,
        "symbol=NEW-BTC&source=Binance",
        Some(&ada.token),
        file.clone(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);

    // The admin sees Ada's private dataset; an import under the same name goes to a shared
    // dataset of that name (names are per owner), and Ada's stays hers.
    let hers = upload(&app, "symbol=ADA-BTC", Some(&ada.token), file.clone()).await;
    assert_eq!(hers.status, StatusCode::CREATED, "{}", hers.text);
    let id = hers.body["dataset"]["id"].as_str().unwrap();
    assert_eq!(list(&app, &root.token, "").await.len(), 2);
    let reply = app
        .get(&format!("{DATASETS}/{id}"), Some(&root.token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let reply = upload(&app, "symbol=ADA-BTC", Some(&root.token), file).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_ne!(reply.body["dataset"]["id"], id);
    assert!(reply.body["dataset"]["owner_id"].is_null());
    assert_eq!(list(&app, &root.token, "").await.len(), 3);
    assert_eq!(list(&app, &ada.token, "").await.len(), 3);
}

#[tokio::test]
async fn dataset_names_are_per_owner() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let bob = app.register("bob@example.com").await;
    let file = repo_file("testdata/market/binance_ADABTC-1m-2021-11-27.csv");
    let hers = upload(&app, "symbol=BTC-USD", Some(&ada.token), file.clone()).await;
    assert_eq!(hers.status, StatusCode::CREATED, "{}", hers.text);
    let her_id = hers.body["dataset"]["id"].as_str().unwrap().to_string();

    // Bob imports under the same name and gets a dataset of his own; nothing in the answer
    // tells him Ada has one.
    let his = upload(&app, "symbol=BTC-USD", Some(&bob.token), file.clone()).await;
    assert_eq!(his.status, StatusCode::CREATED, "{}", his.text);
    assert_eq!(his.body["created"], true);
    assert_eq!(his.body["dataset"]["owner_id"], bob.id.as_str());
    let his_id = his.body["dataset"]["id"].as_str().unwrap().to_string();
    assert_ne!(his_id, her_id);
    assert!(
        !his.text.contains(&her_id) && !his.text.contains(&ada.id),
        "{}",
        his.text
    );
    let again = upload(&app, "symbol=BTC-USD", Some(&bob.token), file.clone()).await;
    assert_eq!(
        again.body["dataset"]["id"],
        his_id.as_str(),
        "{}",
        again.text
    );
    assert_eq!(again.body["created"], false);
    // A failing import names only Bob's own things.
    let bad = upload(
        &app,
        "symbol=BTC-USD",
        Some(&bob.token),
        b"time,open\n1,2\n".to_vec(),
    )
    .await;
    assert!(bad.status.is_client_error(), "{}", bad.text);
    assert!(
        !bad.text.contains(&her_id) && !bad.text.contains(&ada.id),
        "{}",
        bad.text
    );

    // Each sees only their own.
    let ids = |items: Vec<(String, Value)>| -> Vec<String> {
        items
            .into_iter()
            .map(|(_, d)| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(list(&app, &bob.token, "?symbol=BTC-USD").await),
        [his_id.as_str()]
    );
    assert_eq!(
        ids(list(&app, &ada.token, "?symbol=BTC-USD").await),
        [her_id.as_str()]
    );
    let theirs = app
        .get(&format!("{DATASETS}/{her_id}"), Some(&bob.token))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn too_large_uploads_are_413() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let limit = bb_server::routes::market::IMPORT_BODY_LIMIT;

    // Declared too large: refused before the body is read.
    let head = format!(
        "POST {IMPORTS}?symbol=BIG-USD HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        ada.token,
        limit + 1
    );
    let (status, body) = raw_request(&app, head.as_bytes(), &[]).await;
    assert_eq!(status, 413, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], ErrorCode::PayloadTooLarge.as_str());

    // Sent without a length (chunked): cut off once past the limit.
    let head = format!(
        "POST {IMPORTS}?symbol=BIG-USD HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.addr, ada.token
    );
    let mut chunks = Vec::with_capacity(limit + 1024);
    let piece = vec![b'1'; 1024 * 1024];
    let mut sent = 0;
    while sent <= limit {
        let n = piece.len().min(limit + 1 - sent);
        chunks.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        chunks.extend_from_slice(&piece[..n]);
        chunks.extend_from_slice(b"\r\n");
        sent += n;
    }
    let (status, body) = raw_request(&app, head.as_bytes(), &chunks).await;
    assert_eq!(status, 413, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], ErrorCode::PayloadTooLarge.as_str());
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("split it"),
        "{body}"
    );
    assert!(list(&app, &ada.token, "").await.is_empty());

    // Other routes keep the API's 1 MiB limit.
    let head = format!(
        "POST /api/v1/strategies HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        ada.token,
        2 * 1024 * 1024
    );
    let (status, _) = raw_request(&app, head.as_bytes(), &[]).await;
    assert_eq!(status, 413);
}

/// Sends `head` then `body` on a fresh connection and reads one response: its status and
/// body (by its Content-Length). Write errors are ignored: the server may answer and close
/// before it has read everything.
async fn raw_request(app: &TestApp, head: &[u8], body: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(head).await.unwrap();
    if !body.is_empty() {
        let _ = stream.write_all(body).await;
    }
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&received);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&received).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

/// Gzip of `n` zero bytes, made here: a "zip bomb" in miniature.
fn gzip_zeros(n: usize) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let block = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(block.len());
        e.write_all(&block[..k]).unwrap();
        left -= k;
    }
    e.finish().unwrap()
}

/// The reproduction of issue 11: a small gzip file expanding to gigabytes of zeros drove the
/// server's memory to 21 GB. Decompression is a stream with a cap (here 1 MiB): past it the
/// answer is 413 in the error envelope, saying the limit, and nothing is stored.
#[tokio::test]
async fn a_gzip_bomb_is_413_and_stores_nothing() {
    let app = TestApp::spawn_with(|c| c.max_decompressed = 1 << 20).await;
    let ada = app.register("ada@example.com").await;
    let bomb = gzip_zeros(64 << 20);
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let reply = upload(&app, "symbol=BOMB", Some(&ada.token), bomb).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text
    );
    assert_eq!(reply.error_code(), ErrorCode::PayloadTooLarge);
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("more than 1 MiB"), "{message}");
    assert!(message.contains("nothing was stored"), "{message}");
    assert!(list(&app, &ada.token, "").await.is_empty());
    // a compressed file within the cap is read as before
    let csv = minutes_csv(JAN_10, 1000);
    assert!(csv.len() < 1 << 20);
    let reply = upload(&app, "symbol=SMALL", Some(&ada.token), gzip_bytes(&csv)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.body["import"]["compression"], "gzip");
    assert_eq!(reply.body["dataset"]["row_count"], 1000);
}

fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}
