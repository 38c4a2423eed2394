//! The Python and JavaScript vocabularies and the shared message expectations are
//! generated from this crate. This test renders them and compares with the committed
//! files; `UPDATE_GENERATED=1 cargo test -p runtime-store-vocabulary` rewrites them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use runtime_store_vocabulary::{
    BackendErrorKind, LARGEST_STRING_PASSED, NOT_FOUND, Operation, RECORD_EXISTS, STATUS_DIFFERS,
    Status, StoreErrorCase, WHITE_SPACE, boundary, page, quote, sandbox, store_error_message,
};

const REWRITE_COMMAND: &str = "UPDATE_GENERATED=1 cargo test -p runtime-store-vocabulary";

/// Every constant the hosts need, as (name, value).
fn constants() -> Vec<(&'static str, &'static str)> {
    vec![
        ("NOT_FOUND", NOT_FOUND),
        ("RECORD_EXISTS", RECORD_EXISTS),
        ("STATUS_DIFFERS", STATUS_DIFFERS),
        ("SANDBOX_OUT_OF_FUEL", sandbox::OUT_OF_FUEL),
        ("SANDBOX_MEMORY_LIMIT", sandbox::MEMORY_LIMIT),
        ("SANDBOX_TRAPPED", sandbox::TRAPPED),
        ("SANDBOX_TRAPPED_NEAR_LIMIT", sandbox::TRAPPED_NEAR_LIMIT),
        ("SANDBOX_DEADLINE", sandbox::DEADLINE),
        ("SANDBOX_BACKEND_CALLS", sandbox::BACKEND_CALLS),
        ("SANDBOX_BUSY", sandbox::BUSY),
        ("SANDBOX_INSTANTIATION", sandbox::INSTANTIATION),
        ("SANDBOX_RULES", sandbox::RULES),
        ("BOUNDARY_MUST_BE", boundary::MUST_BE),
        ("BOUNDARY_INTEGER_IN", boundary::INTEGER_IN),
        ("BOUNDARY_STRING", boundary::STRING),
        ("BOUNDARY_BOOLEAN", boundary::BOOLEAN),
        ("BOUNDARY_STATUS", boundary::STATUS),
        ("BOUNDARY_TIMESTAMP", boundary::TIMESTAMP),
        ("BOUNDARY_RECORD", boundary::RECORD),
        ("PAGE_LIMIT_OUT_OF_RANGE", page::LIMIT_OUT_OF_RANGE),
        ("PAGE_MALFORMED_CURSOR", page::MALFORMED_CURSOR),
        ("PAGE_SCAN_OUT_OF_ORDER", page::SCAN_OUT_OF_ORDER),
        ("WHITE_SPACE", WHITE_SPACE),
    ]
}

/// A string literal that Python and JavaScript read alike, in ASCII: JSON quoting with every
/// other character as a `\u` escape of four hex digits (the vocabulary holds no character
/// beyond the BMP).
fn literal(text: &str) -> String {
    quote(text)
        .chars()
        .map(|character| {
            if character.is_ascii() {
                character.to_string()
            } else {
                let code = u32::from(character);
                assert!(code <= 0xffff, "{character:?} needs a surrogate pair");
                format!("\\u{code:04x}")
            }
        })
        .collect()
}

fn pairs<T: Copy>(
    items: &[T],
    key: fn(T) -> &'static str,
    value: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    items
        .iter()
        .map(|&item| (literal(key(item)), literal(value(item))))
        .collect()
}

fn statuses() -> Vec<(String, String)> {
    pairs(&Status::ALL, Status::wit_name, Status::stored_text)
}

fn operations() -> Vec<(String, String)> {
    pairs(&Operation::ALL, Operation::wit_name, Operation::words)
}

fn backend_kinds() -> Vec<(String, String)> {
    pairs(
        &BackendErrorKind::ALL,
        BackendErrorKind::wit_name,
        BackendErrorKind::words,
    )
}

/// How one target language writes the generated module.
struct Syntax {
    header: String,
    comment: fn(&str) -> String,
    mapping_start: fn(&str) -> String,
    entry: fn(&str, &str) -> String,
    mapping_end: &'static str,
    constant: fn(&str, &str) -> String,
}

/// The module: the three mappings, then every constant, in `syntax`.
fn module(syntax: &Syntax) -> String {
    let mut text = syntax.header.clone();
    let mappings = [
        (
            "STATUSES",
            "WIT case name -> stored text, in WIT order.",
            statuses(),
        ),
        (
            "OPERATIONS",
            "WIT function name -> the words that start its messages.",
            operations(),
        ),
        (
            "BACKEND_ERROR_KINDS",
            "WIT backend-error case -> the words that start its message.",
            backend_kinds(),
        ),
    ];
    for (name, comment, entries) in mappings {
        text.push_str(&(syntax.comment)(comment));
        text.push_str(&(syntax.mapping_start)(name));
        for (key, value) in entries {
            text.push_str(&(syntax.entry)(&key, &value));
        }
        text.push_str(syntax.mapping_end);
    }
    for (name, value) in constants() {
        text.push_str(&(syntax.constant)(name, &literal(value)));
    }
    text.push_str(&(syntax.constant)(
        "LARGEST_STRING_PASSED",
        &LARGEST_STRING_PASSED.to_string(),
    ));
    text.push_str(&(syntax.constant)(
        "LARGEST_PAGE_LIMIT",
        &page::LARGEST_LIMIT.to_string(),
    ));
    text
}

fn python_module() -> String {
    module(&Syntax {
        header: format!(
            "\"\"\"The store's words, generated from the runtime-store-vocabulary crate: do not edit.\n\n\
             `{REWRITE_COMMAND}` rewrites this file from `vocabulary/src/lib.rs`.\n\"\"\"\n\n\
             from typing import Final\n\n"
        ),
        comment: |text| format!("# {text}\n"),
        mapping_start: |name| format!("{name}: Final[dict[str, str]] = {{\n"),
        entry: |key, value| format!("    {key}: {value},\n"),
        mapping_end: "}\n\n",
        constant: |name, value| format!("{name}: Final = {value}\n"),
    })
}

fn js_module() -> String {
    module(&Syntax {
        header: format!(
            "// The store's words, generated from the runtime-store-vocabulary crate: do not edit.\n\
             // `{REWRITE_COMMAND}` rewrites this file from `vocabulary/src/lib.rs`.\n\n"
        ),
        comment: |text| format!("/** {text} */\n"),
        mapping_start: |name| format!("export const {name} = Object.freeze({{\n"),
        entry: |key, value| format!("  {key}: {value},\n"),
        mapping_end: "});\n\n",
        constant: |name, value| format!("export const {name} = {value};\n"),
    })
}

/// Game ids that test the quoting: plain, quotes and backslashes, control characters,
/// non-ASCII.
const GAME_IDS: [&str; 4] = [
    "game-1",
    "say \"hi\" \\ bye",
    "tab\there\nnew\u{1}line",
    "jeu-é-🎲",
];

/// Whole messages for failures every host can produce, in JSON: each host's tests build
/// its error for (operation, game id, error) the way its store does and compare the text.
fn messages_json() -> String {
    let mut cases: Vec<(Operation, Option<&str>, StoreErrorCase<'_>)> = Vec::new();
    for game_id in GAME_IDS {
        for operation in [
            Operation::Get,
            Operation::UpdateStatus,
            Operation::UpdateScheduling,
            Operation::UpdateImage,
            Operation::UpdateEngineHealth,
        ] {
            cases.push((operation, Some(game_id), StoreErrorCase::NotFound));
        }
        for operation in [
            Operation::Insert,
            Operation::UpdateStatus,
            Operation::UpdateImage,
        ] {
            cases.push((operation, Some(game_id), StoreErrorCase::Conflict));
        }
        for kind in BackendErrorKind::ALL {
            cases.push((
                Operation::Delete,
                Some(game_id),
                StoreErrorCase::Backend(kind, "the reason"),
            ));
        }
    }
    for operation in [
        Operation::List,
        Operation::ListByStatus,
        Operation::ListDueRunning,
    ] {
        for kind in BackendErrorKind::ALL {
            cases.push((
                operation,
                None,
                StoreErrorCase::Backend(kind, "connection refused"),
            ));
        }
    }
    cases.push((
        Operation::UpdateStatus,
        Some("game-1"),
        StoreErrorCase::InvalidInput("update runtime status: now must not be zero"),
    ));
    cases.push((
        Operation::Transition,
        None,
        StoreErrorCase::InvalidTransition(
            "runtime status transition from \"finished\" to \"running\" is not allowed",
        ),
    ));

    let mut text = String::from("[\n");
    for (index, (operation, game_id, error)) in cases.iter().enumerate() {
        let game_id_json = game_id.map_or("null".to_owned(), quote);
        let error_json = match error {
            StoreErrorCase::NotFound => r#"{"case": "not-found"}"#.to_owned(),
            StoreErrorCase::Conflict => r#"{"case": "conflict"}"#.to_owned(),
            StoreErrorCase::InvalidTransition(message) => {
                format!(
                    r#"{{"case": "invalid-transition", "message": {}}}"#,
                    quote(message)
                )
            }
            StoreErrorCase::InvalidInput(message) => {
                format!(
                    r#"{{"case": "invalid-input", "message": {}}}"#,
                    quote(message)
                )
            }
            StoreErrorCase::Backend(kind, reason) => format!(
                r#"{{"case": "backend", "kind": {}, "reason": {}}}"#,
                quote(kind.wit_name()),
                quote(reason)
            ),
        };
        let separator = if index + 1 == cases.len() { "" } else { "," };
        writeln!(
            text,
            "  {{\"operation\": {}, \"game-id\": {game_id_json}, \"error\": {error_json}, \"message\": {}}}{separator}",
            quote(operation.wit_name()),
            quote(&store_error_message(*operation, *game_id, error))
        )
        .unwrap();
    }
    text.push_str("]\n");
    text
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lies in the repository")
        .to_path_buf()
}

fn check_or_write(relative: &str, rendered: String) {
    let path = repository().join(relative);
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, rendered).unwrap_or_else(|err| panic!("write {relative}: {err}"));
        return;
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("read {relative}: {err}; `{REWRITE_COMMAND}` writes it"));
    assert!(
        committed == rendered,
        "{relative} differs from what vocabulary/src/lib.rs gives: run `{REWRITE_COMMAND}`"
    );
}

#[test]
fn python_vocabulary_is_generated_from_this_crate() {
    check_or_write("hosts/python/runtime_store/_vocabulary.py", python_module());
}

#[test]
fn javascript_vocabulary_is_generated_from_this_crate() {
    check_or_write("hosts/js/src/vocabulary.js", js_module());
}

#[test]
fn shared_message_expectations_are_generated_from_this_crate() {
    check_or_write("tests/messages.json", messages_json());
}

#[test]
fn the_message_expectations_are_valid_json() {
    let parsed: serde_json::Value = serde_json::from_str(&messages_json()).unwrap();
    let cases = parsed.as_array().expect("a list of cases");
    assert_eq!(cases.len(), GAME_IDS.len() * 11 + 11);
    for case in cases {
        assert!(
            case["message"].is_string() && case["error"]["case"].is_string(),
            "{case}"
        );
    }
}
