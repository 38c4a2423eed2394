"""Python values of the WIT package `galaxy:gamemaster@0.2.0`.

Every WIT record is a frozen dataclass whose attributes are the WIT field names in
snake_case (`game-id` -> `game_id`); `option<T>` is `T | None`; `status` is the `Status`
enum; the backend's variants are small dataclasses with named constructors.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from . import _vocabulary as words


@dataclass(frozen=True, order=True)
class Timestamp:
    """An instant in UTC since the Unix epoch (WIT `timestamp`).

    Ordering compares `seconds`, then `nanoseconds`, which is chronological for valid values.
    """

    seconds: int
    nanoseconds: int = 0


class Status(enum.Enum):
    """The lifecycle status of a runtime; the value is the WIT case name."""

    STARTING = "starting"
    RUNNING = "running"
    GENERATION_IN_PROGRESS = "generation-in-progress"
    GENERATION_FAILED = "generation-failed"
    ENGINE_UNREACHABLE = "engine-unreachable"
    STOPPED = "stopped"
    FINISHED = "finished"

    @property
    def stored_text(self) -> str:
        """The text adapters persist and messages quote (`generation_in_progress`)."""
        return words.STATUSES[self.value]

    @classmethod
    def from_stored_text(cls, text: str) -> Status:
        """The status whose stored text is `text`; `ValueError` for an unknown text."""
        try:
            return _STATUS_BY_STORED_TEXT[text]
        except KeyError:
            raise ValueError(f"unknown stored runtime status {text!r}") from None


_STATUS_BY_STORED_TEXT = {status.stored_text: status for status in Status}


@dataclass(frozen=True)
class RuntimeRecord:
    """One game's runtime record (WIT `runtime-record`)."""

    game_id: str
    status: Status
    engine_endpoint: str
    current_image_ref: str
    current_engine_version: str
    engine_health: str
    current_turn: int
    next_generation_at: Timestamp | None
    skip_next_tick: bool
    created_at: Timestamp
    updated_at: Timestamp
    started_at: Timestamp | None
    stopped_at: Timestamp | None
    finished_at: Timestamp | None


@dataclass(frozen=True)
class RuntimePage:
    """One page of a list (WIT `runtime-page`): at most the asked number of records, in the
    list's order, and where the next page starts.

    `next_cursor` is `None` when this page ends the list; otherwise hand it back unchanged
    to the same list's page method (it is opaque, and another list's cursor is refused).
    """

    records: list[RuntimeRecord]
    next_cursor: str | None


@dataclass(frozen=True)
class UpdateStatusInput:
    """One status transition under a compare-and-swap guard (WIT `update-status-input`)."""

    game_id: str
    expected_from: Status
    to: Status
    now: Timestamp
    engine_health_summary: str | None = None
    current_image_ref: str | None = None
    current_engine_version: str | None = None


@dataclass(frozen=True)
class UpdateSchedulingInput:
    """New scheduling columns, written together (WIT `update-scheduling-input`)."""

    game_id: str
    next_generation_at: Timestamp | None
    skip_next_tick: bool
    current_turn: int
    now: Timestamp


@dataclass(frozen=True)
class UpdateImageInput:
    """A new engine image under a compare-and-swap guard (WIT `update-image-input`)."""

    game_id: str
    expected_status: Status
    current_image_ref: str
    current_engine_version: str
    now: Timestamp


@dataclass(frozen=True)
class UpdateEngineHealthInput:
    """A new engine health summary (WIT `update-engine-health-input`)."""

    game_id: str
    engine_health_summary: str
    now: Timestamp


class BackendErrorKind(enum.Enum):
    """The case of a WIT `backend-error`."""

    UNAVAILABLE = "unavailable"
    """The store cannot be reached; retrying later may succeed."""
    CORRUPT = "corrupt"
    """A stored value cannot be decoded."""
    FAILED = "failed"
    """Any other failure."""


class BackendError(Exception):
    """A storage failure (WIT `backend-error`).

    Adapters raise it; the store passes it through unchanged inside `BackendFailure`.
    `str()` reads `<kind words>: <reason>` (`storage unavailable: connection refused`).
    """

    def __init__(self, kind: BackendErrorKind, reason: str):
        words_of_kind = words.BACKEND_ERROR_KINDS.get(str(getattr(kind, "value", kind)), str(kind))
        super().__init__(f"{words_of_kind}: {reason}")
        self.kind = kind
        self.reason = reason

    @classmethod
    def unavailable(cls, reason: str) -> BackendError:
        """The store cannot be reached."""
        return cls(BackendErrorKind.UNAVAILABLE, reason)

    @classmethod
    def corrupt(cls, reason: str) -> BackendError:
        """A stored value cannot be decoded; the reason names the game id and column."""
        return cls(BackendErrorKind.CORRUPT, reason)

    @classmethod
    def failed(cls, reason: str) -> BackendError:
        """Any other failure."""
        return cls(BackendErrorKind.FAILED, reason)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BackendError)
            and self.kind == other.kind
            and self.reason == other.reason
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.reason))

    def __repr__(self) -> str:
        return f"BackendError.{getattr(self.kind, 'value', self.kind)}({self.reason!r})"


class InsertOutcome(enum.Enum):
    """The answer of a backend `insert` (WIT `insert-outcome`)."""

    INSERTED = "inserted"
    ALREADY_EXISTS = "already-exists"


@dataclass(frozen=True)
class StatusChange:
    """A new status and its lifecycle stamps; `None` leaves a stamp alone."""

    to: Status
    started_at: Timestamp | None = None
    stopped_at: Timestamp | None = None
    finished_at: Timestamp | None = None


@dataclass(frozen=True)
class Scheduling:
    """The scheduling columns, written together."""

    next_generation_at: Timestamp | None
    skip_next_tick: bool
    current_turn: int


@dataclass(frozen=True, kw_only=True)
class RecordPatch:
    """Column changes applied together; `None` leaves a column alone (WIT `record-patch`).

    `updated_at` is always written.
    """

    status: StatusChange | None = None
    scheduling: Scheduling | None = None
    current_image_ref: str | None = None
    current_engine_version: str | None = None
    engine_health: str | None = None
    updated_at: Timestamp


class PatchOutcomeKind(enum.Enum):
    """The case of a WIT `patch-outcome`."""

    APPLIED = "applied"
    NOT_FOUND = "not-found"
    STATUS_MISMATCH = "status-mismatch"


@dataclass(frozen=True)
class PatchOutcome:
    """The answer of a backend `patch`; `stored_status` is set for a status mismatch only."""

    kind: PatchOutcomeKind
    stored_status: Status | None = None

    @classmethod
    def applied(cls) -> PatchOutcome:
        """Every change was written."""
        return cls(PatchOutcomeKind.APPLIED)

    @classmethod
    def not_found(cls) -> PatchOutcome:
        """No record has the game id; nothing was written."""
        return cls(PatchOutcomeKind.NOT_FOUND)

    @classmethod
    def status_mismatch(cls, stored: Status) -> PatchOutcome:
        """The stored status differs from the expected one; nothing was written."""
        return cls(PatchOutcomeKind.STATUS_MISMATCH, stored)


class ScanKind(enum.Enum):
    """The case of a WIT `scan-filter`."""

    ALL = "all"
    BY_STATUS = "by-status"
    DUE_RUNNING = "due-running"


@dataclass(frozen=True)
class ScanKey:
    """A position in a scan filter's order (WIT `scan-key`): a page starts strictly after it.

    `at` is the record's `created_at` under `ALL` and `BY_STATUS`, its `next_generation_at`
    under `DUE_RUNNING`; the game id breaks every tie.
    """

    at: Timestamp
    game_id: str


ListPosition = tuple[int, int, str]
"""Where a record stands in a filter's order, as a tuple whose ascending order is that
order (what an in-memory adapter keeps in a sorted index): `(-seconds, -nanoseconds,
game_id)` of `created_at` for `ALL` and `BY_STATUS` (newest first), `(seconds, nanoseconds,
game_id)` of `next_generation_at` for `DUE_RUNNING` (soonest first). Python compares
strings by code point, which is the order of their UTF-8 bytes, as the rules compare."""


@dataclass(frozen=True)
class ScanFilter:
    """Which records a backend `scan` returns, and in which order (WIT `scan-filter`).

    `status` is set for `BY_STATUS`, `now` for `DUE_RUNNING`. `ALL` and `BY_STATUS` are
    served newest first (`created_at` descending, then game id ascending), `DUE_RUNNING`
    soonest first (`next_generation_at` ascending, then game id ascending); game ids
    compare by their UTF-8 bytes (in Python: by code point, the same order).
    """

    kind: ScanKind
    status: Status | None = None
    now: Timestamp | None = None

    @classmethod
    def all(cls) -> ScanFilter:
        """Every record."""
        return cls(ScanKind.ALL)

    @classmethod
    def by_status(cls, status: Status) -> ScanFilter:
        """Records in `status`."""
        return cls(ScanKind.BY_STATUS, status=status)

    @classmethod
    def due_running(cls, now: Timestamp) -> ScanFilter:
        """Running records whose `next_generation_at` is set and <= `now`."""
        return cls(ScanKind.DUE_RUNNING, now=now)

    def matches(self, record: RuntimeRecord) -> bool:
        """Whether `record` belongs to the scan; adapters without a query language use it."""
        if self.kind is ScanKind.ALL:
            return True
        if self.kind is ScanKind.BY_STATUS:
            return record.status is self.status
        return (
            record.status is Status.RUNNING
            and record.next_generation_at is not None
            and self.now is not None
            and record.next_generation_at <= self.now
        )

    def key_of(self, record: RuntimeRecord) -> ScanKey:
        """The scan key of `record` in this filter's order; a record without
        `next_generation_at` (which `DUE_RUNNING` never selects) gets the epoch."""
        if self.kind is ScanKind.DUE_RUNNING:
            at = record.next_generation_at or Timestamp(0)
        else:
            at = record.created_at
        return ScanKey(at, record.game_id)

    def position_of_key(self, key: ScanKey) -> ListPosition:
        """The position `key` names in this filter's order (see `ListPosition`)."""
        if self.kind is ScanKind.DUE_RUNNING:
            return (key.at.seconds, key.at.nanoseconds, key.game_id)
        return (-key.at.seconds, -key.at.nanoseconds, key.game_id)

    def position(self, record: RuntimeRecord) -> ListPosition:
        """Where `record` stands in this filter's order (see `ListPosition`)."""
        return self.position_of_key(self.key_of(record))

    def page_of(
        self, records: Iterable[RuntimeRecord], after: ScanKey | None, limit: int
    ) -> list[RuntimeRecord]:
        """A page served by filtering and sorting `records`: for stores without an index
        (test doubles, examples). An adapter over many records reads an ordered index."""
        start = None if after is None else self.position_of_key(after)
        page: list[tuple[ListPosition, RuntimeRecord]] = []
        for record in records:
            if self.matches(record):
                position = self.position(record)
                if start is None or position > start:
                    page.append((position, record))
        page.sort(key=lambda pair: pair[0])
        return [record for _, record in page[: max(limit, 0)]]
