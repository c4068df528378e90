//! Where the [`Poller`](crate::poller::Poller) remembers how far it got: the last processed
//! event `sequence` of each room.
//!
//! [`MemoryStore`] forgets everything when the process ends; [`FileStore`] keeps a JSON file
//! that a crash never leaves half-written. Any other storage (a database row, a key-value store)
//! implements [`CheckpointStore`].
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
use std::fmt;
use std::fs::{self, File};
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

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

/// Checkpoints in a JSON file (`{"version": 1, "rooms": {"<room uuid>": <sequence>}}`).
///
/// Every save writes the whole file to a new temporary file beside it (a fresh random name,
/// created exclusively, so a planted file or symbolic link is never written through), flushes it
/// to disk, renames it over the file and flushes the directory: after a crash at any point the
/// file holds either the previous checkpoints or the new ones, never a mix. A missing file reads
/// as no checkpoints; a file that is not a checkpoint file is an error rather than a fresh start.
///
/// Each save is one write and two flushes (about a millisecond on a disk): with
/// [`Poller::run`](crate::poller::Poller::run) that bounds the poller near a thousand events a
/// second; [`Poller::run_batched`](crate::poller::Poller::run_batched) saves once per batch
/// (group commit).
///
/// On Unix, the store locks the file on first use, through a lock file beside it (`.<name>.lock`, left in
/// place), until its last clone is dropped: a second store on the same file, in this process or
/// another, fails with [`CheckpointError::Locked`]. Clones share the same file, lock and cache.
///
/// ```no_run
/// # async fn example(client: classroom_api::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use classroom_api::checkpoint::FileStore;
/// use classroom_api::poller::Poller;
///
/// let poller = Poller::builder(client)
///     .checkpoint_store(FileStore::new("classroom-events.json"))
///     .build();
/// # let _ = poller;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<FileInner>,
}

struct FileInner {
    path: PathBuf,
    /// Writes are serialised by this lock.
    state: tokio::sync::Mutex<FileState>,
}

#[derive(Default)]
struct FileState {
    /// The file's contents once read.
    cache: Option<Checkpoints>,
    /// The locked lock file, once taken.
    lock: Option<File>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FileFormat {
    version: u32,
    rooms: Checkpoints,
}

const FORMAT_VERSION: u32 = 1;

impl FileStore {
    /// A store in the file at `path` (created on the first save; its folder must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore {
            inner: Arc::new(FileInner {
                path: path.into(),
                state: tokio::sync::Mutex::new(FileState::default()),
            }),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Applies `change` to the checkpoints and writes them, all under the lock.
    async fn update(&self, change: impl FnOnce(&mut Checkpoints)) -> Result<(), CheckpointError> {
        let mut state = self.inner.state.lock().await;
        self.take_lock(&mut state).await?;
        let mut rooms = match state.cache.as_ref() {
            Some(rooms) => rooms.clone(),
            None => self.read().await?,
        };
        change(&mut rooms);
        let bytes = serde_json::to_vec_pretty(&FileFormat {
            version: FORMAT_VERSION,
            rooms: rooms.clone(),
        })
        .map_err(|e| CheckpointError::Other(e.into()))?;
        let path = self.inner.path.clone();
        let written = tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .unwrap_or_else(|join| Err(io::Error::other(join)));
        written.map_err(|source| CheckpointError::Io {
            action: "write",
            path: self.inner.path.clone(),
            source,
        })?;
        state.cache = Some(rooms);
        Ok(())
    }

    /// Locks the lock file unless this store holds it already.
    async fn take_lock(&self, state: &mut FileState) -> Result<(), CheckpointError> {
        if state.lock.is_some() {
            return Ok(());
        }
        let lock = lock_path(&self.inner.path);
        let at = lock.clone();
        let taken = tokio::task::spawn_blocking(move || -> io::Result<Option<File>> {
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&at)?;
            Ok(try_lock(&file)?.then_some(file))
        })
        .await
        .unwrap_or_else(|join| Err(io::Error::other(join)));
        match taken {
            Ok(Some(file)) => {
                state.lock = Some(file);
                Ok(())
            }
            Ok(None) => Err(CheckpointError::Locked {
                path: self.inner.path.clone(),
                lock,
            }),
            Err(source) => Err(CheckpointError::Io {
                action: "lock",
                path: self.inner.path.clone(),
                source,
            }),
        }
    }

    async fn read(&self) -> Result<Checkpoints, CheckpointError> {
        let path = self.inner.path.clone();
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Checkpoints::new()),
            Err(source) => {
                return Err(CheckpointError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        let file: FileFormat = serde_json::from_slice(&bytes)
            .map_err(|source| CheckpointError::Corrupt { path, source })?;
        Ok(file.rooms)
    }
}

impl CheckpointStore for FileStore {
    fn load(&self) -> StoreFuture<'_, Checkpoints> {
        Box::pin(async move {
            let mut state = self.inner.state.lock().await;
            self.take_lock(&mut state).await?;
            let rooms = self.read().await?;
            state.cache = Some(rooms.clone());
            Ok(rooms)
        })
    }

    fn save<'a>(&'a self, room: &'a str, sequence: i64) -> StoreFuture<'a, ()> {
        Box::pin(self.update(move |rooms| {
            rooms.insert(room.to_owned(), sequence);
        }))
    }

    fn save_many<'a>(&'a self, entries: &'a [(String, i64)]) -> StoreFuture<'a, ()> {
        Box::pin(self.update(move |rooms| rooms.extend(entries.iter().cloned())))
    }

    fn remove<'a>(&'a self, room: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.update(move |rooms| {
            rooms.remove(room);
        }))
    }
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

/// Takes an exclusive lock on `file` without waiting (`flock(2)` on Unix, `LockFileEx` on
/// Windows, through the standard library); `false` when another holds it.
fn try_lock(file: &File) -> io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// The lock file of the checkpoint file at `path`: `.<name>.lock` beside it.
fn lock_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.lock"))
}

/// Write to a new temporary file beside `path`, flush it, rename it over `path`, flush the
/// folder.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let Some(name) = path.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the checkpoint path names no file",
        ));
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // A fresh file of an unpredictable name, created exclusively (`O_CREAT | O_EXCL`: an
    // existing file or a planted link of that name makes the creation fail, never followed),
    // as the `tempfile` crate does, without its dependencies in the users' build.
    let (tmp, mut file) = {
        let mut tries = 0;
        loop {
            let candidate = dir.join(format!(
                ".{}.{:016x}.tmp",
                name.to_string_lossy(),
                crate::random::in_range(0..=u64::MAX)
            ));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&candidate)
            {
                Ok(file) => break (candidate, file),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < 16 => tries += 1,
                Err(e) => return Err(e),
            }
        }
    };
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_sits_beside_the_file() {
        assert_eq!(
            lock_path(Path::new("/a/b/cp.json")),
            Path::new("/a/b/.cp.json.lock")
        );
        assert_eq!(lock_path(Path::new("cp.json")), Path::new(".cp.json.lock"));
    }
}
