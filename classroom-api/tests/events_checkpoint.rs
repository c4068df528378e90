//! The checkpoint stores: what they keep, and the file store's behaviour around crashes.

use std::fs;
use std::path::Path;

use classroom_api::checkpoint::{
    CheckpointError, CheckpointStore, Checkpoints, FileStore, MemoryStore,
};

fn rooms(entries: &[(&str, i64)]) -> Checkpoints {
    entries.iter().map(|(r, s)| ((*r).to_owned(), *s)).collect()
}

/// Saves, saves several, removes; then (the store dropped) a fresh store on the same storage
/// reads the same.
async fn check(store: Box<dyn CheckpointStore>, reopen: &dyn Fn() -> Box<dyn CheckpointStore>) {
    assert_eq!(store.load().await.unwrap(), Checkpoints::new());
    store.save("room-a", 3).await.unwrap();
    store.save("room-a", 4).await.unwrap();
    store
        .save_many(&[("room-b".to_owned(), 0), ("room-c".to_owned(), 9)])
        .await
        .unwrap();
    store.remove("room-c").await.unwrap();
    store.remove("never-there").await.unwrap();
    let expected = rooms(&[("room-a", 4), ("room-b", 0)]);
    assert_eq!(store.load().await.unwrap(), expected);
    drop(store);
    assert_eq!(reopen().load().await.unwrap(), expected);
}

#[tokio::test]
async fn the_memory_store_keeps_checkpoints_and_clones_share_them() {
    let store = MemoryStore::new();
    let shared = store.clone();
    check(Box::new(store.clone()), &move || Box::new(shared.clone())).await;
    assert_eq!(store.snapshot(), rooms(&[("room-a", 4), ("room-b", 0)]));
}

#[tokio::test]
async fn the_file_store_keeps_checkpoints_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp.json");
    let reopen_at = file.clone();
    check(Box::new(FileStore::new(&file)), &move || {
        Box::new(FileStore::new(&reopen_at))
    })
    .await;
    // The first save compacted (a snapshot of generation 1 with it); the others are in the
    // journal.
    let text = fs::read_to_string(&file).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"version": 1, "generation": 1, "rooms": {"room-a": 3}})
    );
    let journal = fs::read(dir.path().join(".cp.json.journal")).unwrap();
    assert_eq!(&journal[..16], b"CLSRMJN1\x01\0\0\0\0\0\0\0");
    assert_eq!(record_ends(&journal).len(), 4, "one record per save");
    assert_eq!(
        files_in(dir.path()),
        [".cp.json.journal", ".cp.json.lock", "cp.json"],
        "no temporary file is left behind"
    );
}

/// A file of an earlier version (no generation, no journal) reads as it is, and goes on.
#[tokio::test]
async fn a_file_without_a_journal_reads_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp.json");
    fs::write(&file, br#"{"version": 1, "rooms": {"room-a": 7}}"#).unwrap();
    let store = FileStore::new(&file);
    assert_eq!(store.load().await.unwrap(), rooms(&[("room-a", 7)]));
    store.save("room-b", 1).await.unwrap();
    store.save("room-b", 2).await.unwrap();
    drop(store);
    assert_eq!(
        FileStore::new(&file).load().await.unwrap(),
        rooms(&[("room-a", 7), ("room-b", 2)])
    );
}

/// Where each whole record of a journal ends (its frames: a little-endian `u32` length, a CRC,
/// the payload; zeros after the last).
fn record_ends(journal: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = 16;
    while at + 8 <= journal.len() {
        let len = u32::from_le_bytes(journal[at..at + 4].try_into().unwrap()) as usize;
        if len == 0 {
            break;
        }
        at += 8 + len;
        ends.push(at);
    }
    ends
}

/// A store with room-a at 1 (the compaction), then room-a at 2, room-b at 1, room-a at 3
/// (three journal records), dropped; the journal's path and its bytes.
async fn three_records(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let store = FileStore::new(dir.join("cp.json"));
    store.save("room-a", 1).await.unwrap();
    store.save("room-a", 2).await.unwrap();
    store.save("room-b", 1).await.unwrap();
    store.save("room-a", 3).await.unwrap();
    drop(store);
    let journal = dir.join(".cp.json.journal");
    let bytes = fs::read(&journal).unwrap();
    assert_eq!(record_ends(&bytes).len(), 3);
    (journal, bytes)
}

/// A crash in the middle of an append leaves part of the record: every cut of the last record
/// reads as the records before it, and the store goes on from there.
#[tokio::test]
async fn a_torn_last_record_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, whole) = three_records(dir.path()).await;
    let file = dir.path().join("cp.json");
    let snapshot = fs::read(&file).unwrap();
    let ends = record_ends(&whole);
    for cut in [ends[1] + 1, ends[1] + 4, ends[1] + 8, ends[2] - 8] {
        let mut torn = whole.clone();
        torn[cut..].fill(0);
        fs::write(&journal, &torn).unwrap();
        let store = FileStore::new(&file);
        assert_eq!(
            store.load().await.unwrap(),
            rooms(&[("room-a", 2), ("room-b", 1)]),
            "cut at {cut}"
        );
        store.save("room-c", 1).await.unwrap();
        drop(store);
        assert_eq!(
            FileStore::new(&file).load().await.unwrap(),
            rooms(&[("room-a", 2), ("room-b", 1), ("room-c", 1)])
        );
        // Back to the three records for the next cut.
        fs::write(&file, &snapshot).unwrap();
        fs::write(&journal, &whole).unwrap();
    }
}

/// A record whose CRC does not match (damaged on disk) ends the journal: the records before it
/// are kept, it and the ones after are not.
#[tokio::test]
async fn a_record_with_a_wrong_crc_ends_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, whole) = three_records(dir.path()).await;
    let ends = record_ends(&whole);
    let cases = [
        // The last record's sequence, its CRC, its length; the middle record's room.
        (ends[2] - 1, rooms(&[("room-a", 2), ("room-b", 1)])),
        (ends[1] + 5, rooms(&[("room-a", 2), ("room-b", 1)])),
        (ends[1], rooms(&[("room-a", 2), ("room-b", 1)])),
        (ends[1] - 9, rooms(&[("room-a", 2)])),
    ];
    for (byte, expected) in cases {
        let mut damaged = whole.clone();
        damaged[byte] ^= 0x10;
        fs::write(&journal, &damaged).unwrap();
        assert_eq!(
            FileStore::new(dir.path().join("cp.json"))
                .load()
                .await
                .unwrap(),
            expected,
            "byte {byte} damaged"
        );
    }
}

/// The checkpoints are the snapshot and the journal's records on it; a journal that is not one,
/// or that continues a snapshot the file does not hold, is an error and both are left alone.
#[tokio::test]
async fn the_journal_must_belong_to_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp.json");
    let (journal, whole) = three_records(dir.path()).await;
    let snapshot = fs::read(&file).unwrap();
    assert_eq!(
        FileStore::new(&file).load().await.unwrap(),
        rooms(&[("room-a", 3), ("room-b", 1)])
    );
    // The snapshot removed: the journal continues generation 1, the missing file is 0.
    fs::remove_file(&file).unwrap();
    let err = FileStore::new(&file).load().await.unwrap_err();
    let CheckpointError::CorruptJournal { path, reason } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, &journal);
    assert!(
        reason.contains("continues generation 1 but the checkpoint file is at generation 0"),
        "{reason}"
    );
    assert!(
        err.to_string().starts_with("the checkpoint journal "),
        "{err}"
    );
    let store = FileStore::new(&file);
    assert!(
        store.save("room-a", 9).await.is_err(),
        "saving does not paper over it"
    );
    drop(store);
    assert!(!file.exists());
    assert_eq!(fs::read(&journal).unwrap(), whole, "left as it was");
    // A journal that is not one.
    fs::write(&file, &snapshot).unwrap();
    fs::write(&journal, b"{\"version\": 1}").unwrap();
    let err = FileStore::new(&file).load().await.unwrap_err();
    assert!(
        matches!(err, CheckpointError::CorruptJournal { .. }),
        "{err:?}"
    );
    // An older journal is in the snapshot already (a compaction stopped before replacing it).
    let mut older = whole.clone();
    fs::write(
        &file,
        br#"{"version": 1, "generation": 2, "rooms": {"room-a": 10}}"#,
    )
    .unwrap();
    fs::write(&journal, &older).unwrap();
    assert_eq!(
        FileStore::new(&file).load().await.unwrap(),
        rooms(&[("room-a", 10)])
    );
    // A journal of the right generation with the records of another: none reads.
    older[8] = 2;
    fs::write(&journal, &older).unwrap();
    assert_eq!(
        FileStore::new(&file).load().await.unwrap(),
        rooms(&[("room-a", 10)])
    );
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_crash_in_the_middle_of_a_write_leaves_the_previous_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp.json");
    FileStore::new(&file).save("room-a", 7).await.unwrap();
    // A crash while writing: a temporary file is half written, the rename never happened.
    let leftover = dir.path().join(".cp.json.Ab12Cd.tmp");
    fs::write(&leftover, br#"{"version": 1, "rooms": {"room-a": 8, "ro"#).unwrap();
    let store = FileStore::new(&file);
    assert_eq!(store.load().await.unwrap(), rooms(&[("room-a", 7)]));
    // The next save succeeds beside the leftover.
    store.save("room-b", 1).await.unwrap();
    drop(store);
    assert_eq!(
        FileStore::new(&file).load().await.unwrap(),
        rooms(&[("room-a", 7), ("room-b", 1)])
    );
}

#[tokio::test]
async fn a_missing_file_is_no_checkpoints_and_a_damaged_one_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp.json");
    assert!(FileStore::new(&file).load().await.unwrap().is_empty());
    for damaged in [
        &b""[..],
        b"{\"rooms\": ",
        b"[1, 2]",
        b"{\"version\": 1, \"rooms\": {\"a\": \"x\"}}",
    ] {
        fs::write(&file, damaged).unwrap();
        let store = FileStore::new(&file);
        let err = store.load().await.unwrap_err();
        assert!(matches!(err, CheckpointError::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().starts_with("the checkpoint file "), "{err}");
        // Saving does not paper over it either.
        assert!(store.save("room-a", 1).await.is_err());
        assert_eq!(fs::read(&file).unwrap(), damaged, "left as it was");
    }
}

#[tokio::test]
async fn a_file_in_a_missing_folder_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("no-such-folder").join("cp.json");
    let err = FileStore::new(&file).save("room-a", 1).await.unwrap_err();
    let CheckpointError::Io { action, path, .. } = &err else {
        panic!("{err:?}")
    };
    // The lock file beside it cannot be made either.
    assert_eq!((*action, path.as_path()), ("lock", file.as_path()));
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_saves_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("cp.json"));
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.save(&format!("room-{i}"), i).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let path = store.path().to_owned();
    drop(store);
    let loaded = FileStore::new(&path).load().await.unwrap();
    assert_eq!(loaded.len(), 16);
    assert!(
        loaded
            .iter()
            .all(|(room, seq)| room == &format!("room-{seq}"))
    );
}

/// The temporary file has a fresh name and is created exclusively: a symbolic link planted
/// where a predictable temporary file would be is not written through.
#[cfg(unix)]
#[tokio::test]
async fn a_planted_symbolic_link_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp.json");
    let victim = dir.path().join("victim");
    fs::write(&victim, b"precious").unwrap();
    for name in [
        ".cp.json.tmp",
        "cp.json.tmp",
        ".cp.json.lock.tmp",
        ".cp.json.journal.tmp",
        "cp.json.journal",
    ] {
        std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
    }
    let store = FileStore::new(&file);
    store.save("room-a", 1).await.unwrap();
    store.save("room-a", 2).await.unwrap();
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert!(!fs::symlink_metadata(&file).unwrap().is_symlink());
    drop(store);
    assert_eq!(
        FileStore::new(&file).load().await.unwrap(),
        rooms(&[("room-a", 2)])
    );
    // A link planted where the journal goes is refused, never written through.
    let journal = dir.path().join(".cp.json.journal");
    fs::remove_file(&journal).unwrap();
    std::os::unix::fs::symlink(&victim, &journal).unwrap();
    let store = FileStore::new(&file);
    let err = store.save("room-a", 3).await.unwrap_err();
    assert!(
        matches!(err, CheckpointError::CorruptJournal { .. }),
        "{err:?}"
    );
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
}

/// Two stores on one file cannot both be used: the second one fails with `Locked`, for loads
/// and saves alike, and works once the first one is dropped.
#[tokio::test]
async fn a_second_store_on_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp.json");
    let first = FileStore::new(&file);
    first.save("room-a", 1).await.unwrap();
    let second = FileStore::new(&file);
    let err = second.load().await.unwrap_err();
    let CheckpointError::Locked { path, lock } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, &file);
    assert_eq!(lock, &dir.path().join(".cp.json.lock"));
    assert!(err.to_string().contains("in use by another store"), "{err}");
    assert!(matches!(
        second.save("room-a", 5).await,
        Err(CheckpointError::Locked { .. })
    ));
    // A clone shares the lock.
    first.clone().save("room-a", 2).await.unwrap();
    drop(first);
    assert_eq!(second.load().await.unwrap(), rooms(&[("room-a", 2)]));
}

/// The lock holds across processes: a child process cannot take a file this process uses.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_lock_holds_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp.json");
    let store = FileStore::new(&file);
    store.save("room-a", 1).await.unwrap();
    // flock(1) is in util-linux; the lock is the same kind the store takes.
    let Ok(status) = std::process::Command::new("flock")
        .arg("--nonblock")
        .arg(dir.path().join(".cp.json.lock"))
        .arg("true")
        .status()
    else {
        // No flock(1) on this machine: the in-process test above covers the same lock.
        return;
    };
    assert!(!status.success(), "another process took the lock");
    drop(store);
    let status = std::process::Command::new("flock")
        .arg("--nonblock")
        .arg(dir.path().join(".cp.json.lock"))
        .arg("true")
        .status()
        .unwrap();
    assert!(status.success());
}
