"""The storage port: the five primitives a storage adapter implements (WIT `backend`)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .types import (
    InsertOutcome,
    PatchOutcome,
    RecordPatch,
    RuntimeRecord,
    ScanFilter,
    ScanKey,
    Status,
)


@runtime_checkable
class Backend(Protocol):
    """What a storage adapter implements. It only persists and serves scans in their
    filter's order: it never validates or derives values (the component does that, and
    checks every scan answer).

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

    def scan(
        self, scan_filter: ScanFilter, after: ScanKey | None, limit: int, /
    ) -> list[RuntimeRecord]:
        """The first `limit` records that match `scan_filter` and come strictly after
        `after` in the filter's order (from the start when `after` is `None`), in that
        order: `ALL` and `BY_STATUS` newest first (`created_at` descending, then game id
        ascending), `DUE_RUNNING` soonest first (`next_generation_at` ascending, then game
        id ascending); game ids compare by their UTF-8 bytes (Python's `str` order).
        `ScanFilter.position` gives that order as a sortable tuple and
        `ScanFilter.position_of_key(after)` where the page starts.

        `limit` is 2..=501: the rules ask for one record more than the page they answer
        (at most `LARGEST_PAGE_LIMIT`) to learn whether another page follows. A database
        serves it from an index by keyset (`WHERE (created_at, game_id) ...`), never by
        OFFSET. The rules check the answer: a record out of order, not after `after`, not
        matching the filter or beyond `limit` makes the call fail with
        `BackendError.failed`."""
        ...
