//! The readers and the quality report on the real files of the shared data set: the repo's
//! own copies in `data/demo` where they exist, then `testdata/market`, else `<repo>/../shared/data` (CI clones the
//! repo with `shared/` beside it).

use std::io::Write;
use std::path::{Path, PathBuf};

use bb_data::{
    Compression, DataError, Format, GapPolicy, ReadOptions, TimestampUnit, apply_gap_policy,
    assess, parse_bytes, read_file,
};
use bb_domain::Timeframe;

fn data_file(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for dir in [
        root.join("data/demo"),
        root.join("testdata/market"),
        root.join("../shared/data"),
    ] {
        let path = dir.join(name);
        if path.exists() {
            return path;
        }
    }
    panic!("{name} is in none of data/demo, testdata/market and ../shared/data");
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(data_file(name)).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

const YAHOO: &str = "yahoo_BTC-USD_1d_2014-2022.csv";
const BINANCE: &str = "binance_ADABTC-1m-2021-11-27.csv";
const PERP: &str = "btc-perp_1m_2022-01.csv";
const PAIRS: [&str; 8] = ["ADA", "DASH", "ETC", "ETH", "LTC", "TRX", "XLM", "ZEC"];

fn ccxt(pair: &str) -> String {
    format!("ccxt_{pair}_BTC-5m_2018-01.json")
}

#[test]
fn yahoo_export_reads_every_row_and_flags_its_unterminated_last_line() {
    let import = read_file(&data_file(YAHOO), &ReadOptions::default()).unwrap();
    let c = &import.candles;
    // 2,723 rows from 2014-09-17 to 2022-03-01, one per day; `wc -l` says 2,723 lines
    // with the header because the last row has no newline.
    assert_eq!(c.len(), 2723);
    assert_eq!(import.notes.format, Format::YahooCsv);
    assert_eq!(import.notes.rows_read, 2723);
    assert_eq!(c.timeframe(), Some(Timeframe::DAY));
    assert_eq!(
        bb_data::format_utc(*c.ts.last().unwrap()),
        "2022-03-01 00:00:00"
    );
    // The last row's volume is read in full: 11 digits, in line with the days before it.
    assert_eq!(*c.volume.last().unwrap(), 32_479_047_645.0);
    assert_eq!(import.notes.unterminated_last_line, Some(2724));

    let mut report = assess(c, None);
    report.record_import(&import.notes);
    assert_eq!(
        report.file.as_ref().unwrap().unterminated_last_line,
        Some(2724)
    );
    assert!(
        report
            .summary()
            .iter()
            .any(|l| l.contains("last line (2724) has no line terminator")),
        "{:#?}",
        report.summary()
    );
    assert_eq!(report.gaps.count, 0);
    assert_eq!(report.inconsistent_bars.count, 0);
    assert_eq!(report.volume_outliers.count, 0);
    // A few real crashes and rallies exceed 8 rolling standard deviations (2020-03-12 among
    // them), not hundreds.
    assert!(
        (1..=10).contains(&report.price_outliers.count),
        "{report:#?}"
    );
    assert!(
        report
            .price_outliers
            .items
            .iter()
            .any(|o| bb_data::format_utc(o.ts).starts_with("2020-03-12"))
    );

    // A reader that drops the last character of every line (assuming a newline) turns the
    // last volume into a tenth of itself; with a newline added the file reads the same.
    let mut terminated = bytes(YAHOO);
    terminated.push(b'\n');
    let again = parse_bytes(&terminated, &ReadOptions::default()).unwrap();
    assert_eq!(&again.candles, c);
    assert_eq!(again.notes.unterminated_last_line, None);
}

#[test]
fn binance_dump_reads_in_milliseconds_and_microseconds() {
    let ms = read_file(&data_file(BINANCE), &ReadOptions::default()).unwrap();
    assert_eq!(ms.notes.format, Format::BinanceKlines);
    assert_eq!(ms.candles.len(), 10);
    assert_eq!(ms.candles.ts[0], 1_637_971_200_000);
    assert_eq!(ms.candles.timeframe(), Some(Timeframe::MINUTE));
    assert_eq!(ms.candles.close[0], 0.00002854);
    assert_eq!(ms.candles.volume[0], 36304.2);

    // Newer dumps give open and close times in microseconds.
    let text = String::from_utf8(bytes(BINANCE)).unwrap();
    let micro: String = text
        .lines()
        .map(|line| {
            let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
            for i in [0, 6] {
                cells[i] = format!("{}000", cells[i]);
            }
            cells.join(",") + "\n"
        })
        .collect();
    assert!(micro.starts_with("1637971200000000,"));
    let us = parse_bytes(micro.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(us.candles, ms.candles);

    // An explicit unit overrides detection.
    let forced = parse_bytes(
        micro.as_bytes(),
        &ReadOptions {
            unit: Some(TimestampUnit::Milliseconds),
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(forced.candles.ts[0], 1_637_971_200_000_000);
}

#[test]
fn gzip_variants_read_like_the_originals() {
    let mut names = vec![YAHOO.to_owned(), BINANCE.to_owned(), PERP.to_owned()];
    names.push(ccxt("ADA"));
    for name in names {
        let plain = parse_bytes(&bytes(&name), &ReadOptions::default()).unwrap();
        let zipped = parse_bytes(&gzip(&bytes(&name)), &ReadOptions::default()).unwrap();
        assert_eq!(zipped.candles, plain.candles, "{name}");
        assert_eq!(zipped.notes.format, plain.notes.format, "{name}");
        assert_eq!(zipped.notes.compression, Compression::Gzip, "{name}");
        assert_eq!(plain.notes.compression, Compression::None, "{name}");
    }
}

#[test]
fn ccxt_pairs_have_real_gaps_and_no_flood_of_outliers() {
    let mut with_gaps = 0;
    for pair in PAIRS {
        let import = read_file(&data_file(&ccxt(pair)), &ReadOptions::default()).unwrap();
        assert_eq!(import.notes.format, Format::CcxtJson);
        let c = &import.candles;
        assert!((5700..=5760).contains(&c.len()), "{pair}: {}", c.len());
        assert_eq!(c.timeframe(), Some("5m".parse().unwrap()));
        let r = assess(c, None);
        with_gaps += usize::from(r.gaps.count > 0);
        assert!(r.volume_outliers.count <= c.len() / 500, "{pair}: {r:#?}");
        assert!(r.price_outliers.count <= c.len() / 500, "{pair}: {r:#?}");
        assert_eq!(r.inconsistent_bars.count, 0, "{pair}");
        assert_eq!(r.non_positive_prices.count, 0, "{pair}");
    }
    assert!(with_gaps >= 3, "ADA, DASH, TRX and ZEC have missing bars");

    let ada = read_file(&data_file(&ccxt("ADA")), &ReadOptions::default()).unwrap();
    let r = assess(&ada.candles, None);
    assert_eq!(r.gaps.count, 5);
    assert_eq!(r.missing_bars, 40);
    let longest = r.gaps.items.iter().max_by_key(|g| g.missing_bars).unwrap();
    assert_eq!(longest.missing_bars, 33); // 2 h 50 min
    assert_eq!(
        longest.first_after_ts - longest.last_before_ts,
        34 * 5 * 60_000
    );

    // Forward fill closes every gap and says how many bars it made up.
    let tf = ada.candles.timeframe().unwrap();
    let filled = apply_gap_policy(&ada.candles, tf, GapPolicy::ForwardFill);
    assert_eq!(filled.filled_count(), 40);
    assert_eq!(filled.candles.len(), ada.candles.len() + 40);
    assert!(filled.candles.gaps(tf).is_empty());
    let mut r = r;
    r.record_fill(&filled);
    assert_eq!(r.gap_policy, GapPolicy::ForwardFill);
    assert_eq!(r.filled_bars, 40);
}

#[test]
fn minute_candles_are_judged_without_flooding() {
    let import = read_file(&data_file(PERP), &ReadOptions::default()).unwrap();
    let c = &import.candles;
    assert_eq!(c.len(), 45_031);
    let r = assess(c, None);
    assert_eq!(r.timeframe.as_deref(), Some("1m"));
    assert_eq!(r.gaps.count, 0);
    assert!(
        r.volume_outliers.count < c.len() / 1000,
        "{}",
        r.volume_outliers.count
    );
    assert!(
        r.price_outliers.count < c.len() / 1000,
        "{}",
        r.price_outliers.count
    );
}

/// `line` with its comma-separated cell `i` replaced by `value`.
fn cell(line: &str, i: usize, value: &str) -> String {
    let mut cells: Vec<&str> = line.split(',').collect();
    cells[i] = value;
    cells.join(",")
}

/// Replaces line `n` (1-based) of `text`.
fn with_line(text: &str, n: usize, f: impl Fn(&str) -> String) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == n { f(l) } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join("\n")
}

fn row_error(text: &str) -> (usize, String) {
    match parse_bytes(text.as_bytes(), &ReadOptions::default()) {
        Err(DataError::Row { line, message }) => (line, message),
        Ok(import) => panic!(
            "expected a row error, read {} candles instead",
            import.candles.len()
        ),
        Err(other) => panic!("expected a row error, got {other}"),
    }
}

#[test]
fn malformed_real_files_fail_whole_with_the_line_and_the_reason() {
    let perp = String::from_utf8(bytes(PERP)).unwrap();

    // a truncated row (the file cut in the middle of line 1001, 2022-01-01 15:40)
    let cut = perp.find("\n2022-01-01 15:40:00").unwrap() + 15;
    let (line, message) = row_error(&perp[..cut]);
    assert_eq!(line, 1001);
    assert!(message.contains("fields"), "{message}");

    // text in a number column
    let (line, message) = row_error(&with_line(&perp, 500, |l| cell(l, 3, "471o0.5")));
    assert_eq!(line, 500);
    assert!(message.contains("not a number"), "{message}");

    // unsorted: lines 300 and 301 swapped
    let lines: Vec<&str> = perp.lines().collect();
    let swapped = with_line(
        &with_line(&perp, 300, |_| lines[300].to_owned()),
        301,
        |_| lines[299].to_owned(),
    );
    let (line, message) = row_error(&swapped);
    assert_eq!(line, 301);
    assert!(message.contains("sorted"), "{message}");

    // a conflicting duplicate: line 200 repeated with another volume
    let conflicting = with_line(&perp, 200, |l| format!("{l}\n{}9", l));
    let (line, message) = row_error(&conflicting);
    assert_eq!(line, 201);
    assert!(message.contains("also on line 200"), "{message}");

    // an exact duplicate is dropped and reported
    let exact = with_line(&perp, 200, |l| format!("{l}\n{l}"));
    let import = parse_bytes(exact.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(import.candles.len(), 45_031);
    assert_eq!(import.notes.rows_read, 45_032);
    assert_eq!(import.notes.duplicates_dropped.len(), 1);
    assert_eq!(import.notes.duplicates_dropped[0].line, 201);
    assert_eq!(import.notes.duplicates_dropped[0].kept_line, 200);
    let mut r = assess(&import.candles, None);
    r.record_import(&import.notes);
    assert_eq!(r.duplicates_dropped.count, 1);

    // the same checks hold for the headerless Binance dump and ccxt JSON
    let binance = String::from_utf8(bytes(BINANCE)).unwrap();
    let (line, _) = row_error(&with_line(&binance, 4, |l| cell(l, 2, "abc")));
    assert_eq!(line, 4);
    let (line, _) = row_error(&with_line(&binance, 7, |l| l[..30].to_owned()));
    assert_eq!(line, 7);
    let ada = String::from_utf8(bytes(&ccxt("ADA"))).unwrap();
    // candle 100 opens at 2018-01-10 04:55 + 99 × 5 min
    let (line, message) = row_error(&ada.replacen("[1515589800000,", "[1515589800000,\"x\",", 1));
    assert_eq!(line, 100);
    assert!(message.contains("not a number"), "{message}");
}

#[cfg(not(feature = "databento"))]
#[test]
fn dbn_needs_the_databento_feature() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../testdata/market/databento/futures_ohlcv-1m_2024-07-01T23-40_2024-07-02T00-10.dbn.zst",
    );
    let err = read_file(&path, &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("`databento` feature"), "{err}");
}

#[cfg(feature = "databento")]
mod databento {
    use super::*;

    fn dbn_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../testdata/market/databento/futures_ohlcv-1m_2024-07-01T23-40_2024-07-02T00-10.dbn.zst",
        )
    }

    #[test]
    fn reads_ohlcv_records_with_fixed_point_prices() {
        let path = dbn_path();
        // Two instruments in one file: the reader asks which.
        let err = read_file(&path, &ReadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("ESU4 (id 118, 30 bars)"), "{err}");
        assert!(err.to_string().contains("NQU4"), "{err}");

        let es = read_file(
            &path,
            &ReadOptions {
                instrument: Some("ESU4".into()),
                ..ReadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(es.notes.format, Format::Dbn);
        assert_eq!(es.notes.compression, Compression::Zstd);
        assert_eq!(es.notes.instrument.as_deref(), Some("ESU4"));
        let c = &es.candles;
        assert_eq!(c.len(), 30);
        assert_eq!(c.timeframe(), Some(Timeframe::MINUTE));
        // 2024-07-01 23:40 UTC, prices from fixed point (1e-9 units), volume in contracts
        assert_eq!(bb_data::format_utc(c.ts[0]), "2024-07-01 23:40:00");
        assert_eq!(
            (c.open[0], c.high[0], c.close[0]),
            (5527.25, 5527.5, 5527.5)
        );
        assert_eq!(c.volume[0], 180.0);
        assert!(c.close.iter().all(|p| (5400.0..5700.0).contains(p)));
        // the same instrument by id
        let by_id = read_file(
            &path,
            &ReadOptions {
                instrument: Some("118".into()),
                ..ReadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(&by_id.candles, c);
        let mut r = assess(c, None);
        r.record_import(&es.notes);
        assert_eq!(r.gaps.count, 0);
        assert!(
            r.summary()[1].contains("instrument ESU4"),
            "{:?}",
            r.summary()
        );
    }
}
