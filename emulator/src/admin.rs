//! What the emulator offers besides the vendor's API: users joining and leaving rooms, injected
//! events, room snapshots. Used by the `/_emulator/...` endpoints and by [`crate::Emulator`].

use classroom_api::types::UserRole;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::reply::Failure;
use crate::state::{REGIONS, State, User, random_stream_uuid};

/// A user joining a room through the emulator (the vendor's API has no such operation: users
/// join from the classroom clients).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinUser {
    /// Display name; the user uuid when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Role: teacher, student (the default) or assistant; in JSON `1`, `2`, `3` or a name the API
    /// accepts (`"teacher"`, `"student"`, `"audience"`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<UserRole>,
    /// Initial custom user properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_properties: Option<Map<String, Value>>,
    /// Stream id (a decimal string); a random one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_uuid: Option<String>,
}

impl JoinUser {
    /// A user with this display name and the default role (student).
    pub fn new(user_name: impl Into<String>) -> Self {
        JoinUser {
            user_name: Some(user_name.into()),
            ..JoinUser::default()
        }
    }

    /// Sets the role (teacher, student or assistant).
    #[must_use]
    pub fn role(mut self, role: UserRole) -> Self {
        self.role = Some(role);
        self
    }

    /// Sets the initial custom user properties.
    #[must_use]
    pub fn user_properties(mut self, properties: Map<String, Value>) -> Self {
        self.user_properties = Some(properties);
        self
    }

    /// Sets the stream id (a decimal string).
    #[must_use]
    pub fn stream_uuid(mut self, stream_uuid: impl Into<String>) -> Self {
        self.stream_uuid = Some(stream_uuid.into());
        self
    }
}

/// Events appended to a room as if the classroom clients had caused them (chat messages,
/// rewards, hands raised...): `count` copies of `{cmd, data}`, each with its own sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InjectEvents {
    /// A documented event type: 1, 3, 20, 1001, 1003, 1101, 1110, 1501 or 1502.
    pub cmd: i64,
    /// The event's data.
    #[serde(default = "empty_object")]
    pub data: Value,
    /// How many copies (1 to 10,000; default 1).
    #[serde(default = "one")]
    pub count: u32,
}

impl InjectEvents {
    /// One event of type `cmd` with an empty `data`, as the JSON `{"cmd": ...}` with nothing else
    /// gives (`data` `{}`, `count` 1).
    ///
    /// ```
    /// use classroom_emulator::InjectEvents;
    /// use serde_json::json;
    ///
    /// // Five chat messages.
    /// let chat = InjectEvents::new(3).data(json!({"message": "hello", "type": 1})).count(5);
    /// assert_eq!(chat.count, 5);
    /// assert_eq!(InjectEvents::new(1101), serde_json::from_value(json!({"cmd": 1101})).unwrap());
    /// ```
    pub fn new(cmd: i64) -> Self {
        InjectEvents {
            cmd,
            data: empty_object(),
            count: one(),
        }
    }

    /// Sets the events' `data`.
    #[must_use]
    pub fn data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }

    /// Sets how many copies are appended (1 to 10,000).
    #[must_use]
    pub fn count(mut self, count: u32) -> Self {
        self.count = count;
        self
    }
}

fn empty_object() -> Value {
    json!({})
}

fn one() -> u32 {
    1
}

/// Why an emulator-specific request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status}, code {code}: {msg}")]
pub struct AdminError {
    /// The HTTP status the admin endpoint answers.
    pub status: u16,
    /// The business code of its envelope.
    pub code: i64,
    /// What went wrong.
    pub msg: String,
}

impl From<Failure> for AdminError {
    fn from(f: Failure) -> Self {
        AdminError {
            status: f.status.as_u16(),
            code: f.code,
            msg: f.msg,
        }
    }
}

/// The event types of the documents' catalogue.
const KNOWN_CMDS: [i64; 9] = [1, 3, 20, 1001, 1003, 1101, 1110, 1501, 1502];

fn check_region(region: &str) -> Result<(), Failure> {
    if REGIONS.contains(&region) {
        Ok(())
    } else {
        Err(Failure::bad_request(format!(
            "unknown region {region:?}, expected one of {REGIONS:?}"
        )))
    }
}

/// A user joins: online, with a users-in-out event (cmd 20). Answers 20404100 for an unknown
/// room, 30410100 for a closed one, 403 (code 403) for a user kicked out and not yet allowed
/// back. A user already online is updated without an event.
pub(crate) fn join(
    state: &mut State,
    region: &str,
    room_uuid: &str,
    user_uuid: &str,
    spec: JoinUser,
) -> Result<(), Failure> {
    check_region(region)?;
    crate::routes::check_id("userUuid", user_uuid)?;
    let role = match spec.role.as_ref().map(UserRole::value) {
        None => None,
        Some(Some(v @ 1..=3)) => Some(v),
        Some(_) => {
            return Err(Failure::bad_request(
                "role must be teacher (1), student (2) or assistant (3)",
            ));
        }
    };
    let now = state.now();
    state.tick(now);
    let room = state
        .rooms
        .get_mut(&(region.to_owned(), room_uuid.to_owned()))
        .ok_or_else(Failure::room_not_found)?;
    if room.state == 3 {
        return Err(Failure::room_ended());
    }
    let user = room
        .users
        .entry(user_uuid.to_owned())
        .or_insert_with(|| User {
            uuid: user_uuid.to_owned(),
            name: user_uuid.to_owned(),
            role: 2,
            stream_uuid: random_stream_uuid(),
            online: false,
            properties: Map::new(),
            update_time: now,
            kicked_until: None,
        });
    if user.is_kicked(now) {
        return Err(Failure::new(
            axum::http::StatusCode::FORBIDDEN,
            403,
            "the user was kicked out and may not join yet",
        ));
    }
    if user.kicked_until.is_some() {
        user.kicked_until = None;
    }
    if let Some(name) = spec.user_name {
        user.name = name;
    }
    if let Some(role) = role {
        user.role = role;
    }
    if let Some(p) = spec.user_properties {
        user.properties = p;
    }
    if let Some(s) = spec.stream_uuid {
        user.stream_uuid = s;
    }
    user.update_time = now;
    let joined = (!user.online).then(|| {
        user.online = true;
        user.event_json()
    });
    if let Some(joined) = joined {
        room.emit(
            20,
            json!({"total": 1, "onlineUsers": [joined], "offlineUsers": []}),
        );
    }
    state.flush();
    Ok(())
}

/// A user leaves: offline, with a users-in-out event (cmd 20) when it was online.
pub(crate) fn leave(
    state: &mut State,
    region: &str,
    room_uuid: &str,
    user_uuid: &str,
) -> Result<(), Failure> {
    check_region(region)?;
    let now = state.now();
    state.tick(now);
    let room = state
        .rooms
        .get_mut(&(region.to_owned(), room_uuid.to_owned()))
        .ok_or_else(Failure::room_not_found)?;
    let user = room
        .users
        .get(user_uuid)
        .ok_or_else(Failure::user_not_found)?;
    if user.online {
        room.users_offline(&[user_uuid.to_owned()], now);
    }
    state.flush();
    Ok(())
}

/// Appends injected events to a room; the sequences given.
pub(crate) fn inject(
    state: &mut State,
    region: &str,
    room_uuid: &str,
    events: InjectEvents,
) -> Result<Vec<i64>, Failure> {
    check_region(region)?;
    if !KNOWN_CMDS.contains(&events.cmd) {
        return Err(Failure::bad_request(format!(
            "cmd must be one of the documented {KNOWN_CMDS:?}"
        )));
    }
    if !(1..=10_000).contains(&events.count) {
        return Err(Failure::bad_request("count must be from 1 to 10000"));
    }
    let now = state.now();
    state.tick(now);
    let room = state
        .rooms
        .get_mut(&(region.to_owned(), room_uuid.to_owned()))
        .ok_or_else(Failure::room_not_found)?;
    let mut sequences = Vec::new();
    for _ in 0..events.count {
        room.emit(events.cmd, events.data.clone());
        sequences.push(room.events.len() as i64);
    }
    state.flush();
    Ok(sequences)
}

/// The whole room as JSON.
pub(crate) fn snapshot(
    state: &mut State,
    app_id: &str,
    region: &str,
    room_uuid: &str,
) -> Result<Value, Failure> {
    check_region(region)?;
    let now = state.now();
    state.tick(now);
    state
        .rooms
        .get(&(region.to_owned(), room_uuid.to_owned()))
        .map(|r| r.snapshot(app_id, now))
        .ok_or_else(Failure::room_not_found)
}
