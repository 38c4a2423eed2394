//! The pure rules: the wasm component through `runtime_store_host::Rules` against
//! `guest_validation` compiled natively, on the same inputs.

use std::hint::black_box;

use anyhow::Context;
use criterion::{BenchmarkId, Criterion};
use guest_validation::{transitions, validation};
use runtime_store_benches::Comparison;
use runtime_store_host::{RuntimeStore, Status};
use tokio::runtime::Runtime;

use crate::GroupReport;
use crate::fixtures::{Flip, record, to_native};
use crate::timing::sequential;

const GROUP: &str = "rules";

pub fn bench(criterion: &mut Criterion, runtime: &Runtime) -> anyhow::Result<GroupReport> {
    let store = runtime
        .block_on(RuntimeStore::builder().build())
        .context("building the in-memory store whose rules are measured")?;
    let rules = store.rules();
    let record = record("game-rules-0001", Status::Running, 3_600, Some(60));
    let native_record = to_native::record(&record);
    let input = Flip::new(record.game_id.clone()).next_input();
    let native_input = to_native::update_status(input.clone());
    let (from, to) = (input.expected_from, input.to);
    let (native_from, native_to) = (to_native::status(from), to_native::status(to));
    let refused_to = Status::Starting;
    let native_refused_to = to_native::status(refused_to);

    let mut group = criterion.benchmark_group(GROUP);
    group.bench_function(BenchmarkId::new("transition", "wasm"), |bencher| {
        bencher.iter_custom(|iters| {
            sequential(runtime, iters, || async {
                let allowed = rules.transition(black_box(from), black_box(to)).await;
                allowed.unwrap_or_else(|error| panic!("wasm transition {from} -> {to}: {error}"));
            })
        })
    });
    group.bench_function(BenchmarkId::new("transition", "native"), |bencher| {
        bencher.iter(|| {
            transitions::transition(black_box(native_from), black_box(native_to))
                .unwrap_or_else(|error| panic!("native transition {from} -> {to}: {error:?}"))
        })
    });
    // A refusal formats its message: the error path, with a string crossing the boundary.
    group.bench_function(BenchmarkId::new("transition_refused", "wasm"), |bencher| {
        bencher.iter_custom(|iters| {
            sequential(runtime, iters, || async {
                let refused = rules
                    .transition(black_box(from), black_box(refused_to))
                    .await;
                assert!(
                    refused.is_err(),
                    "wasm transition {from} -> {refused_to} was allowed"
                );
            })
        })
    });
    group.bench_function(
        BenchmarkId::new("transition_refused", "native"),
        |bencher| {
            bencher.iter(|| {
                let refused =
                    transitions::transition(black_box(native_from), black_box(native_refused_to));
                assert!(
                    refused.is_err(),
                    "native transition {from} -> {refused_to} was allowed"
                );
                refused
            })
        },
    );
    group.bench_function(BenchmarkId::new("validate_record", "wasm"), |bencher| {
        bencher.iter_custom(|iters| {
            sequential(runtime, iters, || async {
                let valid = rules.validate_record(black_box(&record)).await;
                valid.unwrap_or_else(|error| {
                    panic!("wasm validate-record of {}: {error}", record.game_id)
                });
            })
        })
    });
    group.bench_function(BenchmarkId::new("validate_record", "native"), |bencher| {
        bencher.iter(|| {
            validation::validate_record(black_box(&native_record)).unwrap_or_else(|error| {
                panic!("native validate-record of {}: {error:?}", record.game_id)
            })
        })
    });
    group.bench_function(
        BenchmarkId::new("validate_update_status", "wasm"),
        |bencher| {
            bencher.iter_custom(|iters| {
                sequential(runtime, iters, || async {
                    let valid = rules.validate_update_status(black_box(&input)).await;
                    valid.unwrap_or_else(|error| {
                        panic!("wasm validate-update-status of {}: {error}", input.game_id)
                    });
                })
            })
        },
    );
    group.bench_function(
        BenchmarkId::new("validate_update_status", "native"),
        |bencher| {
            bencher.iter(|| {
                validation::validate_update_status(black_box(&native_input)).unwrap_or_else(
                    |error| {
                        panic!(
                            "native validate-update-status of {}: {error:?}",
                            input.game_id
                        )
                    },
                )
            })
        },
    );
    group.finish();

    Ok(GroupReport {
        comparisons: [
            "transition",
            "transition_refused",
            "validate_record",
            "validate_update_status",
        ]
        .into_iter()
        .map(|function| Comparison::new(GROUP, function, "wasm", "native"))
        .collect(),
        derived: |_| Vec::new(),
    })
}
