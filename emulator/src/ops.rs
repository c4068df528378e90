//! The 28 operations of the spec, as synchronous functions over the state.
//!
//! Each takes the state and the decoded request ([`Req`]) and answers a success (with the
//! envelope's `data`) or a documented failure. The router (`routes.rs`) has already checked the
//! credentials, the region, the app id and the ids in the path.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use classroom_api::types::{
    CreateRoomRequest, DeletePropertiesRequest, DeleteResourcesRequest, DeleteWidgetRequest,
    KickUserRequest, PutResourceRequest, SetGroupStateRequest, SetPropertiesRequest,
    UpdateExtAppPropertiesRequest, UpdateRecordingRequest, UpdateWidgetRequest,
};

use crate::props;
use crate::reply::{Failure, Outcome, Success};
use crate::state::{
    PAGE, Recording, Room, RoomKey, Schedule, State, User, random_hex, random_stream_uuid,
    server_operator, widget_event,
};

/// A request as the operations see it.
#[derive(Debug)]
pub(crate) struct Req {
    pub app_id: String,
    pub region: String,
    /// Path parameters, percent-decoded.
    pub params: BTreeMap<String, String>,
    /// Query parameters, percent-decoded.
    pub query: BTreeMap<String, String>,
    /// The JSON body; `None` when the body is empty or `null`.
    pub body: Option<Value>,
    /// The emulator's clock, unix milliseconds.
    pub now: i64,
}

impl Req {
    fn param(&self, name: &str) -> Result<&str, Failure> {
        self.params
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| Failure::bad_request(format!("missing path parameter {name}")))
    }

    fn room_key(&self) -> Result<RoomKey, Failure> {
        Ok((self.region.clone(), self.param("roomUuid")?.to_owned()))
    }

    /// The required body as `T`.
    fn body<T: DeserializeOwned>(&self) -> Result<T, Failure> {
        match &self.body {
            None => Err(Failure::bad_request("the request body is required")),
            Some(v) => decode(v),
        }
    }

    /// The optional body as `T`.
    fn body_opt<T: DeserializeOwned>(&self) -> Result<Option<T>, Failure> {
        self.body.as_ref().map(decode).transpose()
    }

    /// An integer path parameter among `allowed`.
    fn state_param(&self, allowed: &[i64]) -> Result<i64, Failure> {
        let raw = self.param("state")?;
        raw.parse::<i64>()
            .ok()
            .filter(|s| allowed.contains(s))
            .ok_or_else(|| {
                Failure::bad_request(format!("state must be one of {allowed:?}, got {raw:?}"))
            })
    }

    /// The `nextId` query parameter as a position; the documents allow `null` for the first batch.
    /// The spec types nextId as any string: one this server did not give points past the end, so
    /// its batch is empty and last.
    fn next_id(&self) -> Result<Option<i64>, Failure> {
        match self.query.get("nextId").map(|s| s.trim()) {
            None | Some("" | "null") => Ok(None),
            Some(s) => Ok(Some(s.parse::<i64>().unwrap_or(i64::MAX))),
        }
    }

    /// An integer query parameter; the spec's are all `format: int32`.
    fn int_query(&self, name: &str) -> Result<Option<i64>, Failure> {
        // An empty value is no integer: the spec's query integers are left out, not empty.
        match self.query.get(name).map(String::as_str) {
            None => Ok(None),
            Some(s) => s.parse::<i32>().map(|n| Some(i64::from(n))).map_err(|_| {
                Failure::bad_request(format!("{name} must be a 32-bit integer, got {s:?}"))
            }),
        }
    }
}

fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, Failure> {
    T::deserialize(value).map_err(|e| Failure::bad_request(format!("invalid request body: {e}")))
}

fn room<'a>(state: &'a mut State, req: &Req) -> Result<&'a mut Room, Failure> {
    let key = req.room_key()?;
    state
        .rooms
        .get_mut(&key)
        .ok_or_else(Failure::room_not_found)
}

/// A room that may still change: a closed room (state 3) answers 30410100.
fn open_room<'a>(state: &'a mut State, req: &Req) -> Result<&'a mut Room, Failure> {
    let room = room(state, req)?;
    if room.state == 3 {
        return Err(Failure::room_ended());
    }
    Ok(room)
}

fn object(map: Option<Map<String, Value>>) -> Option<Value> {
    map.map(Value::Object)
}

// Rooms.

pub(crate) fn create_room(state: &mut State, req: &Req) -> Outcome {
    let body: CreateRoomRequest = req.body()?;
    if body.room_name.is_empty() || body.room_name.len() > 64 {
        return Err(Failure::bad_request("roomName must be 1 to 64 bytes long"));
    }
    let room_type = body
        .room_type
        .value()
        .filter(|t| [0, 2, 4, 10].contains(t))
        .ok_or_else(|| Failure::bad_request("roomType must be 0, 2, 4 or 10"))?;
    let key = req.room_key()?;
    // The reference: 409 when the room already exists; the existing room is left as it is.
    if state.rooms.contains_key(&key) {
        return Err(Failure::room_exists());
    }
    let mut schedule = Schedule::default();
    if let Some(s) = body
        .room_properties
        .as_ref()
        .and_then(|p| p.schedule.as_ref())
    {
        for (name, v) in [
            ("startTime", s.start_time),
            ("duration", s.duration),
            ("closeDelay", s.close_delay),
        ] {
            if v.is_some_and(|v| v < 0) {
                return Err(Failure::bad_request(format!(
                    "schedule.{name} must not be negative"
                )));
            }
        }
        schedule = Schedule {
            start_time: s.start_time,
            duration: s.duration,
            close_delay: s.close_delay,
        };
    }
    let room_properties = body
        .room_properties
        .as_ref()
        .and_then(|p| serde_json::to_value(p).ok())
        .unwrap_or_else(|| json!({}));
    let room = Room::new(
        &key.0,
        &key.1,
        body.room_name,
        room_type,
        room_properties,
        schedule,
        req.now,
    );
    state.rooms.insert(key, room);
    Ok(Success::empty())
}

pub(crate) fn get_room(state: &mut State, req: &Req) -> Outcome {
    let room = room(state, req)?;
    Ok(Success::data(room.info_json()))
}

pub(crate) fn set_room_state(state: &mut State, req: &Req) -> Outcome {
    let target = req.state_param(&[0, 1, 2, 3])?;
    let room = room(state, req)?;
    match (room.state, target) {
        (3, _) => Err(Failure::room_ended()),
        (2, 3) | (0 | 1, 1..=3) if target > room.state => {
            room.set_state(target, req.now);
            Ok(Success::empty())
        }
        (0, 0) => Ok(Success::empty()),
        (1, _) => Err(Failure::class_already_started()),
        _ => Err(Failure::class_already_ended()),
    }
}

pub(crate) fn update_room_properties(state: &mut State, req: &Req) -> Outcome {
    let body: SetPropertiesRequest = req.body()?;
    let room = open_room(state, req)?;
    props::set_all(&mut room.properties, &body.properties)?;
    Ok(Success::empty())
}

pub(crate) fn delete_room_properties(state: &mut State, req: &Req) -> Outcome {
    let body: DeletePropertiesRequest = req.body()?;
    let room = open_room(state, req)?;
    props::delete_all(&mut room.properties, &body.properties);
    Ok(Success::empty())
}

pub(crate) fn set_group_state(state: &mut State, req: &Req) -> Outcome {
    let target = req.state_param(&[0, 1])?;
    // The body is optional in the spec: opening groups without one opens none. Closing them
    // ignores the groups, once they are found to be what the spec describes.
    let given: Option<SetGroupStateRequest> = req.body_opt()?;
    for group in given.iter().flat_map(|b| &b.groups) {
        for user in &group.users {
            crate::routes::check_id("groups.users.userUuid", &user.user_uuid)?;
        }
    }
    let body =
        (target == 1).then(|| given.unwrap_or_else(|| SetGroupStateRequest::new(Vec::new())));
    let room = open_room(state, req)?;
    room.groups = body.map(|b| {
        b.groups
            .into_iter()
            .map(|g| {
                json!({
                    "groupUuid": g.group_uuid.unwrap_or_else(|| random_hex(16)),
                    "groupName": g.group_name,
                    "users": g.users.into_iter().map(|u| json!({"userUuid": u.user_uuid})).collect::<Vec<_>>(),
                })
            })
            .collect()
    });
    Ok(Success::empty())
}

// Users.

fn user<'a>(room: &'a mut Room, req: &Req) -> Result<&'a mut User, Failure> {
    let uuid = req.param("userUuid")?;
    room.users.get_mut(uuid).ok_or_else(Failure::user_not_found)
}

pub(crate) fn get_user(state: &mut State, req: &Req) -> Outcome {
    let room = room(state, req)?;
    Ok(Success::data(user(room, req)?.api_json()))
}

pub(crate) fn update_user_properties(state: &mut State, req: &Req) -> Outcome {
    let body: SetPropertiesRequest = req.body()?;
    let room = open_room(state, req)?;
    let user = user(room, req)?;
    props::set_all(&mut user.properties, &body.properties)?;
    user.update_time = req.now;
    Ok(Success::empty())
}

pub(crate) fn delete_user_properties(state: &mut State, req: &Req) -> Outcome {
    let body: DeletePropertiesRequest = req.body()?;
    let room = open_room(state, req)?;
    let user = user(room, req)?;
    props::delete_all(&mut user.properties, &body.properties);
    user.update_time = req.now;
    Ok(Success::empty())
}

pub(crate) fn kick_user(state: &mut State, req: &Req) -> Outcome {
    let body: Option<KickUserRequest> = req.body_opt()?;
    let room = room(state, req)?;
    let user = user(room, req)?;
    if let Some(dirty) = body.and_then(|b| b.dirty) {
        match dirty.state.map(|s| s.value()) {
            Some(1) => {
                if dirty.duration.is_some_and(|d| d < 0) {
                    return Err(Failure::bad_request("dirty.duration must not be negative"));
                }
                user.kicked_until = Some(
                    dirty
                        .duration
                        .map(|d| req.now.saturating_add(d.saturating_mul(1000))),
                );
            }
            Some(0) => user.kicked_until = None,
            None => {}
            Some(other) => {
                return Err(Failure::bad_request(format!(
                    "dirty.state must be 0 or 1, got {other}"
                )));
            }
        }
    }
    let uuid = user.uuid.clone();
    room.users_offline(&[uuid], req.now);
    Ok(Success::empty())
}

// Recordings.

/// The body of setRecordingState, read leniently so that a web recording without `rootUrl`
/// answers the documented 30400412 rather than a generic 400.
#[derive(Debug, Deserialize)]
struct RecordingBody {
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "webRecordConfig", default)]
    web_record_config: Option<Map<String, Value>>,
    #[serde(rename = "retryTimeout", default)]
    retry_timeout: Option<i64>,
}

/// An optional integer field of the web recording configuration within `min..=max`.
fn config_int(
    config: &Map<String, Value>,
    name: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, Failure> {
    match config.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| {
                Failure::bad_request(format!(
                    "webRecordConfig.{name} must be an integer from {min} to {max}"
                ))
            }),
    }
}

pub(crate) fn set_recording_state(state: &mut State, req: &Req) -> Outcome {
    let target = req.state_param(&[0, 1])?;
    recording_state(state, req, target)
}

fn recording_state(state: &mut State, req: &Req, target: i64) -> Outcome {
    if target == 0 {
        let room = room(state, req)?;
        let stopped = room
            .stop_recording(req.now)
            .ok_or_else(Failure::recording_not_started)?;
        return Ok(Success::data(stopped.result_json(0)));
    }
    let body: RecordingBody = req.body_opt()?.unwrap_or(RecordingBody {
        mode: None,
        web_record_config: None,
        retry_timeout: None,
    });
    let web = match body.mode.as_deref() {
        None | Some("") => false,
        Some("web") => true,
        Some(other) => {
            return Err(Failure::bad_request(format!(
                "mode must be \"web\" or left out, got {other:?}"
            )));
        }
    };
    if body.retry_timeout.is_some_and(|t| t < 0) {
        return Err(Failure::bad_request("retryTimeout must not be negative"));
    }
    let config = body.web_record_config.unwrap_or_default();
    if web {
        let root_url = config.get("rootUrl").and_then(Value::as_str).unwrap_or("");
        if root_url.trim().is_empty() {
            return Err(Failure::root_url_required());
        }
    }
    config_int(&config, "videoBitrate", 50, 8000)?;
    config_int(&config, "videoFps", 5, 60)?;
    config_int(&config, "audioProfile", 0, 2)?;
    let width = config_int(&config, "videoWidth", 480, 1920)?.unwrap_or(1280);
    let height = config_int(&config, "videoHeight", 480, 1920)?.unwrap_or(720);
    if width * height > 1920 * 1080 {
        return Err(Failure::bad_request(
            "videoWidth × videoHeight must not exceed 1920 × 1080",
        ));
    }
    let max_hours = config_int(&config, "maxRecordingHour", 1, 720)?;
    let onhold = match config.get("onhold") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(Failure::bad_request(
                "webRecordConfig.onhold must be a boolean",
            ));
        }
    };
    let publish_rtmp = match config.get("publishRtmp") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => {
            return Err(Failure::bad_request(
                "webRecordConfig.publishRtmp must be true or false",
            ));
        }
    };
    let app_id = req.app_id.clone();
    let room = open_room(state, req)?;
    if room.active_recording().is_some() {
        return Err(Failure::recording_not_ended());
    }
    let record_id = random_hex(32);
    let streaming_url = publish_rtmp.then(|| {
        let path = format!("{app_id}/{}", room.uuid);
        json!({
            "rtmp": format!("rtmp://emulator.invalid/live/{path}"),
            "flv": format!("http://emulator.invalid/live/{path}.flv"),
            "hls": format!("http://emulator.invalid/live/{path}.m3u8"),
        })
    });
    let recording = Recording {
        record_id,
        sid: random_hex(32),
        resource_id: random_hex(48),
        record_uid: random_stream_uuid(),
        web,
        start_time: req.now,
        end_time: None,
        onhold,
        max_hours: room.max_recording_hours(max_hours),
        streaming_url,
        config: Value::Object(config),
    };
    let mut event = json!({
        "recordId": recording.record_id,
        "sid": recording.sid,
        "resourceId": recording.resource_id,
        "state": 1,
        "startTime": recording.start_time,
    });
    // The CDN addresses, in the event too (the 2026 English reference's cmd 1001 table).
    if let Some(url) = &recording.streaming_url {
        event["streamingUrl"] = url.clone();
    }
    room.emit(1001, event);
    let answer = recording.result_json(1);
    room.recordings.push(recording);
    Ok(Success::data(answer))
}

pub(crate) fn update_recording(state: &mut State, req: &Req) -> Outcome {
    req.state_param(&[1])?;
    let body: UpdateRecordingRequest = req.body()?;
    let room = open_room(state, req)?;
    let rec = room
        .active_recording()
        .ok_or_else(Failure::recording_not_started)?;
    if let Some(config) = body.web_record_config {
        rec.onhold = config.onhold;
        if let Value::Object(m) = &mut rec.config {
            m.insert("onhold".into(), json!(config.onhold));
        }
    }
    Ok(Success::empty())
}

pub(crate) fn list_recordings(state: &mut State, req: &Req) -> Outcome {
    let start = req.next_id()?.unwrap_or(0);
    let app_id = req.app_id.clone();
    let room = room(state, req)?;
    let total = room.recordings.len();
    let from = usize::try_from(start).unwrap_or(usize::MAX).min(total);
    let to = (from + PAGE).min(total);
    let list: Vec<Value> = room.recordings[from..to]
        .iter()
        .map(|r| r.api_json(&app_id, &room.uuid))
        .collect();
    let next_id = (to < total).then(|| to.to_string());
    let mut data = json!({
        "total": total,
        "count": list.len(),
        "list": list,
        "nextId": next_id,
    });
    if room.recordings.iter().any(|r| r.web) {
        data["webRecordUrlQuery"] = json!(format!(
            "roomUuid={}&roomType={}&appId={app_id}&language=en",
            room.uuid, room.room_type
        ));
    }
    Ok(Success::data(data))
}

// Widgets.

pub(crate) fn update_widget(state: &mut State, req: &Req) -> Outcome {
    let body: UpdateWidgetRequest = req.body()?;
    let widget_uuid = req.param("widgetUuid")?.to_owned();
    let state_value = match body.state.as_ref().map(|s| s.value()) {
        None => None,
        Some(s @ (0 | 1)) => Some(s),
        Some(other) => {
            return Err(Failure::bad_request(format!(
                "state must be 0 or 1, got {other}"
            )));
        }
    };
    // The table names the properties extra, the example properties: both are read.
    let mut extra = body.properties.unwrap_or_default();
    extra.extend(body.extra.unwrap_or_default());
    props::check(extra.keys())?;
    let room = open_room(state, req)?;
    if extra.is_empty() && state_value.is_none() && body.owner_user_uuid.is_none() {
        return Ok(Success::empty());
    }
    let widget = room.widgets.entry(widget_uuid.clone()).or_default();
    let mut changed = Map::new();
    if !extra.is_empty() {
        props::set_all(&mut widget.extra, &extra)?;
        changed.insert("extra".into(), Value::Object(extra));
    }
    if let Some(s) = state_value {
        widget.state = Some(s);
        changed.insert("state".into(), json!(s));
    }
    if let Some(owner) = body.owner_user_uuid {
        widget.owner = Some(owner.clone());
        changed.insert("ownerUserUuid".into(), json!(owner));
    }
    if !changed.is_empty() {
        let data = widget_event(1, &widget_uuid, changed, object(body.cause), None);
        room.emit(1110, data);
    }
    Ok(Success::empty())
}

pub(crate) fn delete_widget(state: &mut State, req: &Req) -> Outcome {
    let body: Option<DeleteWidgetRequest> = req.body_opt()?;
    let widget_uuid = req.param("widgetUuid")?.to_owned();
    let room = open_room(state, req)?;
    // Deleting a widget that does not exist succeeds and changes nothing.
    room.delete_widget(&widget_uuid, body.and_then(|b| object(b.cause)));
    Ok(Success::empty())
}

pub(crate) fn delete_widget_extra(state: &mut State, req: &Req) -> Outcome {
    let body: DeletePropertiesRequest = req.body()?;
    let widget_uuid = req.param("widgetUuid")?.to_owned();
    let room = open_room(state, req)?;
    let Some(widget) = room.widgets.get_mut(&widget_uuid) else {
        return Ok(Success::empty());
    };
    let removed = props::delete_all(&mut widget.extra, &body.properties);
    if !removed.is_empty() {
        let mut changed = Map::new();
        changed.insert("extra".into(), Value::Object(removed));
        let data = widget_event(2, &widget_uuid, changed, object(body.cause), None);
        room.emit(1110, data);
    }
    Ok(Success::empty())
}

pub(crate) fn update_widget_user_properties(state: &mut State, req: &Req) -> Outcome {
    let body: SetPropertiesRequest = req.body()?;
    let widget_uuid = req.param("widgetUuid")?.to_owned();
    let room = open_room(state, req)?;
    let from_user = user(room, req)?.event_user();
    let user_uuid = req.param("userUuid")?.to_owned();
    let widget = room.widgets.entry(widget_uuid.clone()).or_default();
    let props_of_user = widget.users.entry(user_uuid).or_default();
    props::set_all(props_of_user, &body.properties)?;
    if !body.properties.is_empty() {
        let data = widget_event(
            1,
            &widget_uuid,
            body.properties,
            object(body.cause),
            Some(from_user),
        );
        room.emit(1110, data);
    }
    Ok(Success::empty())
}

pub(crate) fn delete_widget_user_properties(state: &mut State, req: &Req) -> Outcome {
    let body: DeletePropertiesRequest = req.body()?;
    let widget_uuid = req.param("widgetUuid")?.to_owned();
    let room = open_room(state, req)?;
    let from_user = user(room, req)?.event_user();
    let user_uuid = req.param("userUuid")?;
    let removed = room
        .widgets
        .get_mut(&widget_uuid)
        .and_then(|w| w.users.get_mut(user_uuid))
        .map(|p| props::delete_all(p, &body.properties))
        .unwrap_or_default();
    if !removed.is_empty() {
        let data = widget_event(
            2,
            &widget_uuid,
            removed,
            object(body.cause),
            Some(from_user),
        );
        room.emit(1110, data);
    }
    Ok(Success::empty())
}

// Events.

pub(crate) fn poll_app_events(state: &mut State, req: &Req) -> Outcome {
    use crate::faults::Fault;
    let queue = state.queues.entry(req.region.clone()).or_default();
    let n = queue.len().min(PAGE);
    let batch: Vec<(i64, Value)> = queue.drain(..n).collect();
    if batch.is_empty() {
        return Ok(Success::data(json!([])));
    }
    let events: Vec<Value> = batch.iter().map(|(_, e)| e.clone()).collect();
    let requeue = |state: &mut State, batch: Vec<(i64, Value)>| {
        let queue = state.queues.entry(req.region.clone()).or_default();
        for item in batch.into_iter().rev() {
            queue.push_front(item);
        }
    };
    match state.faults.batch_fault("pollAppEvents") {
        Some(Fault::DuplicateBatch) => {
            requeue(state, batch);
            Ok(Success::data(Value::Array(events)))
        }
        Some(Fault::WithholdBatch { redeliver }) => {
            if redeliver {
                requeue(state, batch);
            }
            Ok(Success::data(json!([])))
        }
        _ => Ok(Success::data(Value::Array(events))),
    }
}

/// One page of `events`, starting at the sequence `nextId`.
fn event_page<'a>(events: impl Iterator<Item = &'a Value>, req: &Req, limit: usize) -> Outcome {
    let from = req.next_id()?.unwrap_or(0);
    let all: Vec<&Value> = events.collect();
    let seq = |e: &Value| e["sequence"].as_i64().unwrap_or(0);
    let rest: Vec<&Value> = all.iter().copied().filter(|e| seq(e) >= from).collect();
    let list: Vec<Value> = rest.iter().take(limit).map(|e| (*e).clone()).collect();
    let next_id = rest.get(limit).map(|e| seq(e).to_string());
    Ok(Success::data(json!({
        "total": all.len(),
        "count": list.len(),
        "list": list,
        "nextId": next_id,
    })))
}

fn widget_events<'a>(room: &'a Room, widget_uuid: &'a str) -> impl Iterator<Item = &'a Value> {
    room.events
        .iter()
        .filter(move |e| e["cmd"] == 1110 && e["data"]["widgetUuid"] == widget_uuid)
}

pub(crate) fn list_room_events(state: &mut State, req: &Req) -> Outcome {
    let cmd = req.int_query("cmd")?;
    let room = room(state, req)?;
    let events = room
        .events
        .iter()
        .filter(|e| cmd.is_none_or(|c| e["cmd"] == c));
    event_page(events, req, PAGE)
}

pub(crate) fn list_widget_events(state: &mut State, req: &Req) -> Outcome {
    let widget_uuid = req.param("widgetUuid")?.to_owned();
    let room = room(state, req)?;
    event_page(widget_events(room, &widget_uuid), req, PAGE)
}

/// `count` of the quiz and poll lists: 1 to 100, default 100 (larger values are capped).
fn count(req: &Req) -> Result<usize, Failure> {
    match req.int_query("count")? {
        None => Ok(PAGE),
        Some(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(PAGE).min(PAGE)),
        Some(n) => Err(Failure::bad_request(format!(
            "count must be at least 1, got {n}"
        ))),
    }
}

pub(crate) fn list_popup_quiz_events(state: &mut State, req: &Req) -> Outcome {
    let limit = count(req)?;
    let room = room(state, req)?;
    event_page(widget_events(room, "popupQuiz"), req, limit)
}

pub(crate) fn list_poll_events(state: &mut State, req: &Req) -> Outcome {
    let limit = count(req)?;
    let room = room(state, req)?;
    event_page(widget_events(room, "poll"), req, limit)
}

// Public resources (v1).

pub(crate) fn put_resource(state: &mut State, req: &Req) -> Outcome {
    let body: PutResourceRequest = req.body()?;
    if body.size < 0 {
        return Err(Failure::bad_request("size must not be negative"));
    }
    if body.resource_name.as_ref().is_some_and(|n| n.len() > 64) {
        return Err(Failure::bad_request(
            "resourceName must be at most 64 bytes long",
        ));
    }
    let resource_uuid = req.param("resourceUuid")?.to_owned();
    let room = open_room(state, req)?;
    let mut resource = Map::new();
    resource.insert("resourceUuid".into(), json!(resource_uuid));
    resource.insert(
        "resourceName".into(),
        json!(body.resource_name.unwrap_or_else(|| resource_uuid.clone())),
    );
    resource.insert("size".into(), json!(body.size));
    resource.insert("ext".into(), json!(body.ext));
    resource.insert("url".into(), json!(body.url));
    if let Some(conversion) = body.conversion {
        resource.insert("conversion".into(), Value::Object(conversion));
        resource.insert("taskUuid".into(), json!(random_hex(32)));
        resource.insert(
            "taskToken".into(),
            json!(format!("emulator-task-{}", random_hex(16))),
        );
        resource.insert(
            "taskProgress".into(),
            json!({"status": "Finished", "convertedPercentage": 100}),
        );
    }
    let resource = Value::Object(resource);
    match room
        .resources
        .iter_mut()
        .find(|r| r["resourceUuid"] == resource_uuid.as_str())
    {
        Some(existing) => *existing = resource.clone(),
        None => room.resources.push(resource.clone()),
    }
    room.emit(
        1003,
        json!({"resources": [resource], "operator": server_operator(), "action": 1}),
    );
    Ok(Success::data(Value::Array(room.resources.clone())))
}

pub(crate) fn delete_resources(state: &mut State, req: &Req) -> Outcome {
    let body: DeleteResourcesRequest = req.body()?;
    if body.resource_uuids.is_empty() {
        return Err(Failure::bad_request("resourceUuids must not be empty"));
    }
    for id in &body.resource_uuids {
        crate::routes::check_id("resourceUuids", id)?;
    }
    let room = open_room(state, req)?;
    let (gone, kept): (Vec<Value>, Vec<Value>) = room.resources.drain(..).partition(|r| {
        r["resourceUuid"]
            .as_str()
            .is_some_and(|id| body.resource_uuids.iter().any(|u| u == id))
    });
    room.resources = kept;
    if !gone.is_empty() {
        room.emit(
            1003,
            json!({"resources": gone, "operator": server_operator(), "action": 2}),
        );
    }
    Ok(Success::empty())
}

pub(crate) fn list_resources(state: &mut State, req: &Req) -> Outcome {
    let room = room(state, req)?;
    Ok(Success::data(Value::Array(room.resources.clone())))
}

// Extension apps.

pub(crate) fn update_ext_app_properties(state: &mut State, req: &Req) -> Outcome {
    let body: UpdateExtAppPropertiesRequest = req.body()?;
    let ext_app_uuid = req.param("extAppUuid")?.to_owned();
    let enabled = match body.common.and_then(|c| c.state).map(|s| s.value()) {
        None => None,
        Some(s @ (0 | 1)) => Some(s),
        Some(other) => {
            return Err(Failure::bad_request(format!(
                "common.state must be 0 or 1, got {other}"
            )));
        }
    };
    let room = open_room(state, req)?;
    let app = room.ext_apps.entry(ext_app_uuid).or_default();
    if let Some(p) = body.properties {
        props::set_all(&mut app.properties, &p)?;
    }
    if enabled.is_some() {
        app.state = enabled;
    }
    Ok(Success::empty())
}

pub(crate) fn delete_ext_app_properties(state: &mut State, req: &Req) -> Outcome {
    let body: DeletePropertiesRequest = req.body()?;
    let ext_app_uuid = req.param("extAppUuid")?;
    let room = open_room(state, req)?;
    if let Some(app) = room.ext_apps.get_mut(ext_app_uuid) {
        props::delete_all(&mut app.properties, &body.properties);
    }
    Ok(Success::empty())
}
