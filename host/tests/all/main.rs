//! Integration tests of the Rust host: one binary, a module per area.

mod backend_errors;
mod bad_input;
mod common;
mod concurrency;
mod inspect;
mod limits;
mod registry;
#[cfg(feature = "serde")]
mod serde;
mod words;
