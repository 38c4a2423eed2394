//! The adapter on its own against the real server: every primitive, the corrupt-row
//! reports, connecting and opening by URL.

use runtime_store_backend::{
    Backend, BackendError, InsertOutcome, PatchOutcome, RecordPatch, Registry, RuntimeRecord,
    ScanFilter, Scheduling, Status, StatusChange,
};
use runtime_store_host::StoreError;
use runtime_store_postgres::{PostgresBackend, PostgresFactory, PostgresOptions, migrate};
use runtime_store_postgres_tests::database::{isolated, store_on};
use runtime_store_postgres_tests::records::{at, move_to, record};

/// A page limit larger than any table these tests make: the scan's whole answer.
const WHOLE: u32 = 10_000;

/// A record with every optional field set and values at the edges of their ranges.
fn edge_record() -> RuntimeRecord {
    RuntimeRecord {
        game_id: "edge/ünïcödé 🎲".to_owned(),
        status: Status::GenerationFailed,
        engine_endpoint: "http://[::1]:9000/engine".to_owned(),
        current_image_ref: "registry.local/engine@sha256:abc".to_owned(),
        current_engine_version: "v9.9.9-rc.1+build".to_owned(),
        engine_health: String::new(),
        current_turn: u32::MAX,
        next_generation_at: Some(at(253_402_300_799, 999_999_000)),
        skip_next_tick: true,
        created_at: at(-62_135_596_800, 0),
        updated_at: at(-1, 999_999_000),
        started_at: Some(at(0, 1_000)),
        stopped_at: Some(at(946_684_799, 999_999_000)),
        finished_at: Some(at(1_795_000_000, 123_456_000)),
    }
}

#[tokio::test]
async fn insert_fetch_remove_round_trip_every_field_exactly() {
    isolated("roundtrip", |schema| async move {
        let backend = schema.backend().await;
        let stored = edge_record();
        assert_eq!(backend.fetch(&stored.game_id).await, Ok(None));
        assert_eq!(
            backend.insert(stored.clone()).await,
            Ok(InsertOutcome::Inserted)
        );
        assert_eq!(
            backend.fetch(&stored.game_id).await,
            Ok(Some(stored.clone()))
        );

        let mut other = stored.clone();
        other.engine_endpoint = "http://elsewhere".to_owned();
        assert_eq!(
            backend.insert(other).await,
            Ok(InsertOutcome::AlreadyExists)
        );
        assert_eq!(
            backend.fetch(&stored.game_id).await,
            Ok(Some(stored.clone()))
        );

        assert_eq!(backend.remove(&stored.game_id).await, Ok(()));
        assert_eq!(backend.fetch(&stored.game_id).await, Ok(None));
        assert_eq!(backend.remove(&stored.game_id).await, Ok(()));
    })
    .await;
}

#[tokio::test]
async fn sub_microsecond_parts_are_floored_on_write() {
    isolated("floor", |schema| async move {
        let backend = schema.backend().await;
        let mut written = record("g", Status::Starting);
        written.created_at = at(-5, 999_999_999);
        written.updated_at = at(7, 1_999);
        backend.insert(written).await.unwrap();
        let read = backend.fetch("g").await.unwrap().unwrap();
        assert_eq!(read.created_at, at(-5, 999_999_000));
        assert_eq!(read.updated_at, at(7, 1_000));
    })
    .await;
}

#[tokio::test]
async fn patch_tells_not_found_from_mismatch_and_writes_nothing_then() {
    isolated("patchcas", |schema| async move {
        let backend = schema.backend().await;
        let to_running = move_to(Status::Running, at(2_000_000_000, 0));
        assert_eq!(
            backend
                .patch("missing", Some(Status::Starting), to_running.clone())
                .await,
            Ok(PatchOutcome::NotFound)
        );
        assert_eq!(
            backend.patch("missing", None, to_running.clone()).await,
            Ok(PatchOutcome::NotFound)
        );

        let stopped = record("g", Status::Stopped);
        backend.insert(stopped.clone()).await.unwrap();
        assert_eq!(
            backend
                .patch("g", Some(Status::Starting), to_running.clone())
                .await,
            Ok(PatchOutcome::StatusMismatch(Status::Stopped))
        );
        assert_eq!(backend.fetch("g").await, Ok(Some(stopped.clone())));

        assert_eq!(
            backend
                .patch(
                    "g",
                    Some(Status::Stopped),
                    move_to(Status::Starting, at(2_000_000_001, 0))
                )
                .await,
            Ok(PatchOutcome::Applied)
        );
        assert_eq!(
            backend.patch("g", None, to_running).await,
            Ok(PatchOutcome::Applied)
        );
        let read = backend.fetch("g").await.unwrap().unwrap();
        assert_eq!(read.status, Status::Running);
        assert_eq!(read.updated_at, at(2_000_000_000, 0));
    })
    .await;
}

#[tokio::test]
async fn patch_writes_given_columns_and_leaves_the_rest_alone() {
    isolated("patchcols", |schema| async move {
        let backend = schema.backend().await;
        let mut stored = record("g", Status::Starting);
        stored.next_generation_at = Some(at(1_500_000_000, 0));
        stored.stopped_at = Some(at(1_100_000_000, 0));
        stored.engine_health = "healthy".to_owned();
        backend.insert(stored.clone()).await.unwrap();

        let status_and_image = RecordPatch {
            status: Some(StatusChange {
                to: Status::Running,
                started_at: Some(at(1_200_000_000, 5_000)),
                stopped_at: None,
                finished_at: None,
            }),
            scheduling: None,
            current_image_ref: Some("registry.local/engine:2.0".to_owned()),
            current_engine_version: Some("2.0.0".to_owned()),
            engine_health: None,
            updated_at: at(1_200_000_000, 5_000),
        };
        assert_eq!(
            backend
                .patch("g", Some(Status::Starting), status_and_image.clone())
                .await,
            Ok(PatchOutcome::Applied)
        );
        status_and_image.apply_to(&mut stored);
        assert_eq!(backend.fetch("g").await, Ok(Some(stored.clone())));

        let clear_schedule = RecordPatch {
            status: None,
            scheduling: Some(Scheduling {
                next_generation_at: None,
                skip_next_tick: true,
                current_turn: 4_000_000_000,
            }),
            current_image_ref: None,
            current_engine_version: None,
            engine_health: Some("degraded".to_owned()),
            updated_at: at(1_300_000_000, 0),
        };
        assert_eq!(
            backend.patch("g", None, clear_schedule.clone()).await,
            Ok(PatchOutcome::Applied)
        );
        clear_schedule.apply_to(&mut stored);
        assert_eq!(stored.next_generation_at, None);
        assert_eq!(backend.fetch("g").await, Ok(Some(stored.clone())));

        let set_schedule = RecordPatch {
            scheduling: Some(Scheduling {
                next_generation_at: Some(at(1_400_000_000, 7_000)),
                skip_next_tick: false,
                current_turn: 0,
            }),
            engine_health: Some(String::new()),
            ..clear_schedule
        };
        backend
            .patch("g", Some(Status::Running), set_schedule.clone())
            .await
            .unwrap();
        set_schedule.apply_to(&mut stored);
        assert_eq!(backend.fetch("g").await, Ok(Some(stored)));
    })
    .await;
}

#[tokio::test]
async fn scan_filters_by_status_and_due_time_inclusively() {
    isolated("scan", |schema| async move {
        let backend = schema.backend().await;
        let now = at(1_600_000_000, 500_000);
        let mut due_exactly = record("due-exactly", Status::Running);
        due_exactly.next_generation_at = Some(now);
        let mut due_earlier = record("due-earlier", Status::Running);
        due_earlier.next_generation_at = Some(at(-100, 0));
        let mut later = record("later", Status::Running);
        later.next_generation_at = Some(at(1_600_000_000, 501_000));
        let unscheduled = record("unscheduled", Status::Running);
        let mut stopped = record("stopped", Status::Stopped);
        stopped.next_generation_at = Some(at(1, 0));
        for stored in [&due_exactly, &due_earlier, &later, &unscheduled, &stopped] {
            backend.insert(stored.clone()).await.unwrap();
        }

        // Served in each filter's order: due time, then game id; all created at the same
        // instant, so the status list is in game id order.
        let ids = |records: Vec<RuntimeRecord>| -> Vec<String> {
            records.into_iter().map(|record| record.game_id).collect()
        };
        assert_eq!(
            ids(backend
                .scan(ScanFilter::DueRunning(now), None, WHOLE)
                .await
                .unwrap()),
            ["due-earlier", "due-exactly"]
        );
        assert_eq!(
            ids(backend
                .scan(ScanFilter::ByStatus(Status::Running), None, WHOLE)
                .await
                .unwrap()),
            ["due-earlier", "due-exactly", "later", "unscheduled"]
        );
        assert_eq!(
            backend
                .scan(ScanFilter::ByStatus(Status::Stopped), None, WHOLE)
                .await,
            Ok(vec![stopped])
        );
        assert_eq!(
            backend
                .scan(ScanFilter::ByStatus(Status::Finished), None, WHOLE)
                .await,
            Ok(vec![])
        );
        assert_eq!(
            backend
                .scan(ScanFilter::All, None, WHOLE)
                .await
                .unwrap()
                .len(),
            5
        );
    })
    .await;
}

/// Drops the table's CHECK constraints so the test can store what the adapter never
/// writes.
async fn drop_checks(admin: &sqlx::PgPool) {
    sqlx::query(
        "ALTER TABLE runtime_records DROP CONSTRAINT runtime_records_status_check, \
         DROP CONSTRAINT runtime_records_current_turn_check",
    )
    .execute(admin)
    .await
    .unwrap();
}

fn corrupt_message(outcome: Result<impl std::fmt::Debug, BackendError>) -> String {
    match outcome {
        Err(BackendError::Corrupt(message)) => message,
        other => panic!("expected a corrupt-value error, got {other:?}"),
    }
}

/// Asserts that `outcome` is a [`BackendError::Failed`] whose message starts with `prefix`
/// and names the server's SQLSTATE `sqlstate`.
fn assert_failed(
    outcome: Result<impl std::fmt::Debug, BackendError>,
    prefix: &str,
    sqlstate: &str,
) {
    match outcome {
        Err(BackendError::Failed(message)) => {
            assert!(message.starts_with(prefix), "{message}");
            assert!(message.contains(sqlstate), "{message}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn undecodable_rows_are_corrupt_errors_naming_game_and_column() {
    isolated("corrupt", |schema| async move {
        let backend = schema.backend().await;
        drop_checks(schema.admin()).await;
        for game_id in ["bad-status", "bad-turn", "bad-negative-turn", "bad-stamp"] {
            backend
                .insert(record(game_id, Status::Running))
                .await
                .unwrap();
        }
        for statement in [
            "UPDATE runtime_records SET status = 'paused' WHERE game_id = 'bad-status'",
            "UPDATE runtime_records SET current_turn = 4294967296 WHERE game_id = 'bad-turn'",
            "UPDATE runtime_records SET current_turn = -1 WHERE game_id = 'bad-negative-turn'",
            "UPDATE runtime_records SET created_at = 'infinity' WHERE game_id = 'bad-stamp'",
        ] {
            sqlx::query(statement)
                .execute(schema.admin())
                .await
                .unwrap();
        }

        let message = corrupt_message(backend.fetch("bad-status").await);
        assert!(
            message.contains("fetch of runtime record \"bad-status\""),
            "{message}"
        );
        assert!(message.contains("column status"), "{message}");
        assert!(message.contains("\"paused\""), "{message}");

        for (game_id, column) in [
            ("bad-turn", "column current_turn"),
            ("bad-negative-turn", "column current_turn"),
            ("bad-stamp", "column created_at"),
        ] {
            let message = corrupt_message(backend.fetch(game_id).await);
            assert!(message.contains(&format!("{game_id:?}")), "{message}");
            assert!(message.contains(column), "{message}");
        }

        let message = corrupt_message(
            backend
                .patch(
                    "bad-status",
                    Some(Status::Running),
                    move_to(Status::Stopped, at(2_000_000_000, 0)),
                )
                .await,
        );
        assert!(
            message.contains("patch of runtime record \"bad-status\""),
            "{message}"
        );
        assert!(message.contains("column status"), "{message}");

        let message = corrupt_message(backend.scan(ScanFilter::All, None, WHOLE).await);
        assert!(
            message.starts_with("scan of all runtime records: runtime record \"bad-"),
            "{message}"
        );

        // A healthy row next to the corrupt ones still reads.
        backend
            .insert(record("fine", Status::Stopped))
            .await
            .unwrap();
        assert_eq!(
            backend
                .scan(ScanFilter::ByStatus(Status::Stopped), None, WHOLE)
                .await,
            Ok(vec![record("fine", Status::Stopped)])
        );
    })
    .await;
}

#[tokio::test]
async fn timestamps_outside_years_1_to_9999_are_corrupt_not_records() {
    isolated("years", |schema| async move {
        let backend = schema.backend().await;
        for game_id in ["far-future", "before-year-one", "due-far-future", "edge"] {
            backend
                .insert(record(game_id, Status::Running))
                .await
                .unwrap();
        }
        // timestamptz holds 4713 BC to 294276 AD; a record holds years 0001..9999 only.
        for statement in [
            "UPDATE runtime_records SET updated_at = '20000-01-01 00:00:00+00' WHERE game_id = 'far-future'",
            "UPDATE runtime_records SET started_at = '0001-12-31 23:59:59+00 BC' WHERE game_id = 'before-year-one'",
            "UPDATE runtime_records SET next_generation_at = '10000-01-01 00:00:00+00' WHERE game_id = 'due-far-future'",
            "UPDATE runtime_records SET created_at = '0001-01-01 00:00:00+00', \
             updated_at = '9999-12-31 23:59:59.999999+00' WHERE game_id = 'edge'",
        ] {
            sqlx::query(statement)
                .execute(schema.admin())
                .await
                .unwrap();
        }
        for (game_id, column, year) in [
            ("far-future", "column updated_at", "year 20000"),
            ("before-year-one", "column started_at", "year 0"),
            ("due-far-future", "column next_generation_at", "year 10000"),
        ] {
            let message = corrupt_message(backend.fetch(game_id).await);
            assert!(
                message.starts_with(&format!("fetch of runtime record {game_id:?}: runtime record {game_id:?}: {column} holds a timestamp in {year} (")),
                "{message}"
            );
            assert!(message.ends_with("outside years 0001..9999"), "{message}");
        }
        let message = corrupt_message(backend.scan(ScanFilter::All, None, WHOLE).await);
        assert!(message.contains("outside years 0001..9999"), "{message}");

        // The first and last instants of the range are ordinary values.
        let edge = backend.fetch("edge").await.unwrap().unwrap();
        assert_eq!(edge.created_at, at(-62_135_596_800, 0));
        assert_eq!(edge.updated_at, at(253_402_300_799, 999_999_000));

        // Through the store the row is a backend error naming game and column, never a record.
        let store = store_on(backend).await;
        let error = store.get("far-future").await.unwrap_err();
        assert!(
            matches!(
                &error,
                StoreError::Backend { source: BackendError::Corrupt(message), .. }
                    if message.contains("\"far-future\"") && message.contains("updated_at")
            ),
            "{error:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_schema_rejects_what_no_record_holds() {
    isolated("checks", |schema| async move {
        for statement in [
            "INSERT INTO runtime_records VALUES ('g', 'paused', 'e', 'i', 'v', '', 0, NULL, false, now(), now(), NULL, NULL, NULL)",
            "INSERT INTO runtime_records VALUES ('g', 'running', 'e', 'i', 'v', '', 4294967296, NULL, false, now(), now(), NULL, NULL, NULL)",
            "INSERT INTO runtime_records VALUES ('g', 'running', 'e', 'i', 'v', '', -1, NULL, false, now(), now(), NULL, NULL, NULL)",
        ] {
            let error = sqlx::query(statement).execute(schema.admin()).await.unwrap_err();
            let code = error.as_database_error().and_then(|error| error.code()).map(|code| code.into_owned());
            assert_eq!(code.as_deref(), Some("23514"), "{statement}: {error}");
        }
        sqlx::query("INSERT INTO runtime_records VALUES ('g', 'generation_in_progress', 'e', 'i', 'v', '', 4294967295, NULL, false, now(), now(), NULL, NULL, NULL)")
            .execute(schema.admin())
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn migrate_is_idempotent_and_concurrent_and_migrate_on_open_creates_the_schema() {
    isolated("migrate", |schema| async move {
        migrate(schema.url(), &schema.options()).await.unwrap();
        let applied: i64 =
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(schema.admin())
                .await
                .unwrap();
        assert_eq!(applied, 1);

        let concurrent = PostgresOptions::default().schema(format!("{}_concurrent", schema.name()));
        let migrations: Vec<_> = (0..4)
            .map(|_| {
                let url = schema.url().to_owned();
                let options = concurrent.clone();
                tokio::spawn(async move { migrate(&url, &options).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for migration in migrations {
            outcomes.push(migration.await.unwrap());
        }
        sqlx::query(&format!(
            "DROP SCHEMA IF EXISTS \"{}_concurrent\" CASCADE",
            schema.name()
        ))
        .execute(schema.admin())
        .await
        .unwrap();
        assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");

        let fresh = format!("{}_fresh", schema.name());
        let options = PostgresOptions::default()
            .schema(&fresh)
            .migrate_on_open(true);
        let backend = PostgresBackend::connect(schema.url(), options)
            .await
            .unwrap();
        backend.insert(record("g", Status::Starting)).await.unwrap();
        let in_fresh: i64 =
            sqlx::query_scalar(&format!("SELECT count(*) FROM \"{fresh}\".runtime_records"))
                .fetch_one(schema.admin())
                .await
                .unwrap();
        assert_eq!(in_fresh, 1);
        backend.close().await;
        sqlx::query(&format!("DROP SCHEMA \"{fresh}\" CASCADE"))
            .execute(schema.admin())
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn without_migration_the_primitives_fail_naming_the_game() {
    isolated("nomigrate", |schema| async move {
        let options = PostgresOptions::default().schema(format!("{}_absent", schema.name()));
        let backend = PostgresBackend::connect(schema.url(), options)
            .await
            .unwrap();
        assert_failed(
            backend.fetch("g1").await,
            "fetch of runtime record \"g1\": ",
            "42P01",
        );
    })
    .await;
}

#[tokio::test]
async fn the_factory_opens_both_url_schemes() {
    isolated("factory", |schema| async move {
        let registry = Registry::new()
            .with(PostgresFactory::with_options(schema.options()))
            .expect("one adapter per scheme");
        let url = schema.url().to_owned();
        let other_scheme = url.replacen("postgres://", "postgresql://", 1);
        assert_ne!(
            url, other_scheme,
            "DATABASE_URL should use the postgres:// scheme"
        );
        let first = registry.open(&url).await.unwrap();
        let second = registry.open(&other_scheme).await.unwrap();
        first.insert(record("g", Status::Starting)).await.unwrap();
        assert_eq!(
            second.fetch("g").await,
            Ok(Some(record("g", Status::Starting)))
        );
    })
    .await;
}

#[tokio::test]
async fn connecting_to_a_closed_port_is_unavailable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let options = PostgresOptions::default().acquire_timeout(std::time::Duration::from_millis(500));
    match PostgresBackend::connect(&format!("postgres://postgres@{address}/postgres"), options)
        .await
    {
        Err(BackendError::Unavailable(message)) => {
            assert!(message.starts_with("connect: "), "{message}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_nul_character_is_a_failure_not_a_panic() {
    isolated("nul", |schema| async move {
        let backend = schema.backend().await;
        let mut with_nul = record("nul", Status::Starting);
        with_nul.engine_health = "bad\0health".to_owned();
        assert_failed(
            backend.insert(with_nul).await,
            "insert of runtime record \"nul\": ",
            "22021",
        );
        assert_eq!(backend.fetch("nul").await, Ok(None));
    })
    .await;
}
