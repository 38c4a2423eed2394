"""Reading conformance vectors (`tests/conformance/README.md`) and running their steps."""

from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import Path
from typing import Any

from runtime_store import (
    BackendFailure,
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RuntimePage,
    RuntimeRecord,
    RuntimeStore,
    Status,
    StoreError,
    Timestamp,
    UpdateEngineHealthInput,
    UpdateImageInput,
    UpdateSchedulingInput,
    UpdateStatusInput,
)

from paths import MESSAGES, VECTOR_DIR

_INPUT_TYPES = {
    "update-status": UpdateStatusInput,
    "validate-update-status": UpdateStatusInput,
    "update-scheduling": UpdateSchedulingInput,
    "validate-update-scheduling": UpdateSchedulingInput,
    "update-image": UpdateImageInput,
    "validate-update-image": UpdateImageInput,
    "update-engine-health": UpdateEngineHealthInput,
    "validate-update-engine-health": UpdateEngineHealthInput,
}
_STATUS_FIELDS = {"status", "expected_from", "expected_status", "to"}
_PAGE_OPS = ("list-page", "list-by-status-page", "list-due-running-page")
_ERROR_CASES = {
    NotFound: "not-found",
    Conflict: "conflict",
    InvalidTransition: "invalid-transition",
    InvalidInput: "invalid-input",
    BackendFailure: "backend",
}


def vector_files() -> list[Path]:
    """The step files (`messages.json`, which lists whole error messages, is not one)."""
    return sorted(path for path in VECTOR_DIR.glob("*.json") if path != MESSAGES)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def from_json(record_class: type, value: dict[str, Any]) -> Any:
    """A dataclass from a vector object whose keys are the WIT (kebab-case) field names."""
    fields = {field.name for field in dataclasses.fields(record_class)}
    keys = {key.replace("-", "_") for key in value}
    if keys != fields:
        raise ValueError(
            f"{record_class.__name__} fields {sorted(fields)}, vector has {sorted(keys)}"
        )
    return record_class(
        **{
            key.replace("-", "_"): _field(key.replace("-", "_"), item)
            for key, item in value.items()
        }
    )


def _field(name: str, value: Any) -> Any:
    if isinstance(value, dict):
        return from_json(Timestamp, value)
    if name in _STATUS_FIELDS:
        return Status(value)
    return value


def to_json(value: Any) -> Any:
    """The vector form of a value the store returned."""
    if dataclasses.is_dataclass(value):
        return {
            field.name.replace("_", "-"): to_json(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value


class PageCursors:
    """A file's page state (format 2): the `next-cursor` of the most recent step whose
    expectation is an ok page, which `{"previous-page": true}` names."""

    def __init__(self) -> None:
        self.previous: str | None = None

    def cursor(self, argument: Any) -> str | None:
        """The cursor a step's `args.cursor` names: `null`, a literal string, or the
        previous page's; `MissingCursor` when that page returned none."""
        if isinstance(argument, dict):
            if argument != {"previous-page": True}:
                raise ValueError(f"unknown cursor argument {argument!r}")
            if self.previous is None:
                raise MissingCursor()
            return self.previous
        if argument is not None and not isinstance(argument, str):
            raise ValueError(f"unknown cursor argument {argument!r}")
        return argument

    def remember(self, step: dict[str, Any], actual: Any) -> None:
        """After a step: when it expects an ok page, its actual cursor becomes the previous
        one (`None` when it did not return a page with a cursor)."""
        expect = step["expect"]
        if isinstance(expect.get("ok"), dict) and "has-next-cursor" in expect["ok"]:
            self.previous = actual.next_cursor if isinstance(actual, RuntimePage) else None


class MissingCursor(Exception):
    """`{"previous-page": true}` where the previous page step returned no cursor."""


def call(
    store: RuntimeStore, op: str, args: dict[str, Any], cursors: PageCursors | None = None
) -> Any:
    """Runs one vector step's operation with its arguments."""
    method = getattr(store, op.replace("-", "_"))
    if op in _PAGE_OPS:
        cursor = (cursors or PageCursors()).cursor(args["cursor"])
        if op == "list-page":
            return method(cursor, args["limit"])
        if op == "list-by-status-page":
            return method(Status(args["status"]), cursor, args["limit"])
        return method(from_json(Timestamp, args["now"]), cursor, args["limit"])
    if op in _INPUT_TYPES:
        return method(from_json(_INPUT_TYPES[op], args["input"]))
    if "record" in args:
        return method(from_json(RuntimeRecord, args["record"]))
    if "game-id" in args:
        return method(args["game-id"])
    if "now" in args:
        return method(from_json(Timestamp, args["now"]))
    if op in ("transition",):
        return method(Status(args["from"]), Status(args["to"]))
    if "from" in args:
        return method(Status(args["from"]))
    if "status" in args:
        return method(Status(args["status"]))
    return method()


def outcome(
    store: RuntimeStore, step: dict[str, Any], cursors: PageCursors | None = None
) -> dict[str, Any]:
    """The step's result in the vector's `expect` form; with `cursors`, page steps follow
    the file's earlier pages."""
    cursors = cursors or PageCursors()
    result: Any = None
    try:
        result = call(store, step["op"], step["args"], cursors)
        if isinstance(result, RuntimePage):
            return {
                "ok": {
                    "records": to_json(result.records),
                    "has-next-cursor": result.next_cursor is not None,
                }
            }
        return {"ok": to_json(result)}
    except MissingCursor:
        return {"runner": "the previous page step returned no next cursor"}
    except StoreError as error:
        answer = {"error": _ERROR_CASES[type(error)]}
        if isinstance(error, (InvalidInput, InvalidTransition)):
            answer["message"] = error.reason
        if isinstance(error, BackendFailure):
            answer["backend"] = repr(error.error)
        return answer
    finally:
        cursors.remember(step, result)
