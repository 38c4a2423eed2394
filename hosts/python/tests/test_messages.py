"""Every error reads as the vocabulary crate words it (tests/conformance/messages.json is
generated from it), built by the very function the store raises with."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runtime_store import (
    BackendError,
    BackendErrorKind,
    BackendFailure,
    Conflict,
    InvalidInput,
    InvalidTransition,
    MemoryBackend,
    NotFound,
    RulesIdentity,
    RuntimeComponent,
    RuntimeStore,
    SandboxError,
    SandboxFailure,
    Status,
    UpdateStatusInput,
)
from runtime_store.errors import ComponentTrap, sandbox_error, store_error

from paths import MESSAGES
from records import NOW, record

CASES: list[dict[str, Any]] = json.loads(MESSAGES.read_text(encoding="utf-8"))
CLASSES = {
    "not-found": NotFound,
    "conflict": Conflict,
    "invalid-transition": InvalidTransition,
    "invalid-input": InvalidInput,
    "backend": BackendFailure,
}


def _payload(error: dict[str, Any]) -> Any:
    case = error["case"]
    if case == "backend":
        return BackendError(BackendErrorKind(error["kind"]), error["reason"])
    return error.get("message")


def test_the_generated_cases_cover_every_error_case() -> None:
    assert {case["error"]["case"] for case in CASES} == set(CLASSES)


@pytest.mark.parametrize(
    "case", CASES, ids=lambda case: f"{case['operation']}-{case['error']['case']}"
)
def test_each_message_reads_as_the_vocabulary_builds_it(case: dict[str, Any]) -> None:
    error = store_error(
        case["operation"], case["game-id"], (case["error"]["case"], _payload(case["error"]))
    )
    assert type(error) is CLASSES[case["error"]["case"]]
    assert str(error) == case["message"]
    assert error.operation == case["operation"]
    assert error.game_id == case["game-id"]


def test_a_backend_error_reads_kind_words_then_reason() -> None:
    assert (
        str(BackendError.unavailable("connection refused"))
        == "storage unavailable: connection refused"
    )
    assert str(BackendError.corrupt("x")) == "corrupt stored value: x"
    assert str(BackendError.failed("x")) == "storage failed: x"


def test_the_store_raises_those_messages(component: RuntimeComponent, binding: str) -> None:
    store = RuntimeStore(MemoryBackend(), component, binding=binding)  # type: ignore[arg-type]
    with pytest.raises(NotFound) as missing:
        store.get('say "hi"')
    assert str(missing.value) == 'get runtime record "say \\"hi\\"": runtime record not found'
    store.insert(record("game-1"))
    with pytest.raises(Conflict) as exists:
        store.insert(record("game-1"))
    assert (
        str(exists.value)
        == 'insert runtime record "game-1": a runtime record with this game id exists already'
    )
    lost = UpdateStatusInput("game-1", Status.STARTING, Status.RUNNING, NOW)
    with pytest.raises(Conflict) as differs:
        store.update_status(lost)
    assert (
        str(differs.value)
        == 'update runtime status "game-1": the stored status differs from the expected one'
    )
    assert (differs.value.operation, differs.value.game_id) == ("update-status", "game-1")
    with pytest.raises(InvalidTransition) as forbidden:
        store.transition(Status.FINISHED, Status.RUNNING)
    assert str(forbidden.value) == forbidden.value.reason
    assert (
        forbidden.value.reason
        == 'runtime status transition from "finished" to "running" is not allowed'
    )


@pytest.mark.parametrize(
    ("failure", "values", "expected"),
    [
        (
            SandboxFailure.OUT_OF_FUEL,
            {"budget": 1000},
            "the guest ran out of fuel (budget 1000 per call)",
        ),
        (
            SandboxFailure.TRAPPED_NEAR_LIMIT,
            {"limit": 16777216, "reason": "wasm `unreachable` instruction executed"},
            "the guest trapped (its memory limit is 16777216 bytes): "
            "wasm `unreachable` instruction executed",
        ),
        (SandboxFailure.TRAPPED, {"reason": "boom"}, "the guest trapped: boom"),
        (
            SandboxFailure.DEADLINE,
            {"milliseconds": 1000},
            "the call exceeded its deadline of 1000 ms",
        ),
        (
            SandboxFailure.BACKEND_CALLS,
            {"limit": 1},
            "the guest called the backend more than the 1 time(s) its operation needs",
        ),
        (
            SandboxFailure.INSTANTIATION,
            {"reason": "boom"},
            "the rules component could not be instantiated: boom",
        ),
    ],
)
def test_sandbox_messages_name_the_operation_and_game(
    failure: SandboxFailure, values: dict[str, Any], expected: str
) -> None:
    rules = RulesIdentity("43ccc970f50c" + "0" * 52, 1234)
    error = sandbox_error("update-status", "game-1", failure, rules=rules, **values)
    assert isinstance(error, SandboxError) and isinstance(error, ComponentTrap)
    # The vocabulary crate's own example: `... (rules 43ccc970f50c)`.
    assert str(error) == f'update runtime status "game-1": {expected} (rules 43ccc970f50c)'
    assert error.reason == expected and error.failure is failure and error.rules is rules
    assert (
        str(sandbox_error("list", None, failure, rules=rules, **values))
        == f"list runtimes: {expected} (rules 43ccc970f50c)"
    )
