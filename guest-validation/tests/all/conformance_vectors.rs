//! Runs the shared conformance vectors (`tests/conformance/*.json`) natively: the rules
//! driven over the in-memory storage must give every expected answer, step by step. Each
//! file runs on fresh storage, so `alone` files (those with page steps) hold as written.

use std::path::{Path, PathBuf};

use runtime_store_rules::memory::MemoryStorage;
use runtime_store_rules::store;
use runtime_store_rules::transitions::{self, ALL_STATUSES};
use runtime_store_rules::types::{
    RuntimePage, RuntimeRecord, Status, StoreError, Timestamp, UpdateEngineHealthInput,
    UpdateImageInput, UpdateSchedulingInput, UpdateStatusInput,
};
use runtime_store_rules::validation;
use serde_json::{Map, Value, json};

type Decoded<T> = Result<T, String>;

fn field<'a>(object: &'a Value, name: &str) -> Decoded<&'a Value> {
    object
        .get(name)
        .ok_or_else(|| format!("missing field {name:?} in {object}"))
}

fn string(value: &Value) -> Decoded<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{value} is not a string"))
}

fn unsigned_32(value: &Value) -> Decoded<u32> {
    value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("{value} is not a u32"))
}

fn optional<T>(value: &Value, decode: impl Fn(&Value) -> Decoded<T>) -> Decoded<Option<T>> {
    if value.is_null() {
        Ok(None)
    } else {
        decode(value).map(Some)
    }
}

fn timestamp(value: &Value) -> Decoded<Timestamp> {
    let seconds = field(value, "seconds")?;
    Ok(Timestamp {
        seconds: seconds
            .as_i64()
            .ok_or_else(|| format!("{seconds} is not an s64"))?,
        nanoseconds: unsigned_32(field(value, "nanoseconds")?)?,
    })
}

fn text(object: &Value, name: &str) -> Decoded<String> {
    string(field(object, name)?)
}

fn optional_text(object: &Value, name: &str) -> Decoded<Option<String>> {
    optional(field(object, name)?, string)
}

fn flag(object: &Value, name: &str) -> Decoded<bool> {
    let value = field(object, name)?;
    value
        .as_bool()
        .ok_or_else(|| format!("{value} is not a bool"))
}

fn turn(object: &Value, name: &str) -> Decoded<u32> {
    unsigned_32(field(object, name)?)
}

fn timestamp_field(object: &Value, name: &str) -> Decoded<Timestamp> {
    timestamp(field(object, name)?)
}

fn optional_timestamp(object: &Value, name: &str) -> Decoded<Option<Timestamp>> {
    optional(field(object, name)?, timestamp)
}

fn case_name(status: Status) -> String {
    transitions::stored_text(status).replace('_', "-")
}

fn status(value: &Value) -> Decoded<Status> {
    ALL_STATUSES
        .into_iter()
        .find(|&s| value.as_str() == Some(case_name(s).as_str()))
        .ok_or_else(|| format!("{value} is not a status"))
}

fn status_field(object: &Value, name: &str) -> Decoded<Status> {
    status(field(object, name)?)
}

fn record(value: &Value) -> Decoded<RuntimeRecord> {
    Ok(RuntimeRecord {
        game_id: text(value, "game-id")?,
        status: status_field(value, "status")?,
        engine_endpoint: text(value, "engine-endpoint")?,
        current_image_ref: text(value, "current-image-ref")?,
        current_engine_version: text(value, "current-engine-version")?,
        engine_health: text(value, "engine-health")?,
        current_turn: turn(value, "current-turn")?,
        next_generation_at: optional_timestamp(value, "next-generation-at")?,
        skip_next_tick: flag(value, "skip-next-tick")?,
        created_at: timestamp_field(value, "created-at")?,
        updated_at: timestamp_field(value, "updated-at")?,
        started_at: optional_timestamp(value, "started-at")?,
        stopped_at: optional_timestamp(value, "stopped-at")?,
        finished_at: optional_timestamp(value, "finished-at")?,
    })
}

fn update_status_input(value: &Value) -> Decoded<UpdateStatusInput> {
    Ok(UpdateStatusInput {
        game_id: text(value, "game-id")?,
        expected_from: status_field(value, "expected-from")?,
        to: status_field(value, "to")?,
        now: timestamp_field(value, "now")?,
        engine_health_summary: optional_text(value, "engine-health-summary")?,
        current_image_ref: optional_text(value, "current-image-ref")?,
        current_engine_version: optional_text(value, "current-engine-version")?,
    })
}

fn update_scheduling_input(value: &Value) -> Decoded<UpdateSchedulingInput> {
    Ok(UpdateSchedulingInput {
        game_id: text(value, "game-id")?,
        next_generation_at: optional_timestamp(value, "next-generation-at")?,
        skip_next_tick: flag(value, "skip-next-tick")?,
        current_turn: turn(value, "current-turn")?,
        now: timestamp_field(value, "now")?,
    })
}

fn update_image_input(value: &Value) -> Decoded<UpdateImageInput> {
    Ok(UpdateImageInput {
        game_id: text(value, "game-id")?,
        expected_status: status_field(value, "expected-status")?,
        current_image_ref: text(value, "current-image-ref")?,
        current_engine_version: text(value, "current-engine-version")?,
        now: timestamp_field(value, "now")?,
    })
}

fn update_engine_health_input(value: &Value) -> Decoded<UpdateEngineHealthInput> {
    Ok(UpdateEngineHealthInput {
        game_id: text(value, "game-id")?,
        engine_health_summary: text(value, "engine-health-summary")?,
        now: timestamp_field(value, "now")?,
    })
}

fn timestamp_json(at: Timestamp) -> Value {
    json!({ "seconds": at.seconds, "nanoseconds": at.nanoseconds })
}

fn record_json(record: RuntimeRecord) -> Value {
    let optional_at = |at: Option<Timestamp>| at.map_or(Value::Null, timestamp_json);
    json!({
        "game-id": record.game_id,
        "status": case_name(record.status),
        "engine-endpoint": record.engine_endpoint,
        "current-image-ref": record.current_image_ref,
        "current-engine-version": record.current_engine_version,
        "engine-health": record.engine_health,
        "current-turn": record.current_turn,
        "next-generation-at": optional_at(record.next_generation_at),
        "skip-next-tick": record.skip_next_tick,
        "created-at": timestamp_json(record.created_at),
        "updated-at": timestamp_json(record.updated_at),
        "started-at": optional_at(record.started_at),
        "stopped-at": optional_at(record.stopped_at),
        "finished-at": optional_at(record.finished_at),
    })
}

fn records_json(records: Vec<RuntimeRecord>) -> Value {
    Value::Array(records.into_iter().map(record_json).collect())
}

/// An answer in the vectors' `expect` shape.
fn outcome(result: Result<Value, StoreError>) -> Value {
    match result {
        Ok(value) => json!({ "ok": value }),
        Err(StoreError::NotFound) => json!({ "error": "not-found" }),
        Err(StoreError::Conflict) => json!({ "error": "conflict" }),
        Err(StoreError::InvalidTransition(message)) => {
            json!({ "error": "invalid-transition", "message": message })
        }
        Err(StoreError::InvalidInput(message)) => {
            json!({ "error": "invalid-input", "message": message })
        }
        Err(StoreError::Backend(error)) => {
            json!({ "error": "backend", "message": error.to_string() })
        }
    }
}

/// A page in the vectors' shape: its records and whether it has a next cursor (the
/// vectors never pin a cursor's text).
fn page_json(page: &RuntimePage) -> Value {
    json!({
        "records": records_json(page.records.clone()),
        "has-next-cursor": page.next_cursor.is_some(),
    })
}

/// The cursor a page step passes: none, a literal string, or the `next-cursor` of the
/// latest earlier step that expected a page (`{"previous-page": true}`).
fn cursor_arg(args: &Value, previous: Option<&str>) -> Decoded<Option<String>> {
    let value = field(args, "cursor")?;
    if value.is_null() {
        return Ok(None);
    }
    if let Some(text) = value.as_str() {
        return Ok(Some(text.to_owned()));
    }
    if value == &json!({ "previous-page": true }) {
        return previous
            .map(|cursor| Some(cursor.to_owned()))
            .ok_or_else(|| "no earlier page answered a cursor to continue".to_owned());
    }
    Err(format!("{value} is not a cursor argument"))
}

/// The answer of a page op, or none when `op` is not one.
fn run_page_step(
    storage: &mut MemoryStorage,
    op: &str,
    args: &Value,
    previous: Option<&str>,
) -> Decoded<Option<Result<RuntimePage, StoreError>>> {
    let page = match op {
        "list-page" | "list-by-status-page" | "list-due-running-page" => {
            let cursor = cursor_arg(args, previous)?;
            let limit = unsigned_32(field(args, "limit")?)?;
            match op {
                "list-page" => store::list_page(storage, cursor.as_deref(), limit),
                "list-by-status-page" => store::list_by_status_page(
                    storage,
                    status_field(args, "status")?,
                    cursor.as_deref(),
                    limit,
                ),
                _ => store::list_due_running_page(
                    storage,
                    timestamp_field(args, "now")?,
                    cursor.as_deref(),
                    limit,
                ),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(page))
}

fn unit(result: Result<(), StoreError>) -> Result<Value, StoreError> {
    result.map(|()| Value::Null)
}

fn run_step(storage: &mut MemoryStorage, op: &str, args: &Value) -> Decoded<Value> {
    let answer = match op {
        "get" => store::get(storage, &text(args, "game-id")?).map(record_json),
        "insert" => unit(store::insert(storage, record(field(args, "record")?)?)),
        "update-status" => unit(store::update_status(
            storage,
            update_status_input(field(args, "input")?)?,
        )),
        "update-scheduling" => unit(store::update_scheduling(
            storage,
            update_scheduling_input(field(args, "input")?)?,
        )),
        "update-image" => unit(store::update_image(
            storage,
            update_image_input(field(args, "input")?)?,
        )),
        "update-engine-health" => unit(store::update_engine_health(
            storage,
            update_engine_health_input(field(args, "input")?)?,
        )),
        "delete" => unit(store::delete(storage, &text(args, "game-id")?)),
        "list-due-running" => {
            store::list_due_running(storage, timestamp_field(args, "now")?).map(records_json)
        }
        "list-by-status" => {
            store::list_by_status(storage, status_field(args, "status")?).map(records_json)
        }
        "list" => store::list(storage).map(records_json),
        "transition" => unit(transitions::transition(
            status_field(args, "from")?,
            status_field(args, "to")?,
        )),
        "allowed-transitions" => Ok(Value::Array(
            transitions::allowed_transitions(status_field(args, "from")?)
                .iter()
                .map(|&s| Value::String(case_name(s)))
                .collect(),
        )),
        "validate-record" => unit(validation::validate_record(&record(field(
            args, "record",
        )?)?)),
        "validate-update-status" => unit(validation::validate_update_status(&update_status_input(
            field(args, "input")?,
        )?)),
        "validate-update-scheduling" => unit(validation::validate_update_scheduling(
            &update_scheduling_input(field(args, "input")?)?,
        )),
        "validate-update-image" => unit(validation::validate_update_image(&update_image_input(
            field(args, "input")?,
        )?)),
        "validate-update-engine-health" => unit(validation::validate_update_engine_health(
            &update_engine_health_input(field(args, "input")?)?,
        )),
        other => return Err(format!("unknown op {other:?}")),
    };
    Ok(outcome(answer))
}

fn vector_files() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
    files.sort();
    files
}

/// Runs every step of one vector file on fresh storage: how many steps ran, and a line
/// for each step that did not give its expected answer.
fn run_vector_file(path: &Path) -> Decoded<(usize, Vec<String>)> {
    let contents = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let vector: Value = serde_json::from_str(&contents).map_err(|e| e.to_string())?;
    let steps = field(&vector, "steps")?
        .as_array()
        .ok_or("\"steps\" is not a list")?;
    let no_args = Value::Object(Map::new());
    let mut storage = MemoryStorage::default();
    let mut failures = Vec::new();
    let mut previous_cursor: Option<String> = None;
    for (index, step) in steps.iter().enumerate() {
        let op = text(step, "op")?;
        let args = step.get("args").unwrap_or(&no_args);
        let expected = field(step, "expect")?;
        let answer = match run_page_step(&mut storage, &op, args, previous_cursor.as_deref()) {
            Ok(Some(page)) => {
                if expected.get("ok").is_some() {
                    previous_cursor = page.as_ref().ok().and_then(|p| p.next_cursor.clone());
                }
                Ok(outcome(page.map(|page| page_json(&page))))
            }
            Ok(None) => run_step(&mut storage, &op, args),
            Err(error) => Err(error),
        };
        match answer {
            Ok(actual) if actual == *expected => {}
            Ok(actual) => failures.push(format!(
                "step {index} ({op}): expected {expected}, got {actual}"
            )),
            Err(error) => failures.push(format!("step {index} ({op}): bad vector: {error}")),
        }
    }
    Ok((steps.len(), failures))
}

#[test]
fn every_conformance_vector_passes_natively() {
    let files = vector_files();
    assert!(!files.is_empty(), "no vectors found in tests/conformance");
    let mut failures = Vec::new();
    let mut steps_run = 0;
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match run_vector_file(path) {
            Ok((steps, file_failures)) => {
                steps_run += steps;
                failures.extend(file_failures.into_iter().map(|f| format!("{name} {f}")));
            }
            Err(error) => failures.push(format!("{name}: unreadable: {error}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {steps_run} steps failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(steps_run > 0);
}
