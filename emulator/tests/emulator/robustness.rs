//! Odd requests: malformed JSON, wrong types, encoded ids, unknown paths, the paths the spec
//! makes easy to confuse, and a fuzz of random bodies. Every answer is the envelope.

use classroom_api::RetryPolicy;
use classroom_api::operations::{ListPopupQuizEventsQuery, ListWidgetEventsQuery};
use classroom_api::types::{
    CreateRoomRequest, RoomType, SetPropertiesRequest, UpdateWidgetRequest,
};
use classroom_emulator::{JoinUser, OPERATIONS};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::support::{admin_url, assert_responses_match_spec, obj, raw, read, room_path, start};

#[tokio::test]
async fn malformed_or_mistyped_bodies_are_400_with_the_envelope() {
    let (emu, _) = start().await;
    let url = room_path(&emu, "r");
    for body in [
        "{",
        "not json",
        "[1,2",
        "\u{0}",
        "{\"roomName\": 5, \"roomType\": 4}",
        "{\"roomType\": 4}",
        "[]",
        "42",
    ] {
        let (status, _, reply) = raw(&emu, "POST", &url, Some(body)).await;
        assert_eq!(
            (status, reply["code"].as_i64()),
            (400, Some(400)),
            "{body:?} → {reply}"
        );
        assert!(reply["msg"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (status, _, _) = raw(&emu, "POST", &url, None).await;
    assert_eq!(status, 400, "createRoom needs a body");
    let (status, _, _) = raw(
        &emu,
        "POST",
        &url,
        Some(r#"{"roomName": "ok", "roomType": "4"}"#),
    )
    .await;
    assert_eq!(status, 200, "roomType as the table's string");
    let (status, _, reply) = raw(&emu, "PUT", &format!("{url}/states/7"), None).await;
    assert_eq!((status, reply["code"].as_i64()), (400, Some(400)));
    let (status, _, _) = raw(
        &emu,
        "PUT",
        &format!("{url}/properties"),
        Some(r#"{"properties": [1]}"#),
    )
    .await;
    assert_eq!(status, 400);
    let deep = format!(r#"{{"properties": {{"{}": 1}}}}"#, vec!["a"; 40].join("."));
    let (status, _, _) = raw(&emu, "PUT", &format!("{url}/properties"), Some(&deep)).await;
    assert_eq!(status, 400, "key paths are at most 32 parts deep");
    let huge = format!(
        "{{\"properties\": {{\"k\": \"{}\"}}}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let (status, _, _) = raw(&emu, "PUT", &format!("{url}/properties"), Some(&huge)).await;
    assert_eq!(status, 400);
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn ids_arrive_percent_encoded_and_are_decoded() {
    let (emu, client) = start().await;
    let room = "a b#c?d%e&f+g[h]{i}|~,";
    let body = CreateRoomRequest::new("odd", RoomType::SmallClass);
    client.create_room(room, &body).await.expect("create");
    emu.add_user("cn", room, "user #1?", JoinUser::new("One"))
        .expect("join");
    let user = client.get_user(room, "user #1?").await.expect("getUser");
    assert_eq!(user.user_uuid.as_deref(), Some("user #1?"));
    let snapshot = emu.room("cn", room).expect("the decoded uuid");
    assert_eq!(snapshot["roomUuid"], room);
    // Over HTTP the admin endpoints decode too.
    let encoded = "a%20b%23c%3Fd%25e%26f%2Bg%5Bh%5D%7Bi%7D%7C~%2C";
    let (status, _, reply) = read(
        reqwest::get(admin_url(&emu, &format!("/cn/rooms/{encoded}")))
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(
        (status, reply["data"]["roomUuid"].as_str()),
        (200, Some(room))
    );
    // Characters outside the documented set are refused.
    let (status, _, reply) = raw(
        &emu,
        "POST",
        &room_path(&emu, "caf%C3%A9"),
        Some(r#"{"roomName":"x","roomType":4}"#),
    )
    .await;
    assert_eq!((status, reply["code"].as_i64()), (400, Some(400)));
    let (status, _, _) = raw(
        &emu,
        "POST",
        &room_path(&emu, "bad%FFutf8"),
        Some(r#"{"roomName":"x","roomType":4}"#),
    )
    .await;
    assert_eq!(status, 400);
    let long = "x".repeat(65);
    let (status, _, _) = raw(
        &emu,
        "POST",
        &room_path(&emu, &long),
        Some(r#"{"roomName":"x","roomType":4}"#),
    )
    .await;
    assert_eq!(status, 400);
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn unknown_paths_methods_and_regions_answer_the_envelope() {
    let (emu, _) = start().await;
    let base = emu.base_url().to_owned();
    let (status, _, reply) = raw(&emu, "GET", &format!("{base}/nowhere"), None).await;
    assert_eq!((status, reply["code"].as_i64()), (404, Some(404)));
    let (status, _, reply) = raw(
        &emu,
        "DELETE",
        &format!("{}/records/states/0", room_path(&emu, "r")),
        Some("{}"),
    )
    .await;
    assert_eq!((status, reply["code"].as_i64()), (405, Some(405)));
    // updateRecording's state is always 1.
    let (status, _, reply) = raw(
        &emu,
        "PATCH",
        &format!("{}/records/states/0", room_path(&emu, "r")),
        Some("{}"),
    )
    .await;
    assert_eq!((status, reply["code"].as_i64()), (400, Some(400)));
    let (status, _, reply) = raw(
        &emu,
        "DELETE",
        &room_path(&emu, "r").replace("/cn/", "/mars/"),
        None,
    )
    .await;
    assert_eq!(
        (status, reply["code"].as_i64()),
        (405, Some(405)),
        "DELETE on the room path"
    );
    let (status, _, reply) = raw(
        &emu,
        "GET",
        &format!(
            "{}/sequences",
            room_path(&emu, "r").replace("/cn/", "/mars/")
        ),
        None,
    )
    .await;
    assert_eq!(
        (status, reply["code"].as_i64()),
        (400, Some(400)),
        "unknown region"
    );
    let (status, _, _) = read(
        reqwest::get(admin_url(&emu, "/nothing/here"))
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 404);
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn the_paths_the_spec_makes_easy_to_confuse() {
    let (emu, client) = start().await;
    let url = room_path(&emu, "c");
    let (status, _, _) = raw(&emu, "POST", &url, Some(r#"{"roomName":"c","roomType":2}"#)).await;
    assert_eq!(status, 200);
    // PUT on the literal .../records/states/1 is setRecordingState; PATCH is updateRecording.
    let (status, _, reply) = raw(&emu, "PUT", &format!("{url}/records/states/1"), None).await;
    assert_eq!(status, 200);
    assert_eq!(reply["data"]["state"], 1);
    let (status, _, _) = raw(
        &emu,
        "PATCH",
        &format!("{url}/records/states/1"),
        Some(r#"{"webRecordConfig":{"onhold":true}}"#),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, reply) = raw(&emu, "PUT", &format!("{url}/records/states/%31"), None).await;
    assert_eq!(
        (status, reply["code"].as_i64()),
        (409, Some(30409411)),
        "an encoded 1 is the {{state}} route"
    );
    // A widget may be called popupQuiz or poll: its own routes still work.
    let body = UpdateWidgetRequest::new().with_extra(obj(json!({"k": 1})));
    client
        .update_widget("c", "popupQuiz", &body)
        .await
        .expect("updateWidget popupQuiz");
    client
        .update_widget("c", "popupQuizzes", &body)
        .await
        .expect("updateWidget popupQuizzes");
    emu.add_user("cn", "c", "u", JoinUser::default())
        .expect("join");
    client
        .update_widget_user_properties(
            "c",
            "poll",
            "u",
            &SetPropertiesRequest::new(obj(json!({"a": 1}))),
        )
        .await
        .expect("widget user properties of poll");
    let quiz = client
        .list_popup_quiz_events("c", &ListPopupQuizEventsQuery::default())
        .await
        .expect("quiz");
    assert_eq!(quiz.count, Some(1));
    let quizzes = client
        .list_widget_events("c", "popupQuizzes", &ListWidgetEventsQuery::default())
        .await
        .expect("widget events");
    assert_eq!(quizzes.count, Some(1));
    let ops: Vec<String> = emu
        .responses()
        .into_iter()
        .filter_map(|r| r.operation)
        .collect();
    for op in [
        "setRecordingState",
        "updateRecording",
        "updateWidget",
        "updateWidgetUserProperties",
        "listPopupQuizEvents",
        "listWidgetEvents",
    ] {
        assert!(ops.iter().any(|o| o == op), "{op} answered");
    }
    assert_responses_match_spec(&emu);
}

/// Random bodies (JSON fragments and bytes) to every operation: never a crash, always the
/// envelope, always a documented status.
#[tokio::test]
async fn random_bodies_never_break_the_emulator() {
    let (emu, client) = start().await;
    client
        .create_room("f", &CreateRoomRequest::new("fuzz", RoomType::SmallClass))
        .await
        .expect("create");
    emu.add_user("cn", "f", "u", JoinUser::default())
        .expect("join");
    let room = room_path(&emu, "f");
    let v1 = room.replace("/v2/", "/v1/");
    let targets = [
        ("POST", room.clone()),
        ("PUT", format!("{room}/states/1")),
        ("PUT", format!("{room}/properties")),
        ("DELETE", format!("{room}/properties")),
        ("PUT", format!("{room}/groups/states/1")),
        ("PUT", format!("{room}/users/u/properties")),
        ("DELETE", format!("{room}/users/u/properties")),
        ("POST", format!("{room}/users/u/exit")),
        ("PUT", format!("{room}/records/states/1")),
        ("PUT", format!("{room}/records/states/0")),
        ("PATCH", format!("{room}/records/states/1")),
        ("PUT", format!("{room}/widgets/w")),
        ("DELETE", format!("{room}/widgets/w")),
        ("DELETE", format!("{room}/widgets/w/extra")),
        ("PUT", format!("{room}/widgets/w/users/u")),
        ("DELETE", format!("{room}/widgets/w/users/u")),
        ("PUT", format!("{v1}/resources/r")),
        ("DELETE", format!("{v1}/resources")),
        ("PUT", format!("{room}/extApps/e/properties")),
        ("DELETE", format!("{room}/extApps/e/properties")),
        ("GET", format!("{room}/sequences?nextId=abc&cmd=x")),
        ("GET", format!("{room}/widgets/poll/sequences?count=-5")),
    ];
    let fragments = [
        "null",
        "true",
        "0",
        "-1",
        "1e400",
        "\"s\"",
        "[]",
        "{}",
        "[null]",
        "{\"a\":{}}",
        "18446744073709551616",
        "\"\u{1F600}\"",
        "1.5",
    ];
    let keys = [
        "properties",
        "cause",
        "roomName",
        "roomType",
        "roomProperties",
        "schedule",
        "dirty",
        "state",
        "duration",
        "groups",
        "users",
        "userUuid",
        "mode",
        "webRecordConfig",
        "rootUrl",
        "onhold",
        "publishRtmp",
        "videoWidth",
        "extra",
        "ownerUserUuid",
        "size",
        "ext",
        "url",
        "resourceUuids",
        "common",
        "conversion",
        "a.b",
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let mut answered = 0;
    for i in 0..400 {
        let (method, url) = &targets[rng.random_range(0..targets.len())];
        let body = if i % 10 == 9 {
            (0..rng.random_range(1..40))
                .map(|_| char::from(rng.random_range(0u8..128)))
                .collect()
        } else {
            random_json(&mut rng, &keys, &fragments, 3)
        };
        let (status, _, reply) = raw(&emu, method, url, Some(&body)).await;
        assert!(
            [200, 400, 403, 404, 409, 410].contains(&status),
            "{method} {url} {body} → {status} {reply}"
        );
        assert!(reply["code"].is_i64() && reply["ts"].is_i64(), "{reply}");
        answered += 1;
    }
    assert_eq!(answered, 400);
    assert!(OPERATIONS.len() == 28);
    let _ = client.poll_app_events().await.expect("still serving");
    assert_responses_match_spec(&emu);
}

fn random_json(
    rng: &mut rand::rngs::StdRng,
    keys: &[&str],
    fragments: &[&str],
    depth: u32,
) -> String {
    if depth == 0 || rng.random_range(0..3) == 0 {
        return fragments[rng.random_range(0..fragments.len())].to_owned();
    }
    if rng.random_range(0..4) == 0 {
        let items: Vec<String> = (0..rng.random_range(0..3))
            .map(|_| random_json(rng, keys, fragments, depth - 1))
            .collect();
        return format!("[{}]", items.join(","));
    }
    let fields: Vec<String> = (0..rng.random_range(0..5))
        .map(|_| {
            let key = keys[rng.random_range(0..keys.len())];
            format!(
                "{}:{}",
                Value::from(key),
                random_json(rng, keys, fragments, depth - 1)
            )
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

#[tokio::test]
async fn reset_forgets_everything() {
    let (emu, client) = start().await;
    client
        .create_room("z", &CreateRoomRequest::new("z", RoomType::SmallClass))
        .await
        .expect("create");
    let (status, _, _) = read(
        reqwest::Client::new()
            .post(admin_url(&emu, "/reset"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(emu.room("cn", "z").is_err());
    assert!(emu.responses().is_empty());
    let retrying = crate::support::client(&emu, RetryPolicy::none());
    assert!(retrying.get_user("z", "u").await.is_err());
}

#[tokio::test]
async fn what_the_spec_rules_out_is_refused() {
    let (emu, client) = start().await;
    client
        .create_room("s", &CreateRoomRequest::new("s", RoomType::SmallClass))
        .await
        .expect("create");
    let room = room_path(&emu, "s");
    let v1_room = room.replace("/v2/", "/v1/");
    for (method, url, body) in [
        // One scalar per query parameter.
        ("GET", format!("{room}/sequences?cmd=1&cmd=20"), None),
        // count is a 32-bit integer of at least 1.
        (
            "GET",
            format!("{room}/widgets/poll/sequences?count=2147483648"),
            None,
        ),
        (
            "GET",
            format!("{room}/widgets/poll/sequences?count=0"),
            None,
        ),
        // Resource ids are ids.
        (
            "DELETE",
            format!("{v1_room}/resources"),
            Some(r#"{"resourceUuids": ["a/b"]}"#),
        ),
        // A query integer is not empty.
        ("GET", format!("{room}/sequences?cmd="), None),
        // A body of the spec's type: an object, not an array of its fields.
        (
            "PUT",
            format!("{room}/extApps/app/properties"),
            Some("[null, null]"),
        ),
        // Group members are user ids, whether groups open (1) or close (0).
        (
            "PUT",
            format!("{room}/groups/states/1"),
            Some(r#"{"groups": [{"users": [{"userUuid": "a/b"}]}]}"#),
        ),
        (
            "PUT",
            format!("{room}/groups/states/0"),
            Some(r#"{"groups": [{"users": [{"userUuid": "\u00d7"}]}]}"#),
        ),
        // An optional body is left out, not null.
        ("PUT", format!("{room}/records/states/1"), Some("null")),
        // So is every optional member that the spec does not make nullable.
        (
            "PUT",
            format!("{v1_room}/resources/r1"),
            Some(
                r#"{"resourceName": "r", "size": 1, "ext": "ppt", "url": "https://e.test/r", "conversion": null}"#,
            ),
        ),
        (
            "PUT",
            format!("{room}/extApps/app/properties"),
            Some(r#"{"common": {"state": null}}"#),
        ),
        (
            "PUT",
            format!("{room}/extApps/app/properties"),
            Some(r#"{"common": null}"#),
        ),
        (
            "PUT",
            format!("{room}/extApps/app/properties"),
            Some(r#"{"properties": null}"#),
        ),
        (
            "PUT",
            format!("{v1_room}/resources/r1"),
            Some(r#"{"resourceName": null, "size": 1, "ext": "ppt", "url": "https://e.test/r"}"#),
        ),
    ] {
        let (status, _, reply) = raw(&emu, method, &url, body).await;
        assert_eq!(
            (status, reply["code"].as_i64()),
            (400, Some(400)),
            "{method} {url} {body:?}: {reply}"
        );
    }
    assert_responses_match_spec(&emu);
}
