//! Builders of valid inputs and a storage that records every call, shared by the tests.
#![allow(dead_code)] // each test binary uses a different part of this module

use runtime_store_rules::memory::MemoryStorage;
use runtime_store_rules::store::Storage;
use runtime_store_rules::types::{
    BackendError, InsertOutcome, PatchOutcome, RecordPatch, RuntimeRecord, ScanFilter, ScanKey,
    Status, StoreError, Timestamp, UpdateEngineHealthInput, UpdateImageInput,
    UpdateSchedulingInput, UpdateStatusInput,
};

pub const CREATED: Timestamp = at(1_764_000_000, 0);
pub const LATER: Timestamp = at(1_764_000_060, 0);
/// A value that is zero: it truncates to the epoch.
pub const ZERO: Timestamp = at(0, 999);
/// Nanoseconds past the second: not zero, but invalid.
pub const OVERFLOWING: Timestamp = at(1_764_000_000, 1_000_000_000);

pub const fn at(seconds: i64, nanoseconds: u32) -> Timestamp {
    Timestamp {
        seconds,
        nanoseconds,
    }
}

pub fn record(game_id: &str) -> RuntimeRecord {
    RuntimeRecord {
        game_id: game_id.into(),
        status: Status::Starting,
        engine_endpoint: "http://engine.galaxy.internal:8080".into(),
        current_image_ref: "registry.galaxy.internal/engine:1.4.2".into(),
        current_engine_version: "1.4.2".into(),
        engine_health: "healthy".into(),
        current_turn: 0,
        next_generation_at: None,
        skip_next_tick: false,
        created_at: CREATED,
        updated_at: CREATED,
        started_at: None,
        stopped_at: None,
        finished_at: None,
    }
}

pub fn status_input(game_id: &str, from: Status, to: Status) -> UpdateStatusInput {
    UpdateStatusInput {
        game_id: game_id.into(),
        expected_from: from,
        to,
        now: LATER,
        engine_health_summary: None,
        current_image_ref: None,
        current_engine_version: None,
    }
}

pub fn scheduling_input(game_id: &str) -> UpdateSchedulingInput {
    UpdateSchedulingInput {
        game_id: game_id.into(),
        next_generation_at: Some(LATER),
        skip_next_tick: true,
        current_turn: 7,
        now: LATER,
    }
}

pub fn image_input(game_id: &str, expected_status: Status) -> UpdateImageInput {
    UpdateImageInput {
        game_id: game_id.into(),
        expected_status,
        current_image_ref: "registry.galaxy.internal/engine:1.5.0".into(),
        current_engine_version: "1.5.0".into(),
        now: LATER,
    }
}

pub fn health_input(game_id: &str) -> UpdateEngineHealthInput {
    UpdateEngineHealthInput {
        game_id: game_id.into(),
        engine_health_summary: "degraded".into(),
        now: LATER,
    }
}

pub fn invalid_input(message: &str) -> Result<(), StoreError> {
    Err(StoreError::InvalidInput(message.into()))
}

/// One primitive call as the store made it.
#[derive(Clone, Debug, PartialEq)]
pub enum Call {
    Fetch(String),
    Insert(RuntimeRecord),
    Patch(String, Option<Status>, RecordPatch),
    Remove(String),
    Scan(ScanFilter, Option<ScanKey>, u32),
}

/// Records every primitive call, then answers with `failure` when set, otherwise with the
/// in-memory storage.
#[derive(Default)]
pub struct RecordingStorage {
    pub calls: Vec<Call>,
    pub inner: MemoryStorage,
    pub failure: Option<BackendError>,
}

impl RecordingStorage {
    pub fn failing(failure: BackendError) -> Self {
        Self {
            failure: Some(failure),
            ..Self::default()
        }
    }

    fn answer<T>(
        &mut self,
        call: Call,
        inner: impl FnOnce(&mut MemoryStorage) -> Result<T, BackendError>,
    ) -> Result<T, BackendError> {
        self.calls.push(call);
        match &self.failure {
            Some(failure) => Err(failure.clone()),
            None => inner(&mut self.inner),
        }
    }
}

impl Storage for RecordingStorage {
    fn fetch(&mut self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        self.answer(Call::Fetch(game_id.into()), |inner| inner.fetch(game_id))
    }

    fn insert(&mut self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        self.answer(Call::Insert(record.clone()), |inner| inner.insert(record))
    }

    fn patch(
        &mut self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        self.answer(
            Call::Patch(game_id.into(), expected_status, changes.clone()),
            |inner| inner.patch(game_id, expected_status, changes),
        )
    }

    fn remove(&mut self, game_id: &str) -> Result<(), BackendError> {
        self.answer(Call::Remove(game_id.into()), |inner| inner.remove(game_id))
    }

    fn scan(
        &mut self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        self.answer(Call::Scan(filter, after.cloned(), limit), |inner| {
            inner.scan(filter, after, limit)
        })
    }
}
