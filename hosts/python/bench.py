"""Microseconds per store operation through the component, on the in-memory adapter, with the
sandbox bounds on (fuel and a deadline per call, memory per instance), on the call path the
store takes.

Run: hosts/python/.venv/bin/python hosts/python/bench.py [--binding fast|public] [--no-fuel]
[--no-deadline] (not a test; numbers vary by machine). `--no-fuel` runs the same calls on an
engine that does not meter fuel, `--no-deadline` on one without epoch interruption (and no
deadline set per call), to show what each bound costs; the package itself always has both.
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


class _Unbounded:
    """A binding wrapper whose stores skip fuel or the deadline (for `--no-fuel` and
    `--no-deadline` only)."""

    def __init__(self, inner: Any, fuel: bool, deadline: bool):
        self.inner = inner
        self.name = inner.name
        self.fuel = fuel
        self.deadline = deadline

    def define(self, instance: Any, host: Any) -> None:
        self.inner.define(instance, host)

    def export(self, store: Any, func: Any, signature: Any) -> Any:
        return self.inner.export(store, func, signature)

    def fuel_setter(self, store: Any) -> Callable[[int], None]:
        if self.fuel:
            return self.inner.fuel_setter(store)  # type: ignore[no-any-return]
        return lambda fuel: None

    def deadline_setter(self, store: Any) -> Callable[[int], None]:
        if self.deadline:
            return self.inner.deadline_setter(store)  # type: ignore[no-any-return]
        return lambda ticks: None


def make_store(binding: str | None, fuel: bool, deadline: bool) -> Callable[[], RuntimeStore]:
    if fuel and deadline:
        return lambda: RuntimeStore(MemoryBackend(), binding=binding)  # type: ignore[arg-type]
    from wasmtime import Config, Engine

    config = Config()
    config.consume_fuel = fuel
    config.epoch_interruption = deadline
    wasm = resources.files("runtime_store").joinpath("runtime-store.wasm").read_bytes()
    component = RuntimeComponent(wasm, engine=Engine(config))

    def unbounded() -> RuntimeStore:
        checked = store_module._require_bounds
        store_module._require_bounds = lambda engine: None
        real_binding = store_module._binding_for
        store_module._binding_for = lambda name: _Unbounded(real_binding(name), fuel, deadline)
        try:
            return RuntimeStore(MemoryBackend(), component, binding=binding)  # type: ignore[arg-type]
        finally:
            store_module._require_bounds = checked
            store_module._binding_for = real_binding

    return unbounded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binding", choices=["fast", "public"], default=None)
    parser.add_argument("--no-fuel", action="store_true", help="an engine without fuel metering")
    parser.add_argument(
        "--no-deadline", action="store_true", help="an engine without epoch interruption"
    )
    options = parser.parse_args()
    new_store = make_store(options.binding, not options.no_fuel, not options.no_deadline)

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

    ten, hundred, thousand = store_with(10), store_with(100), store_with(1000)
    middle = thousand.list_page(None, 500).next_cursor
    operations = {
        "get": lambda: store.get("game-0000"),
        "insert": lambda: store.insert(record(f"new-{next(fresh_ids)}")),
        "update-status": update_status,
        "list (10 records)": ten.list,
        "list (100 records)": hundred.list,
        "list (1000 records, 2 pages)": thousand.list,
        "list-page (100 after 500 of 1000)": lambda: thousand.list_page(middle, 100),
        "rules transition (no storage)": lambda: store.transition(Status.RUNNING, Status.STOPPED),
    }
    fuel = "no fuel metering" if options.no_fuel else f"fuel {store.fuel_per_call} per call"
    deadline = (
        "no deadline"
        if options.no_deadline
        else f"deadline {store.deadline_per_call * 1000:g} ms per call"
    )
    bounds = f"{fuel}, {deadline}, memory {store.memory_limit} bytes"
    print(
        f"Python host, wasmtime-py {WASMTIME_VERSION}, {store.binding} binding, {bounds}, "
        f"in-memory adapter: µs per operation (best of {BATCHES} batches)"
    )
    for name, operation in operations.items():
        print(f"  {name:32} {micros_per_call(operation):8.1f}")


if __name__ == "__main__":
    main()
