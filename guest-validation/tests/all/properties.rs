//! Properties over arbitrary input: no operation panics, every answer is typed, a failed
//! validation never touches storage and is exactly what the matching `validate-*` says;
//! truncation is idempotent and never increases a value; lists come back sorted.

use crate::common::RecordingStorage;
use proptest::option;
use proptest::prelude::*;
use runtime_store_rules::ordering::ListOrder;
use runtime_store_rules::store::{self, Storage};
use runtime_store_rules::time::{self, MAX_SECONDS, MIN_SECONDS, truncate_to_micros};
use runtime_store_rules::transitions::{self, ALL_STATUSES};
use runtime_store_rules::types::{
    RuntimeRecord, Status, StoreError, Timestamp, UpdateEngineHealthInput, UpdateImageInput,
    UpdateSchedulingInput, UpdateStatusInput,
};
use runtime_store_rules::validation::{self, Operation};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9:/._-]{1,12}",
        "[ \t\r\n\u{85}\u{a0}\u{3000}]{0,3}",
        "[g \u{0}\u{1}]{0,3}",
        "[gé]{250,260}",
        "€{1364,1367}",
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        (any::<i64>(), any::<u32>()),
        (-2..=2_i64, 0..2_000_u32),
        (MIN_SECONDS - 2..=MIN_SECONDS + 2, any::<u32>()),
        (
            MAX_SECONDS - 2..=MAX_SECONDS + 2,
            999_999_990..=1_000_000_010_u32
        ),
        (1_700_000_000..1_800_000_000_i64, 0..1_000_000_000_u32),
    ]
    .prop_map(|(seconds, nanoseconds)| Timestamp {
        seconds,
        nanoseconds,
    })
}

fn status() -> impl Strategy<Value = Status> {
    proptest::sample::select(ALL_STATUSES.to_vec())
}

prop_compose! {
    fn runtime_record()(
        game_id in text(),
        status in status(),
        engine_endpoint in text(),
        current_image_ref in text(),
        current_engine_version in text(),
        engine_health in text(),
        current_turn in any::<u32>(),
        next_generation_at in option::of(timestamp()),
        skip_next_tick in any::<bool>(),
        (created_at, updated_at) in (timestamp(), timestamp()),
        (started_at, stopped_at, finished_at) in (
            option::of(timestamp()),
            option::of(timestamp()),
            option::of(timestamp()),
        ),
    ) -> RuntimeRecord {
        RuntimeRecord {
            game_id,
            status,
            engine_endpoint,
            current_image_ref,
            current_engine_version,
            engine_health,
            current_turn,
            next_generation_at,
            skip_next_tick,
            created_at,
            updated_at,
            started_at,
            stopped_at,
            finished_at,
        }
    }
}

prop_compose! {
    fn update_status_input()(
        game_id in text(),
        expected_from in status(),
        to in status(),
        now in timestamp(),
        engine_health_summary in option::of(text()),
        current_image_ref in option::of(text()),
        current_engine_version in option::of(text()),
    ) -> UpdateStatusInput {
        UpdateStatusInput {
            game_id,
            expected_from,
            to,
            now,
            engine_health_summary,
            current_image_ref,
            current_engine_version,
        }
    }
}

prop_compose! {
    fn update_scheduling_input()(
        game_id in text(),
        next_generation_at in option::of(timestamp()),
        skip_next_tick in any::<bool>(),
        current_turn in any::<u32>(),
        now in timestamp(),
    ) -> UpdateSchedulingInput {
        UpdateSchedulingInput { game_id, next_generation_at, skip_next_tick, current_turn, now }
    }
}

prop_compose! {
    fn update_image_input()(
        game_id in text(),
        expected_status in status(),
        current_image_ref in text(),
        current_engine_version in text(),
        now in timestamp(),
    ) -> UpdateImageInput {
        UpdateImageInput { game_id, expected_status, current_image_ref, current_engine_version, now }
    }
}

prop_compose! {
    fn update_engine_health_input()(
        game_id in text(),
        engine_health_summary in text(),
        now in timestamp(),
    ) -> UpdateEngineHealthInput {
        UpdateEngineHealthInput { game_id, engine_health_summary, now }
    }
}

/// Storage already holding a record for `game_id` in `status`, so patches meet every outcome.
fn holding(game_id: &str, status: Status) -> RecordingStorage {
    let mut storage = RecordingStorage::default();
    let record = RuntimeRecord {
        status,
        ..crate::common::record(game_id)
    };
    let _ = storage.inner.insert(record);
    storage.calls.clear();
    storage
}

/// A failed validation is the store's answer and storage saw no call; a passed one makes
/// the store answer ok or one of the outcomes storage can cause.
fn assert_validates_first<T>(
    validated: Result<(), StoreError>,
    stored: Result<T, StoreError>,
    storage: &RecordingStorage,
) -> Result<(), TestCaseError> {
    match validated {
        Err(error) => {
            prop_assert!(matches!(
                error,
                StoreError::InvalidInput(_) | StoreError::InvalidTransition(_)
            ));
            prop_assert_eq!(stored.err(), Some(error));
            prop_assert!(storage.calls.is_empty());
        }
        Ok(()) => {
            prop_assert!(matches!(
                stored,
                Ok(_) | Err(StoreError::NotFound | StoreError::Conflict)
            ));
            prop_assert_eq!(storage.calls.len(), 1);
        }
    }
    Ok(())
}

fn is_truncated(at: Timestamp) -> bool {
    at.nanoseconds.is_multiple_of(time::NANOS_PER_MICRO)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn insert_validates_first_and_stores_truncated_values(record in runtime_record(), existing in any::<bool>()) {
        let mut storage = if existing { holding(&record.game_id, Status::Running) } else { RecordingStorage::default() };
        let validated = validation::validate_record(&record);
        let stored = store::insert(&mut storage, record.clone());
        assert_validates_first(validated.clone(), stored.clone(), &storage)?;
        if validated.is_ok() && !existing {
            prop_assert_eq!(stored, Ok(()));
            let Some(crate::common::Call::Insert(sent)) = storage.calls.first() else {
                return Err(TestCaseError::fail("insert did not reach storage"));
            };
            let stamps = [sent.next_generation_at, Some(sent.created_at), Some(sent.updated_at), sent.started_at, sent.stopped_at, sent.finished_at];
            prop_assert!(stamps.into_iter().flatten().all(is_truncated));
            prop_assert_eq!(&sent.game_id, &record.game_id);
            prop_assert_eq!(sent.created_at, truncate_to_micros(record.created_at));
        }
    }

    #[test]
    fn update_status_validates_first(input in update_status_input(), stored_status in status()) {
        let mut storage = holding(&input.game_id, stored_status);
        let validated = validation::validate_update_status(&input);
        if !transitions::is_allowed(input.expected_from, input.to) && !validation::is_blank(&input.game_id) {
            prop_assert!(matches!(validated, Err(StoreError::InvalidTransition(_))));
        }
        let stored = store::update_status(&mut storage, input.clone());
        assert_validates_first(validated.clone(), stored.clone(), &storage)?;
        if validated.is_ok() {
            let expected = if stored_status == input.expected_from { Ok(()) } else { Err(StoreError::Conflict) };
            prop_assert_eq!(stored, expected);
        }
    }

    #[test]
    fn update_scheduling_validates_first(input in update_scheduling_input(), stored_status in status()) {
        let mut storage = holding(&input.game_id, stored_status);
        let validated = validation::validate_update_scheduling(&input);
        let stored = store::update_scheduling(&mut storage, input);
        assert_validates_first(validated.clone(), stored.clone(), &storage)?;
        if validated.is_ok() {
            prop_assert_eq!(stored, Ok(()));
        }
    }

    #[test]
    fn update_image_validates_first(input in update_image_input(), stored_status in status()) {
        let mut storage = holding(&input.game_id, stored_status);
        let validated = validation::validate_update_image(&input);
        let expected_status = input.expected_status;
        let stored = store::update_image(&mut storage, input);
        assert_validates_first(validated.clone(), stored.clone(), &storage)?;
        if validated.is_ok() {
            let expected = if stored_status == expected_status { Ok(()) } else { Err(StoreError::Conflict) };
            prop_assert_eq!(stored, expected);
        }
    }

    #[test]
    fn update_engine_health_validates_first(input in update_engine_health_input(), present in any::<bool>()) {
        let mut storage = if present { holding(&input.game_id, Status::Finished) } else { RecordingStorage::default() };
        let validated = validation::validate_update_engine_health(&input);
        let stored = store::update_engine_health(&mut storage, input);
        assert_validates_first(validated.clone(), stored.clone(), &storage)?;
        if validated.is_ok() {
            prop_assert_eq!(stored, if present { Ok(()) } else { Err(StoreError::NotFound) });
        }
    }

    #[test]
    fn get_delete_and_list_due_validate_first(game_id in text(), now in timestamp()) {
        let mut storage = RecordingStorage::default();
        let fetched = store::get(&mut storage, &game_id);
        assert_validates_first(validation::validate_get(&game_id), fetched, &storage)?;
        let mut storage = RecordingStorage::default();
        let deleted = store::delete(&mut storage, &game_id);
        assert_validates_first(validation::validate_delete(&game_id), deleted, &storage)?;
        let mut storage = RecordingStorage::default();
        let listed = store::list_due_running(&mut storage, now);
        let validated = validation::validate_list_due_running(Operation::ListDueRunning, now);
        assert_validates_first(validated, listed, &storage)?;
    }

    #[test]
    fn truncation_is_idempotent_and_never_increases(at in timestamp()) {
        let truncated = truncate_to_micros(at);
        prop_assert_eq!(truncate_to_micros(truncated), truncated);
        prop_assert_eq!(truncated.seconds, at.seconds);
        prop_assert!(truncated.nanoseconds <= at.nanoseconds);
        prop_assert!(at.nanoseconds - truncated.nanoseconds < time::NANOS_PER_MICRO);
        prop_assert!(is_truncated(truncated));
        prop_assert_eq!(time::is_zero(at), truncated.seconds == 0 && truncated.nanoseconds == 0);
    }

    #[test]
    fn sorting_is_a_sorted_permutation(records in proptest::collection::vec(runtime_record(), 0..12)) {
        let key = |r: &RuntimeRecord| (r.game_id.clone(), r.created_at.seconds, r.created_at.nanoseconds);
        let mut newest_first = records.clone();
        ListOrder::NewestFirst.sort(&mut newest_first);
        for pair in newest_first.windows(2) {
            if let [a, b] = pair {
                let order = time::compare(b.created_at, a.created_at).then_with(|| a.game_id.as_bytes().cmp(b.game_id.as_bytes()));
                prop_assert!(order.is_le());
            }
        }
        let mut due_first = records.clone();
        ListOrder::DueFirst.sort(&mut due_first);
        for pair in due_first.windows(2) {
            if let [a, b] = pair {
                // A record without a tick stands at the epoch (no due filter selects it).
                let due = |r: &RuntimeRecord| r.next_generation_at.map_or((0, 0), |t| (t.seconds, t.nanoseconds));
                prop_assert!((due(a), a.game_id.as_bytes()) <= (due(b), b.game_id.as_bytes()));
            }
        }
        let mut expected: Vec<_> = records.iter().map(key).collect();
        expected.sort();
        for sorted in [newest_first, due_first] {
            let mut keys: Vec<_> = sorted.iter().map(key).collect();
            keys.sort();
            prop_assert_eq!(&keys, &expected);
        }
    }

    #[test]
    fn rules_transition_agrees_with_allowed_transitions(from in status(), to in status()) {
        let allowed = transitions::allowed_transitions(from).contains(&to);
        prop_assert_eq!(transitions::transition(from, to).is_ok(), allowed);
    }
}
