//! The five primitives on a file and in memory: round trips, outcomes, keyset pages in
//! every filter's order, the plans that serve them, URLs, locks and a closed pool.

use std::time::Duration;

use runtime_store_backend::{
    Backend, BackendError, InsertOutcome, PatchOutcome, RecordPatch, Registry, RuntimeRecord,
    ScanFilter, ScanKey, Scheduling, Status, StatusChange,
};
use runtime_store_memory::MemoryBackend;
use runtime_store_sqlite::{SqliteBackend, SqliteFactory, SqliteOptions, statements};
use sqlx::{Connection, Row, SqliteConnection};

use crate::common::{at, move_to, new_file, open, record, scratch_dir, url_of};

/// A record with every optional field set and values at the edges of their ranges.
fn full_record(game_id: &str) -> RuntimeRecord {
    RuntimeRecord {
        game_id: game_id.to_owned(),
        status: Status::GenerationFailed,
        engine_endpoint: "http://engine:8080/ünïcödé".into(),
        current_image_ref: "registry.local/galaxy/engine:2.0.0".into(),
        current_engine_version: "2.0.0".into(),
        engine_health: "degraded: \"quotes\", 'apostrophes' and a NUL \0 inside".into(),
        current_turn: u32::MAX,
        next_generation_at: Some(at(253_402_300_799, 999_999_000)),
        skip_next_tick: true,
        created_at: at(-62_135_596_800, 0),
        updated_at: at(-1, 999_999_000),
        started_at: Some(at(0, 0)),
        stopped_at: Some(at(1_700_000_000, 123_456_000)),
        finished_at: Some(at(1_700_000_001, 1_000)),
    }
}

#[tokio::test]
async fn records_round_trip_exactly_and_survive_reopening() {
    let (_, url) = new_file("round-trip");
    let backend = open(&url).await;
    let full = full_record("game-🎲-1");
    let plain = record("plain", Status::Starting);
    for written in [&full, &plain] {
        assert_eq!(
            backend.insert(written.clone()).await,
            Ok(InsertOutcome::Inserted)
        );
    }
    assert_eq!(backend.fetch("game-🎲-1").await, Ok(Some(full.clone())));
    assert_eq!(backend.fetch("no-such-game").await, Ok(None));
    backend.close().await;

    let reopened = open(&url).await;
    assert_eq!(reopened.fetch("game-🎲-1").await, Ok(Some(full)));
    assert_eq!(reopened.fetch("plain").await, Ok(Some(plain)));
}

#[tokio::test]
async fn a_second_insert_of_a_game_id_writes_nothing() {
    let backend = open("sqlite::memory:").await;
    let first = record("g", Status::Starting);
    let second = RuntimeRecord {
        engine_health: "other".into(),
        ..record("g", Status::Running)
    };
    assert_eq!(
        backend.insert(first.clone()).await,
        Ok(InsertOutcome::Inserted)
    );
    assert_eq!(
        backend.insert(second).await,
        Ok(InsertOutcome::AlreadyExists)
    );
    assert_eq!(backend.fetch("g").await, Ok(Some(first)));
    // Game ids differing only in case are different records (bytes, not a collation).
    assert_eq!(
        backend.insert(record("G", Status::Starting)).await,
        Ok(InsertOutcome::Inserted)
    );
}

/// Patches that together touch every column, each applied to the SQLite and the
/// in-memory adapter: the stored records must agree after each.
fn patches() -> Vec<(Option<Status>, RecordPatch)> {
    let stamp = at(1_800_000_000, 5_000);
    vec![
        (
            Some(Status::Starting),
            RecordPatch {
                status: Some(StatusChange {
                    to: Status::Running,
                    started_at: Some(stamp),
                    stopped_at: None,
                    finished_at: None,
                }),
                engine_health: Some("healthy".into()),
                ..move_to(Status::Running, stamp)
            },
        ),
        (
            None,
            RecordPatch {
                status: None,
                scheduling: Some(Scheduling {
                    next_generation_at: Some(at(1_800_000_060, 0)),
                    skip_next_tick: true,
                    current_turn: 7,
                }),
                current_image_ref: Some("img:2".into()),
                current_engine_version: Some("2".into()),
                ..move_to(Status::Running, at(1_800_000_001, 0))
            },
        ),
        (
            Some(Status::Running),
            RecordPatch {
                status: Some(StatusChange {
                    to: Status::Stopped,
                    started_at: None,
                    stopped_at: Some(at(1_800_000_002, 0)),
                    finished_at: None,
                }),
                scheduling: Some(Scheduling {
                    next_generation_at: None,
                    skip_next_tick: false,
                    current_turn: 8,
                }),
                ..move_to(Status::Stopped, at(1_800_000_002, 0))
            },
        ),
        (
            Some(Status::Stopped),
            RecordPatch {
                status: Some(StatusChange {
                    to: Status::Finished,
                    started_at: None,
                    stopped_at: None,
                    finished_at: Some(at(1_800_000_003, 0)),
                }),
                ..move_to(Status::Finished, at(1_800_000_003, 0))
            },
        ),
    ]
}

#[tokio::test]
async fn patches_apply_every_change_and_leave_the_rest_alone() {
    let (_, url) = new_file("patch");
    let sqlite = open(&url).await;
    let memory = MemoryBackend::new();
    for backend in [&sqlite as &dyn Backend, &memory] {
        backend.insert(record("g", Status::Starting)).await.unwrap();
    }
    for (step, (expected, patch)) in patches().into_iter().enumerate() {
        assert_eq!(
            sqlite.patch("g", expected, patch.clone()).await,
            Ok(PatchOutcome::Applied),
            "step {step}"
        );
        memory.patch("g", expected, patch).await.unwrap();
        assert_eq!(
            sqlite.fetch("g").await.unwrap(),
            memory.fetch("g").await.unwrap(),
            "step {step}"
        );
    }
}

#[tokio::test]
async fn a_refused_patch_says_why_and_writes_nothing() {
    let backend = open("sqlite::memory:").await;
    let stored = record("g", Status::Running);
    backend.insert(stored.clone()).await.unwrap();
    let patch = RecordPatch {
        engine_health: Some("changed".into()),
        ..move_to(Status::Stopped, at(2_000_000_000, 0))
    };
    assert_eq!(
        backend
            .patch("g", Some(Status::Starting), patch.clone())
            .await,
        Ok(PatchOutcome::StatusMismatch(Status::Running))
    );
    assert_eq!(backend.fetch("g").await, Ok(Some(stored)));
    assert_eq!(
        backend.patch("missing", None, patch.clone()).await,
        Ok(PatchOutcome::NotFound)
    );
    assert_eq!(
        backend.patch("missing", Some(Status::Running), patch).await,
        Ok(PatchOutcome::NotFound)
    );
    assert_eq!(backend.fetch("missing").await, Ok(None));
}

#[tokio::test]
async fn remove_deletes_one_record_and_succeeds_when_there_is_none() {
    let backend = open("sqlite::memory:").await;
    backend.insert(record("a", Status::Starting)).await.unwrap();
    backend.insert(record("b", Status::Starting)).await.unwrap();
    assert_eq!(backend.remove("a").await, Ok(()));
    assert_eq!(backend.remove("a").await, Ok(()));
    assert_eq!(backend.fetch("a").await, Ok(None));
    assert!(backend.fetch("b").await.unwrap().is_some());
}

/// Game ids whose byte order differs from case-insensitive, accent-aware or UTF-16 order:
/// upper before lower case, 'é' (C3 A9) after 'z', U+FF5E (EF BD 9E) before U+1F3B2
/// (F0 9F 8E B2) although UTF-16 puts the surrogate pair first.
const IDS: [&str; 8] = ["a", "B", "b", "Z", "é", "z", "\u{ff5e}", "🎲"];

/// Records with ties everywhere: three creation instants, two due instants (one before the
/// epoch), several statuses, some without a tick.
fn population() -> Vec<RuntimeRecord> {
    let statuses = [
        Status::Running,
        Status::Running,
        Status::Stopped,
        Status::GenerationInProgress,
    ];
    let mut records = Vec::new();
    for (index, game_id) in IDS.iter().enumerate() {
        for suffix in ["", "-2", "-10"] {
            let n = records.len();
            let mut stored = record(&format!("{game_id}{suffix}"), statuses[n % 4]);
            stored.created_at = [at(-5, 0), at(100, 0), at(100, 1_000)][(n + index) % 3];
            stored.next_generation_at = match n % 5 {
                0 => None,
                1 | 2 => Some(at(-1, 500_000_000)),
                _ => Some(at(50, 0)),
            };
            records.push(stored);
        }
    }
    records
}

fn filters() -> Vec<ScanFilter> {
    vec![
        ScanFilter::All,
        ScanFilter::ByStatus(Status::Running),
        ScanFilter::ByStatus(Status::Stopped),
        ScanFilter::ByStatus(Status::Finished),
        ScanFilter::DueRunning(at(50, 0)),
        ScanFilter::DueRunning(at(-1, 500_000_000)),
        ScanFilter::DueRunning(at(-2, 0)),
    ]
}

#[tokio::test]
async fn pages_follow_each_filters_order_from_any_key() {
    let (_, url) = new_file("pages");
    let backend = open(&url).await;
    let records = population();
    for stored in &records {
        backend.insert(stored.clone()).await.unwrap();
    }
    let mut pages = 0;
    for filter in filters() {
        let whole = filter.page_of(&records, None, u32::MAX);
        // Walking page by page from each page's last key gives the whole list in order.
        for limit in [1, 2, 3, 7, 500] {
            let mut walked = Vec::new();
            let mut after: Option<ScanKey> = None;
            loop {
                let page = backend.scan(filter, after.as_ref(), limit).await.unwrap();
                assert_eq!(
                    page,
                    filter.page_of(&records, after.as_ref(), limit),
                    "{filter:?} limit {limit} after {after:?}"
                );
                pages += 1;
                let Some(last) = page.last() else { break };
                after = Some(ScanKey {
                    at: match filter {
                        ScanFilter::DueRunning(_) => last.next_generation_at.unwrap(),
                        _ => last.created_at,
                    },
                    game_id: last.game_id.clone(),
                });
                walked.extend(page);
            }
            assert_eq!(walked, whole, "{filter:?} limit {limit}");
        }
        // Keys that name no stored record: between instants, between game ids, before
        // and after everything.
        for key_at in [
            at(-10, 0),
            at(-5, 0),
            at(-1, 500_000_000),
            at(50, 0),
            at(100, 500),
            at(200, 0),
        ] {
            for game_id in ["", "B", "b-10", "m", "é-2", "\u{10ffff}"] {
                let key = ScanKey {
                    at: key_at,
                    game_id: game_id.to_owned(),
                };
                assert_eq!(
                    backend.scan(filter, Some(&key), 4).await.unwrap(),
                    filter.page_of(&records, Some(&key), 4),
                    "{filter:?} after {key:?}"
                );
            }
        }
    }
    assert!(pages > 100, "only {pages} pages read");
}

#[tokio::test]
async fn every_scan_reads_its_index_in_order_without_sorting() {
    let (_, url) = new_file("plans");
    let backend = open(&url).await;
    for stored in population() {
        backend.insert(stored).await.unwrap();
    }
    sqlx::query("ANALYZE")
        .execute(backend.pool())
        .await
        .unwrap();
    for (statement, parameters, index) in [
        (statements::SCAN_ALL, 1, "runtime_records_created_idx"),
        (statements::SCAN_ALL_AFTER, 3, "runtime_records_created_idx"),
        (
            statements::SCAN_BY_STATUS,
            2,
            "runtime_records_status_created_idx",
        ),
        (
            statements::SCAN_BY_STATUS_AFTER,
            4,
            "runtime_records_status_created_idx",
        ),
        (statements::SCAN_DUE_RUNNING, 2, "runtime_records_due_idx"),
        (
            statements::SCAN_DUE_RUNNING_AFTER,
            4,
            "runtime_records_due_idx",
        ),
    ] {
        let explain = format!("EXPLAIN QUERY PLAN {statement}");
        let mut query = sqlx::query(&explain);
        for _ in 0..parameters {
            query = query.bind(1_i64);
        }
        let plan = details(
            query
                .fetch_all(backend.pool())
                .await
                .unwrap_or_else(|error| {
                    panic!("{statement}: {error}");
                }),
        );
        assert!(
            plan.contains(&format!("USING INDEX {index}")),
            "{statement}: {plan}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "{statement}: {plan}");
    }
    // A page after a key starts inside the index, not at its beginning.
    let explain = format!("EXPLAIN QUERY PLAN {}", statements::SCAN_DUE_RUNNING_AFTER);
    let plan = details(
        sqlx::query(&explain)
            .bind(1_i64)
            .bind(1_i64)
            .bind("g")
            .bind(10_i64)
            .fetch_all(backend.pool())
            .await
            .unwrap(),
    );
    assert!(
        plan.contains("(next_generation_at_us>? AND next_generation_at_us<?)"),
        "{plan}"
    );
}

/// The `detail` column of `EXPLAIN QUERY PLAN` rows, joined.
fn details(rows: Vec<sqlx::sqlite::SqliteRow>) -> String {
    rows.iter()
        .map(|row| row.get::<String, _>("detail"))
        .collect::<Vec<_>>()
        .join(" | ")
}

#[tokio::test]
async fn urls_open_files_and_private_memory() {
    let registry = Registry::new().with(SqliteFactory::new()).unwrap();
    let folder = scratch_dir("urls");
    let path = folder.join("made-on-open.sqlite3");
    assert!(!path.exists());
    let upper = format!("SQLite://{}", path.display());
    let backend = registry.open(&upper).await.unwrap();
    assert!(path.is_file(), "opening created the file");
    backend
        .insert(record("kept", Status::Starting))
        .await
        .unwrap();
    drop(backend);
    let again = registry.open(&url_of(&path)).await.unwrap();
    assert!(again.fetch("kept").await.unwrap().is_some());

    let one = registry.open("sqlite::memory:").await.unwrap();
    let other = registry.open("sqlite::memory:").await.unwrap();
    one.insert(record("mine", Status::Starting)).await.unwrap();
    assert!(one.fetch("mine").await.unwrap().is_some());
    assert_eq!(other.fetch("mine").await, Ok(None), "memory is private");

    let missing = url_of(&folder.join("no-such-folder").join("x.sqlite3"));
    match SqliteBackend::open(&missing, SqliteOptions::default()).await {
        Err(BackendError::Unavailable(message)) => {
            assert!(message.starts_with("open \"sqlite://"), "{message}");
            assert!(
                message.contains("unable to open database file"),
                "{message}"
            );
        }
        other => panic!("a file in a missing folder: {other:?}"),
    }
    match SqliteBackend::open("sqlite://x.sqlite3?colour=blue", SqliteOptions::default()).await {
        Err(BackendError::Failed(message)) => assert!(message.contains("colour"), "{message}"),
        other => panic!("an unknown parameter: {other:?}"),
    }
    match SqliteBackend::open("postgres://x", SqliteOptions::default()).await {
        Err(BackendError::Failed(message)) => {
            assert!(message.contains("not a SQLite URL"), "{message}");
        }
        other => panic!("another scheme: {other:?}"),
    }
    let not_a_database = folder.join("text.sqlite3");
    std::fs::write(
        &not_a_database,
        "this is not a database file, it is a text file",
    )
    .unwrap();
    match SqliteBackend::open(&url_of(&not_a_database), SqliteOptions::default()).await {
        Err(BackendError::Failed(message)) => {
            assert!(message.contains("file is not a database"), "{message}");
        }
        other => panic!("a text file: {other:?}"),
    }
}

#[tokio::test]
async fn a_file_is_in_wal_mode_with_full_synchronous_writes() {
    let (_, url) = new_file("wal");
    let backend = open(&url).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(backend.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(backend.pool())
        .await
        .unwrap();
    assert_eq!(synchronous, 2, "FULL");
}

#[tokio::test]
async fn a_write_blocked_past_the_busy_timeout_is_unavailable_and_reads_go_on() {
    let (_, url) = new_file("busy");
    let backend = SqliteBackend::open(
        &url,
        SqliteOptions::default().busy_timeout(Duration::from_millis(200)),
    )
    .await
    .unwrap();
    backend.insert(record("g", Status::Running)).await.unwrap();

    // Another connection (as another process would) holds the write lock.
    let mut other = SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let insert = backend.insert(record("h", Status::Starting)).await;
    assert!(started.elapsed() >= Duration::from_millis(150), "it waited");
    match insert {
        Err(BackendError::Unavailable(message)) => {
            assert!(
                message.starts_with("insert of runtime record \"h\": "),
                "{message}"
            );
            assert!(message.contains("database is locked"), "{message}");
        }
        other => panic!("insert under a held lock: {other:?}"),
    }
    match backend
        .patch(
            "g",
            Some(Status::Running),
            move_to(Status::Stopped, at(5, 0)),
        )
        .await
    {
        Err(BackendError::Unavailable(message)) => {
            assert!(
                message.starts_with("patch of runtime record \"g\": "),
                "{message}"
            );
        }
        other => panic!("patch under a held lock: {other:?}"),
    }
    match backend.remove("g").await {
        Err(BackendError::Unavailable(message)) => {
            assert!(
                message.starts_with("remove of runtime record \"g\": "),
                "{message}"
            );
        }
        other => panic!("remove under a held lock: {other:?}"),
    }
    // WAL: readers do not wait for the writer.
    assert!(backend.fetch("g").await.unwrap().is_some());
    assert_eq!(
        backend.scan(ScanFilter::All, None, 10).await.unwrap().len(),
        1
    );

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    assert_eq!(
        backend
            .patch(
                "g",
                Some(Status::Running),
                move_to(Status::Stopped, at(5, 0))
            )
            .await,
        Ok(PatchOutcome::Applied)
    );
    let status: String = sqlx::query("SELECT status FROM runtime_records WHERE game_id = 'g'")
        .fetch_one(&mut other)
        .await
        .unwrap()
        .get("status");
    assert_eq!(status, "stopped");
}

#[tokio::test]
async fn a_closed_backend_answers_unavailable() {
    let backend = open("sqlite::memory:").await;
    backend.close().await;
    assert!(matches!(
        backend.fetch("g").await,
        Err(BackendError::Unavailable(message)) if message.starts_with("fetch of runtime record \"g\": ")
    ));
    assert!(matches!(
        backend.scan(ScanFilter::ByStatus(Status::Running), None, 5).await,
        Err(BackendError::Unavailable(message)) if message.starts_with("scan of runtime records with status running: ")
    ));
}
