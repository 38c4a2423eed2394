"""The codecs of `wit/gamemaster.wit` and the signatures of every function this host binds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    record_expected,
    status_expected,
)
from .types import (
    BackendError,
    BackendErrorKind,
    InsertOutcome,
    PatchOutcome,
    PatchOutcomeKind,
    RecordPatch,
    RuntimePage,
    RuntimeRecord,
    ScanFilter,
    ScanKey,
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
VERSION = "0.2.0"
STORE_INTERFACE = f"{PACKAGE}/store@{VERSION}"
RULES_INTERFACE = f"{PACKAGE}/rules@{VERSION}"
BACKEND_INTERFACE = f"{PACKAGE}/backend@{VERSION}"
TYPES_INTERFACE = f"{PACKAGE}/types@{VERSION}"


@dataclass(frozen=True)
class Lookup:
    """The answer of a backend `fetch` (WIT `lookup`)."""

    found: RuntimeRecord | None


STRING = StringCodec()
BOOL = BoolCodec()
TIMESTAMP = TimestampCodec(Timestamp)
OPTIONAL_TIMESTAMP = OptionCodec(TIMESTAMP)
OPTIONAL_STRING = OptionCodec(STRING)
STATUS = EnumCodec(Status, status_expected())

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


def _record(record_class: Any, wit_name: str, **overrides: Codec) -> RecordCodec:
    return RecordCodec(record_class, wit_name, {**_FIELD_CODECS, **overrides})


RUNTIME_RECORD = _record(RuntimeRecord, "runtime-record")
RECORD_LIST = ListCodec(RUNTIME_RECORD)
RUNTIME_PAGE = _record(
    RuntimePage, "runtime-page", records=RECORD_LIST, next_cursor=OPTIONAL_STRING
)
UPDATE_STATUS_INPUT = _record(
    UpdateStatusInput,
    "update-status-input",
    engine_health_summary=OPTIONAL_STRING,
    current_image_ref=OPTIONAL_STRING,
    current_engine_version=OPTIONAL_STRING,
)
UPDATE_SCHEDULING_INPUT = _record(UpdateSchedulingInput, "update-scheduling-input")
UPDATE_IMAGE_INPUT = _record(UpdateImageInput, "update-image-input")
UPDATE_ENGINE_HEALTH_INPUT = _record(UpdateEngineHealthInput, "update-engine-health-input")

BACKEND_ERROR = VariantCodec(
    BackendError,
    "backend-error",
    [(kind.value, STRING) for kind in BackendErrorKind],
    split=lambda error: (error.kind.value, error.reason),
    join=lambda case, reason: BackendError(BackendErrorKind(case), reason),
    payload_words="reason",
)

# Store errors become exceptions in `store.py`, which adds the operation and game id.
STORE_ERROR = VariantCodec(
    tuple,
    "store-error",
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

LOOKUP = RecordCodec(Lookup, "lookup", {"found": OptionCodec(RUNTIME_RECORD)}, {"found": ""})
INSERT_OUTCOME = EnumCodec(InsertOutcome, record_expected("insert-outcome"))
STATUS_CHANGE = _record(StatusChange, "status-change")
SCHEDULING = _record(Scheduling, "scheduling")
RECORD_PATCH = _record(
    RecordPatch,
    "record-patch",
    status=OptionCodec(STATUS_CHANGE),
    scheduling=OptionCodec(SCHEDULING),
    current_image_ref=OPTIONAL_STRING,
    current_engine_version=OPTIONAL_STRING,
    engine_health=OPTIONAL_STRING,
)
PATCH_OUTCOME = VariantCodec(
    PatchOutcome,
    "patch-outcome",
    [("applied", None), ("not-found", None), ("status-mismatch", STATUS)],
    split=lambda outcome: (outcome.kind.value, outcome.stored_status),
    join=lambda case, stored: PatchOutcome(PatchOutcomeKind(case), stored),
    payload_words="stored status",
)
SCAN_FILTER = VariantCodec(
    ScanFilter,
    "scan-filter",
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
SCAN_KEY = _record(ScanKey, "scan-key", at=TIMESTAMP)


@dataclass(frozen=True)
class Signature:
    """A WIT function: its parameter codecs (in order), their WIT names, its result codec."""

    params: tuple[Codec, ...]
    names: tuple[str, ...]
    result: Codec

    @property
    def words(self) -> tuple[str, ...]:
        """The parameters' names as words (`game-id` -> `game id`)."""
        return tuple(name.replace("-", " ") for name in self.names)


def _signature(result: Codec, params: tuple[tuple[str, Codec], ...]) -> Signature:
    return Signature(tuple(codec for _, codec in params), tuple(name for name, _ in params), result)


def _fallible(ok: Codec | None, *params: tuple[str, Codec]) -> Signature:
    return _signature(ResultCodec(ok, STORE_ERROR), params)


GAME_ID = ("game-id", STRING)
RECORD = ("record", RUNTIME_RECORD)
CURSOR = ("cursor", OPTIONAL_STRING)
LIMIT = ("limit", U32)

STORE_FUNCTIONS: dict[str, Signature] = {
    "get": _fallible(RUNTIME_RECORD, GAME_ID),
    "insert": _fallible(None, RECORD),
    "update-status": _fallible(None, ("input", UPDATE_STATUS_INPUT)),
    "update-scheduling": _fallible(None, ("input", UPDATE_SCHEDULING_INPUT)),
    "update-image": _fallible(None, ("input", UPDATE_IMAGE_INPUT)),
    "update-engine-health": _fallible(None, ("input", UPDATE_ENGINE_HEALTH_INPUT)),
    "delete": _fallible(None, GAME_ID),
    "list-due-running": _fallible(RECORD_LIST, ("now", TIMESTAMP)),
    "list-by-status": _fallible(RECORD_LIST, ("status", STATUS)),
    "list": _fallible(RECORD_LIST),
    "list-due-running-page": _fallible(RUNTIME_PAGE, ("now", TIMESTAMP), CURSOR, LIMIT),
    "list-by-status-page": _fallible(RUNTIME_PAGE, ("status", STATUS), CURSOR, LIMIT),
    "list-page": _fallible(RUNTIME_PAGE, CURSOR, LIMIT),
}

WHOLE_LISTS: dict[str, str] = {
    "list-due-running": "list-due-running-page",
    "list-by-status": "list-by-status-page",
    "list": "list-page",
}
"""The whole-list exports, each with the page export a host assembles it from instead: a
whole list is answered with one backend call, so it must fit in the guest's memory (about
900 records at the largest sizes in 16 MiB); the store never calls them, and only checks
their types at load."""

RULES_FUNCTIONS: dict[str, Signature] = {
    "transition": _fallible(None, ("from", STATUS), ("to", STATUS)),
    "allowed-transitions": _signature(ListCodec(STATUS), (("from", STATUS),)),
    "validate-record": _fallible(None, RECORD),
    "validate-update-status": _fallible(None, ("input", UPDATE_STATUS_INPUT)),
    "validate-update-scheduling": _fallible(None, ("input", UPDATE_SCHEDULING_INPUT)),
    "validate-update-image": _fallible(None, ("input", UPDATE_IMAGE_INPUT)),
    "validate-update-engine-health": _fallible(None, ("input", UPDATE_ENGINE_HEALTH_INPUT)),
}

EXPORTS: dict[str, dict[str, Signature]] = {
    STORE_INTERFACE: STORE_FUNCTIONS,
    RULES_INTERFACE: RULES_FUNCTIONS,
}
"""The functions this host calls, by exported interface."""


def _backend(ok: Codec | None, *params: tuple[str, Codec]) -> Signature:
    return _signature(ResultCodec(ok, BACKEND_ERROR), params)


BACKEND_FUNCTIONS: dict[str, Signature] = {
    "fetch": _backend(LOOKUP, GAME_ID),
    "insert": _backend(INSERT_OUTCOME, RECORD),
    "patch": _backend(
        PATCH_OUTCOME,
        GAME_ID,
        ("expected-status", OptionCodec(STATUS)),
        ("changes", RECORD_PATCH),
    ),
    "remove": _backend(None, GAME_ID),
    "scan": _backend(RECORD_LIST, ("filter", SCAN_FILTER), ("after", OptionCodec(SCAN_KEY)), LIMIT),
}
