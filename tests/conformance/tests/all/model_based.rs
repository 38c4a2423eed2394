//! Random operation sequences through the wasm host on the in-memory adapter, every result
//! and the final `list()` compared with the reference model of
//! `runtime_store_conformance::model`.

use std::sync::Arc;

use runtime_store_backend::{Backend, ScanFilter};
use runtime_store_conformance::model::{Budget, check_sequence, check_sequences};
use runtime_store_host::{Operation, RuntimeStore};
use runtime_store_memory::MemoryBackend;

/// Cheap on memory (about a second in a debug build): a few hundred cases, so every path
/// of [`MUST_OCCUR`] shows up, and enough shrinking to reach a sequence of a few steps.
/// `RUNTIME_STORE_MODEL_CASES` replaces the count (the soak command runs thousands).
const BUDGET: Budget = Budget {
    cases: 256,
    max_steps: 40,
    max_shrink_iters: 2048,
};

/// Empties the backend through its own primitives, so each case starts where the model
/// does without compiling a new store.
async fn clear(backend: &MemoryBackend) {
    let records = backend
        .scan(ScanFilter::All, None, u32::MAX)
        .await
        .expect("scan the memory backend");
    for record in records {
        backend
            .remove(&record.game_id)
            .await
            .expect("remove from the memory backend");
    }
}

/// The paths a run must have taken for its agreement with the model to mean something.
const MUST_OCCUR: [(Operation, &str); 15] = [
    (Operation::Insert, "ok"),
    (Operation::Insert, "conflict"),
    (Operation::Insert, "invalid-input"),
    (Operation::Get, "ok"),
    (Operation::Get, "not-found"),
    (Operation::UpdateStatus, "ok"),
    (Operation::UpdateStatus, "conflict"),
    (Operation::UpdateStatus, "not-found"),
    (Operation::UpdateStatus, "invalid-transition"),
    (Operation::UpdateStatus, "invalid-input"),
    (Operation::UpdateScheduling, "ok"),
    (Operation::UpdateImage, "ok"),
    (Operation::UpdateEngineHealth, "ok"),
    (Operation::Delete, "ok"),
    (Operation::ListDueRunning, "ok"),
];

#[test]
fn random_operation_sequences_match_the_reference_model_in_memory() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let backend = Arc::new(MemoryBackend::new());
    let store = runtime
        .block_on(RuntimeStore::builder().backend(backend.clone()).build())
        .expect("build a store on the in-memory backend");
    let tally = check_sequences(BUDGET, |sequence| {
        runtime.block_on(async {
            clear(&backend).await;
            check_sequence(&store, sequence).await
        })
    })
    .unwrap_or_else(|failure| panic!("{failure}"));
    println!("{tally}");
    for (operation, kind) in MUST_OCCUR {
        assert!(
            tally.count(operation, kind) > 0,
            "no {operation} call had outcome {kind} in {} cases:\n{tally}",
            BUDGET.from_env().cases
        );
    }
}
