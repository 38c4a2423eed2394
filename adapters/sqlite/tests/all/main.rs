//! SQLite adapter tests: one binary, a module per area.

mod adapter;
mod common;
mod conformance;
mod corrupt;
mod model_based;
mod python_files;
mod race;
mod schedulers;
