//! Bad input is answered with the exact typed error, never a trap or a panic.

use crate::common::{at, memory_store, record};
use runtime_store_host::{
    Operation, RuntimeRecord, Status, StoreError, Timestamp, UpdateEngineHealthInput,
    UpdateImageInput, UpdateSchedulingInput, UpdateStatusInput,
};

fn invalid(message: &str) -> Result<(), StoreError> {
    Err(StoreError::InvalidInput(message.into()))
}

#[tokio::test]
async fn validation_messages_are_exact() {
    let store = memory_store().await;
    assert_eq!(
        store.get(" \t").await.map(drop),
        invalid("get runtime record: game id must not be empty")
    );
    assert_eq!(
        store.delete(&"x".repeat(257)).await,
        invalid("delete runtime record: game id must not exceed 256 bytes")
    );
    let mut blank_endpoint = record("g1", Status::Starting, 100);
    blank_endpoint.engine_endpoint = "  ".into();
    assert_eq!(
        store.insert(&blank_endpoint).await,
        invalid("insert runtime record: engine endpoint must not be empty")
    );
    let mut backwards = record("g1", Status::Starting, 100);
    backwards.updated_at = at(99);
    assert_eq!(
        store.insert(&backwards).await,
        invalid("insert runtime record: updated at must not be before created at")
    );
    assert_eq!(
        store
            .update_scheduling(&UpdateSchedulingInput {
                game_id: "g1".into(),
                next_generation_at: None,
                skip_next_tick: false,
                current_turn: 1,
                now: Timestamp {
                    seconds: 5,
                    nanoseconds: 1_000_000_000
                },
            })
            .await,
        invalid("update runtime scheduling: now is not a valid timestamp")
    );
    assert_eq!(
        store.list_due_running(at(0)).await.map(drop),
        invalid("list due runtimes: now must not be zero")
    );
    assert_eq!(
        store
            .update_image(&UpdateImageInput {
                game_id: "g1".into(),
                expected_status: Status::Running,
                current_image_ref: "".into(),
                current_engine_version: "2".into(),
                now: at(5),
            })
            .await,
        invalid("update runtime image: current image ref must not be empty")
    );
    assert!(store.list().await.unwrap().is_empty(), "nothing was stored");
}

#[tokio::test]
async fn forbidden_transitions_missing_records_and_duplicates_are_typed() {
    let store = memory_store().await;
    store
        .insert(&record("g1", Status::Running, 100))
        .await
        .unwrap();
    assert_eq!(
        store
            .update_status(&UpdateStatusInput {
                game_id: "g1".into(),
                expected_from: Status::Running,
                to: Status::Starting,
                now: at(200),
                engine_health_summary: None,
                current_image_ref: None,
                current_engine_version: None,
            })
            .await,
        Err(StoreError::InvalidTransition(
            r#"update runtime status: runtime status transition from "running" to "starting" is not allowed"#.into()
        ))
    );
    assert_eq!(
        store.insert(&record("g1", Status::Starting, 100)).await,
        Err(StoreError::Conflict {
            operation: Operation::Insert,
            game_id: "g1".into()
        })
    );
    let missing = store
        .update_engine_health(&UpdateEngineHealthInput {
            game_id: "ghost".into(),
            engine_health_summary: "unreachable".into(),
            now: at(300),
        })
        .await
        .unwrap_err();
    assert_eq!(
        missing,
        StoreError::NotFound {
            operation: Operation::UpdateEngineHealth,
            game_id: "ghost".into()
        }
    );
    assert_eq!(
        missing.to_string(),
        r#"update runtime engine health "ghost": runtime record not found"#
    );
    assert_eq!(
        store.rules().allowed_transitions(Status::Finished).await,
        Ok(Vec::new())
    );
    assert_eq!(
        store.rules().allowed_transitions(Status::Starting).await,
        Ok(vec![Status::Running, Status::Stopped])
    );
}

#[tokio::test]
async fn rules_report_the_messages_the_store_returns() {
    let store = memory_store().await;
    let mut zero_created = record("g1", Status::Starting, 100);
    zero_created.created_at = Timestamp {
        seconds: 0,
        nanoseconds: 999,
    };
    let expected = invalid("insert runtime record: created at must not be zero");
    assert_eq!(store.rules().validate_record(&zero_created).await, expected);
    assert_eq!(store.insert(&zero_created).await, expected);
}

/// Strings and instants at and past every edge; none may trap the guest.
#[tokio::test]
async fn arbitrary_bad_input_never_traps() {
    let store = memory_store().await;
    let strings = [
        String::new(),
        "\u{3000}\u{85}".into(),
        "\0".into(),
        "é".repeat(200),
        "x".repeat(5_000),
        "🦀".repeat(64),
    ];
    let instants = [
        Timestamp {
            seconds: i64::MIN,
            nanoseconds: u32::MAX,
        },
        Timestamp {
            seconds: i64::MAX,
            nanoseconds: 0,
        },
        Timestamp {
            seconds: -62_135_596_801,
            nanoseconds: 0,
        },
        Timestamp {
            seconds: 0,
            nanoseconds: 999,
        },
    ];
    for text in &strings {
        for &instant in &instants {
            let candidate = RuntimeRecord {
                game_id: text.clone(),
                engine_endpoint: text.clone(),
                engine_health: text.clone(),
                created_at: instant,
                next_generation_at: Some(instant),
                ..record("g", Status::Finished, 1)
            };
            let outcomes = [
                store.insert(&candidate).await,
                store.get(text).await.map(drop),
                store.delete(text).await,
                store.list_due_running(instant).await.map(drop),
                store
                    .update_status(&UpdateStatusInput {
                        game_id: text.clone(),
                        expected_from: Status::Stopped,
                        to: Status::Finished,
                        now: instant,
                        engine_health_summary: Some(text.clone()),
                        current_image_ref: Some(text.clone()),
                        current_engine_version: Some(text.clone()),
                    })
                    .await,
                store
                    .update_scheduling(&UpdateSchedulingInput {
                        game_id: text.clone(),
                        next_generation_at: Some(instant),
                        skip_next_tick: true,
                        current_turn: u32::MAX,
                        now: instant,
                    })
                    .await,
            ];
            for outcome in outcomes {
                if let Err(error) = outcome {
                    assert!(
                        matches!(
                            error,
                            StoreError::InvalidInput(_)
                                | StoreError::NotFound { .. }
                                | StoreError::Conflict { .. }
                        ),
                        "{error:?}"
                    );
                }
            }
        }
    }
}

/// Strings far beyond every limit get the rules' own answer (same message, same
/// precedence as a 4 KB one), never a sandbox memory failure: the host hands the guest a
/// stand-in that keeps the string's blankness and its excess.
#[tokio::test]
async fn huge_strings_get_the_rules_answer_not_a_memory_failure() {
    let store = memory_store().await;
    let huge = 100 << 20;
    assert_eq!(
        store.get(&"x".repeat(huge)).await.map(drop),
        invalid("get runtime record: game id must not exceed 256 bytes")
    );
    assert_eq!(
        store.delete(&" ".repeat(huge)).await,
        invalid("delete runtime record: game id must not be empty")
    );
    let mut spaces_then_text = " ".repeat(huge);
    spaces_then_text.push('x');
    assert_eq!(
        store.get(&spaces_then_text).await.map(drop),
        invalid("get runtime record: game id must not exceed 256 bytes")
    );
    let mut huge_endpoint = record("g1", Status::Starting, 100);
    huge_endpoint.engine_endpoint = "e".repeat(huge);
    huge_endpoint.current_image_ref = " ".repeat(huge);
    // A blank image ref is check 3, before every length: the stand-in keeps it blank.
    assert_eq!(
        store.insert(&huge_endpoint).await,
        invalid("insert runtime record: current image ref must not be empty")
    );
    huge_endpoint.current_image_ref = "img".into();
    assert_eq!(
        store.insert(&huge_endpoint).await,
        invalid("insert runtime record: engine endpoint must not exceed 4096 bytes")
    );
    let health = UpdateEngineHealthInput {
        game_id: "g1".into(),
        engine_health_summary: "h".repeat(huge),
        now: at(200),
    };
    assert_eq!(
        store.update_engine_health(&health).await,
        invalid("update runtime engine health: engine health summary must not exceed 4096 bytes")
    );
    assert!(store.list().await.unwrap().is_empty());
}
