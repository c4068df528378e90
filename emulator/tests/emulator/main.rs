//! End-to-end tests: the SDK (`classroom_api::Client`) against the emulator over HTTP.
//!
//! Every test ends by checking each response the emulator sent against the spec's schemas.

mod auth;
mod cli;
mod faults;
mod hostile;
mod operations;
mod poller;
mod proxy;
mod robustness;
mod rust_api;
mod support;
