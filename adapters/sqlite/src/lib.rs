//! SQLite storage adapter of the runtime record store.
//!
//! Records live in one table, `runtime_records` (see `migrations/`), one row per game, in
//! a database file several processes can share, or in memory. The file format is the one
//! the Python host's SQLite adapter (`hosts/python/runtime_store/sqlite.py`) reads and
//! writes: either opens a file the other wrote. SQLite comes bundled (sqlx's `sqlite`
//! feature compiles it): no system library is needed.
//!
//! Every primitive of [`Backend`](runtime_store_backend::Backend) is atomic, each value a
//! bind parameter: `fetch`, `insert`, `remove` and `scan` are one statement each, and
//! `patch`'s compare-and-swap is one `BEGIN IMMEDIATE` transaction, so of N racing swaps
//! from the same status exactly one wins, whichever processes they run in. Scans read an
//! index in their answer's order from the key they are given (keyset, never OFFSET). The
//! adapter holds no rule: validation, timestamps and ordering rules belong to the rules
//! component.
//!
//! Open it with [`SqliteBackend::open`], or by URL (`sqlite://path`, `sqlite::memory:`)
//! through a registry holding [`SqliteFactory`]. Opening creates a missing file, puts it in
//! WAL mode and applies the embedded migrations ([`MIGRATOR`]). The SQL it sends is public
//! in [`statements`].
//!
//! ```
//! use runtime_store_backend::sample;
//! use runtime_store_backend::{Backend, InsertOutcome, Registry, ScanFilter, Status};
//! use runtime_store_sqlite::{SqliteBackend, SqliteFactory, SqliteOptions};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let folder = std::env::temp_dir().join(format!("runtime-store-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&folder).unwrap();
//! let url = format!("sqlite://{}", folder.join("runtimes.sqlite3").display());
//!
//! let backend = SqliteBackend::open(&url, SqliteOptions::default()).await.unwrap();
//! let record = sample::record("game-1", Status::Starting, sample::at(1_764_000_000));
//! assert_eq!(backend.insert(record.clone()).await, Ok(InsertOutcome::Inserted));
//! backend.close().await;
//!
//! // The file outlives the backend; the registry opens it again by URL.
//! let registry = Registry::new().with(SqliteFactory::new()).unwrap();
//! let reopened = registry.open(&url).await.unwrap();
//! assert_eq!(reopened.fetch("game-1").await, Ok(Some(record)));
//! // The newest 100 records; the rules component pages on from the last one's key.
//! assert_eq!(reopened.scan(ScanFilter::All, None, 100).await.unwrap().len(), 1);
//!
//! // A database in memory, private to the backend that opened it.
//! let scratch = registry.open("sqlite::memory:").await.unwrap();
//! assert_eq!(scratch.fetch("game-1").await, Ok(None));
//! # drop(reopened);
//! # std::fs::remove_dir_all(&folder).unwrap();
//! # });
//! ```
#![deny(missing_docs)]

mod backend;
mod error;
mod factory;
mod row;
pub mod statements;
mod timestamp;

pub use backend::{MIGRATOR, SqliteBackend, SqliteOptions};
pub use factory::SqliteFactory;
pub use timestamp::{from_micros, micros};
