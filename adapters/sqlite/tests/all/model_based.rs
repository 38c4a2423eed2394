//! Random operation sequences through the wasm host on a SQLite file, every result and
//! the final `list()` compared with the reference model of
//! `runtime_store_conformance::model`: truncation to microseconds, game ids that differ
//! only in case or by a non-ASCII letter, and orders by bytes.

use runtime_store_conformance::model::{Budget, check_sequence, check_sequences};
use runtime_store_host::Operation;
use tokio::runtime::Handle;

use crate::common::{new_file, open, store_on};

/// As on PostgreSQL: a few hundred sequences (`RUNTIME_STORE_MODEL_CASES` replaces it).
const BUDGET: Budget = Budget {
    cases: 300,
    max_steps: 40,
    max_shrink_iters: 256,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_operation_sequences_match_the_reference_model_on_sqlite() {
    let (_, url) = new_file("model");
    let backend = open(&url).await;
    let pool = backend.pool().clone();
    let store = store_on(backend).await;
    let handle = Handle::current();
    // The proptest runner calls the property synchronously, so it runs on a blocking
    // thread that may block on the runtime.
    let tally = tokio::task::spawn_blocking(move || {
        check_sequences(BUDGET, |sequence| {
            handle.block_on(async {
                sqlx::query("DELETE FROM runtime_records")
                    .execute(&pool)
                    .await
                    .expect("empty the table");
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
        (Operation::Insert, "conflict"),
        (Operation::UpdateStatus, "ok"),
        (Operation::UpdateStatus, "conflict"),
        (Operation::UpdateScheduling, "ok"),
        (Operation::ListByStatus, "ok"),
        (Operation::ListDueRunning, "ok"),
        (Operation::Delete, "ok"),
    ] {
        assert!(
            tally.count(operation, kind) > 0,
            "no {operation} call had outcome {kind} in {} cases:\n{tally}",
            BUDGET.cases
        );
    }
}
