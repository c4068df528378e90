//! The crate's one error type, split by where a call failed.

use std::fmt;
use std::time::Duration;

use crate::error_codes::ErrorCode;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call failed.
///
/// * [`Error::InvalidInput`]: rejected before anything was sent.
/// * [`Error::Credentials`]: no credentials could be produced; nothing was sent.
/// * [`Error::Transport`], [`Error::Timeout`]: the request may or may not have reached the server.
/// * [`Error::Api`]: the server answered with an error envelope (or a 200 whose `code` is not 0).
/// * [`Error::Decode`]: the server answered something that is not the documented response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument is invalid; no request was sent.
    #[error("invalid input to {operation}: {reason}")]
    InvalidInput {
        /// The operation id.
        operation: &'static str,
        /// The offending field or parameter.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The client is misconfigured.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// The credential provider failed; no request was sent.
    #[error("no credentials for {operation}")]
    Credentials {
        /// The operation id.
        operation: &'static str,
        /// What the provider said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Connecting, sending or receiving failed.
    #[error("{operation} failed in transport after {attempts} attempt(s)")]
    Transport {
        /// The operation id.
        operation: &'static str,
        /// Attempts made.
        attempts: u32,
        /// Whether the request surely never reached a server (every attempt failed to connect).
        not_sent: bool,
        /// The last transport error.
        #[source]
        source: TransportError,
    },
    /// No answer within the per-attempt timeout or the call's deadline.
    #[error("{operation} timed out after {attempts} attempt(s)")]
    Timeout {
        /// The operation id.
        operation: &'static str,
        /// Attempts made.
        attempts: u32,
    },
    /// The server answered with a business error.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The server's answer is not the documented response.
    #[error(transparent)]
    Decode(Box<DecodeError>),
}

/// Why sending a request or reading its answer failed.
///
/// The crate's own type, so that the HTTP stack underneath is not part of the public API: its
/// [`source()`](std::error::Error::source) is the HTTP library's error (today a `reqwest::Error`),
/// for logging, with no promise about its type.
#[derive(Debug)]
pub struct TransportError {
    stage: Stage,
    source: reqwest::Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Connect,
    Timeout,
    Send,
    ReadBody,
}

impl TransportError {
    /// Sending the request failed (connecting, writing it, or waiting for the answer's head).
    pub(crate) fn send(source: reqwest::Error) -> Self {
        let stage = if source.is_connect() {
            Stage::Connect
        } else if source.is_timeout() {
            Stage::Timeout
        } else {
            Stage::Send
        };
        Self { stage, source }
    }

    /// Reading the answer's body failed.
    pub(crate) fn read_body(source: reqwest::Error) -> Self {
        Self {
            stage: Stage::ReadBody,
            source,
        }
    }

    /// Whether connecting to the server failed (the request surely never reached it).
    pub fn is_connect(&self) -> bool {
        self.stage == Stage::Connect
    }

    /// Whether the HTTP stack's own timeout fired (see also [`Error::Timeout`]).
    pub fn is_timeout(&self) -> bool {
        self.stage == Stage::Timeout
    }

    /// Whether the answer's head arrived and reading its body failed.
    pub fn is_body(&self) -> bool {
        self.stage == Stage::ReadBody
    }

    /// The HTTP status, when the answer's head arrived.
    pub fn status(&self) -> Option<u16> {
        self.source.status().map(|s| s.as_u16())
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.stage {
            Stage::Connect => "connecting failed",
            Stage::Timeout => "the HTTP client timed out",
            Stage::Send => "sending the request failed",
            Stage::ReadBody => "reading the response body failed",
        })
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A business error: the envelope's `code` and `msg`, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation id.
    pub operation: &'static str,
    /// The request path (ids included, no credentials).
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// The business code.
    pub code: ErrorCode,
    /// The message the server sent.
    pub msg: String,
    /// The server's timestamp (ms), when sent.
    pub ts: Option<i64>,
    /// The request id header, when the server sent one.
    pub request_id: Option<String>,
    /// How long the server asked to wait (`Retry-After`), when it said.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answered HTTP {} with code {}: {}",
            self.operation, self.status, self.code, self.msg
        )
    }
}

/// A response that could not be read as the documented envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct DecodeError {
    /// The operation id.
    pub operation: &'static str,
    /// The request path.
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// The `Content-Type` header, when sent.
    pub content_type: Option<String>,
    /// The first bytes of the body (at most 256, lossy UTF-8).
    pub body_prefix: String,
    /// What was wrong.
    pub reason: String,
    /// The request id header, when the server sent one.
    pub request_id: Option<String>,
    /// How long the server asked to wait (`Retry-After`), when it said.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answered HTTP {} with an unreadable response ({}): {}",
            self.operation,
            self.status,
            self.content_type.as_deref().unwrap_or("no content type"),
            self.reason
        )
    }
}

impl Error {
    /// The business code, for an API error.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api(e) => Some(e.code),
            _ => None,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::Transport { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The operation id of the failed call.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::InvalidInput { operation, .. }
            | Error::Credentials { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Timeout { operation, .. } => Some(operation),
            Error::Api(e) => Some(e.operation),
            Error::Decode(e) => Some(e.operation),
            Error::Config(_) => None,
        }
    }

    /// The API error, when the server answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the thing asked for does not exist (HTTP 404, or a business code documented with
    /// HTTP 404 such as [`ErrorCode::RoomNotFound`]).
    pub fn is_not_found(&self) -> bool {
        self.is_status(404)
    }

    /// Whether the server refused the credentials (HTTP 401). The client has already renewed
    /// renewable credentials once and retried before returning this.
    pub fn is_unauthorized(&self) -> bool {
        self.is_status(401)
    }

    /// Whether the request conflicts with the state of the thing (HTTP 409, or a business code
    /// documented with HTTP 409 such as [`ErrorCode::ClassAlreadyStarted`]).
    pub fn is_conflict(&self) -> bool {
        self.is_status(409)
    }

    /// How long the server asked to wait before trying again (`Retry-After`, in seconds or as an
    /// HTTP date), when it answered with one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after,
            Error::Decode(e) => e.retry_after,
            _ => None,
        }
    }

    fn is_status(&self, status: u16) -> bool {
        self.status() == Some(status)
            || self.code().is_some_and(|c| c.http_status() == Some(status))
    }

    /// Whether trying again later may succeed: transport failures, timeouts, 429 and 5xx.
    /// (The client's own retries already follow this, for operations safe to repeat.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Api(_) | Error::Decode(_) => self
                .status()
                .is_some_and(|s| s == 429 || (500..600).contains(&s)),
            _ => false,
        }
    }

    /// The request id the server sent, if any.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Decode(e) => e.request_id.as_deref(),
            _ => None,
        }
    }
}

/// A business code this version of the crate does not know ([`ErrorCode::Unknown`]).
///
/// Opaque on purpose: a `match` on its number would silently stop matching once a later version
/// names the code. Compare [`ErrorCode::code`] instead, or use the named variant once it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnknownCode(i64);

impl UnknownCode {
    pub(crate) fn new(code: i64) -> Self {
        UnknownCode(code)
    }

    /// The numeric code.
    pub fn code(self) -> i64 {
        self.0
    }
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
