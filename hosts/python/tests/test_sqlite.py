"""What the SQLite adapter adds: persistence, decoding checks, atomic compare-and-swap."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from runtime_store import (
    BackendError,
    BackendErrorKind,
    BackendFailure,
    Conflict,
    InsertOutcome,
    PatchOutcomeKind,
    RuntimeComponent,
    RuntimeRecord,
    RuntimeStore,
    ScanFilter,
    ScanKey,
    SqliteBackend,
    Status,
    Timestamp,
    UpdateStatusInput,
)

from records import record


def test_records_survive_reopening_the_file(tmp_path: Path, component: RuntimeComponent) -> None:
    path = tmp_path / "store.sqlite3"
    with SqliteBackend(path) as backend:
        RuntimeStore(backend, component).insert(record("game-1"))
    with SqliteBackend(path) as backend:
        assert RuntimeStore(backend, component).get("game-1") == record("game-1")


def test_an_unknown_stored_status_is_corrupt(tmp_path: Path, component: RuntimeComponent) -> None:
    path = tmp_path / "store.sqlite3"
    with SqliteBackend(path) as backend:
        store = RuntimeStore(backend, component)
        store.insert(record("game-1"))
        # The CHECK constraint guards writes; a file edited without it is what this simulates.
        with sqlite3.connect(path) as raw:
            raw.execute("PRAGMA ignore_check_constraints = ON")
            raw.execute("UPDATE runtime_records SET status = 'paused'")
        with pytest.raises(BackendFailure) as raised:
            store.get("game-1")
    assert raised.value.error == BackendError.corrupt(
        "game 'game-1': column status holds unknown status 'paused'"
    )


def test_an_unopenable_database_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(BackendError) as raised:
        SqliteBackend(tmp_path / "missing-folder" / "store.sqlite3")
    assert raised.value.kind is BackendErrorKind.UNAVAILABLE


def test_a_closed_database_answers_unavailable(tmp_path: Path, component: RuntimeComponent) -> None:
    backend = SqliteBackend(tmp_path / "store.sqlite3")
    store = RuntimeStore(backend, component)
    backend.close()
    with pytest.raises(BackendFailure) as raised:
        store.list()
    assert raised.value.error.kind is BackendErrorKind.UNAVAILABLE


def test_racing_transitions_on_one_file_have_exactly_one_winner(
    tmp_path: Path, component: RuntimeComponent
) -> None:
    path = tmp_path / "store.sqlite3"
    starting = record("game-1")
    with SqliteBackend(path) as backend:
        RuntimeStore(backend, component).insert(
            dataclasses.replace(starting, status=Status.STARTING)
        )
    racers = 8
    backends = [SqliteBackend(path) for _ in range(racers)]
    stores = [RuntimeStore(backend, component) for backend in backends]
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []

    def race(store: RuntimeStore) -> None:
        barrier.wait()
        try:
            store.update_status(
                UpdateStatusInput(
                    "game-1", Status.STARTING, Status.RUNNING, Timestamp(1_764_000_100)
                )
            )
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=race, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for backend in backends:
        backend.close()
    assert sorted(outcomes) == ["conflict"] * (racers - 1) + ["won"]


# Game ids whose byte order is not UTF-16's or a collation's: upper before lower case, 'é'
# after 'z', U+FF5E before U+1F3B2.
_IDS = ("a", "B", "b", "Z", "é", "z", "\uff5e", "🎲")


def _population() -> list[RuntimeRecord]:
    """Records with ties in both orders, some statuses, some without a tick."""
    statuses = (Status.RUNNING, Status.RUNNING, Status.STOPPED, Status.GENERATION_IN_PROGRESS)
    created = (Timestamp(-5), Timestamp(100), Timestamp(100, 1_000))
    due = (None, Timestamp(-1, 500_000_000), Timestamp(-1, 500_000_000), Timestamp(50))
    records = []
    for index, game_id in enumerate(_IDS):
        for suffix in ("", "-2", "-10"):
            n = len(records)
            records.append(
                dataclasses.replace(
                    record(f"{game_id}{suffix}"),
                    status=statuses[n % 4],
                    created_at=created[(n + index) % 3],
                    next_generation_at=due[n % 4],
                )
            )
    return records


_FILTERS = (
    ScanFilter.all(),
    ScanFilter.by_status(Status.RUNNING),
    ScanFilter.by_status(Status.STOPPED),
    ScanFilter.by_status(Status.FINISHED),
    ScanFilter.due_running(Timestamp(50)),
    ScanFilter.due_running(Timestamp(-1, 500_000_000)),
    ScanFilter.due_running(Timestamp(-2)),
)


def test_pages_follow_each_filters_order_from_any_key(tmp_path: Path) -> None:
    records = _population()
    with SqliteBackend(tmp_path / "store.sqlite3") as backend:
        for stored in records:
            assert backend.insert(stored) is InsertOutcome.INSERTED
        for scan_filter in _FILTERS:
            whole = scan_filter.page_of(records, None, len(records) + 1)
            for limit in (1, 2, 3, 7, 500):
                walked: list[RuntimeRecord] = []
                after: ScanKey | None = None
                while True:
                    page = backend.scan(scan_filter, after, limit)
                    assert page == scan_filter.page_of(records, after, limit), (scan_filter, after)
                    if not page:
                        break
                    walked.extend(page)
                    after = scan_filter.key_of(page[-1])
                assert walked == whole, (scan_filter, limit)
            # Keys naming no stored record, sub-microsecond instants among them: strictly
            # between two stored microseconds.
            for at in (
                Timestamp(-10),
                Timestamp(-1, 500_000_500),
                Timestamp(50),
                Timestamp(100, 500),
            ):
                for game_id in ("", "B", "b-10", "m", "é-2", "\U0010ffff"):
                    key = ScanKey(at, game_id)
                    assert backend.scan(scan_filter, key, 4) == scan_filter.page_of(
                        records, key, 4
                    ), (scan_filter, key)


def test_patches_from_several_processes_have_one_winner(tmp_path: Path) -> None:
    """Each patch is one BEGIN IMMEDIATE transaction: of racing swaps from the same status
    in separate processes, exactly one applies and every loser reports the winner's status."""
    path = tmp_path / "store.sqlite3"
    with SqliteBackend(path) as backend:
        backend.insert(dataclasses.replace(record("game-1"), status=Status.STARTING))
    script = textwrap.dedent(
        """
        import sys, types
        stub = types.ModuleType("runtime_store")
        stub.__path__ = [sys.argv[1]]
        sys.modules["runtime_store"] = stub
        from runtime_store.sqlite import SqliteBackend
        from runtime_store.types import RecordPatch, Status, StatusChange, Timestamp
        sys.stdin.readline()
        with SqliteBackend(sys.argv[2]) as backend:
            outcome = backend.patch(
                "game-1",
                Status.STARTING,
                RecordPatch(
                    status=StatusChange(Status.RUNNING),
                    engine_health=sys.argv[3],
                    updated_at=Timestamp(1_764_000_100),
                ),
            )
        print(outcome.kind.value, outcome.stored_status and outcome.stored_status.value)
        """
    )
    package = Path(__file__).resolve().parent.parent / "runtime_store"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(package), str(path), f"racer {n}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(6)
    ]
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write("go\n")
        racer.stdin.flush()
    answers = [racer.communicate(timeout=60)[0].split() for racer in racers]
    assert all(racer.returncode == 0 for racer in racers)
    winners = [n for n, answer in enumerate(answers) if answer[0] == PatchOutcomeKind.APPLIED.value]
    assert len(winners) == 1, answers
    losers = [answer for answer in answers if answer[0] != PatchOutcomeKind.APPLIED.value]
    assert losers == [[PatchOutcomeKind.STATUS_MISMATCH.value, Status.RUNNING.value]] * 5
    with SqliteBackend(path) as backend:
        stored = backend.fetch("game-1")
    assert stored is not None
    assert stored.engine_health == f"racer {winners[0]}"


def test_a_timestamp_outside_the_year_range_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with SqliteBackend(path) as backend:
        backend.insert(record("game-1"))
        with sqlite3.connect(path) as raw:
            raw.execute("UPDATE runtime_records SET created_at_us = 253402300800000000")
        with pytest.raises(BackendError) as raised:
            backend.fetch("game-1")
    assert raised.value == BackendError.corrupt(
        "game 'game-1': column created_at_us holds 253402300800000000, outside years 0001..9999"
    )


def test_a_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    SqliteBackend(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
