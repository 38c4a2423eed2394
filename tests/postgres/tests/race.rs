//! Racing compare-and-swaps, on the adapter directly and through the wasm host: of 32
//! concurrent swaps from the same expected status exactly one wins, every other one
//! loses cleanly, and the row ends in the winner's state.

use std::sync::Arc;

use runtime_store_backend::{Backend, PatchOutcome, RecordPatch, Status};
use runtime_store_host::{Operation, RuntimeStore, StoreError, UpdateStatusInput};
use runtime_store_postgres_tests::database::isolated;
use runtime_store_postgres_tests::records::{at, move_to, record};
use tokio::sync::Barrier;

const RACERS: usize = 32;
const ROUNDS: u32 = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_of_32_racing_swaps_wins_every_round() {
    isolated("race", |schema| async move {
        let backend = Arc::new(
            schema
                .backend_with(schema.options().max_connections(16))
                .await,
        );
        backend
            .insert(record("raced", Status::Running))
            .await
            .unwrap();
        let barrier = Arc::new(Barrier::new(RACERS));
        for round in 0..ROUNDS {
            let (from, to) = if round % 2 == 0 {
                (Status::Running, Status::GenerationInProgress)
            } else {
                (Status::GenerationInProgress, Status::Running)
            };
            let racers: Vec<_> = (0..RACERS)
                .map(|racer| {
                    let backend = Arc::clone(&backend);
                    let barrier = Arc::clone(&barrier);
                    tokio::spawn(async move {
                        let patch = RecordPatch {
                            engine_health: Some(format!("racer {racer} round {round}")),
                            ..move_to(to, at(1_700_000_000 + i64::from(round), 0))
                        };
                        barrier.wait().await;
                        backend.patch("raced", Some(from), patch).await
                    })
                })
                .collect();
            let mut winners = Vec::new();
            for (racer, outcome) in racers.into_iter().enumerate() {
                match outcome.await.unwrap() {
                    Ok(PatchOutcome::Applied) => winners.push(racer),
                    Ok(PatchOutcome::StatusMismatch(stored)) => {
                        assert_eq!(stored, to, "round {round}: a loser saw a stale status");
                    }
                    other => panic!("round {round}, racer {racer}: {other:?}"),
                }
            }
            assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
            let stored = backend.fetch("raced").await.unwrap().unwrap();
            assert_eq!(stored.status, to, "round {round}");
            assert_eq!(
                stored.engine_health,
                format!("racer {} round {round}", winners[0]),
                "round {round}: the row is not the winner's"
            );
            assert_eq!(stored.updated_at, at(1_700_000_000 + i64::from(round), 0));
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_of_32_racing_update_status_calls_wins_through_the_host() {
    isolated("hostrace", |schema| async move {
        let store = RuntimeStore::builder()
            .backend(Arc::new(
                schema
                    .backend_with(schema.options().max_connections(16))
                    .await,
            ))
            .build()
            .await
            .expect("a store on PostgreSQL");
        let mut raced = record("raced", Status::Running);
        raced.next_generation_at = Some(at(1_700_000_000, 0));
        store.insert(&raced).await.unwrap();
        let barrier = Arc::new(Barrier::new(RACERS));
        for round in 0..ROUNDS {
            let (from, to) = if round % 2 == 0 {
                (Status::Running, Status::GenerationInProgress)
            } else {
                (Status::GenerationInProgress, Status::Running)
            };
            let now = at(1_700_000_000 + i64::from(round), 0);
            let racers: Vec<_> = (0..RACERS)
                .map(|racer| {
                    let store = store.clone();
                    let barrier = Arc::clone(&barrier);
                    tokio::spawn(async move {
                        let input = UpdateStatusInput {
                            game_id: "raced".to_owned(),
                            expected_from: from,
                            to,
                            now,
                            engine_health_summary: Some(format!("racer {racer} round {round}")),
                            current_image_ref: None,
                            current_engine_version: None,
                        };
                        barrier.wait().await;
                        store.update_status(&input).await
                    })
                })
                .collect();
            let mut winners = Vec::new();
            for (racer, outcome) in racers.into_iter().enumerate() {
                match outcome.await.unwrap() {
                    Ok(()) => winners.push(racer),
                    Err(StoreError::Conflict {
                        operation: Operation::UpdateStatus,
                        game_id,
                    }) => {
                        assert_eq!(game_id, "raced");
                    }
                    Err(other) => panic!("round {round}, racer {racer}: {other}"),
                }
            }
            assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
            let stored = store.get("raced").await.unwrap();
            assert_eq!(stored.status, to, "round {round}");
            assert_eq!(
                stored.engine_health,
                format!("racer {} round {round}", winners[0]),
                "round {round}: the row is not the winner's"
            );
            assert_eq!(stored.updated_at, now);
        }
    })
    .await;
}
