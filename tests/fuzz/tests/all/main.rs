//! The fuzz harness at CI size (`RUNTIME_STORE_FUZZ_CASES` cases, a few hundred by
//! default), natively and through the wasm host; the soak size is the `fuzz` binary.

use runtime_store_conformance::Call;
use runtime_store_fuzz::{Answer, cases_from_env, fuzz_native, fuzz_wasm, run_native};
use runtime_store_host::Status;
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
