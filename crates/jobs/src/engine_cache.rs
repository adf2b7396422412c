//! Paper engines kept between ticks in the process, by run: taken out for a tick and put
//! back after it (never copied: an engine holds the run's recent candles), at most `max` of
//! them (beyond, one is dropped and rebuilt when next needed).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use bb_store::{Db, PaperEvent, PaperRun};

use crate::run::JobError;

type Map<T> = Mutex<HashMap<String, T>>;

pub(crate) struct EngineCache<T> {
    engines: LazyLock<Map<T>>,
    max: usize,
}

impl<T> EngineCache<T> {
    pub(crate) const fn new(max: usize) -> EngineCache<T> {
        EngineCache {
            engines: LazyLock::new(Map::default),
            max,
        }
    }

    /// The engine of run `id`, taken out, when `fits` it.
    pub(crate) fn take(
        &self,
        id: &str,
        fits: impl FnOnce(&T) -> bool,
    ) -> Result<Option<T>, JobError> {
        let mut all = self
            .engines
            .lock()
            .map_err(|_| JobError::Transient("the engine cache is poisoned".into()))?;
        Ok(all.remove(id).filter(fits))
    }

    pub(crate) fn keep(&self, id: &str, engine: T) {
        if let Ok(mut all) = self.engines.lock() {
            if all.len() >= self.max && !all.contains_key(id) {
                let victim = all.keys().next().cloned();
                if let Some(v) = victim {
                    all.remove(&v);
                }
            }
            all.insert(id.to_owned(), engine);
        }
    }

    pub(crate) fn forget(&self, id: &str) {
        if let Ok(mut all) = self.engines.lock() {
            all.remove(id);
        }
    }
}

/// Calls `f` with each `tick` entry of the run's ledger up to its last processed candle, in
/// order: how an engine is rebuilt from what the run processed.
pub(crate) async fn each_tick(
    db: &Db,
    run: &PaperRun,
    mut f: impl FnMut(i64, &PaperEvent) -> Result<(), JobError>,
) -> Result<(), JobError> {
    let Some(last) = run.last_candle_ts else {
        return Ok(());
    };
    let mut after = 0;
    loop {
        let page = db.paper_runs().ticks(&run.id, after, 5_000).await?;
        let Some(end) = page.last() else {
            return Ok(());
        };
        after = end.seq;
        for e in &page {
            let ts = e.candle_ts.ok_or_else(|| {
                JobError::Permanent(format!("the ledger's entry {} has no candle", e.seq))
            })?;
            if ts > last {
                // recorded by another worker since the run was read
                return Ok(());
            }
            f(ts, e)?;
        }
    }
}
