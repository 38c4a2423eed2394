//! A native in-memory [`Storage`], the reference the guest is tested and benchmarked against.
//!
//! It is plain storage, like every backend: it never validates or derives; it serves a
//! scan in its filter's order by sorting, where an adapter would read an index.

use std::collections::BTreeMap;

use crate::ordering::{self, ListOrder, Position};
use crate::store::Storage;
use crate::types::{
    BackendError, InsertOutcome, PatchOutcome, RecordPatch, RuntimeRecord, ScanFilter, ScanKey,
    Status,
};

/// Records keyed by game id.
#[derive(Clone, Debug, Default)]
pub struct MemoryStorage {
    records: BTreeMap<String, RuntimeRecord>,
}

impl MemoryStorage {
    /// How many records are stored.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no record is stored.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl Storage for MemoryStorage {
    fn fetch(&mut self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        Ok(self.records.get(game_id).cloned())
    }

    fn insert(&mut self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        if self.records.contains_key(&record.game_id) {
            return Ok(InsertOutcome::AlreadyExists);
        }
        self.records.insert(record.game_id.clone(), record);
        Ok(InsertOutcome::Inserted)
    }

    fn patch(
        &mut self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        let Some(record) = self.records.get_mut(game_id) else {
            return Ok(PatchOutcome::NotFound);
        };
        if let Some(expected) = expected_status
            && expected != record.status
        {
            return Ok(PatchOutcome::StatusMismatch(record.status));
        }
        apply(record, changes);
        Ok(PatchOutcome::Applied)
    }

    fn remove(&mut self, game_id: &str) -> Result<(), BackendError> {
        self.records.remove(game_id);
        Ok(())
    }

    /// Filters and sorts every record: a reference, not an index.
    fn scan(
        &mut self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        let order = ListOrder::of(filter);
        let mut selected: Vec<RuntimeRecord> = self
            .records
            .values()
            .filter(|record| ordering::matches(filter, record))
            .filter(|record| {
                after.is_none_or(|after| {
                    order
                        .compare(Position::of_key(after), order.position(record))
                        .is_lt()
                })
            })
            .cloned()
            .collect();
        order.sort(&mut selected);
        selected.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(selected)
    }
}

fn apply(record: &mut RuntimeRecord, changes: RecordPatch) {
    if let Some(change) = changes.status {
        record.status = change.to;
        record.started_at = change.started_at.or(record.started_at);
        record.stopped_at = change.stopped_at.or(record.stopped_at);
        record.finished_at = change.finished_at.or(record.finished_at);
    }
    if let Some(scheduling) = changes.scheduling {
        record.next_generation_at = scheduling.next_generation_at;
        record.skip_next_tick = scheduling.skip_next_tick;
        record.current_turn = scheduling.current_turn;
    }
    if let Some(image_ref) = changes.current_image_ref {
        record.current_image_ref = image_ref;
    }
    if let Some(version) = changes.current_engine_version {
        record.current_engine_version = version;
    }
    if let Some(health) = changes.engine_health {
        record.engine_health = health;
    }
    record.updated_at = changes.updated_at;
}
