//! The orders of list results and the check of a backend's page against them.
//!
//! A backend serves each page from an index in the order its filter names; the rules do
//! not trust it: a record out of order, not after the cursor, not matching the filter or
//! beyond the limit makes the page a `failed` backend error, so neither a backend's
//! collation nor a bug in its query ever shows as a wrong list. Game ids compare by bytes.

use core::cmp::Ordering;

use runtime_store_vocabulary::page::SCAN_OUT_OF_ORDER;

use crate::time;
use crate::types::{BackendError, RuntimeRecord, ScanFilter, ScanKey, Status, Timestamp};

/// The order a list follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// `list` and `list-by-status`: `created-at` descending, then game id ascending.
    NewestFirst,
    /// `list-due-running`: `next-generation-at` ascending, then game id ascending.
    DueFirst,
}

/// A record's position in a [`ListOrder`], borrowing its game id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position<'a> {
    /// `created-at` or `next-generation-at`, by the order.
    pub at: Timestamp,
    /// The game id, which breaks every tie: no two stored records share a position.
    pub game_id: &'a str,
}

impl<'a> Position<'a> {
    /// The position a [`ScanKey`] names.
    pub fn of_key(key: &'a ScanKey) -> Self {
        Position {
            at: key.at,
            game_id: &key.game_id,
        }
    }

    /// The key a backend is handed to start after this position.
    pub fn to_key(self) -> ScanKey {
        ScanKey {
            at: self.at,
            game_id: self.game_id.to_owned(),
        }
    }
}

impl ListOrder {
    /// The order of the records a filter selects.
    pub fn of(filter: ScanFilter) -> Self {
        match filter {
            ScanFilter::All | ScanFilter::ByStatus(_) => ListOrder::NewestFirst,
            ScanFilter::DueRunning(_) => ListOrder::DueFirst,
        }
    }

    /// Where `record` stands in this order. A record without `next-generation-at` (which
    /// no due filter selects) stands at the epoch.
    pub fn position(self, record: &RuntimeRecord) -> Position<'_> {
        let at = match self {
            ListOrder::NewestFirst => record.created_at,
            ListOrder::DueFirst => record.next_generation_at.unwrap_or(Timestamp {
                seconds: 0,
                nanoseconds: 0,
            }),
        };
        Position {
            at,
            game_id: &record.game_id,
        }
    }

    /// How two positions compare in this order.
    pub fn compare(self, a: Position<'_>, b: Position<'_>) -> Ordering {
        let by_time = match self {
            ListOrder::NewestFirst => time::compare(b.at, a.at),
            ListOrder::DueFirst => time::compare(a.at, b.at),
        };
        by_time.then_with(|| a.game_id.as_bytes().cmp(b.game_id.as_bytes()))
    }

    /// Sorts `records` into this order (for storages without an index, such as the native
    /// [`MemoryStorage`](crate::memory::MemoryStorage)).
    pub fn sort(self, records: &mut [RuntimeRecord]) {
        records.sort_unstable_by(|a, b| self.compare(self.position(a), self.position(b)));
    }
}

/// Whether `filter` selects `record`.
pub fn matches(filter: ScanFilter, record: &RuntimeRecord) -> bool {
    match filter {
        ScanFilter::All => true,
        ScanFilter::ByStatus(status) => record.status == status,
        ScanFilter::DueRunning(now) => {
            record.status == Status::Running
                && record
                    .next_generation_at
                    .is_some_and(|due| time::compare(due, now).is_le())
        }
    }
}

/// Checks a backend's answer to `scan(filter, after, asked)`: at most `asked` records, each
/// selected by the filter and strictly after the one before it (the first after `after`).
pub fn check_page(
    filter: ScanFilter,
    after: Option<&ScanKey>,
    asked: u32,
    records: &[RuntimeRecord],
) -> Result<(), BackendError> {
    let order = ListOrder::of(filter);
    let within_limit = u32::try_from(records.len()).is_ok_and(|count| count <= asked);
    let mut previous = after.map(Position::of_key);
    let in_order = records.iter().all(|record| {
        let position = order.position(record);
        let follows = previous.is_none_or(|before| order.compare(before, position).is_lt());
        previous = Some(position);
        follows && matches(filter, record)
    });
    if within_limit && in_order {
        Ok(())
    } else {
        Err(BackendError::Failed(SCAN_OUT_OF_ORDER.to_owned()))
    }
}
