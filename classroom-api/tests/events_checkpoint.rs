//! The checkpoint stores: what they keep, and the file store's behaviour around crashes.

use std::fs;
use std::path::Path;

use classroom_api::checkpoint::{
    CheckpointError, CheckpointStore, Checkpoints, FileStore, MemoryStore,
};

fn rooms(entries: &[(&str, i64)]) -> Checkpoints {
    entries.iter().map(|(r, s)| ((*r).to_owned(), *s)).collect()
}

/// Saves, saves several, removes; then a fresh store on the same storage reads the same.
async fn check(store: &dyn CheckpointStore, reopen: &dyn Fn() -> Box<dyn CheckpointStore>) {
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
    assert_eq!(reopen().load().await.unwrap(), expected);
}

#[tokio::test]
async fn the_memory_store_keeps_checkpoints_and_clones_share_them() {
    let store = MemoryStore::new();
    let shared = store.clone();
    check(&store, &move || Box::new(shared.clone())).await;
    assert_eq!(store.snapshot(), rooms(&[("room-a", 4), ("room-b", 0)]));
}

#[tokio::test]
async fn the_file_store_keeps_checkpoints_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp.json");
    let reopen_at = file.clone();
    check(&FileStore::new(&file), &move || {
        Box::new(FileStore::new(&reopen_at))
    })
    .await;
    let text = fs::read_to_string(&file).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"version": 1, "rooms": {"room-a": 4, "room-b": 0}})
    );
    assert!(!temp_of(&file).exists(), "no temporary file is left behind");
}

fn temp_of(file: &Path) -> std::path::PathBuf {
    file.with_file_name(format!(
        ".{}.tmp",
        file.file_name().unwrap().to_string_lossy()
    ))
}

#[tokio::test]
async fn a_crash_in_the_middle_of_a_write_leaves_the_previous_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp.json");
    FileStore::new(&file).save("room-a", 7).await.unwrap();
    // A crash while writing: the temporary file is half written, the rename never happened.
    fs::write(
        temp_of(&file),
        br#"{"version": 1, "rooms": {"room-a": 8, "ro"#,
    )
    .unwrap();
    let store = FileStore::new(&file);
    assert_eq!(store.load().await.unwrap(), rooms(&[("room-a", 7)]));
    // The next save overwrites the leftover and succeeds.
    store.save("room-b", 1).await.unwrap();
    assert_eq!(
        FileStore::new(&file).load().await.unwrap(),
        rooms(&[("room-a", 7), ("room-b", 1)])
    );
    assert!(!temp_of(&file).exists());
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
    assert_eq!((*action, path.as_path()), ("write", file.as_path()));
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
    let loaded = FileStore::new(store.path()).load().await.unwrap();
    assert_eq!(loaded.len(), 16);
    assert!(
        loaded
            .iter()
            .all(|(room, seq)| room == &format!("room-{seq}"))
    );
}
