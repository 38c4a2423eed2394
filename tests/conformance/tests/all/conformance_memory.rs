//! Every conformance vector file through the wasm host on the in-memory adapter, plus
//! checks that the runner itself catches wrong results, never lets a backend or sandbox
//! failure pass a step, and refuses to start when it cannot list the store
//! (`shared_store.rs` covers running beside other writers).

use std::path::Path;
use std::sync::Arc;

use runtime_store_backend::{
    Backend, BackendError, InsertOutcome, PatchOutcome, RecordPatch, RuntimeRecord, ScanFilter,
    ScanKey, Status, async_trait,
};
use runtime_store_conformance::{Report, RunError, VectorFile, run_vectors, vector_files};
use runtime_store_host::{RuntimeStore, StoreError};
use runtime_store_memory::MemoryBackend;

/// Floors, so the suite cannot pass by running nothing (tests/conformance holds 16 files
/// and about 2000 steps; raise these when it grows).
const MIN_FILES: usize = 16;
const MIN_STEPS: usize = 2000;

pub(crate) async fn memory_store() -> RuntimeStore {
    RuntimeStore::builder()
        .backend(Arc::new(MemoryBackend::new()))
        .build()
        .await
        .expect("build a store on the in-memory backend")
}

#[tokio::test]
async fn every_vector_file_passes_on_the_memory_backend() {
    let files = vector_files().expect("list the vector files");
    assert!(
        files.len() >= MIN_FILES,
        "only {} vector files found",
        files.len()
    );
    let mut steps = 0;
    let mut failures = Vec::new();
    for path in &files {
        let file = VectorFile::load(path).expect("load a vector file");
        let store = memory_store().await;
        let report = run_vectors(&store, &file)
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(report.steps.len(), file.steps.len(), "{}", path.display());
        steps += report.steps.len();
        let name = path.file_name().map(Path::new).unwrap_or(path).display();
        failures.extend(report.failures().map(|failure| format!("{name} {failure}")));
    }
    assert!(
        failures.is_empty(),
        "{} of {steps} steps failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(steps >= MIN_STEPS, "only {steps} steps ran");
}

pub(crate) fn inline(text: &str) -> VectorFile {
    VectorFile::parse(text, Path::new("inline.json")).expect("a valid inline vector file")
}

pub(crate) const RECORD: &str = r#"{"game-id": "g", "status": "running", "engine-endpoint": "http://e",
    "current-image-ref": "i", "current-engine-version": "1", "engine-health": "",
    "current-turn": 0, "next-generation-at": null, "skip-next-tick": false,
    "created-at": {"seconds": 100, "nanoseconds": 0}, "updated-at": {"seconds": 100, "nanoseconds": 0},
    "started-at": null, "stopped-at": null, "finished-at": null}"#;

/// A vector file whose one step inserts [`RECORD`] and expects success.
pub(crate) fn one_insert(description: &str) -> VectorFile {
    inline(&format!(
        r#"{{"description": "{description}", "steps": [
            {{"op": "insert", "args": {{"record": {RECORD}}}, "expect": {{"ok": null}}}}
        ]}}"#
    ))
}

#[tokio::test]
async fn wrong_expectations_are_reported_step_by_step() {
    let wrong_record = RECORD.replace(r#""engine-health": """#, r#""engine-health": "healthy""#);
    let file = inline(&format!(
        r#"{{"description": "deliberately wrong expectations", "steps": [
            {{"op": "insert", "args": {{"record": {RECORD}}}, "expect": {{"ok": null}}}},
            {{"note": "it exists", "op": "get", "args": {{"game-id": "g"}}, "expect": {{"error": "not-found"}}}},
            {{"op": "get", "args": {{"game-id": "g"}}, "expect": {{"ok": {wrong_record}}}}},
            {{"op": "list", "expect": {{"ok": []}}}},
            {{"op": "get", "args": {{"game-id": " "}},
              "expect": {{"error": "invalid-input", "message": "get runtime record: game id is blank"}}}},
            {{"op": "transition", "args": {{"from": "finished", "to": "running"}}, "expect": {{"ok": null}}}},
            {{"op": "allowed-transitions", "args": {{"from": "finished"}}, "expect": {{"ok": ["running"]}}}}
        ]}}"#
    ));
    let report = run_vectors(&memory_store().await, &file)
        .await
        .expect("run the inline file");
    assert_eq!(report.passed(), 1, "{report}");
    assert_eq!(report.failed(), 6, "{report}");
    let first = report.failures().next().map(ToString::to_string);
    assert!(
        first.as_deref().is_some_and(|first| first.starts_with(
            "step 1 (get) [it exists]: expected error not-found, got ok record \"g\""
        )),
        "{first:?}"
    );
    assert_failures_contain(
        &report,
        &[
            (1, "engine-health: expected \"healthy\", got \"\""),
            (2, "expected 0 records [], got 1 records [\"g\"]"),
            (
                3,
                "expected error invalid-input \"get runtime record: game id is blank\", got error invalid-input \"get runtime record: game id must not be empty\"",
            ),
            (4, "got error invalid-transition"),
            (5, "expected [Running], got []"),
        ],
    );
}

/// For each `(position, fragment)`: the report's failure line at `position` (in step
/// order) contains `fragment`.
fn assert_failures_contain(report: &Report, expected: &[(usize, &str)]) {
    let failures: Vec<String> = report.failures().map(ToString::to_string).collect();
    for &(position, fragment) in expected {
        let line = failures.get(position);
        assert!(
            line.is_some_and(|line| line.contains(fragment)),
            "failure {position} should contain {fragment:?}: {line:?}"
        );
    }
}

/// An empty store whose writes all fail, as a broken disk would.
struct WritesFail;

#[async_trait]
impl Backend for WritesFail {
    async fn fetch(&self, _game_id: &str) -> Result<Option<RuntimeRecord>, BackendError> {
        Ok(None)
    }
    async fn insert(&self, _record: RuntimeRecord) -> Result<InsertOutcome, BackendError> {
        Err(BackendError::Failed("disk full".into()))
    }
    async fn patch(
        &self,
        _game_id: &str,
        _expected_status: Option<Status>,
        _changes: RecordPatch,
    ) -> Result<PatchOutcome, BackendError> {
        Err(BackendError::Unavailable("connection lost".into()))
    }
    async fn remove(&self, _game_id: &str) -> Result<(), BackendError> {
        Ok(())
    }
    async fn scan(
        &self,
        _filter: ScanFilter,
        _after: Option<&ScanKey>,
        _limit: u32,
    ) -> Result<Vec<RuntimeRecord>, BackendError> {
        // It holds nothing: every page of it is empty.
        Ok(Vec::new())
    }
}

#[tokio::test]
async fn a_backend_error_never_passes_a_step() {
    let store = RuntimeStore::builder()
        .backend(Arc::new(WritesFail))
        .build()
        .await
        .expect("build a store on the failing backend");
    let file = inline(&format!(
        r#"{{"description": "writes fail", "steps": [
            {{"op": "insert", "args": {{"record": {RECORD}}}, "expect": {{"ok": null}}}},
            {{"op": "insert", "args": {{"record": {RECORD}}}, "expect": {{"error": "conflict"}}}},
            {{"op": "update-engine-health", "args": {{"input": {{"game-id": "g", "engine-health-summary": "x",
                "now": {{"seconds": 5, "nanoseconds": 0}}}}}}, "expect": {{"error": "not-found"}}}},
            {{"op": "delete", "args": {{"game-id": "g"}}, "expect": {{"ok": null}}}}
        ]}}"#
    ));
    let report = run_vectors(&store, &file)
        .await
        .expect("the store is empty");
    assert_eq!(report.failed(), 3, "{report}");
    assert_failures_contain(
        &report,
        &[
            (0, "expected ok null, got backend error"),
            (0, "disk full"),
            (1, "expected error conflict, got backend error"),
            (2, "connection lost"),
        ],
    );
}

#[tokio::test]
async fn a_store_that_cannot_list_is_refused_before_any_step() {
    let store = RuntimeStore::builder()
        .fuel_per_call(1)
        .build()
        .await
        .expect("build a store with almost no fuel");
    let file = one_insert("never runs");
    let error = run_vectors(&store, &file)
        .await
        .expect_err("list() runs out of fuel");
    assert!(
        matches!(error, RunError::PreCheck(StoreError::Sandbox { .. })),
        "{error}"
    );
}
