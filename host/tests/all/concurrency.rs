//! One `RuntimeStore` shared by many tokio tasks.

use crate::common::{at, memory_store, record};
use runtime_store_host::{Operation, RuntimeStore, Status, StoreError, UpdateStatusInput};

fn start(game_id: &str, now: i64) -> UpdateStatusInput {
    UpdateStatusInput {
        game_id: game_id.into(),
        expected_from: Status::Starting,
        to: Status::Running,
        now: at(now),
        engine_health_summary: Some("healthy".into()),
        current_image_ref: None,
        current_engine_version: None,
    }
}

async fn drive_many_games(store: RuntimeStore, games: i64) {
    let tasks: Vec<_> = (0..games)
        .map(|index| {
            let store = store.clone();
            tokio::spawn(async move {
                let game_id = format!("game-{index:03}");
                store
                    .insert(&record(&game_id, Status::Starting, 1_000 + index))
                    .await?;
                store.update_status(&start(&game_id, 2_000 + index)).await?;
                store.get(&game_id).await
            })
        })
        .collect();
    for (index, task) in (0..games).zip(tasks) {
        let stored = task.await.unwrap().unwrap();
        assert_eq!(stored.status, Status::Running);
        assert_eq!(stored.started_at, Some(at(2_000 + index)));
    }
    let listed = store.list().await.unwrap();
    let ids: Vec<_> = listed.iter().map(|record| record.game_id.clone()).collect();
    let newest_first: Vec<_> = (0..games)
        .rev()
        .map(|index| format!("game-{index:03}"))
        .collect();
    assert_eq!(ids, newest_first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_tasks_share_one_store() {
    drive_many_games(memory_store().await, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tasks_wait_for_an_instance_when_the_pool_is_smaller_than_the_load() {
    let store = RuntimeStore::builder()
        .max_instances(2)
        .max_idle_instances(1)
        .build()
        .await
        .unwrap();
    drive_many_games(store, 60).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_racing_transitions_with_the_same_expected_status_exactly_one_wins() {
    let store = memory_store().await;
    for round in 0..5 {
        let game_id = format!("race-{round}");
        store
            .insert(&record(&game_id, Status::Starting, 10))
            .await
            .unwrap();
        let racers: Vec<_> = (0..24)
            .map(|racer| {
                let store = store.clone();
                let input = start(&game_id, 100 + racer);
                tokio::spawn(async move { store.update_status(&input).await })
            })
            .collect();
        let mut winners = 0;
        for racer in racers {
            match racer.await.unwrap() {
                Ok(()) => winners += 1,
                Err(error) => assert_eq!(
                    error,
                    StoreError::Conflict {
                        operation: Operation::UpdateStatus,
                        game_id: game_id.clone()
                    }
                ),
            }
        }
        assert_eq!(winners, 1, "round {round}");
        assert_eq!(store.get(&game_id).await.unwrap().status, Status::Running);
    }
}

#[tokio::test]
async fn a_cancelled_call_gives_back_its_slot_and_discards_its_instance() {
    let store = RuntimeStore::builder()
        .backend(std::sync::Arc::new(crate::common::HangingFetchBackend(
            runtime_store_memory::MemoryBackend::new(),
        )))
        .max_instances(1)
        .build()
        .await
        .unwrap();
    for _ in 0..3 {
        let hung =
            tokio::time::timeout(std::time::Duration::from_millis(50), store.get("g1")).await;
        assert!(
            hung.is_err(),
            "the fetch never answers, so the call must time out"
        );
        store
            .insert(&record("g1", Status::Starting, 10))
            .await
            .unwrap();
        store.delete("g1").await.unwrap();
    }
}
