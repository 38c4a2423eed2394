//! A rolling deploy's mixed state on one database (docs/upgrades.md): two rules builds
//! serving one schema at once, racing compare-and-swaps across them and reading each
//! other's writes, beside a reader issuing the previous release's list statement.

use std::sync::Arc;

use runtime_store_host::{RuntimeStore, Status, StoreError, UpdateStatusInput, embedded_component};
use runtime_store_postgres_tests::database::isolated;
use runtime_store_postgres_tests::records::{at, record};
use tokio::sync::Barrier;

/// `statements::SCAN_ALL` of release 0.1.0, which read whole lists in one statement.
const PREVIOUS_RELEASE_SCAN_ALL: &str = "SELECT game_id, status, engine_endpoint, \
     current_image_ref, current_engine_version, engine_health, current_turn, \
     next_generation_at, skip_next_tick, created_at, updated_at, started_at, stopped_at, \
     finished_at FROM runtime_records ORDER BY created_at DESC, game_id";

/// The embedded rules with a custom section appended: the same rules, another build.
fn second_build() -> std::path::PathBuf {
    let mut bytes = embedded_component().to_vec();
    let (name, payload) = (&b"build-tag"[..], &b"rolling deploy"[..]);
    bytes.push(0);
    bytes.push(u8::try_from(1 + name.len() + payload.len()).unwrap());
    bytes.push(u8::try_from(name.len()).unwrap());
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(payload);
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("second-build.wasm");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_rules_builds_and_a_previous_reader_share_one_database() {
    isolated("upgrades", |schema| async move {
        let old = schema.store().await;
        let new = RuntimeStore::builder()
            .backend(Arc::new(schema.backend().await))
            .component_file(second_build())
            .build()
            .await
            .unwrap();
        assert_ne!(old.rules_identity(), new.rules_identity());

        // Writes of one build read back through the other, whole and in pages.
        for index in 0..30 {
            let writer = if index % 2 == 0 { &old } else { &new };
            let mut game = record(&format!("game-{index:02}"), Status::Running);
            game.created_at = at(1_000_000_000 + index / 3, 0);
            game.updated_at = game.created_at;
            writer.insert(&game).await.unwrap();
        }
        let listed_by_old = old.list().await.unwrap();
        assert_eq!(listed_by_old.len(), 30);
        assert_eq!(new.list().await.unwrap(), listed_by_old);
        let first_page = new.list_page(None, 7).await.unwrap();
        assert_eq!(first_page.records, listed_by_old[..7]);
        let previous: Vec<String> = sqlx::query_scalar::<_, String>(&format!(
            "SELECT game_id FROM ({PREVIOUS_RELEASE_SCAN_ALL}) AS listed"
        ))
        .fetch_all(schema.admin())
        .await
        .unwrap();
        let current: Vec<&str> = listed_by_old
            .iter()
            .map(|game| game.game_id.as_str())
            .collect();
        assert_eq!(
            previous, current,
            "the previous release lists what this one lists"
        );

        // Compare-and-swaps racing across the two builds: one winner per round.
        let stores = [old.clone(), new.clone()];
        for round in 0..20_u32 {
            let (from, to) = if round % 2 == 0 {
                (Status::Running, Status::GenerationInProgress)
            } else {
                (Status::GenerationInProgress, Status::Running)
            };
            let barrier = Arc::new(Barrier::new(16));
            let racers: Vec<_> = (0..16)
                .map(|racer| {
                    let store = stores[racer % 2].clone();
                    let barrier = Arc::clone(&barrier);
                    tokio::spawn(async move {
                        barrier.wait().await;
                        let input = UpdateStatusInput {
                            game_id: "game-00".into(),
                            expected_from: from,
                            to,
                            now: at(2_000_000_000 + i64::from(round), 0),
                            engine_health_summary: Some(format!("racer {racer}")),
                            current_image_ref: None,
                            current_engine_version: None,
                        };
                        match store.update_status(&input).await {
                            Ok(()) => Some(racer),
                            Err(StoreError::Conflict { .. }) => None,
                            Err(other) => panic!("round {round}, racer {racer}: {other}"),
                        }
                    })
                })
                .collect();
            let mut winners = Vec::new();
            for racer in racers {
                winners.extend(racer.await.unwrap());
            }
            assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
            let stored = old.get("game-00").await.unwrap();
            assert_eq!(stored.status, to);
            assert_eq!(stored.engine_health, format!("racer {}", winners[0]));
            assert_eq!(new.get("game-00").await.unwrap(), stored);
        }
    })
    .await;
}
