//! The runner on a store it shares: it runs beside other records and other writers,
//! refuses game ids that are taken, and deletes exactly what its steps created, also
//! after a failing step.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use runtime_store_backend::{
    Backend, BackendError, InsertOutcome, PatchOutcome, RecordPatch, ScanFilter, ScanKey,
    async_trait,
};
use runtime_store_conformance::{RunError, VectorFile, run_vectors, vector_files};
use runtime_store_host::{
    RuntimeRecord, RuntimeStore, Status, Timestamp, UpdateEngineHealthInput, UpdateSchedulingInput,
};
use runtime_store_memory::MemoryBackend;

use crate::conformance_memory::{RECORD, inline, memory_store, one_insert};

fn at(seconds: i64) -> Timestamp {
    Timestamp {
        seconds,
        nanoseconds: 0,
    }
}

/// Another writer's record: in `status`, due at the vectors' times (so it would show in
/// every list the vectors make if the runner did not restrict them).
fn foreign(game_id: &str, status: Status) -> RuntimeRecord {
    RuntimeRecord {
        game_id: game_id.into(),
        status,
        engine_endpoint: "http://prod:8080".into(),
        current_image_ref: "prod/engine:9".into(),
        current_engine_version: "9".into(),
        engine_health: "healthy".into(),
        current_turn: 42,
        next_generation_at: Some(at(1)),
        skip_next_tick: false,
        created_at: at(1_764_000_000),
        updated_at: at(1_764_000_000),
        started_at: None,
        stopped_at: None,
        finished_at: None,
    }
}

/// One foreign record in every status, plus `prod-game-42`.
async fn with_foreign_records(store: &RuntimeStore) -> Vec<RuntimeRecord> {
    let mut records: Vec<RuntimeRecord> = Status::ALL
        .iter()
        .map(|status| foreign(&format!("prod-{status}"), *status))
        .collect();
    records.push(foreign("prod-game-42", Status::Running));
    for record in &records {
        store.insert(record).await.expect("insert a foreign record");
    }
    store.list().await.expect("list")
}

#[tokio::test]
async fn every_file_passes_beside_other_records_and_leaves_them_as_they_were() {
    let store = memory_store().await;
    let before = with_foreign_records(&store).await;
    let mut alone = 0;
    for path in vector_files().expect("list the vector files") {
        let file = VectorFile::load(&path).expect("load a vector file");
        if file.alone {
            // Its pages would see the other records: it does not run, and touches nothing.
            let error = run_vectors(&store, &file).await.expect_err("an alone file");
            assert!(
                matches!(error, RunError::NotAlone { records } if records == before.len()),
                "{}: {error}",
                path.display()
            );
            assert_eq!(store.list().await.expect("list"), before);
            alone += 1;
            continue;
        }
        let report = run_vectors(&store, &file)
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(report.failed(), 0, "{}: {report}", path.display());
        assert_eq!(
            store.list().await.expect("list"),
            before,
            "{} left the store changed",
            path.display()
        );
    }
    assert!(alone > 0, "pages.json is alone");
}

#[tokio::test]
async fn a_file_whose_game_ids_are_taken_is_refused_before_any_step() {
    let store = memory_store().await;
    let mut theirs = foreign("g", Status::Stopped);
    theirs.engine_health = "theirs".into();
    store.insert(&theirs).await.expect("insert");
    let error = run_vectors(&store, &one_insert("would conflict"))
        .await
        .expect_err("g is taken");
    assert!(
        matches!(&error, RunError::GameIdsInUse { game_ids } if game_ids == &["g"]),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("(\"g\")") && message.contains("never touches records it did not write"),
        "{message}"
    );
    assert_eq!(store.list().await.expect("list"), vec![theirs]);
}

#[tokio::test]
async fn a_failing_file_deletes_what_it_created_and_can_run_again() {
    let store = memory_store().await;
    let before = with_foreign_records(&store).await;
    let second = RECORD.replace(r#""game-id": "g""#, r#""game-id": "h""#);
    let third = RECORD.replace(r#""game-id": "g""#, r#""game-id": "k""#);
    let file = inline(&format!(
        r#"{{"description": "fails in the middle", "steps": [
            {{"op": "insert", "args": {{"record": {RECORD}}}, "expect": {{"ok": null}}}},
            {{"op": "insert", "args": {{"record": {second}}}, "expect": {{"ok": null}}}},
            {{"note": "wrong on purpose", "op": "get", "args": {{"game-id": "g"}}, "expect": {{"error": "not-found"}}}},
            {{"op": "delete", "args": {{"game-id": "h"}}, "expect": {{"ok": null}}}},
            {{"op": "insert", "args": {{"record": {third}}}, "expect": {{"ok": null}}}},
            {{"note": "lists see the file's records only", "op": "list-by-status", "args": {{"status": "running"}},
              "expect": {{"ok": [{RECORD}, {third}]}}}}
        ]}}"#
    ));
    for run in 1..=2 {
        let report = run_vectors(&store, &file)
            .await
            .unwrap_or_else(|error| panic!("run {run}: {error}"));
        assert_eq!(report.failed(), 1, "run {run}: {report}");
        assert_eq!(
            store.list().await.expect("list"),
            before,
            "run {run} left records behind"
        );
    }
}

/// The memory adapter, except that `remove` fails for one game id.
struct RemoveFails {
    inner: MemoryBackend,
    game_id: &'static str,
}

#[async_trait]
impl Backend for RemoveFails {
    async fn fetch(&self, game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        self.inner.fetch(game_id).await
    }
    async fn insert(&self, record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        self.inner.insert(record).await
    }
    async fn patch(
        &self,
        game_id: &str,
        expected_status: Option<Status>,
        changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        self.inner.patch(game_id, expected_status, changes).await
    }
    async fn remove(&self, game_id: &str) -> Result<(), BackendError> {
        if game_id == self.game_id {
            return Err(BackendError::Unavailable("connection lost".into()));
        }
        self.inner.remove(game_id).await
    }
    async fn scan(
        &self,
        filter: ScanFilter,
        after: Option<&ScanKey>,
        limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        self.inner.scan(filter, after, limit).await
    }
}

#[tokio::test]
async fn a_cleanup_that_fails_names_what_it_left_and_keeps_the_report() {
    let store = RuntimeStore::builder()
        .backend(Arc::new(RemoveFails {
            inner: MemoryBackend::new(),
            game_id: "g",
        }))
        .build()
        .await
        .expect("build a store");
    let error = run_vectors(&store, &one_insert("cannot clean up"))
        .await
        .expect_err("remove fails");
    let RunError::Cleanup {
        report,
        left,
        source,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!((report.passed(), report.failed()), (1, 0), "{report}");
    assert_eq!(left, &["g"]);
    assert!(source.to_string().contains("connection lost"), "{source}");
    assert!(error.to_string().contains("\"g\" left behind"), "{error}");
}

/// Writes its own rows until told to stop: inserts `writer-N`, then keeps moving each
/// one's turn and health on. Returns the records it expects the store to hold.
async fn writer(store: RuntimeStore, stop: Arc<AtomicBool>) -> Vec<RuntimeRecord> {
    let mut mine = Vec::new();
    let mut round: u32 = 0;
    while !stop.load(Ordering::Relaxed) || round < 3 {
        round += 1;
        if mine.len() < 8 {
            let mut record = foreign(&format!("writer-{}", mine.len()), Status::Running);
            record.engine_health = String::new();
            store.insert(&record).await.expect("the writer inserts");
            mine.push(record);
        }
        let now = at(1_764_000_000 + i64::from(round));
        for record in &mut mine {
            store
                .update_scheduling(&UpdateSchedulingInput {
                    game_id: record.game_id.clone(),
                    next_generation_at: record.next_generation_at,
                    skip_next_tick: false,
                    current_turn: round,
                    now,
                })
                .await
                .expect("the writer's record is still there");
            store
                .update_engine_health(&UpdateEngineHealthInput {
                    game_id: record.game_id.clone(),
                    engine_health_summary: format!("round {round}"),
                    now,
                })
                .await
                .expect("the writer's record is still there");
            record.current_turn = round;
            record.engine_health = format!("round {round}");
            record.updated_at = now;
        }
        tokio::task::yield_now().await;
    }
    mine
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_writer_keeps_its_rows_while_every_file_runs() {
    let store = memory_store().await;
    let stop = Arc::new(AtomicBool::new(false));
    let writing = tokio::spawn(writer(store.clone(), stop.clone()));
    for path in vector_files().expect("list the vector files") {
        let file = VectorFile::load(&path).expect("load a vector file");
        if file.alone {
            // Its pages see the whole store, the writer's rows included: not for a shared
            // store (the test above checks it is refused).
            continue;
        }
        let report = run_vectors(&store, &file)
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(report.failed(), 0, "{}: {report}", path.display());
    }
    stop.store(true, Ordering::Relaxed);
    let mut expected = writing.await.expect("the writer never fails");
    expected.sort_by(|left, right| left.game_id.cmp(&right.game_id));
    let stored = store.list().await.expect("list");
    assert_eq!(
        stored, expected,
        "exactly the writer's rows, as it wrote them"
    );
}
