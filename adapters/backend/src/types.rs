//! Plain record types, field for field those of `wit/gamemaster.wit`.

use std::cmp::Reverse;

/// An instant in UTC: seconds since the Unix epoch and a nanosecond part.
///
/// Ordered by `seconds`, then `nanoseconds`. Whether a value is valid or "zero" is a rule
/// and lives in the rules component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before it).
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nanoseconds: u32,
}

pub use runtime_store_vocabulary::{Status, UnknownStatus};

/// One game's runtime record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "kebab-case", deny_unknown_fields)
)]
pub struct RuntimeRecord {
    /// Primary key.
    pub game_id: String,
    /// Lifecycle status.
    pub status: Status,
    /// Where the engine container answers.
    pub engine_endpoint: String,
    /// Engine image reference.
    pub current_image_ref: String,
    /// Engine version.
    pub current_engine_version: String,
    /// Free-form health summary; may be empty.
    pub engine_health: String,
    /// The current turn number.
    pub current_turn: u32,
    /// When the next turn is due; `None` when no tick is scheduled.
    pub next_generation_at: Option<Timestamp>,
    /// Whether the next tick is skipped.
    pub skip_next_tick: bool,
    /// When the record was created.
    pub created_at: Timestamp,
    /// When the record last changed.
    pub updated_at: Timestamp,
    /// When the runtime first went from starting to running.
    pub started_at: Option<Timestamp>,
    /// When the runtime was last stopped.
    pub stopped_at: Option<Timestamp>,
    /// When the game finished.
    pub finished_at: Option<Timestamp>,
}

/// The outcome of [`crate::Backend::insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The record was stored.
    Inserted,
    /// A record with the same game id exists; nothing was written.
    AlreadyExists,
}

/// A new status and the lifecycle stamps written with it; `None` leaves a stamp alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    /// The new status.
    pub to: Status,
    /// New `started_at`, if it changes.
    pub started_at: Option<Timestamp>,
    /// New `stopped_at`, if it changes.
    pub stopped_at: Option<Timestamp>,
    /// New `finished_at`, if it changes.
    pub finished_at: Option<Timestamp>,
}

/// The scheduling columns, always written together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduling {
    /// New `next_generation_at`; `None` stores "no tick scheduled".
    pub next_generation_at: Option<Timestamp>,
    /// New `skip_next_tick`.
    pub skip_next_tick: bool,
    /// New `current_turn`.
    pub current_turn: u32,
}

/// Column changes applied together by [`crate::Backend::patch`]; `None` leaves a column
/// alone. `updated_at` is always written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPatch {
    /// New status and stamps.
    pub status: Option<StatusChange>,
    /// New scheduling columns.
    pub scheduling: Option<Scheduling>,
    /// New `current_image_ref`.
    pub current_image_ref: Option<String>,
    /// New `current_engine_version`.
    pub current_engine_version: Option<String>,
    /// New `engine_health`.
    pub engine_health: Option<String>,
    /// New `updated_at`.
    pub updated_at: Timestamp,
}

impl RecordPatch {
    /// Writes every change of the patch into `record`. Adapters that hold records in
    /// memory use it so the column list lives in one place.
    pub fn apply_to(&self, record: &mut RuntimeRecord) {
        if let Some(change) = self.status {
            record.status = change.to;
            for (stamp, new) in [
                (&mut record.started_at, change.started_at),
                (&mut record.stopped_at, change.stopped_at),
                (&mut record.finished_at, change.finished_at),
            ] {
                if new.is_some() {
                    *stamp = new;
                }
            }
        }
        if let Some(scheduling) = self.scheduling {
            record.next_generation_at = scheduling.next_generation_at;
            record.skip_next_tick = scheduling.skip_next_tick;
            record.current_turn = scheduling.current_turn;
        }
        for (column, new) in [
            (&mut record.current_image_ref, &self.current_image_ref),
            (
                &mut record.current_engine_version,
                &self.current_engine_version,
            ),
            (&mut record.engine_health, &self.engine_health),
        ] {
            if let Some(value) = new {
                column.clone_from(value);
            }
        }
        record.updated_at = self.updated_at;
    }
}

/// The outcome of [`crate::Backend::patch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOutcome {
    /// Every change was written.
    Applied,
    /// No record has the game id; nothing was written.
    NotFound,
    /// The stored status (carried) differs from the expected one; nothing was written.
    StatusMismatch(Status),
}

/// Which records [`crate::Backend::scan`] returns, and in which order:
/// [`ScanFilter::All`] and [`ScanFilter::ByStatus`] newest first (`created_at` descending,
/// then game id ascending), [`ScanFilter::DueRunning`] soonest first (`next_generation_at`
/// ascending, then game id ascending). Game ids compare by their UTF-8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFilter {
    /// Every record.
    All,
    /// Records whose status is the one given.
    ByStatus(Status),
    /// Running records whose `next_generation_at` is set and not after the instant.
    DueRunning(Timestamp),
}

/// A position in a filter's order (WIT `scan-key`): a page starts strictly after it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScanKey {
    /// `created_at` under [`ScanFilter::All`] and [`ScanFilter::ByStatus`],
    /// `next_generation_at` under [`ScanFilter::DueRunning`].
    pub at: Timestamp,
    /// The game id, which breaks every tie.
    pub game_id: String,
}

/// Where a record stands in a filter's order, as a value whose ascending [`Ord`] is that
/// order: what an in-memory adapter keeps in an ordered index. Positions of one filter
/// are always the same variant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ListPosition {
    /// `created_at` descending, then game id ascending.
    NewestFirst(Reverse<Timestamp>, String),
    /// `next_generation_at` ascending, then game id ascending.
    DueFirst(Timestamp, String),
}

impl ScanFilter {
    /// Whether `record` matches the filter. In-memory adapters filter with it; database
    /// adapters express the same predicate in their query.
    pub fn matches(&self, record: &RuntimeRecord) -> bool {
        match *self {
            ScanFilter::All => true,
            ScanFilter::ByStatus(status) => record.status == status,
            ScanFilter::DueRunning(now) => {
                record.status == Status::Running
                    && record.next_generation_at.is_some_and(|due| due <= now)
            }
        }
    }

    /// The position `key` names in this filter's order.
    pub fn position_of_key(&self, key: &ScanKey) -> ListPosition {
        match self {
            ScanFilter::All | ScanFilter::ByStatus(_) => {
                ListPosition::NewestFirst(Reverse(key.at), key.game_id.clone())
            }
            ScanFilter::DueRunning(_) => ListPosition::DueFirst(key.at, key.game_id.clone()),
        }
    }

    /// Where `record` stands in this filter's order; a record without
    /// `next_generation_at` (which [`ScanFilter::DueRunning`] never selects) stands first.
    pub fn position(&self, record: &RuntimeRecord) -> ListPosition {
        let at = match self {
            ScanFilter::All | ScanFilter::ByStatus(_) => record.created_at,
            ScanFilter::DueRunning(_) => record.next_generation_at.unwrap_or_default(),
        };
        self.position_of_key(&ScanKey {
            at,
            game_id: record.game_id.clone(),
        })
    }

    /// A page served by filtering and sorting `records`: for stores without an index
    /// (test doubles, examples). An adapter over many records reads an ordered index.
    pub fn page_of<'a>(
        &self,
        records: impl IntoIterator<Item = &'a RuntimeRecord>,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Vec<RuntimeRecord> {
        let start = after.map(|key| self.position_of_key(key));
        let mut page: Vec<(ListPosition, &RuntimeRecord)> = records
            .into_iter()
            .filter(|record| self.matches(record))
            .map(|record| (self.position(record), record))
            .filter(|(position, _)| start.as_ref().is_none_or(|start| position > start))
            .collect();
        page.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        page.into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(_, record)| record.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RuntimeRecord {
        RuntimeRecord {
            game_id: "g".into(),
            status: Status::Starting,
            engine_endpoint: "http://engine".into(),
            current_image_ref: "img:1".into(),
            current_engine_version: "1".into(),
            engine_health: String::new(),
            current_turn: 0,
            next_generation_at: None,
            skip_next_tick: false,
            created_at: Timestamp {
                seconds: 10,
                nanoseconds: 0,
            },
            updated_at: Timestamp {
                seconds: 10,
                nanoseconds: 0,
            },
            started_at: None,
            stopped_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn patch_leaves_absent_columns_and_stamps_alone() {
        let mut stored = record();
        stored.stopped_at = Some(Timestamp {
            seconds: 5,
            nanoseconds: 0,
        });
        let at = Timestamp {
            seconds: 20,
            nanoseconds: 1000,
        };
        RecordPatch {
            status: Some(StatusChange {
                to: Status::Running,
                started_at: Some(at),
                stopped_at: None,
                finished_at: None,
            }),
            scheduling: None,
            current_image_ref: None,
            current_engine_version: Some("2".into()),
            engine_health: None,
            updated_at: at,
        }
        .apply_to(&mut stored);
        assert_eq!(stored.status, Status::Running);
        assert_eq!(stored.started_at, Some(at));
        assert_eq!(
            stored.stopped_at,
            Some(Timestamp {
                seconds: 5,
                nanoseconds: 0
            })
        );
        assert_eq!(stored.current_image_ref, "img:1");
        assert_eq!(stored.current_engine_version, "2");
        assert_eq!(stored.updated_at, at);
    }

    #[test]
    fn scheduling_none_clears_the_tick() {
        let mut stored = record();
        stored.next_generation_at = Some(Timestamp {
            seconds: 1,
            nanoseconds: 0,
        });
        RecordPatch {
            status: None,
            scheduling: Some(Scheduling {
                next_generation_at: None,
                skip_next_tick: true,
                current_turn: 7,
            }),
            current_image_ref: None,
            current_engine_version: None,
            engine_health: None,
            updated_at: Timestamp {
                seconds: 11,
                nanoseconds: 0,
            },
        }
        .apply_to(&mut stored);
        assert_eq!(stored.next_generation_at, None);
        assert!(stored.skip_next_tick);
        assert_eq!(stored.current_turn, 7);
    }

    #[test]
    fn due_running_is_inclusive_and_needs_running_and_a_tick() {
        let now = Timestamp {
            seconds: 100,
            nanoseconds: 0,
        };
        let mut due = record();
        due.status = Status::Running;
        due.next_generation_at = Some(now);
        assert!(ScanFilter::DueRunning(now).matches(&due));
        due.next_generation_at = Some(Timestamp {
            seconds: 100,
            nanoseconds: 1000,
        });
        assert!(!ScanFilter::DueRunning(now).matches(&due));
        due.next_generation_at = None;
        assert!(!ScanFilter::DueRunning(now).matches(&due));
        due.next_generation_at = Some(now);
        due.status = Status::Stopped;
        assert!(!ScanFilter::DueRunning(now).matches(&due));
        assert!(ScanFilter::ByStatus(Status::Stopped).matches(&due));
    }
}
