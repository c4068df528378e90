//! The response envelope: `{code, msg, ts, data}` on success, `{code, msg, ts}` on error.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

/// An error answer: the HTTP status and the business code of the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub status: StatusCode,
    pub code: i64,
    pub msg: String,
}

impl Failure {
    pub fn new(status: StatusCode, code: i64, msg: impl Into<String>) -> Self {
        Failure {
            status,
            code,
            msg: msg.into(),
        }
    }

    /// 400 with business code 400.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Failure::new(StatusCode::BAD_REQUEST, 400, msg)
    }

    /// 401; the documents give no business code, the emulator sends 401.
    pub fn unauthorized(msg: impl Into<String>) -> Self {
        Failure::new(StatusCode::UNAUTHORIZED, 401, msg)
    }

    pub fn room_not_found() -> Self {
        Failure::new(StatusCode::NOT_FOUND, 20404100, "Room not exists!")
    }

    pub fn user_not_found() -> Self {
        Failure::new(StatusCode::NOT_FOUND, 20404200, "User not exists!")
    }

    /// 409 for a room that already exists; the reference gives no business code, the emulator
    /// sends 409.
    pub fn room_exists() -> Self {
        Failure::new(StatusCode::CONFLICT, 409, "Room already exists!")
    }

    pub fn room_ended() -> Self {
        Failure::new(StatusCode::GONE, 30410100, "The classroom has ended.")
    }

    pub fn class_already_started() -> Self {
        Failure::new(
            StatusCode::CONFLICT,
            30409100,
            "Class state conflict, the class has already started.",
        )
    }

    pub fn class_already_ended() -> Self {
        Failure::new(
            StatusCode::CONFLICT,
            30409101,
            "Class state conflict, the class has already ended.",
        )
    }

    pub fn recording_not_started() -> Self {
        Failure::new(
            StatusCode::CONFLICT,
            30409410,
            "Recording state conflict, the recording has not been started.",
        )
    }

    pub fn recording_not_ended() -> Self {
        Failure::new(
            StatusCode::CONFLICT,
            30409411,
            "Recording state conflict, the recording has not been ended.",
        )
    }

    pub fn root_url_required() -> Self {
        Failure::new(
            StatusCode::BAD_REQUEST,
            30400412,
            "The parameter rootUrl must not be empty.",
        )
    }

    /// The error envelope.
    pub fn body(&self, ts: i64) -> Value {
        json!({"code": self.code, "msg": self.msg, "ts": ts})
    }
}

/// A success answer: the envelope's `data` (left out when `None`) and any top-level extras.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Success {
    pub data: Option<Value>,
}

impl Success {
    pub fn empty() -> Self {
        Success { data: None }
    }

    pub fn data(data: Value) -> Self {
        Success { data: Some(data) }
    }

    /// The success envelope.
    pub fn body(&self, ts: i64) -> Value {
        let mut map = Map::new();
        map.insert("code".into(), json!(0));
        map.insert("msg".into(), json!("Success"));
        map.insert("ts".into(), json!(ts));
        if let Some(data) = &self.data {
            map.insert("data".into(), data.clone());
        }
        Value::Object(map)
    }
}

pub(crate) type Outcome = Result<Success, Failure>;
