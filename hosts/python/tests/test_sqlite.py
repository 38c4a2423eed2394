"""What the SQLite adapter adds: persistence, decoding checks, atomic compare-and-swap."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from pathlib import Path

import pytest

from runtime_store import (
    BackendError,
    BackendErrorKind,
    BackendFailure,
    Conflict,
    RuntimeComponent,
    RuntimeStore,
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
