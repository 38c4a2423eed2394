"""Microseconds per store operation through the component, on the in-memory adapter, with the
sandbox bounds on (fuel per call, memory per instance), on the call path the store takes.

Run: hosts/python/.venv/bin/python hosts/python/bench.py [--binding fast|public] [--no-fuel]
(not a test; numbers vary by machine). `--no-fuel` runs the same calls on an engine that does
not meter fuel, to show what metering costs; the package itself always meters.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from importlib import resources
from itertools import count
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

from runtime_store import (
    WASMTIME_VERSION,
    MemoryBackend,
    RuntimeComponent,
    RuntimeRecord,
    RuntimeStore,
    Status,
    Timestamp,
    UpdateStatusInput,
)
from runtime_store import store as store_module

from records import NOW
from records import record as minimal_record

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


class _Unmetered:
    """A binding wrapper whose stores never set fuel (for `--no-fuel` only)."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.name = inner.name

    def define(self, instance: Any, host: Any) -> None:
        self.inner.define(instance, host)

    def export(self, store: Any, func: Any, signature: Any) -> Any:
        return self.inner.export(store, func, signature)

    def fuel_setter(self, store: Any) -> Callable[[int], None]:
        return lambda fuel: None


def make_store(binding: str | None, metered: bool) -> Callable[[], RuntimeStore]:
    if metered:
        return lambda: RuntimeStore(MemoryBackend(), binding=binding)  # type: ignore[arg-type]
    from wasmtime import Engine

    wasm = resources.files("runtime_store").joinpath("runtime-store.wasm").read_bytes()
    component = RuntimeComponent(wasm, engine=Engine())

    def unmetered() -> RuntimeStore:
        checked = store_module._require_fuel
        store_module._require_fuel = lambda component: None
        real_binding = store_module._binding_for
        store_module._binding_for = lambda name: _Unmetered(real_binding(name))
        try:
            return RuntimeStore(MemoryBackend(), component, binding=binding)  # type: ignore[arg-type]
        finally:
            store_module._require_fuel = checked
            store_module._binding_for = real_binding

    return unmetered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binding", choices=["fast", "public"], default=None)
    parser.add_argument("--no-fuel", action="store_true", help="an engine without fuel metering")
    options = parser.parse_args()
    new_store = make_store(options.binding, not options.no_fuel)

    def store_with(records: int) -> RuntimeStore:
        store = new_store()
        for index in range(records):
            store.insert(record(f"game-{index:04}"))
        return store

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
    bounds = (
        "no fuel metering"
        if options.no_fuel
        else f"fuel {store.fuel_per_call} per call, memory {store.memory_limit} bytes"
    )
    print(
        f"Python host, wasmtime-py {WASMTIME_VERSION}, {store.binding} binding, {bounds}, "
        f"in-memory adapter: µs per operation (best of {BATCHES} batches)"
    )
    for name, operation in operations.items():
        print(f"  {name:32} {micros_per_call(operation):8.1f}")


if __name__ == "__main__":
    main()
