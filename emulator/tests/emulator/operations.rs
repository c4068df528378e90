//! Every operation through the SDK: state transitions, documented error codes, events.

use std::collections::BTreeSet;
use std::time::Duration;

use classroom_api::error_codes::ErrorCode;
use classroom_api::events::{Event, EventPayload};
use classroom_api::operations::{
    CreateRoomOutcome, ListPollEventsQuery, ListPopupQuizEventsQuery, ListRecordingsQuery,
    ListRoomEventsQuery, ListWidgetEventsQuery,
};
use classroom_api::types::{
    CreateRoomRequest, DeletePropertiesRequest, DeleteResourcesRequest, DeleteWidgetRequest,
    ExtAppCommon, ExtAppState, Group, GroupState, GroupUser, HandsUpProcess, KickDirty, KickState,
    KickUserRequest, NetlessBoardWidget, PutResourceRequest, RecordingMode, RecordingState, Region,
    RoomProcesses, RoomProperties, RoomSchedule, RoomState, RoomType, RoomWidgets,
    SetGroupStateRequest, SetPropertiesRequest, SetRecordingStateRequest,
    UpdateExtAppPropertiesRequest, UpdateRecordingRequest, UpdateWebRecordConfig,
    UpdateWidgetRequest, UserOnlineState, UserRole, WebRecordConfig, WidgetState,
};
use classroom_api::{Client, Error};
use classroom_emulator::{Emulator, InjectEvents, JoinUser, OPERATIONS};
use serde_json::json;

use crate::support::{REGION, assert_responses_match_spec, obj, start};

const R: &str = "cn";

/// The business code of a failed call.
#[track_caller]
fn code<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrorCode {
    let err = result.expect_err("the call fails");
    err.code()
        .unwrap_or_else(|| panic!("not a business error: {err:?}"))
}

async fn create(client: &Client, room: &str) {
    let body = CreateRoomRequest::new(format!("name of {room}"), RoomType::SmallClass);
    client.create_room(room, &body).await.expect("createRoom");
}

/// Every event of a room, following nextId.
async fn all_events(client: &Client, room: &str) -> Vec<Event> {
    let mut out = Vec::new();
    let mut query = ListRoomEventsQuery::default();
    loop {
        let page = client
            .list_room_events(room, &query)
            .await
            .expect("listRoomEvents");
        out.extend(page.list.unwrap_or_default());
        match page.next_id {
            Some(next) => query = ListRoomEventsQuery::default().next_id(next),
            None => return out,
        }
    }
}

fn cmds(events: &[Event]) -> Vec<i64> {
    events.iter().map(|e| e.cmd).collect()
}

#[tokio::test]
async fn a_tour_of_all_28_operations() {
    let (emu, client) = start().await;
    let room = "tour room";
    create(&client, room).await;
    client.get_room(room).await.expect("getRoom");
    client
        .set_room_state(room, RoomState::Started)
        .await
        .expect("setRoomState");
    client
        .update_room_properties(
            room,
            &SetPropertiesRequest::new(obj(json!({"a.b": 1, "c": 2}))),
        )
        .await
        .expect("updateRoomProperties");
    client
        .delete_room_properties(room, &DeletePropertiesRequest::new(vec!["c".into()]))
        .await
        .expect("deleteRoomProperties");
    let groups = SetGroupStateRequest::new(vec![
        Group::new(vec![GroupUser::new("u1")]).with_group_name("G1"),
    ]);
    client
        .set_group_state(room, GroupState::On, Some(&groups))
        .await
        .expect("setGroupState");
    emu.add_user(R, room, "u1", JoinUser::new("Ann").role(UserRole::Student))
        .expect("join");
    let user = client.get_user(room, "u1").await.expect("getUser");
    assert_eq!(user.user_name.as_deref(), Some("Ann"));
    client
        .update_user_properties(
            room,
            "u1",
            &SetPropertiesRequest::new(obj(json!({"k": "v"}))),
        )
        .await
        .expect("updateUserProperties");
    client
        .delete_user_properties(room, "u1", &DeletePropertiesRequest::new(vec!["k".into()]))
        .await
        .expect("deleteUserProperties");
    let rec = client
        .set_recording_state(room, RecordingState::Started, None)
        .await
        .expect("setRecordingState")
        .expect("the emulator answers with data");
    assert!(rec.record_id.is_some());
    client
        .update_recording(
            room,
            &UpdateRecordingRequest::new().with_web_record_config(UpdateWebRecordConfig::new(true)),
        )
        .await
        .expect("updateRecording");
    client
        .list_recordings(room, &ListRecordingsQuery::default())
        .await
        .expect("listRecordings");
    client
        .update_widget(
            room,
            "w1",
            &UpdateWidgetRequest::new()
                .with_extra(obj(json!({"x": 1})))
                .with_state(WidgetState::Active),
        )
        .await
        .expect("updateWidget");
    client
        .delete_widget_extra(room, "w1", &DeletePropertiesRequest::new(vec!["x".into()]))
        .await
        .expect("deleteWidgetExtra");
    client
        .update_widget_user_properties(
            room,
            "w1",
            "u1",
            &SetPropertiesRequest::new(obj(json!({"p": 1}))),
        )
        .await
        .expect("updateWidgetUserProperties");
    client
        .delete_widget_user_properties(
            room,
            "w1",
            "u1",
            &DeletePropertiesRequest::new(vec!["p".into()]),
        )
        .await
        .expect("deleteWidgetUserProperties");
    client
        .list_widget_events(room, "w1", &ListWidgetEventsQuery::default())
        .await
        .expect("listWidgetEvents");
    client
        .delete_widget(room, "w1", Some(&DeleteWidgetRequest::new()))
        .await
        .expect("deleteWidget");
    client
        .list_popup_quiz_events(room, &ListPopupQuizEventsQuery::default())
        .await
        .expect("listPopupQuizEvents");
    client
        .list_poll_events(room, &ListPollEventsQuery::default())
        .await
        .expect("listPollEvents");
    client
        .put_resource(
            room,
            "res1",
            &PutResourceRequest::new(1024, "pdf", "https://example.com/a.pdf"),
        )
        .await
        .expect("putResource");
    client.list_resources(room).await.expect("listResources");
    client
        .delete_resources(room, &DeleteResourcesRequest::new(vec!["res1".into()]))
        .await
        .expect("deleteResources");
    client
        .update_ext_app_properties(
            room,
            "app1",
            &UpdateExtAppPropertiesRequest::new().with_properties(obj(json!({"k": 1}))),
        )
        .await
        .expect("updateExtAppProperties");
    client
        .delete_ext_app_properties(
            room,
            "app1",
            &DeletePropertiesRequest::new(vec!["k".into()]),
        )
        .await
        .expect("deleteExtAppProperties");
    client.kick_user(room, "u1", None).await.expect("kickUser");
    client
        .list_room_events(room, &ListRoomEventsQuery::default())
        .await
        .expect("listRoomEvents");
    client.poll_app_events().await.expect("pollAppEvents");

    let answered: BTreeSet<String> = emu
        .responses()
        .into_iter()
        .filter(|r| r.status == 200)
        .filter_map(|r| r.operation)
        .collect();
    let all: BTreeSet<String> = OPERATIONS.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(answered, all, "every operation answered 200");
    assert_eq!(OPERATIONS.len(), 28);
    assert!(assert_responses_match_spec(&emu) >= 28);
}

#[tokio::test]
async fn creating_an_existing_room_says_it_already_exists_and_changes_nothing() {
    let (emu, client) = start().await;
    let first = CreateRoomRequest::new("first", RoomType::SmallClass);
    let second = CreateRoomRequest::new("second", RoomType::LectureHall);
    assert_eq!(
        client.create_room("twice", &first).await.expect("create"),
        CreateRoomOutcome::Created
    );
    assert_eq!(
        client.create_room("twice", &second).await.expect("again"),
        CreateRoomOutcome::AlreadyExists
    );
    let room = client.get_room("twice").await.expect("getRoom");
    assert_eq!(room.room_name.as_deref(), Some("first"));
    assert_eq!(
        room.room_properties.and_then(|p| p.room_type),
        Some(RoomType::SmallClass)
    );
    let statuses: Vec<u16> = emu.responses().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 409, 200]);
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn a_create_room_whose_answer_was_lost_is_retried_and_finds_the_room() {
    let (emu, _) = start().await;
    let client = crate::support::client(&emu, classroom_api::RetryPolicy::default());
    emu.add_fault(
        classroom_emulator::FaultRule::new(classroom_emulator::Fault::Drop { after: true })
            .operation("createRoom")
            .times(1),
    )
    .expect("rule");
    let body = CreateRoomRequest::new("lost", RoomType::SmallClass);
    assert_eq!(
        client.create_room("lost", &body).await.expect("retried"),
        CreateRoomOutcome::AlreadyExists,
        "the first attempt created the room, the retry found it"
    );
    assert_eq!(
        client
            .get_room("lost")
            .await
            .expect("getRoom")
            .room_name
            .as_deref(),
        Some("lost")
    );
}

#[tokio::test]
async fn get_room_returns_the_room_its_schedule_and_its_widgets() {
    let (emu, client) = start().await;
    let body =
        CreateRoomRequest::new("queried", RoomType::SmallCloudClass).with_room_properties(
            RoomProperties::new()
                .with_schedule(
                    RoomSchedule::new()
                        .with_start_time(1_655_452_800_000)
                        .with_duration(600)
                        .with_close_delay(300),
                )
                .with_processes(
                    RoomProcesses::new().with_hands_up(
                        HandsUpProcess::new()
                            .with_max_accept(10)
                            .with_default_accept_role("audience"),
                    ),
                )
                .with_widgets(RoomWidgets::new().with_netless_board(
                    NetlessBoardWidget::new().with_state(WidgetState::Inactive),
                )),
        );
    client.create_room("q", &body).await.expect("create");
    let room = client.get_room("q").await.expect("getRoom");
    assert_eq!(room.room_uuid.as_deref(), Some("q"));
    assert_eq!(room.room_name.as_deref(), Some("queried"));
    assert_eq!(room.state, Some(RoomState::NotStarted));
    assert!(room.create_time.is_some());
    let props = room.room_properties.expect("roomProperties");
    assert_eq!(props.room_type, Some(RoomType::SmallCloudClass));
    let schedule = props.schedule.expect("schedule");
    assert_eq!(schedule.start_time, Some(1_655_452_800_000));
    assert_eq!(
        (schedule.duration, schedule.close_delay),
        (Some(600), Some(300))
    );
    assert_eq!(
        props
            .widgets
            .and_then(|w| w.netless_board)
            .and_then(|b| b.state),
        Some(WidgetState::Inactive)
    );
    assert_eq!(
        props.processes.and_then(|p| p.get("handsUp").cloned()),
        Some(json!({"maxAccept": 10, "defaultAcceptRole": "audience"}))
    );

    client
        .set_room_state("q", RoomState::Started)
        .await
        .expect("start");
    client
        .set_room_state("q", RoomState::Ended)
        .await
        .expect("end");
    let schedule = client
        .get_room("q")
        .await
        .expect("getRoom")
        .room_properties
        .and_then(|p| p.schedule)
        .expect("schedule");
    assert_eq!(schedule.state, Some(RoomState::Ended));
    assert!(schedule.end_time.is_some());
    assert_eq!(code(client.get_room("none").await), ErrorCode::RoomNotFound);
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn rooms_move_forward_through_their_states() {
    let (emu, client) = start().await;
    assert_eq!(
        code(client.set_room_state("nope", RoomState::Started).await),
        ErrorCode::RoomNotFound
    );
    create(&client, "r").await;
    // A second create with the same uuid succeeds and changes nothing.
    create(&client, "r").await;
    client
        .set_room_state("r", RoomState::NotStarted)
        .await
        .expect("0 → 0 is allowed");
    client
        .set_room_state("r", RoomState::Started)
        .await
        .expect("0 → 1");
    assert_eq!(
        code(client.set_room_state("r", RoomState::Started).await),
        ErrorCode::ClassAlreadyStarted
    );
    assert_eq!(
        code(client.set_room_state("r", RoomState::NotStarted).await),
        ErrorCode::ClassAlreadyStarted
    );
    client
        .set_room_state("r", RoomState::Ended)
        .await
        .expect("1 → 2");
    assert_eq!(
        code(client.set_room_state("r", RoomState::Started).await),
        ErrorCode::ClassAlreadyEnded
    );
    assert_eq!(
        code(client.set_room_state("r", RoomState::Ended).await),
        ErrorCode::ClassAlreadyEnded
    );
    client
        .set_room_state("r", RoomState::Closed)
        .await
        .expect("2 → 3");
    for state in [
        RoomState::NotStarted,
        RoomState::Started,
        RoomState::Ended,
        RoomState::Closed,
    ] {
        assert_eq!(
            code(client.set_room_state("r", state).await),
            ErrorCode::RoomEnded
        );
    }
    let err = client
        .set_room_state("r", RoomState::Closed)
        .await
        .expect_err("closed");
    assert_eq!(err.status(), Some(410));

    let events = all_events(&client, "r").await;
    assert_eq!(cmds(&events), [1, 1, 1]);
    let seqs: Vec<i64> = events.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, [1, 2, 3]);
    let states: Vec<i64> = events
        .iter()
        .map(|e| match &e.payload {
            EventPayload::RoomState(d) => d.state.as_ref().map(|s| s.value()).unwrap_or(-1),
            other => panic!("not a room state event: {other:?}"),
        })
        .collect();
    assert_eq!(states, [1, 2, 3]);
    // endTime from state 2 on, closeTime at 3 (the 2026 English reference's cmd 1 table).
    let times: Vec<(bool, bool)> = events
        .iter()
        .map(|e| match &e.payload {
            EventPayload::RoomState(d) => (d.end_time.is_some(), d.close_time.is_some()),
            other => panic!("not a room state event: {other:?}"),
        })
        .collect();
    assert_eq!(times, [(false, false), (true, false), (true, true)]);

    // The same uuid in another region is another room.
    let other = Client::builder(emu.app_id())
        .region(Region::Europe)
        .credentials(classroom_api::Credentials::app_certificate(emu.certificate()).expect("cert"))
        .base_url(emu.base_url())
        .retry(classroom_api::RetryPolicy::none())
        .build()
        .expect("client");
    assert_eq!(
        code(
            other
                .list_room_events("r", &ListRoomEventsQuery::default())
                .await
        ),
        ErrorCode::RoomNotFound
    );
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn the_schedule_ends_and_closes_a_class_on_the_emulator_clock() {
    let (emu, client) = start().await;
    let schedule = RoomSchedule::new().with_duration(600).with_close_delay(300);
    let body = CreateRoomRequest::new("scheduled", RoomType::LectureHall)
        .with_room_properties(RoomProperties::new().with_schedule(schedule));
    client.create_room("s", &body).await.expect("create");
    emu.add_user(
        R,
        "s",
        "t",
        JoinUser::new("Teacher").role(UserRole::Teacher),
    )
    .expect("join");
    client
        .set_room_state("s", RoomState::Started)
        .await
        .expect("start");
    let rec = client
        .set_recording_state("s", RecordingState::Started, None)
        .await
        .expect("record")
        .expect("the emulator answers with data");
    assert!(rec.start_time.is_some());
    emu.advance_clock(Duration::from_secs(601));
    assert_eq!(emu.room(R, "s").expect("room")["state"], 2);
    // Users may still join during the close delay.
    emu.add_user(R, "s", "late", JoinUser::new("Late"))
        .expect("join while ended");
    emu.advance_clock(Duration::from_secs(300));
    let snapshot = emu.room(R, "s").expect("room");
    assert_eq!(snapshot["state"], 3);
    assert_eq!(snapshot["users"]["t"]["state"], 0, "everyone is kicked out");
    let err = emu
        .add_user(R, "s", "later", JoinUser::new("Later"))
        .expect_err("closed");
    assert_eq!(err.code, 30410100);
    // Closing stopped the recording (1 hour: 600 s + 300 s rounded up).
    let recordings = client
        .list_recordings("s", &ListRecordingsQuery::default())
        .await
        .expect("list");
    let list = recordings.list.unwrap_or_default();
    assert_eq!(list.len(), 1);
    assert!(list[0].end_time.is_some());
    let events = all_events(&client, "s").await;
    assert_eq!(cmds(&events), [20, 1, 1001, 1, 20, 1, 1001, 20]);
    // A class is destroyed an hour after it ends.
    emu.advance_clock(Duration::from_secs(3600));
    assert_eq!(
        code(client.get_user("s", "t").await),
        ErrorCode::RoomNotFound
    );
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn one_clock_jump_applies_the_changes_in_time_order() {
    let (emu, client) = start().await;
    let schedule = RoomSchedule::new().with_duration(600).with_close_delay(300);
    let body = CreateRoomRequest::new("jump", RoomType::SmallClass)
        .with_room_properties(RoomProperties::new().with_schedule(schedule));
    client.create_room("j", &body).await.expect("create");
    client
        .set_room_state("j", RoomState::Started)
        .await
        .expect("start");
    client
        .set_recording_state("j", RecordingState::Started, None)
        .await
        .expect("record for at most 1 hour");
    // Past the end (600 s), the close (900 s) and the recording limit (3600 s) at once.
    emu.advance_clock(Duration::from_secs(4000));
    let room = emu.room(R, "j").expect("not destroyed yet");
    assert_eq!(room["state"], 3);
    assert_eq!(
        room["recordings"][0]["endTime"], room["closedAt"],
        "stopped by the close"
    );
    let events = all_events(&client, "j").await;
    assert_eq!(cmds(&events), [1, 1001, 1, 1, 1001]);
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn custom_properties_nest_by_key_path() {
    let (emu, client) = start().await;
    create(&client, "p").await;
    let set = SetPropertiesRequest::new(obj(json!({"a.b.c": 1, "a.d": [1, 2], "top": "x"})))
        .with_cause(obj(json!({"why": "test"})));
    client.update_room_properties("p", &set).await.expect("set");
    client
        .update_room_properties("p", &SetPropertiesRequest::new(obj(json!({"a.b.e": true}))))
        .await
        .expect("set more");
    assert_eq!(
        emu.room(R, "p").expect("room")["properties"],
        json!({"a": {"b": {"c": 1, "e": true}, "d": [1, 2]}, "top": "x"})
    );
    client
        .delete_room_properties(
            "p",
            &DeletePropertiesRequest::new(vec!["a.b.c".into(), "top".into(), "missing.key".into()]),
        )
        .await
        .expect("delete");
    assert_eq!(
        emu.room(R, "p").expect("room")["properties"],
        json!({"a": {"b": {"e": true}, "d": [1, 2]}})
    );
    assert_eq!(
        code(client.update_room_properties("nope", &set).await),
        ErrorCode::RoomNotFound
    );
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn users_join_get_properties_and_are_kicked() {
    let (emu, client) = start().await;
    create(&client, "u").await;
    assert_eq!(
        code(client.get_user("u", "ghost").await),
        ErrorCode::UserNotFound
    );
    assert_eq!(
        code(client.get_user("no room", "ghost").await),
        ErrorCode::RoomNotFound
    );
    emu.add_user(
        R,
        "u",
        "s1",
        JoinUser::new("Student").user_properties(obj(json!({"level": 1}))),
    )
    .expect("join");
    let user = client.get_user("u", "s1").await.expect("getUser");
    assert_eq!(user.user_uuid.as_deref(), Some("s1"));
    assert_eq!(user.state, Some(UserOnlineState::Online));
    assert_eq!(user.role.as_ref().and_then(|r| r.value()), Some(2));
    assert!(
        user.stream_uuid
            .as_deref()
            .is_some_and(|s| s.parse::<u64>().is_ok())
    );
    client
        .update_user_properties(
            "u",
            "s1",
            &SetPropertiesRequest::new(obj(json!({"pos.x": 3}))),
        )
        .await
        .expect("set");
    client
        .delete_user_properties(
            "u",
            "s1",
            &DeletePropertiesRequest::new(vec!["level".into()]),
        )
        .await
        .expect("delete");
    let user = client.get_user("u", "s1").await.expect("getUser");
    assert_eq!(user.user_properties, Some(obj(json!({"pos": {"x": 3}}))));
    assert_eq!(
        code(
            client
                .update_user_properties("u", "ghost", &SetPropertiesRequest::new(obj(json!({}))))
                .await
        ),
        ErrorCode::UserNotFound
    );

    // Kicked for 60 seconds: no joining until then.
    let dirty = KickUserRequest::new().with_dirty(
        KickDirty::new()
            .with_state(KickState::Kicked)
            .with_duration(60),
    );
    client
        .kick_user("u", "s1", Some(&dirty))
        .await
        .expect("kick");
    assert_eq!(
        client.get_user("u", "s1").await.expect("get").state,
        Some(UserOnlineState::Offline)
    );
    let refused = emu
        .add_user(R, "u", "s1", JoinUser::default())
        .expect_err("kicked");
    assert_eq!((refused.status, refused.code), (403, 403));
    emu.advance_clock(Duration::from_secs(61));
    emu.add_user(R, "u", "s1", JoinUser::default())
        .expect("the kick expired");

    // Kicked for good, then forgiven with dirty.state 0.
    let forever = KickUserRequest::new().with_dirty(KickDirty::new().with_state(KickState::Kicked));
    client
        .kick_user("u", "s1", Some(&forever))
        .await
        .expect("kick");
    emu.advance_clock(Duration::from_secs(86_400));
    assert!(emu.add_user(R, "u", "s1", JoinUser::default()).is_err());
    let forgive =
        KickUserRequest::new().with_dirty(KickDirty::new().with_state(KickState::NotKicked));
    client
        .kick_user("u", "s1", Some(&forgive))
        .await
        .expect("kick without dirty");
    emu.add_user(R, "u", "s1", JoinUser::default())
        .expect("allowed again");
    assert_eq!(
        code(client.kick_user("u", "ghost", None).await),
        ErrorCode::UserNotFound
    );

    let events = all_events(&client, "u").await;
    assert_eq!(cmds(&events), [20, 20, 20, 20, 20, 20]);
    match &events[1].payload {
        EventPayload::UsersInOut(d) => {
            assert_eq!(d.total, Some(1));
            let offline = d.offline_users.as_ref().expect("offlineUsers");
            assert_eq!(offline[0]["userUuid"], "s1");
        }
        other => panic!("not a users event: {other:?}"),
    }
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn groups_go_on_and_off() {
    let (emu, client) = start().await;
    create(&client, "g").await;
    // The body is optional in the spec: groups on without one opens none.
    client
        .set_group_state("g", GroupState::On, None)
        .await
        .expect("groups on without a body");
    let body = SetGroupStateRequest::new(vec![
        Group::new(vec![GroupUser::new("a"), GroupUser::new("b")])
            .with_group_uuid("g1")
            .with_group_name("One"),
        Group::new(vec![GroupUser::new("c")]),
    ]);
    client
        .set_group_state("g", GroupState::On, Some(&body))
        .await
        .expect("on");
    let snapshot = emu.room(R, "g").expect("room");
    assert_eq!(snapshot["groupState"], 1);
    assert_eq!(snapshot["groups"][0]["groupUuid"], "g1");
    assert!(
        snapshot["groups"][1]["groupUuid"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "an id is assigned"
    );
    client
        .set_group_state("g", GroupState::Off, None)
        .await
        .expect("off");
    assert_eq!(emu.room(R, "g").expect("room")["groupState"], 0);
    assert_eq!(
        code(client.set_group_state("nope", GroupState::Off, None).await),
        ErrorCode::RoomNotFound
    );
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn recordings_conflict_and_page_by_next_id() {
    let (emu, client) = start().await;
    create(&client, "rec").await;
    assert_eq!(
        code(
            client
                .set_recording_state("rec", RecordingState::Stopped, None)
                .await
        ),
        ErrorCode::RecordingNotStarted
    );
    assert_eq!(
        code(
            client
                .update_recording("rec", &UpdateRecordingRequest::new())
                .await
        ),
        ErrorCode::RecordingNotStarted
    );
    // Web mode needs rootUrl.
    let no_root = SetRecordingStateRequest::new().with_mode(RecordingMode::Web);
    assert_eq!(
        code(
            client
                .set_recording_state("rec", RecordingState::Started, Some(&no_root))
                .await
        ),
        ErrorCode::RootUrlRequired
    );
    let empty_root = SetRecordingStateRequest::new()
        .with_mode(RecordingMode::Web)
        .with_web_record_config(WebRecordConfig::new(""));
    let err = client
        .set_recording_state("rec", RecordingState::Started, Some(&empty_root))
        .await
        .expect_err("empty rootUrl");
    assert_eq!(
        (err.code(), err.status()),
        (Some(ErrorCode::RootUrlRequired), Some(400))
    );

    let web = SetRecordingStateRequest::new()
        .with_mode(RecordingMode::Web)
        .with_web_record_config(
            WebRecordConfig::new("https://example.com/record").with_publish_rtmp(true),
        )
        .with_retry_timeout(60);
    let started = client
        .set_recording_state("rec", RecordingState::Started, Some(&web))
        .await
        .expect("start")
        .expect("the emulator answers with data");
    assert_eq!(started.state, Some(RecordingState::Started));
    assert!(
        started.streaming_url.is_some(),
        "publishRtmp gives pull addresses"
    );
    let events = all_events(&client, "rec").await;
    let in_event = events.iter().rev().find_map(|e| match &e.payload {
        EventPayload::RecordingState(d) => Some(d.streaming_url.clone()),
        _ => None,
    });
    assert_eq!(in_event, Some(started.streaming_url.clone()), "cmd 1001");
    assert_eq!(
        code(
            client
                .set_recording_state("rec", RecordingState::Started, Some(&web))
                .await
        ),
        ErrorCode::RecordingNotEnded
    );
    client
        .update_recording(
            "rec",
            &UpdateRecordingRequest::new().with_web_record_config(UpdateWebRecordConfig::new(true)),
        )
        .await
        .expect("pause");
    assert_eq!(
        emu.room(R, "rec").expect("room")["recordings"][0]["onhold"],
        true
    );
    let stopped = client
        .set_recording_state("rec", RecordingState::Stopped, None)
        .await
        .expect("stop")
        .expect("the emulator answers with data");
    assert_eq!(stopped.record_id, started.record_id);
    assert_eq!(stopped.state, Some(RecordingState::Stopped));

    for _ in 0..104 {
        client
            .set_recording_state("rec", RecordingState::Started, None)
            .await
            .expect("start");
        client
            .set_recording_state("rec", RecordingState::Stopped, None)
            .await
            .expect("stop");
    }
    let first = client
        .list_recordings("rec", &ListRecordingsQuery::default())
        .await
        .expect("page 1");
    assert_eq!((first.total, first.count), (Some(105), Some(100)));
    let list = first.list.unwrap_or_default();
    assert!(
        list[0]
            .record_details
            .as_ref()
            .is_some_and(|d| !d.is_empty()),
        "a web recording has files"
    );
    assert!(list[1].url.as_deref().is_some_and(|u| u.ends_with(".m3u8")));
    assert!(first.web_record_url_query.is_some());
    let next = first.next_id.expect("a second page");
    let second = client
        .list_recordings("rec", &ListRecordingsQuery::default().next_id(next))
        .await
        .expect("page 2");
    assert_eq!(second.count, Some(5));
    assert_eq!(second.next_id, None);

    let events = all_events(&client, "rec").await;
    assert_eq!(events.len(), 210);
    assert!(events.iter().all(|e| e.cmd == 1001));
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn widgets_emit_property_events() {
    let (emu, client) = start().await;
    create(&client, "w").await;
    emu.add_user(R, "w", "stu", JoinUser::new("Stu"))
        .expect("join");
    let quiz = UpdateWidgetRequest::new()
        .with_extra(obj(
            json!({"popupQuizId": "q1", "correctItems": ["A"], "answerState": 1, "totalCount": 0}),
        ))
        .with_state(WidgetState::Active)
        .with_cause(obj(json!({"popQuizId": "q1", "action": 1})));
    client
        .update_widget("w", "popupQuiz", &quiz)
        .await
        .expect("start the quiz");
    client
        .update_widget_user_properties(
            "w",
            "popupQuiz",
            "stu",
            &SetPropertiesRequest::new(obj(
                json!({"popupQuizId": "q1", "selectedItems": ["A"], "isCorrect": true}),
            )),
        )
        .await
        .expect("answer");
    assert_eq!(
        code(
            client
                .update_widget_user_properties(
                    "w",
                    "popupQuiz",
                    "ghost",
                    &SetPropertiesRequest::new(obj(json!({"a": 1})))
                )
                .await
        ),
        ErrorCode::UserNotFound
    );
    client
        .update_widget(
            "w",
            "poll",
            &UpdateWidgetRequest::new().with_properties(obj(json!({"pollId": "p1", "mode": 1}))),
        )
        .await
        .expect("start a poll (as the example names the properties)");
    client
        .update_widget(
            "w",
            "board",
            &UpdateWidgetRequest::new()
                .with_extra(obj(json!({"x": 1, "y": 2})))
                .with_owner_user_uuid("stu"),
        )
        .await
        .expect("a widget owned by stu");
    client
        .delete_widget_extra(
            "w",
            "board",
            &DeletePropertiesRequest::new(vec!["x".into()]),
        )
        .await
        .expect("delete extra");
    client
        .delete_widget_user_properties(
            "w",
            "popupQuiz",
            "stu",
            &DeletePropertiesRequest::new(vec!["isCorrect".into()]),
        )
        .await
        .expect("delete user properties");

    let quiz_events = client
        .list_popup_quiz_events("w", &ListPopupQuizEventsQuery::default())
        .await
        .expect("quiz events");
    let list = quiz_events.list.unwrap_or_default();
    assert_eq!(list.len(), 3);
    match &list[1].payload {
        EventPayload::WidgetProperties(d) => {
            assert_eq!(d.widget_uuid.as_deref(), Some("popupQuiz"));
            assert_eq!(
                d.from_user.as_ref().and_then(|u| u.user_uuid.as_deref()),
                Some("stu")
            );
        }
        other => panic!("not a widget event: {other:?}"),
    }
    let one = client
        .list_popup_quiz_events("w", &ListPopupQuizEventsQuery::default().count(1))
        .await
        .expect("one quiz event");
    assert_eq!(one.count, Some(1));
    let next = one.next_id.expect("more");
    let rest = client
        .list_popup_quiz_events(
            "w",
            &ListPopupQuizEventsQuery::default().next_id(next).count(100),
        )
        .await
        .expect("the rest");
    assert_eq!(rest.count, Some(2));
    let polls = client
        .list_poll_events("w", &ListPollEventsQuery::default())
        .await
        .expect("poll events");
    assert_eq!(polls.count, Some(1));
    let board = client
        .list_widget_events("w", "board", &ListWidgetEventsQuery::default())
        .await
        .expect("board events");
    assert_eq!(board.count, Some(2));

    // The owner leaving deletes the widget.
    emu.remove_user(R, "w", "stu").expect("leave");
    assert!(
        emu.room(R, "w").expect("room")["widgets"]
            .get("board")
            .is_none()
    );
    client
        .delete_widget("w", "popupQuiz", None)
        .await
        .expect("delete the quiz");
    client
        .delete_widget("w", "never existed", None)
        .await
        .expect("deleting nothing succeeds");
    let board = client
        .list_widget_events("w", "board", &ListWidgetEventsQuery::default())
        .await
        .expect("board events");
    assert_eq!(board.count, Some(3));
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn public_resources_and_ext_apps() {
    let (emu, client) = start().await;
    create(&client, "res").await;
    let body = PutResourceRequest::new(2048, "pptx", "https://example.com/deck.pptx")
        .with_resource_name("Deck")
        .with_conversion(obj(json!({"type": "dynamic"})));
    let listed = client
        .put_resource("res", "deck", &body)
        .await
        .expect("put")
        .expect("the emulator answers with data");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].task_uuid.is_some(), "a conversion gives a task");
    client
        .put_resource(
            "res",
            "notes",
            &PutResourceRequest::new(1, "pdf", "https://example.com/n.pdf"),
        )
        .await
        .expect("put");
    assert_eq!(client.list_resources("res").await.expect("list").len(), 2);
    client
        .delete_resources(
            "res",
            &DeleteResourcesRequest::new(vec!["deck".into(), "unknown".into()]),
        )
        .await
        .expect("delete");
    let left = client.list_resources("res").await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].resource_uuid.as_deref(), Some("notes"));
    let events = client
        .list_room_events("res", &ListRoomEventsQuery::default().cmd(1003))
        .await
        .expect("resource events");
    assert_eq!(events.count, Some(3));

    let body = UpdateExtAppPropertiesRequest::new()
        .with_properties(obj(json!({"a.b": 1, "c": 2})))
        .with_common(ExtAppCommon::new().with_state(ExtAppState::Enabled));
    client
        .update_ext_app_properties("res", "countdown", &body)
        .await
        .expect("set");
    client
        .delete_ext_app_properties(
            "res",
            "countdown",
            &DeletePropertiesRequest::new(vec!["c".into()]),
        )
        .await
        .expect("delete");
    assert_eq!(
        emu.room(R, "res").expect("room")["extApps"]["countdown"],
        json!({"properties": {"a": {"b": 1}}, "state": 1})
    );
    assert_eq!(
        code(client.list_resources("nope").await),
        ErrorCode::RoomNotFound
    );
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn room_events_page_by_next_id_and_filter_by_cmd() {
    let (emu, client) = start().await;
    create(&client, "e").await;
    emu.inject_events(
        R,
        "e",
        InjectEvents {
            cmd: 3,
            data: json!({"message": "hi", "type": 1}),
            count: 230,
        },
    )
    .expect("inject");
    client
        .set_room_state("e", RoomState::Started)
        .await
        .expect("start");
    let first = client
        .list_room_events("e", &ListRoomEventsQuery::default())
        .await
        .expect("page");
    assert_eq!((first.count, first.total), (Some(100), Some(231)));
    let events = all_events(&client, "e").await;
    assert_eq!(events.len(), 231);
    let seqs: Vec<i64> = events.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, (1..=231).collect::<Vec<_>>());
    let only = client
        .list_room_events("e", &ListRoomEventsQuery::default().cmd(1))
        .await
        .expect("cmd 1");
    assert_eq!(only.count, Some(1));
    assert_eq!(only.list.unwrap_or_default()[0].sequence, 231);
    // The spec types nextId as any string: one the server did not give is past the end.
    let past = client
        .list_room_events("e", &ListRoomEventsQuery::default().next_id("not-a-number"))
        .await
        .expect("an empty last batch");
    assert_eq!((past.count, past.next_id), (Some(0), None));
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn polling_returns_each_event_once_across_rooms() {
    let (emu, client) = start().await;
    create(&client, "a").await;
    create(&client, "b").await;
    client
        .set_room_state("a", RoomState::Started)
        .await
        .expect("a");
    client
        .set_room_state("b", RoomState::Started)
        .await
        .expect("b");
    emu.inject_events(
        R,
        "b",
        InjectEvents {
            cmd: 1101,
            data: json!({"rewardDetails": []}),
            count: 150,
        },
    )
    .expect("inject");
    let first = client.poll_app_events().await.expect("poll");
    assert_eq!(first.len(), 100, "a batch holds at most 100 events");
    let second = client.poll_app_events().await.expect("poll");
    assert_eq!(second.len(), 52);
    assert!(client.poll_app_events().await.expect("poll").is_empty());
    let mut seen: Vec<(String, i64)> = first
        .iter()
        .chain(&second)
        .map(|e| (e.room_uuid.clone(), e.sequence))
        .collect();
    let len = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), len, "no event twice");
    // Another region has its own queue.
    let eu = Client::builder(emu.app_id())
        .region(Region::Europe)
        .credentials(classroom_api::Credentials::app_certificate(emu.certificate()).expect("cert"))
        .base_url(emu.base_url())
        .build()
        .expect("client");
    assert!(eu.poll_app_events().await.expect("poll").is_empty());
    // Polled events are kept for an hour.
    client
        .set_room_state("a", RoomState::Ended)
        .await
        .expect("end");
    emu.advance_clock(Duration::from_secs(3601));
    assert!(client.poll_app_events().await.expect("poll").is_empty());
    let _ = REGION;
    assert_responses_match_spec(&emu);
}

#[tokio::test]
async fn a_missing_or_wrong_body_is_a_bad_request() {
    let (emu, client) = start().await;
    create(&client, "b").await;
    let long = CreateRoomRequest::new("x".repeat(65), RoomType::SmallClass);
    assert_eq!(
        code(client.create_room("long", &long).await),
        ErrorCode::BadRequest
    );
    let odd = CreateRoomRequest::new("odd", RoomType::Unknown(3));
    assert_eq!(
        code(client.create_room("odd", &odd).await),
        ErrorCode::BadRequest
    );
    let kick = KickUserRequest::new().with_dirty(
        KickDirty::new()
            .with_state(KickState::Kicked)
            .with_duration(-1),
    );
    emu.add_user(R, "b", "u", JoinUser::default())
        .expect("join");
    assert_eq!(
        code(client.kick_user("b", "u", Some(&kick)).await),
        ErrorCode::BadRequest
    );
    let bad_size = PutResourceRequest::new(-1, "pdf", "u");
    assert_eq!(
        code(client.put_resource("b", "r", &bad_size).await),
        ErrorCode::BadRequest
    );
    let bad_config = SetRecordingStateRequest::new()
        .with_web_record_config(WebRecordConfig::new("u").with_video_fps(1000));
    assert_eq!(
        code(
            client
                .set_recording_state("b", RecordingState::Started, Some(&bad_config))
                .await
        ),
        ErrorCode::BadRequest
    );
    assert_eq!(
        code(
            client
                .list_popup_quiz_events("b", &ListPopupQuizEventsQuery::default().count(0))
                .await
        ),
        ErrorCode::BadRequest
    );
    assert_responses_match_spec(&emu);
}

/// The emulator is usable as a plain value too (no client).
#[tokio::test]
async fn the_admin_api_reports_unknown_rooms() {
    let emu = Emulator::start().await.expect("start");
    let err = emu
        .add_user(R, "nope", "u", JoinUser::default())
        .expect_err("no room");
    assert_eq!((err.status, err.code), (404, 20404100));
    let err = emu
        .add_user("xx", "nope", "u", JoinUser::default())
        .expect_err("no region");
    assert_eq!(err.code, 400);
    let err = emu
        .inject_events(
            R,
            "nope",
            InjectEvents {
                cmd: 9999,
                data: json!({}),
                count: 1,
            },
        )
        .expect_err("unknown cmd");
    assert_eq!(err.code, 400);
    assert!(emu.room(R, "nope").is_err());
}

/// The schema check is not vacuous: wrong bodies fail it.
#[test]
fn the_spec_check_catches_wrong_bodies() {
    use classroom_emulator::RecordedResponse;

    use crate::support::spec_errors;

    let response = |operation: Option<&str>, status, body| RecordedResponse {
        operation: operation.map(str::to_owned),
        method: "GET".into(),
        path: "/".into(),
        status,
        body,
    };
    let event =
        json!({"roomUuid": "r", "cmd": 1, "sequence": 1, "version": 1, "data": {"state": 1}});
    let good = response(
        Some("pollAppEvents"),
        200,
        json!({"code": 0, "ts": 1, "data": [event]}),
    );
    assert!(spec_errors(&good).is_empty(), "{:?}", spec_errors(&good));
    let mut unknown = event.clone();
    unknown["cmd"] = json!(9999);
    assert!(
        !spec_errors(&response(
            Some("pollAppEvents"),
            200,
            json!({"code": 0, "ts": 1, "data": [unknown]})
        ))
        .is_empty()
    );
    let mut bad_state = event;
    bad_state["data"]["state"] = json!(7);
    assert!(
        !spec_errors(&response(
            Some("listRoomEvents"),
            200,
            json!({"code": 0, "ts": 1, "data": {"list": [bad_state]}})
        ))
        .is_empty()
    );
    assert!(
        !spec_errors(&response(
            Some("getUser"),
            200,
            json!({"code": 0, "ts": 1, "data": {"state": 5}})
        ))
        .is_empty()
    );
    assert!(
        !spec_errors(&response(Some("createRoom"), 200, json!({"code": 0}))).is_empty(),
        "ts is required"
    );
    assert!(!spec_errors(&response(None, 404, json!({"msg": "no code"}))).is_empty());
    assert!(
        !spec_errors(&response(
            Some("listRecordings"),
            200,
            json!({"code": 0, "ts": 1, "data": {"nextId": 5}})
        ))
        .is_empty()
    );
}

#[tokio::test]
async fn the_documented_start_recording_body_with_publish_rtmp_as_text_is_accepted() {
    let (_emu, client) = start().await;
    create(&client, "rec-doc").await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/examples/setRecordingState.request.json"
    );
    let body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    assert_eq!(body["webRecordConfig"]["publishRtmp"], json!("true"));
    let data = client
        .raw(
            "PUT",
            "/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/records/states/1",
            &[("roomUuid", "rec-doc")],
            Some(&body),
        )
        .await
        .expect("the documented body starts a recording");
    assert!(
        data["streamingUrl"]["rtmp"].is_string(),
        "publishRtmp \"true\" gives pull addresses: {data}"
    );
}
