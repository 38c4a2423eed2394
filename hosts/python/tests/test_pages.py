"""Pages (WIT 0.2.0): the three page methods, the whole lists the store assembles from
pages, the scan arguments an adapter receives, the boundary checks of cursor and limit, and
the in-memory adapter's ordered indexes against a filter-and-sort reference."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any

import pytest

from runtime_store import (
    LARGEST_PAGE_LIMIT,
    Backend,
    BackendError,
    BackendFailure,
    InvalidInput,
    MemoryBackend,
    RecordPatch,
    RuntimeComponent,
    RuntimePage,
    RuntimeRecord,
    RuntimeStore,
    SandboxError,
    SandboxFailure,
    ScanFilter,
    ScanKey,
    ScanKind,
    Scheduling,
    Status,
    StatusChange,
    Timestamp,
    UpdateSchedulingInput,
    UpdateStatusInput,
)
from runtime_store import store as store_module

from records import NOW, record

U32 = "an integer in 0..=4294967295"
STRING = "a string of Unicode scalar values (no lone surrogates)"
OUT_OF_ORDER = "scan answered records out of order, not matching its filter or beyond its limit"

# Ids whose code-point order is their UTF-8 byte order (and differs from a case-folded or
# locale order): upper case before lower case, a 2-byte letter before a 4-byte emoji.
IDS = ["B", "a", "b", "z", "é", "ſ", "中", "\U0001f600", "g-10", "g-9", "g-1"]


def _stamp(micros: int) -> Timestamp:
    return Timestamp(NOW.seconds + micros // 1_000_000, (micros % 1_000_000) * 1000)


def _records(count: int, seed: int) -> list[RuntimeRecord]:
    """`count` records with few distinct creation times (many ties broken by game id),
    mixed statuses, some due."""
    rng = random.Random(seed)
    ids = IDS + [f"game-{index:05}" for index in range(max(0, count - len(IDS)))]
    made = []
    for game_id in ids[:count]:
        created = _stamp(-rng.randrange(4) * 1_000_000 - rng.randrange(3))
        status = rng.choice([Status.RUNNING, Status.RUNNING, Status.STOPPED, Status.STARTING])
        due = rng.choice([None, _stamp(-rng.randrange(5) * 1000), _stamp(10_000_000)])
        made.append(
            dataclasses.replace(
                record(game_id),
                status=status,
                created_at=created,
                updated_at=NOW,
                next_generation_at=due,
            )
        )
    return made


def _newest_first(records: list[RuntimeRecord]) -> list[RuntimeRecord]:
    """The reference order of `list`: game ids by UTF-8 bytes, then (stably) newest first."""
    by_id = sorted(records, key=lambda item: item.game_id.encode("utf-8"))
    return sorted(by_id, key=lambda item: item.created_at, reverse=True)


def _due_first(records: list[RuntimeRecord], now: Timestamp) -> list[RuntimeRecord]:
    due = [
        item
        for item in records
        if item.status is Status.RUNNING
        and item.next_generation_at is not None
        and item.next_generation_at <= now
    ]
    by_id = sorted(due, key=lambda item: item.game_id.encode("utf-8"))
    return sorted(by_id, key=lambda item: item.next_generation_at or Timestamp(0))


def _all_pages(next_page: Callable[[str | None], RuntimePage]) -> list[list[RuntimeRecord]]:
    pages = [next_page(None)]
    while pages[-1].next_cursor is not None:
        pages.append(next_page(pages[-1].next_cursor))
    return [page.records for page in pages]


@pytest.fixture
def filled(
    make_backend: Callable[[], Backend], component: RuntimeComponent, binding: str
) -> tuple[RuntimeStore, list[RuntimeRecord]]:
    store = RuntimeStore(make_backend(), component, binding=binding)  # type: ignore[arg-type]
    records = _records(40, seed=7)
    for item in records:
        store.insert(item)
    return store, records


@pytest.mark.parametrize("limit", [1, 2, 7, LARGEST_PAGE_LIMIT])
def test_pages_read_to_the_end_are_each_list_in_order(
    filled: tuple[RuntimeStore, list[RuntimeRecord]], limit: int
) -> None:
    store, records = filled
    pages = _all_pages(lambda cursor: store.list_page(cursor, limit))
    assert [item for page in pages for item in page] == _newest_first(records)
    assert all(len(page) == limit for page in pages[:-1]) and 0 < len(pages[-1]) <= limit
    assert store.list() == _newest_first(records)

    for status in (Status.RUNNING, Status.STOPPED, Status.FINISHED):
        expected = [item for item in _newest_first(records) if item.status is status]
        pages = _all_pages(
            lambda cursor, status=status: store.list_by_status_page(status, cursor, limit)
        )
        assert [item for page in pages for item in page] == expected
        assert store.list_by_status(status) == expected

    now = _stamp(-2000)
    pages = _all_pages(lambda cursor: store.list_due_running_page(now, cursor, limit))
    expected = _due_first(records, now)
    assert expected and [item for page in pages for item in page] == expected
    assert store.list_due_running(now) == expected


def test_a_page_is_a_typed_value_and_the_limit_defaults_to_the_largest(
    filled: tuple[RuntimeStore, list[RuntimeRecord]],
) -> None:
    store, records = filled
    page = store.list_page()
    assert isinstance(page, RuntimePage)
    assert page == RuntimePage(_newest_first(records), None)
    first = store.list_page(limit=3)
    assert isinstance(first.next_cursor, str) and len(first.records) == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.next_cursor = None  # type: ignore[misc]


class _Recording(MemoryBackend):
    """Records the arguments of every scan; `after_scan` runs after each one (it may change
    the stored records between pages, as another client would)."""

    def __init__(self) -> None:
        super().__init__()
        self.scans: list[tuple[ScanFilter, ScanKey | None, int]] = []
        self.after_scan: Callable[[int], None] = lambda _count: None

    def scan(
        self, scan_filter: ScanFilter, after: ScanKey | None, limit: int, /
    ) -> list[RuntimeRecord]:
        self.scans.append((scan_filter, after, limit))
        answer = super().scan(scan_filter, after, limit)
        self.after_scan(len(self.scans))
        return answer


def test_whole_lists_are_read_in_pages_of_the_largest_limit(
    component: RuntimeComponent, binding: str
) -> None:
    backend = _Recording()
    store = RuntimeStore(backend, component, binding=binding)  # type: ignore[arg-type]
    records = [dataclasses.replace(record(f"g{index:04}")) for index in range(1001)]
    for item in records:
        backend.insert(item)
    assert store.list() == _newest_first(records)
    expected = _newest_first(records)
    # The rules ask for one record more than a page holds, to learn whether one follows.
    asked = LARGEST_PAGE_LIMIT + 1
    assert backend.scans == [
        (ScanFilter.all(), None, asked),
        (ScanFilter.all(), ScanKey(NOW, expected[499].game_id), asked),
        (ScanFilter.all(), ScanKey(NOW, expected[999].game_id), asked),
    ]
    backend.scans.clear()
    assert store.list_by_status(Status.STOPPED) == []
    assert backend.scans == [(ScanFilter.by_status(Status.STOPPED), None, asked)]
    backend.scans.clear()
    store.list_due_running_page(NOW, None, 1)
    assert backend.scans == [(ScanFilter.due_running(NOW), None, 2)]


def test_a_whole_list_beyond_what_one_guest_call_holds_is_assembled(
    component: RuntimeComponent, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1200 of the largest records, about 20 MB: more than one answer fits in the guest's
    # 16 MiB. Pages of 500 fit; the component's own whole-list export, which the store never
    # calls, traps.
    backend = MemoryBackend()
    store = RuntimeStore(backend, component)
    text = "x" * 4096
    for index in range(1200):
        backend.insert(
            dataclasses.replace(
                record(f"{index:04}" + "g" * 252),
                engine_endpoint=text,
                current_image_ref=text,
                current_engine_version=text,
                engine_health=text,
            )
        )
    listed = store.list()
    assert [item.game_id[:4] for item in listed] == [f"{index:04}" for index in range(1200)]

    monkeypatch.setattr(store_module, "WHOLE_LISTS", {})  # binds the raw exports too
    raw = RuntimeStore(backend, component)
    with pytest.raises(SandboxError) as raised:
        raw._call("list", None)
    assert raised.value.failure is SandboxFailure.TRAPPED_NEAR_LIMIT


def test_a_record_that_moves_between_pages_appears_once_at_its_first_place(
    component: RuntimeComponent, binding: str
) -> None:
    backend = _Recording()
    store = RuntimeStore(backend, component, binding=binding)  # type: ignore[arg-type]
    due = [
        dataclasses.replace(record(f"g{index:04}"), next_generation_at=_stamp(index))
        for index in range(600)
    ]
    for item in due:
        backend.insert(item)

    def reschedule_the_first(scans: int) -> None:
        # After the first page: g0000 (on it) moves to the end of the due list, where the
        # second page reads it again.
        if scans == 1:
            changes = RecordPatch(scheduling=Scheduling(_stamp(10_000), False, 1), updated_at=NOW)
            backend.patch("g0000", None, changes)

    backend.after_scan = reschedule_the_first
    listed = store.list_due_running(_stamp(20_000))
    assert [item.game_id for item in listed] == [item.game_id for item in due]
    assert listed[0] == due[0]  # the first appearance, as that page read it
    assert len(backend.scans) == 2


def test_updates_between_pages_keep_every_unchanged_record_exactly_once(
    make_backend: Callable[[], Backend], component: RuntimeComponent, binding: str
) -> None:
    store = RuntimeStore(make_backend(), component, binding=binding)  # type: ignore[arg-type]
    records = _records(30, seed=11)
    for item in records:
        store.insert(item)
    running = [item for item in records if item.status is Status.RUNNING]
    seen: list[RuntimeRecord] = []
    page = store.list_by_status_page(Status.RUNNING, None, 4)
    seen += page.records
    # Between pages: a new running record, one stops, one is deleted (none already seen).
    store.insert(dataclasses.replace(record("new"), created_at=_stamp(-9_000_000)))
    later = [item for item in _newest_first(running) if item not in seen]
    store.update_status(UpdateStatusInput(later[0].game_id, Status.RUNNING, Status.STOPPED, NOW))
    store.delete(later[1].game_id)
    while page.next_cursor is not None:
        page = store.list_by_status_page(Status.RUNNING, page.next_cursor, 4)
        seen += page.records
    unchanged = [
        item for item in running if item.game_id not in (later[0].game_id, later[1].game_id)
    ]
    ids = [item.game_id for item in seen]
    assert len(ids) == len(set(ids))
    assert all(item in seen for item in unchanged)
    assert later[0] not in seen and later[1] not in seen
    store.update_scheduling(UpdateSchedulingInput("new", _stamp(0), False, 2, NOW))
    assert store.list_by_status(Status.RUNNING)[-1].game_id == "new"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.list_page(None, 0), "list runtimes: limit must be between 1 and 500"),
        (lambda s: s.list_page(None, 501), "list runtimes: limit must be between 1 and 500"),
        (lambda s: s.list_page("not a cursor", 5), "list runtimes: cursor is malformed"),
        (lambda s: s.list_page("", 5), "list runtimes: cursor is malformed"),
        (lambda s: s.list_page(None, -1), f"list runtimes: limit must be {U32}"),
        (lambda s: s.list_page(None, 2**32), f"list runtimes: limit must be {U32}"),
        (lambda s: s.list_page(None, True), f"list runtimes: limit must be {U32}"),
        (lambda s: s.list_page(None, 2.0), f"list runtimes: limit must be {U32}"),
        (lambda s: s.list_page(7, 2), f"list runtimes: cursor must be {STRING}"),
        (lambda s: s.list_page(b"c", 2), f"list runtimes: cursor must be {STRING}"),
        (lambda s: s.list_page("\udcff", 2), f"list runtimes: cursor must be {STRING}"),
        (
            lambda s: s.list_by_status_page("running", None, 2),
            "list runtimes by status: status must be one of the statuses starting, running, "
            "generation-in-progress, generation-failed, engine-unreachable, stopped, finished",
        ),
        (
            lambda s: s.list_by_status_page(Status.RUNNING, None, 501),
            "list runtimes by status: limit must be between 1 and 500",
        ),
        (
            lambda s: s.list_due_running_page(NOW, None, -5),
            f"list due runtimes: limit must be {U32}",
        ),
        (
            lambda s: s.list_due_running_page(NOW, "x" * 100_000, 5),
            "list due runtimes: cursor is malformed",
        ),
        (
            # `now` is checked before the limit.
            lambda s: s.list_due_running_page(Timestamp(0, 2_000_000_000), None, 0),
            "list due runtimes: now is not a valid timestamp",
        ),
    ],
)
def test_limits_and_cursors_are_checked(
    filled: tuple[RuntimeStore, list[RuntimeRecord]], call: Callable[[Any], Any], message: str
) -> None:
    store, _ = filled
    with pytest.raises(InvalidInput) as raised:
        call(store)
    assert raised.value.reason == message
    assert raised.value.game_id is None


def test_a_refused_limit_or_cursor_touches_no_storage(
    component: RuntimeComponent, binding: str
) -> None:
    backend = _Recording()
    store = RuntimeStore(backend, component, binding=binding)  # type: ignore[arg-type]
    store.insert(record("a"))
    for call in (
        lambda: store.list_page(None, 0),
        lambda: store.list_page(None, LARGEST_PAGE_LIMIT + 1),
        lambda: store.list_by_status_page(Status.RUNNING, "not a cursor", 1),
        lambda: store.list_due_running_page(NOW, None, 2**32 - 1),
    ):
        with pytest.raises(InvalidInput):
            call()
    assert backend.scans == []
    assert store.list_page(None, 1) == RuntimePage([record("a")], None)


def test_a_failure_of_a_whole_list_names_the_whole_list(
    component: RuntimeComponent, binding: str
) -> None:
    class Reversed(MemoryBackend):
        def scan(
            self, scan_filter: ScanFilter, after: ScanKey | None, limit: int, /
        ) -> list[RuntimeRecord]:
            return list(reversed(super().scan(scan_filter, after, limit)))

    store = RuntimeStore(Reversed(), component, binding=binding)  # type: ignore[arg-type]
    for game_id in ("a", "b"):
        store.insert(record(game_id))
    for call, operation in (
        (store.list, "list"),
        (lambda: store.list_page(None, 5), "list-page"),
        (lambda: store.list_by_status(Status.RUNNING), "list-by-status"),
    ):
        with pytest.raises(BackendFailure) as raised:
            call()
        assert raised.value.error == BackendError.failed(OUT_OF_ORDER)
        assert raised.value.operation == operation


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(lambda page, after, limit: page + page[:1], id="beyond the limit"),
        pytest.param(lambda page, after, limit: page[1:2] + page[:1], id="out of order"),
        pytest.param(
            lambda page, after, limit: [dataclasses.replace(page[0], status=Status.STOPPED)],
            id="not matching the filter",
        ),
    ],
)
def test_a_page_that_breaks_the_scan_contract_is_a_failed_backend_error(
    component: RuntimeComponent, binding: str, wrong: Callable[..., list[RuntimeRecord]]
) -> None:
    class Wrong(MemoryBackend):
        def scan(
            self, scan_filter: ScanFilter, after: ScanKey | None, limit: int, /
        ) -> list[RuntimeRecord]:
            return wrong(super().scan(scan_filter, after, limit), after, limit)

    store = RuntimeStore(Wrong(), component, binding=binding)  # type: ignore[arg-type]
    for game_id in ("a", "b", "c"):
        store.insert(record(game_id))
    with pytest.raises(BackendFailure) as raised:
        store.list_by_status_page(Status.RUNNING, None, 2)
    assert raised.value.error == BackendError.failed(OUT_OF_ORDER)


def test_a_page_not_after_the_cursor_is_a_failed_backend_error(
    component: RuntimeComponent, binding: str
) -> None:
    class FromTheStart(MemoryBackend):
        def scan(
            self, scan_filter: ScanFilter, after: ScanKey | None, limit: int, /
        ) -> list[RuntimeRecord]:
            return super().scan(scan_filter, None, limit)

    store = RuntimeStore(FromTheStart(), component, binding=binding)  # type: ignore[arg-type]
    for game_id in ("a", "b", "c"):
        store.insert(record(game_id))
    first = store.list_page(None, 1)
    with pytest.raises(BackendFailure) as raised:
        store.list_page(first.next_cursor, 1)
    assert raised.value.error == BackendError.failed(OUT_OF_ORDER)


# --- the in-memory adapter's indexes -----------------------------------------------------


def test_memory_scans_match_filtering_and_sorting_through_writes() -> None:
    rng = random.Random(3)
    backend = MemoryBackend()
    stored: dict[str, RuntimeRecord] = {}
    for item in _records(120, seed=5):
        backend.insert(item)
        stored[item.game_id] = item
    filters = [ScanFilter.all(), ScanFilter.due_running(_stamp(-2000))] + [
        ScanFilter.by_status(status) for status in Status
    ]
    for round_ in range(200):
        victim = rng.choice(sorted(stored))
        action = rng.randrange(3)
        if action == 0:
            backend.remove(victim)
            del stored[victim]
            fresh = dataclasses.replace(
                _records(1, seed=round_)[0], game_id=f"new-{round_}", created_at=_stamp(-round_)
            )
            backend.insert(fresh)
            stored[fresh.game_id] = fresh
        elif action == 1:
            to = rng.choice(list(Status))
            backend.patch(victim, None, RecordPatch(status=StatusChange(to), updated_at=NOW))
            stored[victim] = dataclasses.replace(stored[victim], status=to, updated_at=NOW)
        else:
            due = rng.choice([None, _stamp(-rng.randrange(4000))])
            backend.patch(
                victim, None, RecordPatch(scheduling=Scheduling(due, True, 3), updated_at=NOW)
            )
            stored[victim] = dataclasses.replace(
                stored[victim],
                next_generation_at=due,
                skip_next_tick=True,
                current_turn=3,
                updated_at=NOW,
            )
        scan_filter = rng.choice(filters)
        ordered = scan_filter.page_of(stored.values(), None, len(stored))
        after = None
        if ordered and rng.randrange(4):
            after = scan_filter.key_of(rng.choice(ordered))
        limit = rng.choice([1, 2, 5, 500])
        assert backend.scan(scan_filter, after, limit) == scan_filter.page_of(
            stored.values(), after, limit
        )


def test_memory_scan_after_a_key_no_record_has() -> None:
    backend = MemoryBackend()
    for game_id in ("a", "c", "e"):
        backend.insert(record(game_id))
    everything = ScanFilter.all()
    assert [item.game_id for item in backend.scan(everything, ScanKey(NOW, "b"), 5)] == ["c", "e"]
    # A key newer than every record: every record comes after it.
    newer = ScanKey(Timestamp(NOW.seconds + 1), "z")
    assert [item.game_id for item in backend.scan(everything, newer, 2)] == ["a", "c"]
    assert backend.scan(everything, ScanKey(NOW, "e"), 5) == []
    assert ScanFilter(ScanKind.ALL).position(record("a")) < ScanFilter.all().position(record("b"))
