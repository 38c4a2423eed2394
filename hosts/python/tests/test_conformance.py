"""Every conformance vector file, each on an empty store, against every adapter, on both
call paths (the verified fast path and wasmtime-py's public API)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from runtime_store import Backend, RuntimeComponent, RuntimeStore

from conftest import STEP_COUNTS
from vectors import PageCursors, load, outcome, vector_files


def test_vector_files_exist() -> None:
    assert len(vector_files()) >= 16, "conformance vectors missing under tests/conformance"


@pytest.mark.parametrize("path", vector_files(), ids=lambda path: path.stem)
def test_vector_file(
    path: Path, make_backend: Callable[[], Backend], component: RuntimeComponent, binding: str
) -> None:
    store = RuntimeStore(make_backend(), component, binding=binding)  # type: ignore[arg-type]
    assert store.binding == binding
    kind = f"{make_backend.kind} adapter, {binding} binding"  # type: ignore[attr-defined]
    counts = STEP_COUNTS.setdefault(kind, [0, 0])
    failures = []
    cursors = PageCursors()
    for index, step in enumerate(load(path)["steps"]):
        counts[0] += 1
        actual = outcome(store, step, cursors)
        if actual == step["expect"]:
            counts[1] += 1
            continue
        failures.append(
            f"step {index} ({step['op']}{': ' + step['note'] if 'note' in step else ''})\n"
            f"  expected {json.dumps(step['expect'])}\n  actual   {json.dumps(actual)}"
        )
    assert not failures, f"{path.name}: {len(failures)} step(s) failed\n" + "\n".join(failures)
