//! The Postgres store, leadership and transactional mode against a real Postgres (the URL in
//! `CLASSROOM_TEST_DATABASE_URL`; `.ci/with-postgres` starts a throwaway cluster and sets it) and
//! the emulator. Without the variable the tests say so and pass, except under CI (`CI` set),
//! where they fail.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use classroom_api::checkpoint::{CheckpointStore, Checkpoints};
use classroom_api::poller::{Poller, PollerError, PollerStats};
use classroom_api::postgres::{PostgresStore, tokio_postgres};
use classroom_api::types::{CreateRoomRequest, Region, RoomType};
use classroom_api::{Client, Credentials, RetryPolicy};
use classroom_emulator::{Emulator, Fault, FaultRule, InjectEvents};
use serde_json::json;

fn database_url() -> Option<String> {
    match std::env::var("CLASSROOM_TEST_DATABASE_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the Postgres tests: run them under .ci/with-postgres"
            );
            eprintln!("skipped: CLASSROOM_TEST_DATABASE_URL is not set (see .ci/with-postgres)");
            None
        }
    }
}

/// A name no other test (or earlier run) uses.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

async fn sql(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test database");
    tokio::spawn(connection);
    client
}

fn rooms(entries: &[(&str, i64)]) -> Checkpoints {
    entries.iter().map(|(r, s)| ((*r).to_owned(), *s)).collect()
}

#[tokio::test]
async fn the_postgres_store_keeps_checkpoints_per_name() {
    let Some(url) = database_url() else { return };
    let name = unique("store");
    let store = PostgresStore::new(&url).unwrap().name(&name);
    assert_eq!(store.load().await.unwrap(), Checkpoints::new());
    store.save("room-a", 3).await.unwrap();
    store.save("room-a", 4).await.unwrap();
    store
        .save_many(&[("room-b".to_owned(), 0), ("room-c".to_owned(), 9)])
        .await
        .unwrap();
    store.remove("room-c").await.unwrap();
    store.remove("never-there").await.unwrap();
    // Never back: a late save of a deposed leader does not undo progress.
    store.save("room-a", 2).await.unwrap();
    let expected = rooms(&[("room-a", 4), ("room-b", 0)]);
    assert_eq!(store.load().await.unwrap(), expected);
    drop(store);
    let again = PostgresStore::new(&url).unwrap().name(&name);
    assert_eq!(again.load().await.unwrap(), expected);
    let other = PostgresStore::new(&url).unwrap().name(unique("other"));
    assert!(other.load().await.unwrap().is_empty(), "names are apart");
}

#[tokio::test]
async fn an_unreachable_database_is_a_checkpoint_error() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let store = PostgresStore::new(&format!("postgres://nobody@127.0.0.1:{port}/x")).unwrap();
    let err = store.load().await.unwrap_err();
    assert_eq!(err.to_string(), "the checkpoint store failed");
    assert!(std::error::Error::source(&err).is_some());
}

const ROOMS: [&str; 3] = ["chaos-1", "chaos-2", "chaos-3"];

fn client(emu: &Emulator) -> Client {
    Client::builder(emu.app_id())
        .region(Region::China)
        .credentials(Credentials::app_certificate(emu.certificate()).unwrap())
        .base_url(emu.base_url())
        .retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_backoff(Duration::from_millis(10), Duration::from_millis(50)),
        )
        .attempt_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Which replica handled the last batch, and when.
#[derive(Default)]
struct Watch {
    last: Option<(usize, Instant)>,
    batches: usize,
}

/// One replica: the emulator's client, the shared store and its leadership, the transactional
/// handler that inserts every event into `table`.
fn replica(
    id: usize,
    emu: &Emulator,
    url: &str,
    name: &str,
    table: &str,
    watch: &Arc<Mutex<Watch>>,
) -> tokio::task::JoinHandle<Result<PollerStats, PollerError>> {
    let store = PostgresStore::new(url).unwrap().name(name);
    let poller = Poller::builder(client(emu))
        .checkpoint_store(store.clone())
        .leadership(store.leader().retry_every(Duration::from_millis(100)))
        .interval(Duration::from_millis(20))
        .gap_timeout(Duration::from_secs(5))
        .reconcile_every(Duration::from_millis(300))
        .batch_size(7)
        .build();
    let insert = format!("INSERT INTO {table} (room, sequence, replica) VALUES ($1, $2, $3)");
    let watch = watch.clone();
    tokio::spawn(async move {
        poller
            .run_transactional(&store, move |events, tx| {
                let insert = insert.clone();
                let watch = watch.clone();
                async move {
                    for event in &events {
                        tx.execute(&insert, &[&event.room_uuid, &event.sequence, &(id as i32)])
                            .await?;
                    }
                    // Slow enough that kills land mid-stream.
                    tokio::time::sleep(Duration::from_millis(3)).await;
                    let mut w = watch.lock().unwrap();
                    w.last = Some((id, Instant::now()));
                    w.batches += 1;
                    Ok::<_, tokio_postgres::Error>(())
                }
            })
            .await
    })
}

async fn wait_until(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Three replicas share one Postgres; the emulator duplicates, withholds and drops polling
/// batches; the leader is killed twice mid-stream (its task dropped, as a killed process: its
/// connections close) and once loses its lock connection (the server ends the session). The
/// handler inserts every event under a unique key (room, sequence) in the transactional mode:
/// at the end every event of every room is in the table exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_three_replicas_every_event_exactly_once() {
    let Some(url) = database_url() else { return };
    let db = sql(&url).await;
    let name = unique("chaos");
    let table = unique("chaos_events");
    db.batch_execute(&format!(
        "CREATE TABLE {table} (room text NOT NULL, sequence bigint NOT NULL, replica int NOT NULL,
         UNIQUE (room, sequence))"
    ))
    .await
    .unwrap();
    let emu = Emulator::start().await.expect("the emulator starts");
    let setup = client(&emu);
    for room in ROOMS {
        setup
            .create_room(room, &CreateRoomRequest::new(room, RoomType::SmallClass))
            .await
            .expect("create");
    }
    let watch: Arc<Mutex<Watch>> = Arc::default();
    let mut replicas: Vec<Option<tokio::task::JoinHandle<_>>> = (0..3)
        .map(|id| Some(replica(id, &emu, &url, &name, &table, &watch)))
        .collect();
    let next_id = AtomicUsize::new(3);

    let faults = [
        Fault::DuplicateBatch,
        Fault::WithholdBatch { redeliver: false },
        Fault::Drop { after: true },
        Fault::WithholdBatch { redeliver: true },
        Fault::Unavailable { retry_after: 0 },
    ];
    let mut takeovers = Vec::new();
    for round in 0..6 {
        let fault = faults[round % faults.len()].clone();
        emu.add_fault(FaultRule::new(fault).operation("pollAppEvents").times(2))
            .expect("rule");
        for (i, room) in ROOMS.iter().enumerate() {
            emu.inject_events(
                "cn",
                room,
                InjectEvents {
                    cmd: 3,
                    data: json!({"message": "m", "type": 1}),
                    count: 30 + 10 * i as u32,
                },
            )
            .expect("inject");
        }
        if round == 1 || round == 3 || round == 4 {
            // Wait for the leader to be mid-stream, then kill it.
            let before = watch.lock().unwrap().batches;
            wait_until(
                "the leader handles batches",
                Duration::from_secs(20),
                async || watch.lock().unwrap().batches > before + 2,
            )
            .await;
            let leader = watch.lock().unwrap().last.map(|(id, _)| id).unwrap();
            let killed = Instant::now();
            if round == 4 {
                // The lock connection is lost: the server ends the leader's session.
                let ended = db
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks
                         WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()",
                        &[],
                    )
                    .await
                    .unwrap();
                assert!(ended >= 1, "a leader session was ended");
            } else {
                let task = replicas[leader].take().expect("the leader runs");
                task.abort();
                assert!(task.await.unwrap_err().is_cancelled());
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                replicas.push(Some(replica(id, &emu, &url, &name, &table, &watch)));
            }
            // Events for the next leader to take over with.
            for room in ROOMS {
                emu.inject_events(
                    "cn",
                    room,
                    InjectEvents {
                        cmd: 3,
                        data: json!({"message": "m", "type": 1}),
                        count: 5,
                    },
                )
                .expect("inject");
            }
            wait_until(
                "another replica takes over",
                Duration::from_secs(20),
                async || {
                    watch
                        .lock()
                        .unwrap()
                        .last
                        .is_some_and(|(id, at)| (round == 4 || id != leader) && at > killed)
                },
            )
            .await;
            takeovers.push(killed.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let expected: BTreeMap<String, i64> = ROOMS
        .iter()
        .map(|room| {
            let count = emu.room("cn", room).expect("room")["eventCount"]
                .as_i64()
                .expect("count");
            ((*room).to_owned(), count)
        })
        .collect();
    let total: i64 = expected.values().sum();
    wait_until(
        "every event is in the table",
        Duration::from_secs(60),
        async || {
            if let Some(i) = replicas
                .iter()
                .position(|t| t.as_ref().is_some_and(|t| t.is_finished()))
            {
                let task = replicas[i].take().expect("finished");
                panic!("replica {i} stopped: {:?}", task.await);
            }
            let row = db
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await
                .unwrap();
            row.get::<_, i64>(0) >= total
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for task in replicas.iter_mut().filter_map(Option::take) {
        task.abort();
        match task.await {
            Err(join) => assert!(join.is_cancelled()),
            Ok(result) => panic!("a replica stopped by itself: {result:?}"),
        }
    }
    let rows = db
        .query(
            &format!("SELECT room, sequence FROM {table} ORDER BY room, sequence"),
            &[],
        )
        .await
        .unwrap();
    let mut got: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in rows {
        got.entry(row.get(0)).or_default().push(row.get(1));
    }
    let want: BTreeMap<String, Vec<i64>> = expected
        .iter()
        .map(|(room, n)| (room.clone(), (1..=*n).collect()))
        .collect();
    assert_eq!(got, want, "every event of every room exactly once");
    let checkpoints = PostgresStore::new(&url)
        .unwrap()
        .name(&name)
        .load()
        .await
        .unwrap();
    assert_eq!(checkpoints, expected, "the checkpoints are the last events");
    let applied: u32 = emu.faults().iter().map(|f| f.applied).sum();
    assert!(applied >= 6, "the faults were met ({applied} applied)");
    eprintln!("takeovers after a kill: {takeovers:?}");
    db.batch_execute(&format!("DROP TABLE {table}"))
        .await
        .unwrap();
}
