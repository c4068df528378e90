//! Where the [`Poller`](crate::poller::Poller) remembers how far it got: the last processed
//! event `sequence` of each room.
//!
//! [`MemoryStore`] forgets everything when the process ends; [`FileStore`] keeps a snapshot file
//! and a journal beside it, one flush per save, that a crash never leaves half-written. Any other
//! storage (a database row, a key-value store) implements [`CheckpointStore`].
//!
//! ```no_run
//! # async fn example() -> Result<(), classroom_api::checkpoint::CheckpointError> {
//! use classroom_api::checkpoint::{CheckpointStore, FileStore};
//!
//! let store = FileStore::new("/var/lib/my-backend/classroom-events.json");
//! for (room, sequence) in store.load().await? {
//!     println!("{room}: processed up to {sequence}");
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

mod file;
mod journal;

pub use file::FileStore;

/// The last processed sequence of each room, by room uuid.
pub type Checkpoints = BTreeMap<String, i64>;

/// A boxed error from a store of your own.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`CheckpointStore`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, CheckpointError>> + Send + 'a>>;

/// Durable storage of [`Checkpoints`].
///
/// The poller calls [`CheckpointStore::save`] after the handler has processed each event, and
/// [`CheckpointStore::save_many`] to note rooms it has just heard of before handing their events
/// out; a save that returns `Ok` must survive a crash for the poller's guarantee to hold.
pub trait CheckpointStore: Send + Sync {
    /// Every room's checkpoint.
    fn load(&self) -> StoreFuture<'_, Checkpoints>;

    /// Sets one room's checkpoint.
    fn save<'a>(&'a self, room: &'a str, sequence: i64) -> StoreFuture<'a, ()>;

    /// Sets several rooms' checkpoints (one write where the storage allows it).
    fn save_many<'a>(&'a self, entries: &'a [(String, i64)]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            for (room, sequence) in entries {
                self.save(room, *sequence).await?;
            }
            Ok(())
        })
    }

    /// Forgets a room (the poller forgets rooms the server no longer has).
    fn remove<'a>(&'a self, room: &'a str) -> StoreFuture<'a, ()>;
}

impl<S: CheckpointStore + ?Sized> CheckpointStore for Arc<S> {
    fn load(&self) -> StoreFuture<'_, Checkpoints> {
        (**self).load()
    }

    fn save<'a>(&'a self, room: &'a str, sequence: i64) -> StoreFuture<'a, ()> {
        (**self).save(room, sequence)
    }

    fn save_many<'a>(&'a self, entries: &'a [(String, i64)]) -> StoreFuture<'a, ()> {
        (**self).save_many(entries)
    }

    fn remove<'a>(&'a self, room: &'a str) -> StoreFuture<'a, ()> {
        (**self).remove(room)
    }
}

/// Why a checkpoint could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Reading or writing the file failed.
    #[error("cannot {action} the checkpoint file {}", path.display())]
    Io {
        /// `"read"`, `"write"` or `"lock"`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// The file exists but is not a checkpoint file. It is left as it is: starting over from
    /// nothing would deliver every event again.
    #[error("the checkpoint file {} is not a checkpoint", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        #[source]
        source: serde_json::Error,
    },
    /// The journal beside the file (`.<name>.journal`) does not belong to it: it is not a
    /// journal, it continues a later snapshot than the file holds (the file was replaced or
    /// removed), or a record whose CRC matches holds something other than checkpoint changes.
    /// Both files are left as they are. (A record torn by a crash is no error: it is ignored.)
    #[error("the checkpoint journal {} does not belong to its checkpoint file: {reason}", path.display())]
    CorruptJournal {
        /// The journal.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// Another [`FileStore`] (in this process or another) uses the file: two pollers on one
    /// store would each skip the other's events.
    #[error("the checkpoint file {} is in use by another store (lock file {})", path.display(), lock.display())]
    Locked {
        /// The file.
        path: PathBuf,
        /// The lock file beside it.
        lock: PathBuf,
    },
    /// A store of your own failed.
    #[error("the checkpoint store failed")]
    Other(#[source] BoxError),
}

/// Checkpoints in memory, lost when the process ends: for tests, and for tailing events without
/// a restart guarantee.
///
/// Clones share the same checkpoints.
///
/// ```
/// # tokio_test_block(async {
/// use classroom_api::checkpoint::{CheckpointStore, MemoryStore};
///
/// let store = MemoryStore::new();
/// store.save("room-1", 7).await.unwrap();
/// assert_eq!(store.snapshot().get("room-1"), Some(&7));
/// # });
/// # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    rooms: Arc<Mutex<Checkpoints>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// A store holding `checkpoints`.
    pub fn with(checkpoints: Checkpoints) -> Self {
        MemoryStore {
            rooms: Arc::new(Mutex::new(checkpoints)),
        }
    }

    /// The checkpoints now.
    pub fn snapshot(&self) -> Checkpoints {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Checkpoints> {
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl CheckpointStore for MemoryStore {
    fn load(&self) -> StoreFuture<'_, Checkpoints> {
        let rooms = self.snapshot();
        Box::pin(async move { Ok(rooms) })
    }

    fn save<'a>(&'a self, room: &'a str, sequence: i64) -> StoreFuture<'a, ()> {
        self.lock().insert(room.to_owned(), sequence);
        Box::pin(async { Ok(()) })
    }

    fn save_many<'a>(&'a self, entries: &'a [(String, i64)]) -> StoreFuture<'a, ()> {
        self.lock().extend(entries.iter().cloned());
        Box::pin(async { Ok(()) })
    }

    fn remove<'a>(&'a self, room: &'a str) -> StoreFuture<'a, ()> {
        self.lock().remove(room);
        Box::pin(async { Ok(()) })
    }
}
