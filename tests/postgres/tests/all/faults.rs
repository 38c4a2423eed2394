//! Faults under load, through the wasm host: the adapter's server connections are
//! terminated mid-load (`pg_terminate_backend`), and the server becomes unreachable (a
//! proxy in front of it is stopped and restarted; the shared server itself keeps running).
//! Operations fail with `Backend(Unavailable)` naming the operation and game, the pool
//! recovers, and no acknowledged write is lost or half applied.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use runtime_store_host::{BackendError, Operation, RuntimeRecord, RuntimeStore, StoreError};
use runtime_store_postgres::PostgresBackend;
use runtime_store_postgres_tests::database::{TestSchema, isolated, store_on};
use runtime_store_postgres_tests::proxy::WireProxy;
use runtime_store_postgres_tests::workload::{initial_record, step_input, step_of};
use tokio::sync::Mutex;

const WORKERS: usize = 6;
const GAMES_PER_WORKER: usize = 2;
const STEPS: u32 = 80;
const KILLS: usize = 3;
const OPERATIONS_BETWEEN_KILLS: usize = 150;

/// Asserts `error` is an unavailable backend error of `operation` on `game_id`.
pub(crate) fn assert_unavailable(error: &StoreError, operation: Operation, game_id: Option<&str>) {
    match error {
        StoreError::Backend {
            operation: failed,
            game_id: failed_game,
            source: BackendError::Unavailable(message),
        } => {
            assert_eq!(*failed, operation, "{error}");
            assert_eq!(failed_game.as_deref(), game_id, "{error}");
            if let Some(game_id) = game_id {
                assert!(message.contains(&format!("{game_id:?}")), "{error}");
            }
        }
        other => {
            panic!("expected an unavailable backend error of {operation}, got {other:?}: {other}")
        }
    }
}

/// What a worker saw.
#[derive(Debug, Default)]
struct Tally {
    failures: Vec<String>,
    ambiguous_applied: usize,
}

/// The stored record of `game_id`, retrying reads that fail because the connection died.
async fn read_back(
    store: &RuntimeStore,
    game_id: &str,
    tally: &Mutex<Tally>,
) -> Option<RuntimeRecord> {
    loop {
        match store.get(game_id).await {
            Ok(stored) => return Some(stored),
            Err(StoreError::NotFound { .. }) => return None,
            Err(error) => {
                assert_unavailable(&error, Operation::Get, Some(game_id));
                tally.lock().await.failures.push(error.to_string());
            }
        }
    }
}

/// Inserts `game_id` and walks it through every step. After a failed write it reads the
/// record back: the write either happened whole or not at all, and nothing acknowledged
/// before it is gone.
async fn drive(
    store: RuntimeStore,
    game_id: String,
    acknowledged: Arc<AtomicUsize>,
    tally: Arc<Mutex<Tally>>,
) {
    loop {
        match store.insert(&initial_record(&game_id)).await {
            Ok(()) | Err(StoreError::Conflict { .. }) => break,
            Err(error) => {
                assert_unavailable(&error, Operation::Insert, Some(&game_id));
                tally.lock().await.failures.push(error.to_string());
                if read_back(&store, &game_id, &tally).await.is_some() {
                    break;
                }
            }
        }
    }
    let mut done = step_of(&read_back(&store, &game_id, &tally).await.expect("inserted"));
    while done < STEPS {
        match store.update_status(&step_input(&game_id, done + 1)).await {
            Ok(()) => {
                done += 1;
                acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                assert_unavailable(&error, Operation::UpdateStatus, Some(&game_id));
                let stored = read_back(&store, &game_id, &tally)
                    .await
                    .expect("the record stays");
                let now_at = step_of(&stored);
                assert!(
                    now_at == done || now_at == done + 1,
                    "{game_id}: acknowledged step {done}, stored step {now_at}"
                );
                let mut tally = tally.lock().await;
                tally.failures.push(error.to_string());
                tally.ambiguous_applied += usize::from(now_at == done + 1);
                done = now_at;
            }
        }
    }
}

/// The record whose write is caught in flight by each kill.
const HOSTAGE: &str = "hostage";

/// Terminates the store's connections while one of its writes is certainly in flight: the
/// test holds the hostage row's lock, so the store's update of it waits inside the
/// server. That write must fail as unavailable and leave the row as it was. Returns how
/// many connections were terminated.
async fn kill_with_a_write_in_flight(schema: &TestSchema, store: &RuntimeStore) -> i64 {
    let mut lock = schema.admin().begin().await.unwrap();
    sqlx::query("SELECT 1 FROM runtime_records WHERE game_id = $1 FOR UPDATE")
        .bind(HOSTAGE)
        .execute(&mut *lock)
        .await
        .unwrap();
    let in_flight = tokio::spawn({
        let store = store.clone();
        async move { store.update_status(&step_input(HOSTAGE, 1)).await }
    });
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
        )
        .bind(schema.name())
        .fetch_one(schema.admin())
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    let terminated = schema.terminate_backend_connections().await;
    let error = in_flight
        .await
        .unwrap()
        .expect_err("a write whose connection was terminated cannot succeed");
    assert_unavailable(&error, Operation::UpdateStatus, Some(HOSTAGE));
    lock.rollback().await.unwrap();
    let stored: String =
        sqlx::query_scalar("SELECT engine_health FROM runtime_records WHERE game_id = $1")
            .bind(HOSTAGE)
            .fetch_one(schema.admin())
            .await
            .unwrap();
    assert_eq!(stored, "step 0", "the terminated write was applied");
    terminated
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_connections_fail_cleanly_and_the_pool_recovers() {
    isolated("kill", |schema| async move {
        let backend = schema
            .backend_with(schema.options().max_connections(4))
            .await;
        let store = store_on(backend).await;
        store.insert(&initial_record(HOSTAGE)).await.unwrap();
        let acknowledged = Arc::new(AtomicUsize::new(0));
        let tally = Arc::new(Mutex::new(Tally::default()));
        let workers: Vec<_> = (0..WORKERS * GAMES_PER_WORKER)
            .map(|game| {
                tokio::spawn(drive(
                    store.clone(),
                    format!("game-{game:02}"),
                    Arc::clone(&acknowledged),
                    Arc::clone(&tally),
                ))
            })
            .collect();

        let mut terminated = Vec::new();
        for kill in 1..=KILLS {
            while acknowledged.load(Ordering::Relaxed) < kill * OPERATIONS_BETWEEN_KILLS {
                tokio::task::yield_now().await;
            }
            terminated.push(kill_with_a_write_in_flight(&schema, &store).await);
        }
        for worker in workers {
            worker.await.expect("a worker failed");
        }

        let tally = tally.lock().await;
        println!(
            "terminated connections per kill: {terminated:?}; failed load operations: {}; \
             failed writes found applied: {}; acknowledged steps: {}",
            tally.failures.len(),
            tally.ambiguous_applied,
            acknowledged.load(Ordering::Relaxed)
        );
        for failure in &tally.failures {
            println!("failure: {failure}");
        }
        assert!(terminated.iter().all(|&count| count > 0), "{terminated:?}");

        let stored = store.list().await.expect("the pool recovered");
        assert_eq!(stored.len(), WORKERS * GAMES_PER_WORKER + 1);
        for runtime in stored.iter().filter(|runtime| runtime.game_id != HOSTAGE) {
            assert_eq!(step_of(runtime), STEPS, "{}", runtime.game_id);
        }
        store.update_status(&step_input(HOSTAGE, 1)).await.unwrap();
        assert_eq!(step_of(&store.get(HOSTAGE).await.unwrap()), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_unavailable_until_it_is_back() {
    isolated("unreachable", |schema| async move {
        let proxy = WireProxy::start(schema.url()).await;
        let options = schema
            .options()
            .max_connections(2)
            .acquire_timeout(Duration::from_millis(500));
        let backend = PostgresBackend::connect(&proxy.url_for(schema.url()), options)
            .await
            .unwrap();
        let store = store_on(backend).await;
        store.insert(&initial_record("before")).await.unwrap();

        proxy.stop();
        for _ in 0..3 {
            let error = store.get("before").await.unwrap_err();
            assert_unavailable(&error, Operation::Get, Some("before"));
        }
        let error = store.insert(&initial_record("during")).await.unwrap_err();
        assert_unavailable(&error, Operation::Insert, Some("during"));
        let error = store
            .update_status(&step_input("before", 1))
            .await
            .unwrap_err();
        assert_unavailable(&error, Operation::UpdateStatus, Some("before"));
        let error = store.list().await.unwrap_err();
        assert_unavailable(&error, Operation::List, None);
        println!("while unreachable: {error}");

        proxy.resume().await;
        // Connections cut while idle in the pool fail once each before they are dropped.
        let mut recovered = None;
        for _ in 0..=2 {
            match store.get("before").await {
                Ok(stored) => {
                    recovered = Some(stored);
                    break;
                }
                Err(error) => assert_unavailable(&error, Operation::Get, Some("before")),
            }
        }
        let before = recovered.expect("the store recovers once the server is reachable");
        assert_eq!(before, initial_record("before"));
        // Nothing sent while the server was unreachable reached it.
        assert!(matches!(
            store.get("during").await,
            Err(StoreError::NotFound { .. })
        ));
        store.update_status(&step_input("before", 1)).await.unwrap();
        store.insert(&initial_record("after")).await.unwrap();
        assert_eq!(store.list().await.unwrap().len(), 2);
        assert_eq!(step_of(&store.get("before").await.unwrap()), 1);
    })
    .await;
}
