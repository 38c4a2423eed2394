"""A SQLite storage adapter on the standard library's `sqlite3`: persistence with no server."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .types import (
    BackendError,
    InsertOutcome,
    PatchOutcome,
    RecordPatch,
    RuntimeRecord,
    ScanFilter,
    ScanKey,
    ScanKind,
    Status,
    Timestamp,
)

_STATUS_TEXTS = ", ".join(f"'{status.stored_text}'" for status in Status)

# The file format, shared with the Rust adapter (adapters/sqlite): these statements are
# those of adapters/sqlite/migrations/20261201000001_runtime_records.sql, word for word,
# where the format is described; adapters/sqlite/tests/all/python_files.rs checks that
# both create the same schema and read each other's files. Every statement is idempotent,
# so either adapter brings a file the other created (or the first format's) to this one.
# Timestamps are whole microseconds since the epoch in INTEGER columns (*_us): integers
# order as the instants do. game_id's BINARY collation compares UTF-8 bytes.
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runtime_records (
    game_id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ({_STATUS_TEXTS})),
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
DROP INDEX IF EXISTS runtime_records_due;
DROP INDEX IF EXISTS runtime_records_by_status;
DROP INDEX IF EXISTS runtime_records_by_created;
CREATE INDEX IF NOT EXISTS runtime_records_due_idx
    ON runtime_records (next_generation_at_us, game_id)
    WHERE status = 'running';
CREATE INDEX IF NOT EXISTS runtime_records_created_idx
    ON runtime_records (created_at_us DESC, game_id);
CREATE INDEX IF NOT EXISTS runtime_records_status_created_idx
    ON runtime_records (status, created_at_us DESC, game_id);
"""

_COLUMNS = (
    "game_id, status, engine_endpoint, current_image_ref, current_engine_version, "
    "engine_health, current_turn, next_generation_at_us, skip_next_tick, created_at_us, "
    "updated_at_us, started_at_us, stopped_at_us, finished_at_us"
)
_SELECT = f"SELECT {_COLUMNS} FROM runtime_records"
_INSERT = (
    f"INSERT INTO runtime_records ({_COLUMNS}) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (game_id) DO NOTHING"
)

# The scans, as the Rust adapter's (adapters/sqlite/src/statements.rs): each read from its
# index in the answer's order (INDEXED BY: the statement fails rather than fall back to
# another plan) from the key it is given (keyset, never OFFSET). A bound on the instant
# column limits the index range and the OR settles the ties at the bound by game id; every
# tie qualifies when the game id is NULL (a key between two stored microseconds).
_BY_CREATED = f"{_SELECT} INDEXED BY runtime_records_created_idx"
_BY_STATUS = f"{_SELECT} INDEXED BY runtime_records_status_created_idx"
_BY_DUE = f"{_SELECT} INDEXED BY runtime_records_due_idx"
_NEWEST_FIRST = "ORDER BY created_at_us DESC, game_id LIMIT ?"
_OLDER_THAN_KEY = "created_at_us <= ?1 AND (created_at_us < ?1 OR ?2 IS NULL OR game_id > ?2)"
_SOONEST_FIRST = "ORDER BY next_generation_at_us, game_id LIMIT ?"
_DUE = "status = 'running' AND next_generation_at_us <= ?"
_LATER_THAN_KEY = (
    "next_generation_at_us >= ?1 AND (next_generation_at_us > ?1 OR ?2 IS NULL OR game_id > ?2)"
)

# 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in microseconds: the range of a
# valid timestamp; a stored value outside it is no record's.
_FIRST_VALID_MICROS = -62_135_596_800_000_000
_LAST_VALID_MICROS = 253_402_300_799_999_999

_T = TypeVar("_T")


def _micros(timestamp: Timestamp) -> int:
    return timestamp.seconds * 1_000_000 + timestamp.nanoseconds // 1000


def _optional_micros(timestamp: Timestamp | None) -> int | None:
    return None if timestamp is None else _micros(timestamp)


class SqliteBackend:
    """Stores records in one table of a SQLite database file (or `":memory:"`), in the file
    format of the Rust adapter (`runtime-store-sqlite`): either opens the other's files.

    `fetch`, `insert`, `remove` and `scan` are one statement each in autocommit mode;
    `patch` is one `BEGIN IMMEDIATE` transaction (the file's write lock first, then the
    conditional UPDATE and, when it wrote nothing, the read of why), so of racing swaps
    from the same status exactly one wins, across threads and processes. A file is put in
    WAL mode; a statement waits up to 5 s for another writer. A lock serialises use of the
    single connection across threads.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self._path = os.fspath(path)
        self._lock = threading.Lock()
        try:
            self._connection = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False
            )
            if self._path not in ("", ":memory:"):
                self._connection.execute("PRAGMA journal_mode = WAL")
            self._connection.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise BackendError.unavailable(
                f"open SQLite database {self._path!r}: {error}"
            ) from error

    def close(self) -> None:
        """Closes the connection; later calls fail with a backend error."""
        with self._lock:
            self._connection.close()

    def __enter__(self) -> SqliteBackend:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def fetch(self, game_id: str) -> RuntimeRecord | None:
        def run(db: sqlite3.Connection) -> RuntimeRecord | None:
            row = db.execute(f"{_SELECT} WHERE game_id = ?", (game_id,)).fetchone()
            return None if row is None else _decode(row)

        return self._run(f"fetch game {game_id!r}", run)

    def insert(self, record: RuntimeRecord) -> InsertOutcome:
        def run(db: sqlite3.Connection) -> InsertOutcome:
            cursor = db.execute(_INSERT, _encode(record))
            if cursor.rowcount == 1:
                return InsertOutcome.INSERTED
            return InsertOutcome.ALREADY_EXISTS

        return self._run(f"insert game {record.game_id!r}", run)

    def patch(
        self, game_id: str, expected_status: Status | None, changes: RecordPatch
    ) -> PatchOutcome:
        assignments = _assignments(changes)
        setters = ", ".join(f"{column} = ?" for column in assignments)
        values = list(assignments.values())
        condition = "game_id = ?"
        values.append(game_id)
        if expected_status is not None:
            condition += " AND status = ?"
            values.append(expected_status.stored_text)

        def run(db: sqlite3.Connection) -> PatchOutcome:
            # The write lock first: between the update and the read of why it wrote
            # nothing, no other connection or process can change the row.
            db.execute("BEGIN IMMEDIATE")
            try:
                updated = db.execute(
                    f"UPDATE runtime_records SET {setters} WHERE {condition}", values
                ).rowcount
                row = None
                if updated != 1:
                    row = db.execute(
                        "SELECT status FROM runtime_records WHERE game_id = ?", (game_id,)
                    ).fetchone()
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            if updated == 1:
                return PatchOutcome.applied()
            if row is None:
                return PatchOutcome.not_found()
            return PatchOutcome.status_mismatch(_status(game_id, row[0]))

        return self._run(f"patch game {game_id!r}", run)

    def remove(self, game_id: str) -> None:
        self._run(
            f"remove game {game_id!r}",
            lambda db: db.execute("DELETE FROM runtime_records WHERE game_id = ?", (game_id,)),
        )

    def scan(
        self, scan_filter: ScanFilter, after: ScanKey | None, limit: int
    ) -> list[RuntimeRecord]:
        query, params = _scan_query(scan_filter, after, limit)
        return self._run(
            f"scan {scan_filter.kind.value}",
            lambda db: [_decode(row) for row in db.execute(query, params)],
        )

    def _run(self, what: str, action: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._lock:
            try:
                return action(self._connection)
            except BackendError:
                raise
            except (sqlite3.OperationalError, sqlite3.ProgrammingError) as error:
                # Locked, busy, unreadable or closed database: the store cannot be reached now.
                raise BackendError.unavailable(f"sqlite {what}: {error}") from error
            except sqlite3.Error as error:
                raise BackendError.failed(f"sqlite {what}: {error}") from error


def _scan_query(
    scan_filter: ScanFilter, after: ScanKey | None, limit: int
) -> tuple[str, tuple[Any, ...]]:
    """The statement and parameters of one page of `scan_filter` after `after`."""
    if after is None:
        if scan_filter.kind is ScanKind.ALL:
            return f"{_BY_CREATED} {_NEWEST_FIRST}", (limit,)
        if scan_filter.kind is ScanKind.BY_STATUS:
            assert scan_filter.status is not None
            return f"{_BY_STATUS} WHERE status = ? {_NEWEST_FIRST}", (
                scan_filter.status.stored_text,
                limit,
            )
        assert scan_filter.now is not None
        return f"{_BY_DUE} WHERE {_DUE} {_SOONEST_FIRST}", (_micros(scan_filter.now), limit)
    # Numbered parameters throughout: ?1 and ?2 are the key's bound and game id.
    bound, game_id = _keyset_bound(scan_filter, after)
    if scan_filter.kind is ScanKind.ALL:
        return f"{_BY_CREATED} WHERE {_OLDER_THAN_KEY} {_NEWEST_FIRST.replace('?', '?3')}", (
            bound,
            game_id,
            limit,
        )
    if scan_filter.kind is ScanKind.BY_STATUS:
        assert scan_filter.status is not None
        return (
            f"{_BY_STATUS} WHERE {_OLDER_THAN_KEY} AND status = ?3 "
            f"{_NEWEST_FIRST.replace('?', '?4')}",
            (bound, game_id, scan_filter.status.stored_text, limit),
        )
    assert scan_filter.now is not None
    return (
        f"{_BY_DUE} WHERE {_DUE.replace('?', '?3')} AND {_LATER_THAN_KEY} "
        f"{_SOONEST_FIRST.replace('?', '?4')}",
        (bound, game_id, _micros(scan_filter.now), limit),
    )


def _keyset_bound(scan_filter: ScanFilter, key: ScanKey) -> tuple[int, str | None]:
    """The bound and tie-breaking game id a page after `key` is read from. Stored instants
    are whole microseconds; a key between two of them (a sub-microsecond part) puts every
    record of the microsecond below it on one side: after the key newest first, before it
    soonest first. The game id is then `None`: every tie at the bound qualifies."""
    floor = _micros(key.at)
    if key.at.nanoseconds % 1000 == 0:
        return floor, key.game_id
    if scan_filter.kind is ScanKind.DUE_RUNNING:
        return floor + 1, None
    return floor, None


def _encode(record: RuntimeRecord) -> tuple[Any, ...]:
    return (
        record.game_id,
        record.status.stored_text,
        record.engine_endpoint,
        record.current_image_ref,
        record.current_engine_version,
        record.engine_health,
        record.current_turn,
        _optional_micros(record.next_generation_at),
        int(record.skip_next_tick),
        _micros(record.created_at),
        _micros(record.updated_at),
        _optional_micros(record.started_at),
        _optional_micros(record.stopped_at),
        _optional_micros(record.finished_at),
    )


def _assignments(changes: RecordPatch) -> dict[str, Any]:
    """Column -> new value for every column `changes` writes; column names are fixed here."""
    columns: dict[str, Any] = {"updated_at_us": _micros(changes.updated_at)}
    if changes.status is not None:
        columns["status"] = changes.status.to.stored_text
        for stamp in ("started_at", "stopped_at", "finished_at"):
            value = getattr(changes.status, stamp)
            if value is not None:
                columns[f"{stamp}_us"] = _micros(value)
    if changes.scheduling is not None:
        columns["next_generation_at_us"] = _optional_micros(changes.scheduling.next_generation_at)
        columns["skip_next_tick"] = int(changes.scheduling.skip_next_tick)
        columns["current_turn"] = changes.scheduling.current_turn
    for column in ("current_image_ref", "current_engine_version", "engine_health"):
        value = getattr(changes, column)
        if value is not None:
            columns[column] = value
    return columns


def _status(game_id: str, text: Any) -> Status:
    try:
        return Status.from_stored_text(text)
    except ValueError:
        raise BackendError.corrupt(
            f"game {game_id!r}: column status holds unknown status {text!r}"
        ) from None


def _timestamp(game_id: str, column: str, micros: int) -> Timestamp:
    if not _FIRST_VALID_MICROS <= micros <= _LAST_VALID_MICROS:
        raise BackendError.corrupt(
            f"game {game_id!r}: column {column} holds {micros}, outside years 0001..9999"
        )
    seconds, rest = divmod(micros, 1_000_000)
    return Timestamp(seconds, rest * 1000)


def _optional_timestamp(game_id: str, column: str, micros: int | None) -> Timestamp | None:
    return None if micros is None else _timestamp(game_id, column, micros)


def _decode(row: tuple[Any, ...]) -> RuntimeRecord:
    game_id = row[0]
    if not 0 <= row[6] <= 0xFFFF_FFFF:
        raise BackendError.corrupt(
            f"game {game_id!r}: column current_turn holds {row[6]}, outside u32"
        )
    if row[8] not in (0, 1):
        raise BackendError.corrupt(
            f"game {game_id!r}: column skip_next_tick holds {row[8]}, not 0 or 1"
        )
    return RuntimeRecord(
        game_id=game_id,
        status=_status(game_id, row[1]),
        engine_endpoint=row[2],
        current_image_ref=row[3],
        current_engine_version=row[4],
        engine_health=row[5],
        current_turn=row[6],
        next_generation_at=_optional_timestamp(game_id, "next_generation_at_us", row[7]),
        skip_next_tick=bool(row[8]),
        created_at=_timestamp(game_id, "created_at_us", row[9]),
        updated_at=_timestamp(game_id, "updated_at_us", row[10]),
        started_at=_optional_timestamp(game_id, "started_at_us", row[11]),
        stopped_at=_optional_timestamp(game_id, "stopped_at_us", row[12]),
        finished_at=_optional_timestamp(game_id, "finished_at_us", row[13]),
    )
