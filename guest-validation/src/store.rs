//! The ten store operations, written once over any [`Storage`].
//!
//! Every operation validates first and touches no storage when validation fails. Values
//! handed to storage carry timestamps truncated to microseconds; list results are sorted
//! here, whatever order storage returns.

use crate::ordering;
use crate::time::{truncate_optional, truncate_to_micros};
use crate::types::{
    BackendError, InsertOutcome, PatchOutcome, RecordPatch, RuntimeRecord, ScanFilter, Scheduling,
    Status, StatusChange, StoreError, Timestamp, UpdateEngineHealthInput, UpdateImageInput,
    UpdateSchedulingInput, UpdateStatusInput,
};
use crate::validation;

/// The five storage primitives of the WIT `backend` interface. Each is atomic; none holds
/// a rule (no validation, derivation or sorting).
pub trait Storage {
    /// The record of `game_id`, if any.
    fn fetch(&mut self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError>;

    /// Stores `record` unless one with the same game id exists.
    fn insert(&mut self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError>;

    /// When a record exists and `expected_status` is none or equals its status, applies
    /// every change of `changes`; otherwise writes nothing.
    fn patch(
        &mut self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError>;

    /// Removes the record if it exists.
    fn remove(&mut self, game_id: &str) -> Result<(), BackendError>;

    /// The records matching `filter`, in any order.
    fn scan(&mut self, filter: ScanFilter) -> Result<Vec<RuntimeRecord>, BackendError>;
}

/// The record of `game_id`; `not-found` when none exists.
pub fn get<S: Storage>(storage: &mut S, game_id: &str) -> Result<RuntimeRecord, StoreError> {
    validation::validate_get(game_id)?;
    storage
        .fetch(game_id)
        .map_err(StoreError::Backend)?
        .ok_or(StoreError::NotFound)
}

/// Installs `record` with its timestamps truncated to microseconds; `conflict` when a
/// record with the same game id exists.
pub fn insert<S: Storage>(storage: &mut S, record: RuntimeRecord) -> Result<(), StoreError> {
    validation::validate_record(&record)?;
    let record = RuntimeRecord {
        next_generation_at: truncate_optional(record.next_generation_at),
        created_at: truncate_to_micros(record.created_at),
        updated_at: truncate_to_micros(record.updated_at),
        started_at: truncate_optional(record.started_at),
        stopped_at: truncate_optional(record.stopped_at),
        finished_at: truncate_optional(record.finished_at),
        ..record
    };
    match storage.insert(record).map_err(StoreError::Backend)? {
        InsertOutcome::Inserted => Ok(()),
        InsertOutcome::AlreadyExists => Err(StoreError::Conflict),
    }
}

/// Applies one allowed transition under a compare-and-swap on the stored status, with the
/// lifecycle stamps it implies and the optional fields that are given.
pub fn update_status<S: Storage>(
    storage: &mut S,
    input: UpdateStatusInput,
) -> Result<(), StoreError> {
    validation::validate_update_status(&input)?;
    let now = truncate_to_micros(input.now);
    let change = status_change(input.expected_from, input.to, now);
    let changes = RecordPatch {
        status: Some(change),
        scheduling: None,
        current_image_ref: input.current_image_ref,
        current_engine_version: input.current_engine_version,
        engine_health: input.engine_health_summary,
        updated_at: now,
    };
    apply_patch(storage, &input.game_id, Some(input.expected_from), changes)
}

/// The new status `to` with the stamps a move from `from` sets to `now`; stamps not set
/// stay as stored (they are never cleared).
pub fn status_change(from: Status, to: Status, now: Timestamp) -> StatusChange {
    let at_when = |applies: bool| applies.then_some(now);
    StatusChange {
        to,
        started_at: at_when(from == Status::Starting && to == Status::Running),
        stopped_at: at_when(to == Status::Stopped),
        finished_at: at_when(to == Status::Finished),
    }
}

/// Writes the scheduling columns together, in any status.
pub fn update_scheduling<S: Storage>(
    storage: &mut S,
    input: UpdateSchedulingInput,
) -> Result<(), StoreError> {
    validation::validate_update_scheduling(&input)?;
    let changes = RecordPatch {
        scheduling: Some(Scheduling {
            next_generation_at: truncate_optional(input.next_generation_at),
            skip_next_tick: input.skip_next_tick,
            current_turn: input.current_turn,
        }),
        ..untouched(input.now)
    };
    apply_patch(storage, &input.game_id, None, changes)
}

/// Writes a new engine image under a compare-and-swap on the stored status.
pub fn update_image<S: Storage>(
    storage: &mut S,
    input: UpdateImageInput,
) -> Result<(), StoreError> {
    validation::validate_update_image(&input)?;
    let changes = RecordPatch {
        current_image_ref: Some(input.current_image_ref),
        current_engine_version: Some(input.current_engine_version),
        ..untouched(input.now)
    };
    apply_patch(
        storage,
        &input.game_id,
        Some(input.expected_status),
        changes,
    )
}

/// Writes a new engine health summary, in any status.
pub fn update_engine_health<S: Storage>(
    storage: &mut S,
    input: UpdateEngineHealthInput,
) -> Result<(), StoreError> {
    validation::validate_update_engine_health(&input)?;
    let changes = RecordPatch {
        engine_health: Some(input.engine_health_summary),
        ..untouched(input.now)
    };
    apply_patch(storage, &input.game_id, None, changes)
}

/// Removes the record of `game_id`; ok when none exists.
pub fn delete<S: Storage>(storage: &mut S, game_id: &str) -> Result<(), StoreError> {
    validation::validate_delete(game_id)?;
    storage.remove(game_id).map_err(StoreError::Backend)
}

/// Running records due at `now` (truncated to microseconds), soonest first.
pub fn list_due_running<S: Storage>(
    storage: &mut S,
    now: Timestamp,
) -> Result<Vec<RuntimeRecord>, StoreError> {
    validation::validate_list_due_running(now)?;
    let mut records = scan(storage, ScanFilter::DueRunning(truncate_to_micros(now)))?;
    ordering::sort_due_first(&mut records);
    Ok(records)
}

/// Records in `status`, newest first.
pub fn list_by_status<S: Storage>(
    storage: &mut S,
    status: Status,
) -> Result<Vec<RuntimeRecord>, StoreError> {
    let mut records = scan(storage, ScanFilter::ByStatus(status))?;
    ordering::sort_newest_first(&mut records);
    Ok(records)
}

/// Every record, newest first.
pub fn list<S: Storage>(storage: &mut S) -> Result<Vec<RuntimeRecord>, StoreError> {
    let mut records = scan(storage, ScanFilter::All)?;
    ordering::sort_newest_first(&mut records);
    Ok(records)
}

/// A patch that writes only `updated-at` (= `now`, truncated).
fn untouched(now: Timestamp) -> RecordPatch {
    RecordPatch {
        status: None,
        scheduling: None,
        current_image_ref: None,
        current_engine_version: None,
        engine_health: None,
        updated_at: truncate_to_micros(now),
    }
}

fn apply_patch<S: Storage>(
    storage: &mut S,
    game_id: &str,
    expected_status: Option<Status>,
    changes: RecordPatch,
) -> Result<(), StoreError> {
    match storage
        .patch(game_id, expected_status, changes)
        .map_err(StoreError::Backend)?
    {
        PatchOutcome::Applied => Ok(()),
        PatchOutcome::NotFound => Err(StoreError::NotFound),
        PatchOutcome::StatusMismatch(_) => Err(StoreError::Conflict),
    }
}

fn scan<S: Storage>(storage: &mut S, filter: ScanFilter) -> Result<Vec<RuntimeRecord>, StoreError> {
    storage.scan(filter).map_err(StoreError::Backend)
}
