#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod checkpoint;
mod client;
mod error;
mod ids;
pub mod pagination;
pub mod poller;
#[cfg(feature = "postgres")]
pub mod postgres;
mod runtime;
pub mod token;
pub mod widgets;

#[rustfmt::skip]
#[allow(
    clippy::large_enum_variant,
    reason = "generated event payloads are decoded once and matched by value; boxing them would make every match clumsier"
)]
mod generated;

pub use auth::{AppTokenProvider, AuthHeaders, CredentialProvider, Credentials};
pub use client::{Client, ClientBuilder, Domain, RetryPolicy, failover_hosts};
pub use error::{ApiError, DecodeError, Error, Result};
pub use generated::{error_codes, events, operations, types};
pub use runtime::OperationInfo;
