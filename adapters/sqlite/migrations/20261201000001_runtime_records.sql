-- The runtime record store's SQLite file format, shared with the Python host's SQLite
-- adapter (hosts/python/runtime_store/sqlite.py runs these same statements, word for word,
-- when it opens a file; a test in adapters/sqlite/tests/all/python_files.rs compares the
-- schemas each one creates and reads each one's records with the other). Every statement is
-- idempotent, so a file either adapter created is brought to this schema by the other.
--
-- One row per game, one column per record field. Timestamps are whole microseconds since
-- 1970-01-01T00:00:00Z in INTEGER columns named *_us (the rules hand backends microsecond-
-- truncated values): integers order as the instants do, negative ones included. game_id
-- uses SQLite's default BINARY collation, which compares UTF-8 bytes: the order the rules
-- use for ties. Booleans are 0 or 1. STRICT makes SQLite refuse a value of another type.
CREATE TABLE IF NOT EXISTS runtime_records (
    game_id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('starting', 'running', 'generation_in_progress', 'generation_failed', 'engine_unreachable', 'stopped', 'finished')),
    engine_endpoint TEXT NOT NULL,
    current_image_ref TEXT NOT NULL,
    current_engine_version TEXT NOT NULL,
    engine_health TEXT NOT NULL,
    current_turn INTEGER NOT NULL,
    next_generation_at_us INTEGER,
    skip_next_tick INTEGER NOT NULL,
    created_at_us INTEGER NOT NULL,
    updated_at_us INTEGER NOT NULL,
    started_at_us INTEGER,
    stopped_at_us INTEGER,
    finished_at_us INTEGER
) STRICT;
-- The first format's indexes had no game_id column, so they could not serve a keyset page.
DROP INDEX IF EXISTS runtime_records_due;
DROP INDEX IF EXISTS runtime_records_by_status;
DROP INDEX IF EXISTS runtime_records_by_created;
-- Due-running scan: status = 'running' AND next_generation_at_us <= ? ORDER BY
-- next_generation_at_us, game_id. Only running rows are ever due.
CREATE INDEX IF NOT EXISTS runtime_records_due_idx
    ON runtime_records (next_generation_at_us, game_id)
    WHERE status = 'running';
-- Scan of all records: ORDER BY created_at_us DESC, game_id.
CREATE INDEX IF NOT EXISTS runtime_records_created_idx
    ON runtime_records (created_at_us DESC, game_id);
-- Scan by status: WHERE status = ? ORDER BY created_at_us DESC, game_id.
CREATE INDEX IF NOT EXISTS runtime_records_status_created_idx
    ON runtime_records (status, created_at_us DESC, game_id);
