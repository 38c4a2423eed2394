"""Microseconds per store operation through the component, on the in-memory adapter.

Run: hosts/python/.venv/bin/python hosts/python/bench.py   (not a test; numbers vary by machine)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from itertools import count

from runtime_store import (
    WASMTIME_VERSION,
    MemoryBackend,
    RuntimeRecord,
    RuntimeStore,
    Status,
    Timestamp,
    UpdateStatusInput,
)
from tests.records import NOW
from tests.records import record as minimal_record

BATCHES = 5
BATCH_SECONDS = 0.3


def record(game_id: str) -> RuntimeRecord:
    """A running game as a live store holds it: started, its next turn scheduled."""
    return replace(
        minimal_record(game_id),
        next_generation_at=Timestamp(NOW.seconds + 3600),
        started_at=NOW,
    )


def micros_per_call(operation: Callable[[], object]) -> float:
    """The best over batches of the mean time per call, after a warm-up batch.

    The best batch is the one least disturbed by other processes on the machine.
    """
    calls = 0
    started = time.perf_counter()
    while time.perf_counter() - started < BATCH_SECONDS / 3:
        operation()
        calls += 1
    samples = []
    for _ in range(BATCHES):
        started = time.perf_counter()
        for _ in range(calls):
            operation()
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return min(samples)


def store_with(records: int) -> RuntimeStore:
    store = RuntimeStore(MemoryBackend())
    for index in range(records):
        store.insert(record(f"game-{index:04}"))
    return store


def main() -> None:
    store = store_with(1)
    fresh_ids = count()
    statuses = [Status.RUNNING, Status.GENERATION_IN_PROGRESS]
    flips = count()

    def update_status() -> None:
        flip = next(flips)
        store.update_status(
            UpdateStatusInput("game-0000", statuses[flip % 2], statuses[(flip + 1) % 2], NOW)
        )

    ten, hundred = store_with(10), store_with(100)
    operations = {
        "get": lambda: store.get("game-0000"),
        "insert": lambda: store.insert(record(f"new-{next(fresh_ids)}")),
        "update-status": update_status,
        "list (10 records)": ten.list,
        "list (100 records)": hundred.list,
        "rules transition (no storage)": lambda: store.transition(Status.RUNNING, Status.STOPPED),
    }
    print(
        f"Python host, wasmtime {WASMTIME_VERSION}, in-memory adapter: "
        f"µs per operation (best of {BATCHES} batches)"
    )
    for name, operation in operations.items():
        print(f"  {name:32} {micros_per_call(operation):8.1f}")


if __name__ == "__main__":
    main()
