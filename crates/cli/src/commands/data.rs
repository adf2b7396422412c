//! `blockbuilders data`: candle datasets in the database — import a file, list, check
//! quality, fetch from a provider, load the demo datasets. Each command runs on a tokio
//! runtime made here; the work happens in bb-data, bb-store and bb-market.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use bb_data::{Format, QualityReport, ReadOptions, TimestampUnit};
use bb_domain::Timeframe;
use bb_market::datasets::{self, stored_quality};
use bb_market::{Clock, Failover, FetchRange, MarketConfig, SystemClock};
use bb_store::{Dataset, Db};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::format::time;

/// The database used when neither `--database-url` nor `BB_DATABASE_URL` is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://blockbuilders.db";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DataCommand {
    /// Import a candle file into a dataset (one transaction: a bad row writes nothing).
    /// Reads CSV with a header (Yahoo exports too), Binance dumps (no header), ccxt JSON,
    /// gzip-compressed versions of each, and Databento DBN files (when built with the
    /// `databento` feature of bb-data).
    Import(ImportArgs),
    /// List the datasets in the database.
    List(ListArgs),
    /// Print the quality report of a file, or of a stored dataset (--dataset SYMBOL:TF).
    Check(CheckArgs),
    /// Fetch candles from a provider into a dataset: from --from (a backfill), or from the
    /// last stored candle (an incremental update).
    Fetch(FetchArgs),
    /// Load the bundled demo datasets (BTC daily and 1-minute, eight altcoin pairs); datasets
    /// already there are skipped.
    Demo(DbArgs),
}

/// The database to use.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// `sqlite://path.db` or `postgres://user@host/db`.
    #[arg(long, env = "BB_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

/// How to read a candle file.
#[derive(Debug, Clone, clap::Args)]
struct ReadArgs {
    /// The unit of numeric timestamps (s, ms, us); detected from their size otherwise.
    #[arg(long)]
    unit: Option<TimestampUnit>,
    /// The format (csv, yahoo, binance, ccxt, dbn); detected from the content otherwise.
    #[arg(long)]
    format: Option<Format>,
    /// DBN files with several instruments: which one (raw symbol or instrument id).
    #[arg(long)]
    instrument: Option<String>,
    /// The most bytes a compressed file may expand to (`256MiB`, `1GiB`, ...).
    #[arg(long, env = "BB_MAX_DECOMPRESSED", default_value = "256MiB", value_parser = bb_server::config::parse_size)]
    max_decompressed: u64,
}

impl ReadArgs {
    fn options(&self) -> ReadOptions {
        ReadOptions {
            unit: self.unit,
            format: self.format,
            instrument: self.instrument.clone(),
            max_decompressed: Some(self.max_decompressed),
            cancel: None,
        }
    }
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// The candle file.
    file: PathBuf,
    /// The symbol the candles are of, e.g. BTC-USD.
    #[arg(long)]
    symbol: String,
    /// Store as this timeframe (default: the file's own; a multiple of it aggregates).
    #[arg(long)]
    timeframe: Option<Timeframe>,
    /// The dataset's source name.
    #[arg(long, default_value = "file")]
    source: String,
    /// Where the data comes from, in words (default: the file name).
    #[arg(long)]
    provenance: Option<String>,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    db: DbArgs,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Print the datasets as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// A candle file to check (nothing is stored).
    #[arg(required_unless_present = "dataset", conflicts_with = "dataset")]
    file: Option<PathBuf>,
    /// A stored dataset, as SYMBOL:TIMEFRAME (e.g. BTC-USD:1d) or SYMBOL:TIMEFRAME:SOURCE.
    #[arg(long)]
    dataset: Option<String>,
    /// Check again (and store the new report) instead of printing the stored one.
    #[arg(long)]
    refresh: bool,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    db: DbArgs,
    /// Print the full report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct FetchArgs {
    /// The provider: binance, coindesk or coinmetrics; several separated by commas form a
    /// failover list (the first is the primary), remembered with the dataset. Default: the
    /// dataset's list, or binance for a new dataset.
    #[arg(long)]
    source: Option<String>,
    /// The symbol: BTCUSDT or BTC-USDT for Binance, BTC-USD for CoinDesk and Coin Metrics.
    #[arg(long)]
    symbol: String,
    /// The candle timeframe, e.g. 1m, 1h, 1d.
    #[arg(long, default_value = "1h")]
    timeframe: Timeframe,
    /// Start (inclusive), e.g. 2024-01-01; default: after the last stored candle.
    #[arg(long)]
    from: Option<String>,
    /// End (exclusive); default: now (complete candles only).
    #[arg(long)]
    to: Option<String>,
    /// Candles fetched and stored per step.
    #[arg(long, default_value_t = bb_market::WINDOW_BARS)]
    window: usize,
    /// Fetch everything from the klines API, not Binance's monthly and daily dump files
    /// (also `BB_BINANCE_DUMPS_URL=off`).
    #[arg(long)]
    no_dumps: bool,
    #[command(flatten)]
    db: DbArgs,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let code = run_to(args, &mut out)?;
    out.flush()?;
    Ok(code)
}

/// [`run`], printing to `out`.
fn run_to(args: Args, out: &mut dyn Write) -> Result<ExitCode> {
    let rt = runtime()?;
    match args.command {
        DataCommand::Import(a) => rt.block_on(import(a, out)),
        DataCommand::List(a) => rt.block_on(list(a, out)),
        DataCommand::Check(a) => rt.block_on(check(a, out)),
        DataCommand::Fetch(a) => rt.block_on(fetch(a, out)),
        DataCommand::Demo(a) => rt.block_on(demo(a, out)),
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Connects and brings the schema up to date.
pub(crate) async fn open(db: &DbArgs) -> Result<Db> {
    let conn = Db::connect(&db.database_url).await?;
    conn.migrate()
        .await
        .context("applying database migrations")?;
    Ok(conn)
}

fn read_file(path: &Path, read: &ReadArgs) -> Result<bb_data::Import> {
    bb_data::read_file(path, &read.options()).with_context(|| {
        format!(
            "reading candles from {}; nothing was stored",
            path.display()
        )
    })
}

async fn import(a: ImportArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let file = read_file(&a.file, &a.read)?;
    let db = open(&a.db).await?;
    let name = a.file.file_name().map_or_else(
        || a.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let provenance = a
        .provenance
        .clone()
        .unwrap_or_else(|| format!("file {name} ({})", file.notes.format));
    let done = datasets::import_candles(
        &db,
        &file.candles,
        Some(&file.notes),
        &a.symbol,
        a.timeframe,
        &a.source,
        &provenance,
    )
    .await
    .with_context(|| format!("importing {}; nothing was stored", a.file.display()))?;
    db.close().await;
    if a.json {
        let value = serde_json::json!({
            "dataset": done.dataset,
            "created": done.created,
            "import": done.summary,
            "resampled_from": done.resampled_from.map(|t| t.to_string()),
            "quality": done.quality,
        });
        serde_json::to_writer_pretty(&mut *out, &value)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let s = &done.summary;
    writeln!(
        out,
        "{} {} ({}): {} new candle(s), {} already stored; {} candles in all",
        if done.created { "Created" } else { "Updated" },
        done.dataset.spec(),
        done.dataset.source,
        s.inserted,
        s.unchanged,
        s.row_count
    )?;
    if let Some(from) = done.resampled_from {
        writeln!(out, "Aggregated from {from} to {}.", done.dataset.timeframe)?;
    }
    writeln!(out, "Dataset id {}", done.dataset.id)?;
    writeln!(out)?;
    print_quality(out, &done.quality)?;
    Ok(ExitCode::SUCCESS)
}

async fn list(a: ListArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let db = open(&a.db).await?;
    let all = db.candles().list_datasets().await?;
    db.close().await;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &all)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        writeln!(
            out,
            "No datasets yet. Try `blockbuilders data demo` or `blockbuilders data import FILE --symbol BTC-USD`."
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<18} {:<12} {:>9}  {:<19}   {:<19}  {:>6}",
        "dataset", "source", "candles", "from", "to", "issues"
    )?;
    for d in &all {
        let issues = stored_quality(d).map_or("?".to_owned(), |q| q.issue_count().to_string());
        writeln!(
            out,
            "{:<18} {:<12} {:>9}  {:<19} → {:<19}  {:>6}",
            d.spec(),
            d.source,
            d.row_count,
            d.first_ts.map_or("-".to_owned(), time),
            d.last_ts.map_or("-".to_owned(), time),
            issues
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn check(a: CheckArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let (report, title) = match (&a.file, &a.dataset) {
        (Some(path), _) => {
            let file = read_file(path, &a.read)?;
            let mut report = bb_data::assess(&file.candles, None);
            report.record_import(&file.notes);
            (report, path.display().to_string())
        }
        (None, Some(spec)) => {
            let db = open(&a.db).await?;
            let dataset = find(&db, spec).await?;
            let stored = if a.refresh {
                None
            } else {
                stored_quality(&dataset)
            };
            let report = match stored {
                Some(r) => r,
                None => datasets::refresh_quality(&db, &dataset.id, None).await?,
            };
            db.close().await;
            (report, format!("{} ({})", dataset.spec(), dataset.source))
        }
        (None, None) => bail!("give a FILE or --dataset SYMBOL:TIMEFRAME"),
    };
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(out, "Quality of {title}")?;
        print_quality(out, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn fetch(a: FetchArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let given: Option<Vec<String>> = a.source.as_deref().map(|list| {
        list.split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    });
    if given.as_ref().is_some_and(Vec::is_empty) {
        bail!("--source needs at least one of binance, coindesk, coinmetrics");
    }
    let bound = |t: &Option<String>, flag: &str| -> Result<Option<i64>> {
        t.as_deref()
            .map(|t| bb_data::parse_timestamp(t, None).map_err(|e| anyhow!("--{flag}: {e}")))
            .transpose()
    };
    let (from, to) = (bound(&a.from, "from")?, bound(&a.to, "to")?);
    let config = MarketConfig::from_env();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let db = open(&a.db).await?;
    // The dataset, and the sources to fetch it from: as given (and remembered), else as
    // remembered with the dataset, else Binance.
    let (dataset, names) =
        datasets::dataset_for_fetch(&db, &a.symbol, a.timeframe, given.clone()).await?;
    let sources = names
        .iter()
        .map(|n| config.source(n, clock.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let failover = Failover::new(sources, clock.clone());
    let dumps = (!a.no_dumps)
        .then(|| bb_market::BinanceDumps::for_sources(&config, &names, clock.clone()))
        .flatten();

    let bar = ProgressBar::with_draw_target(
        Some(1000),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {percent}%")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let progress_bar = bar.clone();
    let mut on_progress = move |p: bb_market::Progress| {
        let span = (p.to_ms - p.from_ms).max(1);
        let done = ((p.at_ms - p.from_ms).clamp(0, span) * 1000 / span) as u64;
        progress_bar.set_position(done);
        progress_bar.set_message(format!("{} candles, at {}", p.candles, time(p.at_ms)));
    };
    let range = FetchRange {
        from_ms: from,
        to_ms: to,
        window_bars: a.window.max(1),
        ..FetchRange::default()
    };
    let result = bb_market::fetch_into(
        &db,
        &dataset,
        &failover,
        dumps.as_ref(),
        range,
        clock.as_ref(),
        &mut on_progress,
    )
    .await;
    bar.finish_and_clear();
    // What was stored before a failure stays stored: check it either way.
    let quality = datasets::refresh_quality(&db, &dataset.id, None).await;
    let dataset = db.candles().get_dataset(&dataset.id).await?;
    db.close().await;
    let report = result.with_context(|| {
        format!(
            "fetching {} ({} candle(s) stored so far)",
            dataset.spec(),
            dataset.row_count
        )
    })?;
    let quality = quality?;
    if a.json {
        let value = serde_json::json!({
            "dataset": dataset,
            "fetch": report,
            "skipped": report.skipped.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            "quality": quality,
        });
        serde_json::to_writer_pretty(&mut *out, &value)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{} ({}): {} candle(s) received from {} to {}, {} new; {} candles in all",
        dataset.spec(),
        dataset.source,
        report.received,
        time(report.from_ms),
        time(report.to_ms),
        report.inserted,
        dataset.row_count
    )?;
    for (source, n) in &report.by_source {
        writeln!(out, "  {n} from {source}")?;
    }
    if report.dump_files > 0 {
        writeln!(
            out,
            "  {} dump file(s) read, each matching its checksum; {} request window(s)",
            report.dump_files, report.windows
        )?;
    }
    for e in &report.skipped {
        writeln!(out, "  passed over {}: {e}", e.source_name)?;
    }
    writeln!(out)?;
    print_quality(out, &quality)?;
    Ok(ExitCode::SUCCESS)
}

async fn demo(a: DbArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let db = open(&a).await?;
    let all = bb_market::demo::load_demo(&db).await?;
    db.close().await;
    for d in &all {
        writeln!(
            out,
            "{:<14} {:>7} candles  {}",
            d.spec(),
            d.row_count,
            d.provenance
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A stored dataset from `SYMBOL:TIMEFRAME[:SOURCE]`.
pub(crate) async fn find(db: &Db, spec: &str) -> Result<Dataset> {
    let (symbol, timeframe, source) = parse_spec(spec)?;
    let found = match &source {
        Some(s) => {
            db.candles()
                .find_dataset_from(&symbol, timeframe, s)
                .await?
        }
        None => db.candles().find_dataset(&symbol, timeframe).await?,
    };
    found
        .ok_or_else(|| anyhow!("no dataset {spec} in the database (see `blockbuilders data list`)"))
}

/// Splits `SYMBOL:TIMEFRAME[:SOURCE]`.
pub(crate) fn parse_spec(spec: &str) -> Result<(String, Timeframe, Option<String>)> {
    let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
    let (symbol, tf, source) = match parts.as_slice() {
        [s, t] => (*s, *t, None),
        [s, t, src] => (*s, *t, Some((*src).to_owned())),
        _ => bail!("\"{spec}\" is not a dataset; write SYMBOL:TIMEFRAME, e.g. BTC-USD:1d"),
    };
    if symbol.is_empty() {
        bail!("\"{spec}\" has no symbol; write SYMBOL:TIMEFRAME, e.g. BTC-USD:1d");
    }
    Ok((symbol.to_owned(), tf.parse()?, source))
}

/// The quality report as text: the summary, then the first few of each finding.
pub(crate) fn print_quality(out: &mut dyn Write, r: &QualityReport) -> Result<()> {
    writeln!(out, "DATA QUALITY")?;
    for line in r.summary() {
        writeln!(out, "  {line}")?;
    }
    const SHOWN: usize = 5;
    if r.gaps.count > 0 {
        writeln!(out, "  gaps:")?;
        for g in r.gaps.items.iter().take(SHOWN) {
            writeln!(
                out,
                "    {} → {} ({} bar(s) missing)",
                time(g.last_before_ts),
                time(g.first_after_ts),
                g.missing_bars
            )?;
        }
    }
    for (title, items) in [
        ("zero or negative prices", &r.non_positive_prices),
        ("inconsistent bars", &r.inconsistent_bars),
    ] {
        if items.count > 0 {
            writeln!(out, "  {title}:")?;
            for p in items.items.iter().take(SHOWN) {
                writeln!(out, "    {} {}", time(p.ts), p.problem)?;
            }
        }
    }
    if r.zero_volume_runs.count > 0 {
        writeln!(out, "  zero-volume runs:")?;
        for run in r.zero_volume_runs.items.iter().take(SHOWN) {
            writeln!(
                out,
                "    {} → {} ({} bars)",
                time(run.from_ts),
                time(run.to_ts),
                run.bars
            )?;
        }
    }
    if r.volume_outliers.count > 0 {
        writeln!(out, "  volume outliers:")?;
        for o in r.volume_outliers.items.iter().take(SHOWN) {
            writeln!(
                out,
                "    {} volume {} = {:.0}× the median {}",
                time(o.ts),
                o.volume,
                o.ratio,
                o.rolling_median
            )?;
        }
    }
    if r.price_outliers.count > 0 {
        writeln!(out, "  price outliers:")?;
        for o in r.price_outliers.items.iter().take(SHOWN) {
            writeln!(
                out,
                "    {} close {} ({:+.2}% from {}, {:.1} standard deviations)",
                time(o.ts),
                o.close,
                o.change_pct,
                o.previous_close,
                o.sigmas
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: Sub,
    }

    #[derive(Debug, clap::Subcommand)]
    #[allow(clippy::large_enum_variant)]
    enum Sub {
        Data(Args),
        Backtest(crate::commands::backtest::Args),
    }

    /// Runs `blockbuilders data ARGS` and returns what it printed.
    fn output(args: &[&str]) -> Result<String> {
        let mut out = Vec::new();
        run_to(parse(args), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn parse(args: &[&str]) -> Args {
        let mut all = vec!["blockbuilders", "data"];
        all.extend_from_slice(args);
        let Sub::Data(a) = Cli::try_parse_from(all).unwrap().command else {
            panic!("not data")
        };
        a
    }

    #[test]
    fn specs_name_symbol_timeframe_and_source() {
        let (s, t, src) = parse_spec("BTC-USD:1d").unwrap();
        assert_eq!((s.as_str(), t, src), ("BTC-USD", Timeframe::DAY, None));
        let (_, t, src) = parse_spec("ETH-BTC:5m:demo").unwrap();
        assert_eq!(
            (t.to_string(), src.as_deref()),
            ("5m".to_owned(), Some("demo"))
        );
        assert!(parse_spec("BTC-USD").is_err());
        assert!(parse_spec("BTC-USD:1x").is_err());
        assert!(parse_spec(":1d").is_err());
    }

    #[test]
    fn flags_parse_with_defaults() {
        let a = parse(&["fetch", "--symbol", "BTCUSDT", "--from", "2024-01-01"]);
        let DataCommand::Fetch(f) = a.command else {
            panic!("not fetch")
        };
        assert_eq!(f.source, None);
        assert_eq!(f.timeframe, Timeframe::HOUR);
        assert_eq!(f.window, bb_market::WINDOW_BARS);
        let a = parse(&[
            "import", "x.csv", "--symbol", "BTC-USD", "--unit", "ms", "--format", "binance",
        ]);
        let DataCommand::Import(i) = a.command else {
            panic!("not import")
        };
        assert_eq!(i.source, "file");
        assert_eq!(i.read.unit, Some(TimestampUnit::Milliseconds));
        assert_eq!(i.read.format, Some(Format::BinanceKlines));
        let a = parse(&["check", "--dataset", "BTC-USD:1d"]);
        assert!(matches!(a.command, DataCommand::Check(_)));
        assert!(
            Cli::try_parse_from(["blockbuilders", "data", "check"]).is_err(),
            "check needs a file or a dataset"
        );
    }

    #[test]
    fn import_list_check_round_trip_through_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("d.db").display());
        let file = root().join("data/demo/ccxt_ADA_BTC-5m_2018-01.json");
        let file = file.to_str().unwrap();
        let text = output(&[
            "import",
            file,
            "--symbol",
            "ADA-BTC",
            "--database-url",
            &url,
        ])
        .unwrap();
        assert!(
            text.starts_with("Created ADA-BTC:5m (file): 5720 new candle(s)"),
            "{text}"
        );
        assert!(text.contains("5 gap(s), 40 missing bar(s)"), "{text}");
        // again: nothing new, still one dataset
        let text = output(&[
            "import",
            file,
            "--symbol",
            "ADA-BTC",
            "--database-url",
            &url,
        ])
        .unwrap();
        assert!(
            text.starts_with("Updated ADA-BTC:5m (file): 0 new candle(s), 5720 already stored"),
            "{text}"
        );
        // as 1h candles: aggregated into a second dataset
        let text = output(&[
            "import",
            file,
            "--symbol",
            "ADA-BTC",
            "--timeframe",
            "1h",
            "--database-url",
            &url,
        ])
        .unwrap();
        assert!(text.contains("Aggregated from 5m to 1h."), "{text}");
        let text = output(&["list", "--database-url", &url]).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[2].starts_with("ADA-BTC:5m         file              5720  2018-01-10 04:55:00"),
            "{text}"
        );
        let text = output(&["check", "--dataset", "ADA-BTC:5m", "--database-url", &url]).unwrap();
        assert!(
            text.starts_with("Quality of ADA-BTC:5m (file)\nDATA QUALITY\n"),
            "{text}"
        );
        assert!(
            text.contains("2018-01-15 11:55:00 → 2018-01-15 14:45:00 (33 bar(s) missing)"),
            "{text}"
        );
        let json = output(&[
            "check",
            "--dataset",
            "ADA-BTC:5m",
            "--refresh",
            "--json",
            "--database-url",
            &url,
        ])
        .unwrap();
        let report: QualityReport = serde_json::from_str(&json).unwrap();
        assert_eq!(report.missing_bars, 40);
        assert_eq!(
            report.file.unwrap().format,
            Format::CcxtJson,
            "the import's notes are kept"
        );

        let rt = runtime().unwrap();
        rt.block_on(async {
            let db = open(&DbArgs {
                database_url: url.clone(),
            })
            .await
            .unwrap();
            let all = db.candles().list_datasets().await.unwrap();
            assert_eq!(
                all.iter()
                    .map(|d| (d.spec(), d.row_count))
                    .collect::<Vec<_>>(),
                // 479 whole hours between the partial first and last ones, less the two hours
                // the 2 h 50 min gap empties completely
                vec![
                    ("ADA-BTC:1h".to_owned(), 477),
                    ("ADA-BTC:5m".to_owned(), 5720)
                ]
            );
            let five = find(&db, "ADA-BTC:5m:file").await.unwrap();
            let q = stored_quality(&five).unwrap();
            assert_eq!(q.gaps.count, 5);
            assert!(find(&db, "ADA-BTC:1d").await.is_err());
            db.close().await;
        });
    }

    #[test]
    fn backtests_run_on_stored_datasets_with_their_quality() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("d.db").display());
        let text = output(&["demo", "--database-url", &url]).unwrap();
        assert_eq!(text.lines().count(), 10, "{text}");

        let daily = crate::input::stored_candles("BTC-USD:1d", &url, None, None, false).unwrap();
        let file = bb_data::read_candles(&root().join("data/demo/yahoo_BTC-USD_1d_2014-2022.csv"))
            .unwrap();
        assert_eq!(daily.candles, file);
        assert_eq!(daily.label, "dataset BTC-USD:1d (demo)");
        assert!(
            daily
                .quality
                .summary()
                .iter()
                .any(|l| l.contains("no line terminator"))
        );
        assert_eq!(daily.quality.gap_policy, bb_data::GapPolicy::Leave);

        // no 1h dataset: aggregated from the 1-minute one, within --from/--to
        let hourly = crate::input::stored_candles(
            "BTC-PERP:1h",
            &url,
            Some("2022-01-10"),
            Some("2022-01-11"),
            false,
        )
        .unwrap();
        assert_eq!(hourly.candles.len(), 24);
        assert!(
            hourly.label.contains("aggregated from BTC-PERP:1m"),
            "{}",
            hourly.label
        );

        // forward-filled gaps are counted in the report
        let filled = crate::input::stored_candles("ADA-BTC:5m", &url, None, None, true).unwrap();
        assert_eq!(filled.candles.len(), 5720 + 40);
        assert_eq!(filled.quality.gap_policy, bb_data::GapPolicy::ForwardFill);
        assert_eq!(filled.quality.filled_bars, 40);

        let err = crate::input::stored_candles("DOGE-USD:1d", &url, None, None, false).unwrap_err();
        assert!(err.to_string().contains("it has: ADA-BTC:5m"), "{err}");

        // the command itself
        let strategy = root().join("strategies/sma_crossover.json");
        let cli = Cli::try_parse_from([
            "blockbuilders",
            "backtest",
            "--strategy",
            strategy.to_str().unwrap(),
            "--dataset",
            "BTC-USD:1d",
            "--database-url",
            &url,
            "--from",
            "2021-09-01",
        ])
        .unwrap();
        let Sub::Backtest(args) = cli.command else {
            panic!("not backtest")
        };
        assert_eq!(
            crate::commands::backtest::run(&args).unwrap(),
            ExitCode::SUCCESS
        );
        assert!(
            Cli::try_parse_from([
                "blockbuilders",
                "backtest",
                "--strategy",
                "s.json",
                "--data",
                "a.csv",
                "--dataset",
                "BTC-USD:1d",
            ])
            .is_err(),
            "--data and --dataset exclude each other"
        );
    }

    #[test]
    fn a_bad_file_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("d.db").display());
        let bad = dir.path().join("bad.csv");
        std::fs::write(
            &bad,
            "time,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,2,oops,1.5,10\n",
        )
        .unwrap();
        let err = output(&[
            "import",
            bad.to_str().unwrap(),
            "--symbol",
            "X-Y",
            "--database-url",
            &url,
        ])
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("line 3: low is \"oops\", not a number"),
            "{text}"
        );
        assert!(text.contains("nothing was stored"), "{text}");
        let rt = runtime().unwrap();
        rt.block_on(async {
            let db = open(&DbArgs {
                database_url: url.clone(),
            })
            .await
            .unwrap();
            assert!(db.candles().list_datasets().await.unwrap().is_empty());
            db.close().await;
        });
    }
}
