//! Record fixtures.

use runtime_store_backend::{RecordPatch, RuntimeRecord, Status, StatusChange, Timestamp};

/// The timestamp `seconds` + `nanoseconds` after the Unix epoch.
pub fn at(seconds: i64, nanoseconds: u32) -> Timestamp {
    Timestamp {
        seconds,
        nanoseconds,
    }
}

/// A plain record of `game_id` in `status`, created at 1 000 000 000 s.
pub fn record(game_id: &str, status: Status) -> RuntimeRecord {
    runtime_store_backend::sample::record(game_id, status, at(1_000_000_000, 0))
}

/// A patch that only moves the status to `to` (no stamps) and writes `updated_at`.
pub fn move_to(to: Status, updated_at: Timestamp) -> RecordPatch {
    RecordPatch {
        status: Some(StatusChange {
            to,
            started_at: None,
            stopped_at: None,
            finished_at: None,
        }),
        scheduling: None,
        current_image_ref: None,
        current_engine_version: None,
        engine_health: None,
        updated_at,
    }
}
