//! Stored values no record can hold (a file edited by hand, another program, a bad disk)
//! are reported as corrupt, naming the primitive, the game id and the column; never
//! trusted, never a panic.

use runtime_store_backend::{Backend, BackendError, ScanFilter, Status};
use sqlx::{Connection, SqliteConnection};

use crate::common::{at, move_to, new_file, open, record};

/// Writes `assignment` into the row of game "g" behind the adapter's back, with CHECK
/// constraints off (as a file edited without them).
async fn tamper(url: &str, assignment: &str) {
    let mut raw = SqliteConnection::connect(url).await.unwrap();
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(&mut raw)
        .await
        .unwrap();
    let statement = format!("UPDATE runtime_records SET {assignment} WHERE game_id = 'g'");
    sqlx::query(&statement)
        .execute(&mut raw)
        .await
        .unwrap_or_else(|error| panic!("{statement}: {error}"));
    raw.close().await.unwrap();
}

#[tokio::test]
async fn each_undecodable_column_is_corrupt_naming_the_game_and_the_column() {
    for (assignment, detail) in [
        (
            "status = 'paused'",
            "column status holds \"paused\", which is no runtime status",
        ),
        (
            "current_turn = -1",
            "column current_turn holds -1, outside the turn range 0..=4294967295",
        ),
        (
            "current_turn = 4294967296",
            "column current_turn holds 4294967296, outside the turn range",
        ),
        (
            "skip_next_tick = 2",
            "column skip_next_tick holds 2, not 0 or 1",
        ),
        (
            "created_at_us = 253402300800000000",
            "column created_at_us holds 253402300800000000 µs (253402300800s), outside years 0001..9999",
        ),
        (
            "next_generation_at_us = -62135596800000001",
            "column next_generation_at_us holds -62135596800000001 µs",
        ),
        (
            "engine_health = CAST(x'ff00fe' AS TEXT)",
            "column engine_health cannot be decoded",
        ),
    ] {
        let (_, url) = new_file("corrupt");
        let backend = open(&url).await;
        let mut stored = record("g", Status::Running);
        stored.next_generation_at = Some(at(1_000_000_000, 0));
        backend.insert(stored).await.unwrap();
        tamper(&url, assignment).await;

        let expected = format!("runtime record \"g\": {detail}");
        match backend.fetch("g").await {
            Err(BackendError::Corrupt(message)) => {
                assert!(
                    message.starts_with(&format!("fetch of runtime record \"g\": {expected}")),
                    "{assignment}: {message}"
                );
            }
            other => panic!("{assignment}: fetch gave {other:?}"),
        }
        match backend.scan(ScanFilter::All, None, 10).await {
            Err(BackendError::Corrupt(message)) => {
                assert!(
                    message.starts_with(&format!("scan of all runtime records: {expected}")),
                    "{assignment}: {message}"
                );
            }
            other => panic!("{assignment}: scan gave {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_refused_patch_reports_an_unknown_stored_status_as_corrupt() {
    let (_, url) = new_file("corrupt-patch");
    let backend = open(&url).await;
    backend.insert(record("g", Status::Running)).await.unwrap();
    tamper(&url, "status = 'paused'").await;
    assert_eq!(
        backend
            .patch("g", Some(Status::Running), move_to(Status::Stopped, at(5, 0)))
            .await,
        Err(BackendError::Corrupt(
            "patch of runtime record \"g\": runtime record \"g\": column status holds \"paused\", which is no runtime status".into()
        ))
    );
}
