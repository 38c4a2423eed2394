//! Concurrent histories on PostgreSQL from several processes, checked for
//! linearizability against the sequential reference model
//! (`runtime_store_conformance::linearizability`, a Wing–Gong search).
//!
//! Each history: [`PROCESSES`] processes (this test binary run again as
//! [`history_worker_process`]) of [`CLIENTS_PER_PROCESS`] tasks each share one schema and
//! make mixed calls on a few games at once; every process reports its calls with their
//! answers and times, and the merged history must have a sequential order the model
//! explains.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use runtime_store_conformance::linearizability::{
    Clock, Event, History, Verdict, check, client_plans, overlapping_pairs, record_history,
};
use runtime_store_host::RuntimeStore;
use runtime_store_postgres::{PostgresBackend, PostgresOptions};
use runtime_store_postgres_tests::database::isolated;

/// Tells this binary, run again, to be a worker: `url`, `schema`, `seed`, `process`,
/// separated by tabs.
const WORKER_VARIABLE: &str = "RUNTIME_STORE_LINEARIZABILITY_WORKER";
const PROCESSES: u32 = 2;
const CLIENTS_PER_PROCESS: u32 = 4;
const OPS_PER_CLIENT: usize = 15;
const GAMES: [&str; 3] = ["game-a", "game-b", "Game-A"];
/// Histories per run; `RUNTIME_STORE_LINEARIZABILITY_HISTORIES` replaces it.
const HISTORIES: u64 = 6;
const MAX_STATES: usize = 2_000_000;

fn plans(seed: u64, process: u32) -> Vec<Vec<runtime_store_conformance::model::Op>> {
    let all = client_plans(
        seed,
        PROCESSES * CLIENTS_PER_PROCESS,
        OPS_PER_CLIENT,
        &GAMES,
    );
    let first = (process * CLIENTS_PER_PROCESS) as usize;
    all[first..first + CLIENTS_PER_PROCESS as usize].to_vec()
}

/// The worker side: does nothing unless [`WORKER_VARIABLE`] is set. Connects to the
/// schema, prints `READY`, waits for a line on stdin (so every process starts at once),
/// runs its clients and prints each call as `EVENT <json>`.
#[test]
fn history_worker_process() {
    let Ok(settings) = std::env::var(WORKER_VARIABLE) else {
        return;
    };
    let [url, schema, seed, process] = settings.split('\t').collect::<Vec<_>>()[..] else {
        panic!("{WORKER_VARIABLE}={settings:?}");
    };
    let seed: u64 = seed.parse().expect("seed");
    let process: u32 = process.parse().expect("process");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let options = PostgresOptions::default()
            .schema(schema)
            .application_name(schema)
            .max_connections(CLIENTS_PER_PROCESS);
        let backend = PostgresBackend::connect(url, options)
            .await
            .expect("connect to the schema");
        let store = RuntimeStore::builder()
            .backend(Arc::new(backend))
            .build()
            .await
            .expect("a store");
        let clock = Clock::new();
        println!("READY");
        std::io::stdout().flush().expect("flush");
        let mut go = String::new();
        std::io::stdin().read_line(&mut go).expect("the go line");
        let history = record_history(
            &store,
            &clock,
            process * CLIENTS_PER_PROCESS,
            plans(seed, process),
        )
        .await
        .expect("no backend or sandbox failure");
        for event in history {
            println!("EVENT {}", event.to_line());
        }
    });
}

/// Runs one history on `schema` with [`PROCESSES`] workers started together.
fn run_workers(url: &str, schema: &str, seed: u64) -> History {
    let exe = std::env::current_exe().expect("the test binary");
    let mut workers: Vec<_> = (0..PROCESSES)
        .map(|process| {
            Command::new(&exe)
                .args([
                    "linearizability::history_worker_process",
                    "--exact",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env(
                    WORKER_VARIABLE,
                    format!("{url}\t{schema}\t{seed}\t{process}"),
                )
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start a worker process")
        })
        .collect();
    let mut outputs: Vec<_> = workers
        .iter_mut()
        .map(|worker| BufReader::new(worker.stdout.take().expect("stdout")))
        .collect();
    for output in &mut outputs {
        let mut line = String::new();
        // libtest writes the test's name first, on the same line.
        while !line.trim_end().ends_with("READY") {
            line.clear();
            let read = output.read_line(&mut line).expect("read a worker");
            assert!(read > 0, "a worker exited before it was ready");
        }
    }
    for worker in &mut workers {
        let mut stdin = worker.stdin.take().expect("stdin");
        writeln!(stdin, "go").expect("start a worker");
    }
    let mut history = Vec::new();
    for (worker, output) in workers.iter_mut().zip(outputs) {
        for line in output.lines() {
            let line = line.expect("read a worker");
            if let Some(start) = line.find("EVENT {") {
                let json = &line[start + "EVENT ".len()..];
                history.push(Event::from_line(json).expect("an event"));
            }
        }
        let status = worker.wait().expect("a worker ends");
        assert!(status.success(), "a worker failed: {status}");
    }
    let expected = (PROCESSES * CLIENTS_PER_PROCESS) as usize * OPS_PER_CLIENT;
    assert_eq!(history.len(), expected, "every call reported");
    history
}

/// Pairs of overlapping calls made by different processes.
fn overlaps_across_processes(history: &History) -> usize {
    let process = |event: &Event| event.client / CLIENTS_PER_PROCESS;
    (0..PROCESSES)
        .map(|one| {
            let mine: History = history
                .iter()
                .filter(|event| process(event) == one)
                .cloned()
                .collect();
            overlapping_pairs(&mine)
        })
        .fold(overlapping_pairs(history), |total, within| total - within)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histories_of_eight_clients_in_two_processes_are_linearizable() {
    isolated("linearizability", |schema| async move {
        let histories = std::env::var("RUNTIME_STORE_LINEARIZABILITY_HISTORIES")
            .ok()
            .map_or(HISTORIES, |text| text.parse().expect("a positive integer"));
        let (mut calls, mut across) = (0, 0);
        for seed in 0..histories {
            schema.truncate().await;
            let (url, name) = (schema.url().to_owned(), schema.name().to_owned());
            let history = tokio::task::spawn_blocking(move || run_workers(&url, &name, seed))
                .await
                .unwrap_or_else(|failure| std::panic::resume_unwind(failure.into_panic()));
            match check(&history, MAX_STATES) {
                Verdict::Linearizable(_) => {}
                Verdict::NotLinearizable(why) => panic!("seed {seed}: {why}"),
                Verdict::Inconclusive => panic!("seed {seed}: the search ran out of states"),
            }
            calls += history.len();
            across += overlaps_across_processes(&history);
        }
        println!(
            "{histories} histories of {} clients in {PROCESSES} processes, {calls} calls, \
             {across} overlapping pairs across processes: all linearizable",
            PROCESSES * CLIENTS_PER_PROCESS
        );
        assert!(across > 0, "the processes never overlapped");
    })
    .await;
}
