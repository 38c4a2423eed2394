"""The storage port: the five primitives a storage adapter implements (WIT `backend`)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .types import (
    InsertOutcome,
    PatchOutcome,
    RecordPatch,
    RuntimeRecord,
    ScanFilter,
    Status,
)


@runtime_checkable
class Backend(Protocol):
    """What a storage adapter implements. It only persists: it never validates, derives or
    sorts (the component does all of that).

    Each method is atomic. A storage failure is reported by raising `BackendError`
    (`unavailable`, `corrupt` or `failed`); the store hands it to the component, which
    answers `BackendFailure` carrying it unchanged. Any other exception an adapter lets
    escape, and any answer of the wrong type, is reported the same way, as
    `BackendError.failed` naming the primitive and what was wrong, so it never traps the
    component.

    The parameters are positional-only: an adapter may name them as it likes.
    """

    def fetch(self, game_id: str, /) -> RuntimeRecord | None:
        """The record of `game_id`, or `None` when there is none."""
        ...

    def insert(self, record: RuntimeRecord, /) -> InsertOutcome:
        """Stores `record` unless one with the same game id exists."""
        ...

    def patch(
        self, game_id: str, expected_status: Status | None, changes: RecordPatch, /
    ) -> PatchOutcome:
        """Atomically: when a record exists and (`expected_status` is `None` or equals the
        stored status) applies every change of `changes`; otherwise writes nothing."""
        ...

    def remove(self, game_id: str, /) -> None:
        """Removes the record if it exists; succeeds when none does."""
        ...

    def scan(self, scan_filter: ScanFilter, /) -> list[RuntimeRecord]:
        """The records matching `scan_filter`, in any order."""
        ...
