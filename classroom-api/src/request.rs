//! The value every generated operation method returns: one call, with its own settings.
//!
//! `client.create_room(..).await` sends the call with the client's settings; the chainable methods
//! of [`Request`] change them for this call only, and [`Request::send_with_metadata`] also returns
//! what the response said besides its data ([`ResponseMetadata`]).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::client::{Client, RetryPolicy};
use crate::error::{Error, Result};
use crate::runtime::{Call, OneOrMany};

/// Reads the envelope's `data` (absent when the envelope has none) into the call's result.
pub(crate) type Decoder<T> = fn(Option<&RawValue>) -> std::result::Result<T, String>;

/// Statuses that are outcomes of an operation rather than errors (`x-outcome` in the spec), and
/// the value each gives.
type Outcomes<T> = Option<(&'static [u16], fn(u16) -> T)>;

/// Headers the client sets itself; [`Request::header`] refuses them.
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "x-agora-token",
    "x-agora-uid",
    "content-type",
    "content-length",
    "host",
];

/// One call of an operation, ready to send: `.await` it (or call [`Request::send`]).
///
/// Every generated method of [`Client`] returns one. The chainable methods change the client's
/// settings for this call only (the connection pool and credentials stay shared):
///
/// ```no_run
/// # async fn example(client: &classroom_api::Client, body: &classroom_api::types::CreateRoomRequest) -> classroom_api::Result<()> {
/// use std::time::Duration;
///
/// let (_, metadata) = client
///     .create_room("math-101", body)
///     .timeout(Duration::from_secs(2))
///     .no_retry()
///     .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
///     .send_with_metadata()
///     .await?;
/// println!("request id: {:?}", metadata.request_id());
/// # Ok(())
/// # }
/// ```
#[must_use = "a request does nothing until it is awaited"]
pub struct Request<'a, T> {
    client: &'a Client,
    /// The assembled call, or why it could not be assembled (reported when awaited).
    call: Result<Call<'a>>,
    decode: Decoder<T>,
    /// Statuses that are outcomes of the operation rather than errors (`x-outcome` in the spec),
    /// and the value each gives.
    outcomes: Outcomes<T>,
}

/// Settings of one call that override the client's.
#[derive(Clone, Default)]
pub(crate) struct CallOptions {
    pub attempt_timeout: Option<Duration>,
    pub deadline: Option<Duration>,
    pub retry: Option<RetryPolicy>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub metadata: bool,
}

impl std::fmt::Debug for CallOptions {
    /// Header names only: a per-call header may carry a secret (a gateway's key).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("attempt_timeout", &self.attempt_timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl<'a, T> Request<'a, T> {
    /// A request of `client`: `assemble` runs now (validating the arguments and encoding the
    /// body); its error, if any, is returned when the request is awaited.
    pub(crate) fn new(
        client: &'a Client,
        decode: Decoder<T>,
        assemble: impl FnOnce() -> Result<Call<'a>>,
    ) -> Self {
        Request {
            client,
            call: assemble(),
            decode,
            outcomes: None,
        }
    }

    /// Answers with these statuses are outcomes, not errors: `of(status)` is the call's value,
    /// whatever the body says.
    pub(crate) fn with_outcomes(mut self, statuses: &'static [u16], of: fn(u16) -> T) -> Self {
        self.outcomes = Some((statuses, of));
        self
    }

    fn options(&mut self) -> Option<&mut CallOptions> {
        match &mut self.call {
            Ok(call) => Some(&mut **call.options.get_or_insert_with(Default::default)),
            Err(_) => None,
        }
    }

    /// The timeout of each attempt of this call (the client's default is 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        if let Some(o) = self.options() {
            o.attempt_timeout = Some(timeout);
        }
        self
    }

    /// The deadline of this whole call, retries included (the client's default is 30 s).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        if let Some(o) = self.options() {
            o.deadline = Some(deadline);
        }
        self
    }

    /// The retry policy of this call. The operation's own rule still applies: a call that is not
    /// safe to repeat is retried only when it surely never reached the server.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        if let Some(o) = self.options() {
            o.retry = Some(policy);
        }
        self
    }

    /// One attempt only: no retry, no failover to another host.
    pub fn no_retry(self) -> Self {
        self.retry_policy(RetryPolicy::none())
    }

    /// Adds a header to this call (a trace header, a gateway's routing header...).
    ///
    /// A name or value that is not a valid header, or a header the client sets itself
    /// (`Authorization`, `x-agora-token`, `x-agora-uid`, `Content-Type`, `Content-Length`, `Host`),
    /// fails the call with [`Error::InvalidInput`] when it is awaited; nothing is sent.
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        let (name, value) = (name.as_ref(), value.as_ref());
        let parsed = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| "is not a valid header name".to_owned())
            .and_then(|n| {
                if RESERVED_HEADERS.contains(&n.as_str()) {
                    Err("is set by the client and cannot be set per call".to_owned())
                } else {
                    Ok(n)
                }
            })
            .and_then(|n| {
                HeaderValue::from_str(value)
                    .map(|v| (n, v))
                    .map_err(|_| "has a value that is not a valid header value".to_owned())
            });
        match parsed {
            Ok(pair) => {
                if let Some(o) = self.options() {
                    o.headers.push(pair);
                }
            }
            Err(reason) => {
                if let Ok(call) = &self.call {
                    self.call = Err(Error::InvalidInput {
                        operation: call.op.id,
                        field: format!("header {name:?}"),
                        reason: format!("the header {reason}"),
                    });
                }
            }
        }
        self
    }

    /// The operation this request calls.
    pub fn operation(&self) -> Option<&'static crate::OperationInfo> {
        self.call.as_ref().ok().map(|c| c.op)
    }
}

impl<'a, T: Send + 'a> Request<'a, T> {
    /// Sends the call; the same as `.await`.
    pub async fn send(self) -> Result<T> {
        let call = self.call?;
        match self.client.execute(call, self.decode).await {
            Ok((value, _)) => Ok(value),
            Err(err) => outcome(self.outcomes, err).map(|(value, _)| value),
        }
    }

    /// Sends the call and returns its result with the response's metadata (request id, status,
    /// headers).
    pub async fn send_with_metadata(self) -> Result<(T, ResponseMetadata)> {
        let mut call = self.call?;
        call.options.get_or_insert_with(Default::default).metadata = true;
        match self.client.execute(call, self.decode).await {
            // `execute` fills the metadata whenever it is asked for.
            Ok((value, metadata)) => Ok((value, metadata.unwrap_or_default())),
            Err(err) => outcome(self.outcomes, err),
        }
    }
}

/// The value of an answer whose status is one of the operation's outcomes (whatever its body),
/// else the error.
fn outcome<T>(outcomes: Outcomes<T>, err: Error) -> Result<(T, ResponseMetadata)> {
    let Some((statuses, of)) = outcomes else {
        return Err(err);
    };
    match (&err, err.status()) {
        (Error::Api(_) | Error::Decode(_), Some(status)) if statuses.contains(&status) => Ok((
            of(status),
            ResponseMetadata::new(
                status,
                err.request_id().map(str::to_owned),
                HeaderMap::new(),
            ),
        )),
        _ => Err(err),
    }
}

impl<'a, T: Send + 'a> IntoFuture for Request<'a, T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

impl<T> std::fmt::Debug for Request<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Request");
        match &self.call {
            Ok(call) => d
                .field("operation", &call.op.id)
                .field("path", &call.path)
                .field("options", &call.options),
            Err(e) => d.field("error", e),
        };
        d.finish_non_exhaustive()
    }
}

/// What a successful response said besides its data.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ResponseMetadata {
    status: u16,
    request_id: Option<String>,
    headers: HeaderMap,
}

impl ResponseMetadata {
    pub(crate) fn new(status: u16, request_id: Option<String>, headers: HeaderMap) -> Self {
        ResponseMetadata {
            status,
            request_id,
            headers,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The request id the server sent (`x-request-id`, `x-agora-request-id` or `request-id`).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Every response header.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One response header, when present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// No `data`: the call returns `()`.
pub(crate) fn decode_unit(_: Option<&RawValue>) -> std::result::Result<(), String> {
    Ok(())
}

/// A required `data`.
pub(crate) fn decode_data<T: DeserializeOwned>(
    data: Option<&RawValue>,
) -> std::result::Result<T, String> {
    match data {
        Some(raw) if raw.get() != "null" => serde_json::from_str(raw.get())
            .map_err(|e| format!("`data` does not match the spec: {e}")),
        _ => Err("the response has no `data`".to_owned()),
    }
}

/// A `data` that may be missing, read as `null`.
pub(crate) fn decode_nullable<T: DeserializeOwned>(
    data: Option<&RawValue>,
) -> std::result::Result<T, String> {
    serde_json::from_str(data.map_or("null", RawValue::get))
        .map_err(|e| format!("`data` does not match the spec: {e}"))
}

/// A `data` that is an array or one object (or missing: no items).
#[allow(
    dead_code,
    reason = "called by generated code only when the spec has a one-or-many `data`"
)]
pub(crate) fn decode_one_or_many<T: DeserializeOwned>(
    data: Option<&RawValue>,
) -> std::result::Result<Vec<T>, String> {
    decode_nullable::<OneOrMany<T>>(data).map(|m| m.0)
}
