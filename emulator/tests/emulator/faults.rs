//! Fault injection, driven with plain client calls: latency, 503 with Retry-After, dropped
//! connections (before and after the request took effect), duplicated and withheld polling
//! batches.

use std::time::{Duration, Instant};

use classroom_api::error_codes::ErrorCode;
use classroom_api::operations::ListRoomEventsQuery;
use classroom_api::types::{CreateRoomRequest, RoomState, RoomType};
use classroom_api::{Client, Error, RetryPolicy};
use classroom_emulator::{Emulator, Fault, FaultRule, InjectEvents};
use serde_json::{Value, json};

use crate::support::{admin_url, assert_responses_match_spec, client, raw, read, room_path, start};

const R: &str = "cn";

async fn room_with_events(emu: &Emulator, client: &Client, room: &str, extra: u32) {
    let body = CreateRoomRequest::new(room, RoomType::SmallClass);
    client.create_room(room, &body).await.expect("create");
    client
        .set_room_state(room, RoomState::Started)
        .await
        .expect("start");
    if extra > 0 {
        emu.inject_events(
            R,
            room,
            InjectEvents {
                cmd: 3,
                data: json!({"message": "m", "type": 1}),
                count: extra,
            },
        )
        .expect("inject");
    }
}

fn sequences(events: &[classroom_api::events::Event]) -> Vec<i64> {
    events.iter().map(|e| e.sequence).collect()
}

#[track_caller]
fn is_transport(err: &Error) -> bool {
    matches!(err, Error::Transport { .. })
}

#[tokio::test]
async fn latency_slows_matching_requests_only() {
    let (emu, client) = start().await;
    emu.add_fault(
        FaultRule::new(Fault::Latency { ms: 300 })
            .operation("getUser")
            .times(1),
    )
    .expect("rule");
    let started = Instant::now();
    let _ = client.get_user("r", "u").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    let _ = client.get_user("r", "u").await;
    let _ = client.list_resources("r").await;
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "spent after one request"
    );
    assert_eq!(emu.faults()[0].applied, 1);
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn unavailable_answers_503_with_retry_after_and_the_sdk_retries() {
    let (emu, none) = start().await;
    emu.add_fault(
        FaultRule::new(Fault::Unavailable { retry_after: 1 })
            .operation("getUser")
            .times(2),
    )
    .expect("rule");
    let (status, retry_after, body) = raw(
        &emu,
        "GET",
        &format!("{}/users/u", room_path(&emu, "r")),
        None,
    )
    .await;
    assert_eq!(
        (status, retry_after.as_deref(), body["code"].as_i64()),
        (503, Some("1"), Some(503))
    );
    // The SDK waits the Retry-After second, then the next attempt reaches the handler.
    let retrying = client(&emu, RetryPolicy::default());
    let started = Instant::now();
    let err = retrying.get_user("r", "u").await.expect_err("no such room");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(err.code(), Some(ErrorCode::RoomNotFound));
    assert_eq!(emu.faults()[0].applied, 2);
    // Without retries the 503 comes back as a retryable error.
    emu.add_fault(FaultRule::new(Fault::Unavailable { retry_after: 0 }).times(1))
        .expect("rule");
    let err = none.list_resources("r").await.expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn skip_lets_requests_through_first() {
    let (emu, client) = start().await;
    emu.add_fault(
        FaultRule::new(Fault::Unavailable { retry_after: 0 })
            .operation("listResources")
            .skip(2)
            .times(1),
    )
    .expect("rule");
    let statuses: Vec<Option<u16>> = futures_in_order(&client, 4).await;
    assert_eq!(statuses, [Some(404), Some(404), Some(503), Some(404)]);
    assert_responses_match_spec(&emu);
}

async fn futures_in_order(client: &Client, n: usize) -> Vec<Option<u16>> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            client
                .list_resources("r")
                .await
                .err()
                .and_then(|e| e.status()),
        );
    }
    out
}

#[tokio::test]
async fn a_connection_dropped_before_handling_changes_nothing() {
    let (emu, client) = start().await;
    emu.add_fault(
        FaultRule::new(Fault::Drop { after: false })
            .operation("createRoom")
            .times(1),
    )
    .expect("rule");
    let body = CreateRoomRequest::new("dropped", RoomType::SmallClass);
    let err = client.create_room("d", &body).await.expect_err("dropped");
    assert!(is_transport(&err), "{err:?}");
    assert!(emu.room(R, "d").is_err(), "the room was not created");
    client
        .create_room("d", &body)
        .await
        .expect("the next one goes through");
    assert!(emu.room(R, "d").is_ok());
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn a_connection_dropped_after_handling_loses_only_the_answer() {
    let (emu, client) = start().await;
    room_with_events(&emu, &client, "d", 0).await;
    emu.add_fault(
        FaultRule::new(Fault::Drop { after: true })
            .operation("setRoomState")
            .times(1),
    )
    .expect("rule");
    let err = client
        .set_room_state("d", RoomState::Ended)
        .await
        .expect_err("dropped");
    assert!(is_transport(&err), "{err:?}");
    assert_eq!(
        emu.room(R, "d").expect("room")["state"],
        2,
        "the change happened"
    );
    // A retrying client repeats the request, and the repeat meets the changed state.
    emu.add_fault(
        FaultRule::new(Fault::Drop { after: true })
            .operation("setRoomState")
            .times(1),
    )
    .expect("rule");
    let retrying = client_retrying(&emu);
    let err = retrying
        .set_room_state("d", RoomState::Closed)
        .await
        .expect_err("repeated");
    assert_eq!(err.code(), Some(ErrorCode::RoomEnded));
    // Answers lost to a dropped connection are not in the log: the start and the repeat are.
    let logged: Vec<u16> = emu
        .responses()
        .iter()
        .filter(|r| r.operation.as_deref() == Some("setRoomState"))
        .map(|r| r.status)
        .collect();
    assert_eq!(logged, [200, 410]);
    assert_responses_match_spec(&emu);
}

fn client_retrying(emu: &Emulator) -> Client {
    client(emu, RetryPolicy::default())
}

#[tokio::test]
async fn a_polling_batch_can_be_duplicated() {
    let (emu, client) = start().await;
    room_with_events(&emu, &client, "p", 4).await;
    emu.add_fault(
        FaultRule::new(Fault::DuplicateBatch)
            .operation("pollAppEvents")
            .times(1),
    )
    .expect("rule");
    let first = client.poll_app_events().await.expect("poll");
    let second = client.poll_app_events().await.expect("poll");
    assert_eq!(sequences(&first), [1, 2, 3, 4, 5]);
    assert_eq!(sequences(&second), [1, 2, 3, 4, 5], "delivered again");
    assert!(client.poll_app_events().await.expect("poll").is_empty());
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn a_withheld_batch_is_lost_to_polling_but_listed_by_the_room() {
    let (emu, client) = start().await;
    // An empty poll does not spend a batch fault.
    emu.add_fault(
        FaultRule::new(Fault::WithholdBatch { redeliver: false })
            .operation("pollAppEvents")
            .times(1),
    )
    .expect("rule");
    assert!(client.poll_app_events().await.expect("poll").is_empty());
    room_with_events(&emu, &client, "w", 2).await;
    assert!(
        client.poll_app_events().await.expect("poll").is_empty(),
        "withheld"
    );
    assert!(
        client.poll_app_events().await.expect("poll").is_empty(),
        "and lost"
    );
    client
        .set_room_state("w", RoomState::Ended)
        .await
        .expect("end");
    let later = client.poll_app_events().await.expect("poll");
    assert_eq!(sequences(&later), [4], "a gap: 1 to 3 never came");
    let page = client
        .list_room_events("w", &ListRoomEventsQuery::default())
        .await
        .expect("list");
    assert_eq!(sequences(&page.list.unwrap_or_default()), [1, 2, 3, 4]);
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn a_withheld_batch_can_be_redelivered_later() {
    let (emu, client) = start().await;
    room_with_events(&emu, &client, "w", 1).await;
    emu.add_fault(
        FaultRule::new(Fault::WithholdBatch { redeliver: true })
            .operation("pollAppEvents")
            .times(2),
    )
    .expect("rule");
    assert!(client.poll_app_events().await.expect("poll").is_empty());
    assert!(client.poll_app_events().await.expect("poll").is_empty());
    assert_eq!(
        sequences(&client.poll_app_events().await.expect("poll")),
        [1, 2]
    );
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn a_poll_dropped_after_handling_loses_its_batch_and_before_does_not() {
    let (emu, client) = start().await;
    room_with_events(&emu, &client, "x", 1).await;
    emu.add_fault(
        FaultRule::new(Fault::Drop { after: false })
            .operation("pollAppEvents")
            .times(1),
    )
    .expect("rule");
    assert!(is_transport(
        &client.poll_app_events().await.expect_err("dropped")
    ));
    emu.add_fault(
        FaultRule::new(Fault::Drop { after: true })
            .operation("pollAppEvents")
            .times(1),
    )
    .expect("rule");
    assert!(is_transport(
        &client.poll_app_events().await.expect_err("dropped")
    ));
    assert!(
        client.poll_app_events().await.expect("poll").is_empty(),
        "consumed by the lost answer"
    );
    let page = client
        .list_room_events("x", &ListRoomEventsQuery::default())
        .await
        .expect("list");
    assert_eq!(page.count, Some(2), "still listed by the room");
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn a_503_on_polling_loses_nothing() {
    let (emu, _) = start().await;
    let retrying = client_retrying(&emu);
    room_with_events(&emu, &retrying, "y", 3).await;
    emu.add_fault(
        FaultRule::new(Fault::Unavailable { retry_after: 0 })
            .operation("pollAppEvents")
            .times(2),
    )
    .expect("rule");
    // pollAppEvents hands each event out once, so the spec marks it `x-idempotent: false`: the
    // client does not repeat it on its own; the caller (the poller) decides when to poll again.
    for applied in 1..=2 {
        let err = retrying.poll_app_events().await.expect_err("a 503");
        assert_eq!(err.status(), Some(503));
        assert_eq!(emu.faults()[0].applied, applied, "one attempt per call");
    }
    let events = retrying.poll_app_events().await.expect("after two 503s");
    assert_eq!(sequences(&events), [1, 2, 3, 4]);
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn rules_come_from_the_builder_and_the_admin_endpoint() {
    let emu = Emulator::builder()
        .fault(FaultRule::new(Fault::Unavailable { retry_after: 2 }).times(1))
        .record_responses(true)
        .start()
        .await
        .expect("start");
    let client = client(&emu, RetryPolicy::none());
    assert_eq!(
        client.list_resources("r").await.expect_err("503").status(),
        Some(503)
    );

    let http = reqwest::Client::new();
    let rule = json!({"operation": "listResources", "times": 1, "fault": {"type": "unavailable", "retryAfter": 3}});
    let (status, _, body) = read(
        http.post(admin_url(&emu, "/faults"))
            .json(&rule)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 200);
    let id = body["data"]["id"].as_u64().expect("an id");
    let (_, _, list) = read(
        http.get(admin_url(&emu, "/faults"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(list["data"][1]["fault"]["type"], "unavailable");
    let (status, _, _) = read(
        http.delete(admin_url(&emu, &format!("/faults/{id}")))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = read(
        http.delete(admin_url(&emu, &format!("/faults/{id}")))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        client.list_resources("r").await.expect_err("404").status(),
        Some(404),
        "removed"
    );

    for bad in [
        json!({"operation": "noSuchOperation", "fault": {"type": "latency", "ms": 1}}),
        json!({"operation": "getUser", "fault": {"type": "duplicateBatch"}}),
        json!({"fault": {"type": "explode"}}),
        json!([]),
    ] {
        let (status, _, body) = read(
            http.post(admin_url(&emu, "/faults"))
                .json(&bad)
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!((status, body["code"].as_i64()), (400, Some(400)), "{bad}");
    }
    let (status, _, _) = read(
        http.delete(admin_url(&emu, "/faults"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(emu.faults().is_empty());
    // Admin endpoints are never faulted.
    emu.add_fault(FaultRule::new(Fault::Drop { after: false }))
        .expect("rule");
    let (status, _, info): (u16, _, Value) = read(
        http.get(admin_url(&emu, "/info"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!((status, info["data"]["faults"].as_u64()), (200, Some(1)));
    assert!(is_transport(
        &client.list_resources("r").await.expect_err("dropped")
    ));
    emu.clear_faults();
    assert_responses_match_spec(&emu);
}
