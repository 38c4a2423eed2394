//! PostgreSQL integration tests against a real server: one binary, a module per area.

mod adapter;
mod conformance;
mod faults;
mod model_based;
mod open_by_url;
mod race;
mod schedulers;
mod statements;
