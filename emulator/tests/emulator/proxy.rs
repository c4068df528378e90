//! The validating proxy in front of the emulator, and the replay server fed by its recordings.

use std::io::Write;
use std::sync::{Arc, Mutex};

use classroom_api::operations::ListRoomEventsQuery;
use classroom_api::types::{
    CreateRoomRequest, RecordingMode, RecordingState, RoomState, RoomType, SetPropertiesRequest,
    SetRecordingStateRequest, WebRecordConfig,
};
use classroom_api::{Client, RetryPolicy};
use classroom_emulator::conformance::{Direction, DriftKind};
use classroom_emulator::{Emulator, Fault, FaultRule, JoinUser, Proxy, Replay};
use serde_json::{Value, json};

use crate::support::{REGION, app_token, obj, read};

const R: &str = "cn";

/// A `Write` the test can read afterwards.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().expect("lock").clone();
        String::from_utf8(bytes)
            .expect("UTF-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }
}

/// A client of `base_url` with the emulator's credentials, without retries.
fn client_of(emulator: &Emulator, base_url: &str) -> Client {
    let credentials =
        classroom_api::Credentials::app_certificate(emulator.certificate()).expect("certificate");
    Client::builder(emulator.app_id())
        .region(REGION)
        .credentials(credentials)
        .base_url(base_url)
        .retry(RetryPolicy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn the_proxy_reports_each_kind_of_difference_with_its_place() {
    let emulator = Emulator::start().await.expect("emulator");
    let lines = Shared::default();
    let proxy = Proxy::builder()
        .upstream(emulator.base_url())
        .json_lines(lines.clone())
        .start()
        .await
        .expect("proxy");
    let client = client_of(&emulator, proxy.base_url());

    // Conforming traffic: no difference.
    client
        .create_room(
            "p1",
            &CreateRoomRequest::new("Physics", RoomType::SmallClass),
        )
        .await
        .expect("create");
    client
        .set_room_state("p1", RoomState::Started)
        .await
        .expect("start");
    emulator
        .add_user(R, "p1", "ann", JoinUser::new("Ann"))
        .expect("join");
    client.get_user("p1", "ann").await.expect("getUser");
    assert_eq!(proxy.drifts(), Vec::new());

    // The upstream starts to answer what the spec does not describe.
    let rewrite = |op: &str, pointer: Option<&str>, value: Value, status: Option<u16>| {
        let fault = match (pointer, status) {
            (Some(p), None) => Fault::rewrite(p, value),
            (None, Some(s)) => Fault::rewrite_status(s),
            _ => Fault::Rewrite {
                pointer: pointer.map(str::to_owned),
                value,
                status,
            },
        };
        FaultRule::new(fault).operation(op).times(1)
    };
    emulator
        .add_fault(rewrite(
            "getUser",
            Some("/data/avatarUrl"),
            json!("https://x"),
            None,
        ))
        .expect("fault");
    client
        .get_user("p1", "ann")
        .await
        .expect("an extra field decodes");
    emulator
        .add_fault(rewrite("getUser", Some("/data/userName"), json!(42), None))
        .expect("fault");
    let err = client
        .get_user("p1", "ann")
        .await
        .expect_err("a number for a string fails to decode");
    assert_eq!(err.status(), Some(200), "{err}");
    emulator
        .add_fault(rewrite(
            "listRoomEvents",
            Some("/data/list/0/cmd"),
            json!(4242),
            None,
        ))
        .expect("fault");
    client
        .list_room_events("p1", &ListRoomEventsQuery::default())
        .await
        .expect("an unknown cmd decodes as an unknown event");
    emulator
        .add_fault(rewrite("setRoomState", None, Value::Null, Some(207)))
        .expect("fault");
    let _ = client.set_room_state("p1", RoomState::Ended).await;
    // A request no operation matches.
    let http = reqwest::Client::new();
    let (status, _, _) = read(
        http.get(format!(
            "{}/cn/edu/apps/{}/v2/nowhere",
            proxy.base_url(),
            emulator.app_id()
        ))
        .header(
            "authorization",
            format!("agora token={}", app_token(&emulator)),
        )
        .send()
        .await
        .expect("answer"),
    )
    .await;
    assert_eq!(status, 404);

    let drifts = proxy.drifts();
    let found: Vec<(Option<&str>, Direction, DriftKind, &str)> = drifts
        .iter()
        .map(|d| {
            (
                d.operation.as_deref(),
                d.direction,
                d.kind,
                d.pointer.as_str(),
            )
        })
        .collect();
    let expected = [
        (
            Some("getUser"),
            Direction::Response,
            DriftKind::UnknownField,
            "/data/avatarUrl",
        ),
        (
            Some("getUser"),
            Direction::Response,
            DriftKind::TypeMismatch,
            "/data/userName",
        ),
        (
            Some("listRoomEvents"),
            Direction::Response,
            DriftKind::UnknownEvent,
            "/data/list/0/cmd",
        ),
        (
            Some("setRoomState"),
            Direction::Response,
            DriftKind::UndocumentedStatus,
            "",
        ),
        (None, Direction::Request, DriftKind::UnknownOperation, ""),
    ];
    assert_eq!(found, expected, "{drifts:#?}");
    // Each names the value and the expectation.
    assert_eq!(drifts[1].value, json!(42));
    assert!(
        drifts[1].expected.contains("string"),
        "{}",
        drifts[1].expected
    );
    assert_eq!(drifts[2].value, json!(4242));
    assert!(drifts[3].to_string().contains("207"), "{}", drifts[3]);

    let summary = proxy.shutdown().await;
    assert_eq!((summary.calls, summary.drifts), (8, 5), "{summary}");
    assert_eq!(summary.operations["getUser"].calls, 3);
    assert_eq!(
        summary.operations["getUser"].drifts[&DriftKind::TypeMismatch],
        1
    );
    // The same, as JSON lines for tools: one line per difference, then the summary.
    let lines = lines.lines();
    assert_eq!(lines.len(), 6, "{lines:#?}");
    assert!(lines[..5].iter().all(|l| l["type"] == "drift"));
    assert_eq!(lines[1]["pointer"], "/data/userName");
    assert_eq!(lines[5]["type"], "summary");
    assert_eq!(lines[5]["summary"]["calls"], 8);
}

/// What a backend does: a class with a whiteboard, a recording, a user, events. The results as
/// text, to compare runs.
async fn script(client: &Client, emulator: Option<&Emulator>) -> Vec<String> {
    let mut out = Vec::new();
    let body = CreateRoomRequest::new("Chemistry", RoomType::SmallClass);
    out.push(format!("{:?}", client.create_room("c1", &body).await));
    let properties = obj(json!({"widgets": {"netlessBoard": {"state": 1, "extra": {
        "boardAppId": "BOARD-APP-SECRET", "boardId": "board-1", "boardToken": "NETLESSSDK_BOARD-SECRET"}}}}));
    out.push(format!(
        "{:?}",
        client
            .update_room_properties("c1", &SetPropertiesRequest::new(properties))
            .await
    ));
    out.push(format!(
        "{:?}",
        client.set_room_state("c1", RoomState::Started).await
    ));
    let recording = SetRecordingStateRequest::new()
        .with_mode(RecordingMode::Web)
        .with_web_record_config(WebRecordConfig::new(
            "https://example.com/record?userUuid=rec&rtmToken=RTM-SECRET-123&language=en",
        ));
    out.push(format!(
        "{:?}",
        client
            .set_recording_state("c1", RecordingState::Started, Some(&recording))
            .await
    ));
    if let Some(emulator) = emulator {
        emulator
            .add_user(R, "c1", "bob", JoinUser::new("Bob"))
            .expect("join");
    }
    out.push(format!("{:?}", client.get_user("c1", "bob").await));
    out.push(format!("{:?}", client.get_user("c1", "nobody").await));
    out.push(format!(
        "{:?}",
        client
            .list_room_events("c1", &ListRoomEventsQuery::default())
            .await
    ));
    // The same request twice, with different answers: replayed in order.
    out.push(format!(
        "{:?}",
        client.set_room_state("c1", RoomState::Ended).await
    ));
    out.push(format!(
        "{:?}",
        client.set_room_state("c1", RoomState::Ended).await
    ));
    out
}

#[tokio::test]
async fn recordings_keep_no_secret_and_replay_gives_the_same_results() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let proxy = Proxy::builder()
        .upstream(emulator.base_url())
        .record(dir.path())
        .start()
        .await
        .expect("proxy");
    let live = script(&client_of(&emulator, proxy.base_url()), Some(&emulator)).await;
    // A raw request with the legacy header and a token in the body, through the proxy.
    let token = app_token(&emulator);
    let _ = reqwest::Client::new()
        .put(format!(
            "{}/cn/edu/apps/{}/v2/rooms/c1/properties",
            proxy.base_url(),
            emulator.app_id()
        ))
        .header("x-agora-token", &token)
        .header("x-agora-uid", "1")
        .header("content-type", "application/json")
        .body(json!({"properties": {"note": format!("token {token}")}}).to_string())
        .send()
        .await
        .expect("answer");
    proxy.shutdown().await;
    assert!(live[0].starts_with("Ok("), "{live:?}");
    assert!(live[5].starts_with("Err("), "{live:?}");

    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("name"))
        .collect();
    files.sort();
    for op in [
        "createRoom",
        "getUser",
        "listRoomEvents",
        "setRecordingState",
        "setRoomState",
    ] {
        assert!(files.contains(&format!("{op}.jsonl")), "{files:?}");
    }
    let mut all = String::new();
    for f in &files {
        all.push_str(&std::fs::read_to_string(dir.path().join(f)).expect("read"));
    }
    for secret in [
        token.as_str(),
        &token[..40],
        emulator.certificate(),
        "BOARD-APP-SECRET",
        "NETLESSSDK_BOARD-SECRET",
        "RTM-SECRET-123",
        "agora token=0",
    ] {
        assert!(!all.contains(secret), "{secret:?} reached the recordings");
    }
    assert!(all.contains("[scrubbed]"));

    // Replay: the same script gets the same results, offline.
    let replay = Replay::start(dir.path(), "127.0.0.1", 0)
        .await
        .expect("replay");
    let replayed = script(&client_of(&emulator, replay.base_url()), None).await;
    assert_eq!(replayed, live);
    // With other credentials too: requests are matched by method, path and body.
    let client = Client::builder(emulator.app_id())
        .region(REGION)
        .credentials(
            classroom_api::Credentials::app_certificate("11111111111111111111111111111111")
                .expect("certificate"),
        )
        .base_url(replay.base_url())
        .build()
        .expect("client");
    assert_eq!(format!("{:?}", client.get_user("c1", "bob").await), live[4]);
}

#[tokio::test]
async fn replay_answers_501_naming_a_request_it_has_no_recording_of() {
    let dir = tempfile::tempdir().expect("temp dir");
    let replay = Replay::start(dir.path(), "127.0.0.1", 0)
        .await
        .expect("replay");
    let (status, _, body) = read(
        reqwest::Client::new()
            .put(format!(
                "{}/cn/edu/apps/a/v2/rooms/r/states/1",
                replay.base_url()
            ))
            .body(r#"{"x": 1}"#)
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!(status, 501);
    let msg = body["msg"].as_str().expect("msg");
    assert!(
        msg.contains("PUT /cn/edu/apps/a/v2/rooms/r/states/1") && msg.contains(r#"{"x":1}"#),
        "{msg}"
    );
    // A broken recording is an error that names its file and line.
    std::fs::write(dir.path().join("getUser.jsonl"), "{not json\n").expect("write");
    let err = Replay::start(dir.path(), "127.0.0.1", 0)
        .await
        .expect_err("a broken file");
    assert!(err.to_string().contains("getUser.jsonl:1"), "{err}");
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_that_says_so() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let proxy = Proxy::builder()
        .upstream(format!("http://127.0.0.1:{port}"))
        .start()
        .await
        .expect("proxy");
    let (status, _, body) = read(
        reqwest::get(format!(
            "{}/cn/edu/apps/a/v2/rooms/r/users/u",
            proxy.base_url()
        ))
        .await
        .expect("answer"),
    )
    .await;
    assert_eq!(status, 502);
    assert!(
        body["msg"]
            .as_str()
            .is_some_and(|m| m.contains("no answer from the upstream")),
        "{body}"
    );
    assert!(Proxy::builder().upstream("ftp://x").start().await.is_err());
}
