//! The adapter's statements issued with plain sqlx, decoding every column of every row
//! into plain values as hand-written sqlx code would.
//!
//! The adapter keeps its SQL private (`adapters/postgres/src/statements.rs`), so the text
//! is repeated here; [`verify_same_statements`] checks against the server, before
//! anything is measured, that the adapter prepares exactly these texts.

use std::collections::HashSet;

use anyhow::{Context, bail};
use runtime_store_backend::{Backend, RecordPatch, ScanFilter, StatusChange};
use runtime_store_host::{Status, Timestamp};
use runtime_store_postgres::PostgresBackend;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::{Decode, Encode, PgPool, Postgres, Type};

/// The primitive `fetch`.
pub const FETCH: &str = "SELECT game_id, status, engine_endpoint, current_image_ref, \
    current_engine_version, engine_health, current_turn, next_generation_at, skip_next_tick, \
    created_at, updated_at, started_at, stopped_at, finished_at FROM runtime_records \
    WHERE game_id = $1";

/// The primitive `patch`, the compare-and-swap of `update-status`.
pub const PATCH: &str = "\
WITH target AS MATERIALIZED (
    SELECT game_id, status FROM runtime_records WHERE game_id = $1 FOR UPDATE
), updated AS (
    UPDATE runtime_records AS record SET
        status = COALESCE($3, record.status),
        started_at = COALESCE($4, record.started_at),
        stopped_at = COALESCE($5, record.stopped_at),
        finished_at = COALESCE($6, record.finished_at),
        next_generation_at = CASE WHEN $7 THEN $8 ELSE record.next_generation_at END,
        skip_next_tick = CASE WHEN $7 THEN $9 ELSE record.skip_next_tick END,
        current_turn = CASE WHEN $7 THEN $10 ELSE record.current_turn END,
        current_image_ref = COALESCE($11, record.current_image_ref),
        current_engine_version = COALESCE($12, record.current_engine_version),
        engine_health = COALESCE($13, record.engine_health),
        updated_at = $14
    FROM target
    WHERE record.game_id = target.game_id AND ($2::text IS NULL OR target.status = $2)
    RETURNING 1
)
SELECT (SELECT status FROM target) AS stored_status, EXISTS (SELECT 1 FROM updated) AS applied";

/// The primitive `scan` of `list-due-running`.
pub const SCAN_DUE_RUNNING: &str = "SELECT game_id, status, engine_endpoint, current_image_ref, \
    current_engine_version, engine_health, current_turn, next_generation_at, skip_next_tick, \
    created_at, updated_at, started_at, stopped_at, finished_at FROM runtime_records \
    WHERE status = 'running' AND next_generation_at <= $1 ORDER BY next_generation_at, game_id";

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z.
const POSTGRES_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// A `timestamptz` as it travels in binary: microseconds since PostgreSQL's epoch. (Plain
/// sqlx needs its `time` or `chrono` feature for timestamps; neither is in the workspace,
/// and enabling one here would change sqlx for every crate built with this one.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawInstant(i64);

impl RawInstant {
    /// `timestamp`, whose sub-microsecond part is zero in every fixture.
    pub fn of(timestamp: Timestamp) -> Self {
        RawInstant(
            timestamp.seconds * 1_000_000 + i64::from(timestamp.nanoseconds / 1_000)
                - POSTGRES_EPOCH_UNIX_MICROS,
        )
    }
}

impl Type<Postgres> for RawInstant {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(1184))
    }
}

impl Encode<'_, Postgres> for RawInstant {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for RawInstant {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        if value.format() != PgValueFormat::Binary {
            return Err("a timestamptz in text format".into());
        }
        let bytes: [u8; 8] = value
            .as_bytes()?
            .try_into()
            .map_err(|_| "a timestamptz that is not 8 bytes long")?;
        Ok(RawInstant(i64::from_be_bytes(bytes)))
    }
}

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
    Option<RawInstant>,
    bool,
    RawInstant,
    RawInstant,
    Option<RawInstant>,
    Option<RawInstant>,
    Option<RawInstant>,
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
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let no_instant: Option<RawInstant> = None;
    let no_text: Option<&str> = None;
    let (_stored_status, applied): (Option<String>, bool) = sqlx::query_as(PATCH)
        .bind(game_id)
        .bind(Some(from.as_str()))
        .bind(Some(to.as_str()))
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
        .bind(RawInstant::of(now))
        .fetch_one(pool)
        .await?;
    Ok(applied)
}

/// The running records due at `now`.
pub async fn scan_due_running(
    pool: &PgPool,
    now: Timestamp,
) -> Result<Vec<RawRecord>, sqlx::Error> {
    sqlx::query_as(SCAN_DUE_RUNNING)
        .bind(RawInstant::of(now))
        .fetch_all(pool)
        .await
}

/// Runs the adapter's `fetch`, `patch` and due-running `scan` on `backend`, whose pool
/// has exactly one connection, and checks that the statements that connection prepared
/// include each text above verbatim.
pub async fn verify_same_statements(
    backend: &PostgresBackend,
    game_id: &str,
) -> anyhow::Result<()> {
    let now = crate::fixtures::NOW;
    backend
        .fetch(game_id)
        .await
        .with_context(|| format!("fetch of runtime record {game_id} through the adapter"))?;
    let unchanged = RecordPatch {
        status: Some(StatusChange {
            to: Status::Running,
            started_at: None,
            stopped_at: None,
            finished_at: None,
        }),
        scheduling: None,
        current_image_ref: None,
        current_engine_version: None,
        engine_health: None,
        updated_at: now,
    };
    backend
        .patch(game_id, Some(Status::Finished), unchanged)
        .await
        .with_context(|| format!("patch of runtime record {game_id} through the adapter"))?;
    backend
        .scan(ScanFilter::DueRunning(now))
        .await
        .context("scan of due running records through the adapter")?;
    let prepared: HashSet<String> =
        sqlx::query_scalar("SELECT statement FROM pg_prepared_statements")
            .fetch_all(backend.pool())
            .await
            .context("reading the statements the adapter's connection prepared")?
            .into_iter()
            .collect();
    for (name, statement) in [
        ("fetch", FETCH),
        ("patch", PATCH),
        ("scan due running", SCAN_DUE_RUNNING),
    ] {
        if !prepared.contains(statement) {
            bail!(
                "the raw {name} statement is not the one the adapter sends; the adapter \
                 prepared: {prepared:#?}"
            );
        }
    }
    Ok(())
}
