//! The poller against a scripted server on 127.0.0.1: sequence numbers no room can have, and
//! handlers whose error type is not a `std::error::Error` (anyhow).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use classroom_api::checkpoint::MemoryStore;
use classroom_api::events::Event;
use classroom_api::poller::{Poller, PollerError, PollerStats};
use classroom_api::types::Region;
use classroom_api::{Client, Credentials, RetryPolicy};
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const APP_ID: &str = "0123456789abcdef0123456789abcdef";

/// Polls answer the scripted batches, then nothing; a room's history is every event of the
/// room scripted so far, in order, except the implausible ones (the server lists what it has).
#[derive(Clone, Default)]
struct Script {
    polls: Arc<Mutex<VecDeque<Vec<Value>>>>,
    history: Arc<Mutex<BTreeMap<String, Vec<Value>>>>,
}

fn event(room: &str, sequence: i64) -> Value {
    json!({
        "roomUuid": room,
        "cmd": 3,
        "sequence": sequence,
        "version": 1,
        "data": {"message": format!("{room}#{sequence}"), "type": 1},
    })
}

fn ok(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "code": 0, "msg": "Success", "ts": 1610167740309_i64, "data": data
    }))
}

impl Script {
    fn push(&self, batch: &[(&str, i64)], history: bool) {
        let events: Vec<Value> = batch.iter().map(|(r, s)| event(r, *s)).collect();
        if history {
            let mut h = self.history.lock().unwrap();
            for (room, sequence) in batch {
                h.entry((*room).to_owned())
                    .or_default()
                    .push(event(room, *sequence));
            }
        }
        self.polls.lock().unwrap().push_back(events);
    }

    fn done(&self) -> bool {
        self.polls.lock().unwrap().is_empty()
    }
}

impl Respond for Script {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        if path.contains("/polling/") {
            let batch = self.polls.lock().unwrap().pop_front().unwrap_or_default();
            return ok(json!(batch));
        }
        let room = path.split('/').nth(7).unwrap_or_default();
        let mut list = self
            .history
            .lock()
            .unwrap()
            .get(room)
            .cloned()
            .unwrap_or_default();
        list.sort_by_key(|e| e["sequence"].as_i64());
        ok(json!({"total": list.len(), "count": list.len(), "list": list, "nextId": null}))
    }
}

async fn server(script: &Script) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/na/edu/"))
        .respond_with(script.clone())
        .mount(&server)
        .await;
    server
}

fn poller(server: &MockServer, store: MemoryStore) -> Poller {
    let client = Client::builder(APP_ID)
        .region(Region::NorthAmerica)
        .credentials(Credentials::token("007test-token").unwrap())
        .base_url(server.uri())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    Poller::builder(client)
        .checkpoint_store(store)
        .interval(Duration::from_millis(5))
        .gap_timeout(Duration::from_millis(50))
        .build()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs a poller over the script until it is played and `expected` events were seen; returns
/// what the handler saw, the statistics and the checkpoints.
async fn check(
    script: &Script,
    store: MemoryStore,
    expected: usize,
) -> (Vec<(String, i64)>, PollerStats, MemoryStore) {
    let server = server(script).await;
    let seen: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let p = poller(&server, store.clone());
    let shutdown = p.cancellation_token();
    let sink = seen.clone();
    let task = tokio::spawn(p.run(move |event: Event| {
        sink.lock()
            .unwrap()
            .push((event.room_uuid.clone(), event.sequence));
        std::future::ready(Ok::<_, anyhow::Error>(()))
    }));
    wait_until("the script is played and handled", || {
        script.done() && seen.lock().unwrap().len() >= expected
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    shutdown.cancel();
    let stats = task.await.unwrap().unwrap();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    (seen, stats, store)
}

/// A server-sent `i64::MAX` (or any sequence no room reaches) neither overflows the checkpoint
/// arithmetic nor hides the room's later events: it is handed out once, unordered, without a
/// checkpoint, and the room goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_implausible_sequence_does_not_lose_the_room() {
    for bogus in [i64::MAX, i64::MAX - 1, 1 << 53, (1 << 32) + 10] {
        let script = Script::default();
        script.push(&[("room-a", 1), ("room-a", 2)], true);
        script.push(&[("room-a", bogus)], false);
        script.push(&[("room-a", 3)], true);
        script.push(&[("room-a", 4), ("room-b", 1)], true);
        let (seen, stats, store) = check(&script, MemoryStore::new(), 6).await;
        let ordered: Vec<(String, i64)> = [1, 2, 3, 4]
            .map(|s| ("room-a".to_owned(), s))
            .into_iter()
            .chain([("room-b".to_owned(), 1)])
            .collect();
        let (odd, in_order): (Vec<_>, Vec<_>) = seen.into_iter().partition(|(_, s)| *s == bogus);
        assert_eq!(in_order, ordered, "{bogus}");
        assert_eq!(odd, vec![("room-a".to_owned(), bogus)], "handed out once");
        assert_eq!(stats.implausible_sequences, 1, "{stats:?}");
        assert_eq!(stats.events_skipped, 0, "{stats:?}");
        assert_eq!(
            store.snapshot(),
            BTreeMap::from([("room-a".to_owned(), 4), ("room-b".to_owned(), 1)])
        );
    }
}

/// A checkpoint no poller saves (one an older version wrapped to `i64::MAX`) is not trusted:
/// the room is read from its beginning rather than lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_implausible_checkpoint_reads_the_room_again() {
    let script = Script::default();
    script.push(&[("room-a", 1), ("room-a", 2)], true);
    let store = MemoryStore::with(BTreeMap::from([("room-a".to_owned(), i64::MAX)]));
    let (seen, _, store) = check(&script, store, 2).await;
    assert_eq!(
        seen,
        vec![("room-a".to_owned(), 1), ("room-a".to_owned(), 2)]
    );
    assert_eq!(store.snapshot().get("room-a"), Some(&2));
}

/// A handler returning `anyhow::Result` gives a `PollerError` that is a `std::error::Error`
/// (so `?` into `anyhow` works) and whose source is the handler's error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyhow_handlers_give_a_standard_error() {
    let script = Script::default();
    script.push(&[("room-a", 1), ("room-a", 2)], true);
    let server = server(&script).await;
    let store = MemoryStore::new();
    let err = poller(&server, store.clone())
        .run(|event: Event| async move {
            anyhow::ensure!(event.sequence < 2, "cannot handle #{}", event.sequence);
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(matches!(err, PollerError::Handler(_)), "{err:?}");
    let chain: Vec<String> = anyhow::Error::new(err)
        .chain()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        chain,
        [
            "the event handler failed: cannot handle #2",
            "cannot handle #2"
        ]
    );
    assert_eq!(store.snapshot().get("room-a"), Some(&1));
}

/// The same from the batch handler: the whole batch is not checkpointed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_batch_is_not_checkpointed() {
    let script = Script::default();
    script.push(&[("room-a", 1)], true);
    let server = server(&script).await;
    let store = MemoryStore::new();
    let script = script.clone();
    let p = poller(&server, store.clone());
    let calls = Arc::new(Mutex::new(0));
    let counted = calls.clone();
    let err = p
        .run_batched(move |events: Vec<Event>| {
            *counted.lock().unwrap() += 1;
            let first = events.first().map(|e| e.sequence);
            let script = script.clone();
            async move {
                if first == Some(1) {
                    script.push(&[("room-a", 2), ("room-a", 3)], true);
                    return Ok(());
                }
                Err(anyhow::anyhow!("batch of {} refused", events.len()))
            }
        })
        .await
        .unwrap_err();
    // Events 2 and 3 come in one poll: one batch or two, the first one refused stops all.
    assert!(
        err.to_string()
            .starts_with("the event handler failed: batch of "),
        "{err}"
    );
    assert_eq!(*calls.lock().unwrap(), 2);
    assert_eq!(store.snapshot().get("room-a"), Some(&1));
}
