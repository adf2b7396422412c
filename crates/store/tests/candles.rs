//! The candle store's conformance suite: every test runs on SQLite AND on PostgreSQL
//! (`NAME::sqlite`, `NAME::postgres`). The postgres half needs a server (see `harness`).

#[macro_use]
mod harness;

use bb_domain::{Candles, Timeframe};
use bb_store::{CHUNK_ROWS, Db, NewDataset, NewUser, PlanTier, Role, SourceRange, StoreError};
use serde_json::json;

// ---------------------------------------------------------------------------------------
// helpers

/// 2022-01-01 00:00 UTC.
const T0: i64 = 1_640_995_200_000;
const MIN: i64 = 60_000;

/// `n` one-minute candles from `start`, with values whose every mantissa bit matters.
fn minutes(start: i64, n: usize, seed: u64) -> Candles {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut c = Candles::default();
    let mut price = 46_000.0 + next() * 100.0;
    for i in 0..n {
        let open = price;
        price *= 1.0 + (next() - 0.5) * 0.002;
        let high = open.max(price) * (1.0 + next() * 1e-3);
        let low = open.min(price) * (1.0 - next() * 1e-3);
        c.push(start + i as i64 * MIN, open, high, low, price, next() * 1e6);
    }
    c
}

fn bits(c: &Candles) -> Vec<[u64; 6]> {
    (0..c.len())
        .map(|i| {
            [
                c.ts[i] as u64,
                c.open[i].to_bits(),
                c.high[i].to_bits(),
                c.low[i].to_bits(),
                c.close[i].to_bits(),
                c.volume[i].to_bits(),
            ]
        })
        .collect()
}

fn concat(parts: &[&Candles]) -> Candles {
    let mut out = Candles::default();
    for p in parts {
        for i in 0..p.len() {
            out.push(
                p.ts[i],
                p.open[i],
                p.high[i],
                p.low[i],
                p.close[i],
                p.volume[i],
            );
        }
    }
    out
}

async fn dataset(db: &Db, symbol: &str, source: &str) -> String {
    db.candles()
        .create_dataset(NewDataset {
            source: source.into(),
            symbol: symbol.into(),
            timeframe: Timeframe::MINUTE,
            provenance: format!("test data for {symbol}"),
        })
        .await
        .expect("create dataset")
        .id
}

fn runs(r: &[SourceRange]) -> Vec<(&str, i64, i64, usize)> {
    r.iter()
        .map(|s| (s.source.as_str(), s.from_ts, s.to_ts, s.rows))
        .collect()
}

// ---------------------------------------------------------------------------------------
// datasets

conformance!(
    /// Datasets are created once per (symbol, timeframe, source), listed, found and carry
    /// their quality report.
    async fn datasets_create_list_find_and_quality(db) {
        let store = db.candles();
        let a = store
            .create_dataset(NewDataset {
                source: " binance ".into(),
                symbol: "BTCUSDT".into(),
                timeframe: "1h".parse().unwrap(),
                provenance: "Binance public REST klines".into(),
            })
            .await
            .unwrap();
        assert_eq!(a.source, "binance");
        assert_eq!(a.spec(), "BTCUSDT:1h");
        assert_eq!((a.first_ts, a.last_ts, a.row_count), (None, None, 0));
        assert_eq!(a.fetch_sources, vec!["binance"]);
        assert_eq!(store.get_dataset(&a.id).await.unwrap(), a);

        // the failover list to fetch it from
        let list = vec!["coindesk".to_owned(), " ".to_owned(), "coinmetrics".to_owned()];
        store.set_fetch_sources(&a.id, &list).await.unwrap();
        let a = store.get_dataset(&a.id).await.unwrap();
        assert_eq!(a.fetch_sources, vec!["coindesk", "coinmetrics"]);
        assert_eq!(
            store.set_fetch_sources("no-such-id", &list).await,
            Err(StoreError::NotFound)
        );

        let dup = store
            .create_dataset(NewDataset {
                source: "binance".into(),
                symbol: "BTCUSDT".into(),
                timeframe: "1h".parse().unwrap(),
                provenance: String::new(),
            })
            .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        let blank = store
            .create_dataset(NewDataset {
                source: "file".into(),
                symbol: "  ".into(),
                timeframe: Timeframe::DAY,
                provenance: String::new(),
            })
            .await;
        assert!(matches!(blank, Err(StoreError::Invalid(_))), "{blank:?}");

        let b = dataset(&db, "ADA-BTC", "demo").await;
        let listed: Vec<String> = store
            .list_datasets()
            .await
            .unwrap()
            .iter()
            .map(|d| d.spec())
            .collect();
        assert_eq!(listed, vec!["ADA-BTC:1m", "BTCUSDT:1h"]);

        let hour: Timeframe = "1h".parse().unwrap();
        assert_eq!(
            store.find_dataset("BTCUSDT", hour).await.unwrap().unwrap().id,
            a.id
        );
        assert_eq!(store.find_dataset("BTCUSDT", Timeframe::DAY).await.unwrap(), None);
        assert!(
            store
                .find_dataset_from("BTCUSDT", hour, "coindesk")
                .await
                .unwrap()
                .is_none()
        );

        let report = json!({ "rows": 0, "gaps": { "count": 0, "items": [] } });
        store.set_quality(&b, &report).await.unwrap();
        assert_eq!(store.get_dataset(&b).await.unwrap().quality, Some(report));
        assert_eq!(
            store.set_quality("no-such-id", &json!({})).await,
            Err(StoreError::NotFound)
        );
        assert_eq!(store.get_dataset("no-such-id").await, Err(StoreError::NotFound));
    }
);

conformance!(
    /// A dataset may belong to a user (migration 0006); names are unique per owner (0010); an
    /// empty dataset can be deleted (undoing a failed import), one with candles cannot.
    async fn dataset_owners_and_deleting_empty_datasets(db) {
        let owner = db
            .users()
            .create(NewUser {
                email: "owner@example.com".into(),
                password_hash: None,
                display_name: "owner".into(),
                role: Role::Builder,
                plan: PlanTier::Free,
                external_subject: None,
            })
            .await
            .unwrap();
        let store = db.candles();
        let new = |symbol: &str| NewDataset {
            source: "file".into(),
            symbol: symbol.into(),
            timeframe: Timeframe::MINUTE,
            provenance: "an upload".into(),
        };
        let mine = store
            .create_owned_dataset(new("MINE-USD"), Some(&owner.id))
            .await
            .unwrap();
        assert_eq!(mine.owner_id.as_deref(), Some(owner.id.as_str()));
        assert_eq!(store.get_dataset(&mine.id).await.unwrap(), mine);
        let shared = store.create_dataset(new("SHARED-USD")).await.unwrap();
        assert_eq!(shared.owner_id, None);
        let owners: Vec<(String, Option<String>)> = store
            .list_datasets()
            .await
            .unwrap()
            .into_iter()
            .map(|d| (d.symbol, d.owner_id))
            .collect();
        assert_eq!(
            owners,
            vec![
                ("MINE-USD".to_owned(), Some(owner.id.clone())),
                ("SHARED-USD".to_owned(), None)
            ]
        );
        let found = store
            .find_dataset_from("MINE-USD", Timeframe::MINUTE, "file")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.owner_id, mine.owner_id);
        // Names are unique per owner: the same owner conflicts, the shared space and
        // another owner do not, and lookups by owner never see another owner's.
        let taken = store
            .create_owned_dataset(new("MINE-USD"), Some(&owner.id))
            .await;
        assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
        let shared_twin = store.create_owned_dataset(new("MINE-USD"), None).await.unwrap();
        assert_eq!(
            store
                .find_owned_dataset("MINE-USD", Timeframe::MINUTE, "file", None)
                .await
                .unwrap(),
            Some(shared_twin.clone())
        );
        assert_eq!(
            store
                .find_owned_dataset("MINE-USD", Timeframe::MINUTE, "file", Some(&owner.id))
                .await
                .unwrap()
                .map(|d| d.id),
            Some(mine.id.clone())
        );
        assert_eq!(
            store
                .find_owned_dataset("MINE-USD", Timeframe::MINUTE, "file", Some("someone-else"))
                .await
                .unwrap(),
            None
        );
        let twice = store.create_owned_dataset(new("MINE-USD"), None).await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
        assert!(store.delete_empty_dataset(&shared_twin.id).await.unwrap());

        store.import(&shared.id, &minutes(T0, 3, 7), "file").await.unwrap();
        assert!(!store.delete_empty_dataset(&shared.id).await.unwrap());
        assert_eq!(store.get_dataset(&shared.id).await.unwrap().row_count, 3);
        assert!(store.delete_empty_dataset(&mine.id).await.unwrap());
        assert_eq!(store.get_dataset(&mine.id).await, Err(StoreError::NotFound));
        assert!(!store.delete_empty_dataset(&mine.id).await.unwrap());
    }
);

// ---------------------------------------------------------------------------------------
// round trips and chunks

conformance!(
    /// 40,000 candles (three chunks of up to 16,384) come back bit for bit.
    async fn round_trip_is_bit_exact(db) {
        let id = dataset(&db, "BTC-USD", "file").await;
        let candles = minutes(T0, 40_000, 1);
        let summary = db.candles().import(&id, &candles, "file").await.unwrap();
        assert_eq!(summary.inserted, 40_000);
        assert_eq!(summary.unchanged, 0);
        assert_eq!(summary.chunks_written, 3);
        assert_eq!(summary.chunks_replaced, 0);
        assert_eq!(summary.row_count, 40_000);
        assert_eq!(summary.first_ts, Some(T0));
        assert_eq!(summary.last_ts, Some(T0 + 39_999 * MIN));

        let loaded = db.candles().load(&id, None, None).await.unwrap();
        assert_eq!(bits(&loaded), bits(&candles));
        let ds = db.candles().get_dataset(&id).await.unwrap();
        assert_eq!(ds.row_count, 40_000);
        assert_eq!((ds.first_ts, ds.last_ts), (summary.first_ts, summary.last_ts));

        let chunks = db.candles().chunks(&id).await.unwrap();
        let sizes: Vec<usize> = chunks.iter().map(|c| c.rows).collect();
        assert_eq!(sizes, vec![CHUNK_ROWS, CHUNK_ROWS, 40_000 - 2 * CHUNK_ROWS]);
        assert_eq!(chunks[1].start_ts, T0 + CHUNK_ROWS as i64 * MIN);
        // compressed: less than the 48 bytes per candle of the raw columns
        let bytes: usize = chunks.iter().map(|c| c.bytes).sum();
        assert!(bytes < 40_000 * 48, "{bytes}");

        // importing the same candles again changes nothing
        let again = db.candles().import(&id, &candles, "file").await.unwrap();
        assert_eq!((again.inserted, again.unchanged, again.chunks_written), (0, 40_000, 0));
        assert_eq!(db.candles().chunks(&id).await.unwrap(), chunks);
    }
);

conformance!(
    /// Loads are half-open `[from, to)` ranges and cross chunk boundaries exactly.
    async fn chunk_boundaries_and_range_loads(db) {
        let store = db.candles().with_chunk_rows(100);
        let id = dataset(&db, "ETH-BTC", "file").await;
        let candles = minutes(T0, 250, 2);
        let s = store.import(&id, &candles, "file").await.unwrap();
        assert_eq!(s.chunks_written, 3);
        let sizes: Vec<usize> = store.chunks(&id).await.unwrap().iter().map(|c| c.rows).collect();
        assert_eq!(sizes, vec![100, 100, 50]);

        let ts = |i: usize| candles.ts[i];
        for (from, to, expected) in [
            (None, None, 0..250),
            (Some(ts(99)), Some(ts(101)), 99..101),  // across the first boundary
            (Some(ts(100)), Some(ts(200)), 100..200), // exactly the second chunk
            (Some(ts(100)), None, 100..250),
            (None, Some(ts(100)), 0..100),
            (Some(ts(10) + 1), Some(ts(12)), 11..12), // bounds between candles
            (Some(ts(150)), Some(ts(150)), 150..150), // empty
            (Some(T0 - 10 * MIN), Some(T0), 0..0),   // before the data
            (Some(ts(249) + MIN), None, 250..250),    // after it
        ] {
            let loaded = store.load(&id, from, to).await.unwrap();
            assert_eq!(
                bits(&loaded),
                bits(&candles.slice(expected.start, expected.end)),
                "{from:?}..{to:?}"
            );
        }

        // The same data at 5 minutes: resampled from the stored minutes.
        let ds = store.get_dataset(&id).await.unwrap();
        let five: Timeframe = "5m".parse().unwrap();
        let resampled = store.load_at(&ds, five, None, None).await.unwrap();
        assert_eq!(resampled, bb_domain::resample(&candles, Timeframe::MINUTE, five));
        assert_eq!(resampled.len(), 50);
        let part = store
            .load_at(&ds, five, Some(T0 + 12 * MIN), Some(T0 + 30 * MIN))
            .await
            .unwrap();
        assert_eq!(part.ts, vec![T0 + 15 * MIN, T0 + 20 * MIN, T0 + 25 * MIN]);
        let seven: Timeframe = "7m".parse().unwrap();
        assert_eq!(
            store.load_at(&ds, seven, None, None).await.unwrap(),
            bb_domain::resample(&candles, Timeframe::MINUTE, seven)
        );
        let mut daily = ds.clone();
        daily.timeframe = Timeframe::DAY;
        assert!(matches!(
            store.load_at(&daily, Timeframe::HOUR, None, None).await,
            Err(StoreError::Invalid(_))
        ));
    }
);

conformance!(
    /// Appends fill the last chunk and then add chunks; earlier chunks are never rewritten.
    async fn append_rewrites_only_the_last_partial_chunk(db) {
        let store = db.candles().with_chunk_rows(100);
        let id = dataset(&db, "BTC-USD", "binance").await;
        let all = minutes(T0, 400, 3);
        store.import(&id, &all.slice(0, 250), "binance").await.unwrap();
        let before = store.chunks(&id).await.unwrap();

        let s = store.append(&id, &all.slice(250, 280), "binance").await.unwrap();
        assert_eq!((s.inserted, s.chunks_written, s.chunks_replaced), (30, 1, 1));
        let after = store.chunks(&id).await.unwrap();
        assert_eq!(after.len(), 3);
        assert_eq!(after[..2], before[..2], "the full chunks are untouched");
        assert_eq!(after[2].rows, 80);
        assert!(after[2].written_at > before[2].written_at);

        // The connector re-sends the last stored candle with the new ones: it is skipped.
        let s = store.append(&id, &all.slice(279, 330), "binance").await.unwrap();
        assert_eq!((s.inserted, s.unchanged), (50, 1));
        assert_eq!((s.chunks_written, s.chunks_replaced), (2, 1));
        let after2 = store.chunks(&id).await.unwrap();
        assert_eq!(
            after2.iter().map(|c| c.rows).collect::<Vec<_>>(),
            vec![100, 100, 100, 30]
        );
        assert_eq!(after2[..2], before[..2]);

        // A full last chunk is not rewritten: new candles start a chunk.
        let s = store.append(&id, &all.slice(330, 400), "binance").await.unwrap();
        assert_eq!((s.chunks_written, s.chunks_replaced), (1, 1));
        let s = store.append(&id, &minutes(T0 + 400 * MIN, 100, 9), "binance").await.unwrap();
        assert_eq!((s.chunks_written, s.chunks_replaced), (1, 0));
        let final_chunks = store.chunks(&id).await.unwrap();
        assert_eq!(
            final_chunks.iter().map(|c| c.rows).collect::<Vec<_>>(),
            vec![100, 100, 100, 100, 100]
        );
        assert_eq!(final_chunks[..3], after2[..3]);

        let loaded = store.load(&id, None, None).await.unwrap();
        assert_eq!(
            bits(&loaded),
            bits(&concat(&[&all, &minutes(T0 + 400 * MIN, 100, 9)]))
        );

        // An append may not go back in time.
        let mut early = Candles::default();
        early.push(T0 - MIN, 1.0, 1.0, 1.0, 1.0, 1.0);
        assert!(matches!(
            store.append(&id, &early, "binance").await,
            Err(StoreError::Invalid(m)) if m.contains("import it instead")
        ));
        // An empty append is a no-op.
        let s = store.append(&id, &Candles::default(), "binance").await.unwrap();
        assert_eq!((s.received, s.inserted, s.row_count), (0, 0, 500));
    }
);

conformance!(
    /// A failing write leaves nothing behind: no chunk, no count, no range change.
    async fn failed_writes_roll_back_completely(db) {
        let store = db.candles().with_chunk_rows(100);
        let id = dataset(&db, "BTC-USD", "file").await;
        let base = minutes(T0, 250, 4);
        store.import(&id, &base, "file").await.unwrap();
        let chunks = store.chunks(&id).await.unwrap();
        let ds = store.get_dataset(&id).await.unwrap();

        // New candles after the end AND one stored candle with another close: the new
        // candles come first in the batch, yet none is written.
        let mut batch = concat(&[&base.slice(200, 250), &minutes(T0 + 250 * MIN, 120, 5)]);
        batch.close[20] += 0.5;
        let err = store.import(&id, &batch, "other").await.unwrap_err();
        match &err {
            StoreError::Conflict(m) => {
                assert!(m.contains("2022-01-01 03:40:00"), "{m}");
                assert!(m.contains("from file"), "{m}");
                assert!(m.contains("nothing was written"), "{m}");
            }
            other => panic!("expected Conflict, got {other:?}"),
        }
        // A candle off the one-minute grid.
        let mut off = minutes(T0 + 300 * MIN, 3, 6);
        off.ts[2] += 30_000;
        assert!(matches!(
            store.import(&id, &off, "file").await,
            Err(StoreError::Invalid(m)) if m.contains("not on the 1m grid")
        ));
        // Not a number.
        let mut nan = minutes(T0 + 300 * MIN, 3, 7);
        nan.high[1] = f64::INFINITY;
        assert!(matches!(
            store.import(&id, &nan, "file").await,
            Err(StoreError::Invalid(_))
        ));
        // An unknown dataset.
        assert_eq!(
            store.import("missing", &base, "file").await.unwrap_err(),
            StoreError::NotFound
        );
        assert_eq!(store.load("missing", None, None).await, Err(StoreError::NotFound));

        assert_eq!(store.chunks(&id).await.unwrap(), chunks);
        let after = store.get_dataset(&id).await.unwrap();
        assert_eq!(
            (after.row_count, after.first_ts, after.last_ts),
            (ds.row_count, ds.first_ts, ds.last_ts)
        );
        assert_eq!(bits(&store.load(&id, None, None).await.unwrap()), bits(&base));
    }
);

conformance!(
    /// Each stored candle remembers its source; a fallback filling a hole shows up as its own
    /// run, and only the chunks around the hole are rewritten.
    async fn provenance_per_source(db) {
        let store = db.candles().with_chunk_rows(64);
        let id = dataset(&db, "BTC-USD", "coindesk").await;
        let all = minutes(T0, 300, 8);
        // the primary delivers 0..100 and 150..300 (the second batch fills the last chunk,
        // across the hole); the fallback fills 100..150 later
        store.import(&id, &all.slice(0, 100), "coindesk").await.unwrap();
        store.import(&id, &all.slice(150, 300), "coindesk").await.unwrap();
        let before = store.chunks(&id).await.unwrap();
        assert_eq!(
            before.iter().map(|c| c.rows).collect::<Vec<_>>(),
            vec![64, 64, 64, 58]
        );

        let s = store.import(&id, &all.slice(100, 150), "coinmetrics").await.unwrap();
        assert_eq!(s.inserted, 50);
        let after = store.chunks(&id).await.unwrap();
        // only the chunk spanning the hole is rewritten (64 + 50 candles: two chunks)
        assert_eq!((s.chunks_replaced, s.chunks_written), (1, 2));
        assert_eq!(
            after.iter().map(|c| c.rows).collect::<Vec<_>>(),
            vec![64, 64, 50, 64, 58]
        );
        assert_eq!(after[0], before[0]);
        assert_eq!(after[3..], before[2..]);
        assert_eq!(bits(&store.load(&id, None, None).await.unwrap()), bits(&all));

        let t = |i: usize| all.ts[i];
        assert_eq!(
            runs(&store.sources(&id, None, None).await.unwrap()),
            vec![
                ("coindesk", t(0), t(99), 100),
                ("coinmetrics", t(100), t(149), 50),
                ("coindesk", t(150), t(299), 150),
            ]
        );
        // a range cutting runs and chunks
        assert_eq!(
            runs(&store.sources(&id, Some(t(90)), Some(t(160))).await.unwrap()),
            vec![
                ("coindesk", t(90), t(99), 10),
                ("coinmetrics", t(100), t(149), 50),
                ("coindesk", t(150), t(159), 10),
            ]
        );
        assert_eq!(
            runs(&store.sources(&id, Some(t(120)), Some(t(130))).await.unwrap()),
            vec![("coinmetrics", t(120), t(129), 10)]
        );
        assert!(store.sources(&id, Some(t(299) + MIN), None).await.unwrap().is_empty());

        // appends from the primary continue its run
        store.append(&id, &minutes(T0 + 300 * MIN, 10, 9), "coindesk").await.unwrap();
        let last = store.sources(&id, Some(t(150)), None).await.unwrap();
        assert_eq!(runs(&last), vec![("coindesk", t(150), T0 + 309 * MIN, 160)]);
    }
);

conformance!(
    /// Writers of one dataset queue: concurrent appends of disjoint ranges all land.
    async fn concurrent_writes_all_land(db) {
        let id = dataset(&db, "BTC-USD", "file").await;
        let parts: Vec<Candles> = (0..4).map(|k| minutes(T0 + k * 1_000 * MIN, 1_000, k as u64)).collect();
        let store = db.candles();
        let results = futures_join(&store, &id, &parts).await;
        for r in results {
            r.unwrap();
        }
        let ds = store.get_dataset(&id).await.unwrap();
        assert_eq!(ds.row_count, 4_000);
        let loaded = store.load(&id, None, None).await.unwrap();
        let all = concat(&parts.iter().collect::<Vec<_>>());
        assert_eq!(bits(&loaded), bits(&all));
    }
);

async fn futures_join(
    store: &bb_store::CandleStore<'_>,
    id: &str,
    parts: &[Candles],
) -> Vec<Result<bb_store::ImportSummary, StoreError>> {
    let (a, b, c, d) = tokio::join!(
        store.import(id, &parts[0], "file"),
        store.import(id, &parts[1], "file"),
        store.import(id, &parts[2], "file"),
        store.import(id, &parts[3], "file"),
    );
    vec![a, b, c, d]
}

conformance!(
    /// A source's correction: `import` refuses other values for a stored candle, `revise`
    /// stores them (and any new candle), keeps the values replaced with who supplied them,
    /// and leaves identical candles alone; the chunks around stay bit-exact.
    async fn revisions_replace_a_candle_and_keep_what_it_was(db) {
        let store = db.candles().with_chunk_rows(100);
        let id = dataset(&db, "BTC-USD", "binance").await;
        let all = minutes(T0, 250, 7);
        store.import(&id, &all.slice(0, 240), "binance").await.unwrap();

        // Candle 150 corrected, 240..250 new, the rest repeated.
        let mut fixed = all.slice(140, 250);
        fixed.close[10] *= 1.01;
        fixed.high[10] = fixed.high[10].max(fixed.close[10]);
        let refused = store.import(&id, &fixed, "binance").await.unwrap_err();
        assert!(matches!(refused, StoreError::Conflict(_)), "{refused:?}");
        assert!(db.candles().revisions(&id, T0, i64::MAX, 10).await.unwrap().is_empty());

        let summary = store.revise(&id, &fixed, "binance").await.unwrap();
        assert_eq!((summary.revised, summary.inserted, summary.unchanged), (1, 10, 99));
        assert_eq!(summary.row_count, 250);
        let mut expected = all.clone();
        expected.close[150] = fixed.close[10];
        expected.high[150] = fixed.high[10];
        assert_eq!(bits(&store.load(&id, None, None).await.unwrap()), bits(&expected));

        let revisions = db.candles().revisions(&id, T0, i64::MAX, 10).await.unwrap();
        assert_eq!(revisions.len(), 1);
        let r = &revisions[0];
        assert_eq!(r.ts, all.ts[150]);
        assert_eq!(r.before[3].to_bits(), all.close[150].to_bits());
        assert_eq!(r.after[3].to_bits(), fixed.close[10].to_bits());
        assert_eq!((r.before_source.as_str(), r.source.as_str()), ("binance", "binance"));

        // The same again changes nothing and records nothing.
        let again = store.revise(&id, &fixed, "binance").await.unwrap();
        assert_eq!((again.revised, again.inserted, again.unchanged), (0, 0, 110));
        assert_eq!(db.candles().revisions(&id, T0, i64::MAX, 10).await.unwrap().len(), 1);
        // Out of range: none.
        assert!(db.candles().revisions(&id, all.ts[151], i64::MAX, 10).await.unwrap().is_empty());
    }
);
