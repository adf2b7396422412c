//! The store's clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix milliseconds, as the store records it.
///
/// Values returned within one process are strictly increasing: when the wall clock has not
/// moved since the previous call (or went backwards), the previous value plus one is returned.
/// So "newest first" is a total order for rows written by one process, without tests having
/// to wait for the clock. Under a sustained burst of more than 1000 writes per second the
/// values run a few milliseconds ahead of the wall clock and catch up afterwards.
pub fn now_ms() -> i64 {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let mut prev = LAST.load(Ordering::Relaxed);
    loop {
        let next = wall.max(prev.saturating_add(1));
        match LAST.compare_exchange_weak(prev, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => prev = seen,
        }
    }
}

/// A new id: a uuid v7 (time-ordered) in its hyphenated text form.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_strictly_increasing() {
        let mut prev = now_ms();
        for _ in 0..10_000 {
            let next = now_ms();
            assert!(next > prev);
            prev = next;
        }
    }

    #[test]
    fn ids_are_uuid_text() {
        let id = new_id();
        assert_eq!(id.len(), 36);
        assert!(uuid::Uuid::parse_str(&id).is_ok());
    }
}
