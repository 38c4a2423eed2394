"""An in-memory storage adapter: a dict keyed by game id, with a sorted index per list
order."""

from __future__ import annotations

import bisect
import dataclasses
import threading
from typing import Any

from .types import (
    InsertOutcome,
    ListPosition,
    PatchOutcome,
    RecordPatch,
    RuntimeRecord,
    ScanFilter,
    ScanKey,
    ScanKind,
    Status,
    Timestamp,
)

_NEWEST_FIRST = ScanFilter.all()
_DUE_FIRST = ScanFilter.due_running(Timestamp(0))


class MemoryBackend:
    """Keeps records in a dict and, per list order, a sorted list of positions
    (`ScanFilter.position`): one newest-first index per status and one soonest-first index
    of the running records with a scheduled tick. A scan finds its start with `bisect` and
    reads at most `limit` positions from there; a write moves the record's positions. A
    lock makes each primitive atomic across threads.

    Records are frozen dataclasses, so handing out the stored objects is safe.
    """

    def __init__(self) -> None:
        self._records: dict[str, RuntimeRecord] = {}
        self._newest: list[ListPosition] = []
        self._by_status: dict[Status, list[ListPosition]] = {status: [] for status in Status}
        self._due: list[ListPosition] = []
        self._lock = threading.Lock()

    def fetch(self, game_id: str) -> RuntimeRecord | None:
        with self._lock:
            return self._records.get(game_id)

    def insert(self, record: RuntimeRecord) -> InsertOutcome:
        with self._lock:
            if record.game_id in self._records:
                return InsertOutcome.ALREADY_EXISTS
            self._store(record)
            return InsertOutcome.INSERTED

    def patch(
        self, game_id: str, expected_status: Status | None, changes: RecordPatch
    ) -> PatchOutcome:
        with self._lock:
            stored = self._records.get(game_id)
            if stored is None:
                return PatchOutcome.not_found()
            if expected_status is not None and stored.status is not expected_status:
                return PatchOutcome.status_mismatch(stored.status)
            self._forget(stored)
            self._store(apply_patch(stored, changes))
            return PatchOutcome.applied()

    def remove(self, game_id: str) -> None:
        with self._lock:
            stored = self._records.get(game_id)
            if stored is not None:
                self._forget(stored)

    def scan(
        self, scan_filter: ScanFilter, after: ScanKey | None, limit: int
    ) -> list[RuntimeRecord]:
        with self._lock:
            if scan_filter.kind is ScanKind.ALL:
                index = self._newest
            elif scan_filter.kind is ScanKind.BY_STATUS:
                index = self._by_status.get(scan_filter.status, []) if scan_filter.status else []
            else:
                index = self._due
            start = (
                0
                if after is None
                else bisect.bisect_right(index, scan_filter.position_of_key(after))
            )
            end = min(len(index), start + max(limit, 0))
            now = scan_filter.now
            if scan_filter.kind is ScanKind.DUE_RUNNING and now is not None:
                # Positions due at `now` sort before (now.seconds, now.nanoseconds + 1, "").
                end = min(
                    end, bisect.bisect_left(index, (now.seconds, now.nanoseconds + 1, ""), start)
                )
            records = self._records
            return [records[position[2]] for position in index[start:end]]

    def _indexes(self, record: RuntimeRecord) -> list[tuple[list[ListPosition], ListPosition]]:
        """The indexes that hold `record`, each with its position there."""
        newest = _NEWEST_FIRST.position(record)
        held = [(self._newest, newest), (self._by_status[record.status], newest)]
        if record.status is Status.RUNNING and record.next_generation_at is not None:
            held.append((self._due, _DUE_FIRST.position(record)))
        return held

    def _store(self, record: RuntimeRecord) -> None:
        self._records[record.game_id] = record
        for index, position in self._indexes(record):
            bisect.insort(index, position)

    def _forget(self, record: RuntimeRecord) -> None:
        del self._records[record.game_id]
        for index, position in self._indexes(record):
            at = bisect.bisect_left(index, position)
            del index[at]


def apply_patch(stored: RuntimeRecord, changes: RecordPatch) -> RuntimeRecord:
    """`stored` with every column `changes` sets; `None` leaves a column alone."""
    columns: dict[str, Any] = {"updated_at": changes.updated_at}
    if changes.status is not None:
        columns["status"] = changes.status.to
        for stamp in ("started_at", "stopped_at", "finished_at"):
            value = getattr(changes.status, stamp)
            if value is not None:
                columns[stamp] = value
    if changes.scheduling is not None:
        columns["next_generation_at"] = changes.scheduling.next_generation_at
        columns["skip_next_tick"] = changes.scheduling.skip_next_tick
        columns["current_turn"] = changes.scheduling.current_turn
    for column in ("current_image_ref", "current_engine_version", "engine_health"):
        value = getattr(changes, column)
        if value is not None:
            columns[column] = value
    return dataclasses.replace(stored, **columns)
