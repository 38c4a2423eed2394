//! The fuzz harness at CI size (`RUNTIME_STORE_FUZZ_CASES` cases, a few hundred by
//! default), natively and through the wasm host; the soak size is the `fuzz` binary.

use runtime_store_conformance::{Call, OkValue};
use runtime_store_fuzz::{
    Answer, PREVIOUS_PAGE, cases_from_env, continued, fuzz_native, fuzz_wasm, run_native,
};
use runtime_store_host::{Status, Timestamp};
use runtime_store_rules::memory::MemoryStorage;

const CASES: u32 = 300;

#[test]
fn arbitrary_calls_natively_answer_with_results_or_typed_errors() {
    let stats = fuzz_native(cases_from_env(CASES)).unwrap_or_else(|failure| panic!("{failure}"));
    println!("{stats}");
    assert_eq!(stats.cases, u64::from(cases_from_env(CASES)));
    for kind in ["ok", "invalid-input", "not-found"] {
        assert!(
            stats.answers.keys().any(|(_, answered)| *answered == kind),
            "no {kind} answer:\n{stats}"
        );
    }
}

#[test]
fn arbitrary_calls_through_wasm_answer_as_natively_and_never_trap() {
    let stats = fuzz_wasm(cases_from_env(CASES)).unwrap_or_else(|failure| panic!("{failure}"));
    println!("{stats}");
    assert_eq!(stats.cases, u64::from(cases_from_env(CASES)));
    for path in [
        ("insert", "ok"),
        ("insert", "conflict"),
        ("update-scheduling", "ok"),
        ("list-page", "ok"),
        ("list-page", "invalid-input"),
        ("list-by-status-page", "ok"),
        ("list-due-running-page", "ok"),
        ("list-due-running-page", "invalid-input"),
    ] {
        assert!(
            stats.answers.contains_key(&path),
            "no {path:?} answer:\n{stats}"
        );
    }
}

#[test]
fn the_native_path_reports_what_it_answered() {
    let mut storage = MemoryStorage::default();
    assert_eq!(
        run_native(
            &mut storage,
            &Call::Get {
                game_id: "g".into()
            }
        ),
        Ok(Answer::NotFound)
    );
    assert_eq!(
        run_native(
            &mut storage,
            &Call::Get {
                game_id: "\u{3000}".into()
            }
        ),
        Ok(Answer::InvalidInput(
            "get runtime record: game id must not be empty".into()
        ))
    );
    assert_eq!(
        run_native(
            &mut storage,
            &Call::Transition {
                from: Status::Finished,
                to: Status::Running
            }
        ),
        Ok(Answer::InvalidTransition(
            "runtime status transition from \"finished\" to \"running\" is not allowed".into()
        ))
    );
}

#[test]
fn the_native_path_pages_and_continues_from_the_previous_cursor() {
    let mut storage = MemoryStorage::default();
    for (game_id, seconds) in [
        ("a", 1_700_000_001),
        ("b", 1_700_000_002),
        ("c", 1_700_000_003),
    ] {
        let record = runtime_store_backend::sample::record(
            game_id,
            Status::Running,
            Timestamp {
                seconds,
                nanoseconds: 0,
            },
        );
        assert_eq!(
            run_native(&mut storage, &Call::Insert(record)),
            Ok(Answer::Ok(OkValue::Unit))
        );
    }
    let ids = |answer: &Answer| match answer {
        Answer::Ok(OkValue::Page {
            records,
            next_cursor,
        }) => (
            records
                .iter()
                .map(|record| record.game_id.clone())
                .collect::<Vec<_>>(),
            next_cursor.clone(),
        ),
        other => panic!("not a page: {other:?}"),
    };
    let first = run_native(
        &mut storage,
        &Call::ListPage {
            cursor: None,
            limit: 2,
        },
    )
    .unwrap();
    let (first_ids, next) = ids(&first);
    assert_eq!(first_ids, ["c", "b"], "newest first");
    assert!(next.is_some());
    let call = Call::ListPage {
        cursor: Some(PREVIOUS_PAGE.into()),
        limit: 2,
    };
    let second = run_native(&mut storage, &continued(&call, next.as_deref())).unwrap();
    assert_eq!(ids(&second), (vec!["a".to_owned()], None));
    // After the last page, continuing starts over.
    assert_eq!(
        continued(&call, None),
        Call::ListPage {
            cursor: None,
            limit: 2
        }
    );
    assert!(matches!(
        run_native(&mut storage, &Call::ListPage { cursor: None, limit: 0 }),
        Ok(Answer::InvalidInput(message)) if message.starts_with("list runtimes: ")
    ));
    // A cursor of the newest-first order is refused by the due list.
    assert!(matches!(
        run_native(
            &mut storage,
            &Call::ListDueRunningPage {
                now: Timestamp {
                    seconds: 1_800_000_000,
                    nanoseconds: 0
                },
                cursor: next,
                limit: 2
            }
        ),
        Ok(Answer::InvalidInput(_))
    ));
}
