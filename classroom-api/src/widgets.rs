//! Pop-up quiz and poll events, typed.
//!
//! Both widgets report through widget property events (cmd 1110,
//! [`WidgetPropertiesEventData`]), whose `changeProperties` the documents write two ways: nested
//! in the tables (`{"extra": {"totalCount": 1}}`) and with dotted keys in the examples
//! (`{"extra.totalCount": 1}`). [`normalize_properties`] turns either into the nested form, and
//! the views here read that form into the generated shapes: [`PopupQuizEvent`] (started, a
//! student's answer, summary, ended) and [`PollEvent`] (started, a student's vote, summary, ended).
//!
//! ```no_run
//! # fn example(event: &classroom_api::events::Event) {
//! use classroom_api::widgets::{PollEvent, PopupQuizEvent, WidgetEvent};
//!
//! match event.widget_event() {
//!     Some(Ok(WidgetEvent::PopupQuiz(PopupQuizEvent::Answer(answer)))) => {
//!         println!("answer {:?}, correct: {:?}", answer.selected_items, answer.is_correct);
//!     }
//!     Some(Ok(WidgetEvent::Poll(PollEvent::Ended(ended)))) => {
//!         println!("poll ended: {:?}", ended.extra);
//!     }
//!     Some(Ok(other)) => println!("{other:?}"),
//!     Some(Err(err)) => eprintln!("unreadable quiz or poll event: {err}"),
//!     None => {} // not a quiz or poll event
//! }
//! # }
//! ```

use serde_json::{Map, Value};

use crate::events::{Event, EventPayload};
use crate::types::{
    PollAnswer, PollAnswerExtra, PollCause, PollEnded, PollStarted, PollSummary, PopupQuizAnswer,
    PopupQuizCause, PopupQuizEnded, PopupQuizStarted, PopupQuizSummary, WidgetCauseAction,
    WidgetPropertiesEventData,
};

/// The widget uuid of the pop-up quiz (as in `.../widgets/popupQuiz/sequences`).
pub const POPUP_QUIZ_WIDGET: &str = "popupQuiz";
/// The widget uuid of the poll (as in `.../widgets/poll/sequences`).
pub const POLL_WIDGET: &str = "poll";

/// A pop-up quiz event, by what happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PopupQuizEvent {
    /// The teacher started a quiz: its summary data.
    Started(PopupQuizStarted),
    /// A student submitted an answer: the student's widget user properties (the student is the
    /// event's `fromUser`).
    Answer(PopupQuizAnswer),
    /// The summary changed after a student's answer.
    Summary(PopupQuizSummary),
    /// The teacher ended the quiz: its final summary.
    Ended(PopupQuizEnded),
}

/// A poll event, by what happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PollEvent {
    /// The teacher started a poll: its summary data. `pollingState` and `pollState` (the tables'
    /// and the examples' names) both hold the state.
    Started(PollStarted),
    /// A student submitted a choice (the student is the event's `fromUser`). `pollId` and
    /// `selectIndex` are both at the top and in `extra`, wherever the server put them.
    Vote(PollAnswer),
    /// The summary changed after a student's choice.
    Summary(PollSummary),
    /// The teacher ended the poll: its final summary. `pollingState` and `pollState` both hold
    /// the state.
    Ended(PollEnded),
}

/// A pop-up quiz or poll event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WidgetEvent {
    /// A pop-up quiz event.
    PopupQuiz(PopupQuizEvent),
    /// A poll event.
    Poll(PollEvent),
}

/// Why a widget event could not be read as a pop-up quiz or poll event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WidgetError {
    /// The changed properties have none of the documented shapes.
    #[error("the changed properties match no documented {widget} event")]
    Unrecognized {
        /// `"pop-up quiz"` or `"poll"`.
        widget: &'static str,
    },
    /// The changed properties have a documented shape's keys, with values of the wrong type.
    #[error("the changed properties are not a valid {shape}")]
    Shape {
        /// The generated type they were read as.
        shape: &'static str,
        /// What was wrong.
        #[source]
        source: serde_json::Error,
    },
}

/// Nests dotted keys: `{"extra.totalCount": 1, "state": 1}` becomes
/// `{"extra": {"totalCount": 1}, "state": 1}`, merged with what is already nested, at any depth.
///
/// When a path is given both ways, the dotted key wins. A key with an empty segment (`"a..b"`,
/// `".a"`, `"a."`) is kept as it is. Arrays are left alone.
///
/// ```
/// use serde_json::json;
///
/// let dotted = json!({"extra.totalCount": 1, "extra": {"answerState": 1}, "state": 1});
/// let nested = classroom_api::widgets::normalize_properties(dotted.as_object().unwrap());
/// assert_eq!(
///     serde_json::Value::Object(nested),
///     json!({"extra": {"answerState": 1, "totalCount": 1}, "state": 1})
/// );
/// ```
pub fn normalize_properties(properties: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    // Nested objects first, so that dotted keys win over them.
    for (key, value) in properties {
        if split_path(key).is_none() {
            merge(&mut out, key, normalized(value));
        }
    }
    for (key, value) in properties {
        if let Some(path) = split_path(key) {
            insert_path(&mut out, &path, normalized(value));
        }
    }
    out
}

fn normalized(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(normalize_properties(map)),
        other => other.clone(),
    }
}

/// The segments of a dotted key, when it is one.
fn split_path(key: &str) -> Option<Vec<&str>> {
    if !key.contains('.') {
        return None;
    }
    let parts: Vec<&str> = key.split('.').collect();
    parts.iter().all(|p| !p.is_empty()).then_some(parts)
}

/// Puts `value` at `key`, merging objects member by member (`value` winning).
fn merge(map: &mut Map<String, Value>, key: &str, value: Value) {
    match (map.get_mut(key), value) {
        (Some(Value::Object(existing)), Value::Object(new)) => {
            for (k, v) in new {
                merge(existing, &k, v);
            }
        }
        (_, value) => {
            map.insert(key.to_owned(), value);
        }
    }
}

fn insert_path(map: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = map;
    for part in parents {
        let slot = current
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else {
            return;
        };
        current = next;
    }
    merge(current, last, value);
}

impl WidgetPropertiesEventData {
    /// `changeProperties` in the nested form (see [`normalize_properties`]); empty when absent.
    pub fn normalized_properties(&self) -> Map<String, Value> {
        self.change_properties
            .as_ref()
            .map(normalize_properties)
            .unwrap_or_default()
    }

    /// Reads this event as a pop-up quiz event, whatever its widget.
    ///
    /// The kind comes from the shape first where it is unambiguous (a student's answer carries
    /// `selectedItems`, `isCorrect` or `lastCommitTime`), then from `cause.action`, then from
    /// the shape (`extra.answerState` 0 when ended, 1 or the question's items when started,
    /// counts alone for a summary).
    pub fn popup_quiz(&self) -> Result<PopupQuizEvent, WidgetError> {
        let props = self.normalized_properties();
        let kind = quiz_kind(&props, cause_action(self.cause.as_ref())).ok_or(
            WidgetError::Unrecognized {
                widget: "pop-up quiz",
            },
        )?;
        let value = Value::Object(props);
        Ok(match kind {
            Kind::Started => PopupQuizEvent::Started(shape(value, "PopupQuizStarted")?),
            Kind::Answer => PopupQuizEvent::Answer(shape(value, "PopupQuizAnswer")?),
            Kind::Summary => PopupQuizEvent::Summary(shape(value, "PopupQuizSummary")?),
            Kind::Ended => PopupQuizEvent::Ended(shape(value, "PopupQuizEnded")?),
        })
    }

    /// Reads this event as a poll event, whatever its widget.
    ///
    /// The kind comes from the shape first where it is unambiguous (a student's vote carries
    /// `selectIndex`), then from `cause.action`, then from the shape (`pollState` or
    /// `pollingState` 0 when ended, 1 or the options when started, results alone for a summary).
    pub fn poll(&self) -> Result<PollEvent, WidgetError> {
        let props = self.normalized_properties();
        let kind = poll_kind(&props, cause_action(self.cause.as_ref()))
            .ok_or(WidgetError::Unrecognized { widget: "poll" })?;
        let value = Value::Object(props);
        Ok(match kind {
            Kind::Started => {
                let mut started: PollStarted = shape(value, "PollStarted")?;
                if let Some(extra) = &mut started.extra {
                    same(&mut extra.polling_state, &mut extra.poll_state);
                }
                PollEvent::Started(started)
            }
            Kind::Answer => {
                let mut vote: PollAnswer = shape(value, "PollAnswer")?;
                let extra = vote.extra.get_or_insert_with(PollAnswerExtra::new);
                same(&mut vote.poll_id, &mut extra.poll_id);
                same(&mut vote.select_index, &mut extra.select_index);
                PollEvent::Vote(vote)
            }
            Kind::Summary => PollEvent::Summary(shape(value, "PollSummary")?),
            Kind::Ended => {
                let mut ended: PollEnded = shape(value, "PollEnded")?;
                if let Some(extra) = &mut ended.extra {
                    same(&mut extra.polling_state, &mut extra.poll_state);
                }
                PollEvent::Ended(ended)
            }
        })
    }

    /// Reads this event as a pop-up quiz or poll event; `None` when it is neither.
    ///
    /// The widget is told by its uuid (`popupQuiz`, `poll`), else by the cause (`popQuizId`,
    /// `pollId`), else by the keys of the changed properties.
    pub fn widget_event(&self) -> Option<Result<WidgetEvent, WidgetError>> {
        match self.widget_kind()? {
            Widget::PopupQuiz => Some(self.popup_quiz().map(WidgetEvent::PopupQuiz)),
            Widget::Poll => Some(self.poll().map(WidgetEvent::Poll)),
        }
    }

    /// The cause as a pop-up quiz cause, when it is an object (`popupQuizId` is read as
    /// `popQuizId`).
    pub fn popup_quiz_cause(&self) -> Option<PopupQuizCause> {
        let mut cause = cause_object(self.cause.as_ref())?;
        if !cause.contains_key("popQuizId")
            && let Some(id) = cause.remove("popupQuizId")
        {
            cause.insert("popQuizId".to_owned(), id);
        }
        serde_json::from_value(Value::Object(cause)).ok()
    }

    /// The cause as a poll cause, when it is an object.
    pub fn poll_cause(&self) -> Option<PollCause> {
        serde_json::from_value(Value::Object(cause_object(self.cause.as_ref())?)).ok()
    }

    fn widget_kind(&self) -> Option<Widget> {
        match self.widget_uuid.as_deref() {
            Some(POPUP_QUIZ_WIDGET) => return Some(Widget::PopupQuiz),
            Some(POLL_WIDGET) => return Some(Widget::Poll),
            _ => {}
        }
        if let Some(cause) = cause_object(self.cause.as_ref()) {
            if cause.contains_key("popQuizId") || cause.contains_key("popupQuizId") {
                return Some(Widget::PopupQuiz);
            }
            if cause.contains_key("pollId") {
                return Some(Widget::Poll);
            }
        }
        let props = self.normalized_properties();
        let has = |keys: &[&str]| {
            let extra = props.get("extra").and_then(Value::as_object);
            keys.iter()
                .any(|k| props.contains_key(*k) || extra.is_some_and(|e| e.contains_key(*k)))
        };
        if has(QUIZ_KEYS) {
            Some(Widget::PopupQuiz)
        } else if has(POLL_KEYS) {
            Some(Widget::Poll)
        } else {
            None
        }
    }
}

impl Event {
    /// This event as a pop-up quiz or poll event: `None` unless it is a widget properties event
    /// (cmd 1110) of one of them. See [`WidgetPropertiesEventData::widget_event`].
    pub fn widget_event(&self) -> Option<Result<WidgetEvent, WidgetError>> {
        match &self.payload {
            EventPayload::WidgetProperties(data) => data.widget_event(),
            _ => None,
        }
    }
}

impl PollEvent {
    /// The poll's id, when the event carries it.
    pub fn poll_id(&self) -> Option<&str> {
        match self {
            PollEvent::Started(s) => s.extra.as_ref()?.poll_id.as_deref(),
            PollEvent::Vote(v) => v.poll_id.as_deref(),
            PollEvent::Summary(s) => s.extra.as_ref()?.poll_id.as_deref(),
            PollEvent::Ended(e) => e.extra.as_ref()?.poll_id.as_deref(),
        }
    }
}

impl PopupQuizEvent {
    /// The question's id, when the event carries it (the summaries do not; see
    /// [`WidgetPropertiesEventData::popup_quiz_cause`]).
    pub fn popup_quiz_id(&self) -> Option<&str> {
        match self {
            PopupQuizEvent::Started(s) => s.extra.as_ref()?.popup_quiz_id.as_deref(),
            PopupQuizEvent::Answer(a) => a.popup_quiz_id.as_deref(),
            PopupQuizEvent::Summary(_) | PopupQuizEvent::Ended(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Widget {
    PopupQuiz,
    Poll,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Started,
    Answer,
    Summary,
    Ended,
}

const QUIZ_KEYS: &[&str] = &[
    "popupQuizId",
    "selectedItems",
    "isCorrect",
    "answerState",
    "correctItems",
    "receiveQuestionTime",
];
const POLL_KEYS: &[&str] = &[
    "pollId",
    "pollDetails",
    "pollItems",
    "pollState",
    "pollingState",
    "selectIndex",
];

fn quiz_kind(props: &Map<String, Value>, action: Option<WidgetCauseAction>) -> Option<Kind> {
    if ["selectedItems", "isCorrect", "lastCommitTime"]
        .iter()
        .any(|k| props.contains_key(*k))
    {
        return Some(Kind::Answer);
    }
    if let Some(kind) = kind_of_action(action) {
        return Some(kind);
    }
    let extra = props.get("extra").and_then(Value::as_object);
    let state = extra.and_then(|e| e.get("answerState")).and_then(as_int);
    let extra_has = |keys: &[&str]| extra.is_some_and(|e| keys.iter().any(|k| e.contains_key(*k)));
    if state == Some(0) {
        Some(Kind::Ended)
    } else if state == Some(1)
        || props.contains_key("state")
        || extra_has(&[
            "correctItems",
            "items",
            "receiveQuestionTime",
            "popupQuizId",
        ])
    {
        Some(Kind::Started)
    } else if extra_has(&[
        "selectedCount",
        "correctCount",
        "totalCount",
        "averageAccuracy",
    ]) {
        Some(Kind::Summary)
    } else {
        None
    }
}

fn poll_kind(props: &Map<String, Value>, action: Option<WidgetCauseAction>) -> Option<Kind> {
    let extra = props.get("extra").and_then(Value::as_object);
    let extra_has = |keys: &[&str]| extra.is_some_and(|e| keys.iter().any(|k| e.contains_key(*k)));
    if props.contains_key("selectIndex") || extra_has(&["selectIndex"]) {
        return Some(Kind::Answer);
    }
    if let Some(kind) = kind_of_action(action) {
        return Some(kind);
    }
    let state = extra
        .and_then(|e| e.get("pollingState").or_else(|| e.get("pollState")))
        .and_then(as_int);
    if state == Some(0) {
        Some(Kind::Ended)
    } else if state == Some(1) || props.contains_key("state") || extra_has(&["mode", "pollItems"]) {
        Some(Kind::Started)
    } else if extra_has(&["pollDetails"]) {
        Some(Kind::Summary)
    } else {
        None
    }
}

/// What a cause's action says. A student's submission that is not the student's own properties
/// is the summary it changed.
fn kind_of_action(action: Option<WidgetCauseAction>) -> Option<Kind> {
    match action? {
        WidgetCauseAction::TeacherStarted => Some(Kind::Started),
        WidgetCauseAction::TeacherEnded => Some(Kind::Ended),
        WidgetCauseAction::StudentSubmitted | WidgetCauseAction::SummarySynced => {
            Some(Kind::Summary)
        }
        _ => None,
    }
}

/// The cause as an object: an object, or a string holding one.
fn cause_object(cause: Option<&Value>) -> Option<Map<String, Value>> {
    match cause? {
        Value::Object(map) => Some(map.clone()),
        Value::String(s) => match serde_json::from_str(s) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        },
        _ => None,
    }
}

/// The cause's action: `cause.action`, or a cause that is the action itself (`"1"`, `1`).
fn cause_action(cause: Option<&Value>) -> Option<WidgetCauseAction> {
    let action = match cause? {
        Value::Object(map) => map.get("action").and_then(as_int),
        Value::String(s) => s
            .trim()
            .parse()
            .ok()
            .or_else(|| cause_object(cause)?.get("action").and_then(as_int)),
        other => as_int(other),
    }?;
    Some(WidgetCauseAction::from_value(action))
}

fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn shape<T: serde::de::DeserializeOwned>(
    value: Value,
    shape: &'static str,
) -> Result<T, WidgetError> {
    serde_json::from_value(value).map_err(|source| WidgetError::Shape { shape, source })
}

/// Fills each of two places from the other when only one is set.
fn same<T: Clone>(a: &mut Option<T>, b: &mut Option<T>) {
    match (a.is_some(), b.is_some()) {
        (false, true) => a.clone_from(b),
        (true, false) => b.clone_from(a),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[track_caller]
    fn check(input: Value, expected: Value) {
        let got = normalize_properties(input.as_object().unwrap());
        assert_eq!(Value::Object(got), expected, "input: {input}");
    }

    #[test]
    fn dotted_keys_nest() {
        check(json!({"a.b": 1}), json!({"a": {"b": 1}}));
        check(
            json!({"a.b.c": 1, "a.d": 2}),
            json!({"a": {"b": {"c": 1}, "d": 2}}),
        );
        check(
            json!({"a": {"b": 1}, "a.c": 2}),
            json!({"a": {"b": 1, "c": 2}}),
        );
        check(json!({"a.b": 2, "a": {"b": 1}}), json!({"a": {"b": 2}}));
        check(json!({"a": 5, "a.b": 1}), json!({"a": {"b": 1}}));
        check(json!({"a": {"x.y": 1}}), json!({"a": {"x": {"y": 1}}}));
        check(
            json!({"a..b": 1, ".a": 2, "a.": 3}),
            json!({"a..b": 1, ".a": 2, "a.": 3}),
        );
        check(json!({"a": [{"b.c": 1}]}), json!({"a": [{"b.c": 1}]}));
        check(json!({}), json!({}));
    }

    #[test]
    fn actions_decide_when_the_shape_does_not() {
        let props = json!({"extra": {"selectedCount": 1}});
        let props = props.as_object().unwrap();
        assert_eq!(quiz_kind(props, None), Some(Kind::Summary));
        assert_eq!(
            quiz_kind(props, Some(WidgetCauseAction::TeacherEnded)),
            Some(Kind::Ended)
        );
        assert_eq!(
            cause_action(Some(&json!("2"))),
            Some(WidgetCauseAction::TeacherEnded)
        );
        assert_eq!(
            cause_action(Some(&json!({"action": "3"}))),
            Some(WidgetCauseAction::StudentSubmitted)
        );
        assert_eq!(cause_action(Some(&json!("started"))), None);
    }
}
