//! The app-wide event poller: every event of every classroom of the app, in order, none lost.
//!
//! The polling endpoint (`pollAppEvents`) hands out each event once: an event in a response that
//! is lost, or in a process that crashes before handling it, is gone from that endpoint. The
//! [`Poller`] makes up for it with each room's re-readable history (`listRoomEvents`) and a
//! checkpoint of the last processed `sequence` of each room ([`crate::checkpoint`]):
//!
//! * It hands each room's events to your handler in `sequence` order, one event at a time
//!   ([`Poller::run`]) or in batches ([`Poller::run_batched`]; with the `postgres` feature also
//!   `Poller::run_transactional`, in a database transaction).
//! * It saves the room's checkpoint after the handler returns `Ok` (once per batch in the batch
//!   modes), and drops what it has already handed out (the server may send an event twice).
//! * When a room's sequence numbers jump (a lost response, events polled out of order, a restart)
//!   it reads the missing events from the room's history, after the checkpoint.
//! * At start, and after a poll whose response may have been lost, it reads every known room's
//!   history after its checkpoint, so that events handed out but not processed before a crash, or
//!   lost in flight, are found even when their room sends nothing more. Rooms are known from the
//!   moment the poller first sees them: it saves them before handing out any of their events.
//! * It waits `interval` between polls that return nothing, backs off on errors with the
//!   client's [`RetryPolicy`] (without giving up on errors that may pass),
//!   and stops after the current event when cancelled or at once when dropped.
//! * At most `buffer` events wait for the handler: a slow handler makes the poller stop polling
//!   rather than grow memory.
//!
//! # The delivery guarantee
//!
//! For every room the poller knows, the handler receives the events of the room's history with a
//! sequence above the room's checkpoint in increasing sequence order, each exactly once, except
//! that **an event whose handler call had started when the poller stopped (a crash, a drop, an
//! error) is handed out again when a poller starts from the same checkpoints**: the checkpoint is
//! saved after the handler returns, so the one event in flight at a stop may be seen twice, and no
//! other. In the batch modes, read "the batch in flight" for "the event in flight". Handlers that
//! must not repeat an effect can compare the event's `sequence` with their own records, or use
//! `Poller::run_transactional` (feature `postgres`), where nothing is repeated.
//!
//! With a [`Leadership`] ([`PollerBuilder::leadership`]), only the replica that holds it polls;
//! when it loses it, it stops handing out events at once and waits to lead again.
//!
//! | Store | Mode | Handed out again after a crash | Across replicas |
//! |---|---|---|---|
//! | [`MemoryStore`] | any | everything (checkpoints are lost) | no |
//! | [`FileStore`](crate::checkpoint::FileStore) | [`run`](Poller::run) | the event in flight (one journal append and `fdatasync` per event) | one process per file (locked) |
//! | [`FileStore`](crate::checkpoint::FileStore) | [`run_batched`](Poller::run_batched) | the batch in flight (one journal append and `fdatasync` per batch) | one process per file (locked) |
//! | `PostgresStore` | `run`, `run_batched` | the event or batch in flight | one active poller with `PostgresLeader` |
//! | `PostgresStore` | `run_transactional` | nothing (writes and checkpoints commit together) | one active poller, deposed leaders fenced |
//!
//! What it cannot recover, and says so with a `tracing` warning:
//!
//! * sequence numbers the room's history does not have either (once a complete read of the
//!   history goes past them, or `gap_timeout` after they were first missed): they are skipped;
//! * events of a room that was destroyed before they could be read (the server keeps a room's
//!   events until about an hour after it ends);
//! * events of a room the poller never saw at all, all of whose events were in responses lost in
//!   flight before any of them was noted (the server says nothing else about that room);
//! * events without a room or a sequence: they are handed out as they come, unordered, without a
//!   checkpoint, and may repeat;
//! * events with a sequence no room can have (above 2^53 - 1, or more than 2^32 past the room's
//!   checkpoint): they are handed out the same way, with a warning, and never move the room's
//!   checkpoint (taken in order, they would hide every later event of the room). A stored
//!   checkpoint outside 0..=2^53 - 1 is not trusted either: the room is read from its beginning.
//!
//! ```no_run
//! # async fn example(client: classroom_api::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use classroom_api::checkpoint::FileStore;
//! use classroom_api::poller::Poller;
//! use classroom_api::poller::CancellationToken;
//!
//! let shutdown = CancellationToken::new();
//! let poller = Poller::builder(client)
//!     .checkpoint_store(FileStore::new("classroom-events.json"))
//!     .interval(Duration::from_secs(2))
//!     .cancellation(shutdown.clone())
//!     .build();
//! poller
//!     .run(|event| async move {
//!         println!("{} #{}: cmd {}", event.room_uuid, event.sequence, event.cmd);
//!         Ok::<_, std::io::Error>(())
//!     })
//!     .await?;
//! # Ok(())
//! # }
//! ```

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use crate::cancel::CancellationToken;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::checkpoint::{BoxError, CheckpointError, CheckpointStore, Checkpoints, MemoryStore};
use crate::client::{Client, RetryPolicy};
use crate::error::Error;
use crate::events::Event;
use crate::operations::ListRoomEventsQuery;

/// Polls the events of every classroom of the app and hands them to a handler, in order per room,
/// with checkpoints. See the [module documentation](self) for the exact guarantee.
pub struct Poller {
    config: Config,
    store: Arc<dyn CheckpointStore>,
    leadership: Option<Arc<dyn Leadership>>,
}

/// One active poller across replicas: [`Poller::run`] first waits for a [`Lease`], polls while
/// it holds it, and when it is lost stops handing out events at once and waits for a new one.
///
/// The `postgres` feature has one built on a Postgres advisory lock
/// (`classroom_api::postgres::PostgresLeader`).
pub trait Leadership: Send + Sync {
    /// Waits until this replica leads. An error stops the poller with
    /// [`PollerError::Leadership`]; implementations retry what may pass themselves.
    fn acquire(&self) -> LeaseFuture<'_>;
}

/// The future [`Leadership::acquire`] returns.
pub type LeaseFuture<'a> = Pin<Box<dyn Future<Output = Result<Lease, BoxError>> + Send + 'a>>;

/// The right to poll, held until its `lost` future completes or it is dropped (dropping it gives
/// the leadership up).
pub struct Lease {
    lost: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Lease {
    /// A lease that is lost when `lost` completes; `lost` owns whatever holds the leadership.
    pub fn new(lost: impl Future<Output = ()> + Send + 'static) -> Self {
        Lease {
            lost: Box::pin(lost),
        }
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease").finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
struct Config {
    client: Client,
    interval: Duration,
    buffer: usize,
    batch_size: usize,
    gap_timeout: Duration,
    new_rooms: NewRooms,
    reconcile_every: Option<Duration>,
    cancel: CancellationToken,
}

/// Where the poller starts in a room it has no checkpoint for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NewRooms {
    /// From the room's first event: the history before the first polled event is read too.
    #[default]
    FromBeginning,
    /// From the first event polled: earlier events of the room are not handed out.
    FromFirstSeen,
}

/// Builds a [`Poller`].
pub struct PollerBuilder {
    config: Config,
    store: Option<Arc<dyn CheckpointStore>>,
    leadership: Option<Arc<dyn Leadership>>,
}

/// Why [`Poller::run`] stopped.
///
/// It is a [`std::error::Error`] whatever the handler's error type: the handler's error is kept
/// boxed, so `anyhow::Error`, `String` and your own error types all work, and
/// [`source`](std::error::Error::source) leads to it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PollerError {
    /// Polling failed in a way that waiting will not fix (credentials, a 4xx answer).
    #[error("polling the events failed")]
    Api(#[source] Error),
    /// A checkpoint could not be read or saved.
    #[error("the checkpoint store failed")]
    Checkpoint(#[source] CheckpointError),
    /// The handler returned an error; its event (or batch) was not checkpointed and comes again
    /// on the next start. Downcast it to get your error back.
    #[error("the event handler failed: {0}")]
    Handler(#[source] BoxError),
    /// The [`Leadership`] failed in a way it does not retry.
    #[error("taking the leadership failed")]
    Leadership(#[source] BoxError),
}

/// What [`Poller::run`] did, returned when it stops gracefully.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollerStats {
    /// Events the handler returned `Ok` for.
    pub events_handled: u64,
    /// Handler calls that returned `Ok` (equal to `events_handled` in the per-event mode).
    pub batches_handled: u64,
    /// Times this poller became the leader (with [`PollerBuilder::leadership`]).
    pub leaderships: u64,
    /// Holes in a room's sequence numbers closed by reading the room's history.
    pub gaps_filled: u64,
    /// Events found in a room's history rather than by polling.
    pub events_from_history: u64,
    /// Events dropped because they had been handed out already (the server repeated them).
    pub duplicates_dropped: u64,
    /// Sequence numbers given up on (not in the room's history; see the module documentation).
    pub events_skipped: u64,
    /// Events with a sequence number no room can have (negative, above 2^53 - 1, or more than
    /// 2^32 past the room's checkpoint), handed out unordered without a checkpoint.
    pub implausible_sequences: u64,
    /// Rooms the poller knew when it stopped.
    pub rooms_known: u64,
}

/// The largest sequence number taken as a room's: JavaScript's largest exact integer. Beyond it
/// checkpoint arithmetic could overflow and one bad event would hide the room's later ones.
const MAX_SEQUENCE: i64 = (1 << 53) - 1;

/// The largest plausible step from a room's checkpoint to one of its events.
const MAX_SEQUENCE_JUMP: i64 = 1 << 32;

/// Whether `sequence` can be an event of a room whose checkpoint is `after`.
fn plausible(sequence: i64, after: i64) -> bool {
    (1..=MAX_SEQUENCE).contains(&sequence) && sequence.saturating_sub(after) <= MAX_SEQUENCE_JUMP
}

/// The counters behind [`PollerStats`], shared by the polling and the handling sides.
#[derive(Default)]
struct Counters {
    events_handled: AtomicU64,
    batches_handled: AtomicU64,
    leaderships: AtomicU64,
    gaps_filled: AtomicU64,
    events_from_history: AtomicU64,
    duplicates_dropped: AtomicU64,
    events_skipped: AtomicU64,
    implausible_sequences: AtomicU64,
    rooms_known: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn snapshot(&self) -> PollerStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PollerStats {
            events_handled: get(&self.events_handled),
            batches_handled: get(&self.batches_handled),
            leaderships: get(&self.leaderships),
            gaps_filled: get(&self.gaps_filled),
            events_from_history: get(&self.events_from_history),
            duplicates_dropped: get(&self.duplicates_dropped),
            events_skipped: get(&self.events_skipped),
            implausible_sequences: get(&self.implausible_sequences),
            rooms_known: get(&self.rooms_known),
        }
    }
}

impl Poller {
    /// Starts building a poller for the app of `client`.
    ///
    /// Defaults: checkpoints in memory ([`MemoryStore`]), a poll every second when there is
    /// nothing new, 256 events buffered, holes given up after 30 seconds, new rooms read from
    /// their first event, no periodic reconciliation, never cancelled (drop the future to stop).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(client: classroom_api::Client) {
    /// use std::time::Duration;
    ///
    /// use classroom_api::checkpoint::FileStore;
    /// use classroom_api::poller::{NewRooms, Poller};
    ///
    /// let poller = Poller::builder(client)
    ///     .checkpoint_store(FileStore::new("classroom-events.json"))
    ///     .interval(Duration::from_millis(500))
    ///     .buffer(1024)
    ///     .new_rooms(NewRooms::FromFirstSeen)
    ///     .build();
    /// # let _ = poller;
    /// # }
    /// ```
    pub fn builder(client: Client) -> PollerBuilder {
        PollerBuilder {
            config: Config {
                client,
                interval: Duration::from_secs(1),
                buffer: 256,
                batch_size: 100,
                gap_timeout: Duration::from_secs(30),
                new_rooms: NewRooms::default(),
                reconcile_every: None,
                cancel: CancellationToken::new(),
            },
            store: None,
            leadership: None,
        }
    }

    /// The token that stops [`Poller::run`] gracefully (the one given to
    /// [`PollerBuilder::cancellation`], or one of its own).
    pub fn cancellation_token(&self) -> CancellationToken {
        self.config.cancel.clone()
    }

    /// Polls until cancelled, handing every event to `handler`, one at a time.
    ///
    /// After `handler` returns `Ok`, the event's room checkpoint is saved. When it returns `Err`,
    /// the poller stops and returns [`PollerError::Handler`]; the event is handed out again on
    /// the next start. On cancellation, the event being handled is finished and checkpointed,
    /// and `run` returns what it did ([`PollerStats`]); events buffered but not handled are read
    /// again from their rooms' history on the next start. Dropping the future stops everything
    /// at once.
    ///
    /// The handler's error type is anything that converts into a boxed error: your own error
    /// type, `anyhow::Error`, `String`, or [`std::convert::Infallible`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example(client: classroom_api::Client) {
    /// use classroom_api::events::EventPayload;
    /// use classroom_api::poller::Poller;
    ///
    /// let poller = Poller::builder(client).build();
    /// let shutdown = poller.cancellation_token();
    /// let task = tokio::spawn(poller.run(|event| async move {
    ///     if let EventPayload::RoomState(state) = &event.payload {
    ///         println!("room {} is now {:?}", event.room_uuid, state.state);
    ///     }
    ///     Ok::<_, std::convert::Infallible>(())
    /// }));
    /// // ...
    /// shutdown.cancel();
    /// let stats = task.await.unwrap().unwrap();
    /// println!("{} events handled", stats.events_handled);
    /// # }
    /// ```
    pub async fn run<H, Fut, E>(self, handler: H) -> Result<PollerStats, PollerError>
    where
        H: FnMut(Event) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Into<BoxError>,
    {
        self.drive(PerEvent(handler), 1).await
    }

    /// Polls until cancelled, handing the events to `handler` in batches of up to
    /// [`batch_size`](PollerBuilder::batch_size) events, and saving the checkpoints once per
    /// batch (one write to the store).
    ///
    /// A batch holds the events waiting when the handler is free, in order per room (events of
    /// different rooms may interleave); it is never empty, and the poller does not wait to fill
    /// it. When `handler` returns `Err`, the poller stops and the whole batch is handed out again
    /// on the next start. On cancellation, the batch being handled is finished and checkpointed.
    /// The guarantee of the [module documentation](self) holds with "the batch in flight at a
    /// stop" in place of "the event in flight".
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example(client: classroom_api::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use classroom_api::checkpoint::FileStore;
    /// use classroom_api::poller::Poller;
    ///
    /// let poller = Poller::builder(client)
    ///     .checkpoint_store(FileStore::new("classroom-events.json"))
    ///     .batch_size(500)
    ///     .build();
    /// poller
    ///     .run_batched(|events| async move {
    ///         println!("{} events", events.len());
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_batched<H, Fut, E>(self, handler: H) -> Result<PollerStats, PollerError>
    where
        H: FnMut(Vec<Event>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Into<BoxError>,
    {
        let batch_size = self.batch_size();
        self.drive(Batched(handler), batch_size).await
    }

    /// The batch size of [`Poller::run_batched`].
    pub(crate) fn batch_size(&self) -> usize {
        self.config.batch_size
    }

    /// Runs the poller, under the leadership if there is one.
    pub(crate) async fn drive<S: Sink>(
        self,
        mut sink: S,
        batch_size: usize,
    ) -> Result<PollerStats, PollerError> {
        let counters = Counters::default();
        let Some(leadership) = self.leadership.clone() else {
            return match self.lead(&mut sink, batch_size, &counters).await {
                Ok(()) => Ok(counters.snapshot()),
                Err(Stop::Error(err)) => Err(err),
                Err(Stop::Fenced) => Err(PollerError::Leadership(
                    "the checkpoints are fenced by another poller's leadership".into(),
                )),
            };
        };
        loop {
            let lease = tokio::select! {
                biased;
                () = self.config.cancel.cancelled() => return Ok(counters.snapshot()),
                lease = leadership.acquire() => lease.map_err(PollerError::Leadership)?,
            };
            Counters::add(&counters.leaderships, 1);
            tracing::info!("leading: polling the events");
            let mut lost = lease.lost;
            let outcome = tokio::select! {
                biased;
                () = &mut lost => None,
                result = self.lead(&mut sink, batch_size, &counters) => Some(result),
            };
            // Gives the leadership up (when it is not lost already), after undoing a batch that
            // was cut short, so that nothing of it holds up the next leader.
            if outcome.is_none() {
                sink.abandon();
            }
            drop(lost);
            match outcome {
                Some(Ok(())) => return Ok(counters.snapshot()),
                Some(Err(Stop::Error(err))) => return Err(err),
                None | Some(Err(Stop::Fenced)) => tracing::warn!(
                    "leadership lost: no more events handed out; waiting to lead again"
                ),
            }
        }
    }

    /// Loads the checkpoints and polls until cancelled or stopped.
    async fn lead<S: Sink>(
        &self,
        sink: &mut S,
        batch_size: usize,
        counters: &Counters,
    ) -> Result<(), Stop> {
        let checkpoints = self
            .store
            .load()
            .await
            .map_err(|e| Stop::Error(PollerError::Checkpoint(e)))?;
        let stop = self.config.cancel.child_token();
        let (tx, rx) = mpsc::channel(self.config.buffer.max(1));
        let producer = Producer::new(&self.config, &*self.store, checkpoints, tx, counters);
        let producer_stop = stop.clone();
        let producer = async move {
            tokio::select! {
                biased;
                () = producer_stop.cancelled() => Ok(()),
                result = producer.run() => result,
            }
        };
        let consumer = consume(rx, sink, batch_size, &*self.store, &stop, counters);
        tokio::pin!(producer, consumer);
        tokio::select! {
            result = &mut consumer => {
                stop.cancel();
                result
            }
            result = &mut producer => {
                // Polling has stopped: let the handler finish its event, then stop.
                stop.cancel();
                let consumed = consumer.await;
                match result {
                    Ok(()) | Err(Halt::Closed) => consumed,
                    Err(Halt::Api(err)) => Err(Stop::Error(PollerError::Api(err))),
                    Err(Halt::Checkpoint(err)) => Err(Stop::Error(PollerError::Checkpoint(err))),
                }
            }
        }
    }
}

impl fmt::Debug for Poller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller")
            .field("interval", &self.config.interval)
            .field("buffer", &self.config.buffer)
            .field("batch_size", &self.config.batch_size)
            .field("gap_timeout", &self.config.gap_timeout)
            .field("new_rooms", &self.config.new_rooms)
            .field("reconcile_every", &self.config.reconcile_every)
            .finish_non_exhaustive()
    }
}

impl PollerBuilder {
    /// Where checkpoints are kept (default: in memory, lost when the process ends).
    #[must_use]
    pub fn checkpoint_store(mut self, store: impl CheckpointStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// How long to wait before polling again after a poll that returned no event (default 1 s).
    /// After a poll that returned events, the next poll is made at once.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.config.interval = interval;
        self
    }

    /// How many events may wait for the handler (default 256, at least 1). When they are all
    /// waiting, the poller stops polling until the handler catches up. Beyond them, the poller
    /// holds at most the rest of one poll's batch or of one room's history read, and the events
    /// of rooms waiting for a hole in their sequence numbers to be filled.
    #[must_use]
    pub fn buffer(mut self, events: usize) -> Self {
        self.config.buffer = events.max(1);
        self
    }

    /// How many events [`Poller::run_batched`] hands to its handler at most at once (default 100,
    /// at least 1).
    #[must_use]
    pub fn batch_size(mut self, events: usize) -> Self {
        self.config.batch_size = events.max(1);
        self
    }

    /// How long a hole in a room's sequence numbers is waited for when the room's history does
    /// not reach past it yet (default 30 s); then the events after it are handed out. A hole that
    /// a complete read of the history shows is not there is skipped at once. While the history
    /// cannot be read at all (the server is failing), the room waits without limit.
    #[must_use]
    pub fn gap_timeout(mut self, timeout: Duration) -> Self {
        self.config.gap_timeout = timeout;
        self
    }

    /// Where to start in rooms without a checkpoint (default [`NewRooms::FromBeginning`]).
    #[must_use]
    pub fn new_rooms(mut self, start: NewRooms) -> Self {
        self.config.new_rooms = start;
        self
    }

    /// Also read the history of every known room this often (default never). It finds events
    /// that the polling endpoint dropped without any error and that no later event of their room
    /// reveals, at the cost of one history request per known room per period (rooms are
    /// forgotten once the server no longer has them).
    #[must_use]
    pub fn reconcile_every(mut self, period: Duration) -> Self {
        self.config.reconcile_every = Some(period);
        self
    }

    /// The token that stops [`Poller::run`] gracefully when cancelled.
    #[must_use]
    pub fn cancellation(mut self, token: CancellationToken) -> Self {
        self.config.cancel = token;
        self
    }

    /// Polls only while this replica leads (default: always). Every replica runs the poller;
    /// one polls, the others wait. The checkpoint store must be shared by the replicas.
    #[must_use]
    pub fn leadership(mut self, leadership: impl Leadership + 'static) -> Self {
        self.leadership = Some(Arc::new(leadership));
        self
    }

    /// Builds the poller.
    pub fn build(self) -> Poller {
        Poller {
            config: self.config,
            store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
            leadership: self.leadership,
        }
    }
}

impl fmt::Debug for PollerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollerBuilder")
            .field("config", &self.config)
            .field("custom_store", &self.store.is_some())
            .finish()
    }
}

/// An event for the handler, with the checkpoint to save once it is handled.
struct Delivery {
    event: Event,
    checkpoint: Option<(String, i64)>,
}

/// Why the producer stopped.
enum Halt {
    /// The handler side is gone.
    Closed,
    Api(Error),
    Checkpoint(CheckpointError),
}

impl From<CheckpointError> for Halt {
    fn from(err: CheckpointError) -> Self {
        Halt::Checkpoint(err)
    }
}

/// Why the handling side stopped.
pub(crate) enum Stop {
    Error(PollerError),
    /// The store refused the checkpoints: another poller leads now.
    #[cfg_attr(
        not(feature = "postgres"),
        allow(dead_code, reason = "only the Postgres transactions are fenced")
    )]
    Fenced,
}

/// What the handling side calls: the per-event, batch or transactional handler.
pub(crate) trait Sink {
    /// Handles `events`; returns `true` when it saved `checkpoints` itself (with its effects).
    fn handle(
        &mut self,
        events: Vec<Event>,
        checkpoints: &[(String, i64)],
    ) -> impl Future<Output = Result<bool, Stop>>;

    /// A batch was dropped mid-way (the leadership was lost): undo what it may have begun.
    fn abandon(&mut self) {}
}

struct PerEvent<H>(H);

impl<H, Fut, E> Sink for PerEvent<H>
where
    H: FnMut(Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
{
    async fn handle(&mut self, events: Vec<Event>, _: &[(String, i64)]) -> Result<bool, Stop> {
        for event in events {
            (self.0)(event)
                .await
                .map_err(|e| Stop::Error(PollerError::Handler(e.into())))?;
        }
        Ok(false)
    }
}

struct Batched<H>(H);

impl<H, Fut, E> Sink for Batched<H>
where
    H: FnMut(Vec<Event>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
{
    async fn handle(&mut self, events: Vec<Event>, _: &[(String, i64)]) -> Result<bool, Stop> {
        (self.0)(events)
            .await
            .map_err(|e| Stop::Error(PollerError::Handler(e.into())))?;
        Ok(false)
    }
}

/// Takes up to `batch_size` waiting events, hands them to `sink`, saves their rooms' checkpoints
/// in one write (unless the sink did); until stopped.
async fn consume<S: Sink>(
    mut rx: mpsc::Receiver<Delivery>,
    sink: &mut S,
    batch_size: usize,
    store: &dyn CheckpointStore,
    stop: &CancellationToken,
    counters: &Counters,
) -> Result<(), Stop> {
    let mut deliveries = Vec::with_capacity(batch_size);
    loop {
        let first = tokio::select! {
            biased;
            () = stop.cancelled() => return Ok(()),
            delivery = rx.recv() => match delivery {
                Some(delivery) => delivery,
                None => return Ok(()),
            },
        };
        deliveries.push(first);
        while deliveries.len() < batch_size {
            match rx.try_recv() {
                Ok(delivery) => deliveries.push(delivery),
                Err(_) => break,
            }
        }
        let mut events = Vec::with_capacity(deliveries.len());
        let mut checkpoints: Vec<(String, i64)> = Vec::new();
        for delivery in deliveries.drain(..) {
            if let Some((room, sequence)) = delivery.checkpoint {
                // A room's events come in increasing order: the last one is its checkpoint.
                match checkpoints.iter_mut().find(|(r, _)| *r == room) {
                    Some(entry) => entry.1 = sequence,
                    None => checkpoints.push((room, sequence)),
                }
            }
            events.push(delivery.event);
        }
        let handled = events.len() as u64;
        if !sink.handle(events, &checkpoints).await? {
            match checkpoints.as_slice() {
                [] => Ok(()),
                [(room, sequence)] => store.save(room, *sequence).await,
                _ => store.save_many(&checkpoints).await,
            }
            .map_err(|e| Stop::Error(PollerError::Checkpoint(e)))?;
        }
        Counters::add(&counters.events_handled, handled);
        Counters::add(&counters.batches_handled, 1);
    }
}

/// What the producer knows of one room.
#[derive(Default)]
struct Room {
    /// The highest sequence handed to the handler side (at start, the checkpoint).
    delivered: i64,
    /// Events received and not handed out yet, waiting for a hole before them to be filled.
    pending: BTreeMap<i64, Event>,
    /// The `nextId` that fetched the last page of the room's history read last time.
    cursor: Option<String>,
    /// Read the history even without a hole (at start, after a possibly lost response).
    needs_backfill: bool,
    /// No history read before this (after a failed or inconclusive read).
    retry_at: Option<Instant>,
    /// Failed history reads in a row.
    failures: u32,
    /// When a complete history read first failed to fill the current hole.
    gap_since: Option<Instant>,
    /// The server said the room does not exist: no more history reads without a hole.
    gone: bool,
}

impl Room {
    /// The first pending sequence, when there is a hole before it.
    fn gap(&self) -> Option<i64> {
        self.pending
            .keys()
            .next()
            .copied()
            .filter(|first| *first > self.delivered + 1)
    }
}

struct Producer<'p> {
    config: &'p Config,
    store: &'p dyn CheckpointStore,
    /// The client for polling: one attempt per call, so that every failed attempt is seen.
    poll_client: Client,
    tx: mpsc::Sender<Delivery>,
    rooms: HashMap<String, Room>,
    failures: u32,
    last_reconcile: Instant,
    counters: &'p Counters,
}

impl<'p> Producer<'p> {
    fn new(
        config: &'p Config,
        store: &'p dyn CheckpointStore,
        checkpoints: Checkpoints,
        tx: mpsc::Sender<Delivery>,
        counters: &'p Counters,
    ) -> Self {
        let rooms: HashMap<String, Room> = checkpoints
            .into_iter()
            .map(|(room, mut sequence)| {
                if !(0..=MAX_SEQUENCE).contains(&sequence) {
                    // Not a checkpoint this poller saves: rather than lose the room, read it all.
                    tracing::warn!(
                        room_uuid = %room,
                        sequence,
                        "implausible checkpoint: the room is read from its beginning"
                    );
                    sequence = 0;
                }
                let state = Room {
                    delivered: sequence,
                    needs_backfill: true,
                    ..Room::default()
                };
                (room, state)
            })
            .collect();
        Producer {
            config,
            store,
            poll_client: config.client.with_retry(RetryPolicy::none()),
            tx,
            rooms,
            failures: 0,
            last_reconcile: Instant::now(),
            counters,
        }
    }

    fn policy(&self) -> &RetryPolicy {
        self.config.client.retry_policy()
    }

    async fn run(mut self) -> Result<(), Halt> {
        loop {
            self.counters
                .rooms_known
                .store(self.rooms.len() as u64, Ordering::Relaxed);
            self.backfill_due_rooms().await?;
            if let Some(period) = self.config.reconcile_every
                && self.last_reconcile.elapsed() >= period
            {
                self.last_reconcile = Instant::now();
                for room in self.rooms.values_mut().filter(|r| !r.gone) {
                    room.needs_backfill = true;
                }
            }
            match self.poll_client.poll_app_events().await {
                Ok(events) => {
                    self.failures = 0;
                    let empty = events.is_empty();
                    tracing::debug!(events = events.len(), "polled");
                    self.ingest(events).await?;
                    if empty {
                        tokio::time::sleep(self.config.interval).await;
                    }
                }
                Err(err) if is_fatal(&err) => return Err(Halt::Api(err)),
                Err(err) => {
                    self.failures += 1;
                    let suspect = may_have_reached_server(&err);
                    if suspect {
                        // Its events are gone from the polling endpoint: read every room.
                        for room in self.rooms.values_mut().filter(|r| !r.gone) {
                            room.needs_backfill = true;
                        }
                    }
                    let wait = self.policy().backoff(self.failures);
                    tracing::warn!(
                        error = %err,
                        failures = self.failures,
                        wait_ms = wait.as_millis() as u64,
                        reread_rooms = suspect,
                        "polling events failed"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Reads the history of the rooms that need it and whose retry time has come.
    async fn backfill_due_rooms(&mut self) -> Result<(), Halt> {
        let now = Instant::now();
        let due: Vec<(String, bool)> = self
            .rooms
            .iter()
            .filter(|(_, r)| r.needs_backfill || r.gap().is_some())
            .filter(|(_, r)| r.retry_at.is_none_or(|t| t <= now))
            .map(|(name, r)| (name.clone(), r.needs_backfill))
            .collect();
        for (room, force) in due {
            self.settle(&room, force).await?;
        }
        Ok(())
    }

    /// Takes a polled batch: notes new rooms, drops what was handed out already, and hands out
    /// what it can in order.
    async fn ingest(&mut self, events: Vec<Event>) -> Result<(), Halt> {
        let mut order: Vec<String> = Vec::new();
        let mut by_room: HashMap<String, Vec<Event>> = HashMap::new();
        for event in events {
            if !event.room_uuid.is_empty() && event.sequence > MAX_SEQUENCE {
                self.quarantine(event).await?;
                continue;
            }
            if event.room_uuid.is_empty() || event.sequence <= 0 {
                tracing::warn!(
                    room_uuid = %event.room_uuid,
                    sequence = event.sequence,
                    cmd = event.cmd,
                    "an event without a room or a sequence is handed out unordered"
                );
                self.send(Delivery {
                    event,
                    checkpoint: None,
                })
                .await?;
                continue;
            }
            let list = by_room.entry(event.room_uuid.clone()).or_insert_with(|| {
                order.push(event.room_uuid.clone());
                Vec::new()
            });
            list.push(event);
        }
        // Note the rooms first heard of, before handing out any of their events: after a crash,
        // the next start reads their history.
        let new: Vec<(String, i64)> = order
            .iter()
            .filter(|room| !self.rooms.contains_key(*room))
            .map(|room| {
                let start = match self.config.new_rooms {
                    NewRooms::FromBeginning => 0,
                    NewRooms::FromFirstSeen => {
                        by_room[room].iter().map(|e| e.sequence).min().unwrap_or(1) - 1
                    }
                };
                (room.clone(), start)
            })
            .collect();
        if !new.is_empty() {
            self.store.save_many(&new).await?;
            for (room, start) in &new {
                tracing::debug!(room_uuid = %room, from = start + 1, "new room");
                self.rooms.insert(
                    room.clone(),
                    Room {
                        delivered: *start,
                        ..Room::default()
                    },
                );
            }
        }
        self.counters
            .rooms_known
            .store(self.rooms.len() as u64, Ordering::Relaxed);
        for room in order {
            let events = by_room.remove(&room).unwrap_or_default();
            let state = self.room(&room);
            let mut implausible = Vec::new();
            let mut duplicates = 0;
            for event in events {
                if event.sequence <= state.delivered {
                    tracing::debug!(room_uuid = %room, sequence = event.sequence, "duplicate dropped");
                    duplicates += 1;
                    continue;
                }
                if !plausible(event.sequence, state.delivered) {
                    implausible.push(event);
                    continue;
                }
                match state.pending.entry(event.sequence) {
                    Entry::Vacant(entry) => {
                        entry.insert(event);
                    }
                    Entry::Occupied(_) => duplicates += 1,
                }
            }
            Counters::add(&self.counters.duplicates_dropped, duplicates);
            for event in implausible {
                self.quarantine(event).await?;
            }
            self.settle(&room, false).await?;
        }
        Ok(())
    }

    /// Hands out an event whose sequence no room can have, unordered and without a checkpoint:
    /// taken in order, it would move the room's checkpoint so far that every later event of the
    /// room would look handed out already.
    async fn quarantine(&mut self, event: Event) -> Result<(), Halt> {
        tracing::warn!(
            room_uuid = %event.room_uuid,
            sequence = event.sequence,
            cmd = event.cmd,
            "an event with an implausible sequence is handed out unordered, without a checkpoint"
        );
        Counters::add(&self.counters.implausible_sequences, 1);
        self.send(Delivery {
            event,
            checkpoint: None,
        })
        .await
    }

    fn room(&mut self, room: &str) -> &mut Room {
        self.rooms.entry(room.to_owned()).or_default()
    }

    /// Hands out what is in order; reads the room's history when there is a hole (or when
    /// `force`), unless a retry time has not come; skips holes the history shows are not there.
    async fn settle(&mut self, room: &str, force: bool) -> Result<(), Halt> {
        self.deliver_ready(room).await?;
        let now = Instant::now();
        let state = self.room(room);
        if !force && state.gap().is_none() {
            state.gap_since = None;
            return Ok(());
        }
        if state.retry_at.is_some_and(|t| t > now) {
            return Ok(());
        }
        let hole = state.gap().map(|_| state.delivered + 1);
        match self.backfill(room).await {
            Ok(history_max) => {
                let state = self.room(room);
                state.needs_backfill = false;
                state.gone = false;
                state.failures = 0;
                state.retry_at = None;
                self.deliver_ready(room).await?;
                if hole.is_some_and(|hole| self.room(room).delivered >= hole) {
                    Counters::add(&self.counters.gaps_filled, 1);
                }
                let interval = self.config.interval;
                let gap_timeout = self.config.gap_timeout;
                let state = self.room(room);
                let Some(first) = state.gap() else {
                    state.gap_since = None;
                    return Ok(());
                };
                if history_max.is_some_and(|max| max >= first) {
                    return self.skip_holes(room, "not in the room's history").await;
                }
                let since = *state.gap_since.get_or_insert(now);
                if now.duration_since(since) >= gap_timeout {
                    return self
                        .skip_holes(room, "not in the room's history in time")
                        .await;
                }
                state.retry_at = Some(now + interval);
                Ok(())
            }
            Err(err) if err.is_not_found() => {
                tracing::info!(room_uuid = %room, "the room no longer exists");
                let state = self.room(room);
                state.needs_backfill = false;
                state.gone = true;
                self.skip_holes(room, "the room no longer exists").await?;
                // Forgotten by the store (what is handed out still gets saved), but remembered
                // here, so that a late event is still told from one handed out already.
                self.store.remove(room).await?;
                Ok(())
            }
            Err(err) if !is_transient(&err) => {
                tracing::warn!(room_uuid = %room, error = %err, "the room's history cannot be read");
                self.room(room).needs_backfill = false;
                self.skip_holes(room, "the room's history cannot be read")
                    .await
            }
            Err(err) => {
                let failures = {
                    let state = self.room(room);
                    state.failures += 1;
                    state.failures
                };
                let wait = self.policy().backoff(failures);
                self.room(room).retry_at = Some(now + wait);
                tracing::warn!(
                    room_uuid = %room,
                    error = %err,
                    failures,
                    wait_ms = wait.as_millis() as u64,
                    "reading the room's history failed"
                );
                Ok(())
            }
        }
    }

    /// Hands out the pending events that follow the last one handed out.
    async fn deliver_ready(&mut self, room: &str) -> Result<(), Halt> {
        let state = self.room(room);
        if state
            .pending
            .first_key_value()
            .is_some_and(|(first, _)| *first <= state.delivered)
        {
            // Handed out already: never again.
            state.pending = state.pending.split_off(&(state.delivered + 1));
        }
        loop {
            let state = self.room(room);
            let next = state.delivered + 1;
            let Some(event) = state.pending.remove(&next) else {
                return Ok(());
            };
            self.send(Delivery {
                event,
                checkpoint: Some((room.to_owned(), next)),
            })
            .await?;
            self.room(room).delivered = next;
        }
    }

    /// Gives up on every hole of a room, handing out all its pending events in order.
    async fn skip_holes(&mut self, room: &str, why: &str) -> Result<(), Halt> {
        let counters = self.counters;
        loop {
            self.deliver_ready(room).await?;
            let state = self.room(room);
            let Some(first) = state.gap() else {
                state.gap_since = None;
                state.retry_at = None;
                return Ok(());
            };
            if state.delivered == 0 {
                tracing::debug!(room_uuid = %room, first, "the room's history starts at {first}");
            } else {
                tracing::warn!(
                    room_uuid = %room,
                    from = state.delivered + 1,
                    to = first - 1,
                    why,
                    "events skipped"
                );
                let skipped = (first - 1 - state.delivered).unsigned_abs();
                Counters::add(&counters.events_skipped, skipped);
            }
            state.delivered = first - 1;
        }
    }

    /// Reads the room's history after what was handed out into `pending`; returns the highest
    /// sequence the history has.
    async fn backfill(&mut self, room: &str) -> Result<Option<i64>, Error> {
        let (after, cursor) = {
            let state = self.room(room);
            (state.delivered, state.cursor.clone())
        };
        let read = match read_history(&self.config.client, room, after, cursor.clone()).await {
            // The remembered cursor may have expired: read from the start.
            Err(err) if cursor.is_some() && !err.is_not_found() && !is_transient(&err) => {
                read_history(&self.config.client, room, after, None).await
            }
            other => other,
        }?;
        let state = self.room(room);
        state.cursor = read.last_cursor;
        let found = read.events.len();
        let mut recovered = 0;
        for event in read.events {
            if event.sequence > state.delivered
                && let Entry::Vacant(entry) = state.pending.entry(event.sequence)
            {
                entry.insert(event);
                recovered += 1;
            }
        }
        Counters::add(&self.counters.events_from_history, recovered);
        tracing::debug!(room_uuid = %room, after, found, "read the room's history");
        Ok(read.max)
    }

    async fn send(&self, delivery: Delivery) -> Result<(), Halt> {
        self.tx.send(delivery).await.map_err(|_| Halt::Closed)
    }
}

struct History {
    events: Vec<Event>,
    last_cursor: Option<String>,
    max: Option<i64>,
}

/// Every event of a room's history with a sequence above `after`, from `start` on.
async fn read_history(
    client: &Client,
    room: &str,
    after: i64,
    start: Option<String>,
) -> Result<History, Error> {
    let query = ListRoomEventsQuery {
        next_id: start.clone(),
        ..ListRoomEventsQuery::default()
    };
    let mut pages = client.list_room_events_pages(room, &query);
    let mut history = History {
        events: Vec::new(),
        last_cursor: start,
        max: None,
    };
    loop {
        let cursor = pages.next_id().map(str::to_owned);
        let Some(page) = pages.next().await else {
            return Ok(history);
        };
        history.last_cursor = cursor;
        for mut event in crate::pagination::Page::into_items(page?) {
            if event.sequence <= 0 {
                continue;
            }
            if !plausible(event.sequence, after) {
                if event.sequence > after {
                    tracing::warn!(
                        room_uuid = %room,
                        sequence = event.sequence,
                        "an implausible sequence in the room's history is ignored"
                    );
                }
                continue;
            }
            if event.room_uuid.is_empty() {
                // The documents' examples of room-scoped listings send "".
                event.room_uuid = room.to_owned();
            }
            history.max = history.max.max(Some(event.sequence));
            if event.sequence > after {
                history.events.push(event);
            }
        }
    }
}

/// Errors that waiting does not fix: the poller stops on them.
fn is_fatal(err: &Error) -> bool {
    !is_transient(err)
}

/// Errors that may pass: transport failures, timeouts, 429 and 5xx, and unreadable answers.
fn is_transient(err: &Error) -> bool {
    err.is_retryable() || matches!(err, Error::Decode(_))
}

/// Whether the server may have answered a failed poll, handing out events that never arrived.
fn may_have_reached_server(err: &Error) -> bool {
    match err {
        Error::Transport { not_sent, .. } => !not_sent,
        Error::Timeout { .. } | Error::Decode(_) => true,
        Error::Api(api) => api.status >= 500,
        _ => false,
    }
}
