//! Test support for the PostgreSQL adapter's integration tests.
//!
//! Every test runs against the real server at `DATABASE_URL` (default
//! [`database::DEFAULT_DATABASE_URL`]) in a schema of its own, created with a unique name
//! and dropped at the end ([`database::isolated`]). When the server cannot be reached the
//! test fails and says so: nothing here skips. Tests that restart, crash or reconfigure a
//! server start one of their own ([`server::PrivateServer`]), with a test CA where they
//! need TLS ([`tls::TestCa`]).
//!
//! ```no_run
//! use runtime_store_backend::Backend;
//! use runtime_store_postgres_tests::database::isolated;
//!
//! # async fn example() {
//! isolated("doc", |schema| async move {
//!     let backend = schema.backend().await;
//!     assert!(backend.fetch("g1").await.unwrap().is_none());
//! })
//! .await;
//! # }
//! ```
#![deny(missing_docs)]

pub mod bulk;
pub mod database;
pub mod proxy;
pub mod records;
pub mod server;
pub mod tls;
pub mod workload;
