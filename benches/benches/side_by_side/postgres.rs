//! PostgreSQL: `get`, `update-status` (the compare-and-swap) and `list-due-running`
//! through the wasm store on the PostgreSQL adapter, through the adapter alone (no wasm),
//! and as the same statement issued with raw sqlx; one task and 16 concurrent tasks.
//!
//! All sides share one connection pool of 16 connections on a schema created for the run
//! and dropped afterwards. Every task works on a game of its own, so the swaps measure the
//! cost of the operation, not lock waits.

use std::hint::black_box;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use criterion::Criterion;
use runtime_store_backend::{Backend, PatchOutcome, ScanFilter};
use runtime_store_benches::Estimates;
use runtime_store_host::{LARGEST_PAGE_LIMIT, RuntimeStore, Status};
use runtime_store_postgres::PostgresBackend;
use runtime_store_postgres::timestamp::PgInstant;
use runtime_store_postgres_tests::database::TestSchema;
use runtime_store_postgres_tests::records::move_to;
use tokio::runtime::Runtime;

use crate::Group;
use crate::fixtures::{Flip, NOW, population, record};
use crate::raw;
use crate::timing::concurrent;

const GROUP: &str = "postgres";

/// The concurrent case of contract §6, and the size of the shared pool.
const TASKS: usize = 16;

/// Records besides the swapped ones; every tenth is running and overdue.
const RECORDS: usize = 200;
const DUE: usize = RECORDS / 10;

/// What the rules ask the backend for a page of [`LARGEST_PAGE_LIMIT`] records: one more,
/// to know whether another page follows. Every side sends this limit.
const SCAN_LIMIT: u32 = LARGEST_PAGE_LIMIT + 1;

const FUNCTIONS: [Function; 3] = [
    Function::Get,
    Function::UpdateStatus,
    Function::ListDueRunning,
];

pub fn bench(
    criterion: &mut Criterion,
    runtime: &Runtime,
    estimates: &Estimates,
) -> anyhow::Result<Vec<String>> {
    let schema = runtime.block_on(TestSchema::create("benches"));
    let measured = std::panic::catch_unwind(AssertUnwindSafe(|| {
        measure(criterion, runtime, estimates, &schema)
    }));
    runtime.block_on(schema.drop_schema());
    match measured {
        Ok(measured) => measured,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn measure(
    criterion: &mut Criterion,
    runtime: &Runtime,
    estimates: &Estimates,
    schema: &TestSchema,
) -> anyhow::Result<Vec<String>> {
    let game_ids: Arc<[String]> = (0..TASKS)
        .map(|task| format!("game-swap-{task:02}"))
        .collect();
    let backend = runtime.block_on(async {
        let backend = schema
            .backend_with(schema.options().max_connections(u32::try_from(TASKS)?))
            .await;
        let swapped = game_ids
            .iter()
            .map(|game_id| record(game_id, Status::Running, 7_200, None));
        for record in swapped.chain(population("game-pg", RECORDS)) {
            backend
                .insert(record.clone())
                .await
                .with_context(|| format!("insert of runtime record {}", record.game_id))?;
        }
        sqlx::query("ANALYZE runtime_records")
            .execute(schema.admin())
            .await
            .context("ANALYZE runtime_records")?;
        anyhow::Ok(backend)
    })?;
    let store = runtime
        .block_on(
            RuntimeStore::builder()
                .backend(Arc::new(backend.clone()))
                .build(),
        )
        .context("building the store on the PostgreSQL adapter")?;
    let flips: Arc<[Mutex<Flip>]> = game_ids
        .iter()
        .map(|game_id| Mutex::new(Flip::new(game_id.clone())))
        .collect();
    let sides = Sides {
        store,
        backend,
        game_ids,
        flips,
        now: PgInstant::from_timestamp(NOW).context("the benchmarks' now as a timestamptz")?,
    };

    let mut group = Group::new(criterion, GROUP, estimates);
    let mut lines = Vec::new();
    for (tasks, names) in [
        (1, ["store_x1", "adapter_x1", "raw_sqlx_x1"]),
        (TASKS, ["store_x16", "adapter_x16", "raw_sqlx_x16"]),
    ] {
        let [store, adapter, raw] = names;
        for function in FUNCTIONS {
            let sides = &sides;
            let side = |kind| move |iters| sides.run(runtime, kind, function, tasks, iters);
            lines.extend(group.compare(
                function.name(),
                &[
                    (store, &side(Kind::Store)),
                    (adapter, &side(Kind::Adapter)),
                    (raw, &side(Kind::RawSqlx)),
                ],
                &[(store, raw), (adapter, raw)],
            ));
        }
    }
    group.finish();
    Ok(lines)
}

#[derive(Debug, Clone, Copy)]
enum Function {
    Get,
    UpdateStatus,
    ListDueRunning,
}

impl Function {
    fn name(self) -> &'static str {
        match self {
            Function::Get => "get",
            Function::UpdateStatus => "update_status",
            Function::ListDueRunning => "list_due_running",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `RuntimeStore`: the wasm rules over the adapter.
    Store,
    /// The adapter's `Backend` primitive, no wasm.
    Adapter,
    /// The same statement with plain sqlx.
    RawSqlx,
}

/// What every side works on; cheap to clone into tasks.
#[derive(Clone)]
struct Sides {
    store: RuntimeStore,
    backend: PostgresBackend,
    /// Task `i` works on game `game_ids[i]`.
    game_ids: Arc<[String]>,
    /// Where each task's game stands, whichever side moved it last.
    flips: Arc<[Mutex<Flip>]>,
    /// [`NOW`] as the raw side binds it.
    now: PgInstant,
}

impl Sides {
    /// Where task `task`'s game stands.
    fn flip(&self, task: usize) -> MutexGuard<'_, Flip> {
        self.flips[task]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Times `iters` calls of `function` on side `kind`, spread over `tasks` tasks.
    fn run(
        &self,
        runtime: &Runtime,
        kind: Kind,
        function: Function,
        tasks: usize,
        iters: u64,
    ) -> std::time::Duration {
        let sides = self.clone();
        concurrent(runtime, tasks, iters, move |task| {
            let sides = sides.clone();
            async move { sides.call(kind, function, task).await }
        })
    }

    /// One call of `function` on side `kind` by task `task`, checked.
    async fn call(&self, kind: Kind, function: Function, task: usize) {
        let game_id = &self.game_ids[task];
        match (function, kind) {
            (Function::Get, Kind::Store) => {
                let found = self.store.get(game_id).await;
                found.unwrap_or_else(|error| panic!("store: {error}"));
            }
            (Function::Get, Kind::Adapter) => {
                let found = self.backend.fetch(game_id).await;
                found
                    .unwrap_or_else(|error| panic!("adapter: fetch of {game_id}: {error}"))
                    .unwrap_or_else(|| panic!("adapter: fetch of {game_id}: no record"));
            }
            (Function::Get, Kind::RawSqlx) => {
                let found = raw::fetch(self.backend.pool(), game_id).await;
                let found = found
                    .unwrap_or_else(|error| panic!("raw sqlx: fetch of {game_id}: {error}"))
                    .unwrap_or_else(|| panic!("raw sqlx: fetch of {game_id}: no record"));
                black_box(found);
            }
            (Function::UpdateStatus, Kind::Store) => {
                let input = self.flip(task).next_input();
                let swapped = self.store.update_status(&input).await;
                swapped.unwrap_or_else(|error| panic!("store: {error}"));
            }
            (Function::UpdateStatus, Kind::Adapter) => {
                let (from, to) = self.flip(task).advance();
                let outcome = self
                    .backend
                    .patch(game_id, Some(from), move_to(to, NOW))
                    .await;
                match outcome {
                    Ok(PatchOutcome::Applied) => {}
                    other => panic!("adapter: patch of {game_id} {from} -> {to}: {other:?}"),
                }
            }
            (Function::UpdateStatus, Kind::RawSqlx) => {
                let (from, to) = self.flip(task).advance();
                let applied =
                    raw::swap_status(self.backend.pool(), game_id, from, to, self.now).await;
                match applied {
                    Ok(true) => {}
                    other => panic!("raw sqlx: patch of {game_id} {from} -> {to}: {other:?}"),
                }
            }
            (Function::ListDueRunning, Kind::Store) => {
                // The whole list is this one page: what `list_due_running` reads.
                let due = self
                    .store
                    .list_due_running_page(NOW, None, LARGEST_PAGE_LIMIT)
                    .await;
                let due = due.unwrap_or_else(|error| panic!("store: {error}"));
                assert_eq!(due.records.len(), DUE, "store: list due runtimes");
                assert_eq!(due.next_cursor, None, "store: list due runtimes");
            }
            (Function::ListDueRunning, Kind::Adapter) => {
                let due = self
                    .backend
                    .scan(ScanFilter::DueRunning(NOW), None, SCAN_LIMIT)
                    .await;
                let due = due.unwrap_or_else(|error| panic!("adapter: scan due running: {error}"));
                assert_eq!(due.len(), DUE, "adapter: scan due running");
            }
            (Function::ListDueRunning, Kind::RawSqlx) => {
                let due = raw::scan_due_running(self.backend.pool(), self.now, SCAN_LIMIT).await;
                let due = due.unwrap_or_else(|error| panic!("raw sqlx: scan due running: {error}"));
                assert_eq!(due.len(), DUE, "raw sqlx: scan due running");
            }
        }
    }
}
