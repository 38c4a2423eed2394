-- One row per game: the runtime record of SPEC section 2.1.
--
-- game_id sorts by bytes (COLLATE "C"), the order the rules use for ties, so index order
-- and the rules' order agree and the primary key stays collation-independent.
CREATE TABLE runtime_records (
    game_id                text COLLATE "C" NOT NULL,
    status                 text NOT NULL,
    engine_endpoint        text NOT NULL,
    current_image_ref      text NOT NULL,
    current_engine_version text NOT NULL,
    engine_health          text NOT NULL,
    -- u32 in full: integer stops at 2^31 - 1.
    current_turn           bigint NOT NULL,
    next_generation_at     timestamptz,
    skip_next_tick         boolean NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    started_at             timestamptz,
    stopped_at             timestamptz,
    finished_at            timestamptz,
    CONSTRAINT runtime_records_pkey PRIMARY KEY (game_id),
    CONSTRAINT runtime_records_status_check CHECK (status IN (
        'starting', 'running', 'generation_in_progress', 'generation_failed',
        'engine_unreachable', 'stopped', 'finished'
    )),
    CONSTRAINT runtime_records_current_turn_check CHECK (current_turn BETWEEN 0 AND 4294967295)
);

-- list-due-running: status = 'running' AND next_generation_at <= $1
-- ORDER BY next_generation_at, game_id. Only running rows are ever due, so the index holds
-- just those and is read in the answer's order up to the first row not yet due.
CREATE INDEX runtime_records_due_idx
    ON runtime_records (next_generation_at, game_id)
    WHERE status = 'running';

-- list: ORDER BY created_at DESC, game_id, streamed in index order instead of sorted.
CREATE INDEX runtime_records_created_idx
    ON runtime_records (created_at DESC, game_id);

-- list-by-status: WHERE status = $1 ORDER BY created_at DESC, game_id, one index range.
CREATE INDEX runtime_records_status_created_idx
    ON runtime_records (status, created_at DESC, game_id);
