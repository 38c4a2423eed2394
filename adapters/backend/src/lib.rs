//! The storage port of the runtime record store.
//!
//! The rules component (see `wit/gamemaster.wit`) owns every rule; it reaches storage
//! only through five primitives: [`Backend::fetch`], [`Backend::insert`],
//! [`Backend::patch`], [`Backend::remove`] and [`Backend::scan`]. A storage adapter
//! implements this trait and nothing else: it never validates or derives timestamps; it
//! serves scans in the order their filter names (the rules check it), and it knows nothing
//! of WebAssembly.
//!
//! Adapters are found by URL scheme through a [`Registry`] of [`BackendFactory`]s, so a
//! further adapter in its own crate plugs in without touching the host or the rules.
//!
//! # Writing an adapter
//!
//! ```
//! use std::sync::Arc;
//! use runtime_store_backend::{
//!     async_trait, Backend, BackendError, BackendFactory, InsertOutcome, PatchOutcome,
//!     RecordPatch, Registry, RuntimeRecord, ScanFilter, ScanKey, Status,
//! };
//!
//! /// A backend that stores nothing and reports every write as failed.
//! struct ReadOnlyEmpty;
//!
//! #[async_trait]
//! impl Backend for ReadOnlyEmpty {
//!     async fn fetch(&self, _game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
//!         Ok(None)
//!     }
//!     async fn insert(&self, _record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
//!         Err(BackendError::Failed("insert: this store is read-only".into()))
//!     }
//!     async fn patch(
//!         &self,
//!         _game_id: &str,
//!         _expected_status: Option<Status>,
//!         _changes: RecordPatch,
//!     ) -> Result<PatchOutcome, BackendError> {
//!         Ok(PatchOutcome::NotFound)
//!     }
//!     async fn remove(&self, _game_id: &str) -> Result<(), BackendError> {
//!         Ok(())
//!     }
//!     async fn scan(
//!         &self,
//!         _filter: ScanFilter,
//!         _after: Option<&ScanKey>,
//!         _limit: u32,
//!     ) -> Result<Vec<RuntimeRecord>, BackendError> {
//!         Ok(Vec::new())
//!     }
//! }
//!
//! struct ReadOnlyEmptyFactory;
//!
//! #[async_trait]
//! impl BackendFactory for ReadOnlyEmptyFactory {
//!     fn schemes(&self) -> &[&str] {
//!         &["empty"]
//!     }
//!     async fn open(&self, _url: &str) -> Result<Arc<dyn Backend>, BackendError> {
//!         Ok(Arc::new(ReadOnlyEmpty))
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let registry = Registry::new().with(ReadOnlyEmptyFactory).unwrap();
//! let backend = registry.open("empty:").await.unwrap();
//! assert!(backend.fetch("game-1").await.unwrap().is_none());
//! assert!(registry.open("nosuch://x").await.is_err());
//!
//! // One adapter per scheme: a second one is refused, not a silent override.
//! let refused = registry.clone().with(ReadOnlyEmptyFactory).unwrap_err();
//! assert_eq!(refused.scheme, "empty");
//! assert_eq!(registry.schemes(), ["empty"]);
//! # });
//! ```
#![deny(missing_docs)]

mod registry;
#[cfg(feature = "sample")]
pub mod sample;
mod types;

pub use async_trait::async_trait;
pub use registry::{BackendFactory, DuplicateScheme, OpenError, Registry};
pub use runtime_store_vocabulary::BackendErrorKind;
pub use types::{
    InsertOutcome, ListPosition, PatchOutcome, RecordPatch, RuntimeRecord, ScanFilter, ScanKey,
    Scheduling, Status, StatusChange, Timestamp, UnknownStatus,
};

/// A storage failure. Carried unchanged through the rules component to the caller.
///
/// Reads `<kind words>: <reason>` (`storage unavailable: connection refused`), the words of
/// the store's vocabulary, as in every host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    /// The store cannot be reached (connection refused or lost, pool timed out);
    /// retrying later may succeed.
    Unavailable(String),
    /// A stored value cannot be decoded; the message names the game id and the column.
    Corrupt(String),
    /// Any other storage failure.
    Failed(String),
}

impl BackendError {
    /// The WIT case of this error.
    pub fn kind(&self) -> BackendErrorKind {
        match self {
            BackendError::Unavailable(_) => BackendErrorKind::Unavailable,
            BackendError::Corrupt(_) => BackendErrorKind::Corrupt,
            BackendError::Failed(_) => BackendErrorKind::Failed,
        }
    }

    /// What failed, as the adapter said it.
    pub fn reason(&self) -> &str {
        match self {
            BackendError::Unavailable(reason)
            | BackendError::Corrupt(reason)
            | BackendError::Failed(reason) => reason,
        }
    }
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&runtime_store_vocabulary::backend_error_message(
            self.kind(),
            self.reason(),
        ))
    }
}

impl std::error::Error for BackendError {}

/// The five storage primitives the rules component imports (`galaxy:gamemaster/backend`).
///
/// Each primitive is atomic: a concurrent caller never observes half of a write. On a
/// database each is one statement and one round trip. Every primitive reports storage
/// failures as a [`BackendError`]; none panics on bad stored data.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The storage engine, as OpenTelemetry's `db.system.name` names it (`postgresql`,
    /// `sqlite`, ...): the store's spans carry it. Defaults to `other`.
    fn system_name(&self) -> &'static str {
        "other"
    }

    /// The record of `game_id`, or `None` when no record exists.
    async fn fetch(&self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError>;

    /// Stores `record` unless a record with the same game id exists, in which case
    /// nothing is written and [`InsertOutcome::AlreadyExists`] is returned.
    async fn insert(&self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError>;

    /// Applies every change of `changes` to the record of `game_id` in one atomic step,
    /// provided the record exists and, when `expected_status` is given, its stored status
    /// equals it. Otherwise writes nothing and says why ([`PatchOutcome::NotFound`] or
    /// [`PatchOutcome::StatusMismatch`] with the stored status).
    async fn patch(
        &self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError>;

    /// Removes the record of `game_id`; succeeds when there is none.
    async fn remove(&self, game_id: &str) -> Result<(), BackendError>;

    /// The first `limit` records that match `filter` and come strictly after `after` in
    /// the filter's order (from the start when `after` is `None`), in that order (see
    /// [`ScanFilter`]). A database serves it from an index by keyset, never by OFFSET; the
    /// rules check the answer and refuse a page out of order, not after `after`, not
    /// matching the filter or longer than `limit`.
    async fn scan(
        &self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError>;
}
