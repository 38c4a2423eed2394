//! The adapter's own statements issued with plain sqlx, decoding every column of every
//! row into plain values as hand-written sqlx code would.
//!
//! The SQL texts and the `timestamptz` encoding come from the adapter
//! (`runtime_store_postgres::statements`, `PgInstant`), so both sides send the same
//! statement; everything around them here is raw sqlx.

use runtime_store_host::Status;
use runtime_store_postgres::statements::{FETCH, PATCH, SCAN_DUE_RUNNING};
use runtime_store_postgres::timestamp::PgInstant;
use sqlx::PgPool;

/// One row of `runtime_records`, column for column, decoded by position as
/// `sqlx::query_as` does.
pub type RawRecord = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<PgInstant>,
    bool,
    PgInstant,
    PgInstant,
    Option<PgInstant>,
    Option<PgInstant>,
    Option<PgInstant>,
);

/// `fetch` of `game_id`.
pub async fn fetch(pool: &PgPool, game_id: &str) -> Result<Option<RawRecord>, sqlx::Error> {
    sqlx::query_as(FETCH)
        .bind(game_id)
        .fetch_optional(pool)
        .await
}

/// The compare-and-swap `update-status` sends for a move from `from` to `to` that sets
/// no stamp and no optional field; whether it applied.
pub async fn swap_status(
    pool: &PgPool,
    game_id: &str,
    from: Status,
    to: Status,
    now: PgInstant,
) -> Result<bool, sqlx::Error> {
    let no_instant: Option<PgInstant> = None;
    let no_text: Option<&str> = None;
    let (_stored_status, applied): (Option<String>, bool) = sqlx::query_as(PATCH)
        .bind(game_id)
        .bind(Some(from.stored_text()))
        .bind(Some(to.stored_text()))
        .bind(no_instant)
        .bind(no_instant)
        .bind(no_instant)
        .bind(false)
        .bind(no_instant)
        .bind(None::<bool>)
        .bind(None::<i64>)
        .bind(no_text)
        .bind(no_text)
        .bind(no_text)
        .bind(now)
        .fetch_one(pool)
        .await?;
    Ok(applied)
}

/// The first `limit` running records due at `now`.
pub async fn scan_due_running(
    pool: &PgPool,
    now: PgInstant,
    limit: u32,
) -> Result<Vec<RawRecord>, sqlx::Error> {
    sqlx::query_as(SCAN_DUE_RUNNING)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
}
