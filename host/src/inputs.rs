//! The inputs of the update operations, field for field the WIT records.

use runtime_store_backend::{Status, Timestamp};

/// The input of [`crate::RuntimeStore::update_status`]: one transition under a
/// compare-and-swap guard on the stored status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "kebab-case", deny_unknown_fields)
)]
pub struct UpdateStatusInput {
    /// The game whose record changes.
    pub game_id: String,
    /// The status the caller believes is stored; a mismatch is a conflict.
    pub expected_from: Status,
    /// The new status.
    pub to: Status,
    /// Wall clock used for `updated_at` and the lifecycle stamps.
    pub now: Timestamp,
    /// New engine health; `None` leaves it unchanged.
    pub engine_health_summary: Option<String>,
    /// New image reference; `None` leaves it unchanged.
    pub current_image_ref: Option<String>,
    /// New engine version; `None` leaves it unchanged.
    pub current_engine_version: Option<String>,
}

/// The input of [`crate::RuntimeStore::update_scheduling`]: the scheduling columns,
/// written together in any status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "kebab-case", deny_unknown_fields)
)]
pub struct UpdateSchedulingInput {
    /// The game whose record changes.
    pub game_id: String,
    /// When the next turn is due; `None` clears the scheduled tick.
    pub next_generation_at: Option<Timestamp>,
    /// Whether the next tick is skipped.
    pub skip_next_tick: bool,
    /// The current turn number.
    pub current_turn: u32,
    /// Wall clock used for `updated_at`.
    pub now: Timestamp,
}

/// The input of [`crate::RuntimeStore::update_image`]: a new engine image under a
/// compare-and-swap guard on the stored status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "kebab-case", deny_unknown_fields)
)]
pub struct UpdateImageInput {
    /// The game whose record changes.
    pub game_id: String,
    /// The status the caller believes is stored; a mismatch is a conflict.
    pub expected_status: Status,
    /// The new image reference.
    pub current_image_ref: String,
    /// The new engine version.
    pub current_engine_version: String,
    /// Wall clock used for `updated_at`.
    pub now: Timestamp,
}

/// The input of [`crate::RuntimeStore::update_engine_health`]: a new health summary,
/// applied in any status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "kebab-case", deny_unknown_fields)
)]
pub struct UpdateEngineHealthInput {
    /// The game whose record changes.
    pub game_id: String,
    /// The new engine health summary.
    pub engine_health_summary: String,
    /// Wall clock used for `updated_at`.
    pub now: Timestamp,
}
