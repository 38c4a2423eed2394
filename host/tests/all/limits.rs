//! The sandbox limits: fuel, memory, a runaway guest. A call the sandbox stops is a
//! `StoreError::Sandbox` naming the operation, and the next call gets a fresh instance.

use std::path::PathBuf;

use crate::common::{large_memory_backend, record, with_causes};
use runtime_store_host::{BuildError, Operation, RuntimeStore, SandboxFailure, Status, StoreError};

#[tokio::test]
async fn a_call_out_of_fuel_is_stopped_and_the_next_call_gets_a_fresh_instance() {
    // A page of 500 records costs some 2 to 4 million fuel units.
    let budget = 200_000;
    let store = RuntimeStore::builder()
        .backend(large_memory_backend(1_000, 32).await)
        .fuel_per_call(budget)
        .build()
        .await
        .unwrap();
    assert_eq!(
        store.list_page(None, 500).await,
        Err(StoreError::Sandbox {
            operation: Operation::ListPage,
            game_id: None,
            reason: SandboxFailure::OutOfFuel { budget },
            rules: store.rules_identity(),
        })
    );
    assert_eq!(
        store.get("game-000001").await.map(|stored| stored.game_id),
        Ok("game-000001".into())
    );
}

#[tokio::test]
async fn a_page_larger_than_the_memory_limit_is_a_sandbox_error_not_a_crash() {
    let limit = 2 << 20;
    let store = RuntimeStore::builder()
        .backend(large_memory_backend(2_000, 4_000).await)
        .memory_limit(limit)
        .build()
        .await
        .unwrap();
    let error = store
        .list_by_status_page(Status::Running, None, 500)
        .await
        .unwrap_err();
    match &error {
        StoreError::Sandbox {
            operation: Operation::ListByStatusPage,
            game_id: None,
            reason:
                SandboxFailure::MemoryLimit {
                    limit: reported,
                    requested,
                },
            ..
        } => {
            assert_eq!(*reported, limit);
            assert!(requested > reported);
        }
        other => panic!("expected a memory limit failure, got {other:?}"),
    }
    assert!(
        error.to_string().starts_with(
            "list runtimes by status: the guest exceeded its memory limit of 2097152 bytes"
        ),
        "{error}"
    );
    assert!(
        store
            .rules()
            .transition(Status::Starting, Status::Running)
            .await
            .is_ok()
    );
    // Smaller pages fit: the whole list of 8 MB of records is read within 2 MiB.
    let pages_of_100 = store
        .list_by_status_page(Status::Running, None, 100)
        .await
        .unwrap();
    assert_eq!(pages_of_100.records.len(), 100);
}

#[tokio::test]
async fn a_memory_limit_below_what_the_guest_needs_to_start_is_rejected_at_build() {
    let error = RuntimeStore::builder()
        .memory_limit(64 << 10)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(error, BuildError::Limit(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "memory_limit of 65536 bytes is below the 1114112 bytes the component needs to start"
    );
}

/// A component file implementing every export of the world with `body`, as a hostile or
/// broken guest would ship.
fn stub_component(name: &str, body: &str) -> PathBuf {
    let component = runtime_store_componentize::hostile::stub_component(body).unwrap();
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.wasm"));
    std::fs::write(&path, component).unwrap();
    path
}

#[tokio::test]
async fn a_runaway_guest_is_stopped_by_the_default_fuel_budget() {
    let store = RuntimeStore::builder()
        .component_file(stub_component(
            "runaway",
            "(loop $spin (br $spin)) unreachable",
        ))
        .build()
        .await
        .unwrap();
    for _ in 0..2 {
        let error = store.get("g1").await.unwrap_err();
        assert!(
            matches!(
                error,
                StoreError::Sandbox {
                    operation: Operation::Get,
                    reason: SandboxFailure::OutOfFuel { .. },
                    ..
                }
            ),
            "{error:?}"
        );
    }
    let insert = store
        .insert(&record("g2", Status::Starting, 1))
        .await
        .unwrap_err();
    assert_eq!(
        insert.to_string(),
        format!(
            r#"insert runtime record "g2": the guest ran out of fuel (budget {} per call) (rules {})"#,
            runtime_store_host::DEFAULT_FUEL_PER_CALL,
            store.rules_identity().short()
        )
    );
}

#[tokio::test]
async fn a_trapping_guest_is_a_sandbox_trap_naming_the_operation() {
    let store = RuntimeStore::builder()
        .component_file(stub_component("trapping", "unreachable"))
        .build()
        .await
        .unwrap();
    let error = store.list().await.unwrap_err();
    match &error {
        StoreError::Sandbox {
            operation: Operation::List,
            reason: SandboxFailure::Trap(reason),
            ..
        } => assert!(reason.contains("unreachable"), "{reason}"),
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[tokio::test]
async fn a_component_that_imports_anything_else_is_rejected_at_build() {
    let component = wat::parse_str(
        r#"(component (import "wasi:clocks/wall-clock@0.2.0" (instance (export "now" (func)))))"#,
    )
    .unwrap();
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wall-clock.wasm");
    std::fs::write(&path, component).unwrap();
    let error = RuntimeStore::builder()
        .component_file(&path)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(error, BuildError::Link(_)), "{error:?}");
    assert!(
        with_causes(&error).contains("wasi:clocks/wall-clock@0.2.0"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_missing_component_file_is_a_read_error_naming_the_file() {
    let missing = RuntimeStore::builder()
        .component_file("/nonexistent/rules.wasm")
        .build()
        .await
        .unwrap_err();
    assert!(
        missing
            .to_string()
            .starts_with("read component file /nonexistent/rules.wasm: "),
        "{missing}"
    );
}
