//! The pure rules: the wasm component through `runtime_store_host::Rules` against
//! `runtime_store_rules` compiled natively, on the same inputs.

use std::hint::black_box;

use anyhow::Context;
use criterion::Criterion;
use runtime_store_benches::Estimates;
use runtime_store_host::{RuntimeStore, Status};
use runtime_store_rules::{transitions, validation};
use tokio::runtime::Runtime;

use crate::Group;
use crate::fixtures::{Flip, record, to_native};
use crate::timing::{repeat, sequential};

pub fn bench(
    criterion: &mut Criterion,
    runtime: &Runtime,
    estimates: &Estimates,
) -> anyhow::Result<Vec<String>> {
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

    let mut group = Group::new(criterion, "rules", estimates);
    let mut lines = group.wasm_vs_native(
        "transition",
        &|iters| {
            sequential(runtime, iters, || async {
                let allowed = rules.transition(black_box(from), black_box(to)).await;
                allowed.unwrap_or_else(|error| panic!("wasm transition {from} -> {to}: {error}"));
            })
        },
        &|iters| {
            repeat(iters, || {
                transitions::transition(black_box(native_from), black_box(native_to))
                    .unwrap_or_else(|error| panic!("native transition {from} -> {to}: {error:?}"))
            })
        },
    );
    // A refusal formats its message: the error path, with a string crossing the boundary.
    lines.extend(group.wasm_vs_native(
        "transition_refused",
        &|iters| {
            sequential(runtime, iters, || async {
                let refused = rules
                    .transition(black_box(from), black_box(refused_to))
                    .await;
                assert!(
                    refused.is_err(),
                    "wasm transition {from} -> {refused_to} was allowed"
                );
            })
        },
        &|iters| {
            repeat(iters, || {
                let refused =
                    transitions::transition(black_box(native_from), black_box(native_refused_to));
                assert!(
                    refused.is_err(),
                    "native transition {from} -> {refused_to} was allowed"
                );
                refused
            })
        },
    ));
    lines.extend(group.wasm_vs_native(
        "validate_record",
        &|iters| {
            sequential(runtime, iters, || async {
                let valid = rules.validate_record(black_box(&record)).await;
                valid.unwrap_or_else(|error| {
                    panic!("wasm validate-record of {}: {error}", record.game_id)
                });
            })
        },
        &|iters| {
            repeat(iters, || {
                validation::validate_record(black_box(&native_record)).unwrap_or_else(|error| {
                    panic!("native validate-record of {}: {error:?}", record.game_id)
                })
            })
        },
    ));
    lines.extend(group.wasm_vs_native(
        "validate_update_status",
        &|iters| {
            sequential(runtime, iters, || async {
                let valid = rules.validate_update_status(black_box(&input)).await;
                valid.unwrap_or_else(|error| {
                    panic!("wasm validate-update-status of {}: {error}", input.game_id)
                });
            })
        },
        &|iters| {
            repeat(iters, || {
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
    ));
    group.finish();
    Ok(lines)
}
