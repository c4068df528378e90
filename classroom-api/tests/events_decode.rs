//! Event decoding: typed where the documents agree, tolerant where they do not, never failing a
//! page; and the typed pop-up quiz and poll views.

use std::path::PathBuf;

use classroom_api::events::{Event, EventPayload};
use classroom_api::types::{
    EventPage, PollingState, PropertyAction, QuizAnswerState, RoomState, UserRole,
    WidgetCauseAction, WidgetPropertiesEventData,
};
use classroom_api::widgets::{
    PollEvent, PopupQuizEvent, WidgetError, WidgetEvent, normalize_properties,
};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/examples")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Decodes one event both ways a caller may (from text, from a `Value`); they must agree.
#[track_caller]
fn check(json: Value) -> Event {
    let from_text: Event = serde_json::from_str(&json.to_string()).unwrap();
    let from_value: Event = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(from_text, from_value, "{json}");
    assert_eq!(Event::from_json(&json.to_string()), from_text);
    from_text
}

fn widget_event(data: Value, beside: Value) -> Value {
    let mut event =
        json!({"roomUuid": "r", "cmd": 1110, "sequence": 1, "version": 1, "data": data});
    for (k, v) in beside.as_object().unwrap() {
        event[k] = v.clone();
    }
    event
}

fn widget_data(event: &Event) -> &WidgetPropertiesEventData {
    match &event.payload {
        EventPayload::WidgetProperties(d) => d,
        other => panic!("not a widget event: {other:?}"),
    }
}

#[test]
fn every_documented_event_example_decodes_typed() {
    for (file, cmds) in [
        ("listRoomEvents.response.json", vec![20]),
        ("listWidgetEvents.response.json", vec![1110]),
    ] {
        let page: EventPage = serde_json::from_value(fixture(file)["data"].clone()).unwrap();
        let events = page.list.unwrap();
        assert_eq!(
            events.iter().map(|e| e.cmd).collect::<Vec<_>>(),
            cmds,
            "{file}"
        );
        for e in &events {
            assert!(
                !matches!(
                    e.payload,
                    EventPayload::Unknown { .. } | EventPayload::Malformed { .. }
                ),
                "{file}: {e:?}"
            );
        }
    }
    let polled = fixture("pollAppEvents.response.json")["data"][0].clone();
    let event = check(polled);
    assert_eq!(
        (event.room_uuid.as_str(), event.sequence, event.version),
        ("xxxxxx", 1, 1)
    );
    assert!(matches!(event.payload, EventPayload::UsersInOut(_)));
    for n in 1..=7 {
        let event = check(widget_event(
            fixture(&format!("event.1110.{n}.json")),
            json!({}),
        ));
        let data = widget_data(&event);
        assert_eq!(data.action, Some(PropertyAction::Set), "event.1110.{n}");
        assert!(event.operator.is_some() || event.from_user.is_some());
    }
}

#[test]
fn role_is_read_as_an_integer_or_a_string() {
    for (role, expected) in [
        (json!(1), UserRole::Teacher),
        (json!("1"), UserRole::Teacher),
        (json!(2), UserRole::Student),
        (json!("3"), UserRole::Assistant),
        (json!("audience"), UserRole::Student),
        (json!("host"), UserRole::Teacher),
        (json!("HOST"), UserRole::Teacher),
        (json!("server"), UserRole::Other("server".into())),
        (json!(7), UserRole::Unknown(7)),
    ] {
        let event = check(widget_event(
            json!({"widgetUuid": "w"}),
            json!({"operator": {"userUuid": "u", "role": role}}),
        ));
        assert_eq!(event.operator.unwrap().role, Some(expected), "{role}");
    }
}

#[test]
fn operator_and_from_user_are_read_beside_or_inside_data() {
    let user = json!({"userUuid": "u1", "userName": "Ann", "role": 1});
    let beside = check(widget_event(
        json!({"widgetUuid": "w"}),
        json!({"operator": user, "fromUser": user}),
    ));
    let inside = check(widget_event(
        json!({"widgetUuid": "w", "operator": user, "fromUser": user}),
        json!({}),
    ));
    assert_eq!(beside, inside, "both places read the same");
    assert_eq!(
        widget_data(&beside)
            .operator
            .as_ref()
            .unwrap()
            .user_name
            .as_deref(),
        Some("Ann")
    );
    assert_eq!(
        inside.from_user.as_ref().unwrap().user_uuid.as_deref(),
        Some("u1")
    );
    // Both sent and different: each place keeps what it was sent.
    let both = check(widget_event(
        json!({"widgetUuid": "w", "operator": {"userUuid": "inside"}}),
        json!({"operator": {"userUuid": "beside"}}),
    ));
    assert_eq!(both.operator.unwrap().user_uuid.as_deref(), Some("beside"));
    // The chat message's sender and the resource change's operator fold the same way.
    let chat = check(
        json!({"roomUuid": "r", "cmd": 3, "sequence": 2, "version": 1,
        "fromUser": user, "data": {"message": "hi", "type": 1}}),
    );
    let EventPayload::ChatMessage(message) = &chat.payload else {
        panic!("{chat:?}")
    };
    assert_eq!(message.from_user, chat.from_user);
    let resources = check(
        json!({"roomUuid": "r", "cmd": 1003, "sequence": 3, "version": 1,
        "data": {"operator": user, "action": 1, "resources": []}}),
    );
    assert_eq!(resources.operator.unwrap().user_uuid.as_deref(), Some("u1"));
}

#[test]
fn envelope_scalars_are_read_leniently() {
    let event = check(
        json!({"roomUuid": 42, "cmd": "1", "sequence": "12", "version": 3.0,
        "data": {"state": 1, "startTime": 1610433913533_i64}}),
    );
    assert_eq!(
        (
            event.room_uuid.as_str(),
            event.cmd,
            event.sequence,
            event.version
        ),
        ("42", 1, 12, 3)
    );
    let EventPayload::RoomState(state) = &event.payload else {
        panic!("{event:?}")
    };
    assert_eq!(state.state, Some(RoomState::Started));
}

#[test]
fn unknown_fields_are_ignored_and_missing_ones_are_empty() {
    let event = check(
        json!({"roomUuid": "r", "cmd": 1001, "sequence": 5, "version": 1, "extra": [1],
        "data": {"state": 0, "someday": {"nested": true}}}),
    );
    let EventPayload::RecordingState(rec) = &event.payload else {
        panic!("{event:?}")
    };
    assert_eq!(
        (rec.state, rec.record_id.clone()),
        (
            Some(classroom_api::types::RecordingEventState::Stopped),
            None
        )
    );
    // No data at all, or a null one: the documented payload with nothing in it.
    for data in [json!({}), json!({"data": null})] {
        let mut e = json!({"roomUuid": "r", "cmd": 20, "sequence": 1, "version": 1});
        e.as_object_mut()
            .unwrap()
            .extend(data.as_object().unwrap().clone());
        let event = check(e);
        assert!(
            matches!(event.payload, EventPayload::UsersInOut(_)),
            "{event:?}"
        );
    }
    // No envelope fields either.
    let bare = check(json!({"cmd": 1502, "data": {"progressUsers": [{"userUuid": "s1"}]}}));
    assert_eq!((bare.room_uuid.as_str(), bare.sequence), ("", 0));
    assert!(matches!(bare.payload, EventPayload::HandsUp(_)));
}

#[test]
fn the_2026_reference_fields_of_room_and_recording_state_events_are_typed() {
    use classroom_api::types::RecordingEventState;
    let room = check(
        json!({"roomUuid": "r", "cmd": 1, "sequence": 1, "version": 1,
        "data": {"state": 3, "startTime": 1, "endTime": 2, "closeTime": 3}}),
    );
    let EventPayload::RoomState(d) = &room.payload else {
        panic!("{room:?}")
    };
    assert_eq!(
        (d.state, d.end_time, d.close_time),
        (Some(RoomState::Closed), Some(2), Some(3))
    );
    // The 2026 reference ends a recording with 2; setRecordingState's 0 is read too.
    for (state, expected) in [
        (2, RecordingEventState::Ended),
        (0, RecordingEventState::Stopped),
    ] {
        let rec = check(
            json!({"roomUuid": "r", "cmd": 1001, "sequence": 2, "version": 1,
            "data": {"state": state, "streamingUrl": {"hls": "https://cdn.example/x.m3u8"}}}),
        );
        let EventPayload::RecordingState(d) = &rec.payload else {
            panic!("{rec:?}")
        };
        assert_eq!(d.state, Some(expected));
        let url = d.streaming_url.as_ref().and_then(|u| u.hls.as_deref());
        assert_eq!(url, Some("https://cdn.example/x.m3u8"));
    }
}

#[test]
fn an_unknown_cmd_keeps_its_raw_data() {
    let event = check(
        json!({"roomUuid": "r", "cmd": 4242, "sequence": 9, "version": 1, "data": {"x": [1, 2]}}),
    );
    assert_eq!(
        event.payload,
        EventPayload::Unknown {
            cmd: 4242,
            data: json!({"x": [1, 2]})
        }
    );
    assert_eq!(event.payload.cmd(), 4242);
}

#[test]
fn a_malformed_event_keeps_its_error_and_raw_json() {
    // data without the documented shape: the envelope is kept.
    let event = check(
        json!({"roomUuid": "r", "cmd": 1, "sequence": 4, "version": 1, "data": {"state": "open"}}),
    );
    let EventPayload::Malformed { cmd, data, error } = &event.payload else {
        panic!("{event:?}")
    };
    assert_eq!((*cmd, data), (1, &json!({"state": "open"})));
    assert!(error.contains("RoomState"), "{error}");
    assert_eq!((event.room_uuid.as_str(), event.sequence), ("r", 4));
    // Fields beside data without their shape: what can be read is kept, with the whole event.
    let raw = json!({"roomUuid": "r", "cmd": 3, "sequence": "twelve", "data": {}});
    let event = check(raw.clone());
    let EventPayload::Malformed { cmd, data, error } = &event.payload else {
        panic!("{event:?}")
    };
    assert_eq!(
        (*cmd, data, event.room_uuid.as_str(), event.sequence),
        (3, &raw, "r", 0)
    );
    assert!(error.contains("twelve"), "{error}");
    let raw =
        json!({"roomUuid": "r", "cmd": 1110, "sequence": 2, "operator": "server", "data": {}});
    assert!(matches!(
        check(raw).payload,
        EventPayload::Malformed { cmd: 1110, .. }
    ));
    // Not even an object.
    for raw in [json!(42), json!("event"), json!([1]), json!(null)] {
        let event = check(raw.clone());
        assert!(
            matches!(&event.payload, EventPayload::Malformed { cmd: 0, data, error }
                if *data == raw && error.contains("not a JSON object")),
            "{event:?}"
        );
    }
    assert!(matches!(
        Event::from_json("{not json").payload,
        EventPayload::Malformed { cmd: 0, .. }
    ));
}

#[test]
fn one_bad_event_does_not_fail_its_page() {
    let page: EventPage = serde_json::from_value(json!({
        "count": 4,
        "nextId": "n2",
        "list": [
            {"roomUuid": "r", "cmd": 1, "sequence": 1, "version": 1, "data": {"state": 1}},
            {"roomUuid": "r", "cmd": 1, "sequence": 2, "version": 1, "data": {"state": []}},
            17,
            {"roomUuid": "r", "cmd": 99, "sequence": 4, "version": 1, "data": null}
        ]
    }))
    .unwrap();
    let kinds: Vec<&str> = page
        .list
        .unwrap()
        .iter()
        .map(|e| match e.payload {
            EventPayload::RoomState(_) => "typed",
            EventPayload::Malformed { .. } => "malformed",
            EventPayload::Unknown { .. } => "unknown",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["typed", "malformed", "malformed", "unknown"]);
}

#[test]
fn dotted_and_nested_change_properties_read_the_same() {
    for n in [1, 3, 4, 6, 7] {
        let dotted = fixture(&format!("event.1110.{n}.json"));
        let mut nested = dotted.clone();
        nested["changeProperties"] = Value::Object(normalize_properties(
            dotted["changeProperties"].as_object().unwrap(),
        ));
        assert!(
            nested["changeProperties"].get("extra").is_some(),
            "event.1110.{n}: {nested}"
        );
        let a = check(widget_event(dotted, json!({})));
        let b = check(widget_event(nested, json!({})));
        assert_eq!(
            widget_data(&a).normalized_properties(),
            widget_data(&b).normalized_properties()
        );
        let (a, b) = (
            a.widget_event().unwrap().unwrap(),
            b.widget_event().unwrap().unwrap(),
        );
        assert_eq!(a, b, "event.1110.{n}");
    }
}

/// The seven documented quiz and poll examples, read as the case they document.
#[test]
fn quiz_and_poll_examples_are_typed() {
    let view = |n: u32| {
        check(widget_event(
            fixture(&format!("event.1110.{n}.json")),
            json!({}),
        ))
        .widget_event()
        .unwrap()
        .unwrap()
    };
    let WidgetEvent::PopupQuiz(PopupQuizEvent::Started(started)) = view(1) else {
        panic!("{:?}", view(1))
    };
    let extra = started.extra.unwrap();
    assert_eq!(
        extra.correct_items,
        Some(vec![json!("A"), json!("B"), json!("D")])
    );
    assert_eq!(extra.answer_state, Some(QuizAnswerState::InProgress));
    assert_eq!(extra.receive_question_time, Some(1652413962895));
    assert_eq!(
        extra.popup_quiz_id.as_deref(),
        Some("ab5b183238a74d5a9c955dc87c6397e0")
    );

    let WidgetEvent::PopupQuiz(answer @ PopupQuizEvent::Answer(_)) = view(2) else {
        panic!("{:?}", view(2))
    };
    assert_eq!(
        answer.popup_quiz_id(),
        Some("ab5b183238a74d5a9c955dc87c6397e0")
    );
    let PopupQuizEvent::Answer(answer) = answer else {
        unreachable!()
    };
    assert_eq!(answer.is_correct, Some(true));

    let WidgetEvent::PopupQuiz(PopupQuizEvent::Ended(ended)) = view(3) else {
        panic!("{:?}", view(3))
    };
    let extra = ended.extra.unwrap();
    assert_eq!(
        (extra.selected_count, extra.average_accuracy),
        (Some(1), Some(1.0))
    );

    let WidgetEvent::Poll(started @ PollEvent::Started(_)) = view(4) else {
        panic!("{:?}", view(4))
    };
    assert_eq!(started.poll_id(), Some("e556ce3df5cd4c23941b03bf54d29ba3"));
    let PollEvent::Started(started) = started else {
        unreachable!()
    };
    let extra = started.extra.unwrap();
    assert_eq!(extra.poll_state, Some(PollingState::InProgress));
    assert_eq!(
        extra.polling_state, extra.poll_state,
        "both names hold the state"
    );
    assert_eq!(extra.poll_details.unwrap().len(), 5);

    let WidgetEvent::Poll(PollEvent::Vote(vote)) = view(5) else {
        panic!("{:?}", view(5))
    };
    let chosen = Some(vec![json!(1), json!(2), json!(4)]);
    assert_eq!(vote.select_index, chosen);
    assert_eq!(
        vote.extra.unwrap().select_index,
        chosen,
        "both places hold the choice"
    );

    let WidgetEvent::Poll(PollEvent::Summary(summary)) = view(6) else {
        panic!("{:?}", view(6))
    };
    assert_eq!(
        summary.extra.unwrap().poll_details.unwrap()["1"].num,
        Some(1)
    );

    let WidgetEvent::Poll(PollEvent::Ended(ended)) = view(7) else {
        panic!("{:?}", view(7))
    };
    assert_eq!(
        ended.extra.unwrap().polling_state,
        Some(PollingState::Ended)
    );
}

/// The tables' forms: nested properties, an object cause, `extra.selectIndex`.
#[test]
fn quiz_and_poll_in_the_tables_forms() {
    #[track_caller]
    fn view(data: Value) -> Result<WidgetEvent, WidgetError> {
        check(widget_event(data, json!({})))
            .widget_event()
            .expect("a quiz or poll event")
    }
    let summary = view(json!({"widgetUuid": "popupQuiz",
        "changeProperties": {"extra": {"selectedCount": 2, "correctCount": 1, "averageAccuracy": 0.5, "totalCount": 2}},
        "cause": {"popQuizId": "q1", "action": 4}}))
    .unwrap();
    assert!(
        matches!(summary, WidgetEvent::PopupQuiz(PopupQuizEvent::Summary(_))),
        "{summary:?}"
    );
    // The cause decides where the shape does not: an ended quiz without answerState.
    let ended = view(json!({"widgetUuid": "popupQuiz",
        "changeProperties": {"extra": {"selectedCount": 2}}, "cause": {"popupQuizId": "q1", "action": 2}}))
    .unwrap();
    assert!(
        matches!(ended, WidgetEvent::PopupQuiz(PopupQuizEvent::Ended(_))),
        "{ended:?}"
    );
    let vote = view(json!({"widgetUuid": "xxxxxxxxx",
        "changeProperties": {"extra": {"pollId": "p1", "selectIndex": [0]}},
        "cause": {"pollId": "p1", "action": 3}}))
    .unwrap();
    let WidgetEvent::Poll(PollEvent::Vote(vote)) = vote else {
        panic!("{vote:?}")
    };
    assert_eq!(
        (vote.poll_id.as_deref(), vote.select_index),
        (Some("p1"), Some(vec![json!(0)]))
    );
    // The tables type selectIndex Object[]: objects are choices too.
    let vote = view(json!({"widgetUuid": "poll",
        "changeProperties": {"extra": {"pollId": "p2", "selectIndex": [{"index": 1}, 2]}},
        "cause": {"pollId": "p2", "action": 3}}))
    .unwrap();
    let WidgetEvent::Poll(PollEvent::Vote(vote)) = vote else {
        panic!("{vote:?}")
    };
    let choices = Some(vec![json!({"index": 1}), json!(2)]);
    assert_eq!(vote.select_index, choices);
    assert_eq!(vote.extra.unwrap().select_index, choices);
    // The English tables' string cause.
    let started =
        view(json!({"widgetUuid": "poll", "changeProperties": {"extra.mode": 1}, "cause": "1"}))
            .unwrap();
    assert!(
        matches!(started, WidgetEvent::Poll(PollEvent::Started(_))),
        "{started:?}"
    );
    // A documented shape with a wrong value, and no shape at all.
    let err = view(json!({"widgetUuid": "popupQuiz", "changeProperties": {"isCorrect": "yes"}}))
        .unwrap_err();
    assert!(
        matches!(
            err,
            WidgetError::Shape {
                shape: "PopupQuizAnswer",
                ..
            }
        ),
        "{err:?}"
    );
    let err = view(json!({"widgetUuid": "poll", "changeProperties": {"position": {"x": 1}}}))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the changed properties match no documented poll event"
    );
    // Other widgets are neither.
    let other = check(widget_event(
        json!({"widgetUuid": "test_widget",
        "changeProperties": {"extra": {}, "state": 1}}),
        json!({}),
    ));
    assert!(other.widget_event().is_none());
    // The causes, typed.
    let data = check(widget_event(
        json!({"widgetUuid": "popupQuiz",
        "cause": {"popupQuizId": "q9", "action": 3}}),
        json!({}),
    ));
    let cause = widget_data(&data).popup_quiz_cause().unwrap();
    assert_eq!(
        (cause.pop_quiz_id.as_deref(), cause.action),
        (Some("q9"), Some(WidgetCauseAction::StudentSubmitted))
    );
}
