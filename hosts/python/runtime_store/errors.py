"""Exceptions of the store: one class per WIT `store-error` case, plus sandbox failures.

Every message reads as the Rust crate `runtime-store-vocabulary` builds it, so the same
failure is worded the same in every host: `<operation words>[ "<game id>"]: <detail>`, where
the operation words come from the vocabulary (`update runtime status`) and the game id is
quoted as JSON; invalid input and invalid transitions read as the rules' exact message.
"""

from __future__ import annotations

import enum
import json
from typing import Any

from . import _vocabulary as words
from .identity import RulesIdentity
from .types import BackendError


def operation_words(operation: str) -> str:
    """The words that start every message about `operation` (a WIT function name)."""
    return words.OPERATIONS[operation]


def located(operation: str, game_id: str | None) -> str:
    """`<operation words>`, then the JSON-quoted game id when the call names one."""
    if game_id is None:
        return operation_words(operation)
    return f"{operation_words(operation)} {json.dumps(game_id, ensure_ascii=False)}"


class StoreError(Exception):
    """Base of every error a store or rules call raises.

    `operation` is the WIT function that failed (`update-status`); `game_id` is the game the
    call names (`None` for calls that name none). `str(error)` is the message every host
    gives for the same failure.
    """

    def __init__(self, operation: str, game_id: str | None, message: str):
        super().__init__(message)
        self.operation = operation
        self.game_id = game_id

    @property
    def message(self) -> str:
        """The whole message (`str(error)`)."""
        return str(self.args[0])


class NotFound(StoreError):
    """No record exists for the game id."""

    def __init__(self, operation: str, game_id: str | None):
        super().__init__(operation, game_id, f"{located(operation, game_id)}: {words.NOT_FOUND}")


class Conflict(StoreError):
    """The record exists already (insert) or its stored status differs from the expected one
    (a lost compare-and-swap)."""

    def __init__(self, operation: str, game_id: str | None):
        detail = words.RECORD_EXISTS if operation == "insert" else words.STATUS_DIFFERS
        super().__init__(operation, game_id, f"{located(operation, game_id)}: {detail}")


class InvalidTransition(StoreError):
    """The status transition is not in the transition table; `reason` (and `str()`) is the
    component's exact message."""

    def __init__(self, operation: str, game_id: str | None, reason: str):
        super().__init__(operation, game_id, reason)
        self.reason = reason


class InvalidInput(StoreError):
    """The input failed validation; `reason` (and `str()`) is the exact message: the rules'
    own, or, for a value the WIT types cannot hold, `<operation words>: <field> must be
    <what it must be>`, raised before the component is entered."""

    def __init__(self, operation: str, game_id: str | None, reason: str):
        super().__init__(operation, game_id, reason)
        self.reason = reason


class BackendFailure(StoreError):
    """The storage adapter failed; `error` is its `BackendError`, unchanged. Reads
    `<operation words>[ "<game id>"]: <kind words>: <reason>`."""

    def __init__(self, operation: str, game_id: str | None, error: BackendError):
        super().__init__(operation, game_id, f"{located(operation, game_id)}: {error}")
        self.error = error


def store_error(operation: str, game_id: str | None, error: tuple[str, Any]) -> StoreError:
    """The exception for a WIT `store-error` given as (case name, payload), as the store
    raises it: `not-found` and `conflict` carry no payload, `invalid-transition` and
    `invalid-input` the rules' message, `backend` a `BackendError`."""
    case, payload = error
    if case == "not-found":
        return NotFound(operation, game_id)
    if case == "conflict":
        return Conflict(operation, game_id)
    if case == "invalid-transition":
        return InvalidTransition(operation, game_id, payload)
    if case == "invalid-input":
        return InvalidInput(operation, game_id, payload)
    if case == "backend":
        return BackendFailure(operation, game_id, payload)
    raise ValueError(f"no store-error case {case!r}")


def boundary_error(operation: str, game_id: str | None, field: str, expected: str) -> InvalidInput:
    """`InvalidInput` for a value the WIT types cannot hold: `<operation words>: <field> must
    be <expected>` (the vocabulary's `BOUNDARY_MUST_BE`)."""
    message = words.BOUNDARY_MUST_BE.format(
        operation=operation_words(operation), field=field, expected=expected
    )
    return InvalidInput(operation, game_id, message)


class SandboxFailure(enum.Enum):
    """Why the sandbox stopped a call."""

    OUT_OF_FUEL = "out-of-fuel"
    """The call used up its CPU budget (`fuel_per_call`)."""
    DEADLINE = "deadline"
    """The call ran past its wall-clock deadline (`deadline_per_call`)."""
    BACKEND_CALLS = "backend-calls"
    """The guest called the backend more often than its operation needs (once for a store
    operation, never for the rules: contract §7.1)."""
    TRAPPED_NEAR_LIMIT = "trapped-near-limit"
    """The guest trapped while a memory limit was in force; wasmtime-py does not say
    whether the limit was the cause (a guest whose memory cannot grow traps)."""
    TRAPPED = "trapped"
    """The guest trapped (no memory limit was in force)."""
    INSTANTIATION = "instantiation"
    """No instance could be created for the call."""


class SandboxError(StoreError):
    """The sandbox stopped the call: the guest ran out of fuel, ran past its deadline, called
    the backend more often than its operation needs, trapped (a guest bug, a stack
    overflow, or its memory could not grow past `memory_limit`), or could not be
    instantiated.

    `failure` says which, `reason` is the detail (`the guest ran out of fuel (budget
    200000000 per call)`), `rules` the build that ran (`RulesIdentity`); `str()` is
    `<operation words>[ "<game id>"]: <reason> (rules <first 12 hex digits of its SHA-256>)`.
    The instance that ran the call is discarded; the next call gets a fresh one.
    """

    def __init__(
        self,
        operation: str,
        game_id: str | None,
        failure: SandboxFailure,
        reason: str,
        rules: RulesIdentity,
    ):
        named = words.SANDBOX_RULES.format(rules=rules.short)
        super().__init__(operation, game_id, f"{located(operation, game_id)}: {reason} {named}")
        self.failure = failure
        self.reason = reason
        self.rules = rules


ComponentTrap = SandboxError
"""The former name of `SandboxError` (which is now also a `StoreError`), kept so existing
`except ComponentTrap` clauses go on catching traps."""


def sandbox_error(
    operation: str,
    game_id: str | None,
    failure: SandboxFailure,
    *,
    rules: RulesIdentity,
    budget: int | None = None,
    limit: int | None = None,
    milliseconds: int | None = None,
    reason: str = "",
) -> SandboxError:
    """The `SandboxError` for `failure` of the build `rules`, worded with the vocabulary's
    sandbox texts (`limit` is the memory limit, or for `BACKEND_CALLS` the operation's
    backend calls)."""
    if failure is SandboxFailure.OUT_OF_FUEL:
        text = words.SANDBOX_OUT_OF_FUEL.format(budget=budget)
    elif failure is SandboxFailure.DEADLINE:
        text = words.SANDBOX_DEADLINE.format(milliseconds=milliseconds)
    elif failure is SandboxFailure.BACKEND_CALLS:
        text = words.SANDBOX_BACKEND_CALLS.format(limit=limit)
    elif failure is SandboxFailure.TRAPPED_NEAR_LIMIT:
        text = words.SANDBOX_TRAPPED_NEAR_LIMIT.format(limit=limit, reason=reason)
    elif failure is SandboxFailure.TRAPPED:
        text = words.SANDBOX_TRAPPED.format(reason=reason)
    else:
        text = words.SANDBOX_INSTANTIATION.format(reason=reason)
    return SandboxError(operation, game_id, failure, text, rules)


class SwapStep(enum.Enum):
    """The step of `RuntimeStore.swap_rules` that refused a candidate; the value is how the
    message words it (the Rust host's `SwapStep`)."""

    LOAD = "load (compile and type-check)"
    """Compiling it and checking its types against the runtime-store world."""
    INSTANTIATION = "instantiation"
    """Making its first instance (its start code ran)."""
    GATE = "the conformance gate"
    """The gate the caller gave, run against a store on the candidate."""


class SwapError(Exception):
    """`RuntimeStore.swap_rules` refused a candidate; the rules that served keep serving.

    `step` is the `SwapStep` that refused it, `reason` what that step said, `candidate` and
    `serving` the `RulesIdentity` of the refused component and of the rules still active.
    `str()` reads as the Rust host's `SwapError`: `swap rules to <candidate>: refused at
    <step>: <reason> (the rules <serving> keep serving)`.
    """

    def __init__(
        self, step: SwapStep, reason: str, candidate: RulesIdentity, serving: RulesIdentity
    ):
        super().__init__(
            f"swap rules to {candidate}: refused at {step.value}: {reason} "
            f"(the rules {serving} keep serving)"
        )
        self.step = step
        self.reason = reason
        self.candidate = candidate
        self.serving = serving
