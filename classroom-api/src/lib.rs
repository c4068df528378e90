//! Typed Rust client for the server-side REST API of Agora Flexible Classroom.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod checkpoint;
mod client;
mod error;
mod ids;
pub mod pagination;
pub mod poller;
mod runtime;
pub mod token;
pub mod widgets;

#[rustfmt::skip]
#[allow(missing_docs, reason = "generated items are documented from the spec; the lint cannot see doc attributes built by the generator in every case")]
#[allow(clippy::all, reason = "generated code")]
mod generated;

pub use auth::{AppTokenProvider, AuthHeaders, CredentialProvider, Credentials};
pub use client::{Client, ClientBuilder, Domain, RetryPolicy, failover_hosts};
pub use error::{ApiError, DecodeError, Error, Result};
pub use generated::{error_codes, events, operations, types};
pub use runtime::OperationInfo;
