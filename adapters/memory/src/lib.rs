//! In-memory storage adapter of the runtime record store.
//!
//! Records live in a map behind one mutex, beside an ordered index for each list order;
//! every primitive holds the lock for its whole duration, so a patch's status guard, all
//! of its column changes and the index updates are one atomic step, and a page is read
//! from an index (its cost follows the page, not the store). Nothing is persisted: the store is empty when the process starts. Opened by the
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

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use runtime_store_backend::{
    Backend, BackendError, BackendFactory, InsertOutcome, ListPosition, PatchOutcome, RecordPatch,
    RuntimeRecord, ScanFilter, ScanKey, Status, async_trait,
};

/// Records in a map behind one lock.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    tables: Mutex<Tables>,
}

/// The records and one ordered index per list order, kept in step by every write, so a
/// page costs the records it returns, not the records stored.
#[derive(Debug, Default)]
struct Tables {
    records: HashMap<String, RuntimeRecord>,
    newest_first: BTreeSet<ListPosition>,
    by_status: HashMap<Status, BTreeSet<ListPosition>>,
    /// Running records with `next_generation_at` set.
    due_first: BTreeSet<ListPosition>,
}

const ALL: ScanFilter = ScanFilter::All;
/// The due order does not depend on the instant; any will do to compute positions.
const DUE: ScanFilter = ScanFilter::DueRunning(runtime_store_backend::Timestamp {
    seconds: 0,
    nanoseconds: 0,
});

impl Tables {
    fn index(&mut self, record: &RuntimeRecord) {
        self.newest_first.insert(ALL.position(record));
        self.by_status
            .entry(record.status)
            .or_default()
            .insert(ALL.position(record));
        if is_scheduled_running(record) {
            self.due_first.insert(DUE.position(record));
        }
    }

    fn unindex(&mut self, record: &RuntimeRecord) {
        let position = ALL.position(record);
        self.newest_first.remove(&position);
        if let Some(in_status) = self.by_status.get_mut(&record.status) {
            in_status.remove(&position);
        }
        if is_scheduled_running(record) {
            self.due_first.remove(&DUE.position(record));
        }
    }

    fn page(&self, filter: ScanFilter, after: Option<&ScanKey>, limit: u32) -> Vec<RuntimeRecord> {
        let index = match filter {
            ScanFilter::All => Some(&self.newest_first),
            ScanFilter::ByStatus(status) => self.by_status.get(&status),
            ScanFilter::DueRunning(_) => Some(&self.due_first),
        };
        let Some(index) = index else {
            return Vec::new();
        };
        let start = match after {
            Some(key) => Bound::Excluded(filter.position_of_key(key)),
            None => Bound::Unbounded,
        };
        index
            .range((start, Bound::Unbounded))
            .map(|position| &self.records[game_id(position)])
            .take_while(|record| filter.matches(record))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect()
    }
}

fn is_scheduled_running(record: &RuntimeRecord) -> bool {
    record.status == Status::Running && record.next_generation_at.is_some()
}

fn game_id(position: &ListPosition) -> &str {
    match position {
        ListPosition::NewestFirst(_, game_id) | ListPosition::DueFirst(_, game_id) => game_id,
    }
}

impl MemoryBackend {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        // A panic while the lock was held cannot leave a half-written record: no primitive
        // calls code that panics between its first and last change of the tables.
        self.tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    fn system_name(&self) -> &'static str {
        "memory"
    }

    async fn fetch(&self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        Ok(self.tables().records.get(game_id).cloned())
    }

    async fn insert(&self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        let mut tables = self.tables();
        if tables.records.contains_key(&record.game_id) {
            return Ok(InsertOutcome::AlreadyExists);
        }
        tables.index(&record);
        tables.records.insert(record.game_id.clone(), record);
        Ok(InsertOutcome::Inserted)
    }

    async fn patch(
        &self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        let mut tables = self.tables();
        let Tables {
            records,
            by_status,
            due_first,
            ..
        } = &mut *tables;
        let Some(record) = records.get_mut(game_id) else {
            return Ok(PatchOutcome::NotFound);
        };
        if let Some(expected) = expected_status
            && record.status != expected
        {
            return Ok(PatchOutcome::StatusMismatch(record.status));
        }
        // A patch never changes the game id or `created_at`: the newest-first position
        // stays; only the status and due indexes may have to follow.
        let status_before = record.status;
        let due_before = is_scheduled_running(record).then(|| DUE.position(record));
        changes.apply_to(record);
        if record.status != status_before {
            let position = ALL.position(record);
            if let Some(in_status) = by_status.get_mut(&status_before) {
                in_status.remove(&position);
            }
            by_status.entry(record.status).or_default().insert(position);
        }
        let due_after = is_scheduled_running(record).then(|| DUE.position(record));
        if due_after != due_before {
            if let Some(position) = due_before {
                due_first.remove(&position);
            }
            if let Some(position) = due_after {
                due_first.insert(position);
            }
        }
        Ok(PatchOutcome::Applied)
    }

    async fn remove(&self, game_id: &str) -> Result<(), BackendError> {
        let mut tables = self.tables();
        if let Some(removed) = tables.records.remove(game_id) {
            tables.unindex(&removed);
        }
        Ok(())
    }

    async fn scan(
        &self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        Ok(self.tables().page(filter, after, limit))
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
        let all = backend.scan(ScanFilter::All, None, 10).await.unwrap();
        assert_eq!(all.len(), 1);
        assert!(
            backend
                .scan(ScanFilter::ByStatus(Status::Stopped), None, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp {
            seconds,
            nanoseconds: 0,
        }
    }

    /// Twelve records with created-at and next-generation-at in several orders, some ties.
    async fn mixed_store() -> (MemoryBackend, Vec<RuntimeRecord>) {
        let backend = MemoryBackend::new();
        let mut records = Vec::new();
        for index in 0..12_i64 {
            let mut record = record(&format!("g{:02}", (index * 7) % 12), Status::Running);
            record.created_at = at(index % 4);
            record.next_generation_at = (index % 3 != 0).then(|| at(10 - index % 5));
            if index % 4 == 3 {
                record.status = Status::Stopped;
            }
            backend.insert(record.clone()).await.unwrap();
            records.push(record);
        }
        (backend, records)
    }

    #[tokio::test]
    async fn pages_walk_each_index_in_its_order_and_follow_writes() {
        let (backend, records) = mixed_store().await;
        for filter in [
            ScanFilter::All,
            ScanFilter::ByStatus(Status::Running),
            ScanFilter::ByStatus(Status::Finished),
            ScanFilter::DueRunning(at(8)),
        ] {
            let expected = filter.page_of(&records, None, u32::MAX);
            for limit in [1, 2, 5, 100] {
                let mut walked = Vec::new();
                let mut after: Option<ScanKey> = None;
                loop {
                    let page = backend.scan(filter, after.as_ref(), limit).await.unwrap();
                    assert!(page.len() <= limit as usize);
                    let Some(last) = page.last() else { break };
                    after = Some(ScanKey {
                        at: match filter {
                            ScanFilter::DueRunning(_) => last.next_generation_at.unwrap(),
                            _ => last.created_at,
                        },
                        game_id: last.game_id.clone(),
                    });
                    walked.extend(page);
                }
                assert_eq!(walked, expected, "{filter:?} in pages of {limit}");
            }
        }

        // A patch moves a record between the status and due indexes; a removal drops it.
        let moved = &records[1].game_id;
        let mut stop = to_running();
        stop.status.as_mut().unwrap().to = Status::Stopped;
        backend.patch(moved, None, stop).await.unwrap();
        let due = backend
            .scan(ScanFilter::DueRunning(at(100)), None, 100)
            .await;
        assert!(due.unwrap().iter().all(|record| &record.game_id != moved));
        let stopped = backend.scan(ScanFilter::ByStatus(Status::Stopped), None, 100);
        assert!(
            stopped
                .await
                .unwrap()
                .iter()
                .any(|record| &record.game_id == moved)
        );
        backend.remove(moved).await.unwrap();
        let all = backend.scan(ScanFilter::All, None, 100).await.unwrap();
        assert_eq!(all.len(), records.len() - 1);
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
