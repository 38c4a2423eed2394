//! contract §2.5: every message of every operation, the order of the checks (the first
//! failure wins), length limits at their boundaries, and that the store runs exactly
//! these checks before touching storage. Last come the project's NUL checks (strings
//! holding U+0000 are rejected, after the lengths and timestamps, see `docs/design.md`).

use crate::common::{
    CREATED, LATER, OVERFLOWING, RecordingStorage, ZERO, at, health_input, image_input,
    invalid_input, record, scheduling_input, status_input,
};
use runtime_store_rules::store;
use runtime_store_rules::time::{MAX_SECONDS, MIN_SECONDS};
use runtime_store_rules::types::{
    RuntimeRecord, Status, StoreError, UpdateEngineHealthInput, UpdateImageInput,
    UpdateSchedulingInput, UpdateStatusInput,
};
use runtime_store_rules::validation::{self, Operation};

/// A change that makes exactly one check fail, and the error that check returns.
struct Breaker<T> {
    apply: fn(&mut T),
    expected: StoreError,
}

/// A breaker whose check returns `invalid-input("<prefix>: <problem>")`; a macro so each
/// closure's argument type comes from the list it is in.
macro_rules! breaker {
    ($input:ty, $prefix:expr) => {
        |apply: fn(&mut $input), problem: &str| Breaker {
            apply,
            expected: StoreError::InvalidInput(format!("{}: {problem}", $prefix)),
        }
    };
}

/// Checks, for each breaker `i` of `breakers` (listed in check order): the breaker alone
/// gives its error; with breakers `i..` all applied (earlier ones applied last, so they win
/// where two touch the same field) the error is still breaker `i`'s, so the first failing
/// check wins; the store operation returns the same error without calling storage.
fn assert_checks_in_order<T: Clone + std::fmt::Debug>(
    valid: T,
    breakers: &[Breaker<T>],
    validate: impl Fn(&T) -> Result<(), StoreError>,
    run_store: impl Fn(&mut RecordingStorage, T) -> Result<(), StoreError>,
) {
    assert_eq!(validate(&valid), Ok(()), "the valid input {valid:?}");
    for (index, check) in breakers.iter().enumerate() {
        let mut alone = valid.clone();
        (check.apply)(&mut alone);
        assert_eq!(
            validate(&alone),
            Err(check.expected.clone()),
            "alone: {alone:?}"
        );

        let mut cumulative = valid.clone();
        for later in breakers[index..].iter().rev() {
            (later.apply)(&mut cumulative);
        }
        assert_eq!(
            validate(&cumulative),
            Err(check.expected.clone()),
            "with every later check failing too: {cumulative:?}"
        );
        for input in [alone, cumulative] {
            let mut storage = RecordingStorage::default();
            assert_eq!(run_store(&mut storage, input), Err(check.expected.clone()));
            assert!(
                storage.calls.is_empty(),
                "storage was touched: {:?}",
                storage.calls
            );
        }
    }
}

fn too_long_game_id() -> String {
    "g".repeat(257)
}

fn too_long_text() -> String {
    "t".repeat(4097)
}

#[test]
fn insert_checks_every_field_in_spec_order() {
    let p = "insert runtime record";
    let check = breaker!(RuntimeRecord, p);
    let checks: Vec<Breaker<RuntimeRecord>> = vec![
        check(|r| r.game_id = " ".repeat(300), "game id must not be empty"),
        check(
            |r| r.engine_endpoint = "\t\n".into(),
            "engine endpoint must not be empty",
        ),
        check(
            |r| r.current_image_ref = "\u{3000}".into(),
            "current image ref must not be empty",
        ),
        check(
            |r| r.current_engine_version = String::new(),
            "current engine version must not be empty",
        ),
        check(|r| r.created_at = ZERO, "created at must not be zero"),
        check(|r| r.updated_at = at(0, 0), "updated at must not be zero"),
        check(
            |r| {
                r.created_at = at(CREATED.seconds, 1_000);
                r.updated_at = at(CREATED.seconds, 999);
            },
            "updated at must not be before created at",
        ),
        check(
            |r| r.next_generation_at = Some(ZERO),
            "next generation at must not be zero when set",
        ),
        check(
            |r| r.started_at = Some(ZERO),
            "started at must not be zero when set",
        ),
        check(
            |r| r.stopped_at = Some(ZERO),
            "stopped at must not be zero when set",
        ),
        check(
            |r| r.finished_at = Some(ZERO),
            "finished at must not be zero when set",
        ),
        check(
            |r| r.game_id = too_long_game_id(),
            "game id must not exceed 256 bytes",
        ),
        check(
            |r| r.engine_endpoint = too_long_text(),
            "engine endpoint must not exceed 4096 bytes",
        ),
        check(
            |r| r.current_image_ref = too_long_text(),
            "current image ref must not exceed 4096 bytes",
        ),
        check(
            |r| r.current_engine_version = too_long_text(),
            "current engine version must not exceed 4096 bytes",
        ),
        check(
            |r| r.engine_health = too_long_text(),
            "engine health must not exceed 4096 bytes",
        ),
        check(
            |r| r.next_generation_at = Some(at(0, 1_000_000_000)),
            "next generation at is not a valid timestamp",
        ),
        // Before the year 1, so updated at stays after created at.
        check(
            |r| r.created_at = at(MIN_SECONDS - 1, 0),
            "created at is not a valid timestamp",
        ),
        check(
            |r| r.updated_at = at(MAX_SECONDS + 1, 0),
            "updated at is not a valid timestamp",
        ),
        check(
            |r| r.started_at = Some(OVERFLOWING),
            "started at is not a valid timestamp",
        ),
        check(
            |r| r.stopped_at = Some(at(i64::MIN, 0)),
            "stopped at is not a valid timestamp",
        ),
        check(
            |r| r.finished_at = Some(at(i64::MAX, u32::MAX)),
            "finished at is not a valid timestamp",
        ),
        check(
            |r| r.game_id = "\0".into(),
            "game id must not contain NUL characters",
        ),
        check(
            |r| r.engine_endpoint = "http://engine\0:8080".into(),
            "engine endpoint must not contain NUL characters",
        ),
        check(
            |r| r.current_image_ref = "\0engine:1".into(),
            "current image ref must not contain NUL characters",
        ),
        check(
            |r| r.current_engine_version = "1.4.2\0".into(),
            "current engine version must not contain NUL characters",
        ),
        check(
            |r| r.engine_health = "\0".into(),
            "engine health must not contain NUL characters",
        ),
    ];
    assert_checks_in_order(
        record("g1"),
        &checks,
        validation::validate_record,
        store::insert,
    );
}

#[test]
fn update_status_checks_in_spec_order_with_the_transition_second() {
    let p = "update runtime status";
    let check = breaker!(UpdateStatusInput, p);
    let checks: Vec<Breaker<UpdateStatusInput>> = vec![
        check(|i| i.game_id = String::new(), "game id must not be empty"),
        Breaker {
            apply: |i| {
                i.expected_from = Status::Running;
                i.to = Status::Starting;
            },
            expected: StoreError::InvalidTransition(format!(
                "{p}: runtime status transition from \"running\" to \"starting\" is not allowed"
            )),
        },
        check(|i| i.now = ZERO, "now must not be zero"),
        check(
            |i| i.current_image_ref = Some(" ".into()),
            "current image ref must not be empty when set",
        ),
        check(
            |i| i.current_engine_version = Some(String::new()),
            "current engine version must not be empty when set",
        ),
        check(
            |i| i.game_id = too_long_game_id(),
            "game id must not exceed 256 bytes",
        ),
        check(
            |i| i.engine_health_summary = Some(too_long_text()),
            "engine health summary must not exceed 4096 bytes",
        ),
        check(
            |i| i.current_image_ref = Some(too_long_text()),
            "current image ref must not exceed 4096 bytes",
        ),
        check(
            |i| i.current_engine_version = Some(too_long_text()),
            "current engine version must not exceed 4096 bytes",
        ),
        check(|i| i.now = OVERFLOWING, "now is not a valid timestamp"),
        check(
            |i| i.game_id = "g\0g".into(),
            "game id must not contain NUL characters",
        ),
        check(
            |i| i.engine_health_summary = Some("\0".into()),
            "engine health summary must not contain NUL characters",
        ),
        check(
            |i| i.current_image_ref = Some("engine:\0".into()),
            "current image ref must not contain NUL characters",
        ),
        check(
            |i| i.current_engine_version = Some("\0\0".into()),
            "current engine version must not contain NUL characters",
        ),
    ];
    let valid = UpdateStatusInput {
        engine_health_summary: Some(String::new()),
        current_image_ref: Some("registry.galaxy.internal/engine:1.5.0".into()),
        current_engine_version: Some("1.5.0".into()),
        ..status_input("g1", Status::Starting, Status::Running)
    };
    assert_checks_in_order(
        valid,
        &checks,
        validation::validate_update_status,
        store::update_status,
    );
}

#[test]
fn update_scheduling_checks_in_spec_order() {
    let p = "update runtime scheduling";
    let check = breaker!(UpdateSchedulingInput, p);
    let checks: Vec<Breaker<UpdateSchedulingInput>> = vec![
        check(
            |i| i.game_id = "\u{85}\u{a0}".into(),
            "game id must not be empty",
        ),
        check(
            |i| i.next_generation_at = Some(at(0, 0)),
            "next generation at must not be zero when set",
        ),
        check(|i| i.now = ZERO, "now must not be zero"),
        check(
            |i| i.game_id = too_long_game_id(),
            "game id must not exceed 256 bytes",
        ),
        check(
            |i| i.next_generation_at = Some(at(MAX_SECONDS + 1, 0)),
            "next generation at is not a valid timestamp",
        ),
        check(
            |i| i.now = at(MIN_SECONDS - 1, 999_999_999),
            "now is not a valid timestamp",
        ),
        check(
            |i| i.game_id = "\0g1".into(),
            "game id must not contain NUL characters",
        ),
    ];
    assert_checks_in_order(
        scheduling_input("g1"),
        &checks,
        validation::validate_update_scheduling,
        store::update_scheduling,
    );
}

#[test]
fn update_image_checks_in_spec_order() {
    let p = "update runtime image";
    let check = breaker!(UpdateImageInput, p);
    let checks: Vec<Breaker<UpdateImageInput>> = vec![
        check(|i| i.game_id = "\r".into(), "game id must not be empty"),
        check(
            |i| i.current_image_ref = " ".into(),
            "current image ref must not be empty",
        ),
        check(
            |i| i.current_engine_version = "\u{2003}".into(),
            "current engine version must not be empty",
        ),
        check(|i| i.now = at(0, 0), "now must not be zero"),
        check(
            |i| i.game_id = too_long_game_id(),
            "game id must not exceed 256 bytes",
        ),
        check(
            |i| i.current_image_ref = too_long_text(),
            "current image ref must not exceed 4096 bytes",
        ),
        check(
            |i| i.current_engine_version = too_long_text(),
            "current engine version must not exceed 4096 bytes",
        ),
        check(|i| i.now = OVERFLOWING, "now is not a valid timestamp"),
        check(
            |i| i.game_id = "g1\0".into(),
            "game id must not contain NUL characters",
        ),
        check(
            |i| i.current_image_ref = "registry\0/engine:1.5.0".into(),
            "current image ref must not contain NUL characters",
        ),
        check(
            |i| i.current_engine_version = "\0".into(),
            "current engine version must not contain NUL characters",
        ),
    ];
    assert_checks_in_order(
        image_input("g1", Status::Running),
        &checks,
        validation::validate_update_image,
        store::update_image,
    );
}

#[test]
fn update_engine_health_checks_in_spec_order() {
    let p = "update runtime engine health";
    let check = breaker!(UpdateEngineHealthInput, p);
    let checks: Vec<Breaker<UpdateEngineHealthInput>> = vec![
        check(|i| i.game_id = " \t ".into(), "game id must not be empty"),
        check(|i| i.now = ZERO, "now must not be zero"),
        check(
            |i| i.game_id = too_long_game_id(),
            "game id must not exceed 256 bytes",
        ),
        check(
            |i| i.engine_health_summary = too_long_text(),
            "engine health summary must not exceed 4096 bytes",
        ),
        check(
            |i| i.now = at(MAX_SECONDS + 1, 0),
            "now is not a valid timestamp",
        ),
        check(
            |i| i.game_id = "\0".into(),
            "game id must not contain NUL characters",
        ),
        check(
            |i| i.engine_health_summary = "degraded\0".into(),
            "engine health summary must not contain NUL characters",
        ),
    ];
    assert_checks_in_order(
        health_input("g1"),
        &checks,
        validation::validate_update_engine_health,
        store::update_engine_health,
    );
}

#[test]
fn get_and_delete_check_the_game_id_blank_then_length_then_nul() {
    for (prefix, validate, run_store) in [
        (
            "get runtime record",
            validation::validate_get as fn(&str) -> Result<(), StoreError>,
            (|storage: &mut RecordingStorage, game_id: &str| store::get(storage, game_id).map(drop))
                as fn(&mut RecordingStorage, &str) -> Result<(), StoreError>,
        ),
        (
            "delete runtime record",
            validation::validate_delete,
            |storage, game_id| store::delete(storage, game_id),
        ),
    ] {
        let cases = [
            (String::new(), "game id must not be empty"),
            (" ".repeat(257), "game id must not be empty"),
            (too_long_game_id(), "game id must not exceed 256 bytes"),
            ("\0".repeat(257), "game id must not exceed 256 bytes"),
            (" \0 ".into(), "game id must not contain NUL characters"),
            ("g\0g".into(), "game id must not contain NUL characters"),
        ];
        for (game_id, problem) in cases {
            let message = format!("{prefix}: {problem}");
            assert_eq!(validate(&game_id), invalid_input(&message));
            let mut storage = RecordingStorage::default();
            assert_eq!(run_store(&mut storage, &game_id), invalid_input(&message));
            assert!(storage.calls.is_empty());
        }
        assert_eq!(validate(&"g".repeat(256)), Ok(()));
    }
}

#[test]
fn list_due_running_checks_now_zero_then_validity() {
    let zero = "list due runtimes: now must not be zero";
    let invalid = "list due runtimes: now is not a valid timestamp";
    let cases = [
        (at(0, 0), zero),
        (ZERO, zero),
        (OVERFLOWING, invalid),
        (at(0, 1_000_000_000), invalid),
        (at(MAX_SECONDS + 1, 0), invalid),
    ];
    for (now, message) in cases {
        assert_eq!(
            validation::validate_list_due_running(Operation::ListDueRunning, now),
            invalid_input(message)
        );
        let mut storage = RecordingStorage::default();
        assert_eq!(
            store::list_due_running(&mut storage, now),
            Err(StoreError::InvalidInput(message.into()))
        );
        assert!(storage.calls.is_empty());
    }
    assert_eq!(
        validation::validate_list_due_running(Operation::ListDueRunning, at(0, 1_000)),
        Ok(())
    );
    assert_eq!(
        validation::validate_list_due_running(Operation::ListDueRunning, at(MIN_SECONDS, 0)),
        Ok(())
    );
}

#[test]
fn game_id_limit_counts_utf8_bytes_not_characters() {
    // 128 two-byte characters are 256 bytes; one more ASCII byte exceeds the limit.
    let at_limit = "é".repeat(128);
    assert_eq!(at_limit.len(), 256);
    let over_limit = format!("{at_limit}a");
    for (game_id, outcome) in [
        (at_limit.clone(), Ok(())),
        (
            over_limit.clone(),
            invalid_input("insert runtime record: game id must not exceed 256 bytes"),
        ),
    ] {
        assert_eq!(validation::validate_record(&record(&game_id)), outcome);
    }
    assert_eq!(validation::validate_get(&at_limit), Ok(()));
    assert_eq!(
        validation::validate_delete(&over_limit),
        invalid_input("delete runtime record: game id must not exceed 256 bytes")
    );
    assert_eq!(
        validation::validate_update_engine_health(&health_input(&"a".repeat(256))),
        Ok(())
    );
}

/// A 4096-byte string field of an operation: its words in messages and how to set it.
type TextField<T> = (&'static str, fn(&mut T, String));

/// For every field: `at_limit` fits, `over_limit` is rejected with the field's length message.
fn assert_text_limit_in_every_field<T: Clone + std::fmt::Debug>(
    prefix: &str,
    valid: &T,
    fields: &[TextField<T>],
    validate: impl Fn(&T) -> Result<(), StoreError>,
    (at_limit, over_limit): (&str, &str),
) {
    for &(field, set) in fields {
        let mut fits = valid.clone();
        set(&mut fits, at_limit.to_owned());
        assert_eq!(validate(&fits), Ok(()), "{field}");
        let mut exceeds = valid.clone();
        set(&mut exceeds, over_limit.to_owned());
        assert_eq!(
            validate(&exceeds),
            invalid_input(&format!("{prefix}: {field} must not exceed 4096 bytes"))
        );
    }
}

#[test]
fn text_limits_count_utf8_bytes_for_every_string_field() {
    // 1365 three-byte characters and one ASCII byte are 4096 bytes.
    let at_limit = format!("{}a", "€".repeat(1365));
    assert_eq!(at_limit.len(), 4096);
    let over_limit = format!("{at_limit}a");
    let limits = (at_limit.as_str(), over_limit.as_str());

    assert_text_limit_in_every_field(
        "insert runtime record",
        &record("g1"),
        &[
            ("engine endpoint", |r, v| r.engine_endpoint = v),
            ("current image ref", |r, v| r.current_image_ref = v),
            ("current engine version", |r, v| {
                r.current_engine_version = v
            }),
            ("engine health", |r, v| r.engine_health = v),
        ],
        validation::validate_record,
        limits,
    );
    assert_text_limit_in_every_field(
        "update runtime status",
        &status_input("g1", Status::Running, Status::Stopped),
        &[
            ("engine health summary", |i, v| {
                i.engine_health_summary = Some(v)
            }),
            ("current image ref", |i, v| i.current_image_ref = Some(v)),
            ("current engine version", |i, v| {
                i.current_engine_version = Some(v)
            }),
        ],
        validation::validate_update_status,
        limits,
    );
    assert_text_limit_in_every_field(
        "update runtime image",
        &image_input("g1", Status::Stopped),
        &[
            ("current image ref", |i, v| i.current_image_ref = v),
            ("current engine version", |i, v| {
                i.current_engine_version = v
            }),
        ],
        validation::validate_update_image,
        limits,
    );
    assert_text_limit_in_every_field(
        "update runtime engine health",
        &health_input("g1"),
        &[("engine health summary", |i, v| i.engine_health_summary = v)],
        validation::validate_update_engine_health,
        limits,
    );
}

#[test]
fn optional_fields_are_checked_only_when_set() {
    let unset = status_input("g1", Status::Starting, Status::Running);
    assert_eq!(validation::validate_update_status(&unset), Ok(()));
    let empty_summary = UpdateStatusInput {
        engine_health_summary: Some(" ".into()),
        ..unset
    };
    assert_eq!(
        validation::validate_update_status(&empty_summary),
        Ok(()),
        "a blank engine health summary is allowed"
    );
    let cleared = UpdateSchedulingInput {
        next_generation_at: None,
        ..scheduling_input("g1")
    };
    assert_eq!(validation::validate_update_scheduling(&cleared), Ok(()));
    let blank_health = UpdateEngineHealthInput {
        engine_health_summary: String::new(),
        ..health_input("g1")
    };
    assert_eq!(
        validation::validate_update_engine_health(&blank_health),
        Ok(())
    );
}

#[test]
fn blank_means_unicode_white_space_only() {
    for blank in [
        "",
        " ",
        "\t\n\r\u{b}\u{c}",
        "\u{85}",
        "\u{a0}",
        "\u{1680}",
        "\u{2028}",
        "\u{3000}",
    ] {
        assert!(validation::is_blank(blank), "{blank:?}");
    }
    // A zero-width space is not white space in Go or Rust; strings are never trimmed.
    for not_blank in ["\u{200b}", " g ", "."] {
        assert!(!validation::is_blank(not_blank), "{not_blank:?}");
        assert_eq!(validation::validate_get(not_blank), Ok(()));
    }
}

#[test]
fn insert_accepts_any_status_with_any_stamps_and_equal_created_and_updated() {
    for status in runtime_store_rules::transitions::ALL_STATUSES {
        let imported = RuntimeRecord {
            status,
            started_at: Some(at(MIN_SECONDS, 0)),
            stopped_at: Some(at(MAX_SECONDS, 999_999_999)),
            finished_at: Some(at(-1, 999_999_999)),
            next_generation_at: Some(at(0, 1_000)),
            created_at: LATER,
            updated_at: LATER,
            ..record("imported")
        };
        assert_eq!(validation::validate_record(&imported), Ok(()));
    }
}

#[test]
fn updated_at_is_compared_with_created_at_as_given_before_truncation() {
    // Both truncate to the same microsecond, yet updated at is 1 ns earlier.
    let record = RuntimeRecord {
        created_at: at(CREATED.seconds, 501),
        updated_at: at(CREATED.seconds, 500),
        ..record("g1")
    };
    assert_eq!(
        validation::validate_record(&record),
        invalid_input("insert runtime record: updated at must not be before created at")
    );
}

#[test]
fn forbidden_transitions_quote_stored_texts() {
    let input = status_input("g1", Status::GenerationInProgress, Status::Stopped);
    assert_eq!(
        validation::validate_update_status(&input),
        Err(StoreError::InvalidTransition(
            "update runtime status: runtime status transition from \"generation_in_progress\" to \"stopped\" is not allowed"
                .into()
        ))
    );
}

/// A string field of an operation: its words in messages, its limit and how to set it.
type StringField<T> = (&'static str, usize, fn(&mut T, String));

/// For every field: NUL anywhere, or filling the field up to its limit, is rejected with
/// the field's NUL message; NUL past the limit reports the length; other control
/// characters and look-alikes of NUL pass.
fn assert_nul_rejected_in_every_field<T: Clone + std::fmt::Debug>(
    prefix: &str,
    valid: &T,
    fields: &[StringField<T>],
    validate: impl Fn(&T) -> Result<(), StoreError>,
) {
    for &(field, max_bytes, set) in fields {
        let with = |text: String| {
            let mut value = valid.clone();
            set(&mut value, text);
            value
        };
        let nul_message = format!("{prefix}: {field} must not contain NUL characters");
        for text in [
            "\0".to_owned(),
            "\0g".to_owned(),
            "g\0".to_owned(),
            "g\0g".to_owned(),
            " \0 ".to_owned(),
            "\0".repeat(max_bytes),
        ] {
            let value = with(text);
            assert_eq!(validate(&value), invalid_input(&nul_message), "{value:?}");
        }
        let too_long = with("\0".repeat(max_bytes + 1));
        assert_eq!(
            validate(&too_long),
            invalid_input(&format!(
                "{prefix}: {field} must not exceed {max_bytes} bytes"
            )),
            "a string both too long and holding NUL reports the length"
        );
        for text in [
            "g\u{1}\u{1f}\u{7f}\u{80}",
            "g\u{2400}",
            "g\\0",
            "\u{10ffff}",
        ] {
            let value = with(text.into());
            assert_eq!(validate(&value), Ok(()), "{value:?}");
        }
    }
}

#[test]
fn every_string_field_rejects_nul_and_accepts_other_control_characters() {
    let record_fields: [StringField<RuntimeRecord>; 5] = [
        ("game id", 256, |r, v| r.game_id = v),
        ("engine endpoint", 4096, |r, v| r.engine_endpoint = v),
        ("current image ref", 4096, |r, v| r.current_image_ref = v),
        ("current engine version", 4096, |r, v| {
            r.current_engine_version = v
        }),
        ("engine health", 4096, |r, v| r.engine_health = v),
    ];
    assert_nul_rejected_in_every_field(
        "insert runtime record",
        &record("g1"),
        &record_fields,
        validation::validate_record,
    );

    let status_fields: [StringField<UpdateStatusInput>; 4] = [
        ("game id", 256, |i, v| i.game_id = v),
        ("engine health summary", 4096, |i, v| {
            i.engine_health_summary = Some(v)
        }),
        ("current image ref", 4096, |i, v| {
            i.current_image_ref = Some(v)
        }),
        ("current engine version", 4096, |i, v| {
            i.current_engine_version = Some(v)
        }),
    ];
    assert_nul_rejected_in_every_field(
        "update runtime status",
        &status_input("g1", Status::Running, Status::Stopped),
        &status_fields,
        validation::validate_update_status,
    );

    let scheduling_fields: [StringField<UpdateSchedulingInput>; 1] =
        [("game id", 256, |i, v| i.game_id = v)];
    assert_nul_rejected_in_every_field(
        "update runtime scheduling",
        &scheduling_input("g1"),
        &scheduling_fields,
        validation::validate_update_scheduling,
    );

    let image_fields: [StringField<UpdateImageInput>; 3] = [
        ("game id", 256, |i, v| i.game_id = v),
        ("current image ref", 4096, |i, v| i.current_image_ref = v),
        ("current engine version", 4096, |i, v| {
            i.current_engine_version = v
        }),
    ];
    assert_nul_rejected_in_every_field(
        "update runtime image",
        &image_input("g1", Status::Running),
        &image_fields,
        validation::validate_update_image,
    );

    let health_fields: [StringField<UpdateEngineHealthInput>; 2] = [
        ("game id", 256, |i, v| i.game_id = v),
        ("engine health summary", 4096, |i, v| {
            i.engine_health_summary = v
        }),
    ];
    assert_nul_rejected_in_every_field(
        "update runtime engine health",
        &health_input("g1"),
        &health_fields,
        validation::validate_update_engine_health,
    );

    for (prefix, validate) in [
        (
            "get runtime record",
            validation::validate_get as fn(&str) -> Result<(), StoreError>,
        ),
        ("delete runtime record", validation::validate_delete),
    ] {
        let game_id_field: [StringField<String>; 1] = [("game id", 256, |g, v| *g = v)];
        assert_nul_rejected_in_every_field(prefix, &"g1".to_owned(), &game_id_field, |g| {
            validate(g)
        });
    }
}

#[test]
fn nul_checks_run_group_by_group_after_every_length_and_timestamp() {
    // A NUL in an early field loses to the length of a later one: the groups run in turn.
    let nul_then_long = RuntimeRecord {
        game_id: "g\0".into(),
        engine_health: too_long_text(),
        ..record("g1")
    };
    assert_eq!(
        validation::validate_record(&nul_then_long),
        invalid_input("insert runtime record: engine health must not exceed 4096 bytes")
    );
    let nul_and_invalid_stamp = RuntimeRecord {
        current_image_ref: "engine:\0".into(),
        finished_at: Some(OVERFLOWING),
        ..record("g1")
    };
    assert_eq!(
        validation::validate_record(&nul_and_invalid_stamp),
        invalid_input("insert runtime record: finished at is not a valid timestamp")
    );
    let two_nuls = RuntimeRecord {
        engine_endpoint: "\0".into(),
        engine_health: "\0".into(),
        ..record("g1")
    };
    assert_eq!(
        validation::validate_record(&two_nuls),
        invalid_input("insert runtime record: engine endpoint must not contain NUL characters"),
        "the first string in WIT field order is named"
    );

    let status = UpdateStatusInput {
        engine_health_summary: Some("\0".into()),
        now: OVERFLOWING,
        ..status_input("g1", Status::Running, Status::Stopped)
    };
    assert_eq!(
        validation::validate_update_status(&status),
        invalid_input("update runtime status: now is not a valid timestamp")
    );
    let scheduling = UpdateSchedulingInput {
        game_id: "\0".into(),
        next_generation_at: Some(at(MAX_SECONDS + 1, 0)),
        ..scheduling_input("g1")
    };
    assert_eq!(
        validation::validate_update_scheduling(&scheduling),
        invalid_input("update runtime scheduling: next generation at is not a valid timestamp")
    );
    let image = UpdateImageInput {
        current_engine_version: "\0".into(),
        current_image_ref: too_long_text(),
        ..image_input("g1", Status::Running)
    };
    assert_eq!(
        validation::validate_update_image(&image),
        invalid_input("update runtime image: current image ref must not exceed 4096 bytes")
    );
    let health = UpdateEngineHealthInput {
        game_id: "\0".into(),
        now: at(0, 1_000_000_000),
        ..health_input("g1")
    };
    assert_eq!(
        validation::validate_update_engine_health(&health),
        invalid_input("update runtime engine health: now is not a valid timestamp")
    );
}

#[test]
fn nul_is_checked_in_optional_strings_only_when_set() {
    let unset = status_input("g\u{1}", Status::Starting, Status::Running);
    assert_eq!(validation::validate_update_status(&unset), Ok(()));
    let set_to_nul = UpdateStatusInput {
        current_image_ref: Some("\0".into()),
        ..unset
    };
    assert_eq!(
        validation::validate_update_status(&set_to_nul),
        invalid_input("update runtime status: current image ref must not contain NUL characters"),
        "NUL is not white space, so the string is not blank"
    );
}
