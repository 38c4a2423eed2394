//! The status state machine and the stored texts of statuses.

use crate::types::{Status, StoreError};

/// Every status, in WIT declaration order.
pub const ALL_STATUSES: [Status; 7] = [
    Status::Starting,
    Status::Running,
    Status::GenerationInProgress,
    Status::GenerationFailed,
    Status::EngineUnreachable,
    Status::Stopped,
    Status::Finished,
];

/// The text adapters persist and messages quote (`generation_in_progress`, ...), from the
/// store's vocabulary: the WIT discriminant indexes its list of statuses.
pub fn stored_text(status: Status) -> &'static str {
    runtime_store_vocabulary::Status::ALL[status as usize].stored_text()
}

/// The statuses that may follow `from`, in declaration order; empty for `finished`.
pub fn allowed_transitions(from: Status) -> &'static [Status] {
    match from {
        Status::Starting => &[Status::Running, Status::Stopped],
        Status::Running => &[
            Status::GenerationInProgress,
            Status::EngineUnreachable,
            Status::Stopped,
            Status::Finished,
        ],
        Status::GenerationInProgress => &[
            Status::Running,
            Status::GenerationFailed,
            Status::EngineUnreachable,
            Status::Finished,
        ],
        Status::GenerationFailed => &[Status::Running, Status::Stopped, Status::Finished],
        Status::EngineUnreachable => &[Status::Running, Status::Stopped],
        Status::Stopped => &[Status::Starting, Status::Finished],
        Status::Finished => &[],
    }
}

/// Whether `to` may follow `from`.
pub fn is_allowed(from: Status, to: Status) -> bool {
    allowed_transitions(from).contains(&to)
}

/// The message of a forbidden transition, without an operation prefix.
pub fn forbidden_message(from: Status, to: Status) -> String {
    format!(
        "runtime status transition from \"{}\" to \"{}\" is not allowed",
        stored_text(from),
        stored_text(to)
    )
}

/// Ok when `to` may follow `from`; otherwise `invalid-transition` with the unprefixed message.
pub fn transition(from: Status, to: Status) -> Result<(), StoreError> {
    if is_allowed(from, to) {
        Ok(())
    } else {
        Err(StoreError::InvalidTransition(forbidden_message(from, to)))
    }
}
