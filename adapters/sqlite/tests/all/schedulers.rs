//! Several OS processes share one SQLite file as turn schedulers: every due tick is
//! generated exactly once across them, none twice, none lost. The processes are this test
//! binary itself, running the ignored test [`scheduler_process`] (which refuses to run
//! without the settings the parent passes).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use runtime_store_host::{
    RuntimeStore, Status, StoreError, Timestamp, UpdateSchedulingInput, UpdateStatusInput,
};

use crate::common::{at, new_file, open, record, store_on};

const PROCESSES: usize = 4;
const GAMES: usize = 24;
const LAST_TURN: u32 = 10;
const FIRST_TICK: i64 = 1_700_000_000;
const TICK_SECONDS: i64 = 60;
/// The URL of the shared file, given to each scheduler process.
const URL_VARIABLE: &str = "RUNTIME_STORE_SQLITE_SCHEDULER_URL";
/// The instant every scheduler process takes as now, in seconds.
const NOW_VARIABLE: &str = "RUNTIME_STORE_SQLITE_SCHEDULER_NOW";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tick_is_generated_exactly_once_by_one_of_several_processes() {
    let (_, url) = new_file("schedulers");
    let store = store_on(open(&url).await).await;
    for game in 0..GAMES {
        let mut runtime = record(&format!("game-{game:02}"), Status::Running);
        runtime.next_generation_at = Some(at(FIRST_TICK + game as i64, 0));
        store.insert(&runtime).await.unwrap();
    }
    // Far enough ahead that every tick up to the last turn is due.
    let now = FIRST_TICK + TICK_SECONDS * i64::from(LAST_TURN) + GAMES as i64;

    let executable = std::env::current_exe().expect("the test binary's path");
    let mut children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&executable)
                .args([
                    "--ignored",
                    "--exact",
                    "schedulers::scheduler_process",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(URL_VARIABLE, &url)
                .env(NOW_VARIABLE, now.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("starting a scheduler process")
        })
        .collect();
    let mut outputs: Vec<_> = children
        .iter_mut()
        .map(|child| BufReader::new(child.stderr.take().expect("piped stderr")))
        .collect();
    for (process, output) in outputs.iter_mut().enumerate() {
        let mut ready = String::new();
        output.read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "ready", "scheduler {process} did not start");
    }
    for child in &mut children {
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(b"go\n")
            .unwrap();
    }

    let mut generated_by: BTreeMap<(String, u32), Vec<usize>> = BTreeMap::new();
    let mut per_process = Vec::new();
    for (process, (mut child, output)) in children.into_iter().zip(outputs).enumerate() {
        let mut count = 0;
        let mut lines = Vec::new();
        for line in output.lines() {
            let line = line.unwrap();
            if let Some(tick) = line.strip_prefix("generated ") {
                let (game_id, turn) = tick.split_once(' ').expect("game id and turn");
                let turn: u32 = turn.parse().expect("a turn number");
                generated_by
                    .entry((game_id.to_owned(), turn))
                    .or_default()
                    .push(process);
                count += 1;
            }
            lines.push(line);
        }
        assert!(
            child.wait().unwrap().success(),
            "scheduler {process} failed:\n{}",
            lines.join("\n")
        );
        per_process.push(count);
    }
    println!("ticks generated per process: {per_process:?}");
    assert!(
        per_process.iter().filter(|&&count| count > 0).count() > 1,
        "one process did all the work, so nothing raced: {per_process:?}"
    );

    let duplicates: Vec<_> = generated_by
        .iter()
        .filter(|(_, processes)| processes.len() > 1)
        .collect();
    assert!(
        duplicates.is_empty(),
        "ticks generated more than once: {duplicates:?}"
    );
    let expected: Vec<(String, u32)> = (0..GAMES)
        .flat_map(|game| (1..=LAST_TURN).map(move |turn| (format!("game-{game:02}"), turn)))
        .collect();
    let generated: Vec<(String, u32)> = generated_by.into_keys().collect();
    assert_eq!(generated, expected, "lost or unexpected ticks");

    let runtimes = store.list().await.unwrap();
    assert_eq!(runtimes.len(), GAMES);
    for runtime in runtimes {
        assert_eq!(runtime.status, Status::Running, "{}", runtime.game_id);
        assert_eq!(runtime.current_turn, LAST_TURN, "{}", runtime.game_id);
        assert_eq!(runtime.next_generation_at, None, "{}", runtime.game_id);
    }
}

/// One scheduler process of the test above (run by it, with the file's URL and the
/// instant in the environment). Prints `ready` on stderr once its store is built, waits
/// for a line on stdin so every process starts together, then loops: list the runtimes
/// due, claim each with running → generation-in-progress (a compare-and-swap only one
/// process wins), "generate" its next turn (prints `generated <game-id> <turn>`), move its
/// tick on (none after the last turn) and hand it back to running. It ends when nothing is
/// due and no process holds a claim.
#[tokio::test(flavor = "current_thread")]
#[ignore = "a scheduler process of every_tick_is_generated_exactly_once_by_one_of_several_processes, which starts it"]
async fn scheduler_process() {
    let url = std::env::var(URL_VARIABLE)
        .unwrap_or_else(|_| panic!("{URL_VARIABLE} is not set: only the scheduler test runs this"));
    let now: i64 = std::env::var(NOW_VARIABLE)
        .expect("the instant")
        .parse()
        .expect("seconds");
    let now = at(now, 0);
    let store = store_on(open(&url).await).await;
    eprintln!("ready");
    let mut go = String::new();
    std::io::stdin().lock().read_line(&mut go).unwrap();

    loop {
        let due = store
            .list_due_running(now)
            .await
            .expect("list due runtimes");
        if due.is_empty() {
            let claimed = store
                .list_by_status(Status::GenerationInProgress)
                .await
                .expect("list claimed runtimes");
            if claimed.is_empty() {
                return;
            }
            tokio::task::yield_now().await;
            continue;
        }
        for runtime in due {
            generate_if_claimed(&store, now, &runtime.game_id).await;
        }
    }
}

fn status_input(game_id: &str, from: Status, to: Status, now: Timestamp) -> UpdateStatusInput {
    UpdateStatusInput {
        game_id: game_id.to_owned(),
        expected_from: from,
        to,
        now,
        engine_health_summary: None,
        current_image_ref: None,
        current_engine_version: None,
    }
}

/// Generates the next turn of `game_id` if this process wins its claim and the tick is
/// still due.
async fn generate_if_claimed(store: &RuntimeStore, now: Timestamp, game_id: &str) {
    let claim = status_input(game_id, Status::Running, Status::GenerationInProgress, now);
    match store.update_status(&claim).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => return,
        Err(error) => panic!("claiming {game_id}: {error}"),
    }
    // The list this process read may be stale: decide on what the claimed record holds.
    let claimed = store.get(game_id).await.expect("read the claimed runtime");
    if let Some(due) = claimed.next_generation_at.filter(|due| *due <= now) {
        let turn = claimed.current_turn + 1;
        eprintln!("generated {game_id} {turn}");
        let next_tick = Timestamp {
            seconds: due.seconds + TICK_SECONDS,
            nanoseconds: due.nanoseconds,
        };
        store
            .update_scheduling(&UpdateSchedulingInput {
                game_id: game_id.to_owned(),
                next_generation_at: (turn < LAST_TURN).then_some(next_tick),
                skip_next_tick: false,
                current_turn: turn,
                now,
            })
            .await
            .expect("schedule the next turn");
    }
    let release = status_input(game_id, Status::GenerationInProgress, Status::Running, now);
    store
        .update_status(&release)
        .await
        .expect("hand the runtime back");
}
