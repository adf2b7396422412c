//! The Binance feed against a fake Binance on 127.0.0.1: the server records the SUBSCRIBE
//! requests, answers them as Binance does and sends scripted messages in Binance's format.
//! The test and the server synchronise through channels and the sockets; timeouts are only a
//! safety net.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bb_feeds::binance::{BinanceConfig, BinanceFeed, BinanceStats};
use bb_feeds::{Feed, FeedError};
use bb_screener::{EventKind, FeedEvent, Gap, MarketEvent, Quote};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

type Ws = WebSocketStream<TcpStream>;

/// The trade time of trade `id` in these tests (ms): 2023-01-01 plus the id.
const BASE_MS: i64 = 1_672_515_782_000;

async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out (safety net)")
}

fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64
}

async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    (listener, url)
}

fn config(url: &str, symbols: &[&str]) -> BinanceConfig {
    BinanceConfig {
        url: url.into(),
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
        reconnect_delay: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        ..BinanceConfig::default()
    }
}

/// Accepts one WebSocket connection; also answers the path it asked for.
async fn accept(listener: &TcpListener) -> (Ws, String) {
    let (tcp, _) = within(listener.accept()).await.unwrap();
    let mut path = String::new();
    // The error type is tungstenite's, as its callback takes it.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| {
        path = request.uri().path().to_string();
        Ok(response)
    };
    let ws = within(tokio_tungstenite::accept_hdr_async(tcp, callback))
        .await
        .unwrap();
    (ws, path)
}

/// Reads SUBSCRIBE requests, answering each with `{"result":null,"id":N}`, until `count`
/// streams were named; answers each request's params and id.
async fn subscriptions(ws: &mut Ws, count: usize) -> Vec<(Vec<String>, u64)> {
    let mut requests = Vec::new();
    let mut named = 0;
    while named < count {
        let message = within(ws.next()).await.expect("the feed hung up").unwrap();
        let Message::Text(text) = message else {
            continue;
        };
        let request: Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(request["method"], "SUBSCRIBE", "{request}");
        let id = request["id"].as_u64().expect("a numeric id");
        let params: Vec<String> = serde_json::from_value(request["params"].clone()).unwrap();
        named += params.len();
        requests.push((params, id));
        let answer = format!(r#"{{"result":null,"id":{id}}}"#);
        ws.send(Message::text(answer)).await.unwrap();
    }
    requests
}

fn all_streams(requests: &[(Vec<String>, u64)]) -> Vec<String> {
    let mut streams: Vec<String> = requests.iter().flat_map(|(p, _)| p.clone()).collect();
    streams.sort();
    streams
}

/// A trade as Binance sends it: price `id`, trade time BASE_MS + id.
fn trade(symbol: &str, id: u64, quantity: &str) -> Message {
    let stream = symbol.to_lowercase();
    let time = BASE_MS + id as i64;
    Message::text(format!(
        r#"{{"stream":"{stream}@trade","data":{{"e":"trade","E":{},"s":"{symbol}","t":{id},"p":"{id}.00000000","q":"{quantity}","T":{time},"m":true,"M":true}}}}"#,
        time + 2
    ))
}

fn book_ticker(symbol: &str, update: u64, [b, bq, a, aq]: [&str; 4]) -> Message {
    let stream = symbol.to_lowercase();
    Message::text(format!(
        r#"{{"stream":"{stream}@bookTicker","data":{{"u":{update},"s":"{symbol}","b":"{b}","B":"{bq}","a":"{a}","A":"{aq}"}}}}"#
    ))
}

async fn send_all(ws: &mut Ws, messages: Vec<Message>) {
    for message in messages {
        within(ws.send(message)).await.unwrap();
    }
}

/// Calls `next_batch` until `done` holds for what was given.
async fn collect_until(
    feed: &mut BinanceFeed,
    done: impl Fn(&[FeedEvent]) -> bool,
) -> Vec<FeedEvent> {
    let mut events = Vec::new();
    while !done(&events) {
        let before = events.len();
        let more = within(feed.next_batch(&mut events)).await.unwrap();
        assert!(more, "a live feed goes on");
        assert!(events.len() > before, "a batch gives at least one event");
    }
    events
}

fn trade_of(event: &FeedEvent) -> Option<(u32, u64)> {
    match event {
        FeedEvent::Market(MarketEvent {
            instrument,
            kind: EventKind::Trade { price, .. },
            ..
        }) => Some((*instrument, *price as u64)),
        _ => None,
    }
}

fn has_trade(events: &[FeedEvent], instrument: u32, id: u64) -> bool {
    events.iter().any(|e| trade_of(e) == Some((instrument, id)))
}

fn trade_ids(events: &[FeedEvent], instrument: u32) -> Vec<u64> {
    events
        .iter()
        .filter_map(trade_of)
        .filter(|(i, _)| *i == instrument)
        .map(|(_, id)| id)
        .collect()
}

fn symbols_first(events: &[FeedEvent], names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            events[i],
            FeedEvent::Symbol {
                instrument: i as u32,
                symbol: name.to_string()
            }
        );
    }
}

#[tokio::test]
async fn trades_and_book_tickers_become_events() {
    let (listener, url) = bind().await;
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (mut ws, path) = accept(&listener).await;
        let requests = subscriptions(&mut ws, 4).await;
        send_all(
            &mut ws,
            vec![
                trade("BTCUSDT", 1001, "0.015"),
                book_ticker(
                    "BTCUSDT",
                    400900217,
                    ["25.35190000", "31.21000000", "25.36520000", "40.66000000"],
                ),
                trade("ETHUSDT", 2001, "3.5"),
                // An empty bid side comes as a price of 0.
                book_ticker(
                    "ETHUSDT",
                    7,
                    ["0.00000000", "0.00000000", "1200.50000000", "2.00000000"],
                ),
                Message::Ping(b"are you there".to_vec().into()),
            ],
        )
        .await;
        // The feed answers the ping while it waits for data.
        let pong = match within(ws.next()).await.expect("the feed hung up").unwrap() {
            Message::Pong(payload) => payload,
            other => panic!("a pong expected, not {other:?}"),
        };
        send_all(&mut ws, vec![trade("BTCUSDT", 1002, "2")]).await;
        done_rx.await.unwrap();
        (path, requests, pong)
    });

    let before = now_nanos();
    let mut feed = BinanceFeed::new(config(&url, &["btcusdt", "EthUsdt"])).unwrap();
    assert!(
        feed.describe()
            .contains("trades and book tickers of 2 symbols"),
        "{}",
        feed.describe()
    );
    let events = collect_until(&mut feed, |e| has_trade(e, 0, 1002)).await;
    let after = now_nanos();
    done_tx.send(()).unwrap();
    let (path, requests, pong) = within(server).await.unwrap();

    assert_eq!(path, "/stream");
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].0,
        [
            "btcusdt@trade",
            "btcusdt@bookTicker",
            "ethusdt@trade",
            "ethusdt@bookTicker"
        ]
    );
    assert_eq!(&pong[..], b"are you there");

    assert_eq!(events.len(), 7, "{events:#?}");
    symbols_first(&events, &["BTCUSDT", "ETHUSDT"]);
    let market: Vec<MarketEvent> = events[2..]
        .iter()
        .map(|e| match e {
            FeedEvent::Market(m) => *m,
            other => panic!("a market event expected, not {other:?}"),
        })
        .collect();
    assert_eq!(
        market[0],
        MarketEvent {
            instrument: 0,
            ts: (BASE_MS + 1001) * 1_000_000,
            kind: EventKind::Trade {
                price: 1001.0,
                size: 0.015
            },
        }
    );
    assert_eq!(market[1].instrument, 0);
    assert_eq!(
        market[1].kind,
        EventKind::Quote(Quote {
            bid: 25.3519,
            bid_size: 31.21,
            ask: 25.3652,
            ask_size: 40.66
        })
    );
    // Spot book tickers have no time: the time received.
    assert!(
        (before..=after).contains(&market[1].ts),
        "{} not in {before}..={after}",
        market[1].ts
    );
    assert_eq!(
        market[2],
        MarketEvent {
            instrument: 1,
            ts: (BASE_MS + 2001) * 1_000_000,
            kind: EventKind::Trade {
                price: 2001.0,
                size: 3.5
            },
        }
    );
    assert_eq!(market[3].instrument, 1);
    let EventKind::Quote(quote) = market[3].kind else {
        panic!("a quote expected")
    };
    assert!(quote.bid.is_nan(), "an empty side is NaN");
    assert_eq!(
        (quote.bid_size, quote.ask, quote.ask_size),
        (0.0, 1200.5, 2.0)
    );
    assert!((before..=after).contains(&market[3].ts));
    assert_eq!(market[4].ts, (BASE_MS + 1002) * 1_000_000);

    assert_eq!(
        feed.stats(),
        BinanceStats {
            messages: 6,
            duplicates: 0,
            malformed: 0,
            unknown_streams: 0,
            reconnects: 0
        }
    );
}

#[tokio::test]
async fn a_disconnect_resubscribes_drops_duplicates_and_reports_gaps() {
    let (listener, url) = bind().await;
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (mut ws, _) = accept(&listener).await;
        let first = subscriptions(&mut ws, 4).await;
        send_all(
            &mut ws,
            vec![
                book_ticker("BTCUSDT", 10, ["1", "1", "2", "1"]),
                trade("BTCUSDT", 100, "1"),
                trade("BTCUSDT", 101, "1"),
                trade("BTCUSDT", 102, "1"),
                trade("ETHUSDT", 500, "1"),
                trade("ETHUSDT", 501, "1"),
            ],
        )
        .await;
        // Binance's daily cut: a close, then the feed hangs up.
        let close = CloseFrame {
            code: CloseCode::Away,
            reason: "24 hours".into(),
        };
        within(ws.close(Some(close))).await.unwrap();
        while let Some(Ok(_)) = within(ws.next()).await {}

        let (mut ws, _) = accept(&listener).await;
        let second = subscriptions(&mut ws, 4).await;
        send_all(
            &mut ws,
            vec![
                trade("BTCUSDT", 101, "1"), // already given
                trade("BTCUSDT", 102, "1"), // already given
                trade("BTCUSDT", 103, "1"),
                trade("ETHUSDT", 501, "1"), // already given
                trade("ETHUSDT", 505, "1"), // 502 to 504 missed
                book_ticker("BTCUSDT", 10, ["1", "1", "2", "1"]), // already given
                book_ticker("BTCUSDT", 11, ["1.5", "1", "2", "1"]),
                trade("BTCUSDT", 104, "1"),
            ],
        )
        .await;
        done_rx.await.unwrap();
        (first, second)
    });

    let start = now_nanos();
    let mut feed = BinanceFeed::new(config(&url, &["BTCUSDT", "ETHUSDT"])).unwrap();
    let events = collect_until(&mut feed, |e| has_trade(e, 0, 104)).await;
    let end = now_nanos();
    done_tx.send(()).unwrap();
    let (first, second) = within(server).await.unwrap();

    // Every (re)connection subscribes to every stream.
    let expected = [
        "btcusdt@bookTicker",
        "btcusdt@trade",
        "ethusdt@bookTicker",
        "ethusdt@trade",
    ];
    assert_eq!(all_streams(&first), expected);
    assert_eq!(all_streams(&second), expected);
    assert!(second[0].1 > first[0].1, "request ids go on");

    symbols_first(&events, &["BTCUSDT", "ETHUSDT"]);
    // No trade twice.
    assert_eq!(trade_ids(&events, 0), [100, 101, 102, 103, 104]);
    assert_eq!(trade_ids(&events, 1), [500, 501, 505]);
    let quotes = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                FeedEvent::Market(MarketEvent {
                    kind: EventKind::Quote(_),
                    ..
                })
            )
        })
        .count();
    assert_eq!(quotes, 2);

    let gaps: Vec<(usize, &Gap)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            FeedEvent::Gap(gap) => Some((i, gap)),
            _ => None,
        })
        .collect();
    assert_eq!(gaps.len(), 2, "{gaps:#?}");

    // The feed-wide gap: from the last event before the disconnect to the reconnection, before
    // anything of the second connection.
    let (at, wide) = gaps[0];
    assert_eq!(wide.symbol, None);
    assert_eq!(wide.from, Some((BASE_MS + 501) * 1_000_000));
    assert!((start..=end).contains(&wide.to));
    assert_eq!(wide.missing, None);
    assert!(
        wide.reason
            .starts_with("disconnected: closed by the server")
            && wide.reason.contains("24 hours"),
        "{}",
        wide.reason
    );
    let first_of_second = events
        .iter()
        .position(|e| trade_of(e) == Some((0, 103)))
        .unwrap();
    assert!(at < first_of_second);
    assert!(events[..at].iter().all(|e| trade_of(e) != Some((0, 103))));

    // ETHUSDT's gap, just before the trade after it.
    let (at, eth) = gaps[1];
    assert_eq!(
        *eth,
        Gap {
            symbol: Some("ETHUSDT".into()),
            from: Some((BASE_MS + 501) * 1_000_000),
            to: (BASE_MS + 505) * 1_000_000,
            missing: Some(3),
            reason: "disconnected: trade ids skipped".into(),
        }
    );
    assert_eq!(trade_of(&events[at + 1]), Some((1, 505)));

    let stats = feed.stats();
    assert_eq!(stats.duplicates, 4);
    assert_eq!(stats.reconnects, 1);
    assert_eq!(stats.malformed, 0);
}

#[tokio::test]
async fn a_trade_id_jump_on_one_connection_is_a_sequence_gap() {
    let (listener, url) = bind().await;
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (mut ws, _) = accept(&listener).await;
        subscriptions(&mut ws, 1).await;
        send_all(
            &mut ws,
            vec![
                trade("BTCUSDT", 1, "1"),
                trade("BTCUSDT", 2, "1"),
                trade("BTCUSDT", 10, "1"),
            ],
        )
        .await;
        done_rx.await.unwrap();
    });
    let mut feed = BinanceFeed::new(BinanceConfig {
        book_ticker: false,
        ..config(&url, &["BTCUSDT"])
    })
    .unwrap();
    assert!(
        feed.describe().starts_with("Binance trades of 1 symbol ("),
        "{}",
        feed.describe()
    );
    let events = collect_until(&mut feed, |e| has_trade(e, 0, 10)).await;
    done_tx.send(()).unwrap();
    within(server).await.unwrap();

    let gaps: Vec<&Gap> = events
        .iter()
        .filter_map(|e| match e {
            FeedEvent::Gap(gap) => Some(gap),
            _ => None,
        })
        .collect();
    assert_eq!(
        gaps,
        [&Gap {
            symbol: Some("BTCUSDT".into()),
            from: Some((BASE_MS + 2) * 1_000_000),
            to: (BASE_MS + 10) * 1_000_000,
            missing: Some(7),
            reason: "sequence jump: trade ids skipped".into(),
        }]
    );
}

#[tokio::test]
async fn malformed_messages_and_unknown_streams_are_skipped_and_counted() {
    let (listener, url) = bind().await;
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (mut ws, _) = accept(&listener).await;
        subscriptions(&mut ws, 2).await;
        send_all(&mut ws, vec![
            Message::text("{not json"),
            Message::text("[1,2,3]"),
            Message::text(r#"{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT"}}"#),
            Message::text(
                r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"abc","q":"1","T":1,"m":true,"M":true}}"#,
            ),
            Message::text(r#"{"stream":"btcusdt@depth","data":{"lastUpdateId":1,"bids":[],"asks":[]}}"#),
            trade("XRPUSDT", 5, "1"),
            Message::text(r#"{"error":{"code":2,"msg":"Invalid request"},"id":42}"#),
            Message::Binary(vec![1, 2, 3].into()),
            trade("BTCUSDT", 7, "0.5"),
        ])
        .await;
        done_rx.await.unwrap();
    });
    let mut feed = BinanceFeed::new(config(&url, &["BTCUSDT"])).unwrap();
    let events = collect_until(&mut feed, |e| has_trade(e, 0, 7)).await;
    done_tx.send(()).unwrap();
    within(server).await.unwrap();

    assert_eq!(
        events,
        [
            FeedEvent::Symbol {
                instrument: 0,
                symbol: "BTCUSDT".into()
            },
            FeedEvent::Market(MarketEvent {
                instrument: 0,
                ts: (BASE_MS + 7) * 1_000_000,
                kind: EventKind::Trade {
                    price: 7.0,
                    size: 0.5
                },
            }),
        ]
    );
    assert_eq!(
        feed.stats(),
        BinanceStats {
            // The subscription's answer, eight texts (the binary frame is not one).
            messages: 9,
            duplicates: 0,
            malformed: 4,
            unknown_streams: 2,
            reconnects: 0,
        }
    );
}

#[tokio::test]
async fn many_streams_are_subscribed_in_requests_of_at_most_200() {
    let (listener, url) = bind().await;
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (mut ws, _) = accept(&listener).await;
        let requests = subscriptions(&mut ws, 500).await;
        send_all(&mut ws, vec![trade("S249", 1, "1")]).await;
        done_rx.await.unwrap();
        requests
    });
    let names: Vec<String> = (0..250).map(|i| format!("S{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut feed = BinanceFeed::new(config(&url, &names)).unwrap();
    let events = collect_until(&mut feed, |e| has_trade(e, 249, 1)).await;
    done_tx.send(()).unwrap();
    let requests = within(server).await.unwrap();

    assert_eq!(events.len(), 251);
    let sizes: Vec<usize> = requests.iter().map(|(p, _)| p.len()).collect();
    assert_eq!(sizes, [200, 200, 100]);
    let ids: Vec<u64> = requests.iter().map(|(_, id)| *id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "distinct ids: {ids:?}");
    let mut expected: Vec<String> = (0..250)
        .flat_map(|i| [format!("s{i}@trade"), format!("s{i}@bookTicker")])
        .collect();
    expected.sort();
    assert_eq!(all_streams(&requests), expected);
}

fn refused(config: BinanceConfig) -> String {
    match BinanceFeed::new(config) {
        Err(FeedError::Format(why)) => why,
        Err(other) => panic!("a configuration error expected, not {other:?}"),
        Ok(feed) => panic!("refused expected, got {feed:?}"),
    }
}

#[test]
fn new_refuses_bad_configurations() {
    let with = |symbols: &[&str]| config("ws://127.0.0.1:9", symbols);

    assert!(refused(with(&[])).contains("no symbols"));
    let why = refused(with(&["BTCUSDT", "BTC-USDT"]));
    assert!(why.contains("BTC-USDT"), "{why}");
    let why = refused(with(&["B"]));
    assert!(why.contains("\"B\""), "{why}");
    let why = refused(with(&["ABCDEFGHIJKLMNOPQRSTU"]));
    assert!(why.contains("ABCDEFGHIJKLMNOPQRSTU"), "{why}");
    let why = refused(with(&["btcusdt", "BTCUSDT"]));
    assert!(why.contains("listed twice"), "{why}");

    let names: Vec<String> = (0..1025).map(|i| format!("S{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    // Two streams a symbol: 513 symbols are 1026 streams.
    let why = refused(with(&names[..513]));
    assert!(
        why.contains("1026 streams") && why.contains("1024"),
        "{why}"
    );
    // One a symbol: 1024 symbols fit, 1025 do not.
    let trades_only = |symbols: &[&str]| BinanceConfig {
        book_ticker: false,
        ..with(symbols)
    };
    assert!(BinanceFeed::new(trades_only(&names[..1024])).is_ok());
    let why = refused(trades_only(&names));
    assert!(why.contains("1025 streams"), "{why}");

    let why = refused(BinanceConfig {
        trades: false,
        book_ticker: false,
        ..with(&["BTCUSDT"])
    });
    assert!(why.contains("neither trades nor book tickers"), "{why}");
    let why = refused(BinanceConfig {
        url: "https://stream.binance.com".into(),
        ..with(&["BTCUSDT"])
    });
    assert!(why.contains("ws://"), "{why}");
    let why = refused(BinanceConfig {
        reconnect_delay: Duration::ZERO,
        ..with(&["BTCUSDT"])
    });
    assert!(why.contains("reconnect delay"), "{why}");

    // The default endpoint (wss://, rustls with ring) is accepted without connecting.
    let feed = BinanceFeed::new(BinanceConfig {
        symbols: vec!["BTCUSDT".into()],
        ..BinanceConfig::default()
    })
    .unwrap();
    assert!(
        feed.describe().contains("wss://stream.binance.com:9443"),
        "{}",
        feed.describe()
    );
    assert_eq!(feed.stats(), BinanceStats::default());
}
