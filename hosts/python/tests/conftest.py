from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime_store import Backend, MemoryBackend, RuntimeComponent, SqliteBackend  # noqa: E402

STEP_COUNTS: dict[str, list[int]] = {}
"""Per adapter: [steps run, steps passed], for the summary line."""


@pytest.fixture(scope="session")
def component() -> RuntimeComponent:
    return RuntimeComponent.default()


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
        terminalreporter.write_line(f"conformance steps ({kind} adapter): {run} run, {passed} passed")
