// The README (the front page) shows the poller, a default feature: without it, a short page.
#![cfg_attr(feature = "poller", doc = include_str!("../README.md"))]
#![cfg_attr(
    not(feature = "poller"),
    doc = "Typed Rust client for the server-side REST API of Agora Flexible Classroom. The crate's \
           README, its front page with the default features, shows how to use it."
)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
#[cfg(feature = "poller")]
mod cancel;
#[cfg(feature = "poller")]
#[cfg_attr(docsrs, doc(cfg(feature = "poller")))]
pub mod checkpoint;
mod client;
mod error;
pub mod ids;
pub mod pagination;
#[cfg(feature = "poller")]
#[cfg_attr(docsrs, doc(cfg(feature = "poller")))]
pub mod poller;
#[cfg(feature = "postgres")]
pub mod postgres;
mod random;
mod raw;
mod request;
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
#[cfg(feature = "poller")]
#[cfg_attr(docsrs, doc(cfg(feature = "poller")))]
pub use cancel::CancellationToken;
#[doc(hidden)]
pub use client::decode_response;
pub use client::{Client, ClientBuilder, Domain, RetryPolicy, failover_hosts};
pub use error::{ApiError, DecodeError, Error, Result, TransportError};
pub use generated::{error_codes, events, operations, types};
pub use request::{Request, ResponseMetadata};
pub use runtime::OperationInfo;
