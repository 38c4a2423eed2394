"""Exceptions of the store: one class per WIT `store-error` case, plus sandbox failures."""

from __future__ import annotations

from typing import Any

from .types import BackendError


def _where(operation: str, game_id: str | None) -> str:
    return operation if game_id is None else f"{operation} of game {game_id!r}"


class StoreError(Exception):
    """Base of every error the component answers with (WIT `store-error`).

    `operation` is the WIT function that failed (`update-status`); `game_id` is set when
    the call names a game.
    """

    def __init__(self, operation: str, game_id: str | None, detail: str):
        super().__init__(f"{_where(operation, game_id)}: {detail}")
        self.operation = operation
        self.game_id = game_id


class NotFound(StoreError):
    """No record exists for the game id."""

    def __init__(self, operation: str, game_id: str | None):
        super().__init__(operation, game_id, "runtime record not found")


class Conflict(StoreError):
    """The record exists already (insert) or its stored status differs from the expected one."""

    def __init__(self, operation: str, game_id: str | None):
        super().__init__(operation, game_id, "conflict")


class InvalidTransition(StoreError):
    """The status transition is not in the transition table; `reason` is the component's exact message."""

    def __init__(self, operation: str, game_id: str | None, reason: str):
        super().__init__(operation, game_id, reason)
        self.reason = reason


class InvalidInput(StoreError):
    """The input failed validation; `reason` is the component's exact message."""

    def __init__(self, operation: str, game_id: str | None, reason: str):
        super().__init__(operation, game_id, reason)
        self.reason = reason


class BackendFailure(StoreError):
    """The storage adapter failed; `error` is its `BackendError`, unchanged."""

    def __init__(self, operation: str, game_id: str | None, error: BackendError):
        super().__init__(operation, game_id, f"backend failed: {error}")
        self.error = error


def store_error(operation: str, game_id: str | None, error: tuple[str, Any]) -> StoreError:
    """The exception for a WIT `store-error`, given as (case name, payload)."""
    case, payload = error
    if case == "not-found":
        return NotFound(operation, game_id)
    if case == "conflict":
        return Conflict(operation, game_id)
    if case == "invalid-transition":
        return InvalidTransition(operation, game_id, payload)
    if case == "invalid-input":
        return InvalidInput(operation, game_id, payload)
    return BackendFailure(operation, game_id, payload)


class ComponentTrap(Exception):
    """The component trapped (a guest bug, or a component that does not match the WIT).

    The store discards the trapped instance and makes a fresh one for the next call.
    """

    def __init__(self, operation: str, game_id: str | None, cause: BaseException):
        super().__init__(f"{_where(operation, game_id)}: the component trapped: {cause}")
        self.operation = operation
        self.game_id = game_id
