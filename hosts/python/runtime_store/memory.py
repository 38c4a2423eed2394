"""An in-memory storage adapter: a dict keyed by game id."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from .types import (
    InsertOutcome,
    PatchOutcome,
    RecordPatch,
    RuntimeRecord,
    ScanFilter,
    Status,
)


class MemoryBackend:
    """Keeps records in a dict; a lock makes each primitive atomic across threads.

    Records are frozen dataclasses, so handing out the stored objects is safe.
    """

    def __init__(self) -> None:
        self._records: dict[str, RuntimeRecord] = {}
        self._lock = threading.Lock()

    def fetch(self, game_id: str) -> RuntimeRecord | None:
        with self._lock:
            return self._records.get(game_id)

    def insert(self, record: RuntimeRecord) -> InsertOutcome:
        with self._lock:
            if record.game_id in self._records:
                return InsertOutcome.ALREADY_EXISTS
            self._records[record.game_id] = record
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
            self._records[game_id] = apply_patch(stored, changes)
            return PatchOutcome.applied()

    def remove(self, game_id: str) -> None:
        with self._lock:
            self._records.pop(game_id, None)

    def scan(self, scan_filter: ScanFilter) -> list[RuntimeRecord]:
        with self._lock:
            return [record for record in self._records.values() if scan_filter.matches(record)]


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
