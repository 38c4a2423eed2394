//! Several host processes on one PostgreSQL: throughput of `update_status` + `get` with
//! 1, 2 and 4 OS processes, each a `RuntimeStore` on its own pool, all on one schema.
//!
//! ```text
//! cargo bench -p runtime-store-benches --bench processes                  # 1, 2, 4 processes, 5 s each
//! cargo bench -p runtime-store-benches --bench processes -- --seconds 10 --processes 1,2,4,8 --tasks 8
//! ```
//!
//! Under `cargo test --benches` (no `--bench` argument) it runs 1 and 2 processes for
//! 0.3 s each and checks the answers, asserting no time.
//!
//! The benchmark re-runs its own executable as the workers (`--worker ...`). Each worker
//! builds its store (compiling the component, opening a pool of `tasks` connections),
//! says it is ready, waits for the go, then runs `tasks` tasks for the given time, each on
//! a game of its own: one round is `update_status` (the compare-and-swap running ↔
//! generation_in_progress, which must succeed) then `get` of that game. It prints how many
//! rounds it finished. The parent starts all workers of a run together and reports rounds
//! per second and operations per second (two per round) summed over the workers.

use std::io::{BufRead, BufReader, Write};
use std::panic::AssertUnwindSafe;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use runtime_store_backend::Backend;
use runtime_store_host::{RuntimeStore, Status, Timestamp, UpdateStatusInput};
use runtime_store_postgres::{PostgresBackend, PostgresOptions};
use runtime_store_postgres_tests::database::TestSchema;

const CREATED: Timestamp = Timestamp {
    seconds: 1_700_000_000,
    nanoseconds: 0,
};

fn game_id(process: usize, task: usize) -> String {
    format!("process-{process:02}-task-{task:03}")
}

struct Settings {
    processes: Vec<usize>,
    tasks: usize,
    seconds: f64,
}

fn settings(arguments: &[String]) -> anyhow::Result<Settings> {
    let bench = arguments.iter().any(|argument| argument == "--bench");
    let value = |name: &str| {
        arguments
            .iter()
            .position(|argument| argument == name)
            .and_then(|at| arguments.get(at + 1))
    };
    let processes = match value("--processes") {
        Some(list) => list
            .split(',')
            .map(str::parse)
            .collect::<Result<Vec<usize>, _>>()
            .context("--processes takes numbers separated by commas")?,
        None if bench => vec![1, 2, 4],
        None => vec![1, 2],
    };
    let tasks = match value("--tasks") {
        Some(tasks) => tasks.parse().context("--tasks takes a number")?,
        None => 8,
    };
    let seconds = match value("--seconds") {
        Some(seconds) => seconds.parse().context("--seconds takes a number")?,
        None if bench => 5.0,
        None => 0.3,
    };
    if processes.is_empty() || processes.contains(&0) || tasks == 0 || seconds <= 0.0 {
        bail!("--processes, --tasks and --seconds must be positive");
    }
    Ok(Settings {
        processes,
        tasks,
        seconds,
    })
}

fn main() -> anyhow::Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if arguments.first().map(String::as_str) == Some("--worker") {
        return worker(&arguments[1..]);
    }
    let settings = settings(&arguments)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let schema = runtime.block_on(TestSchema::create("processes"));
    let measured =
        std::panic::catch_unwind(AssertUnwindSafe(|| measure(&runtime, &schema, &settings)));
    runtime.block_on(schema.drop_schema());
    match measured {
        Ok(measured) => measured,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn measure(
    runtime: &tokio::runtime::Runtime,
    schema: &TestSchema,
    settings: &Settings,
) -> anyhow::Result<()> {
    let most = settings.processes.iter().copied().max().unwrap_or(1);
    runtime.block_on(async {
        let backend = schema.backend().await;
        for process in 0..most {
            for task in 0..settings.tasks {
                let record = runtime_store_backend::sample::record(
                    &game_id(process, task),
                    Status::Running,
                    CREATED,
                );
                backend
                    .insert(record)
                    .await
                    .context("inserting the games")?;
            }
        }
        backend.close().await;
        anyhow::Ok(())
    })?;
    println!(
        "processes: {} tasks per process (pool of as many connections), {} s per run; one \
         round = update_status + get",
        settings.tasks, settings.seconds
    );
    let mut lines = Vec::new();
    for &processes in &settings.processes {
        // Every game back to running: each worker starts from there.
        runtime.block_on(async {
            sqlx::query("UPDATE runtime_records SET status = 'running'")
                .execute(schema.admin())
                .await
                .context("resetting the games")
        })?;
        let rounds = run(schema, settings, processes)?;
        let per_second = rounds as f64 / settings.seconds;
        let line = format!(
            "{processes} process(es) x {} tasks: {rounds} rounds, {per_second:.0} rounds/s, {:.0} ops/s",
            settings.tasks,
            per_second * 2.0
        );
        println!("{line}");
        lines.push(line);
    }
    println!("\n== processes ==");
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

/// A started worker: its process and pipes.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    /// The next line the worker prints, which must start with `word`; the rest of it.
    fn expect(&mut self, word: &str) -> anyhow::Result<String> {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .context("reading from a worker")?;
        match line.trim().strip_prefix(word) {
            Some(rest) => Ok(rest.trim().to_owned()),
            None => bail!("a worker said {line:?} instead of {word}"),
        }
    }
}

/// Runs `processes` workers at once and returns the rounds they finished together.
fn run(schema: &TestSchema, settings: &Settings, processes: usize) -> anyhow::Result<u64> {
    let executable = std::env::current_exe().context("finding this executable")?;
    let mut workers = Vec::new();
    for process in 0..processes {
        let mut child = Command::new(&executable)
            .args([
                "--worker",
                schema.url(),
                schema.name(),
                &process.to_string(),
                &settings.tasks.to_string(),
                &settings.seconds.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting a worker")?;
        let stdin = child.stdin.take().context("a worker's stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("a worker's stdout")?);
        workers.push(Worker {
            child,
            stdin,
            stdout,
        });
    }
    for worker in &mut workers {
        worker.expect("ready")?;
    }
    for worker in &mut workers {
        writeln!(worker.stdin, "go").context("starting a worker's run")?;
        worker.stdin.flush().context("starting a worker's run")?;
    }
    let mut rounds = 0;
    for worker in &mut workers {
        rounds += worker
            .expect("rounds")?
            .parse::<u64>()
            .context("a worker's count")?;
        let status = worker.child.wait().context("waiting for a worker")?;
        if !status.success() {
            bail!("a worker failed: {status}");
        }
    }
    Ok(rounds)
}

/// `--worker URL SCHEMA PROCESS TASKS SECONDS`.
fn worker(arguments: &[String]) -> anyhow::Result<()> {
    let [url, schema, process, tasks, seconds] = arguments else {
        bail!("--worker URL SCHEMA PROCESS TASKS SECONDS");
    };
    let process: usize = process.parse().context("PROCESS")?;
    let tasks: usize = tasks.parse().context("TASKS")?;
    let duration = Duration::from_secs_f64(seconds.parse().context("SECONDS")?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let store = runtime.block_on(async {
        let options = PostgresOptions::default()
            .schema(schema)
            .application_name(format!("{schema}_w{process}"))
            .max_connections(u32::try_from(tasks)?);
        let backend = PostgresBackend::connect(url, options)
            .await
            .context("connecting")?;
        let store = RuntimeStore::builder()
            .backend(Arc::new(backend))
            .build()
            .await
            .context("building the store")?;
        // One round per game before the clock starts: instances and connections warm.
        for task in 0..tasks {
            store.get(&game_id(process, task)).await?;
        }
        anyhow::Ok(store)
    })?;
    println!("ready");
    let mut go = String::new();
    std::io::stdin()
        .read_line(&mut go)
        .context("waiting for the go")?;
    let rounds = Arc::new(AtomicU64::new(0));
    runtime.block_on(async {
        let deadline = Instant::now() + duration;
        let handles: Vec<_> = (0..tasks)
            .map(|task| {
                let store = store.clone();
                let rounds = Arc::clone(&rounds);
                tokio::spawn(async move {
                    let game_id = game_id(process, task);
                    let mut running = true;
                    let mut tick = 0_i64;
                    while Instant::now() < deadline {
                        let (expected_from, to) = if running {
                            (Status::Running, Status::GenerationInProgress)
                        } else {
                            (Status::GenerationInProgress, Status::Running)
                        };
                        tick += 1;
                        let input = UpdateStatusInput {
                            game_id: game_id.clone(),
                            expected_from,
                            to,
                            now: Timestamp {
                                seconds: CREATED.seconds + tick,
                                nanoseconds: 0,
                            },
                            engine_health_summary: None,
                            current_image_ref: None,
                            current_engine_version: None,
                        };
                        store.update_status(&input).await?;
                        running = !running;
                        let record = store.get(&game_id).await?;
                        if record.status != to {
                            bail!("{game_id} is {} after its move to {to}", record.status);
                        }
                        rounds.fetch_add(1, Ordering::Relaxed);
                    }
                    anyhow::Ok(())
                })
            })
            .collect();
        for handle in handles {
            handle.await.context("a worker task panicked")??;
        }
        anyhow::Ok(())
    })?;
    println!("rounds {}", rounds.load(Ordering::Relaxed));
    Ok(())
}
