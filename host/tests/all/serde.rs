//! With the `serde` feature the inputs use the WIT field names (kebab-case).

use runtime_store_host::{Status, Timestamp, UpdateSchedulingInput, UpdateStatusInput};

#[test]
fn inputs_read_and_write_the_wit_field_names() {
    let input: UpdateStatusInput = serde_json::from_str(
        r#"{"game-id": "g1", "expected-from": "generation-in-progress", "to": "running",
            "now": {"seconds": 5, "nanoseconds": 7}, "engine-health-summary": null,
            "current-image-ref": "img:2", "current-engine-version": null}"#,
    )
    .unwrap();
    assert_eq!(
        input,
        UpdateStatusInput {
            game_id: "g1".into(),
            expected_from: Status::GenerationInProgress,
            to: Status::Running,
            now: Timestamp {
                seconds: 5,
                nanoseconds: 7
            },
            engine_health_summary: None,
            current_image_ref: Some("img:2".into()),
            current_engine_version: None,
        }
    );
    let scheduling = UpdateSchedulingInput {
        game_id: "g1".into(),
        next_generation_at: None,
        skip_next_tick: true,
        current_turn: 3,
        now: Timestamp {
            seconds: 9,
            nanoseconds: 0,
        },
    };
    assert_eq!(
        serde_json::to_value(&scheduling).unwrap(),
        serde_json::json!({"game-id": "g1", "next-generation-at": null, "skip-next-tick": true,
            "current-turn": 3, "now": {"seconds": 9, "nanoseconds": 0}})
    );
    let unknown = serde_json::from_str::<UpdateSchedulingInput>(
        r#"{"game-id": "g1", "next-generation-at": null, "skip-next-tick": true,
            "current-turn": 3, "now": {"seconds": 9, "nanoseconds": 0}, "turn": 4}"#,
    );
    assert!(unknown.is_err());
}
