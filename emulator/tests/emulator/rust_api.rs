//! The emulator's own Rust API (users, injected events, fault rules) and its admin endpoints'
//! JSON, as the README shows them.

use std::time::Duration;

use classroom_api::types::UserRole;
use classroom_emulator::{Fault, FaultRule, InjectEvents, JoinUser};
use serde_json::{Value, json};

use crate::support::{REGION, assert_responses_match_spec, start};

async fn create(client: &classroom_api::Client, room: &str) {
    let body = classroom_api::types::CreateRoomRequest::new(
        room,
        classroom_api::types::RoomType::SmallClass,
    );
    client.create_room(room, &body).await.expect("createRoom");
}

#[tokio::test]
async fn a_user_joins_with_the_crates_role_in_rust_or_by_name_in_json() {
    let (emu, client) = start().await;
    create(&client, "r").await;
    emu.add_user(
        REGION.as_str(),
        "r",
        "t",
        JoinUser::new("Tess").role(UserRole::Teacher),
    )
    .expect("join");
    assert_eq!(
        client.get_user("r", "t").await.expect("getUser").role,
        Some(UserRole::Teacher)
    );
    // The admin endpoint takes the names the API accepts, as well as the integers.
    let url = format!("{}/_emulator/cn/rooms/r/users/a", emu.base_url());
    let http = reqwest::Client::new();
    let answer = http
        .put(&url)
        .json(&json!({"userName": "Al", "role": "assistant"}))
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), 200);
    assert_eq!(
        client.get_user("r", "a").await.expect("getUser").role,
        Some(UserRole::Assistant)
    );
    // A role no user can have is refused, in Rust and in JSON.
    let err = emu
        .add_user(
            REGION.as_str(),
            "r",
            "s",
            JoinUser::new("Sam").role(UserRole::Other("server".into())),
        )
        .unwrap_err();
    assert_eq!((err.status, err.code), (400, 400));
    assert!(
        err.msg
            .contains("role must be teacher (1), student (2) or assistant (3)"),
        "{err}"
    );
    let answer = http
        .put(&url)
        .json(&json!({"role": 7}))
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), 400);
    assert_responses_match_spec(&emu);
}

/// Each constructor gives what its JSON gives, defaults included.
#[track_caller]
fn check<T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(built: T, json: Value) {
    assert_eq!(
        built,
        serde_json::from_value::<T>(json).expect("the JSON decodes")
    );
}

#[test]
fn the_builders_give_what_the_json_gives() {
    check(
        Fault::latency(Duration::from_millis(250)),
        json!({"type": "latency", "ms": 250}),
    );
    check(
        Fault::unavailable(2),
        json!({"type": "unavailable", "retryAfter": 2}),
    );
    check(Fault::unavailable(0), json!({"type": "unavailable"}));
    check(Fault::drop_before_handling(), json!({"type": "drop"}));
    check(
        Fault::drop_after_handling(),
        json!({"type": "drop", "after": true}),
    );
    check(Fault::duplicate_batch(), json!({"type": "duplicateBatch"}));
    check(Fault::withhold_batch(), json!({"type": "withholdBatch"}));
    check(
        Fault::withhold_batch_for_redelivery(),
        json!({"type": "withholdBatch", "redeliver": true}),
    );
    check(
        Fault::rewrite("/data/x", json!(1)),
        json!({"type": "rewrite", "pointer": "/data/x", "value": 1}),
    );
    check(
        Fault::rewrite_status(207),
        json!({"type": "rewrite", "status": 207}),
    );
    check(
        FaultRule::new(Fault::drop_after_handling()),
        json!({"fault": {"type": "drop", "after": true}}),
    );
    check(
        FaultRule::new(Fault::duplicate_batch())
            .operation("pollAppEvents")
            .skip(1)
            .times(2),
        json!({"operation": "pollAppEvents", "skip": 1, "times": 2, "fault": {"type": "duplicateBatch"}}),
    );
    check(InjectEvents::new(3), json!({"cmd": 3}));
    check(
        InjectEvents::new(3).data(json!({"message": "hi"})).count(4),
        json!({"cmd": 3, "data": {"message": "hi"}, "count": 4}),
    );
    check(JoinUser::new("Ann"), json!({"userName": "Ann"}));
    check(
        JoinUser::new("Ann")
            .role(UserRole::Student)
            .stream_uuid("42"),
        json!({"userName": "Ann", "role": "student", "streamUuid": "42"}),
    );
}

#[tokio::test]
async fn built_events_and_faults_act_as_their_json_does() {
    let (emu, client) = start().await;
    create(&client, "r").await;
    let sequences = emu
        .inject_events(
            REGION.as_str(),
            "r",
            InjectEvents::new(3)
                .data(json!({"message": "m", "type": 1}))
                .count(3),
        )
        .expect("inject");
    assert_eq!(sequences.len(), 3);
    emu.add_fault(
        FaultRule::new(Fault::unavailable(0))
            .operation("listRoomEvents")
            .times(1),
    )
    .expect("rule");
    let err = client
        .list_room_events("r", &Default::default())
        .await
        .expect_err("the first listing is unavailable");
    assert_eq!(err.status(), Some(503), "{err:?}");
    let page = client
        .list_room_events("r", &Default::default())
        .await
        .expect("the rule is spent");
    let cmds: Vec<i64> = page
        .list
        .unwrap_or_default()
        .iter()
        .map(|e| e.cmd)
        .collect();
    assert_eq!(cmds.iter().filter(|&&c| c == 3).count(), 3, "{cmds:?}");
    assert_responses_match_spec(&emu);
}
