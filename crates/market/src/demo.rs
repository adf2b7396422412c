//! The bundled demo datasets: real candles compiled into the binary (`include_bytes!` of
//! `data/demo`; the larger altcoin files gzip-compressed), loaded into the store without a
//! network. See `data/demo/README.md` for where each file comes from.

use bb_data::ReadOptions;
use bb_domain::Timeframe;
use bb_store::{Dataset, Db};

use crate::datasets::import_candles;
use crate::error::MarketError;

/// The source name of the demo datasets.
pub const SOURCE: &str = "demo";

/// One bundled file and the dataset it becomes.
#[derive(Debug, Clone, Copy)]
pub struct DemoFile {
    pub file: &'static str,
    pub symbol: &'static str,
    pub timeframe: &'static str,
    pub provenance: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! demo_file {
    ($file:literal, $symbol:literal, $tf:literal, $provenance:literal) => {
        DemoFile {
            file: $file,
            symbol: $symbol,
            timeframe: $tf,
            provenance: $provenance,
            bytes: include_bytes!(concat!("../../../data/demo/", $file)),
        }
    };
}

/// Every demo file, in the order they are loaded.
pub const DEMO_FILES: [DemoFile; 10] = [
    demo_file!(
        "yahoo_BTC-USD_1d_2014-2022.csv",
        "BTC-USD",
        "1d",
        "Yahoo Finance export of BTC-USD daily candles, 2014-09-17 to 2022-03-01 (data/demo/yahoo_BTC-USD_1d_2014-2022.csv)"
    ),
    demo_file!(
        "btc-perp_1m_2022-01.csv",
        "BTC-PERP",
        "1m",
        "FTX BTC-PERP 1-minute candles, January 2022; a fixture of the nautilus_trader repository (data/demo/btc-perp_1m_2022-01.csv)"
    ),
    demo_file!(
        "ccxt_ADA_BTC-5m_2018-01.json",
        "ADA-BTC",
        "5m",
        "ADA/BTC 5-minute candles, 2018-01-10 to 2018-01-30; a fixture of the freqtrade repository (data/demo/ccxt_ADA_BTC-5m_2018-01.json)"
    ),
    demo_file!(
        "ccxt_DASH_BTC-5m_2018-01.json.gz",
        "DASH-BTC",
        "5m",
        "DASH/BTC 5-minute candles, 2018-01-10 to 2018-01-30; a fixture of the freqtrade repository (data/demo/ccxt_DASH_BTC-5m_2018-01.json.gz)"
    ),
    demo_file!(
        "ccxt_ETC_BTC-5m_2018-01.json.gz",
        "ETC-BTC",
        "5m",
        "ETC/BTC 5-minute candles, 2018-01-10 to 2018-01-30; a fixture of the freqtrade repository (data/demo/ccxt_ETC_BTC-5m_2018-01.json.gz)"
    ),
    demo_file!(
        "ccxt_ETH_BTC-5m_2018-01.json.gz",
        "ETH-BTC",
        "5m",
        "ETH/BTC 5-minute candles, 2018-01-10 to 2018-01-30; a fixture of the freqtrade repository (data/demo/ccxt_ETH_BTC-5m_2018-01.json.gz)"
    ),
    demo_file!(
        "ccxt_LTC_BTC-5m_2018-01.json.gz",
        "LTC-BTC",
        "5m",
        "LTC/BTC 5-minute candles, 2018-01-10 to 2018-01-30; a fixture of the freqtrade repository (data/demo/ccxt_LTC_BTC-5m_2018-01.json.gz)"
    ),
    demo_file!(
        "ccxt_TRX_BTC-5m_2018-01.json.gz",
        "TRX-BTC",
        "5m",
        "TRX/BTC 5-minute candles, 2018-01-10 to 2018-01-30; a fixture of the freqtrade repository (data/demo/ccxt_TRX_BTC-5m_2018-01.json.gz)"
    ),
    demo_file!(
        "ccxt_XLM_BTC-5m_2018-01.json.gz",
        "XLM-BTC",
        "5m",
        "XLM/BTC 5-minute candles, 2018-01-10 to 2018-01-30; a fixture of the freqtrade repository (data/demo/ccxt_XLM_BTC-5m_2018-01.json.gz)"
    ),
    demo_file!(
        "ccxt_ZEC_BTC-5m_2018-01.json.gz",
        "ZEC-BTC",
        "5m",
        "ZEC/BTC 5-minute candles, 2018-01-10 to 2018-01-30; a fixture of the freqtrade repository (data/demo/ccxt_ZEC_BTC-5m_2018-01.json.gz)"
    ),
];

/// Loads every demo dataset that is not in the database yet (source "demo") and returns all
/// of them, in [`DEMO_FILES`] order. Idempotent; needs no network and no files on disk.
pub async fn load_demo(db: &Db) -> Result<Vec<Dataset>, MarketError> {
    let mut out = Vec::with_capacity(DEMO_FILES.len());
    for f in &DEMO_FILES {
        let tf: Timeframe = f
            .timeframe
            .parse()
            .map_err(|e| MarketError::Invalid(format!("demo file {}: {e}", f.file)))?;
        if let Some(existing) = db
            .candles()
            .find_owned_dataset(f.symbol, tf, SOURCE, None)
            .await?
        {
            out.push(existing);
            continue;
        }
        let import = bb_data::parse_bytes(f.bytes, &ReadOptions::default())?;
        let done = import_candles(
            db,
            &import.candles,
            Some(&import.notes),
            f.symbol,
            Some(tf),
            SOURCE,
            f.provenance,
        )
        .await?;
        out.push(done.dataset);
    }
    Ok(out)
}
