//! The clock the workers read and wait on.
//!
//! The workers own no clock: every time they hand the store (claim, heartbeat, fail, reap,
//! due schedules) and every wait (the poll interval, the heartbeat period, the housekeeping
//! period) comes from the [`Clock`] in their [`WorkerConfig`](crate::WorkerConfig). In the
//! product it is [`Clock::system`] (the wall clock and tokio's timer). A test takes
//! [`Clock::test`] and moves time with its [`TestClock`] handle: nothing on a test clock
//! wakes until the test advances it past the wait's end.

use std::sync::Arc;
use std::time::Duration;

use bb_market::BoxFuture;
use tokio::sync::watch;

/// Now and waiting: the system clock, or a test clock that moves only when its
/// [`TestClock`] handle says so. Cheap to clone; clones share the time.
#[derive(Clone, Debug, Default)]
pub struct Clock(Source);

#[derive(Clone, Debug, Default)]
enum Source {
    #[default]
    System,
    Test(Arc<watch::Sender<TestState>>),
}

#[derive(Debug)]
struct TestState {
    now: i64,
    /// The deadlines of the waits in progress (one entry per wait).
    sleepers: Vec<i64>,
}

impl Clock {
    /// The wall clock ([`bb_store::now_ms`]) and tokio's timer.
    pub fn system() -> Clock {
        Clock(Source::System)
    }

    /// A clock standing at `start_ms` (Unix ms) and the handle that moves it.
    pub fn test(start_ms: i64) -> (Clock, TestClock) {
        let state = Arc::new(watch::Sender::new(TestState {
            now: start_ms,
            sleepers: Vec::new(),
        }));
        (Clock(Source::Test(state.clone())), TestClock(state))
    }

    /// Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Source::System => bb_store::now_ms(),
            Source::Test(state) => state.borrow().now,
        }
    }

    /// Waits `d`: on a test clock, until it has been advanced `d` (whole milliseconds) past
    /// its time now.
    pub async fn sleep(&self, d: Duration) {
        self.sleep_after(self.now_ms(), d).await;
    }

    /// Waits `d` counted from `since_ms`, a time this clock gave earlier (when the work
    /// that comes before the wait began). The system clock counts from now, like tokio's
    /// timer (the work in between is short); a test clock wakes at `since_ms + d`, so a
    /// test that advances the clock while the work runs cannot make the wait miss it.
    pub async fn sleep_after(&self, since_ms: i64, d: Duration) {
        match &self.0 {
            Source::System => tokio::time::sleep(d).await,
            Source::Test(state) => {
                let deadline = since_ms.saturating_add(millis(d));
                let mut seen = state.subscribe();
                state.send_modify(|s| s.sleepers.push(deadline));
                let _awake = Sleeper {
                    state: state.clone(),
                    deadline,
                };
                // The sender lives in `state`, so the channel cannot close while we wait.
                let _ = seen.wait_for(|s| s.now >= deadline).await;
            }
        }
    }
}

/// Removes its wait from the test clock's list when the wait ends or is dropped.
struct Sleeper {
    state: Arc<watch::Sender<TestState>>,
    deadline: i64,
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        self.state.send_modify(|s| {
            if let Some(i) = s.sleepers.iter().position(|d| *d == self.deadline) {
                s.sleepers.swap_remove(i);
            }
        });
    }
}

/// The market connectors of a fetch job wait on the workers' clock too.
impl bb_market::Clock for Clock {
    fn now_ms(&self) -> i64 {
        match &self.0 {
            Source::System => bb_market::SystemClock.now_ms(),
            Source::Test(_) => Clock::now_ms(self),
        }
    }

    fn sleep(&self, d: Duration) -> BoxFuture<'_, ()> {
        Box::pin(Clock::sleep(self, d))
    }
}

/// The handle of a [`Clock::test`]: reads it, moves it, and tells when the workers are
/// waiting on it.
#[derive(Clone, Debug)]
pub struct TestClock(Arc<watch::Sender<TestState>>);

impl TestClock {
    /// The clock's time (Unix ms).
    pub fn now_ms(&self) -> i64 {
        self.0.borrow().now
    }

    /// Moves the clock forward by `d` (whole milliseconds); every wait that ends by then
    /// wakes.
    pub fn advance(&self, d: Duration) {
        self.0
            .send_modify(|s| s.now = s.now.saturating_add(millis(d)));
    }

    /// Another handle on the clock, to give to workers.
    pub fn clock(&self) -> Clock {
        Clock(Source::Test(self.0.clone()))
    }

    /// Resolves once something waits on this clock until exactly `deadline_ms`: how a test
    /// knows that a background loop has done its round and gone back to waiting (the lease
    /// keeper after a heartbeat, an idle slot after a claim, housekeeping after a round).
    pub async fn sleeping_until(&self, deadline_ms: i64) {
        let mut seen = self.0.subscribe();
        let _ = seen.wait_for(|s| s.sleepers.contains(&deadline_ms)).await;
    }

    /// The deadlines of the waits in progress, earliest first.
    pub fn sleepers(&self) -> Vec<i64> {
        let mut deadlines = self.0.borrow().sleepers.clone();
        deadlines.sort_unstable();
        deadlines
    }
}

pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_test_clock_wakes_a_wait_only_when_advanced_past_its_end() {
        let (clock, time) = Clock::test(1_000);
        assert_eq!(clock.now_ms(), 1_000);
        let wait = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(Duration::from_millis(500)).await }
        });
        time.sleeping_until(1_500).await;
        assert_eq!(time.sleepers(), vec![1_500]);
        time.advance(Duration::from_millis(499));
        assert_eq!(clock.now_ms(), 1_499);
        tokio::task::yield_now().await;
        assert!(!wait.is_finished());
        time.advance(Duration::from_millis(1));
        wait.await.unwrap();
        assert_eq!(time.sleepers(), Vec::<i64>::new());
        assert_eq!(time.clock().now_ms(), 1_500);

        // Counted from an earlier time: the wait ends at that time + d, even if the clock
        // moved in between.
        let since = clock.now_ms();
        time.advance(Duration::from_millis(300));
        let wait = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_after(since, Duration::from_millis(500)).await }
        });
        time.sleeping_until(2_000).await;
        time.advance(Duration::from_millis(200));
        wait.await.unwrap();
    }

    #[tokio::test]
    async fn a_dropped_wait_is_no_longer_listed() {
        let (clock, time) = Clock::test(0);
        let wait = tokio::spawn(async move { clock.sleep(Duration::from_secs(1)).await });
        time.sleeping_until(1_000).await;
        wait.abort();
        let _ = wait.await;
        assert!(time.sleepers().is_empty());
    }
}
