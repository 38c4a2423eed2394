//! The committed hostile components (`tests/hostile/`, built by
//! `runtime-store-componentize`): for each, the bound that stops it, and that the store
//! keeps serving. Every store here has one instance and never waits for it, so an instance
//! or slot that leaked after a failure would show as `SandboxFailure::Busy`.
//!
//! Each test prints `hostile | <case> | <bound> | <time to stop>` (run with
//! `--nocapture` to see them); the only timing asserted is a generous upper bound on a
//! deadline the test configured.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{HangingFetchBackend, large_memory_backend, record};
use runtime_store_host::{
    BuildError, Operation, RuntimeStore, RuntimeStoreBuilder, SandboxFailure, Status, StoreError,
};
use runtime_store_memory::MemoryBackend;

/// A committed hostile component.
pub fn hostile_file(stem: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/hostile")
        .join(format!("{stem}.wasm"))
}

/// A store running `stem` with one instance and no waiting for it, configured further by
/// `configure`.
async fn hostile_store(
    stem: &str,
    configure: impl FnOnce(RuntimeStoreBuilder) -> RuntimeStoreBuilder,
) -> RuntimeStore {
    configure(
        RuntimeStore::builder()
            .component_file(hostile_file(stem))
            .max_instances(1)
            .max_idle_instances(1)
            .max_instance_wait(Duration::ZERO),
    )
    .build()
    .await
    .unwrap_or_else(|error| panic!("build a store on {stem}: {error}"))
}

/// Runs `get` three times; each must be the sandbox failure `expected` allows (a fresh
/// instance each time, the slot given back). Returns the time the first took.
async fn stopped_every_time(
    case: &str,
    bound: &str,
    store: &RuntimeStore,
    expected: impl Fn(&SandboxFailure) -> bool,
) -> Duration {
    let mut first = None;
    for _ in 0..3 {
        let started = Instant::now();
        let error = store.get("g1").await.unwrap_err();
        let took = started.elapsed();
        match &error {
            StoreError::Sandbox {
                operation: Operation::Get,
                game_id: Some(game_id),
                reason,
                ..
            } if game_id == "g1" && expected(reason) => {}
            other => panic!("{case}: expected the {bound} bound, got {other:?}"),
        }
        first.get_or_insert(took);
    }
    let took = first.expect("three calls ran");
    eprintln!("hostile | {case} | {bound} | {took:?} | next call served");
    took
}

#[tokio::test]
async fn an_instruction_loop_is_stopped_by_fuel() {
    let store = hostile_store("loop", |builder| builder).await;
    stopped_every_time("instruction loop", "fuel", &store, |reason| {
        *reason
            == SandboxFailure::OutOfFuel {
                budget: runtime_store_host::DEFAULT_FUEL_PER_CALL,
            }
    })
    .await;
}

#[tokio::test]
async fn an_instruction_loop_with_unbounded_fuel_is_stopped_by_the_deadline() {
    let store = hostile_store("loop", |builder| {
        builder
            .fuel_per_call(u64::MAX)
            .deadline_per_call(Duration::from_millis(100))
    })
    .await;
    let took = stopped_every_time(
        "instruction loop, fuel unbounded",
        "deadline (100 ms)",
        &store,
        |reason| *reason == SandboxFailure::Deadline { milliseconds: 100 },
    )
    .await;
    assert!(took < Duration::from_secs(10), "{took:?}");
    let error = store.list().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "list runtimes: the call exceeded its deadline of 100 ms (rules {})",
            store.rules_identity().short()
        )
    );
}

#[tokio::test]
async fn a_running_guest_yields_so_a_callers_timeout_fires() {
    // A single-threaded runtime: the timer can only fire if the guest yields.
    let store = hostile_store("loop", |builder| {
        builder
            .fuel_per_call(u64::MAX)
            .deadline_per_call(Duration::from_secs(3600))
    })
    .await;
    let started = Instant::now();
    let timed_out = tokio::time::timeout(Duration::from_millis(50), store.get("g1")).await;
    let took = started.elapsed();
    assert!(timed_out.is_err(), "the loop never answers");
    assert!(took < Duration::from_secs(10), "{took:?}");
    eprintln!(
        "hostile | instruction loop, caller's 50 ms timeout | yield points (caller cancels) | {took:?} | next call served"
    );
    // The cancelled call gave back its slot: the next one gets a fresh instance.
    let again = tokio::time::timeout(Duration::from_millis(50), store.get("g1")).await;
    assert!(again.is_err());
}

#[tokio::test]
async fn a_fetch_loop_is_stopped_at_its_second_backend_call() {
    let store = hostile_store("fetch-loop", |builder| builder).await;
    stopped_every_time(
        "import loop (fetch)",
        "backend calls (1)",
        &store,
        |reason| *reason == SandboxFailure::BackendCalls { limit: 1 },
    )
    .await;
    let error = store.delete("g1").await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            r#"delete runtime record "g1": the guest called the backend more than the 1 time(s) its operation needs (rules {})"#,
            store.rules_identity().short()
        )
    );
    // The rules are pure: not even one backend call.
    let rules = store
        .rules()
        .transition(Status::Starting, Status::Running)
        .await;
    assert_eq!(
        rules,
        Err(StoreError::Sandbox {
            operation: Operation::Transition,
            game_id: None,
            reason: SandboxFailure::BackendCalls { limit: 0 },
            rules: store.rules_identity(),
        })
    );
}

#[tokio::test]
async fn a_scan_loop_over_a_full_store_is_stopped_at_its_second_backend_call() {
    let store = RuntimeStore::builder()
        .component_file(hostile_file("scan-loop"))
        .backend(large_memory_backend(1_000, 16).await)
        .max_instances(1)
        .max_instance_wait(Duration::ZERO)
        .build()
        .await
        .unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let error = store.list().await.unwrap_err();
        let took = started.elapsed();
        // The scan of 1 000 records overruns the stub's memory or is stopped as the second
        // call: either way the sandbox stops it, never a hang.
        assert!(
            matches!(
                error,
                StoreError::Sandbox {
                    operation: Operation::List,
                    reason: SandboxFailure::BackendCalls { limit: 1 } | SandboxFailure::Trap(_),
                    ..
                }
            ),
            "{error:?}"
        );
        eprintln!("hostile | import loop (scan, 1 000 records) | {error} | {took:?}");
    }
    let empty = hostile_store("scan-loop", |builder| builder).await;
    stopped_every_time(
        "import loop (scan, empty store)",
        "backend calls (1)",
        &empty,
        |reason| *reason == SandboxFailure::BackendCalls { limit: 1 },
    )
    .await;
}

#[tokio::test]
async fn memory_growth_is_stopped_by_the_memory_limit() {
    let limit = 4 << 20;
    let store = hostile_store("grow-memory", |builder| builder.memory_limit(limit)).await;
    stopped_every_time("memory growth", "memory limit (4 MiB)", &store, |reason| {
        *reason
            == SandboxFailure::MemoryLimit {
                limit,
                requested: limit + (64 << 10),
            }
    })
    .await;
}

#[tokio::test]
async fn deep_recursion_is_stopped_by_the_stack_limit() {
    let store = hostile_store("recurse", |builder| builder).await;
    stopped_every_time(
        "deep recursion",
        "wasm stack (512 KiB)",
        &store,
        |reason| matches!(reason, SandboxFailure::Trap(trap) if trap.contains("call stack exhausted")),
    )
    .await;
}

#[tokio::test]
async fn a_trap_is_a_sandbox_trap() {
    let store = hostile_store("trap", |builder| builder).await;
    stopped_every_time(
        "trap",
        "trap",
        &store,
        |reason| matches!(reason, SandboxFailure::Trap(trap) if trap.contains("unreachable")),
    )
    .await;
}

#[tokio::test]
async fn a_component_exporting_the_wrong_types_is_refused_at_build_naming_the_function() {
    let started = Instant::now();
    let error = RuntimeStore::builder()
        .component_file(hostile_file("wrong-types"))
        .build()
        .await
        .unwrap_err();
    let took = started.elapsed();
    match &error {
        BuildError::Export {
            interface: "galaxy:gamemaster/store@0.2.0",
            function: "get",
            ..
        } => {}
        other => panic!("expected the export get to be refused, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "the rules component's export `get` of galaxy:gamemaster/store@0.2.0 does not have the type the runtime-store world gives it"
    );
    eprintln!("hostile | wrong export types | build (export check) | {took:?} | no store built");
}

#[tokio::test]
async fn the_real_component_serves_the_same_backend_after_each_hostile_one() {
    let backend = Arc::new(MemoryBackend::new());
    let good = RuntimeStore::builder()
        .backend(backend.clone())
        .build()
        .await
        .unwrap();
    for stem in [
        "loop",
        "fetch-loop",
        "scan-loop",
        "grow-memory",
        "recurse",
        "trap",
    ] {
        let bad = RuntimeStore::builder()
            .component_file(hostile_file(stem))
            .backend(backend.clone())
            .fuel_per_call(5_000_000)
            .build()
            .await
            .unwrap();
        assert!(
            matches!(bad.get("g1").await, Err(StoreError::Sandbox { .. })),
            "{stem}"
        );
        good.insert(&record(stem, Status::Starting, 1))
            .await
            .unwrap();
        assert_eq!(good.get(stem).await.unwrap().game_id, stem);
    }
}

#[tokio::test]
async fn time_spent_in_the_backend_does_not_count_against_the_deadline() {
    /// A memory backend whose every answer takes 300 ms.
    struct Slow(MemoryBackend);
    #[runtime_store_backend::async_trait]
    impl runtime_store_backend::Backend for Slow {
        async fn fetch(
            &self,
            game_id: &str,
        ) -> Result<Option<runtime_store_host::RuntimeRecord>, runtime_store_host::BackendError>
        {
            tokio::time::sleep(Duration::from_millis(300)).await;
            self.0.fetch(game_id).await
        }
        async fn insert(
            &self,
            record: runtime_store_host::RuntimeRecord,
        ) -> Result<runtime_store_backend::InsertOutcome, runtime_store_host::BackendError>
        {
            self.0.insert(record).await
        }
        async fn patch(
            &self,
            game_id: &str,
            expected_status: Option<Status>,
            changes: runtime_store_backend::RecordPatch,
        ) -> Result<runtime_store_backend::PatchOutcome, runtime_store_host::BackendError> {
            self.0.patch(game_id, expected_status, changes).await
        }
        async fn remove(&self, game_id: &str) -> Result<(), runtime_store_host::BackendError> {
            self.0.remove(game_id).await
        }
        async fn scan(
            &self,
            filter: runtime_store_backend::ScanFilter,
            after: Option<&runtime_store_backend::ScanKey>,
            limit: u32,
        ) -> Result<Vec<runtime_store_host::RuntimeRecord>, runtime_store_host::BackendError>
        {
            self.0.scan(filter, after, limit).await
        }
    }
    let store = RuntimeStore::builder()
        .backend(Arc::new(Slow(MemoryBackend::new())))
        .deadline_per_call(Duration::from_millis(100))
        .build()
        .await
        .unwrap();
    store
        .insert(&record("g1", Status::Starting, 1))
        .await
        .unwrap();
    assert_eq!(store.get("g1").await.unwrap().game_id, "g1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_finds_every_instance_busy_waits_then_is_busy() {
    let store = RuntimeStore::builder()
        .backend(Arc::new(HangingFetchBackend(MemoryBackend::new())))
        .max_instances(1)
        .max_instance_wait(Duration::from_millis(50))
        .build()
        .await
        .unwrap();
    let hung = tokio::spawn({
        let store = store.clone();
        async move { store.get("hung").await }
    });
    // Wait until the hung call holds the only instance.
    let started = Instant::now();
    let busy = loop {
        match store.delete("g2").await {
            Err(
                error @ StoreError::Sandbox {
                    reason: SandboxFailure::Busy { .. },
                    ..
                },
            ) => break error,
            Ok(()) => tokio::task::yield_now().await,
            Err(other) => panic!("{other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(10));
    };
    assert_eq!(
        busy,
        StoreError::Sandbox {
            operation: Operation::Delete,
            game_id: Some("g2".into()),
            reason: SandboxFailure::Busy {
                waited: Duration::from_millis(50),
                max_instances: 1,
            },
            rules: store.rules_identity(),
        }
    );
    assert_eq!(
        busy.to_string(),
        format!(
            r#"delete runtime record "g2": no instance of the rules component became free within 50 ms (at most 1 at once) (rules {})"#,
            store.rules_identity().short()
        )
    );
    hung.abort();
    assert!(hung.await.unwrap_err().is_cancelled());
    store.delete("g2").await.unwrap();
}
