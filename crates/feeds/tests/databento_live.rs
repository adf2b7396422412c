//! The Databento live feed against a fake Live Subscription Gateway on 127.0.0.1 that speaks
//! the gateway's protocol: a greeting, a CRAM challenge, the client's `auth=` reply checked
//! against the key, `success=…`, the subscription lines, `start_session`, then a DBN stream
//! (metadata, then records). The market data is the real MBP-1 sample of ES futures in
//! ../shared/data/databento. The test and the fake synchronise through channels and the
//! sockets; timeouts are only a safety net.
#![cfg(feature = "databento-live")]

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bb_feeds::databento_live::{DatabentoConfig, DatabentoLive, DatabentoStats};
use bb_feeds::{DbnReplay, Feed, FeedError, Pace};
use bb_screener::{EventKind, FeedEvent, Gap, MarketEvent};
use dbn::decode::{DbnMetadataDecoder, DbnRecordDecoder};
use dbn::encode::DbnMetadataEncoder;
use dbn::{
    ErrorCode, FlagSet, Mbp1Msg, Metadata, RecordHeader, SType, Schema, TradeMsg,
    VersionUpgradePolicy, rtype,
};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/databento/futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst"
);
/// A key of Databento's shape: `db-` and 29 characters.
const KEY: &str = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ012";
const DATASET: &str = "GLBX.MDP3";

async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .expect("timed out (safety net)")
}

async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    (listener, addr)
}

fn config(gateway: &str, symbols: &[&str]) -> DatabentoConfig {
    DatabentoConfig {
        api_key: KEY.into(),
        dataset: DATASET.into(),
        schema: Schema::Mbp1,
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
        gateway: Some(gateway.into()),
        reconnect_delay: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
    }
}

// ---------------------------------------------------------------------------------------------
// The sample
// ---------------------------------------------------------------------------------------------

/// The sample decompressed: its metadata (the DBN prelude included) and its records, each
/// record's bytes apart.
struct Sample {
    metadata: Vec<u8>,
    records: Vec<Vec<u8>>,
    version: u8,
}

fn sample() -> Sample {
    let bytes = zstd::decode_all(std::fs::read(SAMPLE).unwrap().as_slice()).unwrap();
    assert_eq!(&bytes[..3], b"DBN");
    let version = bytes[3];
    let length = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let (metadata, mut rest) = bytes.split_at(8 + length);
    let mut records = Vec::new();
    while !rest.is_empty() {
        // A record's first byte is its length in 4-byte words.
        let (record, tail) = rest.split_at(usize::from(rest[0]) * 4);
        records.push(record.to_vec());
        rest = tail;
    }
    Sample {
        metadata: metadata.to_vec(),
        records,
        version,
    }
}

impl Sample {
    fn decoded_metadata(&self) -> Metadata {
        DbnMetadataDecoder::with_upgrade_policy(
            self.metadata.as_slice(),
            VersionUpgradePolicy::AsIs,
        )
        .decode()
        .unwrap()
    }

    /// The metadata a live session starts with: the same version and dataset, no symbology
    /// (the gateway names instruments with symbol mapping records).
    fn live_metadata(&self) -> Vec<u8> {
        let mut metadata = self.decoded_metadata();
        metadata.schema = None;
        metadata.stype_in = None;
        metadata.stype_out = SType::InstrumentId;
        metadata.end = None;
        metadata.limit = None;
        metadata.symbols.clear();
        metadata.partial.clear();
        metadata.not_found.clear();
        metadata.mappings.clear();
        let mut bytes = Vec::new();
        DbnMetadataEncoder::new(&mut bytes)
            .encode(&metadata)
            .unwrap();
        assert_eq!(bytes[3], self.version);
        bytes
    }

    /// Each record's index key: (instrument, ts_recv, sequence).
    fn keys(&self) -> Vec<(u32, u64, u32)> {
        let all = self.records.concat();
        let mut decoder = DbnRecordDecoder::with_version(
            all.as_slice(),
            self.version,
            VersionUpgradePolicy::UpgradeToV3,
            false,
        )
        .unwrap();
        let mut keys = Vec::new();
        while let Some(record) = decoder.decode_ref().unwrap() {
            let m = record.get::<Mbp1Msg>().expect("the sample is MBP-1 only");
            keys.push((m.hd.instrument_id, m.ts_recv, m.sequence));
        }
        assert_eq!(keys.len(), self.records.len());
        keys
    }
}

/// What the DBN replay of the sample gives: its market events, in order.
fn replayed_market() -> (Vec<FeedEvent>, Vec<MarketEvent>) {
    let events = DbnReplay::open(&[SAMPLE], Pace::Full)
        .unwrap()
        .into_events();
    let market = markets(&events);
    (events, market)
}

fn markets(events: &[FeedEvent]) -> Vec<MarketEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            FeedEvent::Market(m) => Some(*m),
            _ => None,
        })
        .collect()
}

fn gaps(events: &[FeedEvent]) -> Vec<Gap> {
    events
        .iter()
        .filter_map(|e| match e {
            FeedEvent::Gap(g) => Some(g.clone()),
            _ => None,
        })
        .collect()
}

/// Runs the feed until it has given `n` market events (or fails the test).
async fn collect(feed: &mut DatabentoLive, n: usize) -> Vec<FeedEvent> {
    let mut events = Vec::new();
    while markets(&events).len() < n {
        let before = events.len();
        let more = within(feed.next_batch(&mut events)).await.unwrap();
        assert!(more, "a live feed does not end");
        assert!(events.len() > before, "a batch gives at least one event");
    }
    events
}

// ---------------------------------------------------------------------------------------------
// The fake gateway
// ---------------------------------------------------------------------------------------------

/// What the client sent in one session: its authentication request and its subscriptions,
/// as key=value fields.
#[derive(Debug, Clone, PartialEq)]
struct Session {
    auth: HashMap<String, String>,
    subscriptions: Vec<HashMap<String, String>>,
}

fn fields(line: &str) -> HashMap<String, String> {
    line.trim_end_matches('\n')
        .split('|')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The CRAM reply the gateway expects: the SHA-256 of `{challenge}|{key}` in hex, a dash, and
/// the key's last five characters (its bucket id).
fn cram_reply(challenge: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{challenge}|{key}").as_bytes());
    format!("{}-{}", hex::encode(digest), &key[key.len() - 5..])
}

async fn read_line(conn: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    within(conn.read_line(&mut line)).await.unwrap();
    line
}

async fn send(conn: &mut BufReader<TcpStream>, bytes: &[u8]) {
    conn.get_mut().write_all(bytes).await.unwrap();
}

/// Accepts one connection and runs the gateway's side of the handshake. With `accept_key`, a
/// correct CRAM reply for [`KEY`] and [`DATASET`] is accepted (anything else refused, saying
/// why) and the subscriptions are read up to `start_session`; without, the key is refused as
/// Databento does.
async fn handshake(
    listener: &TcpListener,
    challenge: &str,
    accept_key: bool,
) -> Option<(BufReader<TcpStream>, Session)> {
    let (tcp, _) = within(listener.accept()).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut conn = BufReader::new(tcp);
    send(&mut conn, b"lsg_version=0.7.2\n").await;
    send(&mut conn, format!("cram={challenge}\n").as_bytes()).await;
    let auth = fields(&read_line(&mut conn).await);
    if !accept_key {
        send(&mut conn, b"success=0|error=Authentication failed.\n").await;
        return None;
    }
    let expected = cram_reply(challenge, KEY);
    let problem = if auth.get("auth") != Some(&expected) {
        Some(format!("auth {:?} is not {expected}", auth.get("auth")))
    } else if auth.get("dataset").map(String::as_str) != Some(DATASET) {
        Some(format!("dataset {:?}", auth.get("dataset")))
    } else {
        None
    };
    if let Some(problem) = problem {
        send(
            &mut conn,
            format!("success=0|error=fake: {problem}\n").as_bytes(),
        )
        .await;
        return None;
    }
    send(&mut conn, b"success=1|session_id=1718312345\n").await;
    let mut subscriptions = Vec::new();
    loop {
        let line = read_line(&mut conn).await;
        if line == "start_session\n" {
            break;
        }
        assert!(line.starts_with("schema="), "not a subscription: {line:?}");
        subscriptions.push(fields(&line));
    }
    Some((
        conn,
        Session {
            auth,
            subscriptions,
        },
    ))
}

/// What the feed must have sent: DBN without compression nor `ts_out`, one MBP-1 subscription
/// of ESU4 by raw symbol.
fn assert_session(session: &Session) {
    let auth = &session.auth;
    assert_eq!(auth["dataset"], DATASET);
    assert_eq!(auth["encoding"], "dbn");
    assert_eq!(auth["compression"], "none");
    assert_eq!(auth["ts_out"], "0");
    assert!(auth["client"].starts_with("Databento/"), "{auth:?}");
    assert_eq!(session.subscriptions.len(), 1, "{session:?}");
    let sub = &session.subscriptions[0];
    assert_eq!(sub["schema"], "mbp-1");
    assert_eq!(sub["stype_in"], "raw_symbol");
    assert_eq!(sub["symbols"], "ESU4");
    assert_eq!(sub["snapshot"], "0");
    assert_eq!(sub["is_last"], "1");
    assert!(!sub.contains_key("start"), "a live subscription: {sub:?}");
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn streams_the_sample_as_the_replay_gives_it() {
    let sample = sample();
    let (replayed, expected) = replayed_market();
    assert_eq!(expected.len(), sample.records.len());
    let first_ts = expected[0].ts as u64;

    let (listener, addr) = bind().await;
    let (sessions, mut session_rx) = mpsc::unbounded_channel();
    let (done, done_rx) = oneshot::channel::<()>();
    let mut stream = sample.live_metadata();
    // What a live session sends before the data: a heartbeat, the symbol mapping of the
    // subscription and a gateway error about another symbol (a warning, not the end).
    stream.extend_from_slice(dbn::v1::SystemMsg::heartbeat(first_ts).as_ref());
    stream.extend_from_slice(
        dbn::v1::SymbolMappingMsg::new(118, first_ts, "ESU4", "ESU4", 0, u64::MAX)
            .unwrap()
            .as_ref(),
    );
    stream.extend_from_slice(
        dbn::v1::ErrorMsg::new(first_ts, "Failed to resolve symbol: ESX9").as_ref(),
    );
    stream.extend_from_slice(&sample.records.concat());
    let server = tokio::spawn(async move {
        let (mut conn, session) = handshake(&listener, "lQ9Xk2Pz7TwV", true)
            .await
            .expect("the feed authenticates");
        sessions.send(session).unwrap();
        // Odd-sized writes: records arrive split across reads.
        for chunk in stream.chunks(1_001) {
            send(&mut conn, chunk).await;
        }
        // Keep the session open until the test has everything.
        let _ = done_rx.await;
    });

    let mut feed = DatabentoLive::new(config(&addr, &["ESU4"])).unwrap();
    assert_eq!(feed.describe(), "Databento live GLBX.MDP3 mbp-1, 1 symbol");
    let events = collect(&mut feed, expected.len()).await;
    done.send(()).unwrap();
    within(server).await.unwrap();
    assert_session(&within(session_rx.recv()).await.unwrap());

    assert_eq!(
        markets(&events),
        expected,
        "the same market events as the replay"
    );
    assert!(gaps(&events).is_empty(), "{:?}", gaps(&events));
    // The name comes from the symbol mapping record, before the first market event.
    let first_market = events
        .iter()
        .position(|e| matches!(e, FeedEvent::Market(_)))
        .unwrap();
    assert!(events[..first_market].contains(&FeedEvent::Symbol {
        instrument: expected[0].instrument,
        symbol: "ESU4".into(),
    }));
    assert_eq!(expected[0].instrument, 118);
    // The replay names it the same way (from the file's metadata).
    assert!(replayed.contains(&FeedEvent::Symbol {
        instrument: 118,
        symbol: "ESU4".into(),
    }));
    assert!(
        expected
            .iter()
            .any(|m| matches!(m.kind, EventKind::Trade { .. }))
            && expected
                .iter()
                .any(|m| matches!(m.kind, EventKind::Quote(_)))
    );
    assert_eq!(
        feed.stats(),
        DatabentoStats {
            records: sample.records.len() as u64 + 3,
            duplicates: 0,
            reconnects: 0,
        }
    );
}

#[tokio::test]
async fn a_refused_key_is_a_clear_error_without_retries() {
    let (listener, addr) = bind().await;
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    let server = tokio::spawn(async move {
        let refused = handshake(&listener, "c2xvdzE", false).await;
        assert!(refused.is_none());
        counted.fetch_add(1, Ordering::SeqCst);
        // Any further connection would be counted (and the feed would hang on it).
        loop {
            let (_tcp, _) = listener.accept().await.unwrap();
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });

    let mut feed = DatabentoLive::new(config(&addr, &["ESU4", "NQU4"])).unwrap();
    assert_eq!(feed.describe(), "Databento live GLBX.MDP3 mbp-1, 2 symbols");
    let mut events = Vec::new();
    for _ in 0..2 {
        // The second call answers the same without connecting again.
        match within(feed.next_batch(&mut events)).await {
            Err(FeedError::Connection(why)) => assert_eq!(
                why, "Databento refused the API key: Authentication failed.",
                "{why}"
            ),
            other => panic!("expected the refusal, got {other:?}"),
        }
    }
    assert!(events.is_empty());
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    assert_eq!(feed.stats(), DatabentoStats::default());
    server.abort();
}

#[tokio::test]
async fn reconnects_resubscribes_and_drops_what_is_sent_again() {
    let sample = sample();
    let (_, expected) = replayed_market();
    let keys = sample.keys();
    let n = keys.len();
    // Cut the first session in the middle of records sharing one key when there are some (the
    // sample has several updates per packet), else at the middle.
    let half = (n / 2..n)
        .find(|&i| keys[i - 1] == keys[i])
        .unwrap_or(n / 2);
    // The second session starts again a few records back, at the first record of a key (as a
    // replay from a time would): the records from there to the cut are sent twice.
    let mut resend = half.saturating_sub(5);
    while resend > 0 && keys[resend - 1] == keys[resend] {
        resend -= 1;
    }
    let again = half - resend;
    assert!(again >= 5 && half < n, "half {half}, resend {resend}");

    let (listener, addr) = bind().await;
    let (sessions, mut session_rx) = mpsc::unbounded_channel();
    let (done, done_rx) = oneshot::channel::<()>();
    let first: Vec<u8> = [sample.metadata.clone(), sample.records[..half].concat()].concat();
    let second: Vec<u8> = [sample.metadata.clone(), sample.records[resend..].concat()].concat();
    let server = tokio::spawn(async move {
        let (mut conn, session) = handshake(&listener, "Zm9vYmFy", true)
            .await
            .expect("the feed authenticates");
        sessions.send(session).unwrap();
        send(&mut conn, &first).await;
        conn.get_mut().shutdown().await.unwrap();
        drop(conn);
        // The feed must come back by itself, authenticate again (another challenge) and
        // subscribe again.
        let (mut conn, session) = handshake(&listener, "YmF6cXV4", true)
            .await
            .expect("the feed authenticates again");
        sessions.send(session).unwrap();
        send(&mut conn, &second).await;
        let _ = done_rx.await;
    });

    let mut feed = DatabentoLive::new(config(&addr, &["ESU4"])).unwrap();
    let events = collect(&mut feed, n).await;
    done.send(()).unwrap();
    within(server).await.unwrap();
    let one = within(session_rx.recv()).await.unwrap();
    let two = within(session_rx.recv()).await.unwrap();
    assert_session(&one);
    assert_session(&two);
    assert_eq!(one.subscriptions, two.subscriptions);

    // Everything once, in order: the records sent twice were dropped.
    assert_eq!(markets(&events), expected);
    let gap = Gap {
        symbol: None,
        from: Some(expected[half - 1].ts),
        to: expected[half].ts,
        missing: None,
        reason: gaps(&events)
            .first()
            .map(|g| g.reason.clone())
            .unwrap_or_default(),
    };
    assert_eq!(gaps(&events), vec![gap.clone()]);
    assert!(gap.reason.starts_with("disconnected: "), "{}", gap.reason);
    // The gap comes right before the first event after the reconnection.
    let at = events
        .iter()
        .position(|e| matches!(e, FeedEvent::Gap(_)))
        .unwrap();
    assert_eq!(events[at + 1], FeedEvent::Market(expected[half]));
    // Both sessions named the instrument (from the file's metadata this time).
    let named = events
        .iter()
        .filter(|e| {
            **e == FeedEvent::Symbol {
                instrument: 118,
                symbol: "ESU4".into(),
            }
        })
        .count();
    assert_eq!(named, 2);
    assert_eq!(
        feed.stats(),
        DatabentoStats {
            records: (n + again) as u64,
            duplicates: again as u64,
            reconnects: 1,
        }
    );
}

#[tokio::test]
async fn an_error_record_refusing_the_key_stops_the_feed() {
    // A DBN version 3 session (what the gateway sends today): a trade, then the gateway says
    // the key was deactivated.
    let (listener, addr) = bind().await;
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    let server = tokio::spawn(async move {
        let (mut conn, session) = handshake(&listener, "dGVzdA", true).await.unwrap();
        assert_eq!(session.subscriptions[0]["symbols"], "ALL_SYMBOLS");
        assert_eq!(session.subscriptions[0]["schema"], "trades");
        let metadata = Metadata::builder()
            .dataset(DATASET)
            .schema(None)
            .start(1_719_878_400_000_000_000)
            .stype_in(None)
            .stype_out(SType::InstrumentId)
            .build();
        let mut stream = Vec::new();
        DbnMetadataEncoder::new(&mut stream)
            .encode(&metadata)
            .unwrap();
        let ts = 1_719_878_400_000_000_000u64;
        let records: Vec<Vec<u8>> = vec![
            dbn::SymbolMappingMsg::new(
                7,
                ts,
                SType::RawSymbol,
                "ESU4",
                SType::RawSymbol,
                "ESU4",
                ts,
                u64::MAX,
            )
            .unwrap()
            .as_ref()
            .to_vec(),
            dbn::ErrorMsg::new(
                ts,
                Some(ErrorCode::SymbolResolutionFailed),
                "Failed to resolve symbol: ESX9",
                true,
            )
            .as_ref()
            .to_vec(),
            TradeMsg {
                hd: RecordHeader::new::<TradeMsg>(rtype::MBP_0, 1, 7, ts + 5),
                price: 5_550_250_000_000,
                size: 3,
                action: b'T' as _,
                side: b'A' as _,
                flags: FlagSet::default(),
                depth: 0,
                ts_recv: ts + 9,
                ts_in_delta: 0,
                sequence: 42,
            }
            .as_ref()
            .to_vec(),
            dbn::ErrorMsg::new(
                ts + 10,
                Some(ErrorCode::ApiKeyDeactivated),
                "API key deactivated",
                true,
            )
            .as_ref()
            .to_vec(),
        ];
        stream.extend_from_slice(&records.concat());
        counted.fetch_add(1, Ordering::SeqCst);
        send(&mut conn, &stream).await;
        // Any further connection would be counted.
        loop {
            let (_tcp, _) = listener.accept().await.unwrap();
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });

    let mut cfg = config(&addr, &["ALL_SYMBOLS"]);
    cfg.schema = Schema::Trades;
    let mut feed = DatabentoLive::new(cfg).unwrap();
    assert_eq!(
        feed.describe(),
        "Databento live GLBX.MDP3 trades, all symbols"
    );
    let mut events = Vec::new();
    let error = loop {
        match within(feed.next_batch(&mut events)).await {
            Ok(more) => assert!(more),
            Err(e) => break e,
        }
    };
    assert!(
        matches!(&error, FeedError::Connection(why) if why == "Databento refused the API key: API key deactivated"),
        "{error:?}"
    );
    assert_eq!(
        events,
        vec![
            FeedEvent::Symbol {
                instrument: 7,
                symbol: "ESU4".into()
            },
            FeedEvent::Market(MarketEvent {
                instrument: 7,
                ts: 1_719_878_400_000_000_005,
                kind: EventKind::Trade {
                    price: 5_550.25,
                    size: 3.0
                },
            }),
        ]
    );
    assert!(matches!(
        within(feed.next_batch(&mut events)).await,
        Err(FeedError::Connection(_))
    ));
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    server.abort();
    assert_eq!(feed.stats().records, 4);
    assert_eq!(feed.stats().reconnects, 0);
}

#[test]
fn refuses_bad_configs_naming_the_field() {
    let good = config("127.0.0.1:13000", &["ESU4", "NQU4"]);
    let feed = DatabentoLive::new(good.clone()).unwrap();
    assert_eq!(feed.describe(), "Databento live GLBX.MDP3 mbp-1, 2 symbols");
    // The key never shows, only its bucket id.
    assert!(!format!("{good:?}").contains(KEY));
    assert!(!format!("{feed:?}").contains(KEY));
    assert!(format!("{good:?}").contains("\"…YZ012\""), "{good:?}");

    let many: Vec<String> = (0..2_001).map(|i| format!("S{i}")).collect();
    type Change = Box<dyn Fn(&mut DatabentoConfig)>;
    let cases: Vec<(&str, Change)> = vec![
        ("api_key", Box::new(|c| c.api_key.clear())),
        ("api_key", Box::new(|c| c.api_key = "db-tooshort".into())),
        ("api_key", Box::new(|c| c.api_key = format!("{KEY}X"))),
        (
            "api_key",
            Box::new(|c| c.api_key = "db-ABCDEFGHIJKLM OPQRSTUVWXYZ012".into()),
        ),
        ("dataset", Box::new(|c| c.dataset.clear())),
        ("dataset", Box::new(|c| c.dataset = "GLBX MDP3".into())),
        ("schema", Box::new(|c| c.schema = Schema::Mbo)),
        ("schema", Box::new(|c| c.schema = Schema::Ohlcv1S)),
        ("symbols", Box::new(|c| c.symbols.clear())),
        ("symbols", Box::new(move |c| c.symbols = many.clone())),
        ("symbols", Box::new(|c| c.symbols = vec!["".into()])),
        ("symbols", Box::new(|c| c.symbols = vec!["X".repeat(65)])),
        ("symbols", Box::new(|c| c.symbols = vec!["ES,NQ".into()])),
        ("symbols", Box::new(|c| c.symbols = vec!["ES|NQ".into()])),
        ("symbols", Box::new(|c| c.symbols = vec!["ES\n".into()])),
        ("symbols", Box::new(|c| c.symbols = vec!["ÉSU4".into()])),
        (
            "symbols",
            Box::new(|c| c.symbols = vec!["ESU4".into(), "ESU4".into()]),
        ),
        (
            "symbols",
            Box::new(|c| c.symbols = vec!["ALL_SYMBOLS".into(), "ESU4".into()]),
        ),
        (
            "gateway",
            Box::new(|c| c.gateway = Some("localhost".into())),
        ),
        ("gateway", Box::new(|c| c.gateway = Some(":13000".into()))),
        (
            "reconnect_delay",
            Box::new(|c| c.reconnect_delay = Duration::ZERO),
        ),
        (
            "reconnect_delay",
            Box::new(|c| c.max_backoff = Duration::from_millis(1)),
        ),
    ];
    for (field, change) in cases {
        let mut config = good.clone();
        change(&mut config);
        match DatabentoLive::new(config.clone()) {
            Err(FeedError::Format(why)) => {
                assert!(
                    why.starts_with(&format!("Databento feed: {field}: ")),
                    "{field}: {why}"
                );
                assert!(!why.contains(KEY), "{why}");
            }
            other => panic!("{field}: {config:?} accepted: {other:?}"),
        }
    }
    // The limits themselves are fine; so are symbols with spaces (OPRA's) and the default
    // gateway.
    let mut ok = good.clone();
    ok.symbols = (0..2_000).map(|i| format!("S{i}")).collect();
    ok.gateway = None;
    assert!(DatabentoLive::new(ok).is_ok());
    let mut ok = good;
    ok.symbols = vec!["AAPL  240719C00100000".into(), "X".repeat(64)];
    ok.schema = Schema::Ohlcv1M;
    let feed = DatabentoLive::new(ok).unwrap();
    assert_eq!(
        feed.describe(),
        "Databento live GLBX.MDP3 ohlcv-1m, 2 symbols"
    );
}
