"""Adapter failures and malformed adapter answers come back as BackendFailure naming what was
wrong, never as a raw TypeError or a trap, and the store goes on; on both call paths."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from runtime_store import (
    BackendError,
    BackendErrorKind,
    BackendFailure,
    MemoryBackend,
    PatchOutcome,
    RecordPatch,
    RuntimeComponent,
    RuntimeRecord,
    RuntimeStore,
    ScanFilter,
    ScanKey,
    Status,
    UpdateStatusInput,
)

from records import NOW, record


class FlakyBackend(MemoryBackend):
    """A memory backend whose primitives fail on demand: `failing[primitive]` is raised when
    it is an exception, else returned instead of the real answer."""

    MISSING = object()

    def __init__(self) -> None:
        super().__init__()
        self.failing: dict[str, object] = {}

    def _answer(self, primitive: str) -> object:
        failure = self.failing.get(primitive, self.MISSING)
        if isinstance(failure, BaseException):
            raise failure
        return failure

    def fetch(self, game_id: str) -> RuntimeRecord | None:
        answer = self._answer("fetch")
        return super().fetch(game_id) if answer is self.MISSING else answer  # type: ignore[return-value]

    def scan(
        self, scan_filter: ScanFilter, after: ScanKey | None, limit: int
    ) -> list[RuntimeRecord]:
        answer = self._answer("scan")
        if answer is self.MISSING:
            return super().scan(scan_filter, after, limit)
        return answer  # type: ignore[return-value]

    def insert(self, record: RuntimeRecord) -> Any:
        answer = self._answer("insert")
        return super().insert(record) if answer is self.MISSING else answer

    def patch(self, game_id: str, expected_status: Status | None, changes: RecordPatch) -> Any:
        answer = self._answer("patch")
        return (
            super().patch(game_id, expected_status, changes) if answer is self.MISSING else answer
        )

    def remove(self, game_id: str) -> Any:
        answer = self._answer("remove")
        return super().remove(game_id) if answer is self.MISSING else answer


@pytest.fixture
def flaky(component: RuntimeComponent, binding: str) -> tuple[FlakyBackend, RuntimeStore]:
    backend = FlakyBackend()
    store = RuntimeStore(backend, component, binding=binding)  # type: ignore[arg-type]
    store.insert(record("game-1"))
    return backend, store


def test_backend_error_passes_through_unchanged(flaky: tuple[FlakyBackend, RuntimeStore]) -> None:
    backend, store = flaky
    backend.failing["fetch"] = BackendError.unavailable("connection refused")
    with pytest.raises(BackendFailure) as raised:
        store.get("game-1")
    assert raised.value.error == BackendError.unavailable("connection refused")
    assert raised.value.operation == "get" and raised.value.game_id == "game-1"
    assert (
        str(raised.value) == 'get runtime record "game-1": storage unavailable: connection refused'
    )


def test_any_exception_becomes_a_failed_backend_error(
    flaky: tuple[FlakyBackend, RuntimeStore],
) -> None:
    backend, store = flaky
    backend.failing["scan"] = ZeroDivisionError("division by zero")
    with pytest.raises(BackendFailure) as raised:
        store.list()
    assert raised.value.error == BackendError.failed(
        "backend scan: ZeroDivisionError: division by zero"
    )
    assert (
        str(raised.value)
        == "list runtimes: storage failed: backend scan: ZeroDivisionError: division by zero"
    )


U32 = "an integer in 0..=4294967295"
OUTCOME = "a value of type insert-outcome"
RECORD = "a value of type runtime-record"
PATCH_OUTCOME = "a value of type patch-outcome"


@pytest.mark.parametrize(
    ("primitive", "answer", "call", "detail"),
    [
        ("insert", "inserted", "insert", f"backend insert: the answer must be {OUTCOME}"),
        ("insert", None, "insert", f"backend insert: the answer must be {OUTCOME}"),
        ("fetch", "game-1", "get", f"backend fetch: the answer must be {RECORD}"),
        (
            "fetch",
            dataclasses.replace(record("game-1"), current_turn=-1),
            "get",
            f"backend fetch: current turn must be {U32}",
        ),
        (
            "fetch",
            dataclasses.replace(record("game-1"), status="running"),
            "get",
            "backend fetch: status must be one of the statuses starting, running, "
            "generation-in-progress, generation-failed, engine-unreachable, stopped, finished",
        ),
        (
            "fetch",
            dataclasses.replace(record("game-1"), engine_health="bad \udcff"),
            "get",
            "backend fetch: engine health must be a string of Unicode scalar values "
            "(no lone surrogates)",
        ),
        (
            "fetch",
            dataclasses.replace(record("game-1"), created_at=None),
            "get",
            "backend fetch: created at must be a timestamp with seconds and nanoseconds",
        ),
        ("scan", None, "list", "backend scan: the answer must be a list"),
        (
            "scan",
            [record("game-1"), dataclasses.replace(record("game-2"), skip_next_tick="no")],
            "list",
            "backend scan: item 1 skip next tick must be a boolean",
        ),
        ("patch", "applied", "update", f"backend patch: the answer must be {PATCH_OUTCOME}"),
        (
            "patch",
            PatchOutcome.status_mismatch("running"),  # type: ignore[arg-type]
            "update",
            "backend patch: stored status must be one of the statuses starting, running, "
            "generation-in-progress, generation-failed, engine-unreachable, stopped, finished",
        ),
        ("remove", 1, "delete", "backend remove: the answer must be None"),
    ],
)
def test_a_malformed_answer_becomes_a_failed_backend_error_naming_what_was_wrong(
    flaky: tuple[FlakyBackend, RuntimeStore], primitive: str, answer: object, call: str, detail: str
) -> None:
    backend, store = flaky
    backend.failing[primitive] = answer
    calls = {
        "insert": lambda: store.insert(record("game-2")),
        "get": lambda: store.get("game-1"),
        "list": store.list,
        "update": lambda: store.update_status(
            UpdateStatusInput("game-1", Status.RUNNING, Status.STOPPED, NOW)
        ),
        "delete": lambda: store.delete("game-1"),
    }
    with pytest.raises(BackendFailure) as raised:
        calls[call]()
    assert raised.value.error == BackendError.failed(detail)
    assert str(raised.value).endswith(f": storage failed: {detail}")
    backend.failing.clear()
    assert store.get("game-1") == record("game-1")


def test_a_backend_error_of_an_unknown_kind_is_named(
    flaky: tuple[FlakyBackend, RuntimeStore],
) -> None:
    backend, store = flaky
    backend.failing["fetch"] = BackendError("gone", "x")  # type: ignore[arg-type]
    with pytest.raises(BackendFailure) as raised:
        store.get("game-1")
    assert raised.value.error.kind is BackendErrorKind.FAILED
    assert raised.value.error.reason == (
        "backend fetch: the answer must be a value of type backend-error"
    )


def test_the_store_keeps_working_after_failures(flaky: tuple[FlakyBackend, RuntimeStore]) -> None:
    backend, store = flaky
    backend.failing["fetch"] = RuntimeError("boom")
    with pytest.raises(BackendFailure):
        store.get("game-1")
    backend.failing.clear()
    assert store.get("game-1") == record("game-1")


def test_an_interrupt_traps_is_reraised_and_a_fresh_instance_serves_the_next_call(
    flaky: tuple[FlakyBackend, RuntimeStore],
) -> None:
    backend, store = flaky
    backend.failing["fetch"] = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        store.get("game-1")
    assert store._instance is None
    backend.failing.clear()
    assert store.get("game-1") == record("game-1")
