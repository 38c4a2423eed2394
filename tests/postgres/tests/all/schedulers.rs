//! Several OS processes share one schema as turn schedulers (`src/bin/turn_scheduler.rs`):
//! every due tick is generated exactly once across them, none twice, none lost.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use runtime_store_host::Status;
use runtime_store_postgres_tests::database::isolated;
use runtime_store_postgres_tests::records::{at, record};

const PROCESSES: usize = 4;
const GAMES: usize = 24;
const LAST_TURN: u32 = 10;
const FIRST_TICK: i64 = 1_700_000_000;
const TICK_SECONDS: i64 = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tick_is_generated_exactly_once_by_one_of_several_processes() {
    isolated("schedulers", |schema| async move {
        let store = schema.store().await;
        for game in 0..GAMES {
            let mut runtime = record(&format!("game-{game:02}"), Status::Running);
            runtime.next_generation_at = Some(at(FIRST_TICK + game as i64, 0));
            store.insert(&runtime).await.unwrap();
        }
        // Far enough ahead that every tick up to the last turn is due.
        let now = FIRST_TICK + TICK_SECONDS * i64::from(LAST_TURN) + GAMES as i64;

        let mut children: Vec<_> = (0..PROCESSES)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_turn_scheduler"))
                    .args([
                        schema.url(),
                        schema.name(),
                        &now.to_string(),
                        &LAST_TURN.to_string(),
                        &TICK_SECONDS.to_string(),
                    ])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("starting a turn scheduler")
            })
            .collect();
        let mut outputs: Vec<_> = children
            .iter_mut()
            .map(|child| BufReader::new(child.stdout.take().expect("piped stdout")))
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
            }
            assert!(
                child.wait().unwrap().success(),
                "scheduler {process} failed"
            );
            per_process.push(count);
        }
        println!("ticks generated per process: {per_process:?}");

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

        for runtime in store.list().await.unwrap() {
            assert_eq!(runtime.status, Status::Running, "{}", runtime.game_id);
            assert_eq!(runtime.current_turn, LAST_TURN, "{}", runtime.game_id);
            assert_eq!(runtime.next_generation_at, None, "{}", runtime.game_id);
        }
    })
    .await;
}
