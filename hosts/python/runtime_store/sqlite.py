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
    ScanKind,
    Status,
    Timestamp,
)

_STATUS_TEXTS = ", ".join(f"'{status.stored_text}'" for status in Status)

# Timestamps are whole microseconds since the epoch in one INTEGER column: the component
# hands backends microsecond-truncated values, and one column keeps the due-running scan a
# plain range over an index.
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
CREATE INDEX IF NOT EXISTS runtime_records_due
    ON runtime_records (next_generation_at_us) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS runtime_records_by_status
    ON runtime_records (status, created_at_us);
CREATE INDEX IF NOT EXISTS runtime_records_by_created
    ON runtime_records (created_at_us);
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

_T = TypeVar("_T")


def _micros(timestamp: Timestamp) -> int:
    return timestamp.seconds * 1_000_000 + timestamp.nanoseconds // 1000


def _optional_micros(timestamp: Timestamp | None) -> int | None:
    return None if timestamp is None else _micros(timestamp)


class SqliteBackend:
    """Stores records in one table of a SQLite database file (or `":memory:"`).

    Each primitive is one statement in autocommit mode, so each is atomic; `patch` is one
    conditional UPDATE. A lock serialises use of the single connection across threads.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self._path = os.fspath(path)
        self._lock = threading.Lock()
        try:
            self._connection = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False
            )
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
            updated = db.execute(
                f"UPDATE runtime_records SET {setters} WHERE {condition}", values
            ).rowcount
            if updated == 1:
                return PatchOutcome.applied()
            # Nothing was written; this read only tells the caller why.
            row = db.execute(
                "SELECT status FROM runtime_records WHERE game_id = ?", (game_id,)
            ).fetchone()
            if row is None:
                return PatchOutcome.not_found()
            return PatchOutcome.status_mismatch(_status(game_id, row[0]))

        return self._run(f"patch game {game_id!r}", run)

    def remove(self, game_id: str) -> None:
        self._run(
            f"remove game {game_id!r}",
            lambda db: db.execute("DELETE FROM runtime_records WHERE game_id = ?", (game_id,)),
        )

    def scan(self, scan_filter: ScanFilter) -> list[RuntimeRecord]:
        query = _SELECT
        params: tuple[Any, ...] = ()
        if scan_filter.kind is ScanKind.BY_STATUS:
            assert scan_filter.status is not None
            query += " WHERE status = ?"
            params = (scan_filter.status.stored_text,)
        elif scan_filter.kind is ScanKind.DUE_RUNNING:
            assert scan_filter.now is not None
            query += " WHERE status = 'running' AND next_generation_at_us <= ?"
            params = (_micros(scan_filter.now),)

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


def _timestamp(micros: int) -> Timestamp:
    seconds, rest = divmod(micros, 1_000_000)
    return Timestamp(seconds, rest * 1000)


def _optional_timestamp(micros: int | None) -> Timestamp | None:
    return None if micros is None else _timestamp(micros)


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
        next_generation_at=_optional_timestamp(row[7]),
        skip_next_tick=bool(row[8]),
        created_at=_timestamp(row[9]),
        updated_at=_timestamp(row[10]),
        started_at=_optional_timestamp(row[11]),
        stopped_at=_optional_timestamp(row[12]),
        finished_at=_optional_timestamp(row[13]),
    )
