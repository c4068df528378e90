//! [`FileStore`]: a snapshot file and an append-only journal beside it.
//!
//! For the store at `cp.json`, in the same folder:
//!
//! * `cp.json`, the snapshot: `{"version": 1, "generation": G, "rooms": {...}}` (without
//!   `generation`, as earlier versions wrote it, the generation is 0);
//! * `.cp.json.journal`, the changes since the snapshot ([`journal`](super::journal) gives the
//!   format), for the snapshot of generation G;
//! * `.cp.json.lock`, the lock file;
//! * while compacting, `.cp.json.<16 hex digits>.tmp` and `.cp.json.journal.<16 hex digits>.tmp`.
//!
//! A commit appends one record to the journal and flushes it (`fdatasync`). When the journal is
//! full, and at the first commit of a store (a journal is never appended to by a second store, so
//! a torn tail stays where it is), the store compacts: it writes the snapshot of generation G + 1,
//! with the commit's change, to a temporary file, flushes it and renames it over the snapshot,
//! flushes the folder, then writes an empty journal of generation G + 1 (full of zeros) the same
//! way. Reading takes the snapshot, then the journal's whole records when the journal has the
//! snapshot's generation. A crash at any step leaves either the state before the commit or the
//! state after it:
//!
//! | Crash | On disk | Read |
//! |---|---|---|
//! | in an append | a torn record at the journal's end | the records before it: before the commit |
//! | in a compaction, before the snapshot's rename | the snapshot and journal of G (and a temporary file) | before the commit |
//! | after the snapshot's rename | snapshot G + 1, journal G | the snapshot (journal G is in it): after the commit |
//! | after the journal's rename | snapshot and journal of G + 1 | after the commit |
//!
//! A journal of a later generation than the snapshot (the snapshot was replaced or deleted) is an
//! error, as is a journal without a header: the store does not guess.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::journal::{self, HEADER_LEN, Op};
use super::{CheckpointError, CheckpointStore, Checkpoints, StoreFuture};

/// Checkpoints in a file: a JSON snapshot (`{"version": 1, "generation": 3, "rooms": {"<room
/// uuid>": <sequence>}}`) and a journal of the changes since, beside it.
///
/// Each save appends one CRC-framed record to the journal (`.<name>.journal`) and flushes it
/// with one `fdatasync`, and nothing else: [`Poller::run`](crate::poller::Poller::run) runs at the
/// disk's flush rate, and [`Poller::run_batched`](crate::poller::Poller::run_batched), which
/// saves once per batch (group commit), at up to a hundred times that with batches of 100
/// (BENCHMARKS.md has the figures). From time to time (when the journal's preallocated space is
/// used up, and at a store's first save) the store compacts: it writes a new snapshot and an empty
/// journal, each to a new temporary file (a fresh random name, created exclusively, so a planted
/// file or symbolic link is never written through), flushed, renamed into place, the folder
/// flushed.
///
/// After a crash at any point the store reads either the checkpoints before the interrupted save
/// or those after it, never a mix: a record torn by the crash, or one whose CRC does not match, is
/// ignored along with anything after it, and the records before it are kept. A missing file reads
/// as no checkpoints; a snapshot that is not a checkpoint file, or a journal that does not belong
/// to the snapshot, is an error rather than a fresh start.
///
/// The store locks the file on first use, through a lock file beside it (`.<name>.lock`, left in
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
    /// Held by each operation until its file work is done, even when its caller gives up waiting.
    state: Arc<tokio::sync::Mutex<FileState>>,
}

#[derive(Default)]
struct FileState {
    /// The locked lock file, once taken.
    lock: Option<File>,
    /// What the files hold, once read; `None` again after a failed write (the files are then
    /// read again).
    loaded: Option<Loaded>,
}

struct Loaded {
    rooms: Checkpoints,
    /// The snapshot's generation.
    generation: u64,
    /// The journal this store appends to: none until its first compaction.
    journal: Option<Journal>,
}

/// A journal this store created, open for appending.
struct Journal {
    file: File,
    /// Where the next record goes.
    end: u64,
    /// The file's size.
    capacity: u64,
}

#[derive(serde::Deserialize)]
struct SnapshotIn {
    #[allow(
        dead_code,
        reason = "read to check the shape; version 1 is the only one"
    )]
    version: u32,
    #[serde(default)]
    generation: u64,
    rooms: Checkpoints,
}

#[derive(serde::Serialize)]
struct SnapshotOut<'a> {
    version: u32,
    generation: u64,
    rooms: &'a Checkpoints,
}

const FORMAT_VERSION: u32 = 1;

/// The smallest journal: about five thousand records of ten rooms each.
const MIN_JOURNAL: u64 = 1 << 20;

/// The steps of a compaction, where tests make it stop as a crash would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    SnapshotWritten,
    SnapshotRenamed,
    JournalWritten,
    JournalRenamed,
}

impl FileStore {
    /// A store in the file at `path` (created on the first save; its folder must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore {
            inner: Arc::new(FileInner {
                path: path.into(),
                state: Arc::default(),
            }),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `work` on the state, off the async threads, holding the state's lock until it ends.
    async fn with_state<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut FileState, &Path) -> Result<T, CheckpointError> + Send + 'static,
    ) -> Result<T, CheckpointError> {
        let mut state = self.inner.state.clone().lock_owned().await;
        let path = self.inner.path.clone();
        tokio::task::spawn_blocking(move || work(&mut state, &path))
            .await
            .unwrap_or_else(|join| {
                Err(CheckpointError::Io {
                    action: "write",
                    path: self.inner.path.clone(),
                    source: io::Error::other(join),
                })
            })
    }

    async fn commit(&self, ops: Vec<Op>) -> Result<(), CheckpointError> {
        self.with_state(move |state, path| commit(state, path, ops, &|_| Ok(())))
            .await
    }
}

impl CheckpointStore for FileStore {
    fn load(&self) -> StoreFuture<'_, Checkpoints> {
        Box::pin(self.with_state(|state, path| Ok(loaded(state, path)?.rooms.clone())))
    }

    fn save<'a>(&'a self, room: &'a str, sequence: i64) -> StoreFuture<'a, ()> {
        Box::pin(self.commit(vec![Op::Set(room.to_owned(), sequence)]))
    }

    fn save_many<'a>(&'a self, entries: &'a [(String, i64)]) -> StoreFuture<'a, ()> {
        let ops = entries
            .iter()
            .map(|(room, sequence)| Op::Set(room.clone(), *sequence))
            .collect();
        Box::pin(self.commit(ops))
    }

    fn remove<'a>(&'a self, room: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.commit(vec![Op::Remove(room.to_owned())]))
    }
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

/// The files' contents, read once (the lock taken first).
fn loaded<'s>(state: &'s mut FileState, path: &Path) -> Result<&'s mut Loaded, CheckpointError> {
    if state.lock.is_none() {
        state.lock = Some(take_lock(path)?);
    }
    if state.loaded.is_none() {
        state.loaded = Some(recover(path)?);
    }
    Ok(state.loaded.as_mut().expect("just loaded"))
}

/// Applies `ops` durably: one journal record, or a compaction when there is no room for it.
fn commit(
    state: &mut FileState,
    path: &Path,
    ops: Vec<Op>,
    crash: &dyn Fn(Step) -> io::Result<()>,
) -> Result<(), CheckpointError> {
    loaded(state, path)?;
    let mut loaded = state.loaded.take().expect("just loaded");
    let write_error = |source| CheckpointError::Io {
        action: "write",
        path: path.to_owned(),
        source,
    };
    if let Some(journal) = &mut loaded.journal {
        let record = journal::record(loaded.generation, &ops);
        if journal.end + record.len() as u64 <= journal.capacity {
            // On an error the journal's end is unknown: the state is read again next time, and
            // the next commit compacts.
            (&journal.file)
                .write_all(&record)
                .and_then(|()| journal.file.sync_data())
                .map_err(write_error)?;
            journal.end += record.len() as u64;
            journal::apply(&mut loaded.rooms, ops);
            state.loaded = Some(loaded);
            return Ok(());
        }
    }
    // Dropped first: on Windows an open file cannot be replaced.
    loaded.journal = None;
    let mut rooms = loaded.rooms;
    journal::apply(&mut rooms, ops);
    let generation = loaded.generation + 1;
    let journal = compact(path, &rooms, generation, crash).map_err(write_error)?;
    state.loaded = Some(Loaded {
        rooms,
        generation,
        journal: Some(journal),
    });
    Ok(())
}

/// Writes the snapshot of `generation` holding `rooms`, then an empty journal for it.
fn compact(
    path: &Path,
    rooms: &Checkpoints,
    generation: u64,
    crash: &dyn Fn(Step) -> io::Result<()>,
) -> io::Result<Journal> {
    let snapshot = serde_json::to_vec_pretty(&SnapshotOut {
        version: FORMAT_VERSION,
        generation,
        rooms,
    })
    .map_err(io::Error::other)?;
    let dir = folder(path);
    let (tmp, file) = create_temporary(path)?;
    let written = (&file)
        .write_all(&snapshot)
        .and_then(|()| file.sync_all())
        .and_then(|()| crash(Step::SnapshotWritten))
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    drop(file);
    crash(Step::SnapshotRenamed)?;
    sync_folder(dir)?;

    // Room for four snapshots' worth of changes: compaction stays a small share of the writes.
    let capacity = (snapshot.len() as u64 * 4)
        .max(MIN_JOURNAL)
        .next_multiple_of(4096);
    let journal_at = journal_path(path);
    let (tmp, mut file) = create_temporary(&journal_at)?;
    let mut contents = vec![0; capacity as usize];
    contents[..HEADER_LEN].copy_from_slice(&journal::header(generation));
    let written = file
        .write_all(&contents)
        .and_then(|()| file.sync_all())
        .and_then(|()| crash(Step::JournalWritten))
        .and_then(|()| fs::rename(&tmp, &journal_at));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    crash(Step::JournalRenamed)?;
    sync_folder(dir)?;
    file.seek(SeekFrom::Start(HEADER_LEN as u64))?;
    Ok(Journal {
        file,
        end: HEADER_LEN as u64,
        capacity,
    })
}

/// The snapshot, then the journal's records when the journal continues it.
fn recover(path: &Path) -> Result<Loaded, CheckpointError> {
    let read_error = |path: &Path, source| CheckpointError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    };
    let (generation, mut rooms) = match fs::read(path) {
        Ok(bytes) => {
            let snapshot: SnapshotIn =
                serde_json::from_slice(&bytes).map_err(|source| CheckpointError::Corrupt {
                    path: path.to_owned(),
                    source,
                })?;
            (snapshot.generation, snapshot.rooms)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => (0, Checkpoints::new()),
        Err(e) => return Err(read_error(path, e)),
    };
    let journal_at = journal_path(path);
    let corrupt = |reason: String| CheckpointError::CorruptJournal {
        path: journal_at.clone(),
        reason,
    };
    match fs::read(&journal_at) {
        Ok(bytes) => {
            let continues = journal::generation(&bytes).map_err(corrupt)?;
            if continues > generation {
                return Err(corrupt(format!(
                    "it continues generation {continues} but the checkpoint file is at \
                     generation {generation} (was the checkpoint file replaced or removed?)"
                )));
            }
            // An older journal is in the snapshot already: a compaction stopped before
            // replacing it.
            if continues == generation {
                let replayed = journal::replay(&bytes, generation, &mut rooms).map_err(corrupt)?;
                if replayed.torn {
                    tracing::warn!(
                        journal = %journal_at.display(),
                        records = replayed.records,
                        at = replayed.end,
                        "the checkpoint journal ends with a torn or damaged record (a crash \
                         while saving): it is ignored, the records before it are kept"
                    );
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(read_error(&journal_at, e)),
    }
    remove_leftovers(path);
    Ok(Loaded {
        rooms,
        generation,
        journal: None,
    })
}

/// Removes the temporary files of compactions that a crash stopped (only this store makes them,
/// and it holds the lock). Best effort: a leftover is harmless.
fn remove_leftovers(path: &Path) {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let Ok(entries) = fs::read_dir(folder(path)) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(middle) = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
        else {
            continue;
        };
        let random = middle.strip_prefix("journal.").unwrap_or(middle);
        if random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit()) {
            // Removes a link, never what it points to.
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Locks the lock file beside `path`.
fn take_lock(path: &Path) -> Result<File, CheckpointError> {
    let lock = lock_path(path);
    let taken = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .and_then(|file| Ok(try_lock(&file)?.then_some(file)));
    match taken {
        Ok(Some(file)) => Ok(file),
        Ok(None) => Err(CheckpointError::Locked {
            path: path.to_owned(),
            lock,
        }),
        Err(source) => Err(CheckpointError::Io {
            action: "lock",
            path: path.to_owned(),
            source,
        }),
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

/// A file beside `path`: `.<name><suffix>`.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{suffix}"))
}

/// The lock file of the checkpoint file at `path`: `.<name>.lock` beside it.
fn lock_path(path: &Path) -> PathBuf {
    beside(path, ".lock")
}

/// The journal of the checkpoint file at `path`: `.<name>.journal` beside it.
fn journal_path(path: &Path) -> PathBuf {
    beside(path, ".journal")
}

fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A new file beside `target`, `.<name>.<16 hex digits>.tmp`, of an unpredictable name and
/// created exclusively (`O_CREAT | O_EXCL`: an existing file or a planted link of that name makes
/// the creation fail, never followed), as the `tempfile` crate does, without its dependencies in
/// the users' build.
fn create_temporary(target: &Path) -> io::Result<(PathBuf, File)> {
    if target.file_name().is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the checkpoint path names no file",
        ));
    }
    let mut tries = 0;
    loop {
        let candidate = beside(
            target,
            &format!(".{:016x}.tmp", crate::random::in_range(0..=u64::MAX)),
        );
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < 16 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Flushes a folder's entries (a rename in it) to disk; nothing to do on Windows.
fn sync_folder(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_sit_beside_the_checkpoint_file() {
        assert_eq!(
            lock_path(Path::new("/a/b/cp.json")),
            Path::new("/a/b/.cp.json.lock")
        );
        assert_eq!(lock_path(Path::new("cp.json")), Path::new(".cp.json.lock"));
        assert_eq!(
            journal_path(Path::new("/a/b/cp.json")),
            Path::new("/a/b/.cp.json.journal")
        );
    }

    fn rooms(entries: &[(&str, i64)]) -> Checkpoints {
        entries.iter().map(|(r, s)| ((*r).to_owned(), *s)).collect()
    }

    fn set(room: &str, sequence: i64) -> Vec<Op> {
        vec![Op::Set(room.to_owned(), sequence)]
    }

    /// What a fresh store (as after a restart) reads.
    fn read(path: &Path) -> Checkpoints {
        recover(path).unwrap().rooms
    }

    /// A compaction that stops at each of its steps (as a crash there would) leaves the
    /// checkpoints before the commit up to the snapshot's rename and those after it from then
    /// on; the next store goes on from there.
    #[test]
    fn a_compaction_stopped_at_any_step_leaves_the_state_before_or_after() {
        let cases = [
            (Step::SnapshotWritten, false),
            (Step::SnapshotRenamed, true),
            (Step::JournalWritten, true),
            (Step::JournalRenamed, true),
        ];
        for (step, after) in cases {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("cp.json");
            // Generation 1 with two journal records: room-a at 5.
            let mut state = FileState::default();
            let none = |_: Step| -> io::Result<()> { Ok(()) };
            commit(&mut state, &path, set("room-a", 3), &none).unwrap();
            commit(&mut state, &path, set("room-a", 4), &none).unwrap();
            commit(&mut state, &path, set("room-a", 5), &none).unwrap();
            drop(state);
            let before = rooms(&[("room-a", 5)]);
            assert_eq!(read(&path), before);

            // A new store compacts at its first commit: room-a to 6 (the stale journal sets 3,
            // 4, 5), crashing at `step`.
            let mut state = FileState::default();
            let crash = |at: Step| {
                if at == step {
                    Err(io::Error::other("crash"))
                } else {
                    Ok(())
                }
            };
            let err = commit(&mut state, &path, set("room-a", 6), &crash).unwrap_err();
            assert!(
                matches!(
                    err,
                    CheckpointError::Io {
                        action: "write",
                        ..
                    }
                ),
                "{step:?}: {err:?}"
            );
            drop(state);
            let expected = if after {
                rooms(&[("room-a", 6)])
            } else {
                before.clone()
            };
            assert_eq!(read(&path), expected, "crash at {step:?}");

            // The next store goes on, and cleans up what the crash left.
            let mut state = FileState::default();
            commit(&mut state, &path, set("room-b", 1), &none).unwrap();
            commit(&mut state, &path, set("room-b", 2), &none).unwrap();
            drop(state);
            let mut expected = expected;
            expected.insert("room-b".to_owned(), 2);
            assert_eq!(read(&path), expected, "after a crash at {step:?}");
            let mut names: Vec<String> = fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            assert_eq!(
                names,
                [".cp.json.journal", ".cp.json.lock", "cp.json"],
                "{step:?}"
            );
        }
    }

    /// When the journal is full, the next commit compacts into a new generation.
    #[test]
    fn a_full_journal_is_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let mut state = FileState::default();
        let none = |_: Step| -> io::Result<()> { Ok(()) };
        // Long room names fill the journal in about a hundred records.
        let room = "r".repeat(10_000);
        commit(&mut state, &path, set(&room, 0), &none).unwrap();
        assert_eq!(state.loaded.as_ref().unwrap().generation, 1);
        let record = journal::record(1, &set(&room, 1)).len() as u64;
        let fits = (MIN_JOURNAL - HEADER_LEN as u64) / record;
        for i in 1..=fits {
            commit(&mut state, &path, set(&room, i as i64), &none).unwrap();
        }
        assert_eq!(state.loaded.as_ref().unwrap().generation, 1);
        assert_eq!(read(&path), rooms(&[(room.as_str(), fits as i64)]));
        commit(&mut state, &path, set(&room, -1), &none).unwrap();
        assert_eq!(state.loaded.as_ref().unwrap().generation, 2);
        drop(state);
        assert_eq!(read(&path), rooms(&[(room.as_str(), -1)]));
        assert_eq!(
            fs::metadata(journal_path(&path)).unwrap().len(),
            MIN_JOURNAL
        );
    }
}
