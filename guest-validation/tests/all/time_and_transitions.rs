//! contract §2.1 (zero, valid, truncation) and §2.3 (the transition table).

use crate::common::at;
use runtime_store_rules::time::{
    self, MAX_SECONDS, MIN_SECONDS, is_valid, is_zero, truncate_to_micros,
};
use runtime_store_rules::transitions::{
    ALL_STATUSES, allowed_transitions, forbidden_message, is_allowed, stored_text, transition,
};
use runtime_store_rules::types::{Status, StoreError};

#[test]
fn zero_is_what_truncates_to_the_epoch() {
    assert!(is_zero(at(0, 0)));
    assert!(is_zero(at(0, 999)));
    assert!(!is_zero(at(0, 1_000)));
    assert!(!is_zero(at(1, 0)));
    assert!(!is_zero(at(-1, 999_999_999)));
    // Go's zero instant (year 1) is an ordinary value here.
    assert!(!is_zero(at(MIN_SECONDS, 0)));
}

#[test]
fn valid_is_years_1_to_9999_with_a_sub_second_part() {
    assert!(is_valid(at(0, 0)));
    assert!(is_valid(at(0, 999_999_999)));
    assert!(!is_valid(at(0, 1_000_000_000)));
    assert!(!is_valid(at(0, u32::MAX)));
    assert!(is_valid(at(MIN_SECONDS, 0)));
    assert!(!is_valid(at(MIN_SECONDS - 1, 999_999_999)));
    assert!(is_valid(at(MAX_SECONDS, 999_999_999)));
    assert!(!is_valid(at(MAX_SECONDS + 1, 0)));
    assert!(!is_valid(at(i64::MIN, 0)));
    assert!(!is_valid(at(i64::MAX, 0)));
}

#[test]
fn truncation_drops_the_sub_microsecond_part_only() {
    assert_eq!(truncate_to_micros(at(5, 123_456_789)), at(5, 123_456_000));
    assert_eq!(truncate_to_micros(at(-5, 999)), at(-5, 0));
    assert_eq!(truncate_to_micros(at(0, 1_000)), at(0, 1_000));
    assert_eq!(
        truncate_to_micros(at(MAX_SECONDS, 999_999_999)),
        at(MAX_SECONDS, 999_999_000)
    );
    assert_eq!(time::truncate_optional(None), None);
    assert_eq!(
        time::truncate_optional(Some(at(1, 1_999))),
        Some(at(1, 1_000))
    );
}

#[test]
fn compare_orders_by_seconds_then_nanoseconds() {
    use std::cmp::Ordering::{Equal, Greater, Less};
    assert_eq!(time::compare(at(1, 0), at(0, 999_999_999)), Greater);
    assert_eq!(time::compare(at(-1, 5), at(-1, 6)), Less);
    assert_eq!(time::compare(at(7, 7), at(7, 7)), Equal);
}

#[test]
fn stored_texts_match_the_spec() {
    let texts: Vec<&str> = ALL_STATUSES.iter().map(|&s| stored_text(s)).collect();
    assert_eq!(
        texts,
        [
            "starting",
            "running",
            "generation_in_progress",
            "generation_failed",
            "engine_unreachable",
            "stopped",
            "finished"
        ]
    );
}

/// The contract §2.3 table, written out independently of the implementation.
fn spec_table(from: Status) -> Vec<Status> {
    use Status::*;
    match from {
        Starting => vec![Running, Stopped],
        Running => vec![GenerationInProgress, EngineUnreachable, Stopped, Finished],
        GenerationInProgress => vec![Running, GenerationFailed, EngineUnreachable, Finished],
        GenerationFailed => vec![Running, Stopped, Finished],
        EngineUnreachable => vec![Running, Stopped],
        Stopped => vec![Starting, Finished],
        Finished => vec![],
    }
}

#[test]
fn all_49_pairs_follow_the_table() {
    let mut allowed_pairs = 0;
    for from in ALL_STATUSES {
        for to in ALL_STATUSES {
            let expected_allowed = spec_table(from).contains(&to);
            assert_eq!(is_allowed(from, to), expected_allowed, "{from:?} -> {to:?}");
            let expected = if expected_allowed {
                Ok(())
            } else {
                Err(StoreError::InvalidTransition(format!(
                    "runtime status transition from \"{}\" to \"{}\" is not allowed",
                    stored_text(from),
                    stored_text(to)
                )))
            };
            assert_eq!(transition(from, to), expected);
            allowed_pairs += usize::from(expected_allowed);
        }
    }
    assert_eq!(allowed_pairs, 17);
}

#[test]
fn allowed_transitions_are_in_declaration_order() {
    for from in ALL_STATUSES {
        assert_eq!(allowed_transitions(from), spec_table(from).as_slice());
        let declaration_order: Vec<Status> = ALL_STATUSES
            .into_iter()
            .filter(|&to| is_allowed(from, to))
            .collect();
        assert_eq!(allowed_transitions(from), declaration_order.as_slice());
    }
    assert!(allowed_transitions(Status::Finished).is_empty());
}

#[test]
fn no_status_may_follow_itself() {
    for status in ALL_STATUSES {
        assert!(!is_allowed(status, status));
    }
    assert_eq!(
        forbidden_message(Status::EngineUnreachable, Status::EngineUnreachable),
        "runtime status transition from \"engine_unreachable\" to \"engine_unreachable\" is not allowed"
    );
}
