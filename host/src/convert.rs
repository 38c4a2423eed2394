//! Conversions between the types `bindgen!` generates from the WIT and the plain types of
//! `runtime-store-backend` and this crate. The only place that knows both.

use runtime_store_backend as plain;

use crate::bindings::galaxy::gamemaster::{backend as wit_backend, types as wit};
use crate::error::StoreError;
use crate::inputs::{
    UpdateEngineHealthInput, UpdateImageInput, UpdateSchedulingInput, UpdateStatusInput,
};
use crate::sandbox::Call;

impl Call<'_> {
    /// The [`StoreError`] for an error the guest returned.
    pub(crate) fn store_error(self, error: wit::StoreError) -> StoreError {
        let operation = self.operation;
        let game_id = || self.game_id.unwrap_or_default().to_owned();
        match error {
            wit::StoreError::NotFound => StoreError::NotFound {
                operation,
                game_id: game_id(),
            },
            wit::StoreError::Conflict => StoreError::Conflict {
                operation,
                game_id: game_id(),
            },
            wit::StoreError::InvalidTransition(message) => StoreError::InvalidTransition(message),
            wit::StoreError::InvalidInput(message) => StoreError::InvalidInput(message),
            wit::StoreError::Backend(source) => StoreError::Backend {
                operation,
                game_id: self.game_id.map(str::to_owned),
                source: source.into(),
            },
        }
    }
}

/// `From` both ways between a WIT type and its plain twin of the same shape.
///
/// Records: the fields are listed; each converts with `Into`, and those after `optional`
/// (options) element-wise. Enums: either every variant is a unit, or every variant
/// carries one value (`Variant(_)`), which converts with `Into`.
macro_rules! mirror {
    (record $a:path, $b:path { $($field:ident),* $(; optional $($optional:ident),*)? }) => {
        mirror!(@record $a => $b { $($field),* ; $($($optional),*)? });
        mirror!(@record $b => $a { $($field),* ; $($($optional),*)? });
    };
    (@record $from:path => $to:path { $($field:ident),* ; $($optional:ident),* }) => {
        impl From<$from> for $to {
            fn from(value: $from) -> Self {
                Self {
                    $($field: value.$field.into(),)*
                    $($optional: value.$optional.map(Into::into),)*
                }
            }
        }
    };
    (enum $a:path, $b:path { $($carrying:ident(_)),* }) => {
        mirror!(@enum $a => $b { ; $($carrying),* });
        mirror!(@enum $b => $a { ; $($carrying),* });
    };
    (enum $a:path, $b:path { $($unit:ident),* }) => {
        mirror!(@enum $a => $b { $($unit),* ; });
        mirror!(@enum $b => $a { $($unit),* ; });
    };
    (@enum $from:path => $to:path { $($unit:ident),* ; $($carrying:ident),* }) => {
        impl From<$from> for $to {
            fn from(value: $from) -> Self {
                type Source = $from;
                match value {
                    $(Source::$unit => Self::$unit,)*
                    $(Source::$carrying(inner) => Self::$carrying(inner.into()),)*
                }
            }
        }
    };
}

mirror!(record plain::Timestamp, wit::Timestamp { seconds, nanoseconds });

mirror!(enum plain::Status, wit::Status {
    Starting,
    Running,
    GenerationInProgress,
    GenerationFailed,
    EngineUnreachable,
    Stopped,
    Finished
});

mirror!(record plain::RuntimeRecord, wit::RuntimeRecord {
    game_id,
    status,
    engine_endpoint,
    current_image_ref,
    current_engine_version,
    engine_health,
    current_turn,
    skip_next_tick,
    created_at,
    updated_at;
    optional next_generation_at, started_at, stopped_at, finished_at
});

mirror!(enum plain::BackendError, wit::BackendError { Unavailable(_), Corrupt(_), Failed(_) });

impl From<&UpdateStatusInput> for wit::UpdateStatusInput {
    fn from(input: &UpdateStatusInput) -> Self {
        wit::UpdateStatusInput {
            game_id: input.game_id.clone(),
            expected_from: input.expected_from.into(),
            to: input.to.into(),
            now: input.now.into(),
            engine_health_summary: input.engine_health_summary.clone(),
            current_image_ref: input.current_image_ref.clone(),
            current_engine_version: input.current_engine_version.clone(),
        }
    }
}

impl From<&UpdateSchedulingInput> for wit::UpdateSchedulingInput {
    fn from(input: &UpdateSchedulingInput) -> Self {
        wit::UpdateSchedulingInput {
            game_id: input.game_id.clone(),
            next_generation_at: input.next_generation_at.map(Into::into),
            skip_next_tick: input.skip_next_tick,
            current_turn: input.current_turn,
            now: input.now.into(),
        }
    }
}

impl From<&UpdateImageInput> for wit::UpdateImageInput {
    fn from(input: &UpdateImageInput) -> Self {
        wit::UpdateImageInput {
            game_id: input.game_id.clone(),
            expected_status: input.expected_status.into(),
            current_image_ref: input.current_image_ref.clone(),
            current_engine_version: input.current_engine_version.clone(),
            now: input.now.into(),
        }
    }
}

impl From<&UpdateEngineHealthInput> for wit::UpdateEngineHealthInput {
    fn from(input: &UpdateEngineHealthInput) -> Self {
        wit::UpdateEngineHealthInput {
            game_id: input.game_id.clone(),
            engine_health_summary: input.engine_health_summary.clone(),
            now: input.now.into(),
        }
    }
}

impl From<plain::InsertOutcome> for wit_backend::InsertOutcome {
    fn from(outcome: plain::InsertOutcome) -> Self {
        match outcome {
            plain::InsertOutcome::Inserted => wit_backend::InsertOutcome::Inserted,
            plain::InsertOutcome::AlreadyExists => wit_backend::InsertOutcome::AlreadyExists,
        }
    }
}

impl From<plain::PatchOutcome> for wit_backend::PatchOutcome {
    fn from(outcome: plain::PatchOutcome) -> Self {
        match outcome {
            plain::PatchOutcome::Applied => wit_backend::PatchOutcome::Applied,
            plain::PatchOutcome::NotFound => wit_backend::PatchOutcome::NotFound,
            plain::PatchOutcome::StatusMismatch(stored) => {
                wit_backend::PatchOutcome::StatusMismatch(stored.into())
            }
        }
    }
}

impl From<wit_backend::StatusChange> for plain::StatusChange {
    fn from(change: wit_backend::StatusChange) -> Self {
        plain::StatusChange {
            to: change.to.into(),
            started_at: change.started_at.map(Into::into),
            stopped_at: change.stopped_at.map(Into::into),
            finished_at: change.finished_at.map(Into::into),
        }
    }
}

impl From<wit_backend::Scheduling> for plain::Scheduling {
    fn from(scheduling: wit_backend::Scheduling) -> Self {
        plain::Scheduling {
            next_generation_at: scheduling.next_generation_at.map(Into::into),
            skip_next_tick: scheduling.skip_next_tick,
            current_turn: scheduling.current_turn,
        }
    }
}

impl From<wit_backend::RecordPatch> for plain::RecordPatch {
    fn from(patch: wit_backend::RecordPatch) -> Self {
        plain::RecordPatch {
            status: patch.status.map(Into::into),
            scheduling: patch.scheduling.map(Into::into),
            current_image_ref: patch.current_image_ref,
            current_engine_version: patch.current_engine_version,
            engine_health: patch.engine_health,
            updated_at: patch.updated_at.into(),
        }
    }
}

impl From<wit_backend::ScanFilter> for plain::ScanFilter {
    fn from(filter: wit_backend::ScanFilter) -> Self {
        match filter {
            wit_backend::ScanFilter::All => plain::ScanFilter::All,
            wit_backend::ScanFilter::ByStatus(status) => plain::ScanFilter::ByStatus(status.into()),
            wit_backend::ScanFilter::DueRunning(now) => plain::ScanFilter::DueRunning(now.into()),
        }
    }
}
