//! Integration tests of the Rust host: one binary, a module per area.

mod backend_errors;
mod bad_input;
mod common;
mod compilation_cache;
mod concurrency;
mod hostile;
mod inspect;
mod limits;
mod observe;
mod pages;
mod registry;
mod resources;
#[cfg(feature = "serde")]
mod serde;
mod swap;
mod words;
