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

/// A caller's value as it crosses into the guest: a copy, except that a string too long
/// for any of the rules' limits goes as its stand-in (`runtime_store_vocabulary::stand_in`),
/// so the rules give it their over-long answer and it never has to fit in guest memory.
trait Handover: Clone {
    fn handover(&self) -> Self {
        self.clone()
    }
}

impl Handover for String {
    fn handover(&self) -> Self {
        runtime_store_vocabulary::stand_in(self).unwrap_or_else(|| self.clone())
    }
}

impl<T: Handover> Handover for Option<T> {
    fn handover(&self) -> Self {
        self.as_ref().map(Handover::handover)
    }
}

impl Handover for plain::Status {}
impl Handover for plain::Timestamp {}
impl Handover for bool {}
impl Handover for u32 {}

/// A game id as it crosses into the guest (see [`Handover`]).
pub(crate) fn handed_over(game_id: &str) -> std::borrow::Cow<'_, str> {
    runtime_store_vocabulary::stand_in(game_id)
        .map_or(std::borrow::Cow::Borrowed(game_id), Into::into)
}

/// `From` impls between a WIT type and its plain twin of the same shape: the one
/// mechanism for every conversion of this crate.
///
/// `A, B` gives both directions, `A => B` one; `&From => To` converts from a reference (cloning
/// each field). Records list their fields; each converts with `Into`, and those after
/// `optional` (options) element-wise. Enums list their unit variants, then after `;` the
/// variants carrying one value (`Variant(_)`), which converts with `Into`.
macro_rules! convert {
    (record $a:path, $b:path { $($field:ident),* $(; optional $($optional:ident),*)? }) => {
        convert!(record $a => $b { $($field),* $(; optional $($optional),*)? });
        convert!(record $b => $a { $($field),* $(; optional $($optional),*)? });
    };
    (record $from:path => $to:path { $($field:ident),* $(; optional $($optional:ident),*)? }) => {
        impl From<$from> for $to {
            fn from(value: $from) -> Self {
                Self {
                    $($field: value.$field.into(),)*
                    $($($optional: value.$optional.map(Into::into),)*)?
                }
            }
        }
    };
    (record &$from:path => $to:path { $($field:ident),* $(; optional $($optional:ident),*)? }) => {
        impl From<&$from> for $to {
            fn from(value: &$from) -> Self {
                Self {
                    $($field: value.$field.handover().into(),)*
                    $($($optional: value.$optional.handover().map(Into::into),)*)?
                }
            }
        }
    };
    (enum $a:path, $b:path { $($unit:ident),* $(; $($carrying:ident(_)),*)? }) => {
        convert!(enum $a => $b { $($unit),* $(; $($carrying(_)),*)? });
        convert!(enum $b => $a { $($unit),* $(; $($carrying(_)),*)? });
    };
    (enum $from:path => $to:path { $($unit:ident),* $(; $($carrying:ident(_)),*)? }) => {
        impl From<$from> for $to {
            fn from(value: $from) -> Self {
                type Source = $from;
                match value {
                    $(Source::$unit => Self::$unit,)*
                    $($(Source::$carrying(inner) => Self::$carrying(inner.into()),)*)?
                }
            }
        }
    };
}

convert!(record plain::Timestamp, wit::Timestamp { seconds, nanoseconds });

convert!(enum plain::Status, wit::Status {
    Starting,
    Running,
    GenerationInProgress,
    GenerationFailed,
    EngineUnreachable,
    Stopped,
    Finished
});

convert!(record plain::RuntimeRecord, wit::RuntimeRecord {
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

convert!(enum plain::BackendError, wit::BackendError { ; Unavailable(_), Corrupt(_), Failed(_) });

convert!(record &plain::RuntimeRecord => wit::RuntimeRecord {
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

convert!(record &UpdateStatusInput => wit::UpdateStatusInput {
    game_id,
    expected_from,
    to,
    now,
    engine_health_summary,
    current_image_ref,
    current_engine_version
});

convert!(record &UpdateSchedulingInput => wit::UpdateSchedulingInput {
    game_id,
    skip_next_tick,
    current_turn,
    now;
    optional next_generation_at
});

convert!(record &UpdateImageInput => wit::UpdateImageInput {
    game_id,
    expected_status,
    current_image_ref,
    current_engine_version,
    now
});

convert!(record &UpdateEngineHealthInput => wit::UpdateEngineHealthInput {
    game_id,
    engine_health_summary,
    now
});

convert!(enum plain::InsertOutcome => wit_backend::InsertOutcome { Inserted, AlreadyExists });

convert!(enum plain::PatchOutcome => wit_backend::PatchOutcome { Applied, NotFound; StatusMismatch(_) });

convert!(record wit_backend::StatusChange => plain::StatusChange {
    to;
    optional started_at, stopped_at, finished_at
});

convert!(record wit_backend::Scheduling => plain::Scheduling {
    skip_next_tick,
    current_turn;
    optional next_generation_at
});

convert!(record wit_backend::RecordPatch => plain::RecordPatch {
    current_image_ref,
    current_engine_version,
    engine_health,
    updated_at;
    optional status, scheduling
});

convert!(enum wit_backend::ScanFilter => plain::ScanFilter { All; ByStatus(_), DueRunning(_) });

convert!(record wit_backend::ScanKey => plain::ScanKey { at, game_id });
