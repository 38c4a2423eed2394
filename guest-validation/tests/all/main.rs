//! Integration tests of the rules, natively: one binary (wasmtime's layout), a module per area.

mod common;
mod conformance_vectors;
mod pages;
mod properties;
mod store_operations;
mod time_and_transitions;
mod validation_messages;
