//! The step workload of the fault tests: each game walks through numbered steps, every
//! step one `update-status` writing five columns that all name the step, so a write that
//! was half applied shows, and a step that is missing shows.

use runtime_store_backend::{RecordPatch, StatusChange};
use runtime_store_host::{RuntimeRecord, Status, UpdateStatusInput};

use crate::records::{at, record};

/// `now` of step 1 (step `n` is at `FIRST_STEP_AT + n` seconds).
pub const FIRST_STEP_AT: i64 = 1_700_000_000;

/// The status after step `step`: the steps alternate running and generation-in-progress.
pub fn status_after(step: u32) -> Status {
    if step % 2 == 1 {
        Status::GenerationInProgress
    } else {
        Status::Running
    }
}

/// Step `step` of `game_id`: one update-status writing five columns together, each of
/// which names the step.
pub fn step_input(game_id: &str, step: u32) -> UpdateStatusInput {
    UpdateStatusInput {
        game_id: game_id.to_owned(),
        expected_from: status_after(step - 1),
        to: status_after(step),
        now: at(FIRST_STEP_AT + i64::from(step), 0),
        engine_health_summary: Some(format!("step {step}")),
        current_image_ref: Some(format!("registry.local/engine:{step}")),
        current_engine_version: Some(format!("{step}.0.0")),
    }
}

/// Step `step` as the adapter's primitive receives it: the status the record must be in,
/// and the patch (what the rules make of [`step_input`]).
pub fn step_patch(step: u32) -> (Status, RecordPatch) {
    let input = step_input("", step);
    (
        input.expected_from,
        RecordPatch {
            status: Some(StatusChange {
                to: input.to,
                started_at: None,
                stopped_at: None,
                finished_at: None,
            }),
            scheduling: None,
            current_image_ref: input.current_image_ref,
            current_engine_version: input.current_engine_version,
            engine_health: input.engine_health_summary,
            updated_at: input.now,
        },
    )
}

/// The record of `game_id` at step 0.
pub fn initial_record(game_id: &str) -> RuntimeRecord {
    let mut initial = record(game_id, Status::Running);
    initial.engine_health = "step 0".to_owned();
    initial.current_image_ref = "registry.local/engine:0".to_owned();
    initial.current_engine_version = "0.0.0".to_owned();
    initial
}

/// The step `stored` is at, or what shows that a write was half applied.
pub fn stored_step(stored: &RuntimeRecord) -> Result<u32, String> {
    let step: u32 = stored
        .engine_health
        .strip_prefix("step ")
        .and_then(|step| step.parse().ok())
        .ok_or_else(|| {
            format!(
                "{}: unexpected health {:?}",
                stored.game_id, stored.engine_health
            )
        })?;
    let whole = stored.status == status_after(step)
        && stored.current_image_ref == format!("registry.local/engine:{step}")
        && stored.current_engine_version == format!("{step}.0.0")
        && (step == 0 || stored.updated_at == at(FIRST_STEP_AT + i64::from(step), 0));
    if whole {
        Ok(step)
    } else {
        Err(format!("half-applied write: {stored:?}"))
    }
}

/// The step `stored` is at; panics when its columns disagree (a half-applied write).
pub fn step_of(stored: &RuntimeRecord) -> u32 {
    stored_step(stored).unwrap_or_else(|problem| panic!("{problem}"))
}
