//! Replay of recorded DBN files: every file decoded, merged in index-time order (a stable
//! merge: equal times keep file and record order), then given at full speed or at the
//! recorded pace (optionally sped up).

use std::path::Path;
use std::time::Duration;

use bb_screener::FeedEvent;

use crate::dbn_records::decode_dbn;
use crate::{BatchFuture, Feed, FeedError};

/// Most records one replay holds (about 50 MB of MBP-1).
pub const MAX_RECORDS: usize = 1_000_000;
const BATCH: usize = 4_096;

/// How fast a replay runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// As fast as the screener takes it.
    Full,
    /// At the recorded pace, `speed` times faster (1: real time).
    Recorded { speed: f64 },
}

/// A replay of one or more DBN files.
#[derive(Debug)]
pub struct DbnReplay {
    label: String,
    events: Vec<(i64, FeedEvent)>,
    next: usize,
    pace: Pace,
    started: Option<(tokio::time::Instant, i64)>,
}

impl DbnReplay {
    /// Reads and merges the files; an error names the file and the record.
    pub fn open(paths: &[impl AsRef<Path>], pace: Pace) -> Result<DbnReplay, FeedError> {
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let path = path.as_ref();
            let bytes = std::fs::read(path)
                .map_err(|e| FeedError::Format(format!("{}: {e}", path.display())))?;
            files.push((path.display().to_string(), bytes));
        }
        DbnReplay::from_bytes(files, pace)
    }

    /// The same from bytes in memory, each named for errors.
    pub fn from_bytes(files: Vec<(String, Vec<u8>)>, pace: Pace) -> Result<DbnReplay, FeedError> {
        DbnReplay::from_bytes_limited(files, pace, MAX_RECORDS)
    }

    /// The same, refusing more than `max_records` records in all (uploads).
    pub fn from_bytes_limited(
        files: Vec<(String, Vec<u8>)>,
        pace: Pace,
        max_records: usize,
    ) -> Result<DbnReplay, FeedError> {
        if let Pace::Recorded { speed } = pace
            && !(speed.is_finite() && speed > 0.0)
        {
            return Err(FeedError::Format(
                "the replay speed must be a positive number".into(),
            ));
        }
        let count = files.len();
        let mut events = Vec::new();
        for (name, bytes) in files {
            let left = max_records.min(MAX_RECORDS).saturating_sub(events.len());
            let decoded =
                decode_dbn(&bytes, left).map_err(|e| FeedError::Format(format!("{name}: {e}")))?;
            events.extend(decoded);
        }
        events.sort_by_key(|(ts, _)| *ts);
        Ok(DbnReplay {
            label: format!(
                "replay of {count} DBN file{}",
                if count == 1 { "" } else { "s" }
            ),
            events,
            next: 0,
            pace,
            started: None,
        })
    }

    /// The merged events, in replay order (the CLI runs them without a runtime).
    pub fn into_events(self) -> Vec<FeedEvent> {
        self.events.into_iter().map(|(_, e)| e).collect()
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

impl Feed for DbnReplay {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn next_batch<'a>(&'a mut self, out: &'a mut Vec<FeedEvent>) -> BatchFuture<'a> {
        Box::pin(async move {
            if self.next >= self.events.len() {
                return Ok(false);
            }
            match self.pace {
                Pace::Full => {
                    let end = (self.next + BATCH).min(self.events.len());
                    out.extend(self.events[self.next..end].iter().map(|(_, e)| e.clone()));
                    self.next = end;
                }
                Pace::Recorded { speed } => {
                    let (origin, first) = *self.started.get_or_insert_with(|| {
                        (tokio::time::Instant::now(), self.events[self.next].0)
                    });
                    let due = |ts: i64| {
                        let ns = ((ts - first).max(0) as f64 / speed) as u64;
                        origin + Duration::from_nanos(ns)
                    };
                    tokio::time::sleep_until(due(self.events[self.next].0)).await;
                    let now = tokio::time::Instant::now();
                    while self.next < self.events.len()
                        && due(self.events[self.next].0) <= now
                        && out.len() < BATCH
                    {
                        out.push(self.events[self.next].1.clone());
                        self.next += 1;
                    }
                }
            }
            Ok(self.next < self.events.len())
        })
    }
}
