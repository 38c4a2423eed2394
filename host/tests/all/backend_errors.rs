//! A failing backend surfaces as `StoreError::Backend` carrying its error unchanged,
//! never as a trap, and the store keeps working.

use std::sync::Arc;

use crate::common::{FailingBackend, at, record};
use runtime_store_host::{
    BackendError, Operation, RuntimeStore, Status, StoreError, UpdateStatusInput,
};

async fn failing_store(error: BackendError) -> RuntimeStore {
    RuntimeStore::builder()
        .backend(Arc::new(FailingBackend(error)))
        .build()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_primitive_failure_is_passed_through_unchanged() {
    for error in [
        BackendError::Unavailable("connection refused by 10.0.0.7:5432".into()),
        BackendError::Corrupt(r#"game "g1": column status holds "paused""#.into()),
        BackendError::Failed("disk full".into()),
    ] {
        let store = failing_store(error.clone()).await;
        let backend = |operation, game_id: Option<&str>| StoreError::Backend {
            operation,
            game_id: game_id.map(str::to_owned),
            source: error.clone(),
        };
        assert_eq!(
            store.get("g1").await,
            Err(backend(Operation::Get, Some("g1")))
        );
        assert_eq!(
            store.insert(&record("g1", Status::Starting, 100)).await,
            Err(backend(Operation::Insert, Some("g1")))
        );
        let transition = UpdateStatusInput {
            game_id: "g1".into(),
            expected_from: Status::Starting,
            to: Status::Running,
            now: at(200),
            engine_health_summary: None,
            current_image_ref: None,
            current_engine_version: None,
        };
        assert_eq!(
            store.update_status(&transition).await,
            Err(backend(Operation::UpdateStatus, Some("g1")))
        );
        assert_eq!(
            store.delete("g1").await,
            Err(backend(Operation::Delete, Some("g1")))
        );
        assert_eq!(store.list().await, Err(backend(Operation::List, None)));
        assert_eq!(
            store.list_due_running(at(300)).await,
            Err(backend(Operation::ListDueRunning, None))
        );
    }
}

#[tokio::test]
async fn backend_error_message_names_operation_game_id_and_cause() {
    let store = failing_store(BackendError::Unavailable("connection reset".into())).await;
    let error = store.get("g-42").await.unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"get runtime record "g-42": storage unavailable: connection reset"#
    );
    let source = std::error::Error::source(&error).expect("the backend error is the source");
    assert_eq!(source.to_string(), "storage unavailable: connection reset");
}

#[tokio::test]
async fn validation_fails_before_storage_is_touched() {
    let store = failing_store(BackendError::Failed("must not be reached".into())).await;
    assert_eq!(
        store.get("  ").await,
        Err(StoreError::InvalidInput(
            "get runtime record: game id must not be empty".into()
        ))
    );
}
