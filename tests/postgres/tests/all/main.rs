//! PostgreSQL integration tests against a real server: one binary, a module per area.

mod adapter;
mod cancellation;
mod conformance;
mod faults;
mod linearizability;
mod model_based;
mod open_by_url;
mod pages;
mod race;
mod redaction;
mod schedulers;
mod server_faults;
mod statements;
mod tls;
mod upgrades;
