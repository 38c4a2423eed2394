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
const MUST_OCCUR: [(Operation, &str); 20] = [
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
    (Operation::ListPage, "ok"),
    (Operation::ListPage, "invalid-input"),
    (Operation::ListByStatusPage, "ok"),
    (Operation::ListDueRunningPage, "ok"),
    (Operation::ListDueRunningPage, "invalid-input"),
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

/// Pages continued across changes: the model predicts each page from the position it kept,
/// and the store answers the same.
#[test]
fn the_model_predicts_pages_continued_while_records_change() {
    use runtime_store_conformance::model::{Model, Op, Outcome, PageStart, Step};
    use runtime_store_host::{RuntimeRecord, Status, Timestamp};

    let at = |seconds| Timestamp {
        seconds,
        nanoseconds: 0,
    };
    let record = |game_id: &str, created: i64| RuntimeRecord {
        game_id: game_id.into(),
        status: Status::Running,
        engine_endpoint: "http://engine-1:8080".into(),
        current_image_ref: "registry.local/engine:1.0".into(),
        current_engine_version: "1.0.0".into(),
        engine_health: String::new(),
        current_turn: 0,
        next_generation_at: Some(at(created)),
        skip_next_tick: false,
        created_at: at(created),
        updated_at: at(created),
        started_at: None,
        stopped_at: None,
        finished_at: None,
    };
    let page = |start, limit| Op::ListPage { start, limit };
    let ops = vec![
        Op::Insert(record("game-a", 3)),
        Op::Insert(record("game-b", 2)),
        Op::Insert(record("game-c", 1)),
        page(PageStart::First, 1),
        // Newer than the page's position: the pages after it never show it.
        Op::Insert(record("game-d", 4)),
        // After the position: gone before its page comes.
        Op::Delete("game-b".into()),
        page(PageStart::Previous, 1),
        // The last page has no next cursor: continuing starts over.
        page(PageStart::Previous, 1),
        page(PageStart::Previous, 2),
        // A newest-first cursor is refused by the due list.
        Op::ListDueRunningPage {
            now: at(10),
            start: PageStart::Previous,
            limit: 2,
        },
        page(PageStart::Cursor("page-2".into()), 1),
        page(PageStart::First, 501),
    ];
    let mut model = Model::new();
    let outcomes: Vec<Outcome> = ops.iter().map(|op| model.apply(op)).collect();
    let ids = |outcome: &Outcome| match outcome {
        Outcome::Page {
            records,
            has_next_cursor,
        } => (
            records
                .iter()
                .map(|record| record.game_id.as_str())
                .collect::<Vec<_>>()
                .join(","),
            *has_next_cursor,
        ),
        other => panic!("not a page: {other}"),
    };
    assert_eq!(ids(&outcomes[3]), ("game-a".to_owned(), true));
    assert_eq!(ids(&outcomes[6]), ("game-c".to_owned(), false));
    assert_eq!(ids(&outcomes[7]), ("game-d".to_owned(), true));
    assert_eq!(ids(&outcomes[8]), ("game-a,game-c".to_owned(), false));
    // No next cursor kept: a first page of the due list, soonest first.
    assert_eq!(ids(&outcomes[9]), ("game-c,game-a".to_owned(), true));
    assert_eq!(outcomes[10], Outcome::InvalidInput);
    assert_eq!(outcomes[11], Outcome::InvalidInput);

    // The same with a page left mid-way: a cursor of the other order is refused.
    let mut model = Model::new();
    for op in &ops[..4] {
        model.apply(op);
    }
    assert_eq!(
        model.apply(&Op::ListDueRunningPage {
            now: at(10),
            start: PageStart::Previous,
            limit: 2,
        }),
        Outcome::InvalidInput
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let store = RuntimeStore::builder()
            .backend_url("memory:")
            .build()
            .await
            .unwrap();
        let mut steps: Vec<Step> = ops.into_iter().map(Step::Op).collect();
        check_sequence(&store, &steps)
            .await
            .unwrap_or_else(|divergence| panic!("{divergence}"));
        // Left mid-way, through the store: the due list refuses the newest-first cursor.
        clear_store(&store).await;
        steps.truncate(4);
        steps.push(Step::Op(Op::ListDueRunningPage {
            now: at(10),
            start: PageStart::Previous,
            limit: 2,
        }));
        check_sequence(&store, &steps)
            .await
            .unwrap_or_else(|divergence| panic!("{divergence}"));
    });
}

async fn clear_store(store: &RuntimeStore) {
    for record in store.list().await.unwrap() {
        store.delete(&record.game_id).await.unwrap();
    }
}
