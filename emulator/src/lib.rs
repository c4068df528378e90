#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod admin;
mod auth;
pub mod conformance;
mod faults;
mod ops;
mod props;
pub mod proxy;
pub mod recording;
mod reply;
mod routes;
mod state;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use classroom_api::token::{AppCertificate, AppId, TokenError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;

pub use admin::{AdminError, InjectEvents, JoinUser};
pub use faults::{ActiveFault, Fault, FaultRule};
pub use proxy::{Proxy, ProxyBuilder, ProxyError, Replay, Summary};
pub use routes::OPERATIONS;

use routes::{App, DropConnection};
use state::State;

/// The app id the emulator serves unless told otherwise.
pub const DEFAULT_APP_ID: &str = "0123456789abcdef0123456789abcdef";
/// The app certificate the emulator checks tokens with unless told otherwise.
pub const DEFAULT_CERTIFICATE: &str = "fedcba9876543210fedcba9876543210";

/// One answer of the vendor API as the emulator sent it (admin endpoints are not recorded, nor
/// answers lost to a dropped connection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// The operationId, or `None` for a request that matched no operation (404, 405).
    pub operation: Option<String>,
    /// The HTTP method.
    pub method: String,
    /// The path and query as requested (still percent-encoded).
    pub path: String,
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The app id or certificate is not 32 hexadecimal characters.
    #[error("invalid app id or certificate: {0}")]
    Credentials(#[from] TokenError),
    /// A fault rule is invalid.
    #[error("invalid fault rule: {0}")]
    Fault(AdminError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Configures and starts an [`Emulator`].
#[derive(Clone)]
pub struct EmulatorBuilder {
    app_id: String,
    /// Overwritten with zeros when dropped.
    certificate: zeroize::Zeroizing<String>,
    host: String,
    port: u16,
    record: bool,
    faults: Vec<FaultRule>,
    remote_admin: bool,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("app_id", &self.app_id)
            .field("certificate", &"***")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("record", &self.record)
            .field("faults", &self.faults)
            .field("remote_admin", &self.remote_admin)
            .finish()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            app_id: DEFAULT_APP_ID.to_owned(),
            certificate: zeroize::Zeroizing::new(DEFAULT_CERTIFICATE.to_owned()),
            host: "127.0.0.1".to_owned(),
            port: 0,
            record: false,
            faults: Vec::new(),
            remote_admin: false,
        }
    }
}

impl EmulatorBuilder {
    /// The app id to serve (32 hexadecimal characters; default [`DEFAULT_APP_ID`]).
    #[must_use]
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = app_id.into();
        self
    }

    /// The certificate tokens must be signed with (default [`DEFAULT_CERTIFICATE`]).
    #[must_use]
    pub fn certificate(mut self, certificate: impl Into<String>) -> Self {
        self.certificate = zeroize::Zeroizing::new(certificate.into());
        self
    }

    /// The address to listen on (default `127.0.0.1`).
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// The port to listen on (default 0: any free port).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Keeps every API response in a log ([`Emulator::responses`], `GET /_emulator/responses`).
    #[must_use]
    pub fn record_responses(mut self, on: bool) -> Self {
        self.record = on;
        self
    }

    /// Serves the `/_emulator` admin endpoints (unauthenticated: they read and change every room
    /// and inject faults) even on a non-loopback address. Off by default: on an address other
    /// than loopback they answer 403.
    #[must_use]
    pub fn remote_admin(mut self, on: bool) -> Self {
        self.remote_admin = on;
        self
    }

    /// A fault rule active from the start.
    #[must_use]
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// Binds the address and starts serving in the current Tokio runtime.
    pub async fn start(self) -> Result<Emulator, StartError> {
        let app_id = AppId::new(&self.app_id)?;
        let certificate = AppCertificate::new(&self.certificate)?;
        let mut state = State {
            log: self.record.then(Vec::new),
            ..State::default()
        };
        for rule in self.faults {
            routes::check_rule(&rule).map_err(|f| StartError::Fault(f.into()))?;
            state.faults.add(rule);
        }
        let app = App {
            app_id,
            certificate,
            state: Arc::new(Mutex::new(state)),
        };
        let addr = format!("{}:{}", self.host, self.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let (stop, stopped) = watch::channel(false);
        let router = routes::router(app.clone());
        let admin = self.remote_admin || local.ip().is_loopback();
        let task = tokio::spawn(serve(listener, router, admin, stopped));
        Ok(Emulator {
            addr: local,
            base_url: format!("http://{local}"),
            app,
            certificate: self.certificate,
            stop,
            task: Some(task),
        })
    }
}

/// A running emulator. It stops when dropped (or with [`Emulator::shutdown`]).
pub struct Emulator {
    addr: SocketAddr,
    base_url: String,
    app: App,
    /// Overwritten with zeros when dropped.
    certificate: zeroize::Zeroizing<String>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .field("app_id", &self.app.app_id)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator on a free port of 127.0.0.1 with the default app id and certificate.
    pub async fn start() -> Result<Emulator, StartError> {
        EmulatorBuilder::default().start().await
    }

    /// Configures an emulator.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The base URL to give to `ClientBuilder::base_url`, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The app id it serves.
    pub fn app_id(&self) -> &str {
        self.app.app_id.as_str()
    }

    /// The certificate it checks tokens with.
    pub fn certificate(&self) -> &str {
        &self.certificate
    }

    /// A user joins a room (with a users-in-out event, cmd 20); see [`JoinUser`].
    pub fn add_user(
        &self,
        region: &str,
        room_uuid: &str,
        user_uuid: &str,
        user: JoinUser,
    ) -> Result<(), AdminError> {
        let mut state = self.app.lock();
        Ok(admin::join(&mut state, region, room_uuid, user_uuid, user)?)
    }

    /// A user leaves a room (with a users-in-out event, cmd 20, when it was online).
    pub fn remove_user(
        &self,
        region: &str,
        room_uuid: &str,
        user_uuid: &str,
    ) -> Result<(), AdminError> {
        let mut state = self.app.lock();
        Ok(admin::leave(&mut state, region, room_uuid, user_uuid)?)
    }

    /// Appends events to a room as if its clients had caused them; their sequences.
    pub fn inject_events(
        &self,
        region: &str,
        room_uuid: &str,
        events: InjectEvents,
    ) -> Result<Vec<i64>, AdminError> {
        let mut state = self.app.lock();
        Ok(admin::inject(&mut state, region, room_uuid, events)?)
    }

    /// The whole state of a room as JSON (users, properties, groups, recordings, widgets...).
    pub fn room(&self, region: &str, room_uuid: &str) -> Result<Value, AdminError> {
        let mut state = self.app.lock();
        Ok(admin::snapshot(
            &mut state,
            self.app.app_id.as_str(),
            region,
            room_uuid,
        )?)
    }

    /// Adds a fault rule; its id.
    pub fn add_fault(&self, rule: FaultRule) -> Result<u64, AdminError> {
        routes::check_rule(&rule)?;
        Ok(self.app.lock().faults.add(rule))
    }

    /// Removes a fault rule; whether it existed.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.app.lock().faults.remove(id)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.app.lock().faults.clear();
    }

    /// The fault rules, with how often each applied.
    pub fn faults(&self) -> Vec<ActiveFault> {
        self.app.lock().faults.list()
    }

    /// The recorded API responses (empty unless started with
    /// [`EmulatorBuilder::record_responses`]).
    pub fn responses(&self) -> Vec<RecordedResponse> {
        self.app.lock().log.clone().unwrap_or_default()
    }

    /// Moves the emulator's clock forward (schedules, kick durations, recording limits, room
    /// lifetimes follow it; token expiry does not).
    pub fn advance_clock(&self, by: Duration) {
        let mut state = self.app.lock();
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        state.clock_offset_ms = state.clock_offset_ms.saturating_add(ms);
        let now = state.now();
        state.tick(now);
    }

    /// Forgets every room, event, fault rule and recorded response.
    pub fn reset(&self) {
        self.app.lock().reset();
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The answer to an admin request on a non-loopback address without `remote_admin`.
fn admin_refused() -> axum::response::Response {
    let body = serde_json::json!({
        "code": 403,
        "msg": "the admin endpoints are served on a loopback address only \
                (start the emulator with --remote-admin to serve them here)",
    });
    axum::response::Response::builder()
        .status(403)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// Accepts connections until `stop` changes or its sender is dropped; `admin`: whether the
/// `/_emulator` endpoints are served (else they answer 403).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    admin: bool,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or similar: wait a little instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                tokio::spawn(connection(stream, router.clone(), admin, stop.clone()));
            }
            _ = stop.changed() => return,
        }
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    router: Router,
    admin: bool,
    mut stop: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let router = router.clone();
        async move {
            if !admin && req.uri().path().starts_with("/_emulator") {
                return Ok(admin_refused());
            }
            let response = match router.oneshot(req.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                Err(Dropped)
            } else {
                Ok(response)
            }
        }
    });
    // The timer lets hyper apply its default 30 s limit on reading a request's headers.
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(1), conn).await;
        }
    }
}
