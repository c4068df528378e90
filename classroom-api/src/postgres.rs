//! The poller across replicas, with Postgres (the `postgres` feature): checkpoints that survive
//! any one machine, one active poller, and exactly-once effects.
//!
//! * [`PostgresStore`] keeps each room's checkpoint in a row of `classroom_event_checkpoints`.
//! * [`PostgresLeader`] makes one replica poll at a time, through a session advisory lock held on
//!   a connection of its own: when the leader dies (its process is killed or its connection is
//!   lost) the lock is released and a waiting replica takes over from the checkpoints.
//! * [`Poller::run_transactional`] hands each batch to the handler with an open transaction and
//!   commits the batch's checkpoints in that same transaction: the handler's writes and the
//!   checkpoints commit together or not at all, so a crash anywhere repeats nothing and loses
//!   nothing.
//!
//! The tables are created on first use ([`MIGRATION`], which you may also run yourself). The
//! connection is made from a `postgres://` URL or key-value string without TLS (use it over a
//! private network or a Unix socket).
//!
//! ```no_run
//! # async fn example(client: classroom_api::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use classroom_api::poller::Poller;
//! use classroom_api::postgres::PostgresStore;
//!
//! let store = PostgresStore::new("postgres://app@db.internal/app")?.name("school-events");
//! let poller = Poller::builder(client)
//!     .checkpoint_store(store.clone())
//!     .leadership(store.leader())
//!     .build();
//! poller
//!     .run_transactional(&store, |events, tx| async move {
//!         for event in &events {
//!             tx.execute(
//!                 "INSERT INTO seen (room, sequence) VALUES ($1, $2)",
//!                 &[&event.room_uuid, &event.sequence],
//!             )
//!             .await?;
//!         }
//!         Ok::<_, classroom_api::postgres::tokio_postgres::Error>(())
//!     })
//!     .await?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;
use tokio_postgres::NoTls;

/// The Postgres client this module uses, for the handler's queries through [`Transaction`].
pub use tokio_postgres;

use crate::checkpoint::{BoxError, CheckpointError, CheckpointStore, Checkpoints, StoreFuture};
use crate::events::Event;
use crate::poller::{Leadership, Lease, LeaseFuture, Poller, PollerError, PollerStats, Sink, Stop};

/// The tables, created on first use when missing. One row per room and poller name; one row per
/// poller name for the leadership's epoch (what fences a deposed leader's transactions).
pub const MIGRATION: &str = "\
CREATE TABLE IF NOT EXISTS classroom_event_checkpoints (
    poller    text   NOT NULL,
    room_uuid text   NOT NULL,
    sequence  bigint NOT NULL,
    PRIMARY KEY (poller, room_uuid)
);
CREATE TABLE IF NOT EXISTS classroom_event_leaders (
    poller text   PRIMARY KEY,
    epoch  bigint NOT NULL
);";

/// Checkpoints must never move back: a deposed leader that saves late cannot undo its
/// successor's progress.
const UPSERT: &str = "\
INSERT INTO classroom_event_checkpoints (poller, room_uuid, sequence)
SELECT $1, room, seq FROM unnest($2::text[], $3::bigint[]) AS t(room, seq)
ON CONFLICT (poller, room_uuid)
DO UPDATE SET sequence = GREATEST(classroom_event_checkpoints.sequence, EXCLUDED.sequence)";

/// Checkpoints in Postgres, one row per room in `classroom_event_checkpoints`, under a poller
/// name (default `"default"`) so that several apps can share the table.
///
/// Saves are one statement each (a batch is one statement), committed before they return.
/// Checkpoints never move back (a save below the stored one keeps the stored one). The
/// connection is made on first use and again after it is lost. Clones share it.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<StoreInner>,
}

struct StoreInner {
    config: tokio_postgres::Config,
    name: String,
    connection: tokio::sync::Mutex<Option<Arc<Connection>>>,
    /// The epoch of the last leadership taken through [`PostgresStore::leader`] (0: none).
    epoch: Arc<AtomicI64>,
}

/// A client and the task driving its connection; dropping it closes the connection.
struct Connection {
    client: tokio_postgres::Client,
    task: JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Connection {
    fn is_closed(&self) -> bool {
        self.client.is_closed() || self.task.is_finished()
    }
}

impl PostgresStore {
    /// A store on the database at `url` (`postgres://user:password@host:port/db` or
    /// `host=... user=...`); nothing is connected until first use.
    pub fn new(url: &str) -> Result<Self, CheckpointError> {
        let config: tokio_postgres::Config = url.parse().map_err(other)?;
        Ok(PostgresStore {
            inner: Arc::new(StoreInner {
                config,
                name: "default".to_owned(),
                connection: tokio::sync::Mutex::new(None),
                epoch: Arc::new(AtomicI64::new(0)),
            }),
        })
    }

    /// The poller name the rows are kept under (default `"default"`); call it before first use.
    #[must_use]
    pub fn name(self, name: impl Into<String>) -> Self {
        PostgresStore {
            inner: Arc::new(StoreInner {
                config: self.inner.config.clone(),
                name: name.into(),
                connection: tokio::sync::Mutex::new(None),
                epoch: Arc::new(AtomicI64::new(0)),
            }),
        }
    }

    /// The leadership of this store's poller name, for
    /// [`PollerBuilder::leadership`](crate::poller::PollerBuilder::leadership).
    pub fn leader(&self) -> PostgresLeader {
        PostgresLeader {
            store: self.clone(),
            retry: Duration::from_millis(500),
            heartbeat: Duration::from_secs(1),
            epoch: self.inner.epoch.clone(),
        }
    }

    /// The shared connection, made (and the tables created) when there is none or it is lost.
    async fn client(&self) -> Result<Arc<Connection>, CheckpointError> {
        let mut slot = self.inner.connection.lock().await;
        if let Some(connection) = slot.as_ref()
            && !connection.is_closed()
        {
            return Ok(connection.clone());
        }
        let connection = Arc::new(self.connect().await.map_err(other)?);
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// A new connection of its own, with the tables in place.
    async fn connect(&self) -> Result<Connection, tokio_postgres::Error> {
        let mut config = self.inner.config.clone();
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(1))
            .keepalives_interval(Duration::from_secs(1))
            .keepalives_retries(2)
            .connect_timeout(Duration::from_secs(3));
        let (client, connection) = config.connect(NoTls).await?;
        let task = tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::warn!(error = %err, "the Postgres connection failed");
            }
        });
        let connection = Connection { client, task };
        // The server's side of the same: it ends a silent client's session (and rolls back its
        // transaction, releases its locks) within seconds.
        connection
            .client
            .batch_execute(
                "SET tcp_keepalives_idle = 1; SET tcp_keepalives_interval = 1; \
                 SET tcp_keepalives_count = 2; SET tcp_user_timeout = 3000;",
            )
            .await?;
        // Serialised, so that replicas starting together do not race to create the tables.
        connection
            .client
            .batch_execute(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({}); {MIGRATION} COMMIT;",
                lock_key("migration")
            ))
            .await?;
        Ok(connection)
    }

    async fn upsert(
        &self,
        client: &tokio_postgres::Client,
        entries: &[(String, i64)],
    ) -> Result<(), tokio_postgres::Error> {
        let rooms: Vec<&str> = entries.iter().map(|(r, _)| r.as_str()).collect();
        let sequences: Vec<i64> = entries.iter().map(|(_, s)| *s).collect();
        client
            .execute(UPSERT, &[&self.inner.name, &rooms, &sequences])
            .await?;
        Ok(())
    }
}

impl CheckpointStore for PostgresStore {
    fn load(&self) -> StoreFuture<'_, Checkpoints> {
        Box::pin(async move {
            let connection = self.client().await?;
            let rows = connection
                .client
                .query(
                    "SELECT room_uuid, sequence FROM classroom_event_checkpoints WHERE poller = $1",
                    &[&self.inner.name],
                )
                .await
                .map_err(other)?;
            Ok(rows
                .into_iter()
                .map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1)))
                .collect())
        })
    }

    fn save<'a>(&'a self, room: &'a str, sequence: i64) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let connection = self.client().await?;
            self.upsert(&connection.client, &[(room.to_owned(), sequence)])
                .await
                .map_err(other)
        })
    }

    fn save_many<'a>(&'a self, entries: &'a [(String, i64)]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let connection = self.client().await?;
            self.upsert(&connection.client, entries)
                .await
                .map_err(other)
        })
    }

    fn remove<'a>(&'a self, room: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let connection = self.client().await?;
            connection
                .client
                .execute(
                    "DELETE FROM classroom_event_checkpoints WHERE poller = $1 AND room_uuid = $2",
                    &[&self.inner.name, &room],
                )
                .await
                .map_err(other)?;
            Ok(())
        })
    }
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The configuration holds the password: only where it points is shown.
        f.debug_struct("PostgresStore")
            .field("hosts", &self.inner.config.get_hosts())
            .field("ports", &self.inner.config.get_ports())
            .field("dbname", &self.inner.config.get_dbname())
            .field("name", &self.inner.name)
            .finish_non_exhaustive()
    }
}

/// One active poller per poller name across replicas, through `pg_try_advisory_lock` on a
/// connection of its own ([`PostgresStore::leader`]).
///
/// A replica without the lock tries again every 500 ms. The leader checks its connection every
/// second (a query with a one-second timeout) and stops handing out events as soon as a check
/// fails or the connection ends. The server releases the lock when the leader's connection
/// ends: at once when its process dies, and about three seconds after its last packet when the
/// network fails (TCP keepalives of one second, two probes, set on the session), after the
/// leader has stopped. Each new leader increments the name's epoch; transactions of
/// [`Poller::run_transactional`] commit only under the epoch they started with, so a deposed
/// leader that has not noticed yet cannot commit.
#[derive(Clone)]
pub struct PostgresLeader {
    store: PostgresStore,
    retry: Duration,
    heartbeat: Duration,
    epoch: Arc<AtomicI64>,
}

impl PostgresLeader {
    /// How often a replica without the leadership tries to take it (default 500 ms).
    #[must_use]
    pub fn retry_every(mut self, period: Duration) -> Self {
        self.retry = period;
        self
    }

    /// How often the leader checks its connection, and how long a check may take (default 1 s).
    #[must_use]
    pub fn heartbeat(mut self, period: Duration) -> Self {
        self.heartbeat = period;
        self
    }

    /// The epoch of this replica's last leadership (0 before the first).
    pub fn epoch(&self) -> i64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// One attempt on `connection`: the lease when the lock was free.
    async fn try_lead(&self, connection: &Connection) -> Result<bool, tokio_postgres::Error> {
        let key = lock_key(&self.store.inner.name);
        let row = connection
            .client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await?;
        if !row.get::<_, bool>(0) {
            return Ok(false);
        }
        let row = connection
            .client
            .query_one(
                "INSERT INTO classroom_event_leaders (poller, epoch) VALUES ($1, 1)
                 ON CONFLICT (poller) DO UPDATE SET epoch = classroom_event_leaders.epoch + 1
                 RETURNING epoch",
                &[&self.store.inner.name],
            )
            .await?;
        self.epoch.store(row.get(0), Ordering::SeqCst);
        Ok(true)
    }

    async fn lead_connection(&self) -> Result<Connection, tokio_postgres::Error> {
        let connection = self.store.connect().await?;
        // The epoch bump never waits long on a stuck transaction: it fails, the lock is given
        // up, and the attempt is made again.
        connection
            .client
            .batch_execute("SET lock_timeout = '2s'")
            .await?;
        Ok(connection)
    }
}

impl Leadership for PostgresLeader {
    fn acquire(&self) -> LeaseFuture<'_> {
        Box::pin(async move {
            // The tables exist before the lock is taken.
            self.store.client().await.map_err(BoxError::from)?;
            let mut connection: Option<Connection> = None;
            loop {
                if connection.as_ref().is_none_or(Connection::is_closed) {
                    connection = match self.lead_connection().await {
                        Ok(c) => Some(c),
                        Err(err) => {
                            tracing::warn!(error = %err, "cannot connect to take the leadership");
                            None
                        }
                    };
                }
                if let Some(c) = &connection {
                    match self.try_lead(c).await {
                        Ok(true) => break,
                        Ok(false) => {}
                        Err(err) => {
                            tracing::warn!(error = %err, "taking the leadership failed");
                            connection = None;
                        }
                    }
                }
                tokio::time::sleep(self.retry).await;
            }
            let Some(mut connection) = connection else {
                unreachable!("the loop ends only with a connection");
            };
            let heartbeat = self.heartbeat;
            let epoch = self.epoch();
            Ok(Lease::new(async move {
                loop {
                    tokio::select! {
                        _ = &mut connection.task => {
                            tracing::warn!(epoch, "the leadership's connection ended");
                            return;
                        }
                        () = tokio::time::sleep(heartbeat) => {}
                    }
                    let check = connection.client.simple_query("SELECT 1");
                    match tokio::time::timeout(heartbeat, check).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(err)) => {
                            tracing::warn!(epoch, error = %err, "the leadership's connection failed");
                            return;
                        }
                        Err(_) => {
                            tracing::warn!(epoch, "the leadership's connection does not answer");
                            return;
                        }
                    }
                }
            }))
        })
    }
}

impl fmt::Debug for PostgresLeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresLeader")
            .field("store", &self.store)
            .field("retry", &self.retry)
            .field("heartbeat", &self.heartbeat)
            .field("epoch", &self.epoch())
            .finish()
    }
}

/// The open transaction a [`Poller::run_transactional`] handler writes through: it dereferences
/// to the [`tokio_postgres::Client`] whose transaction it is. The poller commits it, with the
/// batch's checkpoints, after the handler returns `Ok`; do not commit or roll back yourself, and
/// do not keep it past the handler.
pub struct Transaction {
    connection: Arc<Connection>,
}

impl Deref for Transaction {
    type Target = tokio_postgres::Client;

    fn deref(&self) -> &tokio_postgres::Client {
        &self.connection.client
    }
}

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction").finish_non_exhaustive()
    }
}

impl Poller {
    /// Polls until cancelled, handing batches of events (as [`Poller::run_batched`]) to
    /// `handler` together with an open Postgres [`Transaction`], and commits the batch's
    /// checkpoints in that transaction after the handler returns `Ok`: the handler's writes and
    /// the checkpoints commit together, so every event's effects are committed exactly once,
    /// whatever crashes. When the handler returns `Err` the transaction is rolled back and the
    /// poller stops with [`PollerError::Handler`].
    ///
    /// The transactions run on a connection of their own to `store`'s database, which should be
    /// the poller's checkpoint store. With `store`'s [`PostgresLeader`] as the leadership, a
    /// transaction commits only while its leadership's epoch is current: a deposed leader's batch is rolled
    /// back, and the poller waits to lead again.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example(client: classroom_api::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use classroom_api::poller::Poller;
    /// use classroom_api::postgres::PostgresStore;
    ///
    /// let store = PostgresStore::new("host=/run/postgresql user=app")?;
    /// let poller = Poller::builder(client)
    ///     .checkpoint_store(store.clone())
    ///     .build();
    /// let stats = poller
    ///     .run_transactional(&store, |events, tx| async move {
    ///         for event in &events {
    ///             tx.execute("INSERT INTO log (cmd) VALUES ($1)", &[&event.cmd]).await?;
    ///         }
    ///         Ok::<_, classroom_api::postgres::tokio_postgres::Error>(())
    ///     })
    ///     .await?;
    /// println!("{} events committed", stats.events_handled);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_transactional<H, Fut, E>(
        self,
        store: &PostgresStore,
        handler: H,
    ) -> Result<PollerStats, PollerError>
    where
        H: FnMut(Vec<Event>, Transaction) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Into<BoxError>,
    {
        let batch_size = self.batch_size();
        let sink = Transactional {
            handler,
            store: store.clone(),
            connection: None,
        };
        self.drive(sink, batch_size).await
    }
}

struct Transactional<H> {
    handler: H,
    store: PostgresStore,
    /// The transactions' connection, and whether a transaction may be open on it.
    connection: Option<(Arc<Connection>, bool)>,
}

impl<H, Fut, E> Sink for Transactional<H>
where
    H: FnMut(Vec<Event>, Transaction) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
{
    async fn handle(
        &mut self,
        events: Vec<Event>,
        checkpoints: &[(String, i64)],
    ) -> Result<bool, Stop> {
        let fail = |err: tokio_postgres::Error| Stop::Error(PollerError::Checkpoint(other(err)));
        if self.connection.as_ref().is_none_or(|(c, _)| c.is_closed()) {
            let connection = self.store.connect().await.map_err(fail)?;
            self.connection = Some((Arc::new(connection), false));
        }
        let Some((connection, open)) = self.connection.as_mut() else {
            unreachable!("connected above");
        };
        let connection = connection.clone();
        let client = &connection.client;
        if *open {
            // A batch was dropped mid-way (the leadership was lost): never commit its writes.
            client.batch_execute("ROLLBACK").await.map_err(fail)?;
        }
        // The epoch the batch runs under, read before its transaction starts.
        let epoch = Some(self.store.inner.epoch.load(Ordering::SeqCst)).filter(|e| *e > 0);
        *open = true;
        client.batch_execute("BEGIN").await.map_err(fail)?;
        let tx = Transaction {
            connection: connection.clone(),
        };
        if let Err(err) = (self.handler)(events, tx).await {
            client.batch_execute("ROLLBACK").await.map_err(fail)?;
            self.mark_closed();
            return Err(Stop::Error(PollerError::Handler(err.into())));
        }
        if let Some(epoch) = epoch {
            // Shares the leader row: a new leader's epoch bump waits for this commit, and a
            // bump that came first is seen here.
            let row = client
                .query_opt(
                    "SELECT epoch FROM classroom_event_leaders WHERE poller = $1 FOR SHARE",
                    &[&self.store.inner.name],
                )
                .await
                .map_err(fail)?;
            if row.map(|r| r.get::<_, i64>(0)) != Some(epoch) {
                client.batch_execute("ROLLBACK").await.map_err(fail)?;
                self.mark_closed();
                tracing::warn!(epoch, "another replica leads now: the batch is rolled back");
                return Err(Stop::Fenced);
            }
        }
        if !checkpoints.is_empty() {
            self.store.upsert(client, checkpoints).await.map_err(fail)?;
        }
        client.batch_execute("COMMIT").await.map_err(fail)?;
        self.mark_closed();
        Ok(true)
    }

    fn abandon(&mut self) {
        self.drop_open_transaction();
    }
}

impl<H> Transactional<H> {
    /// Drops the connection of a transaction that may be open: the server rolls it back.
    fn drop_open_transaction(&mut self) {
        if self.connection.as_ref().is_some_and(|(_, open)| *open) {
            self.connection = None;
        }
    }

    fn mark_closed(&mut self) {
        if let Some((_, open)) = self.connection.as_mut() {
            *open = false;
        }
    }
}

/// The advisory lock key of a name: the first 8 bytes of its SHA-256, under a prefix of ours.
fn lock_key(name: &str) -> i64 {
    let digest = Sha256::digest(format!("classroom-api poller {name}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

fn other(err: impl Into<BoxError>) -> CheckpointError {
    CheckpointError::Other(err.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_differ_per_name_and_are_stable() {
        assert_eq!(lock_key("default"), lock_key("default"));
        assert_ne!(lock_key("default"), lock_key("other"));
        assert_ne!(lock_key("default"), lock_key("migration"));
    }

    #[test]
    fn the_debug_output_hides_the_password() {
        let store = PostgresStore::new("postgres://app:s3cret-pw@db.internal:5433/app").unwrap();
        let shown = format!("{store:?} {:?}", store.leader());
        assert!(!shown.contains("s3cret-pw"), "{shown}");
        assert!(shown.contains("db.internal"), "{shown}");
    }

    #[test]
    fn a_bad_url_is_an_error() {
        assert!(PostgresStore::new("postgres://[").is_err());
    }
}
