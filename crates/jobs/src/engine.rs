//! Where engine work runs, and what a panic becomes.
//!
//! Engine work (compile, evaluate, simulate) runs on a thread of its own with a large stack
//! ([`ENGINE_STACK_BYTES`]), never on the async runtime's threads; a panic there, or in the
//! async part of a job, becomes a failed run with a plain reason instead of a dead worker
//! slot. A stack overflow cannot be caught (it aborts the process): the big stack makes it
//! far less likely, and the store's reaper dead-letters a job whose worker died twice
//! ([`bb_store::MAX_LOST_LEASES`]) so it cannot crash one worker after another.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::run::JobError;

/// The stack of an engine thread: 256 MiB of address space (only the pages used are
/// memory), where the blocking pool's threads have 2 MiB.
pub const ENGINE_STACK_BYTES: usize = 256 << 20;

/// Runs CPU-heavy work on a fresh engine thread and waits for it without blocking the
/// runtime. A panic becomes [`JobError::Permanent`] with the panic's message.
pub(crate) async fn on_engine_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, JobError> + Send + 'static,
) -> Result<T, JobError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("bb-engine".into())
        .stack_size(ENGINE_STACK_BYTES)
        .spawn(move || {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(f))
                .unwrap_or_else(|panic| Err(panicked(panic.as_ref())));
            let _ = tx.send(outcome);
        })
        .map_err(|e| {
            JobError::Transient(format!(
                "no thread could be started for the computation: {e}"
            ))
        })?;
    rx.await.map_err(|_| {
        JobError::Permanent("the computation stopped without an answer (an internal error)".into())
    })?
}

/// The failure a panic becomes: permanent (the same input panics again), in plain words.
pub(crate) fn panicked(payload: &(dyn Any + Send)) -> JobError {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    JobError::Permanent(format!(
        "the computation hit an internal error ({message}); this is a bug on our side, and \
         trying again would fail the same way"
    ))
}

/// A future whose panics are caught and returned as `Err`, so a panicking job cannot take
/// its worker slot down with it.
pub(crate) struct CatchUnwind<'a, T>(pub Pin<Box<dyn Future<Output = T> + Send + 'a>>);

impl<T> Future for CatchUnwind<'_, T> {
    type Output = std::thread::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_on_the_engine_thread_is_a_permanent_failure() {
        let outcome: Result<(), JobError> =
            on_engine_thread(|| panic!("index out of bounds")).await;
        let Err(JobError::Permanent(message)) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(message.contains("index out of bounds"), "{message}");
        assert!(message.contains("internal error"), "{message}");
        let fine = on_engine_thread(|| Ok(std::thread::current().name().map(str::to_owned))).await;
        assert_eq!(fine, Ok(Some("bb-engine".to_owned())));
    }

    #[tokio::test]
    async fn a_panicking_future_is_caught() {
        let n = 7;
        let caught = CatchUnwind(Box::pin(async move {
            tokio::task::yield_now().await;
            assert!(n < 5, "n is {n}");
            n
        }))
        .await;
        let Err(payload) = caught else {
            panic!("not caught")
        };
        let JobError::Permanent(message) = panicked(payload.as_ref()) else {
            panic!("not permanent")
        };
        assert!(message.contains("n is 7"), "{message}");
        assert_eq!(CatchUnwind(Box::pin(async { 3 })).await.ok(), Some(3));
    }
}
