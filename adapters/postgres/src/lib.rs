//! PostgreSQL storage adapter of the runtime record store.
//!
//! Records live in one table, `runtime_records` (see `migrations/`), one row per game.
//! Each of the five [`Backend`](runtime_store_backend::Backend) primitives is exactly one
//! SQL statement and one round trip, with every value a bind parameter; the
//! compare-and-swap of `patch` happens inside the database, so any number of host
//! processes can share one database: of N racing swaps from the same status exactly one
//! wins. The adapter holds no rule: validation, timestamps and ordering belong to the
//! rules component.
//!
//! Open it with [`PostgresBackend::connect`], or by URL (`postgres://...`,
//! `postgresql://...`) through a registry holding [`PostgresFactory`]. The schema is
//! created by [`migrate`] (the CLI's `runtime-store migrate`), or on open with
//! [`PostgresOptions::migrate_on_open`]. The SQL it sends is public in [`statements`], and
//! [`timestamp::PgInstant`] is its exact `timestamptz` encoding, for code that queries the
//! table alongside it.
//!
//! ```no_run
//! use std::time::Duration;
//! use runtime_store_backend::{Backend, Registry, ScanFilter};
//! use runtime_store_postgres::{PostgresBackend, PostgresFactory, PostgresOptions, migrate};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let url = "postgres://postgres@127.0.0.1:5432/gamemaster";
//! let options = PostgresOptions::default()
//!     .max_connections(16)
//!     .acquire_timeout(Duration::from_secs(2));
//! migrate(url, &options).await?;
//!
//! let backend = PostgresBackend::connect(url, options.clone()).await?;
//! assert!(backend.fetch("no-such-game").await?.is_none());
//!
//! let registry = Registry::new().with(PostgresFactory::with_options(options))?;
//! let shared = registry.open(url).await?;
//! // The newest 100 records; the rules component pages on from the last one's key.
//! let first_page = shared.scan(ScanFilter::All, None, 100).await?;
//! # drop(first_page);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod backend;
#[cfg(feature = "clap")]
mod cli;
mod error;
mod factory;
mod migrate;
mod options;
mod redact;
mod row;
pub mod statements;
pub mod timestamp;

pub use backend::PostgresBackend;
#[cfg(feature = "clap")]
pub use cli::{MAX_POOL_CONNECTIONS, PostgresArgs};
pub use factory::PostgresFactory;
pub use migrate::{MIGRATOR, migrate};
pub use options::{DEFAULT_STATEMENT_TIMEOUT, PostgresOptions};
pub use redact::redact_url;
