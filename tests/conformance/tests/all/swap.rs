//! Live rules swap gated by the conformance vectors (`VectorGate`): a second build goes
//! live under load with no call failing; broken candidates are refused at their step and
//! the old rules keep serving.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use runtime_store_conformance::{LoadError, VectorGate, conformance_dir, vector_files};
use runtime_store_host::{
    RulesIdentity, RuntimeRecord, RuntimeStore, Status, StoreError, SwapStep, Timestamp,
    UpdateEngineHealthInput, UpdateSchedulingInput, embedded_component,
};

const TASKS: usize = 16;

fn at(seconds: i64) -> Timestamp {
    Timestamp {
        seconds: 1_700_000_000 + seconds,
        nanoseconds: 0,
    }
}

fn record(game_id: &str, status: Status, created: Timestamp) -> RuntimeRecord {
    RuntimeRecord {
        game_id: game_id.to_owned(),
        status,
        engine_endpoint: format!("http://{game_id}.engines.local:8080"),
        current_image_ref: "registry.local/galaxy/engine:1.4.0".to_owned(),
        current_engine_version: "1.4.0".to_owned(),
        engine_health: String::new(),
        current_turn: 0,
        next_generation_at: None,
        skip_next_tick: false,
        created_at: created,
        updated_at: created,
        started_at: None,
        stopped_at: None,
        finished_at: None,
    }
}

fn hostile(stem: &str) -> Vec<u8> {
    let path = conformance_dir().join(format!("../hostile/{stem}.wasm"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
}

/// The embedded rules with a custom section appended (`0x00`, size, name size, name,
/// payload): the same behaviour, another build with another SHA-256.
fn other_build() -> Vec<u8> {
    let name = b"runtime-store-conformance";
    let payload = b"second build, same rules";
    let mut bytes = embedded_component().to_vec();
    bytes.push(0x00);
    bytes.push(u8::try_from(1 + name.len() + payload.len()).expect("one LEB128 byte"));
    bytes.push(u8::try_from(name.len()).expect("one LEB128 byte"));
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(payload);
    bytes
}

async fn memory_store() -> RuntimeStore {
    RuntimeStore::builder()
        .backend_url("memory:")
        .build()
        .await
        .expect("a store in memory")
}

/// One caller: gets and updates its own record until `stop`; counts its calls, and stops
/// at the first that fails.
async fn caller(
    store: RuntimeStore,
    task: usize,
    stop: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
) -> Result<usize, StoreError> {
    let game_id = format!("load-{task}");
    let mut made = 0;
    while !stop.load(Ordering::Relaxed) {
        let now = at(100 + i64::try_from(made).expect("few calls"));
        match made % 3 {
            0 => {
                let record = store.get(&game_id).await?;
                assert_eq!(record.game_id, game_id);
            }
            1 => {
                store
                    .update_engine_health(&UpdateEngineHealthInput {
                        game_id: game_id.clone(),
                        engine_health_summary: format!("check {made}"),
                        now,
                    })
                    .await?;
            }
            _ => {
                store
                    .update_scheduling(&UpdateSchedulingInput {
                        game_id: game_id.clone(),
                        next_generation_at: Some(at(1_000)),
                        skip_next_tick: made % 2 == 0,
                        current_turn: u32::try_from(made).expect("few calls"),
                        now,
                    })
                    .await?;
            }
        }
        made += 1;
        calls.fetch_add(1, Ordering::Relaxed);
    }
    Ok(made)
}

/// Waits until the callers together made `more` calls beyond what they had made.
async fn wait_for_calls(calls: &AtomicUsize, more: usize) {
    let target = calls.load(Ordering::Relaxed) + more;
    while calls.load(Ordering::Relaxed) < target {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn a_swap_gated_by_the_shipped_vectors_goes_live_under_load_and_no_call_fails() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a multi-thread runtime");
    runtime.block_on(async {
        let gate = VectorGate::shipped().expect("the shipped vectors load");
        assert_eq!(
            gate.files().count(),
            vector_files().unwrap().len(),
            "every vector file"
        );
        let store = memory_store().await;
        let first = store.rules_identity();
        assert_eq!(first, RulesIdentity::of(embedded_component()));
        for task in 0..TASKS {
            store
                .insert(&record(
                    &format!("load-{task}"),
                    Status::Running,
                    at(task as i64),
                ))
                .await
                .expect("insert a caller's record");
        }

        let stop = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..TASKS)
            .map(|task| {
                tokio::spawn(caller(
                    store.clone(),
                    task,
                    Arc::clone(&stop),
                    Arc::clone(&calls),
                ))
            })
            .collect();
        wait_for_calls(&calls, 4 * TASKS).await;
        let build = other_build();
        let before_swap = calls.load(Ordering::Relaxed);
        let second = store
            .swap_rules(&build, &gate)
            .await
            .unwrap_or_else(|error| panic!("the second build is refused: {error}"));
        let during_swap = calls.load(Ordering::Relaxed) - before_swap;
        assert_eq!(second, RulesIdentity::of(&build));
        assert_ne!(second, first);
        assert_eq!(store.rules_identity(), second);
        // Calls on the new rules too, then stop.
        wait_for_calls(&calls, 4 * TASKS).await;
        stop.store(true, Ordering::Relaxed);
        let mut made_by_task = Vec::new();
        for (task, caller) in callers.into_iter().enumerate() {
            let made = caller
                .await
                .expect("the caller did not panic")
                .unwrap_or_else(|error| panic!("caller {task}: a call failed: {error}"));
            made_by_task.push(made);
        }
        let total: usize = made_by_task.iter().sum();
        assert!(
            during_swap > 0,
            "the callers made no call while the gate ran ({total} in all)"
        );
        // Each record went through both builds and holds what its caller's last updates
        // wrote: call i updates the health when i % 3 == 1, the scheduling when 2.
        for (task, made) in made_by_task.into_iter().enumerate() {
            let record = store.get(&format!("load-{task}")).await.unwrap();
            let last = |kind: usize| (0..made).rev().find(|call| call % 3 == kind);
            let health = last(1)
                .map(|call| format!("check {call}"))
                .unwrap_or_default();
            assert_eq!(record.engine_health, health, "caller {task} ({made} calls)");
            let turn = last(2).map_or(0, |call| u32::try_from(call).unwrap());
            assert_eq!(record.current_turn, turn, "caller {task} ({made} calls)");
            let due = last(2).map(|_| at(1_000));
            assert_eq!(
                record.next_generation_at, due,
                "caller {task} ({made} calls)"
            );
        }
        assert_eq!(
            store.list().await.unwrap().len(),
            TASKS,
            "the gate wrote nothing here"
        );
    });
}

/// Swaps `candidate` in, which must be refused at `step`; the old rules keep serving.
async fn refused(
    store: &RuntimeStore,
    candidate: &[u8],
    gate: &VectorGate,
    step: SwapStep,
) -> String {
    let serving = store.rules_identity();
    let error = store
        .swap_rules(candidate, gate)
        .await
        .expect_err("a broken candidate is refused");
    assert_eq!(error.step, step, "{error}");
    assert_eq!(error.candidate, RulesIdentity::of(candidate));
    assert_eq!(error.serving, serving);
    assert_eq!(
        store.rules_identity(),
        serving,
        "the old rules keep serving"
    );
    let record = store
        .get("kept")
        .await
        .expect("a call works on the old rules");
    assert_eq!(record.game_id, "kept");
    store
        .update_engine_health(&UpdateEngineHealthInput {
            game_id: "kept".into(),
            engine_health_summary: format!("after a refusal at {step}"),
            now: at(50),
        })
        .await
        .expect("an update works on the old rules");
    error.reason
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_candidates_are_refused_at_their_step_and_the_old_rules_keep_serving() {
    let gate = VectorGate::shipped().expect("the shipped vectors load");
    let store = memory_store().await;
    store
        .insert(&record("kept", Status::Running, at(1)))
        .await
        .unwrap();
    let embedded = RulesIdentity::of(embedded_component());

    let reason = refused(&store, &hostile("trap"), &gate, SwapStep::Gate).await;
    println!("trap.wasm refused: {reason}");
    // The first failing step: its file, its number and op, expected versus got.
    assert!(reason.contains(".json: step "), "{reason}");
    assert!(reason.contains("expected "), "{reason}");
    assert!(reason.contains(", got "), "{reason}");
    assert!(reason.contains("steps failed)"), "{reason}");

    refused(&store, &hostile("wrong-types"), &gate, SwapStep::Load).await;
    refused(
        &store,
        &hostile("trap-on-start"),
        &gate,
        SwapStep::Instantiate,
    )
    .await;
    assert_eq!(store.rules_identity(), embedded);

    // After three refusals a good build still goes live.
    let build = other_build();
    assert_eq!(
        store.swap_rules(&build, &gate).await.unwrap(),
        RulesIdentity::of(&build)
    );
    assert_eq!(
        store.get("kept").await.unwrap().engine_health,
        "after a refusal at instantiation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_own_vectors_gate_the_swap_and_a_failing_step_is_named() {
    let directory = std::env::temp_dir().join(format!("vector-gate-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let passing = directory.join("passing.json");
    std::fs::write(
        &passing,
        r#"{"description": "finished is final", "steps": [
            {"op": "transition", "args": {"from": "starting", "to": "running"}, "expect": {"ok": null}},
            {"op": "get", "args": {"game-id": "nobody"}, "expect": {"error": "not-found"}}
        ]}"#,
    )
    .unwrap();
    let failing = directory.join("failing.json");
    std::fs::write(
        &failing,
        r#"{"description": "expects what these rules do not do", "steps": [
            {"op": "transition", "args": {"from": "starting", "to": "running"}, "expect": {"ok": null}},
            {"note": "not these rules", "op": "transition", "args": {"from": "finished", "to": "running"}, "expect": {"ok": null}}
        ]}"#,
    )
    .unwrap();

    let store = memory_store().await;
    let build = other_build();
    let only_passing = VectorGate::from_files([&passing]).unwrap();
    assert_eq!(
        only_passing.files().collect::<Vec<_>>(),
        [passing.as_path()]
    );
    assert_eq!(
        store.swap_rules(&build, &only_passing).await.unwrap(),
        RulesIdentity::of(&build)
    );

    let with_failing = VectorGate::from_files([&passing, &failing]).unwrap();
    let error = store
        .swap_rules(embedded_component(), &with_failing)
        .await
        .expect_err("a step fails");
    assert_eq!(error.step, SwapStep::Gate);
    assert_eq!(store.rules_identity(), RulesIdentity::of(&build));
    let reason = error.reason;
    assert!(
        reason.starts_with(&format!(
            "{}: step 1 (transition) [not these rules]: expected ok",
            failing.display()
        )),
        "{reason}"
    );
    assert!(reason.contains("got error invalid-transition"), "{reason}");
    assert!(reason.ends_with("(1 of 2 steps failed)"), "{reason}");

    // A malformed file is an error when the gate is made, naming the file.
    let missing = directory.join("missing.json");
    match VectorGate::from_files([&missing]) {
        Err(LoadError::Read { path, .. }) => assert_eq!(path, missing),
        other => panic!("expected a read error, got {other:?}"),
    }
    std::fs::remove_dir_all(&directory).unwrap();
}
