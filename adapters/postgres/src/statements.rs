//! The SQL of the five primitives: one statement each, every value a bind parameter.
//!
//! Public so that what reaches the server can be matched and reproduced outside the
//! adapter: `EXPLAIN` a statement exactly as it is prepared, find it in
//! `pg_stat_statements` or `pg_prepared_statements`, or issue it from other sqlx code.
//! Timestamps are bound and read as [`PgInstant`](crate::timestamp::PgInstant).

/// The columns of a record: the select list of every read (decoded by name) and the
/// column list of [`INSERT`], whose parameters `$1..$14` follow this order.
macro_rules! record_columns {
    () => {
        "game_id, status, engine_endpoint, current_image_ref, current_engine_version, \
         engine_health, current_turn, next_generation_at, skip_next_tick, created_at, \
         updated_at, started_at, stopped_at, finished_at"
    };
}

/// A read of whole records: every column, then `$rest` (filter and order).
macro_rules! select_records {
    ($rest:literal) => {
        concat!(
            "SELECT ",
            record_columns!(),
            " FROM runtime_records ",
            $rest
        )
    };
}

/// `$1` game id.
pub const FETCH: &str = select_records!("WHERE game_id = $1");

/// `$1..$14` the columns in the order of the select list of [`FETCH`]. The primary key decides
/// inserted-or-exists atomically: rows affected is 1 or 0.
pub const INSERT: &str = concat!(
    "INSERT INTO runtime_records (",
    record_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
     ON CONFLICT (game_id) DO NOTHING"
);

/// The compare-and-swap. `$1` game id, `$2` expected status or NULL; `$3` new status,
/// `$4..$6` new started/stopped/finished stamps (NULL leaves a column alone), `$7` whether
/// the scheduling columns change and `$8..$10` their values, `$11..$13` image ref, engine
/// version, engine health (NULL leaves alone), `$14` updated-at.
///
/// `target` locks the row (`FOR UPDATE`). Under READ COMMITTED a lock that waited for a
/// concurrent writer returns the row as that writer committed it, so the status compared
/// and reported is the current one, never the statement snapshot's: of N racing swaps
/// from the same status exactly one matches, and every loser reports the winner's status
/// (or not-found when the row was deleted meanwhile). The UPDATE then changes the row
/// this transaction already holds. Returns one row: the stored status (NULL when there
/// is no row) and whether the update applied.
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

/// `$1` game id.
pub const REMOVE: &str = "DELETE FROM runtime_records WHERE game_id = $1";

// The scans: one statement per filter for the first page and one for the pages after a
// key, each read in its index's order and cut by LIMIT (the last parameter, a bigint).
// A page after a key is a keyset condition on the index columns, never an OFFSET: its
// cost follows the page, not its depth. The newest-first order mixes directions
// (`created_at DESC, game_id ASC`), which a row comparison cannot say; `created_at <= $at`
// bounds the index range and the OR settles the ties. game_id is `COLLATE "C"`, so its
// comparisons and its index order are by bytes, as the rules check.

/// Every record newest first, from `runtime_records_created_idx`. `$1` limit.
pub const SCAN_ALL: &str = select_records!("ORDER BY created_at DESC, game_id LIMIT $1");

/// As [`SCAN_ALL`], after the record created at `$1` with game id `$2`; `$3` limit.
pub const SCAN_ALL_AFTER: &str = select_records!(
    "WHERE created_at <= $1 AND (created_at < $1 OR game_id > $2) \
     ORDER BY created_at DESC, game_id LIMIT $3"
);

/// `$1` status text, `$2` limit; served by `runtime_records_status_created_idx`.
pub const SCAN_BY_STATUS: &str =
    select_records!("WHERE status = $1 ORDER BY created_at DESC, game_id LIMIT $2");

/// As [`SCAN_BY_STATUS`], after the record created at `$2` with game id `$3`; `$4` limit.
pub const SCAN_BY_STATUS_AFTER: &str = select_records!(
    "WHERE status = $1 AND created_at <= $2 AND (created_at < $2 OR game_id > $3) \
     ORDER BY created_at DESC, game_id LIMIT $4"
);

/// `$1` now, `$2` limit. `'running'` is written into the statement, not bound: only a
/// literal lets the planner prove the partial index `runtime_records_due_idx` applies to
/// every execution of the prepared statement.
pub const SCAN_DUE_RUNNING: &str = select_records!(
    "WHERE status = 'running' AND next_generation_at <= $1 \
     ORDER BY next_generation_at, game_id LIMIT $2"
);

/// As [`SCAN_DUE_RUNNING`], after the record due at `$2` with game id `$3`; `$4` limit.
pub const SCAN_DUE_RUNNING_AFTER: &str = select_records!(
    "WHERE status = 'running' AND next_generation_at <= $1 \
     AND (next_generation_at, game_id) > ($2, $3) \
     ORDER BY next_generation_at, game_id LIMIT $4"
);
