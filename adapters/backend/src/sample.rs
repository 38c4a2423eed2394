//! Sample records for tests, examples and benchmarks (feature `sample`): one place that
//! spells out a whole valid record, so each test states only what it cares about.
//!
//! ```
//! use runtime_store_backend::sample;
//! use runtime_store_backend::{RuntimeRecord, Status, Timestamp};
//!
//! let due = RuntimeRecord {
//!     next_generation_at: Some(Timestamp { seconds: 1_700_000_600, nanoseconds: 0 }),
//!     ..sample::record("game-1", Status::Running, sample::at(1_700_000_000))
//! };
//! assert_eq!(due.updated_at, due.created_at);
//! ```

use crate::{RuntimeRecord, Status, Timestamp};

/// The instant `seconds` after the epoch, on a whole second.
pub const fn at(seconds: i64) -> Timestamp {
    Timestamp {
        seconds,
        nanoseconds: 0,
    }
}

/// A valid record of `game_id` in `status`, created and last updated at `created`: an
/// engine endpoint named after the game, image `registry.local/galaxy/engine:1.4.0`
/// (version `1.4.0`), empty health, turn 0, no tick scheduled, no lifecycle stamps.
pub fn record(game_id: &str, status: Status, created: Timestamp) -> RuntimeRecord {
    RuntimeRecord {
        game_id: game_id.to_owned(),
        status,
        engine_endpoint: format!("http://{game_id}.engines.local:8080"),
        current_image_ref: "registry.local/galaxy/engine:1.4.0".to_owned(),
        current_engine_version: "1.4.0".to_owned(),
        engine_health: String::new(),
        current_turn: 0,
        next_generation_at: None,
        skip_next_tick: false,
        created_at: created,
        updated_at: created,
        started_at: None,
        stopped_at: None,
        finished_at: None,
    }
}
