from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime_store import (
    FAST_PATH_AVAILABLE,
    Backend,
    MemoryBackend,
    RuntimeComponent,
    SqliteBackend,
)

STEP_COUNTS: dict[str, list[int]] = {}
"""Per adapter and binding: [steps run, steps passed], for the summary line."""

BINDINGS = ["fast", "public"] if FAST_PATH_AVAILABLE else ["public"]
"""The call paths this wasmtime-py supports: both, or the public one alone."""


@pytest.fixture(scope="session")
def component() -> RuntimeComponent:
    return RuntimeComponent.default()


@pytest.fixture(params=BINDINGS)
def binding(request: pytest.FixtureRequest) -> str:
    """Each call path in turn (`RuntimeStore(..., binding=...)`)."""
    return str(request.param)


@pytest.fixture(params=["memory", "sqlite"])
def make_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Backend]]:
    """A factory of empty backends of one kind; SQLite ones live in files under tmp_path."""
    opened: list[SqliteBackend] = []

    def make() -> Backend:
        if request.param == "memory":
            return MemoryBackend()
        backend = SqliteBackend(tmp_path / f"store-{len(opened)}.sqlite3")
        opened.append(backend)
        return backend

    make.kind = request.param  # type: ignore[attr-defined]
    yield make
    for backend in opened:
        backend.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for kind, (run, passed) in sorted(STEP_COUNTS.items()):
        terminalreporter.write_line(f"conformance steps ({kind}): {run} run, {passed} passed")
