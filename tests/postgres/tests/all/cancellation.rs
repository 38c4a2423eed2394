//! What a caller knows after a cancelled write (`docs/postgres.md`, "Cancellation"):
//! dropping a write's future does not stop its statement; a read right after proves
//! nothing; once the statement's connection is back in the pool the outcome is settled and
//! a read tells. With a statement timeout the server itself settles it (rolled back).

use std::time::Duration;

use crate::tls::with_parameters;
use runtime_store_backend::Backend;
use runtime_store_postgres::PostgresBackend;
use runtime_store_postgres_tests::database::{TestSchema, isolated};
use runtime_store_postgres_tests::workload::{initial_record, step_of, step_patch};
use sqlx::{Postgres, Transaction};

/// Locks the row of `game_id` in a transaction of the test's own.
async fn hold_row(schema: &TestSchema, game_id: &str) -> Transaction<'static, Postgres> {
    let mut lock = schema.admin().begin().await.unwrap();
    sqlx::query("SELECT 1 FROM runtime_records WHERE game_id = $1 FOR UPDATE")
        .bind(game_id)
        .execute(&mut *lock)
        .await
        .unwrap();
    lock
}

/// Starts step 1 of `game_id` and drops the call's future once the server shows the
/// statement waiting for the row lock: the caller gave up on a write that has reached
/// the server.
async fn abandon_write(schema: &TestSchema, backend: &PostgresBackend, game_id: &str) {
    let write = tokio::spawn({
        let backend = backend.clone();
        let game_id = game_id.to_owned();
        async move {
            let (expected, patch) = step_patch(1);
            backend.patch(&game_id, Some(expected), patch).await
        }
    });
    while waiting_on_lock(schema).await == 0 {
        tokio::task::yield_now().await;
    }
    write.abort();
    assert!(
        write.await.unwrap_err().is_cancelled(),
        "the write cannot finish while the row is locked"
    );
}

/// How many of the store's sessions wait for a lock.
async fn waiting_on_lock(schema: &TestSchema) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
    )
    .bind(schema.name())
    .fetch_one(schema.admin())
    .await
    .unwrap()
}

/// The step stored for `game_id`, read on the test's own connection.
async fn stored_step_seen_by_others(schema: &TestSchema, game_id: &str) -> String {
    sqlx::query_scalar("SELECT engine_health FROM runtime_records WHERE game_id = $1")
        .bind(game_id)
        .fetch_one(schema.admin())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_write_can_still_commit_and_the_returned_connection_tells() {
    isolated("cancel", |schema| async move {
        let backend = schema
            .backend_with(schema.options().max_connections(1))
            .await;
        backend.insert(initial_record("g")).await.unwrap();
        let lock = hold_row(&schema, "g").await;
        abandon_write(&schema, &backend, "g").await;

        // The caller's future is gone, but the statement still waits inside the server,
        // so a read now sees the old row: it cannot tell whether the write will happen.
        assert_eq!(waiting_on_lock(&schema).await, 1);
        assert_eq!(stored_step_seen_by_others(&schema, "g").await, "step 0");

        // The lock goes away; the abandoned statement goes on by itself.
        lock.commit().await.unwrap();
        // What tells: the statement's connection coming back to the pool (sqlx first
        // waits for the statement's answer). Then the outcome is settled: committed.
        drop(backend.pool().acquire().await.unwrap());
        let stored = backend.fetch("g").await.unwrap().unwrap();
        assert_eq!(
            step_of(&stored),
            1,
            "the write whose caller gave up committed"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_write_stuck_past_the_statement_timeout_is_rolled_back() {
    isolated("canceltimeout", |schema| async move {
        // In the clear: over TLS, sqlx 0.8.6 never gets such a connection back (the
        // pool slot stays taken; docs/postgres.md, "Cancellation").
        let backend = PostgresBackend::connect(
            &with_parameters(schema.url(), "sslmode=disable"),
            schema
                .options()
                .max_connections(1)
                .statement_timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap();
        backend.insert(initial_record("g")).await.unwrap();
        let lock = hold_row(&schema, "g").await;
        abandon_write(&schema, &backend, "g").await;
        // The row stays locked until the server has given up on the statement: its
        // connection is back in the pool only after that.
        drop(backend.pool().acquire().await.unwrap());
        lock.commit().await.unwrap();
        let stored = backend.fetch("g").await.unwrap().unwrap();
        assert_eq!(
            step_of(&stored),
            0,
            "the statement timeout rolled the write back"
        );
        // The store goes on working.
        let (expected, patch) = step_patch(1);
        backend.patch("g", Some(expected), patch).await.unwrap();
        assert_eq!(step_of(&backend.fetch("g").await.unwrap().unwrap()), 1);
    })
    .await;
}
