//! The poller against a fake server on 127.0.0.1 that loses, repeats, reorders and holds back
//! polled events, fails, restarts, and keeps a re-readable history per room: after any of it, the
//! handler has seen every event exactly once, in order per room.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use classroom_api::checkpoint::{CheckpointStore, FileStore, MemoryStore};
use classroom_api::events::{Event, EventPayload};
use classroom_api::poller::{CancellationToken, NewRooms, Poller, PollerError};
use classroom_api::types::Region;
use classroom_api::{Client, Credentials, RetryPolicy};
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const APP_ID: &str = "0123456789abcdef0123456789abcdef";
/// Longer than the client's attempt timeout: a response that never arrives in time.
const TOO_LATE: Duration = Duration::from_millis(400);

/// What the fake server does with one poll.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// Hands out the next batch.
    Normal,
    /// Hands out the next batch, and the one before again.
    Duplicate,
    /// Hands out the next batch backwards.
    Reverse,
    /// Keeps the next batch back and hands out the one after; the kept batch comes later.
    Hold,
    /// Takes the next batch off the queue and answers 502: the events are lost in flight.
    Lost502,
    /// Takes the next batch off the queue and answers too late for the client.
    LostTimeout,
    /// Takes the next batch off the queue and answers a body that is not JSON.
    LostGarbage,
    /// Takes the next batch off the queue and answers an empty batch: lost without any error.
    Silent,
    /// Answers 503 without touching the queue.
    Unavailable,
    /// Restarts: answers 503 and puts the previous batch back on the queue (sent again later).
    Restart,
    /// Hands out one event as a bare object rather than an array.
    Single,
    /// Answers `data: null`.
    Null,
    /// Hands out the next batch with events that have no room or sequence.
    Unordered,
}

/// What the fake server does with one history request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum HistoryFault {
    /// Answers 500.
    Fail,
    /// Answers without the room's last event (the history lags behind polling).
    Lag,
}

struct World {
    /// Events to happen: room index.
    future: VecDeque<usize>,
    rooms: Vec<String>,
    /// What has happened, per room: the history.
    history: BTreeMap<String, Vec<Value>>,
    /// Happened and not handed out by polling yet.
    queue: VecDeque<Value>,
    faults: VecDeque<Fault>,
    history_faults: VecDeque<HistoryFault>,
    arrivals: usize,
    batch: usize,
    page: usize,
    last_batch: Vec<Value>,
    polls: usize,
    history_reads: usize,
}

impl World {
    fn new(s: &Scenario) -> Self {
        let rooms: Vec<String> = (0..s.rooms).map(|r| format!("room-{r}")).collect();
        let future = (0..s.events)
            .map(|i| (i * 7 + i / 3 + i * i) % s.rooms)
            .collect();
        World {
            future,
            rooms,
            history: BTreeMap::new(),
            queue: VecDeque::new(),
            faults: s.faults.iter().copied().collect(),
            history_faults: s.history_faults.iter().copied().collect(),
            arrivals: s.arrivals,
            batch: s.batch,
            page: s.page,
            last_batch: Vec::new(),
            polls: 0,
            history_reads: 0,
        }
    }

    /// Makes the next `n` events happen.
    fn happen(&mut self, n: usize) {
        for _ in 0..n {
            let Some(r) = self.future.pop_front() else {
                return;
            };
            let room = self.rooms[r].clone();
            let history = self.history.entry(room.clone()).or_default();
            let sequence = history.len() as i64 + 1;
            let event = json!({
                "roomUuid": room,
                "cmd": 3,
                "sequence": sequence,
                "version": 1,
                "data": {"message": format!("{room}#{sequence}"), "type": 1},
            });
            history.push(event.clone());
            self.queue.push_back(event);
        }
    }

    fn take_batch(&mut self) -> Vec<Value> {
        let n = self.batch.min(self.queue.len());
        self.queue.drain(..n).collect()
    }

    fn poll(&mut self) -> ResponseTemplate {
        self.polls += 1;
        self.happen(self.arrivals);
        let fault = self.faults.pop_front().unwrap_or(Fault::Normal);
        match fault {
            Fault::Normal => self.serve(None),
            Fault::Duplicate => {
                let again = self.last_batch.clone();
                let mut batch = self.take_batch();
                batch.extend(again);
                self.serve(Some(batch))
            }
            Fault::Reverse => {
                let mut batch = self.take_batch();
                batch.reverse();
                self.serve(Some(batch))
            }
            Fault::Hold => {
                let kept = self.take_batch();
                let response = self.serve(None);
                for event in kept.into_iter().rev() {
                    self.queue.push_front(event);
                }
                response
            }
            Fault::Lost502 => {
                self.take_batch();
                ResponseTemplate::new(502).set_body_string("bad gateway")
            }
            Fault::LostTimeout => {
                let batch = self.take_batch();
                ok(json!(batch)).set_delay(TOO_LATE)
            }
            Fault::LostGarbage => {
                self.take_batch();
                ResponseTemplate::new(200).set_body_string("<html>oops</html>")
            }
            Fault::Silent => {
                self.take_batch();
                ok(json!([]))
            }
            Fault::Unavailable => ResponseTemplate::new(503).set_body_json(json!({
                "code": 503, "msg": "unavailable", "ts": 1
            })),
            Fault::Restart => {
                for event in std::mem::take(&mut self.last_batch).into_iter().rev() {
                    self.queue.push_front(event);
                }
                ResponseTemplate::new(503).set_body_string("restarting")
            }
            Fault::Single => match self.queue.pop_front() {
                Some(event) => {
                    self.last_batch = vec![event.clone()];
                    ok(event)
                }
                None => ok(json!([])),
            },
            Fault::Null => ok(Value::Null),
            Fault::Unordered => {
                let mut batch = self.take_batch();
                batch.push(json!({"cmd": 3, "data": {"message": "no room"}}));
                batch.insert(0, json!({"roomUuid": "room-0", "cmd": 3, "data": {}}));
                self.serve(Some(batch))
            }
        }
    }

    fn serve(&mut self, batch: Option<Vec<Value>>) -> ResponseTemplate {
        let batch = batch.unwrap_or_else(|| self.take_batch());
        self.last_batch = batch.clone();
        ok(json!(batch))
    }

    fn read_history(&mut self, room: &str, next_id: Option<&str>) -> ResponseTemplate {
        self.history_reads += 1;
        let fault = self.history_faults.pop_front();
        if fault == Some(HistoryFault::Fail) {
            return ResponseTemplate::new(500).set_body_json(json!({
                "code": 500, "msg": "internal error", "ts": 1
            }));
        }
        let Some(events) = self.history.get(room) else {
            return ResponseTemplate::new(404).set_body_json(json!({
                "code": 20404100, "msg": "Room not exists!", "ts": 1
            }));
        };
        let mut events: Vec<Value> = events.clone();
        if fault == Some(HistoryFault::Lag) {
            events.pop();
        }
        let start: usize = next_id
            .and_then(|n| n.strip_prefix("cursor-"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let end = (start + self.page).min(events.len());
        let list: Vec<Value> = events[start.min(end)..end]
            .iter()
            .map(|e| {
                // Room-scoped listings send an empty roomUuid, as the documents' examples do.
                let mut e = e.clone();
                e["roomUuid"] = json!("");
                e
            })
            .collect();
        let next = (end < events.len()).then(|| format!("cursor-{end}"));
        ok(json!({"total": events.len(), "count": list.len(), "list": list, "nextId": next}))
    }

    fn done(&self) -> bool {
        self.future.is_empty() && self.queue.is_empty()
    }
}

fn ok(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "code": 0, "msg": "Success", "ts": 1610167740309_i64, "data": data
    }))
}

#[derive(Clone)]
struct Server(Arc<Mutex<World>>);

impl Respond for Server {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut world = self.0.lock().unwrap();
        let path = request.url.path();
        if path.contains("/polling/") {
            return world.poll();
        }
        // /na/edu/apps/{appId}/v2/rooms/{roomUuid}/sequences
        let room = path.split('/').nth(7).unwrap_or_default().to_owned();
        let next_id = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "nextId")
            .map(|(_, v)| v.into_owned());
        world.read_history(&room, next_id.as_deref())
    }
}

struct Scenario {
    rooms: usize,
    events: usize,
    arrivals: usize,
    batch: usize,
    page: usize,
    buffer: usize,
    faults: Vec<Fault>,
    history_faults: Vec<HistoryFault>,
    reconcile_every: Option<Duration>,
    /// Run with [`Poller::run_batched`] and this batch size.
    batch_size: Option<usize>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            rooms: 3,
            events: 60,
            arrivals: 3,
            batch: 4,
            page: 4,
            buffer: 4,
            faults: Vec::new(),
            history_faults: Vec::new(),
            reconcile_every: None,
            batch_size: None,
        }
    }
}

/// What the handler saw.
#[derive(Default)]
struct Seen {
    /// Ordered events: (room, sequence).
    ordered: Vec<(String, i64)>,
    /// Events without a room or a sequence.
    unordered: usize,
}

async fn fake_server(world: &Arc<Mutex<World>>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/na/edu/"))
        .respond_with(Server(world.clone()))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    Client::builder(APP_ID)
        .region(Region::NorthAmerica)
        .credentials(Credentials::token("007test-token").unwrap())
        .base_url(server.uri())
        .attempt_timeout(Duration::from_millis(150))
        .retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(10)),
        )
        .build()
        .unwrap()
}

fn poller(server: &MockServer, store: impl CheckpointStore + 'static, s: &Scenario) -> Poller {
    let mut builder = Poller::builder(client(server))
        .checkpoint_store(store)
        .interval(Duration::from_millis(5))
        .buffer(s.buffer)
        .gap_timeout(Duration::from_millis(300))
        .batch_size(s.batch_size.unwrap_or(100));
    if let Some(period) = s.reconcile_every {
        builder = builder.reconcile_every(period);
    }
    builder.build()
}

/// A handler that records what it sees, checking each event's typed payload.
fn recorder(
    seen: Arc<Mutex<Seen>>,
) -> impl FnMut(Event) -> std::future::Ready<Result<(), std::convert::Infallible>> {
    move |event: Event| {
        let mut seen = seen.lock().unwrap();
        if event.room_uuid.is_empty() || event.sequence <= 0 {
            seen.unordered += 1;
        } else {
            let EventPayload::ChatMessage(chat) = &event.payload else {
                panic!("not a chat message: {event:?}");
            };
            assert_eq!(
                chat.message.as_deref(),
                Some(format!("{}#{}", event.room_uuid, event.sequence).as_str())
            );
            seen.ordered.push((event.room_uuid.clone(), event.sequence));
        }
        std::future::ready(Ok(()))
    }
}

/// Every event of the history, exactly once, in order per room.
#[track_caller]
fn assert_exactly_once_in_order(world: &World, seen: &Seen) {
    let mut by_room: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (room, sequence) in &seen.ordered {
        by_room.entry(room.clone()).or_default().push(*sequence);
    }
    let expected: BTreeMap<String, Vec<i64>> = world
        .history
        .iter()
        .map(|(room, events)| (room.clone(), (1..=events.len() as i64).collect()))
        .collect();
    assert_eq!(by_room, expected, "per room, in the order handled");
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs a poller over the scenario until every event is handled, then checks exactly-once order.
#[track_caller]
fn check(s: Scenario) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let faults = format!("{:?} / {:?}", s.faults, s.history_faults);
    let (world, seen, stats, store, sizes) = runtime.block_on(async {
        let world = Arc::new(Mutex::new(World::new(&s)));
        let server = fake_server(&world).await;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let batch_sizes: Arc<Mutex<Vec<usize>>> = Arc::default();
        let store = MemoryStore::new();
        let poller = poller(&server, store.clone(), &s);
        let shutdown = poller.cancellation_token();
        let task = match s.batch_size {
            None => tokio::spawn(poller.run(recorder(seen.clone()))),
            Some(size) => {
                let mut record = recorder(seen.clone());
                let sizes = batch_sizes.clone();
                assert!(size > 0);
                tokio::spawn(poller.run_batched(move |events: Vec<Event>| {
                    sizes.lock().unwrap().push(events.len());
                    for event in events {
                        drop(record(event));
                    }
                    std::future::ready(Ok::<_, std::convert::Infallible>(()))
                }))
            }
        };
        wait_until("every event is handled", || {
            world.lock().unwrap().done() && seen.lock().unwrap().ordered.len() >= s.events
        })
        .await;
        // Give duplicates a chance to show up.
        tokio::time::sleep(Duration::from_millis(30)).await;
        shutdown.cancel();
        let stats = task.await.unwrap().unwrap();
        let sizes = std::mem::take(&mut *batch_sizes.lock().unwrap());
        (world, seen, stats, store, sizes)
    });
    let world = world.lock().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(
        world.history.values().map(Vec::len).sum::<usize>(),
        s.events
    );
    assert_exactly_once_in_order(&world, &seen);
    if s.faults.contains(&Fault::Unordered) {
        assert!(seen.unordered >= 2, "{faults}: unordered events handed out");
    }
    // The statistics tell what happened.
    assert_eq!(
        stats.events_handled,
        (seen.ordered.len() + seen.unordered) as u64,
        "{faults}: {stats:?}"
    );
    assert_eq!(stats.rooms_known, s.rooms as u64, "{stats:?}");
    assert_eq!(stats.implausible_sequences, 0, "{stats:?}");
    if s.faults.contains(&Fault::Duplicate) && !s.faults.contains(&Fault::Hold) {
        assert!(stats.duplicates_dropped > 0, "{faults}: {stats:?}");
    }
    if s.faults.contains(&Fault::Silent) || s.faults.contains(&Fault::Lost502) {
        assert!(stats.events_from_history > 0, "{faults}: {stats:?}");
    }
    // The checkpoints are each room's last event.
    let last: BTreeMap<String, i64> = world
        .history
        .iter()
        .map(|(room, events)| (room.clone(), events.len() as i64))
        .collect();
    assert_eq!(store.snapshot(), last);
    match s.batch_size {
        None => assert_eq!(stats.batches_handled, stats.events_handled),
        Some(size) => {
            assert_eq!(sizes.len() as u64, stats.batches_handled);
            assert_eq!(sizes.iter().sum::<usize>() as u64, stats.events_handled);
            assert!(sizes.iter().all(|n| (1..=size).contains(n)), "{sizes:?}");
        }
    }
}

#[test]
fn no_faults() {
    check(Scenario::default());
}

#[test]
fn duplicated_batches() {
    check(Scenario {
        faults: vec![
            Fault::Normal,
            Fault::Duplicate,
            Fault::Duplicate,
            Fault::Normal,
            Fault::Duplicate,
        ],
        ..Scenario::default()
    });
}

#[test]
fn reversed_and_held_back_batches() {
    check(Scenario {
        faults: vec![
            Fault::Reverse,
            Fault::Hold,
            Fault::Normal,
            Fault::Hold,
            Fault::Reverse,
            Fault::Hold,
        ],
        ..Scenario::default()
    });
}

#[test]
fn responses_lost_with_a_bad_gateway() {
    check(Scenario {
        faults: vec![
            Fault::Normal,
            Fault::Lost502,
            Fault::Normal,
            Fault::Lost502,
            Fault::Lost502,
        ],
        ..Scenario::default()
    });
}

#[test]
fn responses_lost_to_a_timeout() {
    check(Scenario {
        faults: vec![Fault::LostTimeout, Fault::Normal, Fault::LostTimeout],
        ..Scenario::default()
    });
}

#[test]
fn responses_lost_as_garbage() {
    check(Scenario {
        faults: vec![Fault::Normal, Fault::LostGarbage, Fault::Normal],
        ..Scenario::default()
    });
}

#[test]
fn events_lost_without_an_error_are_found_by_their_gap() {
    check(Scenario {
        faults: vec![Fault::Normal, Fault::Silent, Fault::Normal, Fault::Silent],
        ..Scenario::default()
    });
}

#[test]
fn the_last_events_lost_without_an_error_are_found_by_reconciliation() {
    // The final batches vanish: no later event shows the gap, only reading the rooms does.
    let mut faults = vec![Fault::Normal; 15];
    faults.extend([Fault::Silent; 5]);
    check(Scenario {
        arrivals: 4,
        batch: 3,
        faults,
        reconcile_every: Some(Duration::from_millis(50)),
        ..Scenario::default()
    });
}

#[test]
fn the_last_responses_lost_in_flight_are_found_by_rereading_the_rooms() {
    // No later event shows the gap: the failed polls themselves make the poller read the rooms.
    let mut faults = vec![Fault::Normal; 15];
    faults.extend([
        Fault::Lost502,
        Fault::LostGarbage,
        Fault::Lost502,
        Fault::LostTimeout,
        Fault::Lost502,
    ]);
    check(Scenario {
        arrivals: 4,
        batch: 3,
        faults,
        ..Scenario::default()
    });
}

#[test]
fn server_restarts_and_unavailability() {
    check(Scenario {
        faults: vec![
            Fault::Normal,
            Fault::Restart,
            Fault::Unavailable,
            Fault::Normal,
            Fault::Restart,
            Fault::Normal,
        ],
        ..Scenario::default()
    });
}

#[test]
fn single_objects_null_data_and_events_without_a_room() {
    check(Scenario {
        faults: vec![
            Fault::Single,
            Fault::Null,
            Fault::Unordered,
            Fault::Single,
            Fault::Null,
        ],
        ..Scenario::default()
    });
}

#[test]
fn history_failures_and_lag_while_filling_gaps() {
    check(Scenario {
        faults: vec![Fault::Normal, Fault::Silent, Fault::Hold, Fault::Lost502],
        history_faults: vec![
            HistoryFault::Fail,
            HistoryFault::Lag,
            HistoryFault::Fail,
            HistoryFault::Lag,
        ],
        ..Scenario::default()
    });
}

#[test]
fn everything_at_once() {
    let faults = vec![
        Fault::Reverse,
        Fault::Silent,
        Fault::Duplicate,
        Fault::Hold,
        Fault::Lost502,
        Fault::Restart,
        Fault::LostGarbage,
        Fault::Single,
        Fault::Null,
        Fault::Hold,
        Fault::Duplicate,
        Fault::Unavailable,
        Fault::LostTimeout,
        Fault::Reverse,
    ];
    check(Scenario {
        rooms: 5,
        events: 150,
        arrivals: 5,
        batch: 7,
        page: 5,
        buffer: 2,
        faults,
        history_faults: vec![HistoryFault::Lag, HistoryFault::Fail],
        ..Scenario::default()
    });
}

#[test]
fn everything_at_once_in_batches() {
    check(Scenario {
        rooms: 5,
        events: 150,
        arrivals: 9,
        batch: 7,
        page: 5,
        buffer: 16,
        faults: vec![
            Fault::Duplicate,
            Fault::Silent,
            Fault::Hold,
            Fault::Lost502,
            Fault::Restart,
            Fault::Unordered,
            Fault::LostTimeout,
            Fault::Reverse,
        ],
        history_faults: vec![HistoryFault::Lag, HistoryFault::Fail],
        batch_size: Some(6),
        ..Scenario::default()
    });
}

#[test]
fn batches_of_one() {
    check(Scenario {
        faults: vec![Fault::Duplicate, Fault::Hold, Fault::Silent],
        batch_size: Some(1),
        ..Scenario::default()
    });
}

#[test]
fn one_event_at_a_time_with_a_buffer_of_one() {
    check(Scenario {
        rooms: 2,
        events: 20,
        arrivals: 1,
        batch: 1,
        page: 1,
        buffer: 1,
        faults: vec![Fault::Hold, Fault::Duplicate, Fault::Silent],
        ..Scenario::default()
    });
}

/// Kills the poller (drops its future) while it holds a fetched batch, restarts it from the
/// file store, and checks that nothing was lost or repeated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_batch_then_restarted_from_the_file_store() {
    let s = Scenario {
        rooms: 4,
        events: 40,
        arrivals: 40,
        batch: 12,
        buffer: 2,
        ..Scenario::default()
    };
    let world = Arc::new(Mutex::new(World::new(&s)));
    let server = fake_server(&world).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checkpoints.json");
    let seen = Arc::new(Mutex::new(Seen::default()));

    // First run: the handler stalls on its fifth event, while the rest of the first batch waits
    // in the poller; then the poller is dropped.
    let stalled = Arc::new(tokio::sync::Notify::new());
    let handler = {
        let seen = seen.clone();
        let stalled = stalled.clone();
        move |event: Event| {
            let seen = seen.clone();
            let stalled = stalled.clone();
            async move {
                if seen.lock().unwrap().ordered.len() == 4 {
                    stalled.notify_one();
                    std::future::pending::<()>().await;
                }
                seen.lock()
                    .unwrap()
                    .ordered
                    .push((event.room_uuid.clone(), event.sequence));
                Ok::<_, std::convert::Infallible>(())
            }
        }
    };
    let first = tokio::spawn(poller(&server, FileStore::new(&file), &s).run(handler));
    stalled.notified().await;
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    let polls_before = world.lock().unwrap().polls;
    assert_eq!(
        polls_before, 1,
        "the kill came in the middle of the first batch"
    );
    assert_eq!(seen.lock().unwrap().ordered.len(), 4);
    // The checkpoints are in the file, and every room of the batch is noted.
    let saved = FileStore::new(&file).load().await.unwrap();
    assert!(
        saved.len() >= 3,
        "rooms noted before their events were handed out: {saved:?}"
    );
    assert_eq!(
        saved.values().sum::<i64>(),
        4,
        "four events checkpointed: {saved:?}"
    );

    // Second run, from the file: the rest of the first batch comes from the rooms' histories.
    let second = poller(&server, FileStore::new(&file), &s);
    let shutdown = second.cancellation_token();
    let task = tokio::spawn(second.run(recorder(seen.clone())));
    wait_until("every event is handled after the restart", || {
        seen.lock().unwrap().ordered.len() >= s.events
    })
    .await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    shutdown.cancel();
    task.await.unwrap().unwrap();
    assert_exactly_once_in_order(&world.lock().unwrap(), &seen.lock().unwrap());
    let saved = FileStore::new(&file).load().await.unwrap();
    let history: BTreeMap<String, i64> = world
        .lock()
        .unwrap()
        .history
        .iter()
        .map(|(room, events)| (room.clone(), events.len() as i64))
        .collect();
    assert_eq!(
        saved, history,
        "the file holds the last sequence of every room"
    );
}

/// A slow handler stops the polling instead of filling memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_handler_applies_back_pressure() {
    let s = Scenario {
        rooms: 2,
        events: 30,
        arrivals: 1,
        batch: 1,
        buffer: 2,
        ..Scenario::default()
    };
    let world = Arc::new(Mutex::new(World::new(&s)));
    let server = fake_server(&world).await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let handler = {
        let gate = gate.clone();
        let seen = seen.clone();
        move |event: Event| {
            let gate = gate.clone();
            let seen = seen.clone();
            async move {
                gate.acquire().await.unwrap().forget();
                seen.lock()
                    .unwrap()
                    .ordered
                    .push((event.room_uuid.clone(), event.sequence));
                Ok::<_, std::convert::Infallible>(())
            }
        }
    };
    let p = poller(&server, MemoryStore::new(), &s);
    let shutdown = p.cancellation_token();
    let task = tokio::spawn(p.run(handler));
    // One event in the handler, two in the buffer, one waiting to be sent: then polling stops.
    wait_until("the buffer is full", || world.lock().unwrap().polls >= 4).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let polls = world.lock().unwrap().polls;
    assert!(polls <= 5, "{polls} polls while the handler was stuck");
    gate.add_permits(s.events);
    wait_until("every event is handled", || {
        seen.lock().unwrap().ordered.len() >= s.events
    })
    .await;
    shutdown.cancel();
    task.await.unwrap().unwrap();
    assert_exactly_once_in_order(&world.lock().unwrap(), &seen.lock().unwrap());
}

/// Cancelling lets the event being handled finish and be checkpointed; nothing after it is
/// handled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_finishes_the_current_event() {
    let s = Scenario {
        rooms: 1,
        events: 10,
        arrivals: 10,
        batch: 10,
        ..Scenario::default()
    };
    let world = Arc::new(Mutex::new(World::new(&s)));
    let server = fake_server(&world).await;
    let store = MemoryStore::new();
    let shutdown = CancellationToken::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handler = {
        let shutdown = shutdown.clone();
        let seen = seen.clone();
        move |event: Event| {
            let shutdown = shutdown.clone();
            let seen = seen.clone();
            async move {
                if event.sequence == 3 {
                    shutdown.cancel();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                seen.lock().unwrap().push(event.sequence);
                Ok::<_, std::convert::Infallible>(())
            }
        }
    };
    let p = Poller::builder(client(&server))
        .checkpoint_store(store.clone())
        .interval(Duration::from_millis(5))
        .cancellation(shutdown.clone())
        .build();
    p.run(handler).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![1, 2, 3]);
    assert_eq!(store.snapshot().get("room-0"), Some(&3));
}

/// A handler error stops the poller without checkpointing the event; the next start hands it
/// out again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_error_stops_and_the_event_comes_again() {
    let s = Scenario {
        rooms: 1,
        events: 5,
        arrivals: 5,
        batch: 5,
        ..Scenario::default()
    };
    let world = Arc::new(Mutex::new(World::new(&s)));
    let server = fake_server(&world).await;
    let store = MemoryStore::new();
    let failing = |event: Event| async move {
        if event.sequence == 2 {
            Err(format!("cannot handle #{}", event.sequence))
        } else {
            Ok(())
        }
    };
    let err = poller(&server, store.clone(), &s)
        .run(failing)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PollerError::Handler(cause) if cause.to_string() == "cannot handle #2"),
        "{err:?}"
    );
    assert_eq!(
        std::error::Error::source(&err).map(ToString::to_string),
        Some("cannot handle #2".to_owned())
    );
    assert_eq!(
        err.to_string(),
        "the event handler failed: cannot handle #2"
    );
    assert_eq!(store.snapshot().get("room-0"), Some(&1));

    let seen = Arc::new(Mutex::new(Seen::default()));
    let p = poller(&server, store.clone(), &s);
    let shutdown = p.cancellation_token();
    let task = tokio::spawn(p.run(recorder(seen.clone())));
    wait_until("the rest is handled", || {
        seen.lock().unwrap().ordered.len() >= 4
    })
    .await;
    shutdown.cancel();
    task.await.unwrap().unwrap();
    let sequences: Vec<i64> = seen
        .lock()
        .unwrap()
        .ordered
        .iter()
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(sequences, vec![2, 3, 4, 5]);
}

/// Polling errors that waiting will not fix stop the poller with the error.
#[tokio::test]
async fn an_authentication_error_stops_the_poller() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"/polling/"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "code": 401, "msg": "invalid token", "ts": 1
        })))
        .mount(&server)
        .await;
    let err = Poller::builder(client(&server))
        .build()
        .run(|_| async { Ok::<_, std::convert::Infallible>(()) })
        .await
        .unwrap_err();
    let PollerError::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status(), Some(401));
    assert_eq!(err.to_string(), "polling the events failed");
}

/// Rooms the server no longer has are forgotten; rooms known from a checkpoint are read from
/// their checkpoint on, even when they send nothing new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_rooms_are_read_at_start_and_gone_rooms_forgotten() {
    let s = Scenario {
        rooms: 2,
        events: 12,
        arrivals: 0,
        ..Scenario::default()
    };
    let world = Arc::new(Mutex::new(World::new(&s)));
    // Everything happened, but polling has handed out nothing: the events are in the history.
    {
        let mut w = world.lock().unwrap();
        w.happen(12);
        w.queue.clear();
    }
    let server = fake_server(&world).await;
    let store = MemoryStore::with(
        [("room-0", 2), ("room-1", 0), ("gone-room", 9)]
            .into_iter()
            .map(|(r, s)| (r.to_owned(), s))
            .collect(),
    );
    let seen = Arc::new(Mutex::new(Seen::default()));
    let p = poller(&server, store.clone(), &s);
    let shutdown = p.cancellation_token();
    let task = tokio::spawn(p.run(recorder(seen.clone())));
    wait_until("the rooms are read", || {
        seen.lock().unwrap().ordered.len() >= 10
    })
    .await;
    wait_until("the gone room is forgotten", || {
        !store.snapshot().contains_key("gone-room")
    })
    .await;
    shutdown.cancel();
    task.await.unwrap().unwrap();
    let seen = seen.lock().unwrap();
    let room0: Vec<i64> = seen
        .ordered
        .iter()
        .filter(|(r, _)| r == "room-0")
        .map(|(_, s)| *s)
        .collect();
    let count0 = world.lock().unwrap().history["room-0"].len() as i64;
    assert_eq!(
        room0,
        (3..=count0).collect::<Vec<_>>(),
        "after the checkpoint"
    );
    assert_eq!(seen.ordered.len() as i64, 12 - 2);
}

/// `FromFirstSeen` starts a new room at its first polled event; `FromBeginning` reads what came
/// before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_new_rooms_start() {
    for (start, expected_first) in [(NewRooms::FromFirstSeen, 4), (NewRooms::FromBeginning, 1)] {
        let s = Scenario {
            rooms: 1,
            events: 6,
            arrivals: 0,
            ..Scenario::default()
        };
        let world = Arc::new(Mutex::new(World::new(&s)));
        {
            // Events 1 to 3 were polled by someone else; 4 to 6 are waiting.
            let mut w = world.lock().unwrap();
            w.happen(6);
            w.queue.drain(..3);
        }
        let server = fake_server(&world).await;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let p = Poller::builder(client(&server))
            .interval(Duration::from_millis(5))
            .new_rooms(start)
            .build();
        let shutdown = p.cancellation_token();
        let task = tokio::spawn(p.run(recorder(seen.clone())));
        wait_until("the room's events are handled", || {
            seen.lock().unwrap().ordered.len() as i64 >= 7 - expected_first
        })
        .await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        shutdown.cancel();
        task.await.unwrap().unwrap();
        let sequences: Vec<i64> = seen
            .lock()
            .unwrap()
            .ordered
            .iter()
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(
            sequences,
            (expected_first..=6).collect::<Vec<_>>(),
            "{start:?}"
        );
    }
}
