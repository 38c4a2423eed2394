//! In-memory storage adapter of the runtime record store.
//!
//! Records live in a map behind one mutex; every primitive holds the lock for its whole
//! duration, so a patch's status guard and all of its column changes are one atomic
//! step. Nothing is persisted: the store is empty when the process starts. Opened by the
//! URL `memory:` through [`MemoryFactory`], or directly with [`MemoryBackend::new`].
//!
//! ```
//! use runtime_store_backend::{Backend, InsertOutcome};
//! use runtime_store_memory::MemoryBackend;
//! # fn record() -> runtime_store_backend::RuntimeRecord {
//! #     use runtime_store_backend::{RuntimeRecord, Status, Timestamp};
//! #     let at = Timestamp { seconds: 1, nanoseconds: 0 };
//! #     RuntimeRecord { game_id: "g1".into(), status: Status::Starting,
//! #         engine_endpoint: "http://e".into(), current_image_ref: "i".into(),
//! #         current_engine_version: "1".into(), engine_health: String::new(), current_turn: 0,
//! #         next_generation_at: None, skip_next_tick: false, created_at: at, updated_at: at,
//! #         started_at: None, stopped_at: None, finished_at: None }
//! # }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let backend = MemoryBackend::new();
//! assert_eq!(backend.insert(record()).await, Ok(InsertOutcome::Inserted));
//! assert_eq!(backend.insert(record()).await, Ok(InsertOutcome::AlreadyExists));
//! # });
//! ```
#![deny(missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use runtime_store_backend::{
    Backend, BackendError, BackendFactory, InsertOutcome, PatchOutcome, RecordPatch, RuntimeRecord,
    ScanFilter, Status, async_trait,
};

/// Records in a map behind one lock.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    records: Mutex<HashMap<String, RuntimeRecord>>,
}

impl MemoryBackend {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn records(&self) -> MutexGuard<'_, HashMap<String, RuntimeRecord>> {
        // A panic while the lock was held cannot leave a half-written record: every
        // primitive mutates one map entry in one assignment, so the map stays usable.
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    async fn fetch(&self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        Ok(self.records().get(game_id).cloned())
    }

    async fn insert(&self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        let mut records = self.records();
        if records.contains_key(&record.game_id) {
            return Ok(InsertOutcome::AlreadyExists);
        }
        records.insert(record.game_id.clone(), record);
        Ok(InsertOutcome::Inserted)
    }

    async fn patch(
        &self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        let mut records = self.records();
        let Some(record) = records.get_mut(game_id) else {
            return Ok(PatchOutcome::NotFound);
        };
        if let Some(expected) = expected_status
            && record.status != expected
        {
            return Ok(PatchOutcome::StatusMismatch(record.status));
        }
        changes.apply_to(record);
        Ok(PatchOutcome::Applied)
    }

    async fn remove(&self, game_id: &str) -> Result<(), BackendError> {
        self.records().remove(game_id);
        Ok(())
    }

    async fn scan(&self, filter: ScanFilter) -> Result<Vec<RuntimeRecord>, BackendError> {
        Ok(self
            .records()
            .values()
            .filter(|record| filter.matches(record))
            .cloned()
            .collect())
    }
}

/// Opens a fresh, empty [`MemoryBackend`] for the URL `memory:` (anything after the
/// colon is ignored).
#[derive(Debug, Default, Clone, Copy)]
pub struct MemoryFactory;

#[async_trait]
impl BackendFactory for MemoryFactory {
    fn schemes(&self) -> &[&str] {
        &["memory"]
    }

    async fn open(&self, _url: &str) -> Result<Arc<dyn Backend>, BackendError> {
        Ok(Arc::new(MemoryBackend::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_store_backend::{StatusChange, Timestamp};

    fn record(game_id: &str, status: Status) -> RuntimeRecord {
        let at = Timestamp {
            seconds: 1,
            nanoseconds: 0,
        };
        RuntimeRecord {
            game_id: game_id.into(),
            status,
            engine_endpoint: "http://engine".into(),
            current_image_ref: "img:1".into(),
            current_engine_version: "1".into(),
            engine_health: String::new(),
            current_turn: 0,
            next_generation_at: None,
            skip_next_tick: false,
            created_at: at,
            updated_at: at,
            started_at: None,
            stopped_at: None,
            finished_at: None,
        }
    }

    fn to_running() -> RecordPatch {
        RecordPatch {
            status: Some(StatusChange {
                to: Status::Running,
                started_at: None,
                stopped_at: None,
                finished_at: None,
            }),
            scheduling: None,
            current_image_ref: None,
            current_engine_version: None,
            engine_health: None,
            updated_at: Timestamp {
                seconds: 2,
                nanoseconds: 0,
            },
        }
    }

    #[tokio::test]
    async fn patch_tells_missing_from_mismatch_and_writes_nothing_then() {
        let backend = MemoryBackend::new();
        assert_eq!(
            backend
                .patch("g", Some(Status::Starting), to_running())
                .await,
            Ok(PatchOutcome::NotFound)
        );
        backend.insert(record("g", Status::Stopped)).await.unwrap();
        assert_eq!(
            backend
                .patch("g", Some(Status::Starting), to_running())
                .await,
            Ok(PatchOutcome::StatusMismatch(Status::Stopped))
        );
        assert_eq!(
            backend.fetch("g").await.unwrap(),
            Some(record("g", Status::Stopped))
        );
        assert_eq!(
            backend.patch("g", None, to_running()).await,
            Ok(PatchOutcome::Applied)
        );
        assert_eq!(
            backend.fetch("g").await.unwrap().unwrap().status,
            Status::Running
        );
    }

    #[tokio::test]
    async fn remove_is_idempotent_and_scan_filters() {
        let backend = MemoryBackend::new();
        backend.insert(record("a", Status::Running)).await.unwrap();
        backend.insert(record("b", Status::Stopped)).await.unwrap();
        backend.remove("b").await.unwrap();
        backend.remove("b").await.unwrap();
        let all = backend.scan(ScanFilter::All).await.unwrap();
        assert_eq!(all.len(), 1);
        assert!(
            backend
                .scan(ScanFilter::ByStatus(Status::Stopped))
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn racing_guarded_patches_have_exactly_one_winner() {
        let backend = Arc::new(MemoryBackend::new());
        backend.insert(record("g", Status::Starting)).await.unwrap();
        let racers: Vec<_> = (0..16)
            .map(|_| {
                let backend = Arc::clone(&backend);
                tokio::spawn(async move {
                    backend
                        .patch("g", Some(Status::Starting), to_running())
                        .await
                })
            })
            .collect();
        let mut applied = 0;
        for racer in racers {
            match racer.await.unwrap().unwrap() {
                PatchOutcome::Applied => applied += 1,
                PatchOutcome::StatusMismatch(Status::Running) => {}
                other => panic!("unexpected outcome {other:?}"),
            }
        }
        assert_eq!(applied, 1);
    }
}
