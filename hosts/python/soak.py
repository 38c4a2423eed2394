"""Replays the reference model's random operation sequences on the Python host.

The Rust crate `runtime-store-conformance` writes the sequences with the model's answer to
every step (`soak --emit FILE`); this script runs each sequence on a fresh store over the
chosen adapter and compares every answer, and the final `list()`, with the model's.

    cargo run --release -p runtime-store-conformance --bin soak -- \
        --emit seq.jsonl --sequences 10000
    hosts/python/.venv/bin/python hosts/python/soak.py seq.jsonl [--backend sqlite|memory]

It prints the counts and exits non-zero at the first difference, naming the sequence and
the step.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from runtime_store import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    MemoryBackend,
    NotFound,
    RuntimeRecord,
    RuntimeStore,
    SqliteBackend,
    Status,
    StoreError,
    Timestamp,
    UpdateEngineHealthInput,
    UpdateImageInput,
    UpdateSchedulingInput,
    UpdateStatusInput,
)

Json = Any


class Mismatch(Exception):
    """The store answered a step otherwise than the model."""


def _snake(fields: dict[str, Json]) -> dict[str, Json]:
    return {name.replace("-", "_"): value for name, value in fields.items()}


def _timestamp(value: Json) -> Timestamp | None:
    return None if value is None else Timestamp(value["seconds"], value["nanoseconds"])


_TIMESTAMP_FIELDS = {
    "now",
    "created_at",
    "updated_at",
    "next_generation_at",
    "started_at",
    "stopped_at",
    "finished_at",
}
_STATUS_FIELDS = {"status", "expected_from", "to", "expected_status"}


def _build(kind: Callable[..., Any], fields: dict[str, Json]) -> Any:
    values = {}
    for name, value in _snake(fields).items():
        if name in _TIMESTAMP_FIELDS:
            value = _timestamp(value)
        elif name in _STATUS_FIELDS:
            value = Status(value)
        values[name] = value
    return kind(**values)


def _plain(value: Any) -> Json:
    """A result of the store in the JSON shape the model writes (WIT field names)."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Status):
        return value.value
    if isinstance(value, Timestamp):
        return {"seconds": value.seconds, "nanoseconds": value.nanoseconds}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name.replace("_", "-"): _plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    return value


def _call(store: RuntimeStore, op: Json) -> Any:
    if op == "List":
        return store.list()
    ((name, argument),) = op.items()
    if name == "Get":
        return store.get(argument)
    if name == "Delete":
        return store.delete(argument)
    if name == "Insert":
        return store.insert(_build(RuntimeRecord, argument))
    if name == "UpdateStatus":
        return store.update_status(_build(UpdateStatusInput, argument))
    if name == "UpdateScheduling":
        return store.update_scheduling(_build(UpdateSchedulingInput, argument))
    if name == "UpdateImage":
        return store.update_image(_build(UpdateImageInput, argument))
    if name == "UpdateEngineHealth":
        return store.update_engine_health(_build(UpdateEngineHealthInput, argument))
    if name == "ListDueRunning":
        return store.list_due_running(_build(Timestamp, argument))
    if name == "ListByStatus":
        return store.list_by_status(Status(argument))
    raise ValueError(f"unknown operation {name!r}")


_ERROR_KINDS: list[tuple[type[StoreError], str]] = [
    (NotFound, "not-found"),
    (Conflict, "conflict"),
    (InvalidInput, "invalid-input"),
    (InvalidTransition, "invalid-transition"),
]


def _answer(store: RuntimeStore, op: Json) -> Json:
    """The store's answer to `op` in the model's terms."""
    try:
        result = _call(store, op)
    except StoreError as error:
        for kind, name in _ERROR_KINDS:
            if isinstance(error, kind):
                if isinstance(error, InvalidTransition):
                    return {"kind": name, "message": error.reason}
                return {"kind": name}
        raise
    if result is None:
        return {"kind": "ok", "value": "Unit"}
    if isinstance(result, list):
        return {"kind": "ok", "value": {"Records": _plain(result)}}
    return {"kind": "ok", "value": {"Record": _plain(result)}}


def _operation_name(op: Json) -> str:
    return op if isinstance(op, str) else next(iter(op))


def replay(
    sequences: Iterator[Json], open_store: Callable[[int], RuntimeStore]
) -> tuple[int, Counter[tuple[str, str]]]:
    """Runs every sequence on a fresh store; the count and the answers seen, or Mismatch."""
    answers: Counter[tuple[str, str]] = Counter()
    count = 0
    for count, sequence in enumerate(sequences, start=1):
        store = open_store(count)
        for index, step in enumerate(sequence["steps"]):
            actual = _answer(store, step["op"])
            if actual != step["expect"]:
                expected = json.dumps(step["expect"])
                raise Mismatch(
                    f"sequence {count}, step {index} ({json.dumps(step['op'])}): "
                    f"the model answers {expected}, the store {json.dumps(actual)}"
                )
            answers[(_operation_name(step["op"]), actual["kind"])] += 1
        final = _plain(store.list())
        if final != sequence["final"]:
            raise Mismatch(f"sequence {count}: the final list() differs from the model's")
    return count, answers


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sequences", type=Path, help="the file `soak --emit` wrote")
    parser.add_argument("--backend", choices=("sqlite", "memory"), default="sqlite")
    arguments = parser.parse_args(argv)
    lines = (json.loads(line) for line in arguments.sequences.open(encoding="utf-8"))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        backends: list[SqliteBackend] = []

        def open_store(number: int) -> RuntimeStore:
            if arguments.backend == "memory":
                return RuntimeStore(MemoryBackend())
            for backend in backends:
                backend.close()
            backends[:] = [SqliteBackend(Path(folder) / f"soak-{number}.sqlite3")]
            return RuntimeStore(backends[0])

        try:
            count, answers = replay(lines, open_store)
        except Mismatch as mismatch:
            print(f"soak.py: {mismatch}", file=sys.stderr)
            return 1
        finally:
            for backend in backends:
                backend.close()
    for (operation, kind), seen in sorted(answers.items()):
        print(f"{operation} {kind}: {seen}")
    elapsed = time.perf_counter() - started
    print(
        f"soak.py {arguments.backend}: {count} sequences, {sum(answers.values())} operations "
        f"(plus one final list() each), all as the model predicts, in {elapsed:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
