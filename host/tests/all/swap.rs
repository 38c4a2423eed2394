//! Live rules swap: a candidate goes live only after load, instantiation and a gate; calls
//! in flight finish on the rules they started with.

use std::collections::BTreeMap;

use runtime_store_backend::async_trait;
use runtime_store_host::{
    RulesGate, RulesIdentity, RuntimeStore, Status, StoreError, SwapStep, UpdateEngineHealthInput,
    embedded_component,
};

use crate::common::{SpanLog, at, is_child, memory_store, record, run_alone};

fn hostile(stem: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/hostile/{stem}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("read {path}: {error}"))
}

/// The embedded rules with a custom section appended: the same behaviour, another build
/// (another SHA-256), so every answer can be traced to the build that gave it.
fn other_build() -> Vec<u8> {
    let name = b"build-tag";
    let payload = b"second build";
    let mut bytes = embedded_component().to_vec();
    bytes.push(0); // custom section
    bytes.push(u8::try_from(1 + name.len() + payload.len()).unwrap());
    bytes.push(u8::try_from(name.len()).unwrap());
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(payload);
    bytes
}

/// Checks a candidate with a few calls whose answers the contract fixes.
struct SmokeGate;

#[async_trait]
impl RulesGate for SmokeGate {
    async fn check(&self, candidate: &RuntimeStore) -> Result<(), String> {
        let record = record("gate-1", Status::Starting, 10);
        candidate
            .insert(&record)
            .await
            .map_err(|error| format!("insert: {error}"))?;
        match candidate.insert(&record).await {
            Err(StoreError::Conflict { .. }) => {}
            other => return Err(format!("a second insert answered {other:?}, not conflict")),
        }
        let stored = candidate
            .get("gate-1")
            .await
            .map_err(|error| format!("get: {error}"))?;
        if stored != record {
            return Err(format!("get answered {stored:?}"));
        }
        Ok(())
    }
}

const UNDER_LOAD: &str = "swap::child_swaps_under_load";

#[test]
fn a_swap_under_load_fails_no_call_and_every_call_is_answered_by_one_build() {
    run_alone(UNDER_LOAD);
}

/// The test above, in a process of its own: it installs the process's tracing subscriber.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by a_swap_under_load_fails_no_call_and_every_call_is_answered_by_one_build"]
async fn child_swaps_under_load() {
    if !is_child(UNDER_LOAD) {
        return;
    }
    let spans = SpanLog::install();
    let store = memory_store().await;
    let first = store.rules_identity();
    assert_eq!(first, RulesIdentity::of(embedded_component()));
    for task in 0..16 {
        store
            .insert(&record(&format!("game-{task}"), Status::Running, 10))
            .await
            .unwrap();
    }
    assert_eq!(spans.take().len(), 16, "one span per insert");

    let calls_per_task = 60;
    let callers: Vec<_> = (0..16)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                for call in 0..calls_per_task {
                    let game_id = format!("game-{task}");
                    if call % 2 == 0 {
                        store.get(&game_id).await.map(drop)?;
                    } else {
                        let input = UpdateEngineHealthInput {
                            game_id,
                            engine_health_summary: format!("check {call}"),
                            now: at(20 + call),
                        };
                        store.update_engine_health(&input).await?;
                    }
                    tokio::task::yield_now().await;
                }
                Ok::<(), StoreError>(())
            })
        })
        .collect();
    tokio::task::yield_now().await;
    let second = store.swap_rules(&other_build(), &SmokeGate).await.unwrap();
    assert_ne!(second, first);
    assert_eq!(store.rules_identity(), second);
    for caller in callers {
        caller
            .await
            .unwrap()
            .expect("no call fails because of the swap");
    }

    let answers: Vec<(String, String)> = spans
        .take()
        .into_iter()
        .map(|fields| {
            (
                fields["runtime_store.rules.sha256"].clone(),
                fields["runtime_store.outcome"].clone(),
            )
        })
        .collect();
    let mut by_build: BTreeMap<&str, usize> = BTreeMap::new();
    for (sha, _) in &answers {
        *by_build.entry(sha.as_str()).or_default() += 1;
    }
    // The gate's second insert is the one conflict it expects; every caller's call is ok.
    let outcomes: Vec<&str> = answers
        .iter()
        .map(|(_, outcome)| outcome.as_str())
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|outcome| **outcome == "conflict")
            .count(),
        1
    );
    assert!(
        outcomes
            .iter()
            .all(|outcome| ["ok", "conflict"].contains(outcome))
    );
    // The gate's own calls ran on the candidate too; every span names exactly one build.
    let callers_total = 16 * calls_per_task as usize;
    assert!(answers.len() >= callers_total, "{} spans", answers.len());
    assert_eq!(
        by_build.keys().copied().collect::<Vec<_>>(),
        {
            let mut both = vec![first.sha256(), second.sha256()];
            both.sort_unstable();
            both
        },
        "both builds answered: {by_build:?}"
    );
}

#[tokio::test]
async fn a_broken_candidate_is_refused_at_its_step_and_the_old_rules_keep_serving() {
    let store = memory_store().await;
    store
        .insert(&record("kept", Status::Starting, 10))
        .await
        .unwrap();
    let serving = store.rules_identity();
    for (stem, step, says) in [
        ("wrong-types", SwapStep::Load, "`get`"),
        (
            "trap-on-start",
            SwapStep::Instantiate,
            "could not be instantiated",
        ),
        ("trap", SwapStep::Gate, "insert: "),
    ] {
        let error = store
            .swap_rules(&hostile(stem), &SmokeGate)
            .await
            .unwrap_err();
        assert_eq!(error.step, step, "{stem}: {error}");
        assert!(error.reason.contains(says), "{stem}: {error}");
        assert_eq!(error.serving, serving);
        assert_eq!(error.candidate, RulesIdentity::of(&hostile(stem)));
        assert!(
            error.to_string().starts_with(&format!(
                "swap rules to {}: refused at {step}: ",
                error.candidate
            )),
            "{error}"
        );
        assert_eq!(store.rules_identity(), serving);
        assert_eq!(store.get("kept").await.unwrap().game_id, "kept");
    }
}
