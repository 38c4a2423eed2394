//! Inputs shared by the groups, built once as host values and converted for the native
//! rules, so both sides of a comparison work on the same data.

use runtime_store_host::{RuntimeRecord, Status, Timestamp, UpdateStatusInput};
use runtime_store_rules::types as native;

/// The instant every benchmark calls "now": after every fixture's creation time.
pub const NOW: Timestamp = at(1_800_000_000);

/// `seconds` after the Unix epoch, on a whole microsecond as stored values are.
pub const fn at(seconds: i64) -> Timestamp {
    Timestamp {
        seconds,
        nanoseconds: 250_000,
    }
}

/// A complete, valid record of `game_id` in `status`, created `age` seconds before
/// [`NOW`]; running records get a tick `due_in` seconds from [`NOW`] (negative: overdue).
pub fn record(game_id: &str, status: Status, age: i64, due_in: Option<i64>) -> RuntimeRecord {
    let created_at = at(NOW.seconds - age);
    RuntimeRecord {
        engine_health: "healthy: 12 ms ping".to_owned(),
        current_turn: 42,
        next_generation_at: due_in.map(|due_in| at(NOW.seconds + due_in)),
        started_at: (status != Status::Starting).then_some(created_at),
        ..runtime_store_backend::sample::record(game_id, status, created_at)
    }
}

/// `count` records named `{prefix}-0000`...: every tenth running and overdue, the
/// others spread over the other statuses (running ones with a future tick).
pub fn population(prefix: &str, count: usize) -> Vec<RuntimeRecord> {
    (0..count)
        .map(|index| {
            let game_id = format!("{prefix}-{index:04}");
            let age = i64::try_from(index).unwrap_or(i64::MAX) * 60 + 60;
            if index % 10 == 0 {
                record(&game_id, Status::Running, age, Some(-age))
            } else {
                let status = Status::ALL[index % Status::ALL.len()];
                let due_in = (status == Status::Running).then_some(3_600);
                record(&game_id, status, age, due_in)
            }
        })
        .collect()
}

/// One game moved back and forth between `running` and `generation_in_progress`, so
/// every status update is an allowed compare-and-swap that succeeds.
#[derive(Debug)]
pub struct Flip {
    game_id: String,
    running: bool,
}

impl Flip {
    /// The game `game_id`, stored as `running`.
    pub fn new(game_id: String) -> Self {
        Flip {
            game_id,
            running: true,
        }
    }

    /// The game id.
    pub fn game_id(&self) -> &str {
        &self.game_id
    }

    /// The stored status and the next one, and records the move as done.
    pub fn advance(&mut self) -> (Status, Status) {
        let (from, to) = if self.running {
            (Status::Running, Status::GenerationInProgress)
        } else {
            (Status::GenerationInProgress, Status::Running)
        };
        self.running = !self.running;
        (from, to)
    }

    /// The next status update, recorded as done.
    pub fn next_input(&mut self) -> UpdateStatusInput {
        let (expected_from, to) = self.advance();
        UpdateStatusInput {
            game_id: self.game_id.clone(),
            expected_from,
            to,
            now: NOW,
            engine_health_summary: None,
            current_image_ref: None,
            current_engine_version: None,
        }
    }
}

/// The same values as the native rules' types.
pub mod to_native {
    use super::native;
    use runtime_store_host::{RuntimeRecord, Status, Timestamp, UpdateStatusInput};

    pub fn status(status: Status) -> native::Status {
        match status {
            Status::Starting => native::Status::Starting,
            Status::Running => native::Status::Running,
            Status::GenerationInProgress => native::Status::GenerationInProgress,
            Status::GenerationFailed => native::Status::GenerationFailed,
            Status::EngineUnreachable => native::Status::EngineUnreachable,
            Status::Stopped => native::Status::Stopped,
            Status::Finished => native::Status::Finished,
        }
    }

    pub fn timestamp(timestamp: Timestamp) -> native::Timestamp {
        native::Timestamp {
            seconds: timestamp.seconds,
            nanoseconds: timestamp.nanoseconds,
        }
    }

    pub fn record(record: &RuntimeRecord) -> native::RuntimeRecord {
        native::RuntimeRecord {
            game_id: record.game_id.clone(),
            status: status(record.status),
            engine_endpoint: record.engine_endpoint.clone(),
            current_image_ref: record.current_image_ref.clone(),
            current_engine_version: record.current_engine_version.clone(),
            engine_health: record.engine_health.clone(),
            current_turn: record.current_turn,
            next_generation_at: record.next_generation_at.map(timestamp),
            skip_next_tick: record.skip_next_tick,
            created_at: timestamp(record.created_at),
            updated_at: timestamp(record.updated_at),
            started_at: record.started_at.map(timestamp),
            stopped_at: record.stopped_at.map(timestamp),
            finished_at: record.finished_at.map(timestamp),
        }
    }

    pub fn update_status(input: UpdateStatusInput) -> native::UpdateStatusInput {
        native::UpdateStatusInput {
            game_id: input.game_id,
            expected_from: status(input.expected_from),
            to: status(input.to),
            now: timestamp(input.now),
            engine_health_summary: input.engine_health_summary,
            current_image_ref: input.current_image_ref,
            current_engine_version: input.current_engine_version,
        }
    }
}
