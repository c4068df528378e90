//! The emulator's state: rooms with their users, recordings, widgets, resources and extApps,
//! the per-room event logs, the app-wide polling queues, the fault rules and the response log.
//!
//! Everything lives in one `State` behind one mutex; handlers are synchronous functions over it.
//! Time-driven changes (the schedule ending or closing a class, a recording reaching its maximum
//! length, a room being destroyed, a temporary kick expiring) happen lazily: [`State::tick`] runs
//! before every request, on the emulator's clock (the real clock plus an adjustable offset).

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Map, Value, json};

use crate::RecordedResponse;
use crate::faults::Faults;

/// The regions of the documents.
pub(crate) const REGIONS: [&str; 4] = ["cn", "ap", "na", "eu"];
/// Largest batch of a paged list and of a poll.
pub(crate) const PAGE: usize = 100;
/// Polled events are kept this long.
const POLL_RETENTION_MS: i64 = 3_600_000;
/// A classroom is kept this long after it is created.
const ROOM_LIFETIME_MS: i64 = 5 * 86_400_000;
/// A classroom is destroyed this long after it ends.
const DESTROY_AFTER_END_MS: i64 = 3_600_000;
/// `maxRecordingHour` without a schedule.
const DEFAULT_MAX_RECORDING_HOURS: i64 = 2;

/// A room is addressed by its region and uuid: the same uuid in another region is another room,
/// as the documents say ("the room does not exist" when the region differs).
pub(crate) type RoomKey = (String, String);

/// The operator of changes made through the REST API, as the pop-up quiz example shows it.
pub(crate) fn server_operator() -> Value {
    json!({"userUuid": "server", "userName": "server", "role": "server"})
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub rooms: BTreeMap<RoomKey, Room>,
    /// Undelivered events of the app-wide polling endpoint, per region: (enqueued at, event).
    pub queues: BTreeMap<String, VecDeque<(i64, Value)>>,
    pub faults: Faults,
    /// Every API response, when recording is on.
    pub log: Option<Vec<RecordedResponse>>,
    /// Added to the real clock, in milliseconds.
    pub clock_offset_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Schedule {
    pub start_time: Option<i64>,
    pub duration: Option<i64>,
    pub close_delay: Option<i64>,
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub uuid: String,
    pub name: String,
    pub role: i64,
    pub stream_uuid: String,
    pub online: bool,
    pub properties: Map<String, Value>,
    pub update_time: i64,
    /// `None`: not kicked; `Some(None)`: kicked for good; `Some(Some(t))`: kicked until `t` (ms).
    pub kicked_until: Option<Option<i64>>,
}

impl User {
    pub fn is_kicked(&self, now: i64) -> bool {
        match self.kicked_until {
            None => false,
            Some(None) => true,
            Some(Some(until)) => now < until,
        }
    }

    /// The user as the users-in-out event lists it.
    pub fn event_json(&self) -> Value {
        json!({
            "userUuid": self.uuid,
            "userName": self.name,
            "role": self.role,
            "streamUuid": self.stream_uuid,
        })
    }

    /// The user as events name an operator or `fromUser`.
    pub fn event_user(&self) -> Value {
        json!({"userUuid": self.uuid, "userName": self.name, "role": self.role})
    }

    /// The user as getUser answers.
    pub fn api_json(&self) -> Value {
        json!({
            "userUuid": self.uuid,
            "userName": self.name,
            "role": self.role,
            "streamUuid": self.stream_uuid,
            "state": i64::from(self.online),
            "userProperties": self.properties,
            "updateTime": self.update_time,
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Recording {
    pub record_id: String,
    pub sid: String,
    pub resource_id: String,
    pub record_uid: String,
    pub web: bool,
    pub start_time: i64,
    pub end_time: Option<i64>,
    pub onhold: bool,
    pub max_hours: i64,
    pub streaming_url: Option<Value>,
    pub config: Value,
}

impl Recording {
    /// The recording as listRecordings answers.
    pub fn api_json(&self, app_id: &str, room_uuid: &str) -> Value {
        let mut m = Map::new();
        m.insert("appId".into(), json!(app_id));
        m.insert("roomUuid".into(), json!(room_uuid));
        m.insert("recordId".into(), json!(self.record_id));
        m.insert("startTime".into(), json!(self.start_time));
        if let Some(end) = self.end_time {
            m.insert("endTime".into(), json!(end));
        }
        m.insert("resourceId".into(), json!(self.resource_id));
        m.insert("sid".into(), json!(self.sid));
        m.insert("recordUid".into(), json!(self.record_uid));
        m.insert("boardAppId".into(), json!("emulator-board-app"));
        m.insert("boardToken".into(), json!("emulator-board-token"));
        m.insert("boardId".into(), json!(format!("board-{room_uuid}")));
        // Only single-stream (1) and composite (2) are documented; both modes list as composite.
        m.insert("type".into(), json!(2));
        m.insert(
            "status".into(),
            json!(if self.end_time.is_some() { 2 } else { 1 }),
        );
        let base = format!("emulator/recording/{app_id}/{}", self.record_id);
        if self.web {
            let files = self
                .end_time
                .map_or(0, |end| 1 + (end - self.start_time).max(0) / 7_200_000);
            let details: Vec<Value> = (0..files)
                .map(|i| json!({"url": format!("{base}/{i}.mp4")}))
                .collect();
            m.insert("recordDetails".into(), Value::Array(details));
        } else if self.end_time.is_some() {
            m.insert("url".into(), json!(format!("{base}/index.m3u8")));
        }
        m.insert("unready".into(), json!(false));
        Value::Object(m)
    }

    /// The recording as setRecordingState answers.
    pub fn result_json(&self, state: i64) -> Value {
        let mut m = Map::new();
        m.insert("recordId".into(), json!(self.record_id));
        m.insert("sid".into(), json!(self.sid));
        m.insert("resourceId".into(), json!(self.resource_id));
        m.insert("state".into(), json!(state));
        m.insert("startTime".into(), json!(self.start_time));
        if let Some(url) = &self.streaming_url {
            m.insert("streamingUrl".into(), url.clone());
        }
        Value::Object(m)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Widget {
    pub extra: Map<String, Value>,
    pub state: Option<i64>,
    pub owner: Option<String>,
    pub users: BTreeMap<String, Map<String, Value>>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ExtApp {
    pub properties: Map<String, Value>,
    pub state: Option<i64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Room {
    pub region: String,
    pub uuid: String,
    pub name: String,
    pub room_type: i64,
    /// `roomProperties` as given at creation.
    pub room_properties: Value,
    pub schedule: Schedule,
    /// Custom properties.
    pub properties: Map<String, Value>,
    pub state: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub users: BTreeMap<String, User>,
    pub groups: Option<Vec<Value>>,
    pub recordings: Vec<Recording>,
    pub widgets: BTreeMap<String, Widget>,
    pub resources: Vec<Value>,
    pub ext_apps: BTreeMap<String, ExtApp>,
    /// Every event, in sequence order (sequences start at 1).
    pub events: Vec<Value>,
    /// Events emitted since the last flush to the polling queue.
    outbox: Vec<Value>,
}

impl Room {
    pub fn new(
        region: &str,
        uuid: &str,
        name: String,
        room_type: i64,
        room_properties: Value,
        schedule: Schedule,
        now: i64,
    ) -> Self {
        Room {
            region: region.to_owned(),
            uuid: uuid.to_owned(),
            name,
            room_type,
            room_properties,
            schedule,
            properties: Map::new(),
            state: 0,
            created_at: now,
            started_at: None,
            ended_at: None,
            closed_at: None,
            users: BTreeMap::new(),
            groups: None,
            recordings: Vec::new(),
            widgets: BTreeMap::new(),
            resources: Vec::new(),
            ext_apps: BTreeMap::new(),
            events: Vec::new(),
            outbox: Vec::new(),
        }
    }

    /// Appends an event with the next sequence.
    pub fn emit(&mut self, cmd: i64, data: Value) {
        let sequence = self.events.len() as i64 + 1;
        let event = json!({
            "roomUuid": self.uuid,
            "cmd": cmd,
            "sequence": sequence,
            "version": 1,
            "data": data,
        });
        self.events.push(event.clone());
        self.outbox.push(event);
    }

    pub fn active_recording(&mut self) -> Option<&mut Recording> {
        self.recordings.iter_mut().find(|r| r.end_time.is_none())
    }

    /// Moves the room to `target` at time `at`, with the documented side effects: cmd 1; on
    /// closing (3), the running recording stops (cmd 1001) and every online user is kicked out
    /// (cmd 20).
    pub fn set_state(&mut self, target: i64, at: i64) {
        self.state = target;
        match target {
            1 => self.started_at = Some(at),
            2 => self.ended_at = Some(at),
            3 => {
                self.ended_at.get_or_insert(at);
                self.closed_at = Some(at);
            }
            _ => {}
        }
        let mut data = Map::new();
        if let Some(start) = self.started_at {
            data.insert("startTime".into(), json!(start));
        }
        data.insert("state".into(), json!(target));
        // endTime and closeTime: in the 2026 English reference, once the state is 2 and 3.
        if target >= 2
            && let Some(end) = self.ended_at
        {
            data.insert("endTime".into(), json!(end));
        }
        if let Some(close) = self.closed_at.filter(|_| target == 3) {
            data.insert("closeTime".into(), json!(close));
        }
        self.emit(1, Value::Object(data));
        if target == 3 {
            self.stop_recording(at);
            let online: Vec<String> = self
                .users
                .values()
                .filter(|u| u.online)
                .map(|u| u.uuid.clone())
                .collect();
            if !online.is_empty() {
                self.users_offline(&online, at);
            }
        }
    }

    /// Stops the running recording, if any (cmd 1001); the stopped recording.
    pub fn stop_recording(&mut self, at: i64) -> Option<Recording> {
        let rec = self.active_recording()?;
        rec.end_time = Some(at.max(rec.start_time));
        let stopped = rec.clone();
        self.emit(1001, json!({"state": 0}));
        Some(stopped)
    }

    /// Marks users offline with one users-in-out event (cmd 20), and deletes the widgets they own.
    pub fn users_offline(&mut self, uuids: &[String], at: i64) {
        let mut gone = Vec::new();
        for uuid in uuids {
            if let Some(user) = self.users.get_mut(uuid) {
                user.online = false;
                user.update_time = at;
                gone.push(user.event_json());
            }
        }
        self.emit(
            20,
            json!({"total": gone.len(), "onlineUsers": [], "offlineUsers": gone}),
        );
        let owned: Vec<String> = self
            .widgets
            .iter()
            .filter(|(_, w)| w.owner.as_ref().is_some_and(|o| uuids.contains(o)))
            .map(|(id, _)| id.clone())
            .collect();
        for id in owned {
            self.delete_widget(&id, None);
        }
    }

    /// Deletes a widget (cmd 1110, action 2, with the properties it had); whether it existed.
    pub fn delete_widget(&mut self, widget_uuid: &str, cause: Option<Value>) -> bool {
        let Some(widget) = self.widgets.remove(widget_uuid) else {
            return false;
        };
        let mut changed = Map::new();
        changed.insert("extra".into(), Value::Object(widget.extra));
        if let Some(state) = widget.state {
            changed.insert("state".into(), json!(state));
        }
        if let Some(owner) = widget.owner {
            changed.insert("ownerUserUuid".into(), json!(owner));
        }
        let data = widget_event(2, widget_uuid, changed, cause, None);
        self.emit(1110, data);
        true
    }

    /// Time-driven changes up to `now`: the schedule and the maximum recording length.
    fn advance(&mut self, now: i64) {
        // The pending changes happen in time order: a class that closes before its recording
        // reaches its limit stops the recording at the close, and the other way round.
        loop {
            let limit = self
                .recordings
                .iter()
                .find(|r| r.end_time.is_none())
                .map(|r| {
                    r.start_time
                        .saturating_add(r.max_hours.saturating_mul(3_600_000))
                });
            let end = match (self.state, self.started_at, self.schedule.duration) {
                (1, Some(start), Some(d)) => Some(start.saturating_add(d.saturating_mul(1000))),
                _ => None,
            };
            let close = match (self.state, self.ended_at, self.schedule.close_delay) {
                (2, Some(ended), Some(d)) => Some(ended.saturating_add(d.saturating_mul(1000))),
                _ => None,
            };
            let next = [(limit, 0), (end, 1), (close, 2)]
                .into_iter()
                .filter_map(|(at, what)| at.filter(|t| *t <= now).map(|t| (t, what)))
                .min();
            match next {
                None => return,
                Some((at, 0)) => {
                    self.stop_recording(at);
                }
                Some((at, 1)) => self.set_state(2, at),
                Some((at, _)) => self.set_state(3, at),
            }
        }
    }

    fn destroyed(&self, now: i64) -> bool {
        self.created_at.saturating_add(ROOM_LIFETIME_MS) <= now
            || self
                .ended_at
                .is_some_and(|end| end.saturating_add(DESTROY_AFTER_END_MS) <= now)
    }

    /// `maxRecordingHour` when a recording starts: the schedule's duration and close delay,
    /// rounded up to whole hours, or the given value, or 2.
    pub fn max_recording_hours(&self, given: Option<i64>) -> i64 {
        if let (Some(d), Some(c)) = (self.schedule.duration, self.schedule.close_delay) {
            let secs = d.saturating_add(c).max(1);
            return (secs.saturating_add(3599) / 3600).clamp(1, 720);
        }
        given.unwrap_or(DEFAULT_MAX_RECORDING_HOURS)
    }

    /// The room as getRoom answers it: the creation-time properties with the room type, the
    /// state and the schedule as they are now.
    pub fn info_json(&self) -> Value {
        let mut props = match &self.room_properties {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        let mut schedule = Map::new();
        schedule.insert("state".into(), json!(self.state));
        let start = self.schedule.start_time.or(self.started_at);
        for (name, value) in [
            ("startTime", start),
            ("endTime", self.ended_at),
            ("closeTime", self.closed_at),
            ("duration", self.schedule.duration),
            ("closeDelay", self.schedule.close_delay),
        ] {
            if let Some(v) = value {
                schedule.insert(name.into(), json!(v));
            }
        }
        props.insert("schedule".into(), Value::Object(schedule));
        props.insert("roomType".into(), json!(self.room_type));
        props.insert("state".into(), json!(self.state));
        json!({
            "roomUuid": self.uuid,
            "roomName": self.name,
            "createTime": self.created_at,
            "state": self.state,
            "roomProperties": props,
        })
    }

    /// The whole room, for the admin snapshot.
    pub fn snapshot(&self, app_id: &str, now: i64) -> Value {
        let users: Map<String, Value> = self
            .users
            .values()
            .map(|u| {
                let mut v = u.api_json();
                if let Value::Object(m) = &mut v {
                    m.insert("kicked".into(), json!(u.is_kicked(now)));
                }
                (u.uuid.clone(), v)
            })
            .collect();
        let widgets: Map<String, Value> = self
            .widgets
            .iter()
            .map(|(id, w)| {
                (
                    id.clone(),
                    json!({
                        "extra": w.extra,
                        "state": w.state,
                        "ownerUserUuid": w.owner,
                        "users": w.users,
                    }),
                )
            })
            .collect();
        let ext_apps: Map<String, Value> = self
            .ext_apps
            .iter()
            .map(|(id, e)| {
                (
                    id.clone(),
                    json!({"properties": e.properties, "state": e.state}),
                )
            })
            .collect();
        json!({
            "region": self.region,
            "roomUuid": self.uuid,
            "roomName": self.name,
            "roomType": self.room_type,
            "roomProperties": self.room_properties,
            "properties": self.properties,
            "state": self.state,
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "endedAt": self.ended_at,
            "closedAt": self.closed_at,
            "users": users,
            "groupState": i64::from(self.groups.is_some()),
            "groups": self.groups,
            "recordings": self.recordings.iter().map(|r| {
                let mut v = r.api_json(app_id, &self.uuid);
                if let Value::Object(m) = &mut v {
                    m.insert("onhold".into(), json!(r.onhold));
                    m.insert("webRecordConfig".into(), r.config.clone());
                }
                v
            }).collect::<Vec<_>>(),
            "widgets": widgets,
            "resources": self.resources,
            "extApps": ext_apps,
            "eventCount": self.events.len(),
        })
    }
}

/// The data of a widget properties event (cmd 1110).
pub(crate) fn widget_event(
    action: i64,
    widget_uuid: &str,
    changed: Map<String, Value>,
    cause: Option<Value>,
    from_user: Option<Value>,
) -> Value {
    let mut data = Map::new();
    data.insert("action".into(), json!(action));
    data.insert("widgetUuid".into(), json!(widget_uuid));
    data.insert("changeProperties".into(), Value::Object(changed));
    if let Some(cause) = cause {
        data.insert("cause".into(), cause);
    }
    data.insert("operator".into(), server_operator());
    if let Some(user) = from_user {
        data.insert("fromUser".into(), user);
    }
    Value::Object(data)
}

impl State {
    /// Runs the time-driven changes of every room up to `now`, destroys expired rooms and moves
    /// new events to the polling queues.
    pub fn tick(&mut self, now: i64) {
        for room in self.rooms.values_mut() {
            room.advance(now);
        }
        self.flush();
        self.rooms.retain(|_, room| !room.destroyed(now));
        for queue in self.queues.values_mut() {
            while queue
                .front()
                .is_some_and(|(at, _)| at.saturating_add(POLL_RETENTION_MS) <= now)
            {
                queue.pop_front();
            }
        }
    }

    /// Moves every room's new events to its region's polling queue.
    pub fn flush(&mut self) {
        let now = self.now();
        for room in self.rooms.values_mut() {
            if room.outbox.is_empty() {
                continue;
            }
            let queue = self.queues.entry(room.region.clone()).or_default();
            queue.extend(room.outbox.drain(..).map(|e| (now, e)));
        }
    }

    /// The emulator's clock, in unix milliseconds.
    pub fn now(&self) -> i64 {
        real_now_ms().saturating_add(self.clock_offset_ms)
    }

    /// Forgets every room, event, fault and recorded response; the clock offset stays.
    pub fn reset(&mut self) {
        self.rooms.clear();
        self.queues.clear();
        self.faults.clear();
        if let Some(log) = &mut self.log {
            log.clear();
        }
    }
}

/// The real clock, in unix milliseconds.
pub(crate) fn real_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A random lowercase hexadecimal id of `len` characters.
pub(crate) fn random_hex(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// A random decimal stream id, as the getUser example shows one.
pub(crate) fn random_stream_uuid() -> String {
    use rand::Rng;
    rand::rng()
        .random_range(1_000_000_000u32..=u32::MAX)
        .to_string()
}
