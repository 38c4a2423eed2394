//! The ten store operations, written once over any [`Storage`].
//!
//! Every operation validates first and touches no storage when validation fails. Values
//! handed to storage carry timestamps truncated to microseconds. Storage serves lists in
//! the order of their filter, a page at a time; every answer is checked here before it is
//! returned (see [`ordering`]).

use crate::cursor;
use crate::ordering::{self, ListOrder};
use crate::time::{truncate_optional, truncate_to_micros};
use crate::types::{
    BackendError, InsertOutcome, PatchOutcome, RecordPatch, RuntimePage, RuntimeRecord, ScanFilter,
    ScanKey, Scheduling, Status, StatusChange, StoreError, Timestamp, UpdateEngineHealthInput,
    UpdateImageInput, UpdateSchedulingInput, UpdateStatusInput,
};
use crate::validation::{self, Operation};

/// The five storage primitives of the WIT `backend` interface. Each is atomic; none holds
/// a rule (no validation or derivation; a scan serves the order its filter names, which the
/// rules check).
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

    /// At most `limit` records matching `filter` that come strictly after `after` in the
    /// filter's order ([`ListOrder::of`]), in that order.
    fn scan(
        &mut self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError>;
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
    validation::validate_list_due_running(Operation::ListDueRunning, now)?;
    whole_list(storage, due_at(now))
}

/// Records in `status`, newest first.
pub fn list_by_status<S: Storage>(
    storage: &mut S,
    status: Status,
) -> Result<Vec<RuntimeRecord>, StoreError> {
    whole_list(storage, ScanFilter::ByStatus(status))
}

/// Every record, newest first.
pub fn list<S: Storage>(storage: &mut S) -> Result<Vec<RuntimeRecord>, StoreError> {
    whole_list(storage, ScanFilter::All)
}

/// A page of [`list_due_running`]: `now` is checked first, then `limit` and `cursor`.
pub fn list_due_running_page<S: Storage>(
    storage: &mut S,
    now: Timestamp,
    cursor: Option<&str>,
    limit: u32,
) -> Result<RuntimePage, StoreError> {
    let operation = Operation::ListDueRunningPage;
    validation::validate_list_due_running(operation, now)?;
    page(storage, operation, due_at(now), cursor, limit)
}

/// A page of [`list_by_status`].
pub fn list_by_status_page<S: Storage>(
    storage: &mut S,
    status: Status,
    cursor: Option<&str>,
    limit: u32,
) -> Result<RuntimePage, StoreError> {
    let filter = ScanFilter::ByStatus(status);
    page(storage, Operation::ListByStatusPage, filter, cursor, limit)
}

/// A page of [`list`].
pub fn list_page<S: Storage>(
    storage: &mut S,
    cursor: Option<&str>,
    limit: u32,
) -> Result<RuntimePage, StoreError> {
    page(storage, Operation::ListPage, ScanFilter::All, cursor, limit)
}

fn due_at(now: Timestamp) -> ScanFilter {
    ScanFilter::DueRunning(truncate_to_micros(now))
}

/// Every record `filter` selects, in one backend call: bounded by the guest's memory, not
/// by a limit.
fn whole_list<S: Storage>(
    storage: &mut S,
    filter: ScanFilter,
) -> Result<Vec<RuntimeRecord>, StoreError> {
    checked_scan(storage, filter, None, u32::MAX)
}

/// Asks for one record more than the page holds: the extra one tells whether a next page
/// exists without a call that would come back empty.
fn page<S: Storage>(
    storage: &mut S,
    operation: Operation,
    filter: ScanFilter,
    cursor: Option<&str>,
    limit: u32,
) -> Result<RuntimePage, StoreError> {
    let order = ListOrder::of(filter);
    let after = validation::validate_page(operation, order, cursor, limit)?;
    let mut records = checked_scan(storage, filter, after.as_ref(), limit + 1)?;
    let next_cursor = if records.len() > limit as usize {
        records.truncate(limit as usize);
        records
            .last()
            .map(|last| cursor::encode(order, order.position(last)))
    } else {
        None
    };
    Ok(RuntimePage {
        records,
        next_cursor,
    })
}

fn checked_scan<S: Storage>(
    storage: &mut S,
    filter: ScanFilter,
    after: Option<&ScanKey>,
    asked: u32,
) -> Result<Vec<RuntimeRecord>, StoreError> {
    let records = storage
        .scan(filter, after, asked)
        .map_err(StoreError::Backend)?;
    ordering::check_page(filter, after, asked, &records).map_err(StoreError::Backend)?;
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
