//! Random operation sequences through the wasm host on PostgreSQL, every result and the
//! final `list()` compared with the reference model of `runtime_store_conformance::model`
//! (the property `tests/conformance/tests/all/model_based.rs` checks on the in-memory adapter):
//! truncation to microseconds, game ids that differ only in case or by a non-ASCII
//! letter, and result orders that must not follow the database's collation.

use runtime_store_conformance::model::{Budget, check_sequence, check_sequences};
use runtime_store_host::Operation;
use runtime_store_postgres_tests::database::isolated;
use tokio::runtime::Handle;

/// A few hundred sequences, as on memory (about 4 s against the local server); the soak
/// (`soak --adapter postgres`) runs ten thousand.
const BUDGET: Budget = Budget {
    cases: 300,
    max_steps: 40,
    max_shrink_iters: 256,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_operation_sequences_match_the_reference_model_on_postgres() {
    isolated("model_based", |schema| async move {
        let store = schema.store().await;
        let handle = Handle::current();
        // The proptest runner calls the property synchronously, so it runs on a blocking
        // thread that may block on the runtime.
        let tally = tokio::task::spawn_blocking(move || {
            check_sequences(BUDGET, |sequence| {
                handle.block_on(async {
                    schema.truncate().await;
                    check_sequence(&store, sequence).await
                })
            })
            .unwrap_or_else(|failure| panic!("{failure}"))
        })
        .await
        .unwrap_or_else(|failure| std::panic::resume_unwind(failure.into_panic()));
        println!("{tally}");
        for (operation, kind) in [
            (Operation::Insert, "ok"),
            (Operation::UpdateStatus, "ok"),
            (Operation::ListByStatus, "ok"),
        ] {
            assert!(
                tally.count(operation, kind) > 0,
                "no {operation} call had outcome {kind} in {} cases:\n{tally}",
                BUDGET.cases
            );
        }
    })
    .await;
}
