//! contract §2.4 and §3: what each operation hands to storage (truncated timestamps, patches
//! with lifecycle stamps), how storage outcomes map to `store-error`, and result order.

use crate::common::{
    CREATED, Call, LATER, RecordingStorage, at, health_input, image_input, record,
    scheduling_input, status_input,
};
use runtime_store_rules::memory::MemoryStorage;
use runtime_store_rules::store::{self, Storage};
use runtime_store_rules::transitions::{ALL_STATUSES, allowed_transitions};
use runtime_store_rules::types::{
    BackendError, InsertOutcome, PatchOutcome, RecordPatch, RuntimeRecord, ScanFilter, ScanKey,
    Scheduling, Status, StatusChange, StoreError, Timestamp, UpdateSchedulingInput,
    UpdateStatusInput,
};
use runtime_store_vocabulary::page::SCAN_OUT_OF_ORDER;

const FINE: Timestamp = at(1_764_000_100, 123_456_789);
const FINE_TRUNCATED: Timestamp = at(1_764_000_100, 123_456_000);

/// A patch that writes nothing but `updated-at`.
fn only_updated_at(updated_at: Timestamp) -> RecordPatch {
    RecordPatch {
        status: None,
        scheduling: None,
        current_image_ref: None,
        current_engine_version: None,
        engine_health: None,
        updated_at,
    }
}

fn stored(status: Status) -> RecordingStorage {
    let mut storage = RecordingStorage::default();
    let record = RuntimeRecord {
        status,
        ..record("g1")
    };
    assert_eq!(storage.inner.insert(record), Ok(InsertOutcome::Inserted));
    storage
}

fn backend_errors() -> [BackendError; 3] {
    [
        BackendError::Unavailable("connection refused".into()),
        BackendError::Corrupt("game g1: column status holds \"paused\"".into()),
        BackendError::Failed("disk full".into()),
    ]
}

#[test]
fn insert_truncates_every_timestamp_and_get_returns_it() {
    let mut storage = RecordingStorage::default();
    let fine = RuntimeRecord {
        next_generation_at: Some(at(FINE.seconds + 1, 999)),
        created_at: FINE,
        updated_at: at(FINE.seconds, 123_456_999),
        started_at: Some(at(-1, 1_001)),
        stopped_at: Some(at(FINE.seconds, 1)),
        finished_at: Some(at(FINE.seconds, 999_999_999)),
        ..record("g1")
    };
    assert_eq!(store::insert(&mut storage, fine.clone()), Ok(()));
    let truncated = RuntimeRecord {
        next_generation_at: Some(at(FINE.seconds + 1, 0)),
        created_at: FINE_TRUNCATED,
        updated_at: FINE_TRUNCATED,
        started_at: Some(at(-1, 1_000)),
        stopped_at: Some(at(FINE.seconds, 0)),
        finished_at: Some(at(FINE.seconds, 999_999_000)),
        ..fine
    };
    assert_eq!(storage.calls, [Call::Insert(truncated.clone())]);
    assert_eq!(store::get(&mut storage, "g1"), Ok(truncated));
    assert_eq!(storage.calls.last(), Some(&Call::Fetch("g1".into())));
}

#[test]
fn insert_of_an_existing_game_id_is_a_conflict() {
    let mut storage = stored(Status::Running);
    assert_eq!(
        store::insert(&mut storage, record("g1")),
        Err(StoreError::Conflict)
    );
    assert_eq!(storage.inner.len(), 1);
}

#[test]
fn get_of_a_missing_record_is_not_found() {
    let mut storage = RecordingStorage::default();
    assert_eq!(
        store::get(&mut storage, "absent"),
        Err(StoreError::NotFound)
    );
}

/// The status change contract §2.4 derives, written out independently of the implementation.
fn expected_change(from: Status, to: Status, now: Timestamp) -> StatusChange {
    StatusChange {
        to,
        started_at: (from == Status::Starting && to == Status::Running).then_some(now),
        stopped_at: (to == Status::Stopped).then_some(now),
        finished_at: (to == Status::Finished).then_some(now),
    }
}

#[test]
fn update_status_patches_every_allowed_pair_with_its_stamps_under_cas() {
    for from in ALL_STATUSES {
        for &to in allowed_transitions(from) {
            let mut storage = stored(from);
            let input = UpdateStatusInput {
                now: FINE,
                ..status_input("g1", from, to)
            };
            assert_eq!(store::update_status(&mut storage, input), Ok(()));
            let patch = RecordPatch {
                status: Some(expected_change(from, to, FINE_TRUNCATED)),
                ..only_updated_at(FINE_TRUNCATED)
            };
            assert_eq!(
                storage.calls,
                [Call::Patch("g1".into(), Some(from), patch)],
                "{from:?} -> {to:?}"
            );
        }
    }
}

#[test]
fn lifecycle_stamps_accumulate_and_are_never_cleared() {
    let mut storage = stored(Status::Starting);
    let step = |storage: &mut RecordingStorage, from, to, seconds| {
        let input = UpdateStatusInput {
            now: at(seconds, 0),
            ..status_input("g1", from, to)
        };
        assert_eq!(store::update_status(storage, input), Ok(()));
    };
    step(&mut storage, Status::Starting, Status::Running, 10);
    step(&mut storage, Status::Running, Status::Stopped, 20);
    step(&mut storage, Status::Stopped, Status::Starting, 30);
    step(&mut storage, Status::Starting, Status::Running, 40);
    step(
        &mut storage,
        Status::Running,
        Status::GenerationInProgress,
        50,
    );
    let current = store::get(&mut storage, "g1")
        .map(|r| (r.started_at, r.stopped_at, r.finished_at, r.updated_at));
    assert_eq!(
        current,
        Ok((Some(at(40, 0)), Some(at(20, 0)), None, at(50, 0)))
    );
    step(
        &mut storage,
        Status::GenerationInProgress,
        Status::Finished,
        60,
    );
    let finished = store::get(&mut storage, "g1");
    assert_eq!(
        finished.map(|r| (r.status, r.started_at, r.stopped_at, r.finished_at)),
        Ok((
            Status::Finished,
            Some(at(40, 0)),
            Some(at(20, 0)),
            Some(at(60, 0))
        ))
    );
}

#[test]
fn update_status_passes_the_given_optional_fields() {
    let mut storage = stored(Status::Running);
    let input = UpdateStatusInput {
        engine_health_summary: Some("unreachable".into()),
        current_image_ref: Some("registry.galaxy.internal/engine:2.0.0".into()),
        current_engine_version: None,
        ..status_input("g1", Status::Running, Status::EngineUnreachable)
    };
    assert_eq!(store::update_status(&mut storage, input), Ok(()));
    let expected = RecordPatch {
        status: Some(expected_change(
            Status::Running,
            Status::EngineUnreachable,
            LATER,
        )),
        current_image_ref: Some("registry.galaxy.internal/engine:2.0.0".into()),
        engine_health: Some("unreachable".into()),
        ..only_updated_at(LATER)
    };
    assert_eq!(
        storage.calls,
        [Call::Patch("g1".into(), Some(Status::Running), expected)]
    );
    let after = store::get(&mut storage, "g1").map(|r| (r.engine_health, r.current_engine_version));
    assert_eq!(after, Ok(("unreachable".into(), "1.4.2".into())));
}

#[test]
fn update_scheduling_image_and_health_send_their_patches() {
    let mut storage = stored(Status::Stopped);
    let scheduling = UpdateSchedulingInput {
        next_generation_at: Some(FINE),
        now: FINE,
        ..scheduling_input("g1")
    };
    assert_eq!(store::update_scheduling(&mut storage, scheduling), Ok(()));
    let mut image = image_input("g1", Status::Stopped);
    image.now = FINE;
    assert_eq!(store::update_image(&mut storage, image), Ok(()));
    let mut health = health_input("g1");
    health.now = FINE;
    assert_eq!(store::update_engine_health(&mut storage, health), Ok(()));
    let only_updated_at = only_updated_at(FINE_TRUNCATED);
    assert_eq!(
        storage.calls,
        [
            Call::Patch(
                "g1".into(),
                None,
                RecordPatch {
                    scheduling: Some(Scheduling {
                        next_generation_at: Some(FINE_TRUNCATED),
                        skip_next_tick: true,
                        current_turn: 7,
                    }),
                    ..only_updated_at.clone()
                }
            ),
            Call::Patch(
                "g1".into(),
                Some(Status::Stopped),
                RecordPatch {
                    current_image_ref: Some("registry.galaxy.internal/engine:1.5.0".into()),
                    current_engine_version: Some("1.5.0".into()),
                    ..only_updated_at.clone()
                }
            ),
            Call::Patch(
                "g1".into(),
                None,
                RecordPatch {
                    engine_health: Some("degraded".into()),
                    ..only_updated_at
                }
            ),
        ]
    );
}

#[test]
fn update_scheduling_with_none_clears_the_tick() {
    let mut storage = stored(Status::Running);
    assert_eq!(
        store::update_scheduling(&mut storage, scheduling_input("g1")),
        Ok(())
    );
    let cleared = UpdateSchedulingInput {
        next_generation_at: None,
        ..scheduling_input("g1")
    };
    assert_eq!(store::update_scheduling(&mut storage, cleared), Ok(()));
    assert_eq!(
        store::get(&mut storage, "g1").map(|r| r.next_generation_at),
        Ok(None)
    );
}

type Patching = fn(&mut RecordingStorage) -> Result<(), StoreError>;

fn patching_operations() -> [(&'static str, Patching); 4] {
    [
        ("update-status", |s| {
            store::update_status(s, status_input("g1", Status::Running, Status::Stopped))
        }),
        ("update-scheduling", |s| {
            store::update_scheduling(s, scheduling_input("g1"))
        }),
        ("update-image", |s| {
            store::update_image(s, image_input("g1", Status::Running))
        }),
        ("update-engine-health", |s| {
            store::update_engine_health(s, health_input("g1"))
        }),
    ]
}

#[test]
fn patch_of_a_missing_record_is_not_found() {
    for (name, operation) in patching_operations() {
        let mut storage = RecordingStorage::default();
        assert_eq!(operation(&mut storage), Err(StoreError::NotFound), "{name}");
    }
}

#[test]
fn status_mismatch_is_a_conflict_and_writes_nothing() {
    let mut storage = stored(Status::GenerationInProgress);
    let before = storage.inner.clone();
    assert_eq!(
        store::update_status(
            &mut storage,
            status_input("g1", Status::Running, Status::Stopped)
        ),
        Err(StoreError::Conflict)
    );
    assert_eq!(
        store::update_image(&mut storage, image_input("g1", Status::Running)),
        Err(StoreError::Conflict)
    );
    assert_eq!(
        store::get(&mut storage, "g1").ok(),
        before.clone().fetch("g1").ok().flatten()
    );
}

#[test]
fn scheduling_and_health_apply_in_every_status() {
    for status in ALL_STATUSES {
        let mut storage = stored(status);
        assert_eq!(
            store::update_scheduling(&mut storage, scheduling_input("g1")),
            Ok(())
        );
        assert_eq!(
            store::update_engine_health(&mut storage, health_input("g1")),
            Ok(())
        );
        assert_eq!(
            store::update_image(&mut storage, image_input("g1", status)),
            Ok(())
        );
    }
}

#[test]
fn a_patch_outcome_the_store_did_not_ask_for_is_still_a_conflict() {
    let mut mismatching = Canned {
        patched: PatchOutcome::StatusMismatch(Status::Finished),
        scanned: Vec::new(),
    };
    assert_eq!(
        store::update_scheduling(&mut mismatching, scheduling_input("g1")),
        Err(StoreError::Conflict)
    );
}

#[test]
fn backend_errors_pass_through_unchanged_from_every_operation() {
    for failure in backend_errors() {
        let expected = Err(StoreError::Backend(failure.clone()));
        let mut storage = RecordingStorage::failing(failure);
        assert_eq!(store::get(&mut storage, "g1").map(drop), expected);
        assert_eq!(store::insert(&mut storage, record("g1")), expected);
        for (name, operation) in patching_operations() {
            assert_eq!(operation(&mut storage), expected, "{name}");
        }
        assert_eq!(store::delete(&mut storage, "g1"), expected);
        assert_eq!(
            store::list_due_running(&mut storage, LATER).map(drop),
            expected
        );
        assert_eq!(
            store::list_by_status(&mut storage, Status::Running).map(drop),
            expected
        );
        assert_eq!(store::list(&mut storage).map(drop), expected);
        assert_eq!(storage.calls.len(), 10);
    }
}

#[test]
fn delete_is_idempotent() {
    let mut storage = stored(Status::Finished);
    assert_eq!(store::delete(&mut storage, "g1"), Ok(()));
    assert_eq!(store::delete(&mut storage, "g1"), Ok(()));
    assert_eq!(store::get(&mut storage, "g1"), Err(StoreError::NotFound));
    assert_eq!(
        storage.calls[..2],
        [Call::Remove("g1".into()), Call::Remove("g1".into())]
    );
}

/// Storage with fixed answers, whatever it is asked: every patch answers `patched`, every
/// scan answers `scanned` in that order (whatever its filter, key and limit); nothing is
/// ever stored.
struct Canned {
    patched: PatchOutcome,
    scanned: Vec<RuntimeRecord>,
}

impl Storage for Canned {
    fn fetch(&mut self, _: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        Ok(None)
    }
    fn insert(&mut self, _: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        Ok(InsertOutcome::Inserted)
    }
    fn patch(
        &mut self,
        _: &str,
        _: Option<Status>,
        _: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        Ok(self.patched)
    }
    fn remove(&mut self, _: &str) -> Result<(), BackendError> {
        Ok(())
    }
    fn scan(
        &mut self,
        _: ScanFilter,
        _: Option<&ScanKey>,
        _: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        Ok(self.scanned.clone())
    }
}

/// Storage whose scan answers `records` in that order, whatever the filter.
fn fixed_scan(records: Vec<RuntimeRecord>) -> Canned {
    Canned {
        patched: PatchOutcome::NotFound,
        scanned: records,
    }
}

fn ids(records: Result<Vec<RuntimeRecord>, StoreError>) -> Vec<String> {
    records
        .map(|r| r.into_iter().map(|r| r.game_id).collect())
        .unwrap_or_default()
}

fn out_of_order() -> StoreError {
    StoreError::Backend(BackendError::Failed(SCAN_OUT_OF_ORDER.into()))
}

/// Every arrangement of `records` but `sorted` (which is one of them), by rotating and
/// swapping neighbours: enough to put each record out of its place.
fn disorders(sorted: &[RuntimeRecord]) -> Vec<Vec<RuntimeRecord>> {
    let mut disorders = Vec::new();
    for index in 0..sorted.len().saturating_sub(1) {
        let mut swapped = sorted.to_vec();
        swapped.swap(index, index + 1);
        disorders.push(swapped);
    }
    let mut reversed = sorted.to_vec();
    reversed.reverse();
    disorders.push(reversed);
    disorders
}

#[test]
fn lists_are_newest_first_with_ties_by_game_id_bytes() {
    let created = |game_id: &str, created_at| RuntimeRecord {
        created_at,
        updated_at: created_at,
        ..record(game_id)
    };
    // Byte order puts "B" before "a" before "ä".
    let scrambled = vec![
        created("a", CREATED),
        created("old", at(CREATED.seconds - 1, 999_999_000)),
        created("ä", CREATED),
        created("new", at(CREATED.seconds, 1_000)),
        created("B", CREATED),
    ];
    let expected = ["new", "B", "a", "ä", "old"];
    // The reference storage serves the order...
    let mut storage = MemoryStorage::default();
    for record in scrambled.clone() {
        assert_eq!(store::insert(&mut storage, record), Ok(()));
    }
    assert_eq!(ids(store::list(&mut storage)), expected);
    assert_eq!(
        ids(store::list_by_status(&mut storage, Status::Starting)),
        expected
    );
    // ...the rules accept it from any backend...
    let sorted: Vec<RuntimeRecord> = expected
        .iter()
        .map(|id| scrambled.iter().find(|r| r.game_id == *id).unwrap().clone())
        .collect();
    assert_eq!(ids(store::list(&mut fixed_scan(sorted.clone()))), expected);
    // ...and refuse every other order, ties by game id included.
    for disorder in disorders(&sorted) {
        assert_eq!(
            store::list(&mut fixed_scan(disorder.clone())),
            Err(out_of_order())
        );
        assert_eq!(
            store::list_by_status(&mut fixed_scan(disorder), Status::Starting),
            Err(out_of_order())
        );
    }
}

#[test]
fn due_running_is_soonest_first_with_ties_by_game_id_bytes() {
    let due = |game_id: &str, next| RuntimeRecord {
        status: Status::Running,
        next_generation_at: Some(next),
        ..record(game_id)
    };
    let scrambled = vec![
        due("z", at(100, 0)),
        due("late", at(200, 0)),
        due("b", at(100, 0)),
        due("early", at(-5, 1_000)),
        due("a2", at(100, 0)),
        due("a10", at(100, 0)),
    ];
    let expected = ["early", "a10", "a2", "b", "z", "late"];
    let mut storage = MemoryStorage::default();
    for record in scrambled.clone() {
        assert_eq!(store::insert(&mut storage, record), Ok(()));
    }
    assert_eq!(ids(store::list_due_running(&mut storage, LATER)), expected);
    let sorted: Vec<RuntimeRecord> = expected
        .iter()
        .map(|id| scrambled.iter().find(|r| r.game_id == *id).unwrap().clone())
        .collect();
    assert_eq!(
        ids(store::list_due_running(
            &mut fixed_scan(sorted.clone()),
            LATER
        )),
        expected
    );
    for disorder in disorders(&sorted) {
        assert_eq!(
            store::list_due_running(&mut fixed_scan(disorder), LATER),
            Err(out_of_order())
        );
    }
}

#[test]
fn a_whole_list_holding_a_record_its_filter_does_not_select_is_refused() {
    let running = RuntimeRecord {
        status: Status::Running,
        next_generation_at: Some(at(100, 0)),
        ..record("running")
    };
    // Another status, not running, not due yet, no tick: each outside one filter.
    let starting = record("starting");
    let not_due = RuntimeRecord {
        next_generation_at: Some(at(LATER.seconds, 1_000)),
        ..running.clone()
    };
    let no_tick = RuntimeRecord {
        next_generation_at: None,
        ..running.clone()
    };
    assert_eq!(
        store::list_by_status(&mut fixed_scan(vec![starting]), Status::Running),
        Err(out_of_order())
    );
    for stray in [record("starting"), not_due, no_tick] {
        assert_eq!(
            store::list_due_running(&mut fixed_scan(vec![stray]), LATER),
            Err(out_of_order())
        );
    }
    assert_eq!(
        ids(store::list_due_running(
            &mut fixed_scan(vec![running]),
            LATER
        )),
        ["running"]
    );
}

#[test]
fn list_scans_ask_for_the_right_filter_with_now_truncated() {
    let mut storage = RecordingStorage::default();
    assert_eq!(store::list_due_running(&mut storage, FINE), Ok(Vec::new()));
    assert_eq!(
        store::list_by_status(&mut storage, Status::GenerationFailed),
        Ok(Vec::new())
    );
    assert_eq!(store::list(&mut storage), Ok(Vec::new()));
    assert_eq!(
        storage.calls,
        [
            Call::Scan(ScanFilter::DueRunning(FINE_TRUNCATED), None, u32::MAX),
            Call::Scan(
                ScanFilter::ByStatus(Status::GenerationFailed),
                None,
                u32::MAX
            ),
            Call::Scan(ScanFilter::All, None, u32::MAX),
        ]
    );
}

#[test]
fn due_running_includes_now_after_truncation_and_only_running_records() {
    let mut storage = MemoryStorage::default();
    let scheduled = |game_id: &str, status, next| RuntimeRecord {
        status,
        next_generation_at: next,
        ..record(game_id)
    };
    for record in [
        scheduled("exactly-now", Status::Running, Some(FINE_TRUNCATED)),
        scheduled(
            "one-micro-later",
            Status::Running,
            Some(at(FINE.seconds, 123_457_000)),
        ),
        scheduled("not-running", Status::GenerationInProgress, Some(at(1, 0))),
        scheduled("no-tick", Status::Running, None),
    ] {
        assert_eq!(store::insert(&mut storage, record), Ok(()));
    }
    assert_eq!(
        ids(store::list_due_running(&mut storage, FINE)),
        ["exactly-now"]
    );
}

/// The contract's decision on an update whose `now` is before the record's `created-at`
/// (a caller's clock set back): the update is applied with `updated-at = now`, as the
/// original store does, because checking it would take a read of `created-at` and so a
/// second backend call. "updated at must not be before created at" is a rule about the
/// records a caller hands in (insert, `rules.validate-record`), not an invariant of the
/// records the store derives; reads return what is stored without re-validating.
#[test]
fn an_update_before_created_at_is_applied_and_read_back_unvalidated() {
    let mut storage = MemoryStorage::default();
    let created = record("g1");
    store::insert(&mut storage, created.clone()).unwrap();
    let before_creation = at(CREATED.seconds - 3_600, 0);
    let input = UpdateStatusInput {
        now: before_creation,
        ..status_input("g1", Status::Starting, Status::Running)
    };
    assert_eq!(store::update_status(&mut storage, input), Ok(()));

    let stored = store::get(&mut storage, "g1").unwrap();
    assert_eq!(stored.updated_at, before_creation);
    assert_eq!(stored.started_at, Some(before_creation));
    assert_eq!(store::list(&mut storage).unwrap(), vec![stored.clone()]);
    assert_eq!(
        runtime_store_rules::validation::validate_record(&stored),
        Err(StoreError::InvalidInput(
            "insert runtime record: updated at must not be before created at".into()
        )),
        "handed back in, the derived record is refused like any other"
    );
}
