//! The SDK's benchmarks, each against the baseline a user would otherwise write, in the same run.
//!
//! `cargo bench -p classroom-tests --bench sdk -- [decode|decode-mem typed|decode-mem value|calls|pages|poller|regen|docs] [--json] [--short]`;
//! `post-only sdk|base` runs one side of the create-room comparison alone, for `perf stat`.
//! `poller` is the poller part of `pages` alone; `--short` runs it on a tenth of the events (CI).
//! Run through `cargo xtask bench`, which adds the compile-cost figures and writes BENCHMARKS.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use classroom_api::events::{Event, EventPayload};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const APP_ID: &str = "970ca35de60c44645bbae8a215061b33";
const CERT: &str = "5cfd2fd1755d40ecb72977518be15d3b";

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Figures, by name, printed as a table or as JSON for `cargo xtask bench`.
#[derive(Default)]
struct Figures(BTreeMap<String, f64>);

impl Figures {
    fn set(&mut self, name: &str, value: f64) {
        self.0.insert(name.to_owned(), value);
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let json_out = args.iter().any(|a| a == "--json");
    let short = args.iter().any(|a| a == "--short");
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let mut figures = Figures::default();
    match words.as_slice() {
        ["decode-mem", kind] => decode_mem(kind, &mut figures),
        ["post-only", side] => post_only(side, &mut figures),
        [] => {
            decode(&mut figures);
            calls(&mut figures);
            pages(&mut figures);
            regen(&mut figures);
            docs(&mut figures);
        }
        list => {
            for w in list {
                match *w {
                    "decode" => decode(&mut figures),
                    "calls" => calls(&mut figures),
                    "regen" => regen(&mut figures),
                    "pages" => pages(&mut figures),
                    "poller" => poller(&mut figures, short),
                    "docs" => docs(&mut figures),
                    other => {
                        eprintln!(
                            "unknown benchmark {other:?}: decode, decode-mem KIND, calls, pages, poller, regen, docs"
                        );
                        std::process::exit(2);
                    }
                }
            }
        }
    }
    if json_out {
        println!("{}", serde_json::to_string(&figures.0).unwrap());
    } else {
        for (k, v) in &figures.0 {
            println!("{k:<40} {v:>14.3}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Event decoding.

/// 100,000 events of mixed `cmd`: the documents' examples (dotted-key quiz and poll payloads
/// among them), instances of every event schema of the spec, and unknown `cmd`s. Seeded.
fn corpus(n: usize) -> Vec<u8> {
    let spec = classroom_codegen::Spec::load(&read("spec/classroom.yaml"), "spec/classroom.yaml")
        .unwrap()
        .value;
    let mut rng = StdRng::seed_from_u64(0x00c1_a55e);
    let mut templates: Vec<Value> = Vec::new();
    for f in ["listRoomEvents", "pollAppEvents", "listWidgetEvents"] {
        let v: Value =
            serde_json::from_str(&read(&format!("tests/fixtures/examples/{f}.response.json")))
                .unwrap();
        match &v["data"] {
            Value::Array(list) => templates.extend(list.iter().cloned()),
            d => templates.extend(d["list"].as_array().cloned().unwrap_or_default()),
        }
    }
    for i in 1..=7 {
        let data: Value = serde_json::from_str(&read(&format!(
            "tests/fixtures/examples/event.1110.{i}.json"
        )))
        .unwrap();
        templates
            .push(json!({"roomUuid": "r", "cmd": 1110, "sequence": 0, "version": 1, "data": data}));
    }
    let variants: Vec<Value> = spec
        .pointer("/components/schemas/Event/oneOf")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::with_capacity(n * 300);
    out.push(b'[');
    for i in 0..n {
        let mut event = match rng.random_range(0..10) {
            0..=3 => templates[rng.random_range(0..templates.len())].clone(),
            4..=8 => classroom_tests::instance(
                &spec,
                &variants[rng.random_range(0..variants.len())],
                &mut rng,
                0,
            ),
            _ => {
                json!({"roomUuid": "r", "cmd": 9000 + rng.random_range(0..50), "sequence": 0, "version": 1,
                        "data": {"something": rng.random::<u32>(), "new": ["a", "b"]}})
            }
        };
        event["sequence"] = json!(i);
        event["roomUuid"] = json!(format!("room-{}", rng.random_range(0..500)));
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, &event).unwrap();
    }
    out.push(b']');
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn decode(f: &mut Figures) {
    let bytes = corpus(100_000);
    let runs = 7;
    let mut typed = Vec::new();
    let mut value = Vec::new();
    let mut unknown = 0;
    let mut malformed = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let events: Vec<Event> = serde_json::from_slice(black_box(&bytes)).unwrap();
        typed.push(t.elapsed().as_secs_f64());
        unknown = events
            .iter()
            .filter(|e| matches!(e.payload, EventPayload::Unknown { .. }))
            .count();
        malformed = events
            .iter()
            .filter(|e| matches!(e.payload, EventPayload::Malformed { .. }))
            .count();
        drop(black_box(events));
        let t = Instant::now();
        let v: Value = serde_json::from_slice(black_box(&bytes)).unwrap();
        value.push(t.elapsed().as_secs_f64());
        drop(black_box(v));
    }
    let (typed, value) = (median(typed), median(value));
    f.set("decode.corpus_bytes", bytes.len() as f64);
    f.set("decode.events", 100_000.0);
    f.set("decode.unknown_events", unknown as f64);
    f.set("decode.malformed_events", malformed as f64);
    f.set("decode.typed_events_per_s", 100_000.0 / typed);
    f.set("decode.value_events_per_s", 100_000.0 / value);
    f.set("decode.ratio_typed_over_value_time", typed / value);
    for kind in ["typed", "value"] {
        // Peak memory in a fresh process each, so neither sees the other's heap.
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["decode-mem", kind, "--json"])
            .output()
            .unwrap();
        let figures: BTreeMap<String, f64> =
            serde_json::from_slice(&out.stdout).unwrap_or_default();
        for (k, v) in figures {
            f.set(&k, v);
        }
    }
}

/// The process's peak resident set (VmHWM), in bytes.
fn peak_rss() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb * 1024.0)
}

fn decode_mem(kind: &str, f: &mut Figures) {
    let bytes = corpus(100_000);
    let before = peak_rss();
    let kept = match kind {
        "typed" => serde_json::from_slice::<Vec<Event>>(&bytes)
            .map(|v| v.len())
            .unwrap(),
        _ => serde_json::from_slice::<Value>(&bytes)
            .map(|v| v.as_array().map_or(0, Vec::len))
            .unwrap(),
    };
    black_box(kept);
    f.set(
        &format!("decode.{kind}_peak_mib_above_corpus"),
        (peak_rss() - before) / (1024.0 * 1024.0),
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Call overhead.

/// A minimal keep-alive HTTP/1.1 server on 127.0.0.1 answering every request with `body`.
async fn fixed_server(body: &'static str) -> String {
    let reply: Arc<[u8]> = response(body.as_bytes()).into();
    server(Arc::new(move |_: &str| reply.clone())).await
}

/// A 200 with a JSON body, as bytes on the wire.
fn response(body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

type Handler = Arc<dyn Fn(&str) -> Arc<[u8]> + Send + Sync>;

/// A minimal keep-alive HTTP/1.1 server on 127.0.0.1: `handler` maps the request target to the
/// whole response.
async fn server(handler: Handler) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let handler = handler.clone();
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(8192);
                let mut chunk = [0u8; 8192];
                loop {
                    // One request: the head, then Content-Length bytes of body.
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let target = String::from_utf8_lossy(&buf[..head_end])
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("/")
                        .to_owned();
                    buf.drain(..head_end + len);
                    let reply = handler(&target);
                    if sock.write_all(&reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

const USER_BODY: &str = r#"{"msg":"Success","code":0,"ts":1658126805245,"data":{"userName":"jasoncai","userUuid":"681d9aca4924e9a84ad301e8cca438a71","role":"1","userProperties":{},"updateTime":1658126782174,"streamUuid":"1417753684","state":1}}"#;
const OK_BODY: &str = r#"{"msg":"Success","code":0,"ts":1610167740309}"#;

/// Runs `total` calls of `call` with `concurrency` in flight; returns calls per second.
async fn drive<F, Fut>(total: usize, concurrency: usize, call: F) -> f64
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use futures::stream::{self, StreamExt};
    let t = Instant::now();
    stream::iter(0..total)
        .for_each_concurrent(concurrency, call)
        .await;
    total as f64 / t.elapsed().as_secs_f64()
}

fn calls(f: &mut Figures) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let user_url = fixed_server(USER_BODY).await;
        let ok_url = fixed_server(OK_BODY).await;
        let sdk_user = sdk_client(&user_url);
        let sdk_ok = sdk_client(&ok_url);
        let plain = reqwest::Client::new();
        let auth = format!("agora token={}", sdk_token());
        let body = classroom_api::types::CreateRoomRequest::new(
            "Math 101",
            classroom_api::types::RoomType::SmallClass,
        );
        for concurrency in [1usize, 64] {
            let total = if concurrency == 1 { 3_000 } else { 20_000 };
            let (sdk_user, sdk_ok, plain, auth, user_url, ok_url, body) = (
                &sdk_user,
                &sdk_ok,
                &plain,
                auth.as_str(),
                user_url.as_str(),
                ok_url.as_str(),
                &body,
            );
            let sdk_get = || {
                drive(total, concurrency, move |i| async move {
                    black_box(sdk_get_user(sdk_user, i).await);
                })
            };
            let base_get = || {
                drive(total, concurrency, move |i| async move {
                    black_box(base_get_user(plain, auth, user_url, i).await);
                })
            };
            let sdk_post = || {
                drive(total, concurrency, move |i| {
                    sdk_create_room(sdk_ok, body, i)
                })
            };
            let base_post = || {
                drive(total, concurrency, move |i| {
                    base_create_room(plain, auth, ok_url, body, i)
                })
            };
            let (mut sg, mut bg, mut sp, mut bp) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            // Interleaved rounds, so both sides see the same machine; the side that goes first
            // alternates, so neither gains from warm-up or from the other's leftovers.
            for round in 0..6 {
                if round % 2 == 0 {
                    sg.push(sdk_get().await);
                    bg.push(base_get().await);
                    sp.push(sdk_post().await);
                    bp.push(base_post().await);
                } else {
                    bg.push(base_get().await);
                    sg.push(sdk_get().await);
                    bp.push(base_post().await);
                    sp.push(sdk_post().await);
                }
            }
            let (sg, bg, sp, bp) = (median(sg), median(bg), median(sp), median(bp));
            f.set(&format!("calls.c{concurrency}.get_user.sdk_rps"), sg);
            f.set(&format!("calls.c{concurrency}.get_user.baseline_rps"), bg);
            f.set(
                &format!("calls.c{concurrency}.get_user.ratio_sdk_over_baseline_time"),
                bg / sg,
            );
            f.set(&format!("calls.c{concurrency}.create_room.sdk_rps"), sp);
            f.set(
                &format!("calls.c{concurrency}.create_room.baseline_rps"),
                bp,
            );
            f.set(
                &format!("calls.c{concurrency}.create_room.ratio_sdk_over_baseline_time"),
                bp / sp,
            );
        }
    });
}

/// The SDK's client, as a backend would build it, against `url`.
fn sdk_client(url: &str) -> classroom_api::Client {
    classroom_api::Client::builder(APP_ID)
        .region(classroom_api::types::Region::China)
        .credentials(classroom_api::Credentials::app_certificate(CERT).unwrap())
        .base_url(url)
        .build()
        .unwrap()
}

/// getUser through the SDK.
async fn sdk_get_user(c: &classroom_api::Client, i: usize) -> classroom_api::types::User {
    c.get_user("room-1", &format!("u{}", i % 100))
        .await
        .unwrap()
}

/// The same getUser with plain reqwest and serde_json.
async fn base_get_user(c: &reqwest::Client, auth: &str, url: &str, i: usize) -> Value {
    let r = c
        .get(format!(
            "{url}/cn/edu/apps/{APP_ID}/v2/rooms/room-1/users/u{}",
            i % 100
        ))
        .header("authorization", auth)
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["code"], 0);
    v
}

/// createRoom through the SDK.
async fn sdk_create_room(
    c: &classroom_api::Client,
    body: &classroom_api::types::CreateRoomRequest,
    i: usize,
) {
    c.create_room(format!("room-{i}"), body).await.unwrap();
}

/// The same createRoom with plain reqwest and serde_json.
async fn base_create_room(
    c: &reqwest::Client,
    auth: &str,
    url: &str,
    body: &classroom_api::types::CreateRoomRequest,
    i: usize,
) {
    let r = c
        .post(format!("{url}/cn/edu/apps/{APP_ID}/v2/rooms/room-{i}"))
        .header("authorization", auth)
        .json(body)
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["code"], 0);
}

/// One side of the create-room comparison alone, for `perf stat` (CPU time per call).
fn post_only(side: &str, f: &mut Figures) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = fixed_server(OK_BODY).await;
        let sdk = sdk_client(&url);
        let plain = reqwest::Client::new();
        let auth = format!("agora token={}", sdk_token());
        let body = classroom_api::types::CreateRoomRequest::new(
            "Math 101",
            classroom_api::types::RoomType::SmallClass,
        );
        let rps = if side == "sdk" {
            drive(100_000, 64, |i| sdk_create_room(&sdk, &body, i)).await
        } else {
            drive(100_000, 64, |i| {
                base_create_room(&plain, &auth, &url, &body, i)
            })
            .await
        };
        f.set(&format!("post_only.{side}_rps"), rps);
    });
}

/// A token like the SDK's, for the baseline's `Authorization` header.
fn sdk_token() -> String {
    classroom_api::AppTokenProvider::new(
        classroom_api::token::AppId::new(APP_ID).unwrap(),
        classroom_api::token::AppCertificate::new(CERT).unwrap(),
    )
    .token()
    .unwrap()
    .into_string()
}

// ---------------------------------------------------------------------------------------------
// 3. Pagination and polling.

const PAGES: usize = 1000;
const PAGE: usize = 100;
const ROOMS: usize = 10;

fn event_json(room: &str, sequence: usize) -> String {
    format!(
        r#"{{"roomUuid":"{room}","cmd":20,"sequence":{sequence},"version":1,"data":{{"total":1,"onlineUsers":[{{"userUuid":"u{sequence}","userName":"Student {sequence}","role":2,"userProperties":{{}},"streamUuid":"1417753684","state":1,"updateTime":1658126782174}}],"offlineUsers":[]}}}}"#
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A server on loopback with one room's history (`PAGES` pages of `PAGE` events) and the
/// app-wide polling endpoint (`PAGES` batches of `PAGE` events over `ROOMS` rooms, then empty:
/// the counter says how many batches it served); its URL.
async fn events_server() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    // One room's history: PAGES pages of PAGE events, `nextId` = the index of the next page.
    let history: Arc<Vec<Arc<[u8]>>> = Arc::new(
            (0..PAGES)
                .map(|p| {
                    let list: Vec<String> = (0..PAGE).map(|i| event_json("room-1", p * PAGE + i + 1)).collect();
                    let next = if p + 1 < PAGES { format!("\"{}\"", p + 1) } else { "null".into() };
                    let body = format!(r#"{{"code":0,"msg":"Success","ts":1,"data":{{"total":{},"count":{PAGE},"list":[{}],"nextId":{next}}}}}"#, PAGES * PAGE, list.join(","));
                    Arc::from(response(body.as_bytes()))
                })
                .collect(),
        );
    // The app-wide polling endpoint: PAGES batches of PAGE events over ROOMS rooms, then empty.
    let batches: Arc<Vec<Arc<[u8]>>> = Arc::new(
        (0..PAGES)
            .map(|b| {
                let list: Vec<String> = (0..PAGE)
                    .map(|i| {
                        let n = b * PAGE + i;
                        event_json(&format!("room-{}", n % ROOMS), n / ROOMS + 1)
                    })
                    .collect();
                let body = format!(
                    r#"{{"code":0,"msg":"Success","ts":1,"data":[{}]}}"#,
                    list.join(",")
                );
                Arc::from(response(body.as_bytes()))
            })
            .collect(),
    );
    let empty: Arc<[u8]> = response(br#"{"code":0,"msg":"Success","ts":1,"data":[]}"#).into();
    let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (h, b, e, s) = (
        history.clone(),
        batches.clone(),
        empty.clone(),
        served.clone(),
    );
    let url = server(Arc::new(move |target: &str| {
        if target.contains("/polling/") {
            let i = s.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return b.get(i).cloned().unwrap_or_else(|| e.clone());
        }
        let page = target
            .split("nextId=")
            .nth(1)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        h[page.min(PAGES - 1)].clone()
    }))
    .await;
    (url, served)
}

fn pages(f: &mut Figures) {
    use futures::StreamExt;
    runtime().block_on(async {
        let (url, served) = events_server().await;
        let client = sdk_client(&url);
        let total = (PAGES * PAGE) as f64;

        // The room-events stream against plain reqwest paging into `Value`, three rounds each.
        let mut sdk = Vec::new();
        let mut base = Vec::new();
        let plain = reqwest::Client::new();
        for _ in 0..3 {
            let t = Instant::now();
            let mut n = 0usize;
            let mut stream = client.list_room_events_stream("room-1", &Default::default());
            while let Some(event) = stream.next().await {
                black_box(event.unwrap());
                n += 1;
            }
            assert_eq!(n, PAGES * PAGE);
            sdk.push(total / t.elapsed().as_secs_f64());
            let t = Instant::now();
            let mut n = 0usize;
            let mut next: Option<String> = None;
            loop {
                let mut u = format!("{url}/cn/edu/apps/{APP_ID}/v2/rooms/room-1/sequences");
                if let Some(id) = &next {
                    u.push_str(&format!("?nextId={id}"));
                }
                let bytes = plain.get(u).send().await.unwrap().bytes().await.unwrap();
                let mut v: Value = serde_json::from_slice(&bytes).unwrap();
                for event in v["data"]["list"].as_array_mut().unwrap().drain(..) {
                    black_box(event);
                    n += 1;
                }
                match v["data"]["nextId"].as_str() {
                    Some(id) => next = Some(id.to_owned()),
                    None => break,
                }
            }
            assert_eq!(n, PAGES * PAGE);
            base.push(total / t.elapsed().as_secs_f64());
        }
        let (sdk, base) = (median(sdk), median(base));
        f.set("pages.room_stream_events_per_s", sdk);
        f.set("pages.room_baseline_value_events_per_s", base);
        f.set("pages.room_ratio_sdk_over_baseline_time", base / sdk);

        poller_figures(f, &client, &served, false).await;
    });
}

/// The poller's figures alone; `short` on a tenth of the events.
fn poller(f: &mut Figures, short: bool) {
    runtime().block_on(async {
        let (url, served) = events_server().await;
        poller_figures(f, &sdk_client(&url), &served, short).await;
    });
}

/// The poller per store and mode, each run from a fresh store and the first batch (the
/// per-event mode on a durable store, bounded by one commit per event, on fewer events), and
/// the takeover time with Postgres.
async fn poller_figures(
    f: &mut Figures,
    client: &classroom_api::Client,
    served: &Arc<std::sync::atomic::AtomicUsize>,
    short: bool,
) {
    use classroom_api::checkpoint::{FileStore, MemoryStore};
    let scale = if short { 10 } else { 1 };
    let all = PAGES * PAGE / scale;
    let few = 2_000 / scale;
    let rate =
        |store: Arc<dyn classroom_api::checkpoint::CheckpointStore>, batched: bool, n: usize| {
            poller_rate(client.clone(), served.clone(), store, batched, n)
        };
    eprintln!("poller: {all} events per run ({few} per event on a durable store)");
    f.set(
        "pages.poller_events_per_s",
        rate(Arc::new(MemoryStore::new()), false, all).await,
    );
    f.set(
        "poller.memory_batched_events_per_s",
        rate(Arc::new(MemoryStore::new()), true, all).await,
    );
    let dir = std::env::temp_dir().join(format!("classroom-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str| Arc::new(FileStore::new(dir.join(name)));
    f.set(
        "poller.file_per_event_events_per_s",
        rate(file("per-event.json"), false, few).await,
    );
    f.set(
        "poller.file_batched_events_per_s",
        rate(file("batched.json"), true, all).await,
    );
    let _ = std::fs::remove_dir_all(&dir);
    match std::env::var("CLASSROOM_TEST_DATABASE_URL") {
        Ok(url) => {
            let store = |name: &str| {
                Arc::new(
                    classroom_api::postgres::PostgresStore::new(&url)
                        .unwrap()
                        .name(unique(name)),
                )
            };
            f.set(
                "poller.postgres_per_event_events_per_s",
                rate(store("bench-per-event"), false, few).await,
            );
            f.set(
                "poller.postgres_batched_events_per_s",
                rate(store("bench-batched"), true, all).await,
            );
            f.set(
                "poller.postgres_takeover_ms_median_of_5",
                takeover_ms(client, &url).await,
            );
        }
        Err(_) => eprintln!(
            "no CLASSROOM_TEST_DATABASE_URL: the Postgres figures are left out (cargo xtask bench starts a Postgres when it can)"
        ),
    }
    // Each durable store's rates over the memory store's, in the same run.
    let rates = f.0.clone();
    for (store, mode) in [
        ("file", "per_event"),
        ("file", "batched"),
        ("postgres", "per_event"),
        ("postgres", "batched"),
    ] {
        let memory = if mode == "batched" {
            "poller.memory_batched_events_per_s"
        } else {
            "pages.poller_events_per_s"
        };
        if let (Some(v), Some(m)) = (
            rates.get(&format!("poller.{store}_{mode}_events_per_s")),
            rates.get(memory),
        ) {
            f.set(
                &format!("poller.ratio_{store}_{mode}_over_memory_rate"),
                v / m,
            );
        }
    }
}

/// A name no earlier run used.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("{prefix}-{nanos}")
}

/// Events per second of a poller on `store` from the first polled batch until `n` events were
/// handled, per event or in batches of 100.
async fn poller_rate(
    client: classroom_api::Client,
    served: Arc<std::sync::atomic::AtomicUsize>,
    store: Arc<dyn classroom_api::checkpoint::CheckpointStore>,
    batched: bool,
    n: usize,
) -> f64 {
    use std::sync::atomic::Ordering::{Relaxed, SeqCst};
    served.store(0, SeqCst);
    let cancel = classroom_api::poller::CancellationToken::new();
    let poller = classroom_api::poller::Poller::builder(client)
        .checkpoint_store(store)
        .interval(Duration::from_millis(1))
        .batch_size(100)
        .buffer(1024)
        .cancellation(cancel.clone())
        .build();
    let delivered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let d = delivered.clone();
    let t = Instant::now();
    let stats = if batched {
        poller
            .run_batched(move |events| {
                let k = events.len();
                black_box(events);
                if d.fetch_add(k, Relaxed) + k >= n {
                    cancel.cancel();
                }
                async { Ok::<(), std::convert::Infallible>(()) }
            })
            .await
    } else {
        poller
            .run(move |event| {
                black_box(event);
                if d.fetch_add(1, Relaxed) + 1 >= n {
                    cancel.cancel();
                }
                async { Ok::<(), std::convert::Infallible>(()) }
            })
            .await
    }
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(delivered.load(Relaxed) >= n);
    assert_eq!(stats.events_handled as usize, delivered.load(Relaxed));
    stats.events_handled as f64 / secs
}

/// Milliseconds from killing the leader (dropping its task: its connections close, as when its
/// process is killed) until the other replica leads, with the default leadership settings;
/// median of 5.
async fn takeover_ms(client: &classroom_api::Client, url: &str) -> f64 {
    use classroom_api::postgres::PostgresStore;
    let mut times = Vec::new();
    for _ in 0..5 {
        let name = unique("bench-takeover");
        let replica = || {
            let store = PostgresStore::new(url).unwrap().name(&name);
            let leader = store.leader();
            let poller = classroom_api::poller::Poller::builder(client.clone())
                .checkpoint_store(store)
                .leadership(leader.clone())
                .interval(Duration::from_millis(50))
                .build();
            let task =
                tokio::spawn(poller.run(|_| async { Ok::<(), std::convert::Infallible>(()) }));
            (leader, task)
        };
        let wait = |leader: classroom_api::postgres::PostgresLeader| async move {
            while leader.epoch() == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        let (first, first_task) = replica();
        wait(first.clone()).await;
        let (second, second_task) = replica();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(second.epoch(), 0, "one leader at a time");
        let t = Instant::now();
        first_task.abort();
        let _ = first_task.await;
        wait(second).await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        second_task.abort();
        let _ = second_task.await;
    }
    median(times)
}

// ---------------------------------------------------------------------------------------------
// 4. Regeneration.

/// The spec with every operation and schema replicated `factor` times under new names.
fn scaled_spec(text: &str, factor: usize) -> String {
    let base: Value = classroom_codegen::yaml::parse(text).unwrap().value;
    if factor == 1 {
        return serde_json::to_string(&base).unwrap();
    }
    let mut doc = base.clone();
    let schemas = base["components"]["schemas"].as_object().unwrap().clone();
    let paths = base["paths"].as_object().unwrap().clone();
    let names: Vec<String> = schemas.keys().cloned().collect();
    for k in 1..factor {
        let rename = |v: &Value| -> Value {
            let mut s = serde_json::to_string(v).unwrap();
            for n in &names {
                s = s.replace(
                    &format!("#/components/schemas/{n}\""),
                    &format!("#/components/schemas/{n}Copy{k}\""),
                );
            }
            serde_json::from_str(&s).unwrap()
        };
        for (name, schema) in &schemas {
            doc["components"]["schemas"][format!("{name}Copy{k}")] = rename(schema);
        }
        for (path, item) in &paths {
            let mut item = rename(item);
            if let Some(ops) = item.as_object_mut() {
                for op in ops.values_mut() {
                    if let Some(id) = op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                    {
                        op["operationId"] = json!(format!("{id}Copy{k}"));
                    }
                }
            }
            doc["paths"][format!("{path}/copy{k}")] = item;
        }
    }
    serde_json::to_string(&doc).unwrap()
}

fn regen(f: &mut Figures) {
    let text = read("spec/classroom.yaml");
    let time = |spec: &str, runs: usize| {
        let mut t = Vec::new();
        let mut lines = 0;
        for _ in 0..runs {
            let s = Instant::now();
            let g = classroom_codegen::generate(black_box(spec), "spec/classroom.yaml").unwrap();
            t.push(s.elapsed().as_secs_f64());
            lines = g.files.values().map(|c| c.lines().count()).sum::<usize>();
        }
        (median(t), lines)
    };
    let (real, lines) = time(&text, 11);
    let (x10, lines10) = time(&scaled_spec(&text, 10), 5);
    let (x100, lines100) = time(&scaled_spec(&text, 100), 3);
    f.set("regen.real_ms", real * 1e3);
    f.set("regen.real_generated_lines", lines as f64);
    f.set("regen.x10_ms", x10 * 1e3);
    f.set("regen.x10_generated_lines", lines10 as f64);
    f.set("regen.x100_ms", x100 * 1e3);
    f.set("regen.x100_generated_lines", lines100 as f64);
    f.set("regen.ratio_x100_over_x10", x100 / x10);
    let _ = Duration::ZERO;
}

// ---------------------------------------------------------------------------------------------
// Reading the vendor's documents (`cargo xtask docs-check`).

/// The 2026 MDX reference grown to at least `bytes` (and less than one section more) by repeating
/// its operation sections.
fn grown_reference(bytes: usize) -> String {
    let text = read("tests/fixtures/docs/classroom-api.2026-01-19.mdx");
    let start = text.find("### Create a classroom").unwrap();
    let end = text.find("## Status code").unwrap();
    let sections: Vec<&str> = text[start..end].split_inclusive("\n### ").collect();
    let mut out = text[..end].to_owned();
    for section in sections.iter().cycle() {
        if out.len() + (text.len() - end) >= bytes {
            break;
        }
        out.push_str(section);
    }
    out.push_str(&text[end..]);
    out
}

fn docs(f: &mut Figures) {
    let time = |name: &str, text: &str, runs: usize| {
        let mut t = Vec::new();
        for _ in 0..runs {
            let s = Instant::now();
            let model = classroom_codegen::docs::parse(name, black_box(text)).unwrap();
            t.push(s.elapsed().as_secs_f64());
            black_box(model);
        }
        median(t)
    };
    let kb200 = grown_reference(200 * 1024);
    let kb2000 = grown_reference(2000 * 1024);
    let x1 = time("mdx", &kb200, 11);
    let x10 = time("mdx", &kb2000, 3);
    f.set("docs_parse.mdx_200kb_ms", x1 * 1e3);
    f.set("docs_parse.mdx_200kb_bytes", kb200.len() as f64);
    f.set("docs_parse.ratio_2000kb_over_200kb", x10 / x1);
    let zh = read("spec/docs/classroom-restful-api.zh.md");
    let en = read("spec/docs/classroom-restful-api.en.txt");
    f.set("docs_parse.zh_md_ms", time("zh", &zh, 11) * 1e3);
    f.set("docs_parse.en_txt_ms", time("en", &en, 11) * 1e3);
}
