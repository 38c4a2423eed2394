//! The store over memory: the wasm component with the host's in-memory adapter
//! (`RuntimeStore`, `memory:`) against `guest_validation::store` over `MemoryStorage`
//! compiled natively, both holding the same records.

use std::cell::RefCell;
use std::hint::black_box;

use anyhow::Context;
use criterion::{BenchmarkId, Criterion};
use guest_validation::memory::MemoryStorage;
use guest_validation::store;
use runtime_store_benches::Comparison;
use runtime_store_host::{RuntimeStore, Status};
use tokio::runtime::Runtime;

use crate::GroupReport;
use crate::fixtures::{Flip, population, record, to_native};
use crate::timing::sequential;

const GROUP: &str = "memory_store";

/// Records held by each side: `list` returns them all.
const RECORDS: usize = 100;

pub fn bench(criterion: &mut Criterion, runtime: &Runtime) -> anyhow::Result<GroupReport> {
    let records = population("game-memory", RECORDS);
    let wasm = runtime
        .block_on(RuntimeStore::builder().build())
        .context("building the in-memory store")?;
    let mut native = MemoryStorage::default();
    for record in &records {
        runtime
            .block_on(wasm.insert(record))
            .with_context(|| format!("insert runtime record {} (wasm)", record.game_id))?;
        store::insert(&mut native, to_native::record(record)).map_err(|error| {
            anyhow::anyhow!(
                "insert runtime record {} (native): {error:?}",
                record.game_id
            )
        })?;
    }
    let looked_up = records[RECORDS / 2].game_id.clone();
    let flipped = records
        .iter()
        .find(|record| record.status == Status::Running && record.next_generation_at.is_some())
        .map(|record| record.game_id.clone())
        .context("the population holds a running record")?;
    // Each side moves the same game back and forth in its own store.
    let wasm_flip = RefCell::new(Flip::new(flipped.clone()));
    let native_flip = RefCell::new(Flip::new(flipped));
    let fresh = record("game-memory-fresh", Status::Starting, 0, None);
    let native_fresh = to_native::record(&fresh);

    let mut group = criterion.benchmark_group(GROUP);
    group.bench_function(BenchmarkId::new("get", "wasm"), |bencher| {
        bencher.iter_custom(|iters| {
            sequential(runtime, iters, || async {
                let found = wasm.get(black_box(&looked_up)).await;
                black_box(found.unwrap_or_else(|error| panic!("wasm {error}")));
            })
        })
    });
    group.bench_function(BenchmarkId::new("get", "native"), |bencher| {
        bencher.iter(|| {
            store::get(&mut native, black_box(&looked_up))
                .unwrap_or_else(|error| panic!("native get runtime record {looked_up}: {error:?}"))
        })
    });
    group.bench_function(BenchmarkId::new("insert_delete", "wasm"), |bencher| {
        bencher.iter_custom(|iters| {
            sequential(runtime, iters, || async {
                let inserted = wasm.insert(black_box(&fresh)).await;
                inserted.unwrap_or_else(|error| panic!("wasm {error}"));
                let deleted = wasm.delete(black_box(&fresh.game_id)).await;
                deleted.unwrap_or_else(|error| panic!("wasm {error}"));
            })
        })
    });
    group.bench_function(BenchmarkId::new("insert_delete", "native"), |bencher| {
        bencher.iter(|| {
            store::insert(&mut native, black_box(native_fresh.clone())).unwrap_or_else(|error| {
                panic!("native insert runtime record {}: {error:?}", fresh.game_id)
            });
            store::delete(&mut native, black_box(&fresh.game_id)).unwrap_or_else(|error| {
                panic!("native delete runtime record {}: {error:?}", fresh.game_id)
            })
        })
    });
    group.bench_function(BenchmarkId::new("update_status", "wasm"), |bencher| {
        bencher.iter_custom(|iters| {
            sequential(runtime, iters, || async {
                let input = wasm_flip.borrow_mut().next_input();
                let updated = wasm.update_status(black_box(&input)).await;
                updated.unwrap_or_else(|error| panic!("wasm {error}"));
            })
        })
    });
    group.bench_function(BenchmarkId::new("update_status", "native"), |bencher| {
        bencher.iter(|| {
            let input = native_flip.borrow_mut().next_input();
            store::update_status(&mut native, black_box(to_native::update_status(input)))
                .unwrap_or_else(|error| {
                    let game_id = native_flip.borrow().game_id().to_owned();
                    panic!("native update runtime status of {game_id}: {error:?}")
                })
        })
    });
    group.bench_function(BenchmarkId::new("list", "wasm"), |bencher| {
        bencher.iter_custom(|iters| {
            sequential(runtime, iters, || async {
                let listed = wasm
                    .list()
                    .await
                    .unwrap_or_else(|error| panic!("wasm {error}"));
                assert_eq!(listed.len(), RECORDS, "wasm list runtimes");
            })
        })
    });
    group.bench_function(BenchmarkId::new("list", "native"), |bencher| {
        bencher.iter(|| {
            let listed = store::list(&mut native)
                .unwrap_or_else(|error| panic!("native list runtimes: {error:?}"));
            assert_eq!(listed.len(), RECORDS, "native list runtimes");
            listed
        })
    });
    group.finish();

    Ok(GroupReport {
        comparisons: ["get", "insert_delete", "update_status", "list"]
            .into_iter()
            .map(|function| Comparison::new(GROUP, function, "wasm", "native"))
            .collect(),
        derived: |_| Vec::new(),
    })
}
