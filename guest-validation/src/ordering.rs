//! The orders of list results. The guest sorts whatever the backend returns, so neither a
//! backend's scan order nor its collation ever shows; game ids compare by bytes.

use core::cmp::Ordering;

use crate::time;
use crate::types::{RuntimeRecord, Timestamp};

/// How two records compare in one list order.
type RecordOrder = fn(&RuntimeRecord, &RuntimeRecord) -> Ordering;

/// `list-due-running` order: `next-generation-at` ascending (none first), then game id ascending.
pub fn sort_due_first(records: &mut [RuntimeRecord]) {
    sort(records, |a, b| {
        compare_optional(a.next_generation_at, b.next_generation_at)
            .then_with(|| compare_game_ids(a, b))
    });
}

/// `list` and `list-by-status` order: `created-at` descending, then game id ascending.
pub fn sort_newest_first(records: &mut [RuntimeRecord]) {
    sort(records, |a, b| {
        time::compare(b.created_at, a.created_at).then_with(|| compare_game_ids(a, b))
    });
}

/// Both orders end with the game id, the primary key, so no two stored records tie and an
/// unstable sort gives the one possible answer. Taking the order as a function pointer
/// keeps a single copy of the sort in the component.
fn sort(records: &mut [RuntimeRecord], order: RecordOrder) {
    records.sort_unstable_by(order);
}

fn compare_optional(a: Option<Timestamp>, b: Option<Timestamp>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => time::compare(a, b),
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
    }
}

fn compare_game_ids(a: &RuntimeRecord, b: &RuntimeRecord) -> Ordering {
    a.game_id.as_bytes().cmp(b.game_id.as_bytes())
}
