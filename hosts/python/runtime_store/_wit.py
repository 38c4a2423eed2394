"""The codecs of `wit/gamemaster.wit` and the signatures of every function this host binds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ._codec import (
    U32,
    BoolCodec,
    Codec,
    EnumCodec,
    ListCodec,
    OptionCodec,
    RecordCodec,
    ResultCodec,
    StringCodec,
    TimestampCodec,
    VariantCodec,
)
from .types import (
    BackendError,
    BackendErrorKind,
    InsertOutcome,
    PatchOutcome,
    PatchOutcomeKind,
    RecordPatch,
    RuntimeRecord,
    ScanFilter,
    ScanKind,
    Scheduling,
    Status,
    StatusChange,
    Timestamp,
    UpdateEngineHealthInput,
    UpdateImageInput,
    UpdateSchedulingInput,
    UpdateStatusInput,
)

PACKAGE = "galaxy:gamemaster"
VERSION = "0.1.0"
STORE_INTERFACE = f"{PACKAGE}/store@{VERSION}"
RULES_INTERFACE = f"{PACKAGE}/rules@{VERSION}"
BACKEND_INTERFACE = f"{PACKAGE}/backend@{VERSION}"


@dataclass(frozen=True)
class Lookup:
    """The answer of a backend `fetch` (WIT `lookup`)."""

    found: Optional[RuntimeRecord]


STRING = StringCodec()
BOOL = BoolCodec()
TIMESTAMP = TimestampCodec(Timestamp)
OPTIONAL_TIMESTAMP = OptionCodec(TIMESTAMP)
OPTIONAL_STRING = OptionCodec(STRING)
STATUS = EnumCodec(Status)

_FIELD_CODECS: dict[str, Codec] = {
    "game_id": STRING,
    "status": STATUS,
    "engine_endpoint": STRING,
    "current_image_ref": STRING,
    "current_engine_version": STRING,
    "engine_health": STRING,
    "current_turn": U32,
    "next_generation_at": OPTIONAL_TIMESTAMP,
    "skip_next_tick": BOOL,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "started_at": OPTIONAL_TIMESTAMP,
    "stopped_at": OPTIONAL_TIMESTAMP,
    "finished_at": OPTIONAL_TIMESTAMP,
    "expected_from": STATUS,
    "expected_status": STATUS,
    "to": STATUS,
    "now": TIMESTAMP,
    "engine_health_summary": STRING,
}


def _record(record_class: Any, **overrides: Codec) -> RecordCodec:
    return RecordCodec(record_class, {**_FIELD_CODECS, **overrides})


RUNTIME_RECORD = _record(RuntimeRecord)
RECORD_LIST = ListCodec(RUNTIME_RECORD)
UPDATE_STATUS_INPUT = _record(
    UpdateStatusInput,
    engine_health_summary=OPTIONAL_STRING,
    current_image_ref=OPTIONAL_STRING,
    current_engine_version=OPTIONAL_STRING,
)
UPDATE_SCHEDULING_INPUT = _record(UpdateSchedulingInput)
UPDATE_IMAGE_INPUT = _record(UpdateImageInput)
UPDATE_ENGINE_HEALTH_INPUT = _record(UpdateEngineHealthInput)

BACKEND_ERROR = VariantCodec(
    [(kind.value, STRING) for kind in BackendErrorKind],
    split=lambda error: (error.kind.value, error.reason),
    join=lambda case, reason: BackendError(BackendErrorKind(case), reason),
)

# Store errors become exceptions in `store.py`, which adds the operation and game id.
STORE_ERROR = VariantCodec(
    [
        ("not-found", None),
        ("conflict", None),
        ("invalid-transition", STRING),
        ("invalid-input", STRING),
        ("backend", BACKEND_ERROR),
    ],
    split=lambda case_and_payload: case_and_payload,
    join=lambda case, payload: (case, payload),
)

LOOKUP = RecordCodec(Lookup, {"found": OptionCodec(RUNTIME_RECORD)})
INSERT_OUTCOME = EnumCodec(InsertOutcome)
STATUS_CHANGE = _record(StatusChange)
SCHEDULING = _record(Scheduling)
RECORD_PATCH = _record(
    RecordPatch,
    status=OptionCodec(STATUS_CHANGE),
    scheduling=OptionCodec(SCHEDULING),
    current_image_ref=OPTIONAL_STRING,
    current_engine_version=OPTIONAL_STRING,
    engine_health=OPTIONAL_STRING,
)
PATCH_OUTCOME = VariantCodec(
    [("applied", None), ("not-found", None), ("status-mismatch", STATUS)],
    split=lambda outcome: (outcome.kind.value, outcome.stored_status),
    join=lambda case, stored: PatchOutcome(PatchOutcomeKind(case), stored),
)
SCAN_FILTER = VariantCodec(
    [("all", None), ("by-status", STATUS), ("due-running", TIMESTAMP)],
    split=lambda scan: (
        scan.kind.value,
        scan.status if scan.kind is ScanKind.BY_STATUS else scan.now,
    ),
    join=lambda case, payload: ScanFilter(
        ScanKind(case),
        status=payload if case == "by-status" else None,
        now=payload if case == "due-running" else None,
    ),
)


@dataclass(frozen=True)
class Signature:
    """A WIT function: its parameter codecs (in order) and its result codec."""

    params: tuple[Codec, ...]
    result: Codec


def _fallible(ok: Optional[Codec], *params: Codec) -> Signature:
    return Signature(params, ResultCodec(ok, STORE_ERROR))


STORE_FUNCTIONS: dict[str, Signature] = {
    "get": _fallible(RUNTIME_RECORD, STRING),
    "insert": _fallible(None, RUNTIME_RECORD),
    "update-status": _fallible(None, UPDATE_STATUS_INPUT),
    "update-scheduling": _fallible(None, UPDATE_SCHEDULING_INPUT),
    "update-image": _fallible(None, UPDATE_IMAGE_INPUT),
    "update-engine-health": _fallible(None, UPDATE_ENGINE_HEALTH_INPUT),
    "delete": _fallible(None, STRING),
    "list-due-running": _fallible(RECORD_LIST, TIMESTAMP),
    "list-by-status": _fallible(RECORD_LIST, STATUS),
    "list": _fallible(RECORD_LIST),
}

RULES_FUNCTIONS: dict[str, Signature] = {
    "transition": _fallible(None, STATUS, STATUS),
    "allowed-transitions": Signature((STATUS,), ListCodec(STATUS)),
    "validate-record": _fallible(None, RUNTIME_RECORD),
    "validate-update-status": _fallible(None, UPDATE_STATUS_INPUT),
    "validate-update-scheduling": _fallible(None, UPDATE_SCHEDULING_INPUT),
    "validate-update-image": _fallible(None, UPDATE_IMAGE_INPUT),
    "validate-update-engine-health": _fallible(None, UPDATE_ENGINE_HEALTH_INPUT),
}

EXPORTS: dict[str, dict[str, Signature]] = {
    STORE_INTERFACE: STORE_FUNCTIONS,
    RULES_INTERFACE: RULES_FUNCTIONS,
}
"""The functions this host calls, by exported interface."""


def _backend(ok: Optional[Codec], *params: Codec) -> Signature:
    return Signature(params, ResultCodec(ok, BACKEND_ERROR))


BACKEND_FUNCTIONS: dict[str, Signature] = {
    "fetch": _backend(LOOKUP, STRING),
    "insert": _backend(INSERT_OUTCOME, RUNTIME_RECORD),
    "patch": _backend(PATCH_OUTCOME, STRING, OptionCodec(STATUS), RECORD_PATCH),
    "remove": _backend(None, STRING),
    "scan": _backend(RECORD_LIST, SCAN_FILTER),
}
