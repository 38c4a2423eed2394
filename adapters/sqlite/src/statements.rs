//! The SQL of the five primitives, every value a bind parameter (`?N`).
//!
//! Public so that what the adapter sends can be reproduced outside it (`EXPLAIN QUERY
//! PLAN`, other code on the same file). Timestamps are bound and read as whole
//! microseconds since the Unix epoch ([`crate::micros`]).

/// The columns of a record: the select list of every read (decoded by name) and the
/// column list of [`INSERT`], whose parameters `?1..?14` follow this order.
macro_rules! record_columns {
    () => {
        "game_id, status, engine_endpoint, current_image_ref, current_engine_version, \
         engine_health, current_turn, next_generation_at_us, skip_next_tick, created_at_us, \
         updated_at_us, started_at_us, stopped_at_us, finished_at_us"
    };
}

/// A read of whole records from `$from` (the table, with its index), then `$rest`.
macro_rules! select_records {
    ($from:literal, $rest:literal) => {
        concat!("SELECT ", record_columns!(), " FROM ", $from, " ", $rest)
    };
}

/// `?1` game id.
pub const FETCH: &str = select_records!("runtime_records", "WHERE game_id = ?1");

/// `?1..?14` the columns in the order of the select list of [`FETCH`]. The primary key
/// decides inserted-or-exists in the statement itself: rows affected is 1 or 0.
pub const INSERT: &str = concat!(
    "INSERT INTO runtime_records (",
    record_columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
     ON CONFLICT (game_id) DO NOTHING"
);

/// The compare-and-swap's write, run inside a `BEGIN IMMEDIATE` transaction (which holds
/// the file's write lock from its start, so nothing changes between this statement and
/// [`STATUS_OF`] after it). `?1` game id, `?2` expected status or NULL; `?3` new status,
/// `?4..?6` new started/stopped/finished stamps (NULL leaves a column alone), `?7` whether
/// the scheduling columns change and `?8..?10` their values, `?11..?13` image ref, engine
/// version, engine health (NULL leaves alone), `?14` updated-at. Returns one row when it
/// applied, none when the record is missing or its status differs.
pub const PATCH: &str = "\
UPDATE runtime_records SET
    status = COALESCE(?3, status),
    started_at_us = COALESCE(?4, started_at_us),
    stopped_at_us = COALESCE(?5, stopped_at_us),
    finished_at_us = COALESCE(?6, finished_at_us),
    next_generation_at_us = CASE WHEN ?7 THEN ?8 ELSE next_generation_at_us END,
    skip_next_tick = CASE WHEN ?7 THEN ?9 ELSE skip_next_tick END,
    current_turn = CASE WHEN ?7 THEN ?10 ELSE current_turn END,
    current_image_ref = COALESCE(?11, current_image_ref),
    current_engine_version = COALESCE(?12, current_engine_version),
    engine_health = COALESCE(?13, engine_health),
    updated_at_us = ?14
WHERE game_id = ?1 AND (?2 IS NULL OR status = ?2)
RETURNING 1";

/// Why [`PATCH`] wrote nothing, in the same transaction: the stored status, or no row.
/// `?1` game id.
pub const STATUS_OF: &str = "SELECT status FROM runtime_records WHERE game_id = ?1";

/// `?1` game id.
pub const REMOVE: &str = "DELETE FROM runtime_records WHERE game_id = ?1";

// The scans: one statement per filter for the first page and one for the pages after a
// key, each read from its index (INDEXED BY: the statement fails rather than fall back to
// another plan) in the answer's order and cut by LIMIT (the last parameter). A page after a
// key is a keyset condition on the index columns, never an OFFSET: a bound on the instant
// column limits the index range, and the OR settles the ties at the bound by game id
// (every tie qualifies when the game id is bound to NULL: a key whose instant has a
// sub-microsecond part lies strictly between two stored instants, see
// `SqliteBackend::scan`). game_id has the BINARY collation: its comparisons and index
// order are by UTF-8 bytes.

/// Every record newest first, from `runtime_records_created_idx`. `?1` limit.
pub const SCAN_ALL: &str = select_records!(
    "runtime_records INDEXED BY runtime_records_created_idx",
    "ORDER BY created_at_us DESC, game_id LIMIT ?1"
);

/// As [`SCAN_ALL`], after the record created at `?1` with game id `?2` (NULL: after
/// every record created at `?1`); `?3` limit.
pub const SCAN_ALL_AFTER: &str = select_records!(
    "runtime_records INDEXED BY runtime_records_created_idx",
    "WHERE created_at_us <= ?1 AND (created_at_us < ?1 OR ?2 IS NULL OR game_id > ?2) \
     ORDER BY created_at_us DESC, game_id LIMIT ?3"
);

/// `?1` status text, `?2` limit; from `runtime_records_status_created_idx`.
pub const SCAN_BY_STATUS: &str = select_records!(
    "runtime_records INDEXED BY runtime_records_status_created_idx",
    "WHERE status = ?1 ORDER BY created_at_us DESC, game_id LIMIT ?2"
);

/// As [`SCAN_BY_STATUS`], after the record created at `?2` with game id `?3` (NULL: after
/// every record created at `?2`); `?4` limit.
pub const SCAN_BY_STATUS_AFTER: &str = select_records!(
    "runtime_records INDEXED BY runtime_records_status_created_idx",
    "WHERE status = ?1 AND created_at_us <= ?2 \
     AND (created_at_us < ?2 OR ?3 IS NULL OR game_id > ?3) \
     ORDER BY created_at_us DESC, game_id LIMIT ?4"
);

/// `?1` now, `?2` limit; from the partial index `runtime_records_due_idx`, which only a
/// literal `'running'` lets SQLite use.
pub const SCAN_DUE_RUNNING: &str = select_records!(
    "runtime_records INDEXED BY runtime_records_due_idx",
    "WHERE status = 'running' AND next_generation_at_us <= ?1 \
     ORDER BY next_generation_at_us, game_id LIMIT ?2"
);

/// As [`SCAN_DUE_RUNNING`], after the record due at `?2` with game id `?3` (NULL: from
/// the first record due at `?2`); `?4` limit.
pub const SCAN_DUE_RUNNING_AFTER: &str = select_records!(
    "runtime_records INDEXED BY runtime_records_due_idx",
    "WHERE status = 'running' AND next_generation_at_us <= ?1 \
     AND next_generation_at_us >= ?2 \
     AND (next_generation_at_us > ?2 OR ?3 IS NULL OR game_id > ?3) \
     ORDER BY next_generation_at_us, game_id LIMIT ?4"
);
