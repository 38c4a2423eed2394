//! The store over memory: the wasm component with the host's in-memory adapter
//! (`RuntimeStore`, `memory:`) against `runtime_store_rules::store` over `MemoryStorage`
//! compiled natively, both holding the same records; then the wasm store's throughput
//! of `get` and `update_status` at 1, 2 and 16 concurrent tasks.

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use criterion::Criterion;
use runtime_store_benches::Estimates;
use runtime_store_host::{RuntimeStore, Status};
use runtime_store_rules::memory::MemoryStorage;
use runtime_store_rules::store;
use tokio::runtime::Runtime;

use crate::Group;
use crate::fixtures::{Flip, population, record, to_native};
use crate::timing::{concurrent, repeat, sequential};

/// Records held by each side: `list` returns them all.
const RECORDS: usize = 100;

pub fn bench(
    criterion: &mut Criterion,
    runtime: &Runtime,
    estimates: &Estimates,
) -> anyhow::Result<Vec<String>> {
    let records = population("game-memory", RECORDS);
    let wasm = runtime
        .block_on(RuntimeStore::builder().build())
        .context("building the in-memory store")?;
    let mut storage = MemoryStorage::default();
    for record in &records {
        runtime
            .block_on(wasm.insert(record))
            .with_context(|| format!("insert runtime record {} (wasm)", record.game_id))?;
        store::insert(&mut storage, to_native::record(record)).map_err(|error| {
            anyhow::anyhow!(
                "insert runtime record {} (native): {error:?}",
                record.game_id
            )
        })?;
    }
    let native = RefCell::new(storage);
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

    let mut group = Group::new(criterion, "memory_store", estimates);
    let mut lines = group.wasm_vs_native(
        "get",
        &|iters| {
            sequential(runtime, iters, || async {
                let found = wasm.get(black_box(&looked_up)).await;
                black_box(found.unwrap_or_else(|error| panic!("wasm {error}")));
            })
        },
        &|iters| {
            let native = &mut *native.borrow_mut();
            repeat(iters, || {
                store::get(native, black_box(&looked_up)).unwrap_or_else(|error| {
                    panic!("native get runtime record {looked_up}: {error:?}")
                })
            })
        },
    );
    lines.extend(group.wasm_vs_native(
        "insert_delete",
        &|iters| {
            sequential(runtime, iters, || async {
                let inserted = wasm.insert(black_box(&fresh)).await;
                inserted.unwrap_or_else(|error| panic!("wasm {error}"));
                let deleted = wasm.delete(black_box(&fresh.game_id)).await;
                deleted.unwrap_or_else(|error| panic!("wasm {error}"));
            })
        },
        &|iters| {
            let native = &mut *native.borrow_mut();
            repeat(iters, || {
                store::insert(native, black_box(native_fresh.clone())).unwrap_or_else(|error| {
                    panic!("native insert runtime record {}: {error:?}", fresh.game_id)
                });
                store::delete(native, black_box(&fresh.game_id)).unwrap_or_else(|error| {
                    panic!("native delete runtime record {}: {error:?}", fresh.game_id)
                })
            })
        },
    ));
    lines.extend(group.wasm_vs_native(
        "update_status",
        &|iters| {
            sequential(runtime, iters, || async {
                let input = wasm_flip.borrow_mut().next_input();
                let updated = wasm.update_status(black_box(&input)).await;
                updated.unwrap_or_else(|error| panic!("wasm {error}"));
            })
        },
        &|iters| {
            let native = &mut *native.borrow_mut();
            repeat(iters, || {
                let input = native_flip.borrow_mut().next_input();
                store::update_status(native, black_box(to_native::update_status(input)))
                    .unwrap_or_else(|error| {
                        let game_id = native_flip.borrow().game_id().to_owned();
                        panic!("native update runtime status of {game_id}: {error:?}")
                    })
            })
        },
    ));
    lines.extend(group.wasm_vs_native(
        "list",
        &|iters| {
            sequential(runtime, iters, || async {
                let listed = wasm
                    .list()
                    .await
                    .unwrap_or_else(|error| panic!("wasm {error}"));
                assert_eq!(listed.len(), RECORDS, "wasm list runtimes");
            })
        },
        &|iters| {
            let native = &mut *native.borrow_mut();
            repeat(iters, || {
                let listed = store::list(native)
                    .unwrap_or_else(|error| panic!("native list runtimes: {error:?}"));
                assert_eq!(listed.len(), RECORDS, "native list runtimes");
                listed
            })
        },
    ));
    lines.extend(throughput(&mut group, runtime)?);
    group.finish();
    Ok(lines)
}

/// Tasks of the throughput functions: one, one per worker of the two-worker runtime, and
/// eight per worker.
const TASK_COUNTS: [(usize, &str); 3] = [(1, "x1"), (2, "x2"), (16, "x16")];

/// `get` and `update_status` at 1, 2 and 16 concurrent tasks on the in-memory store, each
/// task on a game of its own (so every swap succeeds and none waits for another's row),
/// reported as operations per second. A store of its own: the population plus one game
/// per task.
fn throughput(group: &mut Group<'_, '_>, runtime: &Runtime) -> anyhow::Result<Vec<String>> {
    let tasks = TASK_COUNTS
        .iter()
        .map(|(tasks, _)| *tasks)
        .max()
        .unwrap_or(1);
    let game_ids: Arc<[String]> = (0..tasks)
        .map(|task| format!("game-memory-task-{task:02}"))
        .collect();
    let store = runtime.block_on(async {
        let store = RuntimeStore::builder()
            .build()
            .await
            .context("building the in-memory store")?;
        let tasks_games = game_ids
            .iter()
            .map(|game_id| record(game_id, Status::Running, 7_200, None));
        for record in population("game-memory", RECORDS)
            .into_iter()
            .chain(tasks_games)
        {
            store
                .insert(&record)
                .await
                .with_context(|| format!("insert runtime record {}", record.game_id))?;
        }
        anyhow::Ok(store)
    })?;
    let flips: Arc<[Mutex<Flip>]> = game_ids
        .iter()
        .map(|game_id| Mutex::new(Flip::new(game_id.clone())))
        .collect();
    let get = |tasks: usize| {
        let store = store.clone();
        let game_ids = Arc::clone(&game_ids);
        move |iters| {
            let store = store.clone();
            let game_ids = Arc::clone(&game_ids);
            concurrent(runtime, tasks, iters, move |task| {
                let store = store.clone();
                let game_ids = Arc::clone(&game_ids);
                async move {
                    let found = store.get(black_box(&game_ids[task])).await;
                    black_box(found.unwrap_or_else(|error| panic!("wasm {error}")));
                }
            })
        }
    };
    let update_status = |tasks: usize| {
        let store = store.clone();
        let flips = Arc::clone(&flips);
        move |iters| {
            let store = store.clone();
            let flips = Arc::clone(&flips);
            concurrent(runtime, tasks, iters, move |task| {
                let store = store.clone();
                let input = flips[task]
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .next_input();
                async move {
                    let updated = store.update_status(black_box(&input)).await;
                    updated.unwrap_or_else(|error| panic!("wasm {error}"));
                }
            })
        }
    };
    let [(one, one_name), (two, two_name), (many, many_name)] = TASK_COUNTS;
    let mut lines = group.throughput(
        "get_tasks",
        &[
            (one_name, &get(one)),
            (two_name, &get(two)),
            (many_name, &get(many)),
        ],
    );
    lines.extend(group.throughput(
        "update_status_tasks",
        &[
            (one_name, &update_status(one)),
            (two_name, &update_status(two)),
            (many_name, &update_status(many)),
        ],
    ));
    Ok(lines)
}
