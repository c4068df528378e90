//! The router: the spec's 28 operations at their exact path templates, the `/_emulator` admin
//! endpoints, and a 404/405 envelope for everything else.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Query, RawPathParams, Request, State as AxumState};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, delete, get, on, post, put};
use classroom_api::token::{AppCertificate, AppId, is_id_char};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::admin::{self, InjectEvents, JoinUser};
use crate::conformance::{Conformance, DriftKind};
use crate::faults::FaultRule;
use crate::ops::{self, Req};
use crate::reply::{Failure, Outcome, Success};
use crate::state::{REGIONS, State};
use crate::{RecordedResponse, auth};

/// Largest request body read, in bytes.
const MAX_BODY: usize = 1024 * 1024;

/// Marks a response whose connection must be closed without sending it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct App {
    pub app_id: AppId,
    pub certificate: AppCertificate,
    pub state: Arc<Mutex<State>>,
}

impl App {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

type Handler = fn(&mut State, &Req) -> Outcome;

/// One route of the vendor API.
pub(crate) struct Route {
    /// The spec's operationId.
    pub op: &'static str,
    pub method: Method,
    /// The spec's path template, in axum's syntax.
    pub path: String,
    handler: Handler,
}

const ROOM: &str = "/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}";

/// The operationIds of the spec, in its order.
pub const OPERATIONS: [&str; 28] = [
    "getRoom",
    "createRoom",
    "setRoomState",
    "updateRoomProperties",
    "deleteRoomProperties",
    "setGroupState",
    "getUser",
    "updateUserProperties",
    "deleteUserProperties",
    "kickUser",
    "setRecordingState",
    "updateRecording",
    "listRecordings",
    "deleteWidget",
    "updateWidget",
    "deleteWidgetExtra",
    "updateWidgetUserProperties",
    "deleteWidgetUserProperties",
    "pollAppEvents",
    "listRoomEvents",
    "listWidgetEvents",
    "listPopupQuizEvents",
    "listPollEvents",
    "putResource",
    "deleteResources",
    "listResources",
    "updateExtAppProperties",
    "deleteExtAppProperties",
];

pub(crate) fn routes() -> Vec<Route> {
    let r = |op, method, suffix: &str, handler: Handler| Route {
        op,
        method,
        path: format!("{ROOM}{suffix}"),
        handler,
    };
    vec![
        r("getRoom", Method::GET, "", ops::get_room),
        r("createRoom", Method::POST, "", ops::create_room),
        r(
            "setRoomState",
            Method::PUT,
            "/states/{state}",
            ops::set_room_state,
        ),
        r(
            "updateRoomProperties",
            Method::PUT,
            "/properties",
            ops::update_room_properties,
        ),
        r(
            "deleteRoomProperties",
            Method::DELETE,
            "/properties",
            ops::delete_room_properties,
        ),
        r(
            "setGroupState",
            Method::PUT,
            "/groups/states/{state}",
            ops::set_group_state,
        ),
        r("getUser", Method::GET, "/users/{userUuid}", ops::get_user),
        r(
            "updateUserProperties",
            Method::PUT,
            "/users/{userUuid}/properties",
            ops::update_user_properties,
        ),
        r(
            "deleteUserProperties",
            Method::DELETE,
            "/users/{userUuid}/properties",
            ops::delete_user_properties,
        ),
        r(
            "kickUser",
            Method::POST,
            "/users/{userUuid}/exit",
            ops::kick_user,
        ),
        r(
            "setRecordingState",
            Method::PUT,
            "/records/states/{state}",
            ops::set_recording_state,
        ),
        // The spec's updateRecording shares the template, its state fixed to 1.
        r(
            "updateRecording",
            Method::PATCH,
            "/records/states/{state}",
            ops::update_recording,
        ),
        r(
            "listRecordings",
            Method::GET,
            "/records",
            ops::list_recordings,
        ),
        r(
            "deleteWidget",
            Method::DELETE,
            "/widgets/{widgetUuid}",
            ops::delete_widget,
        ),
        r(
            "updateWidget",
            Method::PUT,
            "/widgets/{widgetUuid}",
            ops::update_widget,
        ),
        r(
            "deleteWidgetExtra",
            Method::DELETE,
            "/widgets/{widgetUuid}/extra",
            ops::delete_widget_extra,
        ),
        r(
            "updateWidgetUserProperties",
            Method::PUT,
            "/widgets/{widgetUuid}/users/{userUuid}",
            ops::update_widget_user_properties,
        ),
        r(
            "deleteWidgetUserProperties",
            Method::DELETE,
            "/widgets/{widgetUuid}/users/{userUuid}",
            ops::delete_widget_user_properties,
        ),
        Route {
            op: "pollAppEvents",
            method: Method::GET,
            path: "/{region}/edu/polling/apps/{appId}/v2/rooms/sequences".to_owned(),
            handler: ops::poll_app_events,
        },
        r(
            "listRoomEvents",
            Method::GET,
            "/sequences",
            ops::list_room_events,
        ),
        r(
            "listWidgetEvents",
            Method::GET,
            "/widgets/{widgetUuid}/sequences",
            ops::list_widget_events,
        ),
        r(
            "listPopupQuizEvents",
            Method::GET,
            "/widgets/popupQuiz/sequences",
            ops::list_popup_quiz_events,
        ),
        r(
            "listPollEvents",
            Method::GET,
            "/widgets/poll/sequences",
            ops::list_poll_events,
        ),
        Route {
            op: "putResource",
            method: Method::PUT,
            path: "/{region}/edu/apps/{appId}/v1/rooms/{roomUuid}/resources/{resourceUuid}"
                .to_owned(),
            handler: ops::put_resource,
        },
        Route {
            op: "deleteResources",
            method: Method::DELETE,
            path: "/{region}/edu/apps/{appId}/v1/rooms/{roomUuid}/resources".to_owned(),
            handler: ops::delete_resources,
        },
        Route {
            op: "listResources",
            method: Method::GET,
            path: "/{region}/edu/apps/{appId}/v1/rooms/{roomUuid}/resources".to_owned(),
            handler: ops::list_resources,
        },
        r(
            "updateExtAppProperties",
            Method::PUT,
            "/extApps/{extAppUuid}/properties",
            ops::update_ext_app_properties,
        ),
        r(
            "deleteExtAppProperties",
            Method::DELETE,
            "/extApps/{extAppUuid}/properties",
            ops::delete_ext_app_properties,
        ),
    ]
}

/// The whole router.
pub(crate) fn router(app: App) -> Router {
    let mut api = Router::new();
    for route in routes() {
        let route = Arc::new(route);
        let filter = MethodFilter::try_from(route.method.clone()).unwrap_or(MethodFilter::GET);
        let path = route.path.clone();
        api = api.route(
            &path,
            on(
                filter,
                move |AxumState(app): AxumState<App>, req: Request| {
                    dispatch(app, route.clone(), req)
                },
            ),
        );
    }
    let admin = Router::new()
        .route("/_emulator/info", get(info))
        .route("/_emulator/reset", post(reset))
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_emulator/faults/{id}", delete(remove_fault))
        .route(
            "/_emulator/responses",
            get(list_responses).delete(clear_responses),
        )
        .route("/_emulator/clock", get(get_clock).post(advance_clock))
        .route("/_emulator/{region}/rooms/{roomUuid}", get(room_snapshot))
        .route(
            "/_emulator/{region}/rooms/{roomUuid}/users/{userUuid}",
            put(join_user).delete(leave_user),
        )
        .route(
            "/_emulator/{region}/rooms/{roomUuid}/events",
            post(inject_events),
        );
    api.merge(admin)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

/// Checks an id of the path: 1 to 64 bytes of the 89 documented characters.
pub(crate) fn check_id(name: &str, value: &str) -> Result<(), Failure> {
    if value.is_empty() || value.len() > 64 {
        return Err(Failure::bad_request(format!(
            "{name} must be 1 to 64 bytes long"
        )));
    }
    if let Some(c) = value.chars().find(|c| !is_id_char(*c)) {
        return Err(Failure::bad_request(format!(
            "{name} contains {c:?}, which is not an id character"
        )));
    }
    Ok(())
}

/// Runs one operation: faults, credentials, request decoding, the handler, the answer.
async fn dispatch(app: App, route: Arc<Route>, req: Request) -> Response {
    let decision = app.lock().faults.decide(route.op);
    if decision.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(decision.latency_ms)).await;
    }
    if decision.drop_before {
        let mut response = StatusCode::SERVICE_UNAVAILABLE.into_response();
        response.extensions_mut().insert(DropConnection);
        return response;
    }
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    if let Some(retry_after) = decision.unavailable {
        let failure = Failure::new(StatusCode::SERVICE_UNAVAILABLE, 503, "Service Unavailable");
        let mut response = finish(&app, Some(route.op), &method, &path, Err(failure), true);
        if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let outcome = run(&app, &route, req).await;
    let mut response = finish_rewritten(
        &app,
        Some(route.op),
        &method,
        &path,
        outcome,
        !decision.drop_after,
        &decision.rewrites,
    );
    if decision.drop_after {
        response.extensions_mut().insert(DropConnection);
    }
    response
}

async fn run(app: &App, route: &Route, req: Request) -> Outcome {
    let (mut parts, body) = req.into_parts();
    auth::check(&parts.headers, &app.app_id, &app.certificate).map_err(Failure::unauthorized)?;
    let raw = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .map_err(|e| Failure::bad_request(format!("invalid path: {e}")))?;
    let params: BTreeMap<String, String> = raw
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let region = params.get("region").cloned().unwrap_or_default();
    if !REGIONS.contains(&region.as_str()) {
        return Err(Failure::bad_request(format!(
            "unknown region {region:?}, expected one of {REGIONS:?}"
        )));
    }
    let app_id = params.get("appId").cloned().unwrap_or_default();
    if !app_id.eq_ignore_ascii_case(app.app_id.as_str()) {
        return Err(Failure::unauthorized(format!(
            "invalid App ID {app_id:?}: this emulator serves {}",
            app.app_id
        )));
    }
    for (name, value) in &params {
        if name.ends_with("Uuid") {
            check_id(name, value)?;
        }
    }
    let pairs = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map_err(|e| Failure::bad_request(format!("invalid query: {e}")))?
        .0;
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in pairs {
        // Every query parameter of the spec is one scalar.
        if query.insert(name.clone(), value).is_some() {
            return Err(Failure::bad_request(format!(
                "the query parameter {name} is given more than once"
            )));
        }
    }
    let body = read_json(body).await?;
    if let Some(body) = &body {
        refuse_mistyped(parts.method.as_str(), parts.uri.path(), body)?;
    }
    let mut state = app.lock();
    let now = state.now();
    state.tick(now);
    let req = Req {
        app_id: app.app_id.as_str().to_owned(),
        region,
        params,
        query,
        body,
        now,
    };
    let outcome = (route.handler)(&mut state, &req);
    state.flush();
    outcome
}

/// Refuses a body with a value of another JSON type than the spec's: `null` where the schema is
/// not `nullable`, an array for an object... The generated types the operations decode with
/// would read a `null` member as left out, and an object from an array of its fields.
fn refuse_mistyped(method: &str, path: &str, body: &Value) -> Result<(), Failure> {
    static SPEC: OnceLock<Result<Conformance, String>> = OnceLock::new();
    let spec = SPEC
        .get_or_init(Conformance::builtin)
        .as_ref()
        .map_err(|e| {
            Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                500,
                format!("the compiled-in spec does not load: {e}"),
            )
        })?;
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mistyped = spec
        .check_request(method, path, Some(&bytes))
        .into_iter()
        .find(|d| d.kind == DriftKind::TypeMismatch);
    match mistyped {
        Some(drift) => Err(Failure::bad_request(format!(
            "the body at {:?} is {}, expected {}",
            drift.pointer, drift.value, drift.expected
        ))),
        None => Ok(()),
    }
}

/// The body as JSON; `None` when empty or `null`.
async fn read_json(body: Body) -> Result<Option<Value>, Failure> {
    let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| {
        Failure::bad_request(format!(
            "the body is unreadable or larger than {MAX_BODY} bytes"
        ))
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<Value>(&bytes) {
        // No operation's body may be null: an optional body is left out, not sent as null.
        Ok(Value::Null) => Err(Failure::bad_request(
            "the body must be a JSON object, not null",
        )),
        Ok(v) => Ok(Some(v)),
        Err(e) => Err(Failure::bad_request(format!("the body is not JSON: {e}"))),
    }
}

/// The envelope as a response, recorded in the response log when it is on and `record` (an
/// answer about to be lost to a dropped connection is not).
fn finish(
    app: &App,
    op: Option<&str>,
    method: &str,
    path: &str,
    outcome: Outcome,
    record: bool,
) -> Response {
    finish_rewritten(app, op, method, path, outcome, record, &[])
}

/// [`finish`], with the answer changed by `Rewrite` faults.
fn finish_rewritten(
    app: &App,
    op: Option<&str>,
    method: &str,
    path: &str,
    outcome: Outcome,
    record: bool,
    rewrites: &[(Option<String>, Value, Option<u16>)],
) -> Response {
    let mut state = app.lock();
    let ts = state.now();
    let (mut status, mut body) = match &outcome {
        Ok(s) => (StatusCode::OK, s.body(ts)),
        Err(f) => (f.status, f.body(ts)),
    };
    for (pointer, value, new_status) in rewrites {
        if let Some(pointer) = pointer {
            set_pointer(&mut body, pointer, value.clone());
        }
        if let Some(s) = new_status.and_then(|s| StatusCode::from_u16(s).ok()) {
            status = s;
        }
    }
    if record && let Some(log) = &mut state.log {
        log.push(RecordedResponse {
            operation: op.map(str::to_owned),
            method: method.to_owned(),
            path: path.to_owned(),
            status: status.as_u16(),
            body: body.clone(),
        });
    }
    drop(state);
    json_response(status, &body)
}

/// Sets `value` at the JSON pointer `pointer` of `body`, adding the last member of an object when
/// it is missing; a pointer that leads nowhere changes nothing.
fn set_pointer(body: &mut Value, pointer: &str, value: Value) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match body.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(last, value);
        }
        Some(Value::Array(items)) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *slot = value;
            }
        }
        _ => {}
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}

fn request_line(req: &Request) -> (String, String) {
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    (req.method().to_string(), path)
}

async fn not_found(AxumState(app): AxumState<App>, req: Request) -> Response {
    let (method, path) = request_line(&req);
    let failure = Failure::new(StatusCode::NOT_FOUND, 404, "Not Found");
    if path.starts_with("/_emulator") {
        return admin_reply(&app, Err(failure));
    }
    finish(&app, None, &method, &path, Err(failure), true)
}

async fn method_not_allowed(AxumState(app): AxumState<App>, req: Request) -> Response {
    let (method, path) = request_line(&req);
    let failure = Failure::new(StatusCode::METHOD_NOT_ALLOWED, 405, "Method Not Allowed");
    if path.starts_with("/_emulator") {
        return admin_reply(&app, Err(failure));
    }
    finish(&app, None, &method, &path, Err(failure), true)
}

// Admin endpoints: the same envelope, never recorded, never faulted, no credentials.

fn admin_reply(app: &App, outcome: Outcome) -> Response {
    let ts = app.lock().now();
    match outcome {
        Ok(s) => json_response(StatusCode::OK, &s.body(ts)),
        Err(f) => json_response(f.status, &f.body(ts)),
    }
}

async fn admin_body<T: DeserializeOwned>(
    req: Request,
    required: bool,
) -> Result<Option<T>, Failure> {
    match read_json(req.into_body()).await? {
        None if required => Err(Failure::bad_request("the request body is required")),
        None => Ok(None),
        Some(v) => T::deserialize(v)
            .map(Some)
            .map_err(|e| Failure::bad_request(format!("invalid request body: {e}"))),
    }
}

async fn info(AxumState(app): AxumState<App>) -> Response {
    let (now, recording, faults) = {
        let state = app.lock();
        (state.now(), state.log.is_some(), state.faults.list().len())
    };
    let data = json!({
        "appId": app.app_id.as_str(),
        "regions": REGIONS,
        "operations": OPERATIONS,
        "now": now,
        "recordingResponses": recording,
        "faults": faults,
    });
    admin_reply(&app, Ok(Success::data(data)))
}

async fn reset(AxumState(app): AxumState<App>) -> Response {
    app.lock().reset();
    admin_reply(&app, Ok(Success::empty()))
}

async fn list_faults(AxumState(app): AxumState<App>) -> Response {
    let list = app.lock().faults.list();
    let data = serde_json::to_value(list).unwrap_or(Value::Null);
    admin_reply(&app, Ok(Success::data(data)))
}

async fn add_fault(AxumState(app): AxumState<App>, req: Request) -> Response {
    let outcome = async {
        let rule: FaultRule = admin_body(req, true)
            .await?
            .ok_or_else(|| Failure::bad_request("no rule"))?;
        check_rule(&rule)?;
        let id = app.lock().faults.add(rule);
        Ok(Success::data(json!({"id": id})))
    }
    .await;
    admin_reply(&app, outcome)
}

/// Refuses a rule naming an unknown operation, or a batch fault on another operation than
/// pollAppEvents.
pub(crate) fn check_rule(rule: &FaultRule) -> Result<(), Failure> {
    if let Some(op) = &rule.operation
        && !OPERATIONS.contains(&op.as_str())
    {
        return Err(Failure::bad_request(format!("unknown operation {op:?}")));
    }
    if rule.fault.is_batch_fault() && rule.operation.as_deref() != Some("pollAppEvents") {
        return Err(Failure::bad_request(
            "duplicateBatch and withholdBatch apply to the operation pollAppEvents only",
        ));
    }
    Ok(())
}

async fn clear_faults(AxumState(app): AxumState<App>) -> Response {
    app.lock().faults.clear();
    admin_reply(&app, Ok(Success::empty()))
}

async fn remove_fault(AxumState(app): AxumState<App>, req: Request) -> Response {
    let id = req
        .uri()
        .path()
        .rsplit('/')
        .next()
        .and_then(|s| s.parse::<u64>().ok());
    let outcome = match id {
        Some(id) if app.lock().faults.remove(id) => Ok(Success::empty()),
        Some(_) => Err(Failure::new(
            StatusCode::NOT_FOUND,
            404,
            "no fault rule with this id",
        )),
        None => Err(Failure::bad_request("the fault id is not a number")),
    };
    admin_reply(&app, outcome)
}

async fn list_responses(AxumState(app): AxumState<App>) -> Response {
    let log = app.lock().log.clone();
    let outcome = match log {
        Some(log) => Ok(Success::data(
            serde_json::to_value(log).unwrap_or(Value::Null),
        )),
        None => Err(Failure::new(
            StatusCode::CONFLICT,
            409,
            "responses are not recorded: start the emulator with --record",
        )),
    };
    admin_reply(&app, outcome)
}

async fn clear_responses(AxumState(app): AxumState<App>) -> Response {
    if let Some(log) = &mut app.lock().log {
        log.clear();
    }
    admin_reply(&app, Ok(Success::empty()))
}

async fn get_clock(AxumState(app): AxumState<App>) -> Response {
    let (now, offset) = {
        let state = app.lock();
        (state.now(), state.clock_offset_ms)
    };
    admin_reply(
        &app,
        Ok(Success::data(json!({"now": now, "offsetMs": offset}))),
    )
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Advance {
    advance_seconds: i64,
}

async fn advance_clock(AxumState(app): AxumState<App>, req: Request) -> Response {
    let outcome = async {
        let advance: Advance = admin_body(req, true)
            .await?
            .ok_or_else(|| Failure::bad_request("no body"))?;
        if advance.advance_seconds < 0 {
            return Err(Failure::bad_request("the clock only moves forward"));
        }
        let mut state = app.lock();
        state.clock_offset_ms = state
            .clock_offset_ms
            .saturating_add(advance.advance_seconds.saturating_mul(1000));
        let now = state.now();
        state.tick(now);
        Ok(Success::data(
            json!({"now": now, "offsetMs": state.clock_offset_ms}),
        ))
    }
    .await;
    admin_reply(&app, outcome)
}

/// The path parameters of an admin request.
async fn admin_params(req: &mut Request) -> Result<BTreeMap<String, String>, Failure> {
    let (mut parts, body) = std::mem::take(req).into_parts();
    let raw = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .map_err(|e| Failure::bad_request(format!("invalid path: {e}")));
    *req = Request::from_parts(parts, body);
    Ok(raw?
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

fn param<'a>(params: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    params.get(name).map_or("", String::as_str)
}

async fn room_snapshot(AxumState(app): AxumState<App>, mut req: Request) -> Response {
    let outcome = async {
        let p = admin_params(&mut req).await?;
        let mut state = app.lock();
        admin::snapshot(
            &mut state,
            app.app_id.as_str(),
            param(&p, "region"),
            param(&p, "roomUuid"),
        )
        .map(Success::data)
    }
    .await;
    admin_reply(&app, outcome)
}

async fn join_user(AxumState(app): AxumState<App>, mut req: Request) -> Response {
    let outcome = async {
        let p = admin_params(&mut req).await?;
        let spec: JoinUser = admin_body(req, false).await?.unwrap_or_default();
        let mut state = app.lock();
        admin::join(
            &mut state,
            param(&p, "region"),
            param(&p, "roomUuid"),
            param(&p, "userUuid"),
            spec,
        )?;
        Ok(Success::empty())
    }
    .await;
    admin_reply(&app, outcome)
}

async fn leave_user(AxumState(app): AxumState<App>, mut req: Request) -> Response {
    let outcome = async {
        let p = admin_params(&mut req).await?;
        let mut state = app.lock();
        admin::leave(
            &mut state,
            param(&p, "region"),
            param(&p, "roomUuid"),
            param(&p, "userUuid"),
        )?;
        Ok(Success::empty())
    }
    .await;
    admin_reply(&app, outcome)
}

async fn inject_events(AxumState(app): AxumState<App>, mut req: Request) -> Response {
    let outcome = async {
        let p = admin_params(&mut req).await?;
        let events: InjectEvents = admin_body(req, true)
            .await?
            .ok_or_else(|| Failure::bad_request("no body"))?;
        let mut state = app.lock();
        let sequences = admin::inject(
            &mut state,
            param(&p, "region"),
            param(&p, "roomUuid"),
            events,
        )?;
        Ok(Success::data(json!({"sequences": sequences})))
    }
    .await;
    admin_reply(&app, outcome)
}
