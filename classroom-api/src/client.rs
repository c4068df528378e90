//! The client: configuration, and one call's life (auth, attempts, retries, failover, decoding).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{
    CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT,
};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tracing::Instrument;

use crate::auth::Credentials;
use crate::error::{ApiError, DecodeError, Error, Result, TransportError};
use crate::error_codes::ErrorCode;
use crate::request::{Decoder, ResponseMetadata};
use crate::runtime::{Call, Scalar};
use crate::types::Region;

/// Bodies larger than this are refused rather than read into memory.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// How much of a bad body an error keeps.
const BODY_PREFIX: usize = 256;
/// Headers that carry a request id, first match wins.
const REQUEST_ID_HEADERS: &[&str] = &["x-request-id", "x-agora-request-id", "request-id"];

/// The vendor's primary domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Domain {
    /// `api.agora.io`, the default.
    #[default]
    AgoraIo,
    /// `api.sd-rtn.com`, recommended for servers in mainland China.
    SdRtn,
}

impl Domain {
    fn suffix(self) -> &'static str {
        match self {
            Domain::AgoraIo => "agora.io",
            Domain::SdRtn => "sd-rtn.com",
        }
    }

    fn other(self) -> Domain {
        match self {
            Domain::AgoraIo => Domain::SdRtn,
            Domain::SdRtn => Domain::AgoraIo,
        }
    }
}

/// How failed attempts are repeated.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// Backoff cap before the first retry; doubles each retry.
    pub initial_backoff: Duration,
    /// The largest backoff.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of attempts (the first included).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first and the largest backoff.
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Capped exponential backoff with full jitter before retry number `retry` (1-based).
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        let cap = exp.min(self.max_backoff);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(crate::random::in_range(0..=millis))
    }
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    app_id: String,
    region: Option<Region>,
    allow_undocumented_region: bool,
    credentials: Option<Credentials>,
    base_url: Option<String>,
    hosts: Option<Vec<String>>,
    domain: Domain,
    failover: bool,
    attempt_timeout: Duration,
    deadline: Duration,
    connect_timeout: Option<Duration>,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
    user_agent: Option<String>,
}

/// A client of the Flexible Classroom REST API for one app in one region.
///
/// Cheap to clone (an `Arc` inside); share one per process.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    app_id: String,
    region: Region,
    /// `region` and `app_id` as path segments, encoded once.
    region_segment: String,
    app_id_segment: String,
    credentials: Credentials,
    hosts: Vec<String>,
    attempt_timeout: Duration,
    deadline: Duration,
    retry: RetryPolicy,
    http: reqwest::Client,
    /// Sent as `User-Agent` when set; none by default.
    user_agent: Option<HeaderValue>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("app_id", &self.inner.app_id)
            .field("region", &self.inner.region)
            .field("credentials", &self.inner.credentials)
            .field("hosts", &self.inner.hosts)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts building a client for `app_id` (the 32-character App ID of the Agora console).
    pub fn builder(app_id: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            app_id: app_id.into(),
            region: None,
            allow_undocumented_region: false,
            credentials: None,
            base_url: None,
            hosts: None,
            domain: Domain::default(),
            failover: true,
            attempt_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(30),
            connect_timeout: None,
            retry: RetryPolicy::default(),
            http: None,
            user_agent: None,
        }
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    /// The region.
    pub fn region(&self) -> &Region {
        &self.inner.region
    }

    /// The hosts tried, in order.
    pub fn hosts(&self) -> &[String] {
        &self.inner.hosts
    }

    /// A builder of the front end's tokens (room-user, user) for this client's app, from the
    /// credentials the client already holds: `Some` when it was built with
    /// [`Credentials::app_certificate`], `None` with a ready token or your own provider.
    /// The builder mints with the certificate but never shows it.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(client: &classroom_api::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use classroom_api::types::UserRole;
    ///
    /// let tokens = client.token_builder().ok_or("the client has no app certificate")?;
    /// let token = tokens.room_user_token("math-101", "student-7", UserRole::Student, 3600)?;
    /// # let _ = token;
    /// # Ok(())
    /// # }
    /// ```
    pub fn token_builder(&self) -> Option<&crate::token::EducationTokenBuilder> {
        self.inner.credentials.token_builder()
    }

    pub(crate) fn region_str(&self) -> &str {
        self.inner.region.as_str()
    }

    pub(crate) fn region_segment(&self) -> &str {
        &self.inner.region_segment
    }

    pub(crate) fn app_id_segment(&self) -> &str {
        &self.inner.app_id_segment
    }

    /// The retry policy.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(client: &classroom_api::Client) {
    /// let backoff = client.retry_policy().backoff(1);
    /// # let _ = backoff;
    /// # }
    /// ```
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// This client with another retry policy (the same connection pool and credentials).
    #[cfg(feature = "poller")]
    pub(crate) fn with_retry(&self, retry: RetryPolicy) -> Client {
        let mut inner = (*self.inner).clone();
        inner.retry = retry;
        Client {
            inner: Arc::new(inner),
        }
    }

    /// Runs a call: its metadata is returned when the call's options ask for it.
    pub(crate) async fn execute<T>(
        &self,
        call: Call<'_>,
        decode: Decoder<T>,
    ) -> Result<(T, Option<ResponseMetadata>)> {
        let span = tracing::info_span!(
            "classroom_api",
            operation = call.op.id,
            region = self.region_str(),
            room_uuid = call.room_uuid.as_deref().unwrap_or(""),
            request_id = tracing::field::Empty,
            status = tracing::field::Empty,
            code = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.attempts(&call, &decode).instrument(span).await
    }

    async fn attempts<T>(
        &self,
        call: &Call<'_>,
        decode: &impl Fn(Option<&RawValue>) -> std::result::Result<T, String>,
    ) -> Result<(T, Option<ResponseMetadata>)> {
        let inner = &self.inner;
        let options = call.options.as_deref();
        let retry = options
            .and_then(|o| o.retry.as_ref())
            .unwrap_or(&inner.retry);
        let attempt_timeout = options
            .and_then(|o| o.attempt_timeout)
            .unwrap_or(inner.attempt_timeout);
        let started = Instant::now();
        // `None`: a deadline too far away to be a point in time (e.g. `Duration::MAX`).
        let deadline =
            started.checked_add(options.and_then(|o| o.deadline).unwrap_or(inner.deadline));
        let mut host = 0usize;
        let mut all_not_sent = true;
        let mut renewed = false;
        let mut attempt = 0u32;
        let span = tracing::Span::current();
        loop {
            attempt += 1;
            let now = Instant::now();
            let remaining = deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(now));
            if remaining.is_zero() {
                return Err(Error::Timeout {
                    operation: call.op.id,
                    attempts: attempt - 1,
                });
            }
            let budget = attempt_timeout.min(remaining);
            let headers =
                inner
                    .credentials
                    .headers()
                    .await
                    .map_err(|source| Error::Credentials {
                        operation: call.op.id,
                        source,
                    })?;
            let url = format!("{}{}", inner.hosts[host % inner.hosts.len()], call.path);
            // One span per attempt, a child of the call's: its own status, code and latency.
            let attempt_span = tracing::info_span!(
                "attempt",
                attempt,
                host = inner.hosts[host % inner.hosts.len()].as_str(),
                status = tracing::field::Empty,
                code = tracing::field::Empty,
                request_id = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            let attempt_started = Instant::now();
            let outcome =
                tokio::time::timeout(budget, self.attempt(call, &url, &headers, decode, &span))
                    .instrument(attempt_span.clone())
                    .await;
            attempt_span.record("latency_ms", attempt_started.elapsed().as_millis() as u64);
            let outcome = match outcome {
                Ok(o) => o,
                Err(_) => Outcome::Failed(
                    Error::Timeout {
                        operation: call.op.id,
                        attempts: attempt,
                    },
                    Failure::Timeout,
                ),
            };
            let (err, failure) = match outcome {
                Outcome::Done(value) => {
                    span.record("latency_ms", started.elapsed().as_millis() as u64);
                    return Ok(value);
                }
                Outcome::Failed(err, failure) => (err, failure),
            };
            // Refused credentials: renew them once (a new app token) and try again, even a POST
            // (the server refused it before acting on it).
            if err.status() == Some(401) && !renewed && inner.credentials.renew() {
                renewed = true;
                tracing::debug!("credentials refused; renewed, retrying once");
                continue;
            }
            if let Some(status) = err.status() {
                span.record("status", status);
            }
            if let Some(code) = err.code() {
                span.record("code", code.code());
                attempt_span.record("code", code.code());
            }
            all_not_sent &= failure == Failure::Connect;
            let err = match err {
                Error::Transport {
                    operation, source, ..
                } => Error::Transport {
                    operation,
                    attempts: attempt,
                    not_sent: all_not_sent,
                    source,
                },
                other => other,
            };
            let retryable = match failure {
                Failure::Connect => true,
                Failure::Timeout | Failure::Transport => call.op.idempotent,
                Failure::Status(s, _) => call.op.idempotent && matches!(s, 429 | 502 | 503 | 504),
                Failure::Final => false,
            };
            // Failover: connection-level failures and 5xx move on to the next host.
            if matches!(
                failure,
                Failure::Connect | Failure::Timeout | Failure::Transport
            ) || matches!(failure, Failure::Status(s, _) if s >= 500)
            {
                host += 1;
            }
            if !retryable || attempt >= retry.max_attempts {
                span.record("latency_ms", started.elapsed().as_millis() as u64);
                return Err(err);
            }
            let Some(wait) = retry_wait(retry, failure, attempt, deadline) else {
                return Err(err);
            };
            tracing::debug!(error = %err, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt<T>(
        &self,
        call: &Call<'_>,
        url: &str,
        auth: &crate::auth::AuthHeaders,
        decode: &impl Fn(Option<&RawValue>) -> std::result::Result<T, String>,
        call_span: &tracing::Span,
    ) -> Outcome<(T, Option<ResponseMetadata>)> {
        let method =
            reqwest::Method::from_bytes(call.op.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut req = self.inner.http.request(method.clone(), url);
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        for (k, v) in auth.iter() {
            req = req.header(k, v);
        }
        for (k, v) in &call.headers {
            req = req.header(k, v);
        }
        match &call.body {
            Some(body) => {
                req = req
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            None if method != reqwest::Method::GET => {
                req = req.header(CONTENT_LENGTH, "0");
            }
            None => {}
        }
        if let Some(agent) = &self.inner.user_agent {
            req = req.header(USER_AGENT, agent);
        }
        if let Some(options) = &call.options {
            for (k, v) in &options.headers {
                req = req.header(k, v);
            }
        }
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let failure = if e.is_connect() {
                    Failure::Connect
                } else if e.is_timeout() {
                    Failure::Timeout
                } else {
                    Failure::Transport
                };
                return Outcome::Failed(
                    Error::Transport {
                        operation: call.op.id,
                        attempts: 0,
                        not_sent: false,
                        source: TransportError::send(e),
                    },
                    failure,
                );
            }
        };
        let status = response.status().as_u16();
        // The attempt's span (see `attempts`) and, for the last attempt, the call's.
        tracing::Span::current().record("status", status);
        let headers = Meta::of(response.headers());
        if let Some(id) = headers.request_id.as_ref().and_then(|v| v.to_str().ok()) {
            // The attempt's span and the call's: a support ticket names the call.
            tracing::Span::current().record("request_id", id);
            call_span.record("request_id", id);
        }
        let metadata = call.options.as_ref().is_some_and(|o| o.metadata).then(|| {
            ResponseMetadata::new(
                status,
                text(&headers.request_id),
                response.headers().clone(),
            )
        });
        let body = match read_body(response).await {
            Ok(b) => b,
            Err(BodyError::Transport(e)) => {
                return Outcome::Failed(
                    Error::Transport {
                        operation: call.op.id,
                        attempts: 0,
                        not_sent: false,
                        source: TransportError::read_body(e),
                    },
                    Failure::Transport,
                );
            }
            Err(BodyError::TooLarge) => {
                let err = decode_error(
                    call,
                    status,
                    &headers,
                    b"",
                    format!("the body is larger than {MAX_BODY} bytes"),
                );
                return Outcome::Failed(err, failure_for(status, &headers));
            }
        };
        match interpret(call, status, &headers, &body, decode) {
            Outcome::Done(value) => Outcome::Done((value, metadata)),
            Outcome::Failed(err, failure) => Outcome::Failed(err, failure),
        }
    }
}

/// The envelope's required `data` as `T`.
fn decode_data<T: DeserializeOwned>(data: Option<&RawValue>) -> std::result::Result<T, String> {
    match data {
        Some(raw) if raw.get() != "null" => serde_json::from_str(raw.get())
            .map_err(|e| format!("`data` does not match the spec: {e}")),
        _ => Err("the response has no `data`".to_owned()),
    }
}

/// Reads one answer (status, headers, body) of `op` as a call does, `data` decoded as `T`, and
/// computes the wait before a retry; for the fuzz targets (`fuzz/`), not a stable API. Header
/// names or values that HTTP would not carry are skipped.
#[doc(hidden)]
pub fn decode_response<T: DeserializeOwned>(
    op: &'static crate::runtime::OperationInfo,
    status: u16,
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> Result<T> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            map.append(name, value);
        }
    }
    let call = Call::new(op, op.path.to_owned());
    let meta = Meta::of(&map);
    let outcome = if body.len() > MAX_BODY {
        let reason = format!("the body is larger than {MAX_BODY} bytes");
        Outcome::Failed(
            decode_error(&call, status, &meta, b"", reason),
            failure_for(status, &meta),
        )
    } else {
        interpret(&call, status, &meta, body, &decode_data)
    };
    match outcome {
        Outcome::Done(value) => Ok(value),
        Outcome::Failed(err, failure) => {
            // Whatever the server's wait, computing it neither panics nor exceeds the policy.
            let policy = RetryPolicy::default();
            let deadline = Instant::now().checked_add(Duration::from_secs(30));
            for (retry, deadline) in [(1, deadline), (u32::MAX, deadline), (2, None)] {
                if let Some(wait) = retry_wait(&policy, failure, retry, deadline) {
                    assert!(deadline.is_some() || wait <= policy.max_backoff);
                }
            }
            Err(err)
        }
    }
}

enum Outcome<T> {
    Done(T),
    Failed(Error, Failure),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The connection was never made: the request surely did not reach a server.
    Connect,
    Timeout,
    Transport,
    Status(u16, Option<Duration>),
    /// An answer that repeating will not change.
    Final,
}

fn failure_for(status: u16, headers: &Meta) -> Failure {
    if status == 429 || status >= 500 {
        let retry_after = text(&headers.retry_after).and_then(|v| parse_retry_after(&v));
        Failure::Status(status, retry_after)
    } else {
        Failure::Final
    }
}

enum BodyError {
    Transport(reqwest::Error),
    TooLarge,
}

async fn read_body(mut response: reqwest::Response) -> std::result::Result<Vec<u8>, BodyError> {
    let mut body = Vec::with_capacity(
        response
            .content_length()
            .map_or(1024, |l| l.min(MAX_BODY as u64) as usize),
    );
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    code: Option<Scalar>,
    #[serde(default, borrow)]
    msg: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    ts: Option<serde_json::Number>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

/// The response headers an error may need, kept without copying the whole map
/// (a `HeaderValue` clone shares its bytes).
struct Meta {
    content_type: Option<HeaderValue>,
    request_id: Option<HeaderValue>,
    retry_after: Option<HeaderValue>,
}

impl Meta {
    fn of(headers: &HeaderMap) -> Meta {
        Meta {
            content_type: headers.get(CONTENT_TYPE).cloned(),
            request_id: REQUEST_ID_HEADERS
                .iter()
                .find_map(|h| headers.get(*h))
                .cloned(),
            retry_after: headers.get(RETRY_AFTER).cloned(),
        }
    }
}

fn text(value: &Option<HeaderValue>) -> Option<String> {
    value
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn body_prefix(body: &[u8]) -> String {
    let cut = body.len().min(BODY_PREFIX);
    String::from_utf8_lossy(&body[..cut]).into_owned()
}

fn decode_error(
    call: &Call<'_>,
    status: u16,
    headers: &Meta,
    body: &[u8],
    reason: String,
) -> Error {
    Error::Decode(Box::new(DecodeError {
        operation: call.op.id,
        path: call.path.clone(),
        status,
        content_type: text(&headers.content_type),
        body_prefix: body_prefix(body),
        reason,
        request_id: text(&headers.request_id),
        retry_after: retry_after(headers),
    }))
}

fn interpret<T>(
    call: &Call<'_>,
    status: u16,
    headers: &Meta,
    body: &[u8],
    decode: &impl Fn(Option<&RawValue>) -> std::result::Result<T, String>,
) -> Outcome<T> {
    if (300..400).contains(&status) {
        // Redirects are not followed (the client is built with `redirect::Policy::none()`): the
        // API never redirects, and following one would send the credentials elsewhere.
        let reason = format!("a redirect (HTTP {status}), which the API never sends; not followed");
        return Outcome::Failed(
            decode_error(call, status, headers, body, reason),
            Failure::Final,
        );
    }
    let envelope: Envelope<'_> = match serde_json::from_slice(body) {
        Ok(e) => e,
        Err(e) => {
            let reason = if body.is_empty() {
                "the body is empty".to_owned()
            } else {
                format!("the body is not the JSON envelope: {e}")
            };
            return Outcome::Failed(
                decode_error(call, status, headers, body, reason),
                failure_for(status, headers),
            );
        }
    };
    let success = (200..300).contains(&status);
    let code = match &envelope.code {
        None => None,
        Some(Scalar::Int(c)) => Some(*c),
        Some(Scalar::Str(s)) => match s.trim().parse() {
            Ok(c) => Some(c),
            // Unreadable is not success: a unit call would report `Ok(())` for a failure.
            Err(_) => {
                let reason = format!("the `code` {s:?} is not a number");
                let failure = if success {
                    Failure::Final
                } else {
                    failure_for(status, headers)
                };
                return Outcome::Failed(decode_error(call, status, headers, body, reason), failure);
            }
        },
    };
    // Success is a 2xx whose `code` is 0 (a missing or null `code` on a 2xx is read as 0).
    if success && code.unwrap_or(0) == 0 {
        let hoisted = if call.hoist.is_empty() {
            None
        } else {
            crate::runtime::hoist_into_data(body, envelope.data, call.hoist)
        };
        return match decode(hoisted.as_deref().or(envelope.data)) {
            Ok(v) => Outcome::Done(v),
            Err(reason) => Outcome::Failed(
                decode_error(call, status, headers, body, reason),
                Failure::Final,
            ),
        };
    }
    let Some(code) = code else {
        let reason = "an error response without a `code`".to_owned();
        return Outcome::Failed(
            decode_error(call, status, headers, body, reason),
            failure_for(status, headers),
        );
    };
    let err = Error::Api(Box::new(ApiError {
        operation: call.op.id,
        path: call.path.clone(),
        status,
        code: ErrorCode::from_code(code),
        msg: envelope.msg.map(|m| m.into_owned()).unwrap_or_default(),
        ts: envelope
            .ts
            .and_then(|t| t.as_i64().or_else(|| t.as_f64().map(|f| f as i64))),
        request_id: text(&headers.request_id),
        retry_after: retry_after(headers),
    }));
    let failure = if success {
        Failure::Final
    } else {
        failure_for(status, headers)
    };
    Outcome::Failed(err, failure)
}

/// How long to wait before retry number `retry`, or `None` when the wait would end past the
/// deadline (retrying is then pointless: the error goes back at once). A server's `Retry-After`
/// is honoured within the deadline; without a deadline (one too far away to be a point in time,
/// such as `Duration::MAX`) it is capped by the backoff maximum. Whatever a server or a proxy
/// sends, a call never sleeps past its deadline, and time arithmetic cannot overflow.
fn retry_wait(
    policy: &RetryPolicy,
    failure: Failure,
    retry: u32,
    deadline: Option<Instant>,
) -> Option<Duration> {
    let wait = match (failure, deadline) {
        (Failure::Status(_, Some(retry_after)), Some(_)) => retry_after,
        (Failure::Status(_, Some(retry_after)), None) => retry_after.min(policy.max_backoff),
        _ => policy.backoff(retry),
    };
    match deadline {
        None => Some(wait),
        Some(deadline) => Instant::now()
            .checked_add(wait)
            .filter(|end| *end < deadline)
            .map(|_| wait),
    }
}

/// The response's `Retry-After`, for the error.
fn retry_after(headers: &Meta) -> Option<Duration> {
    text(&headers.retry_after).and_then(|v| parse_retry_after(&v))
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

impl ClientBuilder {
    /// The region (`cn`, `ap`, `na`, `eu`); required. It must be the region the classroom was
    /// created in, or the server answers "room not found".
    ///
    /// [`ClientBuilder::build`] refuses a region the vendor does not document
    /// ([`Region::Unknown`], e.g. a mistyped `"china".parse()`), unless
    /// [`ClientBuilder::allow_undocumented_region`] says it is meant.
    #[must_use]
    pub fn region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }

    /// Accepts a region the vendor's documents do not list (default off), for the day the vendor
    /// opens one before this crate knows it. The region is still sent as it is written, and the
    /// failover hosts are those of North America.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use classroom_api::types::Region;
    /// use classroom_api::{Client, Credentials};
    ///
    /// let client = Client::builder("970ca35de60c44645bbae8a215061b33")
    ///     .region(Region::Unknown("sa".to_owned()))
    ///     .allow_undocumented_region(true)
    ///     .credentials(Credentials::app_certificate("5cfd2fd1755d40ecb72977518be15d3b")?)
    ///     .build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn allow_undocumented_region(mut self, allow: bool) -> Self {
        self.allow_undocumented_region = allow;
        self
    }

    /// How to authenticate; required.
    #[must_use]
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Sends every request to this base URL (a test server, a private gateway) and turns failover off.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Your own list of base URLs, tried in order with the same failover rules as the vendor's hosts
    /// (e.g. two private gateways). [`ClientBuilder::base_url`] takes precedence.
    #[must_use]
    pub fn hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.hosts = Some(hosts.into_iter().map(Into::into).collect());
        self
    }

    /// The primary domain (default `api.agora.io`; `api.sd-rtn.com` for servers in mainland China).
    #[must_use]
    pub fn domain(mut self, domain: Domain) -> Self {
        self.domain = domain;
        self
    }

    /// Whether to fail over to the other primary domain and the regional hosts (default on).
    #[must_use]
    pub fn failover(mut self, on: bool) -> Self {
        self.failover = on;
        self
    }

    /// The timeout of one attempt (default 10 s).
    #[must_use]
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The deadline of a whole call, retries included (default 30 s).
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// A TCP connect timeout shorter than the attempt timeout, to fail over sooner from a host that
    /// does not answer at all; ignored with your own HTTP client (`http_client`, feature
    /// `reqwest-client`).
    ///
    /// Default: half the attempt timeout, at most 5 s. A connection that never completes then
    /// fails as a connect failure (the request surely was not sent, so even a POST is retried and
    /// failed over) rather than as an attempt timeout (the request may have been sent). The timer
    /// costs some throughput (measured by `cargo xtask bench`: about 10% fewer calls per second at
    /// 64 in flight on 2 cores); a client of your own (`http_client`) without one loses that
    /// distinction.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The retry policy.
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// A `User-Agent` header for every request (e.g. `"school-backend/1.4"`); none by default, so
    /// that a request carries only what the vendor documents.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(credentials: classroom_api::Credentials) -> classroom_api::Result<()> {
    /// let client = classroom_api::Client::builder("970ca35de60c44645bbae8a215061b33")
    ///     .region(classroom_api::types::Region::NorthAmerica)
    ///     .credentials(credentials)
    ///     .user_agent("school-backend/1.4")
    ///     .build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Uses your own `reqwest::Client` (proxies, TLS settings...).
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())` (reqwest follows redirects by
    /// default, with the credential headers) and a `connect_timeout`, as the built-in one is.
    ///
    /// Behind the `reqwest-client` feature: it makes reqwest 0.12 part of this crate's public API,
    /// so a reqwest major bump is a breaking change for code that calls it. The TLS and `http2`
    /// features then only choose what reqwest is built with; your client's settings apply.
    #[cfg(feature = "reqwest-client")]
    #[cfg_attr(docsrs, doc(cfg(feature = "reqwest-client")))]
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the client, checking the configuration.
    pub fn build(self) -> Result<Client> {
        let app_id = self.app_id.trim().to_owned();
        if app_id.len() != 32 || !app_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Config(format!(
                "the app id must be 32 hexadecimal characters, got {} characters",
                app_id.len()
            )));
        }
        let region = self
            .region
            .ok_or_else(|| Error::Config("a region is required".into()))?;
        if let Region::Unknown(r) = &region {
            if r.is_empty() || !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(Error::Config(format!(
                    "the region {r:?} is not a valid path segment"
                )));
            }
            if !self.allow_undocumented_region {
                let known: Vec<&str> = Region::KNOWN.iter().map(Region::as_str).collect();
                return Err(Error::Config(format!(
                    "the region {r:?} is not one of the documented regions {known:?} \
                     (call `allow_undocumented_region(true)` if it is meant)"
                )));
            }
        }
        let credentials = self
            .credentials
            .ok_or_else(|| Error::Config("credentials are required".into()))?
            .bind(&app_id)
            .map_err(|e| Error::Config(format!("credentials: {e}")))?;
        let hosts = match (&self.base_url, self.hosts) {
            (Some(url), _) => vec![url.clone()],
            (None, Some(list)) if !list.is_empty() => list,
            (None, Some(_)) => return Err(Error::Config("the host list is empty".into())),
            (None, None) => failover_hosts(self.domain, &region, self.failover),
        };
        let hosts = hosts
            .into_iter()
            .map(|url| {
                let url = url.trim_end_matches('/').to_owned();
                if url.starts_with("http://") || url.starts_with("https://") {
                    Ok(url)
                } else {
                    Err(Error::Config(format!(
                        "the base URL {url:?} must start with http:// or https://"
                    )))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let http = match self.http {
            Some(c) => c,
            None => {
                // No User-Agent: a request carries only what the vendor documents (set your own
                // with `http_client` if your gateway wants one).
                // No redirects: the API never sends one, and following it would carry the
                // credentials (the legacy `x-agora-token` too) and a POST body to another host.
                // A connect timeout always: a connection that never completes must fail as a
                // connect failure (surely not sent, so even a POST fails over), not as an
                // attempt timeout (maybe sent).
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .connect_timeout(
                        self.connect_timeout
                            .unwrap_or_else(|| default_connect_timeout(self.attempt_timeout)),
                    )
                    .build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?
            }
        };
        let user_agent = self
            .user_agent
            .map(|ua| {
                HeaderValue::from_str(&ua).map_err(|_| {
                    Error::Config(format!("the user agent {ua:?} is not a valid header value"))
                })
            })
            .transpose()?;
        Ok(Client {
            inner: Arc::new(Inner {
                region_segment: crate::runtime::segment(region.as_str()),
                app_id_segment: crate::runtime::segment(&app_id),
                app_id,
                region,
                credentials,
                hosts,
                attempt_timeout: self.attempt_timeout,
                deadline: self.deadline.max(self.attempt_timeout.min(self.deadline)),
                retry: self.retry,
                http,
                user_agent,
            }),
        })
    }
}

/// The connect timeout when none is set: half the attempt timeout, at most 5 s, so that a host
/// that never completes a connection fails as a connect failure within the attempt.
fn default_connect_timeout(attempt_timeout: Duration) -> Duration {
    (attempt_timeout / 2).min(Duration::from_secs(5))
}

/// The vendor's recommended order: the primary domain, the other primary, then the regional hosts
/// of the client's region under each domain.
pub fn failover_hosts(domain: Domain, region: &Region, failover: bool) -> Vec<String> {
    let mut hosts = vec![format!("https://api.{}", domain.suffix())];
    if !failover {
        return hosts;
    }
    hosts.push(format!("https://api.{}", domain.other().suffix()));
    let regional: &[&str] = match region.as_str() {
        "cn" => &["cn-east-1", "cn-north-1"],
        "ap" => &["ap-southeast-1", "ap-northeast-1"],
        "eu" => &["eu-west-1", "eu-central-1"],
        _ => &["us-west-1", "us-east-1"],
    };
    for d in [domain, domain.other()] {
        for r in regional {
            hosts.push(format!("https://api-{r}.{}", d.suffix()));
        }
    }
    hosts
}
