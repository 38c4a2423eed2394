//! The component glue: the exported `rules` and `store` interfaces, with storage reached
//! through the imported `backend` interface.

use crate::bindings::exports::galaxy::gamemaster::{rules, store as store_exports};
use crate::bindings::galaxy::gamemaster::backend;
use crate::store::{self, Storage};
use crate::transitions;
use crate::types::{
    BackendError, InsertOutcome, PatchOutcome, RecordPatch, RuntimePage, RuntimeRecord, ScanFilter,
    ScanKey, Status, StoreError, Timestamp, UpdateEngineHealthInput, UpdateImageInput,
    UpdateSchedulingInput, UpdateStatusInput,
};
use crate::validation;

/// The host's storage, through the imported `backend` functions.
struct ImportedBackend;

impl Storage for ImportedBackend {
    fn fetch(&mut self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        backend::fetch(game_id).map(|lookup| lookup.found)
    }

    fn insert(&mut self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        backend::insert(&record)
    }

    fn patch(
        &mut self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        backend::patch(game_id, expected_status, &changes)
    }

    fn remove(&mut self, game_id: &str) -> Result<(), BackendError> {
        backend::remove(game_id)
    }

    fn scan(
        &mut self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        backend::scan(filter, after, limit)
    }
}

struct Component;

impl rules::Guest for Component {
    fn transition(from: Status, to: Status) -> Result<(), StoreError> {
        transitions::transition(from, to)
    }

    fn allowed_transitions(from: Status) -> Vec<Status> {
        transitions::allowed_transitions(from).to_vec()
    }

    fn validate_record(record: RuntimeRecord) -> Result<(), StoreError> {
        validation::validate_record(&record)
    }

    fn validate_update_status(input: UpdateStatusInput) -> Result<(), StoreError> {
        validation::validate_update_status(&input)
    }

    fn validate_update_scheduling(input: UpdateSchedulingInput) -> Result<(), StoreError> {
        validation::validate_update_scheduling(&input)
    }

    fn validate_update_image(input: UpdateImageInput) -> Result<(), StoreError> {
        validation::validate_update_image(&input)
    }

    fn validate_update_engine_health(input: UpdateEngineHealthInput) -> Result<(), StoreError> {
        validation::validate_update_engine_health(&input)
    }
}

impl store_exports::Guest for Component {
    fn get(game_id: String) -> Result<RuntimeRecord, StoreError> {
        store::get(&mut ImportedBackend, &game_id)
    }

    fn insert(record: RuntimeRecord) -> Result<(), StoreError> {
        store::insert(&mut ImportedBackend, record)
    }

    fn update_status(input: UpdateStatusInput) -> Result<(), StoreError> {
        store::update_status(&mut ImportedBackend, input)
    }

    fn update_scheduling(input: UpdateSchedulingInput) -> Result<(), StoreError> {
        store::update_scheduling(&mut ImportedBackend, input)
    }

    fn update_image(input: UpdateImageInput) -> Result<(), StoreError> {
        store::update_image(&mut ImportedBackend, input)
    }

    fn update_engine_health(input: UpdateEngineHealthInput) -> Result<(), StoreError> {
        store::update_engine_health(&mut ImportedBackend, input)
    }

    fn delete(game_id: String) -> Result<(), StoreError> {
        store::delete(&mut ImportedBackend, &game_id)
    }

    fn list_due_running(now: Timestamp) -> Result<Vec<RuntimeRecord>, StoreError> {
        store::list_due_running(&mut ImportedBackend, now)
    }

    fn list_by_status(status: Status) -> Result<Vec<RuntimeRecord>, StoreError> {
        store::list_by_status(&mut ImportedBackend, status)
    }

    fn list() -> Result<Vec<RuntimeRecord>, StoreError> {
        store::list(&mut ImportedBackend)
    }

    fn list_page(cursor: Option<String>, limit: u32) -> Result<RuntimePage, StoreError> {
        store::list_page(&mut ImportedBackend, cursor.as_deref(), limit)
    }

    fn list_by_status_page(
        status: Status,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<RuntimePage, StoreError> {
        store::list_by_status_page(&mut ImportedBackend, status, cursor.as_deref(), limit)
    }

    fn list_due_running_page(
        now: Timestamp,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<RuntimePage, StoreError> {
        store::list_due_running_page(&mut ImportedBackend, now, cursor.as_deref(), limit)
    }
}

// The export symbols are named like `galaxy:gamemaster/store@0.2.0#get`, which native
// linkers reject in a shared library's version script; natively the glue is only type-checked.
#[cfg(target_arch = "wasm32")]
crate::bindings::export!(Component with_types_in crate::bindings);
