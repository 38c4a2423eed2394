//! Every store error reads the same in every host: the cases of `tests/messages.json`
//! (generated from the vocabulary crate, and checked by the Python and JavaScript hosts'
//! tests too) built as this host builds them, compared by their text.

use runtime_store_host::{BackendError, Operation, StoreError};
use serde_json::Value;

fn operation(wit_name: &str) -> Operation {
    Operation::ALL
        .into_iter()
        .find(|operation| operation.wit_name() == wit_name)
        .unwrap_or_else(|| panic!("unknown operation {wit_name}"))
}

fn store_error(case: &Value) -> StoreError {
    let operation = operation(case["operation"].as_str().unwrap());
    let game_id = case["game-id"].as_str().map(str::to_owned);
    let error = &case["error"];
    let text = |key: &str| error[key].as_str().unwrap().to_owned();
    match error["case"].as_str().unwrap() {
        "not-found" => StoreError::NotFound {
            operation,
            game_id: game_id.unwrap(),
        },
        "conflict" => StoreError::Conflict {
            operation,
            game_id: game_id.unwrap(),
        },
        "invalid-input" => StoreError::InvalidInput(text("message")),
        "invalid-transition" => StoreError::InvalidTransition(text("message")),
        "backend" => StoreError::Backend {
            operation,
            game_id,
            source: match error["kind"].as_str().unwrap() {
                "unavailable" => BackendError::Unavailable(text("reason")),
                "corrupt" => BackendError::Corrupt(text("reason")),
                _ => BackendError::Failed(text("reason")),
            },
        },
        other => panic!("unknown store-error case {other}"),
    }
}

#[test]
fn store_errors_read_as_the_shared_messages() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/messages.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(!cases.is_empty());
    for case in &cases {
        assert_eq!(
            store_error(case).to_string(),
            case["message"].as_str().unwrap(),
            "{case}"
        );
    }
}
