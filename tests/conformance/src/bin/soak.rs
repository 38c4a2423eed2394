//! `soak`: the model-based check at scale. Runs random operation sequences through the
//! wasm host on one adapter, compares every result and the final `list()` with the
//! reference model (`runtime_store_conformance::model`) and prints the counts.
//!
//! ```text
//! cargo run --release -p runtime-store-conformance --bin soak -- \
//!     --adapter memory|postgres [--sequences 10000] [--max-steps 40] [--jobs 2]
//! cargo run --release -p runtime-store-conformance --bin soak -- \
//!     --emit sequences.jsonl [--sequences 10000] [--max-steps 40]
//! ```
//!
//! `--emit FILE` runs no store: it writes the random sequences with the model's answer to
//! every step, one JSON object a line, for hosts in other languages to replay
//! (`hosts/python/soak.py` on the Python host's SQLite adapter). A line is
//! `{"steps": [{"op": OP, "expect": EXPECT}, ...], "final": [RECORD, ...]}`: `OP` is the
//! operation with its arguments (`{"Get": "game-1"}`, `{"Insert": RECORD}`,
//! `{"UpdateStatus": INPUT}`, ..., `"List"`; records and inputs with the WIT field names),
//! `EXPECT` is `{"kind": "ok", "value": "Unit" | {"Record": RECORD} | {"Records": [...]}}`,
//! `{"kind": "not-found" | "conflict" | "invalid-input"}` or
//! `{"kind": "invalid-transition", "message": TEXT}`, and `final` is what `list()` must
//! return after the last step. The checked sequences hold page calls too (`list-page`,
//! `list-by-status-page`, `list-due-running-page`, continuing the previous page most of
//! the time); `--emit` leaves them out, as its replayers do not know them yet.
//!
//! PostgreSQL is the server at `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); every job works in a schema of its own,
//! created for the run and dropped at its end, so nothing else on the server is touched.
//! On the first divergence it prints the shrunk sequence and exits non-zero.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use runtime_store_conformance::model::{
    Budget, Model, Outcome, Tally, check_sequence, run_sequences,
};
use runtime_store_host::RuntimeStore;
use runtime_store_postgres::{PostgresBackend, PostgresOptions, migrate};
use serde_json::{Value, json};
use tokio::runtime::Handle;

const USAGE: &str =
    "usage: soak --adapter memory|postgres [--sequences N] [--max-steps N] [--jobs N]
       soak --emit FILE [--sequences N] [--max-steps N]

Runs N random operation sequences (default 10000) through the wasm host on the adapter,
each compared step by step and by its final list() with the reference model, and prints
how many sequences and operations ran and what each operation answered. PostgreSQL is
DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), one schema of its
own per job, dropped at the end. With --emit, no store runs: the sequences and the
model's answers are written to FILE, one JSON object a line, for other hosts to replay.";

const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adapter {
    Memory,
    Postgres,
}

/// What the run does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    /// Run the sequences on an adapter.
    Check(Adapter),
    /// Write the sequences and the model's answers to a file.
    Emit(PathBuf),
}

struct Settings {
    mode: Mode,
    sequences: u32,
    max_steps: usize,
    jobs: u32,
}

fn settings() -> Result<Settings, String> {
    let mut adapter = None;
    let mut emit = None;
    let mut sequences = 10_000;
    let mut max_steps = 40;
    let mut jobs = 1;
    let mut arguments = std::env::args().skip(1);
    while let Some(flag) = arguments.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.into());
        }
        let value = arguments
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))?;
        let number = |what: &str| {
            value
                .parse::<u32>()
                .ok()
                .filter(|number| *number > 0)
                .ok_or_else(|| format!("{what} must be a positive integer, not {value:?}"))
        };
        match flag.as_str() {
            "--adapter" => {
                adapter = Some(match value.as_str() {
                    "memory" => Adapter::Memory,
                    "postgres" => Adapter::Postgres,
                    other => return Err(format!("unknown adapter {other:?}\n\n{USAGE}")),
                });
            }
            "--emit" => emit = Some(PathBuf::from(&value)),
            "--sequences" => sequences = number("--sequences")?,
            "--max-steps" => max_steps = number("--max-steps")? as usize,
            "--jobs" => jobs = number("--jobs")?,
            other => return Err(format!("unknown option {other:?}\n\n{USAGE}")),
        }
    }
    let mode = match (adapter, emit) {
        (Some(adapter), None) => Mode::Check(adapter),
        (None, Some(file)) => Mode::Emit(file),
        (Some(_), Some(_)) => return Err(format!("give --adapter or --emit, not both\n\n{USAGE}")),
        (None, None) => return Err(format!("--adapter or --emit is required\n\n{USAGE}")),
    };
    Ok(Settings {
        mode,
        sequences,
        max_steps,
        jobs: jobs.min(sequences),
    })
}

/// Where one job's sequences run: a store and how to empty it between sequences.
struct Target {
    store: RuntimeStore,
    postgres: Option<(Arc<PostgresBackend>, String)>,
}

impl Target {
    async fn open(adapter: Adapter, job: u32) -> Result<Target, String> {
        match adapter {
            Adapter::Memory => Ok(Target {
                store: RuntimeStore::builder()
                    .backend_url("memory:")
                    .build()
                    .await
                    .map_err(|error| format!("build a store in memory: {error}"))?,
                postgres: None,
            }),
            Adapter::Postgres => {
                let url = std::env::var("DATABASE_URL")
                    .unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
                let nanos = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |elapsed| elapsed.subsec_nanos());
                let schema = format!("rst_soak_{}_{job}_{nanos:x}", std::process::id());
                let options = PostgresOptions::default()
                    .schema(&schema)
                    .application_name(&schema)
                    .max_connections(2);
                migrate(&url, &options)
                    .await
                    .map_err(|error| format!("create schema {schema} at DATABASE_URL: {error}"))?;
                let backend = Arc::new(
                    PostgresBackend::connect(&url, options)
                        .await
                        .map_err(|error| format!("connect to schema {schema}: {error}"))?,
                );
                let store = RuntimeStore::builder()
                    .backend(backend.clone())
                    .build()
                    .await
                    .map_err(|error| format!("build a store on PostgreSQL: {error}"))?;
                Ok(Target {
                    store,
                    postgres: Some((backend, schema)),
                })
            }
        }
    }

    /// Empties the store: the model starts every sequence empty.
    async fn clear(&self) {
        match &self.postgres {
            Some((backend, schema)) => {
                sqlx::query("DELETE FROM runtime_records")
                    .execute(backend.pool())
                    .await
                    .unwrap_or_else(|error| panic!("empty schema {schema}: {error}"));
            }
            None => {
                let records = self.store.list().await.expect("list the memory store");
                for record in records {
                    self.store
                        .delete(&record.game_id)
                        .await
                        .expect("delete from the memory store");
                }
            }
        }
    }

    /// Drops the job's schema, if it has one.
    async fn close(self) {
        if let Some((backend, schema)) = self.postgres {
            let drop = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            if let Err(error) = sqlx::query(&drop).execute(backend.pool()).await {
                eprintln!("soak: could not drop schema {schema}: {error}");
            }
            backend.close().await;
        }
    }
}

/// Runs `sequences` sequences on a target of its own; the tally, or the failure.
fn job(
    handle: &Handle,
    adapter: Adapter,
    index: u32,
    sequences: u32,
    max_steps: usize,
) -> Result<Tally, String> {
    let target = handle.block_on(Target::open(adapter, index))?;
    let budget = Budget {
        cases: sequences,
        max_steps,
        max_shrink_iters: 4096,
    };
    let outcome = run_sequences(budget, |sequence| {
        handle.block_on(async {
            target.clear().await;
            check_sequence(&target.store, sequence).await
        })
    });
    handle.block_on(target.close());
    outcome.map_err(|failure| failure.to_string())
}

/// Writes `sequences` random sequences with the model's answers to `file`, one JSON object
/// a line; returns how many steps were written.
fn emit(file: &Path, sequences: u32, max_steps: usize) -> Result<usize, String> {
    let lines = RefCell::new(Vec::new());
    let steps = Cell::new(0usize);
    let budget = Budget {
        cases: sequences,
        max_steps,
        max_shrink_iters: 0,
    };
    run_sequences(budget, |sequence| {
        let mut model = Model::new();
        // Page steps are left out: the replayers (hosts/python/soak.py) do not know them
        // yet. A page changes no record, so the other steps' answers stay the model's.
        let answered: Vec<Value> = sequence
            .iter()
            .filter_map(|step| {
                let op = model.resolve(step);
                let outcome = model.apply(&op);
                (!op.is_page()).then(|| json!({"op": op, "expect": expectation(&outcome)}))
            })
            .collect();
        steps.set(steps.get() + answered.len());
        lines
            .borrow_mut()
            .push(json!({"steps": answered, "final": model.list()}).to_string());
        Ok(Tally::default())
    })
    .map_err(|failure| format!("generating the sequences: {failure}"))?;
    let mut text = lines.into_inner().join("\n");
    text.push('\n');
    std::fs::write(file, text).map_err(|error| format!("write {}: {error}", file.display()))?;
    Ok(steps.get())
}

/// The model's answer as `--emit` writes it.
fn expectation(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Ok(value) => json!({"kind": "ok", "value": value}),
        Outcome::InvalidTransition(message) => {
            json!({"kind": "invalid-transition", "message": message})
        }
        other => json!({"kind": other.kind()}),
    }
}

fn main() -> ExitCode {
    let settings = match settings() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let adapter = match &settings.mode {
        Mode::Check(adapter) => *adapter,
        Mode::Emit(file) => {
            let started = Instant::now();
            return match emit(file, settings.sequences, settings.max_steps) {
                Ok(steps) => {
                    println!(
                        "soak: wrote {} sequences ({steps} operations) with the model's answers to {} in {}",
                        settings.sequences,
                        file.display(),
                        seconds(started.elapsed())
                    );
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("soak: {message}");
                    ExitCode::FAILURE
                }
            };
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("start the async runtime");
    let started = Instant::now();
    let per_job = settings.sequences / settings.jobs;
    let extra = settings.sequences % settings.jobs;
    let results: Vec<Result<Tally, String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..settings.jobs)
            .map(|index| {
                let handle = runtime.handle().clone();
                let count = per_job + u32::from(index < extra);
                let max_steps = settings.max_steps;
                scope.spawn(move || job(&handle, adapter, index, count, max_steps))
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| Err(format!("a job panicked: {panic:?}")))
            })
            .collect()
    });
    let elapsed = started.elapsed();
    let mut tally = Tally::default();
    let mut failed = false;
    for result in results {
        match result {
            Ok(job) => tally.merge(&job),
            Err(failure) => {
                failed = true;
                eprintln!("soak: the store and the model differ:\n{failure}");
            }
        }
    }
    if failed {
        return ExitCode::FAILURE;
    }
    let adapter = match adapter {
        Adapter::Memory => "memory",
        Adapter::Postgres => "postgres",
    };
    print!("{tally}");
    println!(
        "soak {adapter}: {} sequences, {} operations (plus one final list() each), \
         all as the model predicts, in {} ({} jobs, at most {} steps a sequence)",
        settings.sequences,
        tally.total(),
        seconds(elapsed),
        settings.jobs,
        settings.max_steps
    );
    ExitCode::SUCCESS
}

fn seconds(elapsed: Duration) -> String {
    format!("{:.1} s", elapsed.as_secs_f64())
}
