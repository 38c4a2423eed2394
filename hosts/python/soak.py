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
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# The conformance tests' conversions between WIT-named JSON and the package's types.
sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

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

from vectors import from_json, to_json

Json = Any


class Mismatch(Exception):
    """The store answered a step otherwise than the model."""


def _call(store: RuntimeStore, op: Json) -> Any:
    if op == "List":
        return store.list()
    ((name, argument),) = op.items()
    if name == "Get":
        return store.get(argument)
    if name == "Delete":
        return store.delete(argument)
    if name == "Insert":
        return store.insert(from_json(RuntimeRecord, argument))
    if name == "UpdateStatus":
        return store.update_status(from_json(UpdateStatusInput, argument))
    if name == "UpdateScheduling":
        return store.update_scheduling(from_json(UpdateSchedulingInput, argument))
    if name == "UpdateImage":
        return store.update_image(from_json(UpdateImageInput, argument))
    if name == "UpdateEngineHealth":
        return store.update_engine_health(from_json(UpdateEngineHealthInput, argument))
    if name == "ListDueRunning":
        return store.list_due_running(from_json(Timestamp, argument))
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
        return {"kind": "ok", "value": {"Records": to_json(result)}}
    return {"kind": "ok", "value": {"Record": to_json(result)}}


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
        final = to_json(store.list())
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
