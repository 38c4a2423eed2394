"""Adapter failures come back as `BackendFailure`, never as a trap, and the store goes on."""

from __future__ import annotations

import pytest

from records import record
from runtime_store import (
    BackendError,
    BackendErrorKind,
    BackendFailure,
    MemoryBackend,
    RuntimeComponent,
    RuntimeStore,
)


class FlakyBackend(MemoryBackend):
    """A memory backend whose primitives fail on demand: `failure` is raised or returned."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: dict[str, object] = {}

    def _maybe_fail(self, primitive: str) -> object:
        failure = self.failing.get(primitive)
        if isinstance(failure, BaseException):
            raise failure
        return failure

    def fetch(self, game_id):  # type: ignore[no-untyped-def]
        return self._maybe_fail("fetch") or super().fetch(game_id)

    def scan(self, scan_filter):  # type: ignore[no-untyped-def]
        return self._maybe_fail("scan") or super().scan(scan_filter)

    def insert(self, record):  # type: ignore[no-untyped-def]
        return self._maybe_fail("insert") or super().insert(record)


@pytest.fixture
def flaky(component: RuntimeComponent) -> tuple[FlakyBackend, RuntimeStore]:
    backend = FlakyBackend()
    store = RuntimeStore(backend, component)
    store.insert(record("game-1"))
    return backend, store


def test_backend_error_passes_through_unchanged(flaky) -> None:
    backend, store = flaky
    backend.failing["fetch"] = BackendError.unavailable("connection refused")
    with pytest.raises(BackendFailure) as raised:
        store.get("game-1")
    assert raised.value.error == BackendError.unavailable("connection refused")
    assert raised.value.operation == "get" and raised.value.game_id == "game-1"


def test_any_exception_becomes_a_failed_backend_error(flaky) -> None:
    backend, store = flaky
    backend.failing["scan"] = ZeroDivisionError("division by zero")
    with pytest.raises(BackendFailure) as raised:
        store.list()
    assert raised.value.error.kind is BackendErrorKind.FAILED
    assert raised.value.error.reason == "backend scan: ZeroDivisionError: division by zero"


def test_an_answer_of_the_wrong_type_becomes_a_failed_backend_error(flaky) -> None:
    backend, store = flaky
    backend.failing["insert"] = "inserted"  # a str, not an InsertOutcome
    with pytest.raises(BackendFailure) as raised:
        store.insert(record("game-2"))
    assert raised.value.error.kind is BackendErrorKind.FAILED
    assert "the adapter answered 'inserted'" in raised.value.error.reason


def test_the_store_keeps_working_after_failures(flaky) -> None:
    backend, store = flaky
    backend.failing["fetch"] = RuntimeError("boom")
    with pytest.raises(BackendFailure):
        store.get("game-1")
    backend.failing.clear()
    assert store.get("game-1") == record("game-1")


def test_an_interrupt_traps_is_reraised_and_a_fresh_instance_serves_the_next_call(flaky) -> None:
    backend, store = flaky
    backend.failing["fetch"] = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        store.get("game-1")
    backend.failing.clear()
    assert store.get("game-1") == record("game-1")
