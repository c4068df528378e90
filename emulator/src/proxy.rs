//! The validating proxy: forwards every request unchanged to the real service (or any upstream),
//! checks the request and the answer against the spec, reports each difference, and records the
//! exchanges with their secrets scrubbed. And the replay server, which serves recorded exchanges.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::conformance::{Conformance, Drift, DriftKind};
use crate::recording::{Exchange, Message, Recorder, canonical, scrubbed_body};

/// Bodies larger than this are refused.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Headers that belong to one connection, never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    // Asked of the upstream as identity, so that answers can be read and checked.
    "accept-encoding",
];

/// Why a proxy or replay server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// No upstream was given, or one is not an http(s) URL.
    #[error("invalid upstream {0:?}: expected an http:// or https:// URL")]
    Upstream(String),
    /// The compiled-in spec could not be read (a build problem).
    #[error("the compiled-in spec: {0}")]
    Spec(String),
    /// The recordings could not be read or written.
    #[error("recordings: {0}")]
    Recordings(String),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
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

/// Configures and starts a [`Proxy`].
pub struct ProxyBuilder {
    upstreams: Vec<String>,
    host: String,
    port: u16,
    record: Option<PathBuf>,
    timeout: Duration,
    json_lines: Option<Box<dyn Write + Send>>,
    log: bool,
}

impl fmt::Debug for ProxyBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyBuilder")
            .field("upstreams", &self.upstreams)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("record", &self.record)
            .field("timeout", &self.timeout)
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}

impl ProxyBuilder {
    /// Adds an upstream base URL (e.g. `https://api.agora.io`). With several, a request goes to
    /// the next when the connection to one fails, in the order given.
    #[must_use]
    pub fn upstream(mut self, url: impl Into<String>) -> Self {
        self.upstreams.push(url.into());
        self
    }

    /// The address to listen on (default `127.0.0.1`).
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// The port to listen on (default 0: a free port).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Records every exchange into `dir`, one JSON-lines file per operation, secrets scrubbed.
    #[must_use]
    pub fn record(mut self, dir: impl Into<PathBuf>) -> Self {
        self.record = Some(dir.into());
        self
    }

    /// How long the upstream may take to answer one request (default 30 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Writes each difference, and the summary at [`Proxy::shutdown`], as JSON lines.
    #[must_use]
    pub fn json_lines(mut self, out: impl Write + Send + 'static) -> Self {
        self.json_lines = Some(Box::new(out));
        self
    }

    /// Prints each difference on standard error, a line each (default off).
    #[must_use]
    pub fn log_to_stderr(mut self, on: bool) -> Self {
        self.log = on;
        self
    }

    /// Binds the address and starts forwarding in the current Tokio runtime.
    pub async fn start(self) -> Result<Proxy, ProxyError> {
        if self.upstreams.is_empty() {
            return Err(ProxyError::Upstream(String::new()));
        }
        let mut upstreams = Vec::new();
        for u in &self.upstreams {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(ProxyError::Upstream(u.clone()));
            }
            upstreams.push(u.trim_end_matches('/').to_owned());
        }
        let conformance = Conformance::builtin().map_err(ProxyError::Spec)?;
        let recorder = match &self.record {
            Some(dir) => Some(
                Recorder::new(dir)
                    .map_err(|e| ProxyError::Recordings(format!("{}: {e}", dir.display())))?,
            ),
            None => None,
        };
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .build()
            .map_err(|e| ProxyError::Client(e.to_string()))?;
        let shared = Arc::new(Shared {
            conformance,
            http,
            upstreams,
            recorder,
            report: Mutex::new(Report::default()),
            json_lines: self.json_lines.map(Mutex::new),
            log: self.log,
        });
        let router = Router::new().fallback(forward).with_state(shared.clone());
        let (addr, base_url, stop, task) = listen(&self.host, self.port, router).await?;
        Ok(Proxy {
            addr,
            base_url,
            shared,
            stop,
            task: Some(task),
        })
    }
}

/// A running proxy. It stops when dropped (or with [`Proxy::shutdown`], which also writes the
/// summary to the JSON lines).
pub struct Proxy {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("base_url", &self.base_url)
            .field("upstreams", &self.shared.upstreams)
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// Configures a proxy.
    pub fn builder() -> ProxyBuilder {
        ProxyBuilder {
            upstreams: Vec::new(),
            host: "127.0.0.1".to_owned(),
            port: 0,
            record: None,
            timeout: Duration::from_secs(30),
            json_lines: None,
            log: false,
        }
    }

    /// The base URL to give to `ClientBuilder::base_url`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every difference reported so far (the first 10,000).
    pub fn drifts(&self) -> Vec<Drift> {
        self.shared.report().drifts.clone()
    }

    /// Calls and differences so far, per operation.
    pub fn summary(&self) -> Summary {
        self.shared.report().summary.clone()
    }

    /// Stops forwarding, waits for the server task, and writes the summary to the JSON lines.
    pub async fn shutdown(mut self) -> Summary {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let summary = self.summary();
        self.shared
            .emit(&json!({"type": "summary", "summary": summary}));
        summary
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Calls and differences per operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Requests forwarded.
    pub calls: u64,
    /// Differences found.
    pub drifts: u64,
    /// Per operationId (`"(no operation)"` for requests that matched none).
    pub operations: BTreeMap<String, OperationSummary>,
}

/// Calls and differences of one operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OperationSummary {
    /// Requests forwarded.
    pub calls: u64,
    /// Answers per HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Differences per kind.
    pub drifts: BTreeMap<DriftKind, u64>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} calls, {} differences from the spec",
            self.calls, self.drifts
        )?;
        for (op, s) in &self.operations {
            let statuses: Vec<String> =
                s.statuses.iter().map(|(k, v)| format!("{k}×{v}")).collect();
            write!(f, "  {op}: {} calls ({})", s.calls, statuses.join(", "))?;
            if !s.drifts.is_empty() {
                let kinds: Vec<String> = s
                    .drifts
                    .iter()
                    .map(|(k, v)| format!("{} ×{v}", k.as_str()))
                    .collect();
                write!(f, "; {}", kinds.join(", "))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
struct Report {
    drifts: Vec<Drift>,
    summary: Summary,
}

/// Differences kept in memory for [`Proxy::drifts`].
const MAX_KEPT: usize = 10_000;

struct Shared {
    conformance: Conformance,
    http: reqwest::Client,
    upstreams: Vec<String>,
    recorder: Option<Recorder>,
    report: Mutex<Report>,
    json_lines: Option<Mutex<Box<dyn Write + Send>>>,
    log: bool,
}

impl Shared {
    fn report(&self) -> std::sync::MutexGuard<'_, Report> {
        self.report.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn emit(&self, line: &Value) {
        if let Some(out) = &self.json_lines {
            let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(out, "{line}").and_then(|()| out.flush());
        }
    }

    fn note(&self, operation: Option<&str>, status: u16, drifts: &[Drift]) {
        {
            let mut report = self.report();
            let summary = &mut report.summary;
            summary.calls += 1;
            summary.drifts += drifts.len() as u64;
            let op = summary
                .operations
                .entry(operation.unwrap_or("(no operation)").to_owned())
                .or_default();
            op.calls += 1;
            *op.statuses.entry(status).or_default() += 1;
            for d in drifts {
                *op.drifts.entry(d.kind).or_default() += 1;
            }
            let room = MAX_KEPT.saturating_sub(report.drifts.len());
            report.drifts.extend(drifts.iter().take(room).cloned());
        }
        for d in drifts {
            if self.log {
                eprintln!("drift: {d}");
            }
            let mut line = serde_json::to_value(d).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut line {
                map.insert("type".into(), "drift".into());
            }
            self.emit(&line);
        }
    }
}

fn error_response(status: StatusCode, msg: String) -> Response {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let body = json!({"code": status.as_u16(), "msg": msg, "ts": ts});
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}

async fn forward(AxumState(shared): AxumState<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("proxy: the request body is unreadable or larger than {MAX_BODY} bytes"),
        );
    };
    let operation = shared
        .conformance
        .match_operation(&method, &path)
        .map(|o| o.id.clone());
    let mut drifts = shared
        .conformance
        .check_request(&method, &path, Some(&body));

    let mut last_error = String::new();
    let mut answer = None;
    for upstream in &shared.upstreams {
        let mut request = shared
            .http
            .request(parts.method.clone(), format!("{upstream}{path_and_query}"))
            .body(body.clone());
        for (name, value) in &parts.headers {
            if !HOP_BY_HOP.contains(&name.as_str()) {
                request = request.header(name, value);
            }
        }
        match request.send().await {
            Ok(response) => {
                answer = Some(response);
                break;
            }
            Err(e) if e.is_connect() => last_error = format!("{upstream}: {e}"),
            Err(e) => {
                last_error = format!("{upstream}: {e}");
                break;
            }
        }
    }
    let Some(response) = answer else {
        shared.note(operation.as_deref(), 502, &drifts);
        return error_response(
            StatusCode::BAD_GATEWAY,
            format!("proxy: no answer from the upstream ({last_error})"),
        );
    };
    let status = response.status();
    let headers = response.headers().clone();
    let response_body = match read_limited(response).await {
        Ok(b) => b,
        Err(e) => {
            shared.note(operation.as_deref(), 502, &drifts);
            return error_response(StatusCode::BAD_GATEWAY, format!("proxy: {e}"));
        }
    };
    drifts.extend(shared.conformance.check_response(
        &method,
        &path,
        status.as_u16(),
        &response_body,
    ));
    shared.note(operation.as_deref(), status.as_u16(), &drifts);
    if let Some(recorder) = &shared.recorder {
        let exchange = Exchange {
            operation: operation.clone(),
            method: method.clone(),
            path: path_and_query,
            request: Message::scrubbed(None, &parts.headers, &body),
            response: Message::scrubbed(Some(status.as_u16()), &headers, &response_body),
            drifts,
        };
        if let Err(e) = recorder.record(&exchange) {
            eprintln!("error: cannot record an exchange: {e}");
        }
    }
    let mut out = Response::new(Body::from(response_body));
    *out.status_mut() = status;
    for (name, value) in &headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading the upstream's answer: {e}"))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!(
                "the upstream's answer is larger than {MAX_BODY} bytes"
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn listen(
    host: &str,
    port: u16,
    router: Router,
) -> Result<(SocketAddr, String, watch::Sender<bool>, JoinHandle<()>), ProxyError> {
    let addr = format!("{host}:{port}");
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|source| ProxyError::Bind {
            addr: addr.clone(),
            source,
        })?;
    let local = listener
        .local_addr()
        .map_err(|source| ProxyError::Bind { addr, source })?;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(crate::serve(listener, router, true, stopped));
    Ok((local, format!("http://{local}"), stop, task))
}

/// Serves recorded exchanges: a request gets the answer recorded for the same method, path
/// (with its query) and body (secrets scrubbed on both sides, members in any order). Repeated
/// requests get the recorded answers in order, then the last one again. A request with no
/// recording gets a 501 that names it.
pub struct Replay {
    addr: SocketAddr,
    base_url: String,
    exchanges: usize,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replay")
            .field("base_url", &self.base_url)
            .field("exchanges", &self.exchanges)
            .finish_non_exhaustive()
    }
}

type Key = (String, String, String);

struct Recorded {
    answers: Vec<Message>,
    next: AtomicUsize,
}

impl Replay {
    /// Loads the recordings of `dir` and serves them on `host:port` (port 0: a free port).
    pub async fn start(dir: &Path, host: &str, port: u16) -> Result<Replay, ProxyError> {
        let exchanges = crate::recording::load(dir).map_err(ProxyError::Recordings)?;
        let count = exchanges.len();
        let mut table: HashMap<Key, Recorded> = HashMap::new();
        for e in exchanges {
            let key = (
                e.method.to_ascii_uppercase(),
                e.path.clone(),
                canonical(&e.request.body),
            );
            table
                .entry(key)
                .or_insert_with(|| Recorded {
                    answers: Vec::new(),
                    next: AtomicUsize::new(0),
                })
                .answers
                .push(e.response);
        }
        let router = Router::new().fallback(replay).with_state(Arc::new(table));
        let (addr, base_url, stop, task) = listen(host, port, router).await?;
        Ok(Replay {
            addr,
            base_url,
            exchanges: count,
            stop,
            task: Some(task),
        })
    }

    /// The base URL to give to `ClientBuilder::base_url`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many exchanges were loaded.
    pub fn exchanges(&self) -> usize {
        self.exchanges
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn replay(
    AxumState(table): AxumState<Arc<HashMap<Key, Recorded>>>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_ascii_uppercase();
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("replay: the request body is unreadable or larger than {MAX_BODY} bytes"),
        );
    };
    let body = scrubbed_body(&body);
    let key = (method, path, canonical(&body));
    let Some(recorded) = table.get(&key) else {
        let shown = if body.is_null() {
            "no body".to_owned()
        } else {
            format!("body {}", key.2)
        };
        return error_response(
            StatusCode::NOT_IMPLEMENTED,
            format!(
                "replay: no recorded exchange for {} {} with {shown}",
                key.0, key.1
            ),
        );
    };
    let n = recorded.next.fetch_add(1, Ordering::Relaxed);
    let Some(answer) = recorded
        .answers
        .get(n.min(recorded.answers.len().saturating_sub(1)))
    else {
        return error_response(
            StatusCode::NOT_IMPLEMENTED,
            "replay: empty recording".into(),
        );
    };
    let status = answer
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut out = Response::new(Body::from(answer.body_bytes()));
    *out.status_mut() = status;
    let mut headers = HeaderMap::new();
    for (name, value) in &answer.headers {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    *out.headers_mut() = headers;
    out
}
