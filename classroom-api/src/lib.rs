//! Typed Rust client for the server-side REST API of Agora Flexible Classroom.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod token;
