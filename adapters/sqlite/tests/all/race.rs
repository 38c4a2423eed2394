//! Racing compare-and-swaps on one file, on the adapter directly and through the wasm
//! host: of 32 concurrent swaps from the same expected status exactly one wins, every
//! other one loses cleanly, and the row ends in the winner's state.

use std::future::Future;
use std::sync::Arc;

use runtime_store_backend::{Backend, PatchOutcome, RecordPatch, RuntimeRecord, Status, Timestamp};
use runtime_store_host::{Operation, StoreError, UpdateStatusInput};
use runtime_store_sqlite::{SqliteBackend, SqliteOptions};
use tokio::sync::Barrier;

use crate::common::{at, move_to, new_file, record, store_on};

const RACERS: usize = 32;
const ROUNDS: u32 = 100;

/// The swap every racer of `round` attempts: even rounds start a generation, odd ones end
/// it, so each round starts from the status the previous winner wrote.
fn swap_of(round: u32) -> (Status, Status) {
    if round.is_multiple_of(2) {
        (Status::Running, Status::GenerationInProgress)
    } else {
        (Status::GenerationInProgress, Status::Running)
    }
}

fn now_of(round: u32) -> Timestamp {
    at(1_700_000_000 + i64::from(round), 0)
}

/// The engine health each racer writes, so the stored row tells who won.
fn signature(racer: usize, round: u32) -> String {
    format!("racer {racer} round {round}")
}

/// Starts `attempt(racer)` for every racer at once and returns the racers that won.
async fn race<F, Fut>(attempt: F) -> Vec<usize>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(RACERS));
    let racers: Vec<_> = (0..RACERS)
        .map(|racer| {
            let barrier = Arc::clone(&barrier);
            let attempt = attempt(racer);
            tokio::spawn(async move {
                barrier.wait().await;
                attempt.await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for (racer, won) in racers.into_iter().enumerate() {
        if won.await.unwrap() {
            winners.push(racer);
        }
    }
    winners
}

fn assert_one_winner_wrote(round: u32, winners: &[usize], stored: &RuntimeRecord) {
    assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
    assert_eq!(stored.status, swap_of(round).1, "round {round}");
    assert_eq!(
        stored.engine_health,
        signature(winners[0], round),
        "round {round}: the row is not the winner's"
    );
    assert_eq!(stored.updated_at, now_of(round), "round {round}");
}

/// A file backend with 8 connections: racers contend for the write lock, not only for a
/// connection.
async fn contended(name: &str) -> SqliteBackend {
    let (_, url) = new_file(name);
    SqliteBackend::open(&url, SqliteOptions::default().max_connections(8))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_of_32_racing_swaps_wins_every_round() {
    let backend = Arc::new(contended("race").await);
    backend
        .insert(record("raced", Status::Running))
        .await
        .unwrap();
    for round in 0..ROUNDS {
        let (from, to) = swap_of(round);
        let winners = race(|racer| {
            let backend = Arc::clone(&backend);
            let patch = RecordPatch {
                engine_health: Some(signature(racer, round)),
                ..move_to(to, now_of(round))
            };
            async move {
                match backend.patch("raced", Some(from), patch).await {
                    Ok(PatchOutcome::Applied) => true,
                    Ok(PatchOutcome::StatusMismatch(stored)) => {
                        assert_eq!(stored, to, "round {round}: a loser saw a stale status");
                        false
                    }
                    other => panic!("round {round}, racer {racer}: {other:?}"),
                }
            }
        })
        .await;
        let stored = backend.fetch("raced").await.unwrap().unwrap();
        assert_one_winner_wrote(round, &winners, &stored);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_of_32_racing_update_status_calls_wins_through_the_host() {
    let store = store_on(contended("hostrace").await).await;
    let mut raced = record("raced", Status::Running);
    raced.next_generation_at = Some(at(1_700_000_000, 0));
    store.insert(&raced).await.unwrap();
    for round in 0..ROUNDS {
        let (from, to) = swap_of(round);
        let winners = race(|racer| {
            let store = store.clone();
            let input = UpdateStatusInput {
                game_id: "raced".to_owned(),
                expected_from: from,
                to,
                now: now_of(round),
                engine_health_summary: Some(signature(racer, round)),
                current_image_ref: None,
                current_engine_version: None,
            };
            async move {
                match store.update_status(&input).await {
                    Ok(()) => true,
                    Err(StoreError::Conflict {
                        operation: Operation::UpdateStatus,
                        game_id,
                    }) => {
                        assert_eq!(game_id, "raced");
                        false
                    }
                    Err(other) => panic!("round {round}, racer {racer}: {other}"),
                }
            }
        })
        .await;
        let stored = store.get("raced").await.unwrap();
        assert_one_winner_wrote(round, &winners, &stored);
    }
}
