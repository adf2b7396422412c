//! The event bus: publish/subscribe within a process and, on PostgreSQL, between processes.
//!
//! It carries small signals, never data: "there is a job to claim" (topic `jobs`), "run X
//! made progress" (live backtest streams), "user U has a new notification". An event says
//! *that* something changed and names it by id; the consumer reads the state from the
//! database. Delivery is at most once and best effort, so every consumer also re-reads state
//! when it starts, when it sees [`RECONNECTED_TOPIC`] and when its receiver reports
//! `Lagged`, and keeps a slow poll as a fallback.
//!
//! - **SQLite:** [`Db::publish`] sends into a broadcast channel held by the [`Db`] (shared by
//!   its clones). Only subscribers of that `Db` (that process) receive it: several processes
//!   on one SQLite file do **not** see each other's events. That is the laptop setup, one
//!   process; anything else must rely on its slow poll.
//! - **PostgreSQL:** [`Db::publish`] runs `pg_notify` on the channel `bb_events` with the JSON
//!   `{"topic": .., "payload": ..}`. A background task, started by [`Db::connect`], holds one
//!   extra connection that `LISTEN`s on `bb_events` and forwards every notification into the
//!   same broadcast channel, so every process connected to the database (this one included)
//!   receives every event, once. When that connection drops the task reconnects (with a
//!   back-off from 100 ms to 5 s) and then sends [`RECONNECTED_TOPIC`]: events published in
//!   between are lost. The task stops at [`Db::close`] or when the last clone of the `Db` is
//!   dropped.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::db::Backend;
use crate::{Db, StoreError};

/// One event: a topic (e.g. `jobs`, `run.<id>`, `notify.<user id>`) and a short payload
/// (an id, a number; never a document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusEvent {
    pub topic: String,
    pub payload: String,
}

/// The synthetic event a PostgreSQL [`Db`] sends its subscribers after its listening
/// connection was lost and re-established: events may have been missed, re-read state.
pub const RECONNECTED_TOPIC: &str = "bus.reconnected";

/// The largest event accepted by [`Db::publish`], in bytes of its JSON form
/// `{"topic":..,"payload":..}`. PostgreSQL refuses notifications of 8,000 bytes or more;
/// the same limit applies on SQLite so that code tried on a laptop works on a server.
pub const MAX_EVENT_BYTES: usize = 7_000;

/// The PostgreSQL notification channel.
const CHANNEL: &str = "bb_events";
/// Events a slow subscriber may fall behind by before it gets `Lagged`.
const CAPACITY: usize = 1024;
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The bus of one [`Db`] (shared by its clones).
pub(crate) struct Bus {
    tx: broadcast::Sender<BusEvent>,
    /// `true` (or dropped) tells the listener task to stop.
    shutdown: watch::Sender<bool>,
    /// The PostgreSQL listener task; `None` on SQLite and once stopped.
    listener: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("subscribers", &self.tx.receiver_count())
            .finish_non_exhaustive()
    }
}

impl Bus {
    /// A bus that delivers within this process only (SQLite).
    pub(crate) fn local() -> Bus {
        let (tx, _) = broadcast::channel(CAPACITY);
        let (shutdown, _) = watch::channel(false);
        Bus {
            tx,
            shutdown,
            listener: Mutex::new(None),
        }
    }

    /// A bus over PostgreSQL `LISTEN`/`NOTIFY`: listens on `url` before returning, so an
    /// event published after [`Db::connect`] returns reaches this process's subscribers.
    ///
    /// The URL (with its password) lives on only inside the listener task.
    pub(crate) async fn postgres(url: &str) -> Result<Bus, StoreError> {
        let bus = Bus::local();
        let listener = connect_listener(url).await.map_err(|e| {
            StoreError::Database(format!(
                "cannot listen for events on {}: {e}",
                crate::redact_url(url)
            ))
        })?;
        let task = listen(
            url.to_owned(),
            listener,
            bus.tx.clone(),
            bus.shutdown.subscribe(),
        );
        *lock(&bus.listener) = Some(tokio::spawn(task));
        Ok(bus)
    }

    /// Stops the listener task (if any) and waits for it to end.
    pub(crate) async fn stop(&self) {
        self.shutdown.send_replace(true);
        let task = lock(&self.listener).take();
        if let Some(task) = task {
            // It only ends by shutdown (or a panic, which has nothing left to clean up).
            let _ = task.await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn connect_listener(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// The listener task: forwards notifications until shutdown, reconnecting when the
/// connection drops.
async fn listen(
    url: String,
    first: PgListener,
    tx: broadcast::Sender<BusEvent>,
    mut shutdown: watch::Receiver<bool>,
) {
    let forward = async move {
        let mut listener = Some(first);
        let mut backoff = MIN_BACKOFF;
        loop {
            let mut current = match listener.take() {
                Some(l) => l,
                None => match connect_listener(&url).await {
                    Ok(l) => {
                        backoff = MIN_BACKOFF;
                        let _ = tx.send(reconnected());
                        l
                    }
                    Err(_) => {
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        continue;
                    }
                },
            };
            loop {
                match current.try_recv().await {
                    Ok(Some(notification)) => {
                        // Anything else NOTIFYing on the channel is not ours: skipped.
                        if let Ok(event) = serde_json::from_str::<BusEvent>(notification.payload())
                        {
                            // Err = nobody subscribed right now: nothing to do.
                            let _ = tx.send(event);
                        }
                    }
                    // The connection dropped and sqlx re-established it (and LISTENs again).
                    Ok(None) => {
                        let _ = tx.send(reconnected());
                    }
                    // The connection dropped and could not be re-established: start over.
                    Err(_) => break,
                }
            }
            drop(current);
            tokio::time::sleep(backoff).await;
        }
    };
    tokio::select! {
        // `Err` (the bus was dropped) stops too.
        _ = shutdown.wait_for(|stop| *stop) => {}
        () = forward => {}
    }
}

fn reconnected() -> BusEvent {
    BusEvent {
        topic: RECONNECTED_TOPIC.to_owned(),
        payload: String::new(),
    }
}

impl Db {
    /// Publishes an event to every subscriber: of this `Db` on SQLite, of every `Db` connected
    /// to the database (every process) on PostgreSQL. See the [module documentation](self)
    /// for the guarantees (few).
    ///
    /// `Invalid` when the topic is empty or the event is larger than [`MAX_EVENT_BYTES`];
    /// `Database` when PostgreSQL refuses it or the `Db` is closed.
    pub async fn publish(&self, topic: &str, payload: &str) -> Result<(), StoreError> {
        if topic.is_empty() {
            return Err(StoreError::Invalid("an event needs a topic".to_owned()));
        }
        let event = BusEvent {
            topic: topic.to_owned(),
            payload: payload.to_owned(),
        };
        let json = serde_json::to_string(&event)
            .map_err(|e| StoreError::Invalid(format!("event not serialisable: {e}")))?;
        if json.len() > MAX_EVENT_BYTES {
            return Err(StoreError::Invalid(format!(
                "event on {topic:?} is {} bytes, more than {MAX_EVENT_BYTES}: publish ids, \
                 not data",
                json.len()
            )));
        }
        if self.pool.is_closed() {
            return Err(StoreError::Database("the database is closed".to_owned()));
        }
        match self.backend() {
            Backend::Sqlite => {
                // Err = nobody subscribed right now: nothing to do.
                let _ = self.bus.tx.send(event);
            }
            Backend::Postgres => {
                // BACKEND-SPECIFIC: PostgreSQL's NOTIFY carries events between processes;
                // our own listener task delivers them to this process's subscribers too.
                sqlx::query("SELECT 1 FROM pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(json)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// A receiver of every event published from now on, all topics (filter on
    /// [`BusEvent::topic`]). `Lagged` from it means events were dropped because it fell
    /// behind: re-read state, as after [`RECONNECTED_TOPIC`].
    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.bus.tx.subscribe()
    }
}
