//! A school's backend on axum: creates a class on request, hands out front-end tokens, and
//! consumes the classes' events, against the emulator started in-process (offline).
//!
//! ```text
//! cargo run -p classroom-emulator --example school_backend            # a scripted demo, then exit
//! cargo run -p classroom-emulator --example school_backend -- --serve # serve until Ctrl-C
//! ```
//!
//! Endpoints:
//! - `POST /classes` with `{"class_id": "math-101", "name": "Math 101"}`: creates the classroom
//!   (201; 409 when it exists; 400 for an invalid id) and answers the vendor's request id.
//! - `GET /classes/{class_id}/token?user=student-7&role=student`: a room-user token for the
//!   classroom front end.
//! - `GET /classes/{class_id}/events`: the events of the class the backend has consumed.
//!
//! With `--serve`, try `curl -XPOST localhost:3000/classes -d '{"class_id":"c1","name":"C1"}'
//! -H 'content-type: application/json'`.

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use classroom_api::ids::RoomUuid;
use classroom_api::operations::CreateRoomOutcome;
use classroom_api::poller::Poller;
use classroom_api::token::{AppCertificate, AppId, EducationTokenBuilder};
use classroom_api::types::{CreateRoomRequest, Region, RoomState, RoomType, UserRole};
use classroom_api::{Client, Credentials};
use classroom_emulator::{Emulator, JoinUser};
use serde::Deserialize;
use serde_json::{Value, json};

/// What every handler shares.
struct School {
    client: Client,
    tokens: EducationTokenBuilder,
    /// The events consumed by the poller, by class.
    events: Mutex<BTreeMap<String, Vec<Value>>>,
}

type Reply = (StatusCode, Json<Value>);

fn reply(status: StatusCode, body: Value) -> Reply {
    (status, Json(body))
}

#[derive(Deserialize)]
struct NewClass {
    class_id: String,
    name: String,
}

/// Creates the classroom: the id is checked before anything is sent, the vendor's request id is
/// logged and returned, and an existing class is a 409.
async fn create_class(State(school): State<Arc<School>>, Json(req): Json<NewClass>) -> Reply {
    let room: RoomUuid = match req.class_id.parse() {
        Ok(room) => room,
        Err(e) => return reply(StatusCode::BAD_REQUEST, json!({"error": e.to_string()})),
    };
    let body = CreateRoomRequest::new(req.name, RoomType::SmallClass);
    let created = school
        .client
        .create_room(&room, &body)
        // A user waits for this answer: fail fast rather than after the client's 30 s deadline.
        .deadline(Duration::from_secs(5))
        .send_with_metadata()
        .await;
    match created {
        Ok((CreateRoomOutcome::Created, metadata)) => {
            println!(
                "created class {room} (vendor request id {:?})",
                metadata.request_id()
            );
            reply(
                StatusCode::CREATED,
                json!({"class_id": room, "request_id": metadata.request_id()}),
            )
        }
        // The room uuid is ours: a class that already exists is not an error of the vendor.
        Ok((CreateRoomOutcome::AlreadyExists, _)) => reply(
            StatusCode::CONFLICT,
            json!({"error": format!("class {room} exists")}),
        ),
        Err(e) => {
            eprintln!("create_room failed: {e} (request id {:?})", e.request_id());
            reply(StatusCode::BAD_GATEWAY, json!({"error": e.to_string()}))
        }
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    user: String,
    #[serde(default)]
    role: Option<String>,
}

/// A room-user token for the classroom front end (role 1 teacher, 2 student, 3 assistant).
async fn class_token(
    State(school): State<Arc<School>>,
    Path(class_id): Path<String>,
    Query(q): Query<TokenQuery>,
) -> Reply {
    let role = match q.role.as_deref().unwrap_or("student") {
        "teacher" => UserRole::Teacher,
        "student" => UserRole::Student,
        "assistant" => UserRole::Assistant,
        other => {
            return reply(
                StatusCode::BAD_REQUEST,
                json!({"error": format!("unknown role {other:?}")}),
            );
        }
    };
    match school
        .tokens
        .room_user_token(&class_id, &q.user, role, 3600)
    {
        Ok(token) => reply(
            StatusCode::OK,
            json!({"token": token.as_str(), "class_id": class_id, "user": q.user, "expires_in": 3600}),
        ),
        Err(e) => reply(StatusCode::BAD_REQUEST, json!({"error": e.to_string()})),
    }
}

async fn class_events(State(school): State<Arc<School>>, Path(class_id): Path<String>) -> Reply {
    let events = school.events.lock().unwrap_or_else(|p| p.into_inner());
    let list = events.get(&class_id).cloned().unwrap_or_default();
    reply(
        StatusCode::OK,
        json!({"class_id": class_id, "events": list}),
    )
}

fn router(school: Arc<School>) -> Router {
    Router::new()
        .route("/classes", post(create_class))
        .route("/classes/{class_id}/token", get(class_token))
        .route("/classes/{class_id}/events", get(class_events))
        .with_state(school)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let serve = std::env::args().any(|a| a == "--serve");
    let emulator = Emulator::start().await?;
    println!(
        "emulator at {} (app {})",
        emulator.base_url(),
        emulator.app_id()
    );
    let client = Client::builder(emulator.app_id())
        .region(Region::China)
        .credentials(Credentials::app_certificate(emulator.certificate())?)
        .base_url(emulator.base_url())
        .user_agent("school-backend/0.1")
        .build()?;
    let school = Arc::new(School {
        client: client.clone(),
        tokens: EducationTokenBuilder::new(
            AppId::new(emulator.app_id())?,
            AppCertificate::new(emulator.certificate())?,
        ),
        events: Mutex::new(BTreeMap::new()),
    });

    // Consume every class's events in the background, in order per class.
    let poller = Poller::builder(client.clone())
        .interval(Duration::from_millis(200))
        .build();
    let stop_polling = poller.cancellation_token();
    let consumer = school.clone();
    let polling = tokio::spawn(poller.run(move |event| {
        let school = consumer.clone();
        async move {
            println!(
                "event {} #{} cmd {}",
                event.room_uuid, event.sequence, event.cmd
            );
            let value = serde_json::to_value(&event).unwrap_or(Value::Null);
            school
                .events
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(event.room_uuid.clone())
                .or_default()
                .push(value);
            Ok::<(), std::convert::Infallible>(())
        }
    }));

    let port = if serve { 3000 } else { 0 };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    println!("school backend at http://{addr}");
    let server = tokio::spawn(axum::serve(listener, router(school)).into_future());

    if serve {
        tokio::signal::ctrl_c().await?;
    } else {
        demo(&format!("http://{addr}"), &emulator, &client).await?;
    }
    stop_polling.cancel();
    polling.await?.map_err(|e| format!("poller: {e}"))?;
    server.abort();
    emulator.shutdown().await;
    Ok(())
}

/// What a front end and a teacher would do, through the backend's own endpoints.
async fn demo(base: &str, emulator: &Emulator, client: &Client) -> Result<(), Box<dyn Error>> {
    let http = reqwest::Client::new();
    let class = "math-101";
    let created: Value = http
        .post(format!("{base}/classes"))
        .json(&json!({"class_id": class, "name": "Math 101"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("POST /classes -> {created}");
    let again = http
        .post(format!("{base}/classes"))
        .json(&json!({"class_id": class, "name": "Math 101"}))
        .send()
        .await?;
    println!("POST /classes again -> {}", again.status());
    let bad = http
        .post(format!("{base}/classes"))
        .json(&json!({"class_id": "math/101", "name": "Math 101"}))
        .send()
        .await?;
    println!("POST /classes with a bad id -> {}", bad.status());
    let token: Value = http
        .get(format!(
            "{base}/classes/{class}/token?user=student-7&role=student"
        ))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!(
        "GET token -> {} characters for {}",
        token["token"].as_str().map_or(0, str::len),
        token["user"]
    );

    // The class happens: the teacher starts it, a student joins (through the emulator).
    client.set_room_state(class, RoomState::Started).await?;
    emulator.add_user(
        "cn",
        class,
        "student-7",
        JoinUser::new("Ann").role(UserRole::Student),
    )?;

    // Wait until the backend has consumed both events.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let seen: Value = http
            .get(format!("{base}/classes/{class}/events"))
            .send()
            .await?
            .json()
            .await?;
        let count = seen["events"].as_array().map_or(0, Vec::len);
        if count >= 2 {
            println!("GET events -> {count} events consumed");
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("only {count} events consumed after 10 s").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
