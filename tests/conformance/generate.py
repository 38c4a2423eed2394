#!/usr/bin/env python3
"""Writes the conformance vectors (tests/conformance/*.json) from docs/contract.md, sections 2-3.

Standard library only. Run from anywhere:

    python3 tests/conformance/generate.py

The contract's tables (statuses, transitions, validation checks and their order, limits,
timestamp bounds, normalisation, list orders) and its decision where the original contract
is silent (D1, docs/design.md: strings holding NUL are rejected, after the timestamp
checks) are encoded below as a small reference model of the store. Every step's
expectation comes from that model; the steps that matter most (lifecycle stamps,
truncation, orders, CAS) also carry a literal expectation written by hand, and generation
stops if the model disagrees with it. Nothing here ever runs the
implementation.
"""

from __future__ import annotations

import copy
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent

# --- contract §2.2: statuses (WIT case name -> stored text), in declaration order ----------
STATUSES = {
    "starting": "starting",
    "running": "running",
    "generation-in-progress": "generation_in_progress",
    "generation-failed": "generation_failed",
    "engine-unreachable": "engine_unreachable",
    "stopped": "stopped",
    "finished": "finished",
}

# --- contract §2.3: the transition table -------------------------------------------------
TRANSITIONS = {
    "starting": ["running", "stopped"],
    "running": ["generation-in-progress", "engine-unreachable", "stopped", "finished"],
    "generation-in-progress": ["running", "generation-failed", "engine-unreachable", "finished"],
    "generation-failed": ["running", "stopped", "finished"],
    "engine-unreachable": ["running", "stopped"],
    "stopped": ["starting", "finished"],
    "finished": [],
}

# --- contract §2.1 / §2.5: limits and timestamp bounds -----------------------------------
GAME_ID_MAX_BYTES = 256
STRING_MAX_BYTES = 4096
MIN_SECONDS = -62135596800  # 0001-01-01T00:00:00Z, also Go's zero instant
MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59Z
NANOS_PER_SECOND = 1_000_000_000

# Unicode White_Space: what Go's strings.TrimSpace and Rust's str::trim remove. (Python's
# str.isspace also accepts U+001C..U+001F, so it is not used.)
WHITE_SPACE = set(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

# An ordinary instant well inside the valid range: 2025-11-24T16:00:00Z.
BASE_SECONDS = 1_764_000_000


def ts(seconds: int, nanoseconds: int = 0) -> dict:
    return {"seconds": seconds, "nanoseconds": nanoseconds}


def at(offset: int, nanoseconds: int = 0) -> dict:
    """An instant `offset` seconds after BASE_SECONDS."""
    return ts(BASE_SECONDS + offset, nanoseconds)


def words(field: str) -> str:
    return field.replace("-", " ")


def is_blank(text: str) -> bool:
    return all(ch in WHITE_SPACE for ch in text)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def is_zero(t: dict) -> bool:
    return t["seconds"] == 0 and t["nanoseconds"] < 1000


def is_valid(t: dict) -> bool:
    return 0 <= t["nanoseconds"] < NANOS_PER_SECOND and MIN_SECONDS <= t["seconds"] <= MAX_SECONDS


def truncate(t: dict | None) -> dict | None:
    if t is None:
        return None
    return ts(t["seconds"], t["nanoseconds"] - t["nanoseconds"] % 1000)


def is_before(a: dict, b: dict) -> bool:
    """a < b on the values as given. Vectors never depend on whether an invalid
    nanosecond part compares lexicographically or as a total: both must agree."""
    lexicographic = (a["seconds"], a["nanoseconds"]) < (b["seconds"], b["nanoseconds"])
    total = a["seconds"] * NANOS_PER_SECOND + a["nanoseconds"] < b["seconds"] * NANOS_PER_SECOND + b["nanoseconds"]
    if lexicographic != total:
        raise ValueError(f"ambiguous comparison of {a} and {b}: change the vector")
    return lexicographic


def id_key(game_id: str) -> bytes:
    return game_id.encode("utf-8")


TIMESTAMP_FIELDS = ("next-generation-at", "created-at", "updated-at", "started-at", "stopped-at", "finished-at")

# --- contract §2.5: validation, as ordered lists of checks --------------------------------
# Each check is (predicate on the input, error kind, message without prefix). `failures`
# returns every failing check in order; the first is what the store must return.

INVALID_INPUT = "invalid-input"
INVALID_TRANSITION = "invalid-transition"


def transition_message(from_status: str, to_status: str) -> str:
    return f'runtime status transition from "{STATUSES[from_status]}" to "{STATUSES[to_status]}" is not allowed'


def string_fields(*others: str) -> list[tuple[str, int]]:
    """The strings of an input with their limits, in the order the length and NUL checks
    walk them: the game id first, then the others in WIT field order."""
    return [("game-id", GAME_ID_MAX_BYTES)] + [(field, STRING_MAX_BYTES) for field in others]


RECORD_STRINGS = string_fields("engine-endpoint", "current-image-ref", "current-engine-version", "engine-health")
UPDATE_STATUS_STRINGS = string_fields("engine-health-summary", "current-image-ref", "current-engine-version")
UPDATE_IMAGE_STRINGS = string_fields("current-image-ref", "current-engine-version")
UPDATE_ENGINE_HEALTH_STRINGS = string_fields("engine-health-summary")
GAME_ID_STRINGS = string_fields()


def length_checks(strings: list[tuple[str, int]]) -> list:
    return [
        (
            lambda v, f=field, n=limit: v[f] is not None and utf8_len(v[f]) > n,
            INVALID_INPUT,
            f"{words(field)} must not exceed {limit} bytes",
        )
        for field, limit in strings
    ]


def nul_checks(strings: list[tuple[str, int]]) -> list:
    """docs/design.md: PostgreSQL text cannot hold U+0000, so no backend may store it."""
    return [
        (
            lambda v, f=field: v[f] is not None and "\0" in v[f],
            INVALID_INPUT,
            f"{words(field)} must not contain NUL characters",
        )
        for field, _ in strings
    ]


def validity_checks(fields: list[str]) -> list:
    return [
        (
            lambda v, f=field: v[f] is not None and not is_valid(v[f]),
            INVALID_INPUT,
            f"{words(field)} is not a valid timestamp",
        )
        for field in fields
    ]


def blank_check(field: str) -> tuple:
    return (lambda v, f=field: is_blank(v[f]), INVALID_INPUT, f"{words(field)} must not be empty")


def zero_check(field: str) -> tuple:
    return (lambda v, f=field: is_zero(v[f]), INVALID_INPUT, f"{words(field)} must not be zero")


def zero_when_set_check(field: str) -> tuple:
    return (
        lambda v, f=field: v[f] is not None and is_zero(v[f]),
        INVALID_INPUT,
        f"{words(field)} must not be zero when set",
    )


def blank_when_set_check(field: str) -> tuple:
    return (
        lambda v, f=field: v[f] is not None and is_blank(v[f]),
        INVALID_INPUT,
        f"{words(field)} must not be empty when set",
    )


RECORD_CHECKS = (
    "insert runtime record",
    [
        blank_check("game-id"),
        blank_check("engine-endpoint"),
        blank_check("current-image-ref"),
        blank_check("current-engine-version"),
        zero_check("created-at"),
        zero_check("updated-at"),
        (
            lambda r: is_before(r["updated-at"], r["created-at"]),
            INVALID_INPUT,
            "updated at must not be before created at",
        ),
        zero_when_set_check("next-generation-at"),
        zero_when_set_check("started-at"),
        zero_when_set_check("stopped-at"),
        zero_when_set_check("finished-at"),
    ]
    + length_checks(RECORD_STRINGS)
    + validity_checks(list(TIMESTAMP_FIELDS))
    + nul_checks(RECORD_STRINGS),
)

UPDATE_STATUS_CHECKS = (
    "update runtime status",
    [
        blank_check("game-id"),
        (
            lambda v: v["to"] not in TRANSITIONS[v["expected-from"]],
            INVALID_TRANSITION,
            lambda v: transition_message(v["expected-from"], v["to"]),
        ),
        zero_check("now"),
        blank_when_set_check("current-image-ref"),
        blank_when_set_check("current-engine-version"),
    ]
    + length_checks(UPDATE_STATUS_STRINGS)
    + validity_checks(["now"])
    + nul_checks(UPDATE_STATUS_STRINGS),
)

UPDATE_SCHEDULING_CHECKS = (
    "update runtime scheduling",
    [blank_check("game-id"), zero_when_set_check("next-generation-at"), zero_check("now")]
    + length_checks(GAME_ID_STRINGS)
    + validity_checks(["next-generation-at", "now"])
    + nul_checks(GAME_ID_STRINGS),
)

UPDATE_IMAGE_CHECKS = (
    "update runtime image",
    [
        blank_check("game-id"),
        blank_check("current-image-ref"),
        blank_check("current-engine-version"),
        zero_check("now"),
    ]
    + length_checks(UPDATE_IMAGE_STRINGS)
    + validity_checks(["now"])
    + nul_checks(UPDATE_IMAGE_STRINGS),
)

UPDATE_ENGINE_HEALTH_CHECKS = (
    "update runtime engine health",
    [blank_check("game-id"), zero_check("now")]
    + length_checks(UPDATE_ENGINE_HEALTH_STRINGS)
    + validity_checks(["now"])
    + nul_checks(UPDATE_ENGINE_HEALTH_STRINGS),
)


def game_id_checks(prefix: str) -> tuple:
    return (prefix, [blank_check("game-id")] + length_checks(GAME_ID_STRINGS) + nul_checks(GAME_ID_STRINGS))


GET_CHECKS = game_id_checks("get runtime record")
DELETE_CHECKS = game_id_checks("delete runtime record")
LIST_DUE_CHECKS = ("list due runtimes", [zero_check("now")] + validity_checks(["now"]))


def failures(checks: tuple, value: dict) -> list[tuple[str, str]]:
    prefix, rules = checks
    found = []
    for predicate, kind, message in rules:
        if predicate(value):
            text = message(value) if callable(message) else message
            found.append((kind, f"{prefix}: {text}"))
    return found


def check_error(checks: tuple, value: dict) -> dict | None:
    found = failures(checks, value)
    if not found:
        return None
    kind, message = found[0]
    return {"error": kind, "message": message}


# --- contract §3: the store, as a reference model -------------------------------------------

OK_NULL = {"ok": None}
NOT_FOUND = {"error": "not-found"}
CONFLICT = {"error": "conflict"}


def invalid(message: str) -> dict:
    return {"error": INVALID_INPUT, "message": message}


def bad_transition(message: str) -> dict:
    return {"error": INVALID_TRANSITION, "message": message}


def stored(record: dict) -> dict:
    result = dict(record)
    for field in TIMESTAMP_FIELDS:
        result[field] = truncate(record[field])
    return result


def status_changes(value: dict) -> dict:
    """The fields an allowed update-status writes besides `updated-at`: the new status, the
    lifecycle stamps the move sets, and the optional fields that are given."""
    now = truncate(value["now"])
    changes = {"status": value["to"]}
    if value["expected-from"] == "starting" and value["to"] == "running":
        changes["started-at"] = now
    if value["to"] == "stopped":
        changes["stopped-at"] = now
    if value["to"] == "finished":
        changes["finished-at"] = now
    for source, target in (
        ("engine-health-summary", "engine-health"),
        ("current-image-ref", "current-image-ref"),
        ("current-engine-version", "current-engine-version"),
    ):
        if value[source] is not None:
            changes[target] = value[source]
    return changes


def by_created_desc_then_id(records: list[dict]) -> list[dict]:
    ordered = sorted(records, key=lambda r: id_key(r["game-id"]))
    return sorted(ordered, key=lambda r: (r["created-at"]["seconds"], r["created-at"]["nanoseconds"]), reverse=True)


PAGE_SMALLEST_LIMIT = 1
PAGE_LARGEST_LIMIT = 500
NEWEST_FIRST = "newest-first"
DUE_FIRST = "due-first"


def position(order: str, r: dict) -> tuple:
    """Where a stored record stands in a list order, as a tuple whose ascending order is the
    list's: created-at descending or next-generation-at ascending, then game id bytes."""
    if order == NEWEST_FIRST:
        at_ = r["created-at"]
        return (-at_["seconds"], -at_["nanoseconds"], id_key(r["game-id"]))
    at_ = r["next-generation-at"]
    return (at_["seconds"], at_["nanoseconds"], id_key(r["game-id"]))


PREVIOUS_PAGE = {"previous-page": True}


class Model:
    """The store of contract §3 over a dict; returns the expectation of each call."""

    def __init__(self) -> None:
        self.records: dict[str, dict] = {}

    def get(self, game_id: str) -> dict:
        error = check_error(GET_CHECKS, {"game-id": game_id})
        if error:
            return error
        if game_id not in self.records:
            return NOT_FOUND
        return {"ok": copy.deepcopy(self.records[game_id])}

    def insert(self, record: dict) -> dict:
        error = check_error(RECORD_CHECKS, record)
        if error:
            return error
        if record["game-id"] in self.records:
            return CONFLICT
        self.records[record["game-id"]] = stored(record)
        return OK_NULL

    def _patch(self, checks: tuple, value: dict, expected_status: str | None, changes) -> dict:
        """Validates `value`; then, when its record exists and `expected_status` is None or
        the stored status, writes the fields `changes(value)` returns and `updated-at`."""
        error = check_error(checks, value)
        if error:
            return error
        current = self.records.get(value["game-id"])
        if current is None:
            return NOT_FOUND
        if expected_status is not None and current["status"] != expected_status:
            return CONFLICT
        current.update(changes(value))
        current["updated-at"] = truncate(value["now"])
        return OK_NULL

    def update_status(self, value: dict) -> dict:
        return self._patch(UPDATE_STATUS_CHECKS, value, value["expected-from"], status_changes)

    def update_scheduling(self, value: dict) -> dict:
        return self._patch(
            UPDATE_SCHEDULING_CHECKS,
            value,
            None,
            lambda v: {
                "next-generation-at": truncate(v["next-generation-at"]),
                "skip-next-tick": v["skip-next-tick"],
                "current-turn": v["current-turn"],
            },
        )

    def update_image(self, value: dict) -> dict:
        return self._patch(
            UPDATE_IMAGE_CHECKS,
            value,
            value["expected-status"],
            lambda v: {"current-image-ref": v["current-image-ref"], "current-engine-version": v["current-engine-version"]},
        )

    def update_engine_health(self, value: dict) -> dict:
        return self._patch(
            UPDATE_ENGINE_HEALTH_CHECKS, value, None, lambda v: {"engine-health": v["engine-health-summary"]}
        )

    def delete(self, game_id: str) -> dict:
        error = check_error(DELETE_CHECKS, {"game-id": game_id})
        if error:
            return error
        self.records.pop(game_id, None)
        return OK_NULL

    def list_due_running(self, now: dict) -> dict:
        error = check_error(LIST_DUE_CHECKS, {"now": now})
        if error:
            return error
        limit = truncate(now)
        due = [
            r
            for r in self.records.values()
            if r["status"] == "running"
            and r["next-generation-at"] is not None
            and not is_before(limit, r["next-generation-at"])
        ]
        ordered = sorted(
            due,
            key=lambda r: (r["next-generation-at"]["seconds"], r["next-generation-at"]["nanoseconds"], id_key(r["game-id"])),
        )
        return {"ok": copy.deepcopy(ordered)}

    def list_by_status(self, status: str) -> dict:
        matching = [r for r in self.records.values() if r["status"] == status]
        return {"ok": copy.deepcopy(by_created_desc_then_id(matching))}

    def list(self) -> dict:
        return {"ok": copy.deepcopy(by_created_desc_then_id(list(self.records.values())))}

    # Pages. A cursor the model handed out is its position: (order, key); the vectors
    # never hold its text (a step continues the previous page's cursor instead).
    def _page(self, prefix: str, order: str, whole: dict, cursor, limit: int) -> tuple[dict, tuple | None]:
        if not PAGE_SMALLEST_LIMIT <= limit <= PAGE_LARGEST_LIMIT:
            return invalid(f"{prefix}: limit must be between {PAGE_SMALLEST_LIMIT} and {PAGE_LARGEST_LIMIT}"), None
        if isinstance(cursor, str):
            # A literal cursor is one the component never hands out.
            return invalid(f"{prefix}: cursor is malformed"), None
        if cursor is not None and cursor[0] != order:
            return invalid(f"{prefix}: cursor is malformed"), None
        records = whole["ok"]
        if cursor is not None:
            records = [r for r in records if position(order, r) > cursor[1]]
        page = records[:limit]
        more = len(records) > limit
        next_cursor = (order, position(order, page[-1])) if more else None
        return {"ok": {"records": page, "has-next-cursor": more}}, next_cursor

    def list_page(self, cursor, limit: int) -> tuple[dict, tuple | None]:
        return self._page("list runtimes", NEWEST_FIRST, self.list(), cursor, limit)

    def list_by_status_page(self, status: str, cursor, limit: int) -> tuple[dict, tuple | None]:
        return self._page("list runtimes by status", NEWEST_FIRST, self.list_by_status(status), cursor, limit)

    def list_due_running_page(self, now: dict, cursor, limit: int) -> tuple[dict, tuple | None]:
        error = check_error(LIST_DUE_CHECKS, {"now": now})
        if error:
            return error, None
        return self._page("list due runtimes", DUE_FIRST, self.list_due_running(now), cursor, limit)


# rules interface
def rules_transition(from_status: str, to_status: str) -> dict:
    if to_status in TRANSITIONS[from_status]:
        return OK_NULL
    return bad_transition(transition_message(from_status, to_status))


def rules_allowed(from_status: str) -> dict:
    return {"ok": [s for s in STATUSES if s in TRANSITIONS[from_status]]}


def rules_validate(checks: tuple, value: dict) -> dict:
    return check_error(checks, value) or OK_NULL


# --- building values ----------------------------------------------------------------------


def record(game_id: str, status: str = "running", **fields) -> dict:
    """A valid record with every WIT field, in WIT field order; keyword names use '_'."""
    value = {
        "game-id": game_id,
        "status": status,
        "engine-endpoint": "http://engine.galaxy.internal:8080",
        "current-image-ref": "registry.galaxy.internal/engine:1.4.2",
        "current-engine-version": "1.4.2",
        "engine-health": "healthy",
        "current-turn": 0,
        "next-generation-at": None,
        "skip-next-tick": False,
        "created-at": at(100),
        "updated-at": at(200),
        "started-at": None,
        "stopped-at": None,
        "finished-at": None,
    }
    return merge(value, fields)


def merge(value: dict, fields: dict) -> dict:
    result = dict(value)
    for name, field_value in fields.items():
        key = name.replace("_", "-")
        if key not in result:
            raise KeyError(f"unknown field {key}")
        result[key] = field_value
    return result


def status_input(game_id: str, expected_from: str, to: str, now: dict, **fields) -> dict:
    value = {
        "game-id": game_id,
        "expected-from": expected_from,
        "to": to,
        "now": now,
        "engine-health-summary": None,
        "current-image-ref": None,
        "current-engine-version": None,
    }
    return merge(value, fields)


def scheduling_input(game_id: str, now: dict, next_generation_at=None, skip_next_tick=False, current_turn=0) -> dict:
    return {
        "game-id": game_id,
        "next-generation-at": next_generation_at,
        "skip-next-tick": skip_next_tick,
        "current-turn": current_turn,
        "now": now,
    }


def image_input(game_id: str, expected_status: str, now: dict, **fields) -> dict:
    value = {
        "game-id": game_id,
        "expected-status": expected_status,
        "current-image-ref": "registry.galaxy.internal/engine:1.5.0",
        "current-engine-version": "1.5.0",
        "now": now,
    }
    return merge(value, fields)


def health_input(game_id: str, summary: str, now: dict) -> dict:
    return {"game-id": game_id, "engine-health-summary": summary, "now": now}


# --- vector files ---------------------------------------------------------------------------


class Vectors:
    """One vector file: steps run against a fresh model, each expectation from the model,
    checked against a literal one when given."""

    def __init__(self, name: str, description: str, alone: bool = False) -> None:
        self.name = name
        self.description = description
        self.alone = alone
        self.steps: list[dict] = []
        self.model = Model()
        # The model's position after the latest step that expected a page: what
        # {"previous-page": true} hands back.
        self.previous_cursor: tuple | None = None

    def _step(self, op: str, args: dict, expected: dict, literal: dict | None, note: str | None) -> dict:
        if literal is not None and literal != expected:
            raise AssertionError(
                f"{self.name} step {len(self.steps)} ({op}, {note}): spec model says\n{json.dumps(expected)[:3000]}\n"
                f"but the literal expectation is\n{json.dumps(literal)[:3000]}"
            )
        step = {}
        if note:
            step["note"] = note
        step["op"] = op
        step["args"] = copy.deepcopy(args)
        step["expect"] = copy.deepcopy(expected)
        self.steps.append(step)
        return expected

    def get(self, game_id, expect=None, note=None):
        return self._step("get", {"game-id": game_id}, self.model.get(game_id), expect, note)

    def insert(self, value, expect=None, note=None):
        return self._step("insert", {"record": value}, self.model.insert(value), expect, note)

    def update_status(self, value, expect=None, note=None):
        return self._step("update-status", {"input": value}, self.model.update_status(value), expect, note)

    def update_scheduling(self, value, expect=None, note=None):
        return self._step("update-scheduling", {"input": value}, self.model.update_scheduling(value), expect, note)

    def update_image(self, value, expect=None, note=None):
        return self._step("update-image", {"input": value}, self.model.update_image(value), expect, note)

    def update_engine_health(self, value, expect=None, note=None):
        return self._step("update-engine-health", {"input": value}, self.model.update_engine_health(value), expect, note)

    def delete(self, game_id, expect=None, note=None):
        return self._step("delete", {"game-id": game_id}, self.model.delete(game_id), expect, note)

    def list_due_running(self, now, expect=None, note=None):
        return self._step("list-due-running", {"now": now}, self.model.list_due_running(now), expect, note)

    def list_by_status(self, status, expect=None, note=None):
        return self._step("list-by-status", {"status": status}, self.model.list_by_status(status), expect, note)

    def list(self, expect=None, note=None):
        return self._step("list", {}, self.model.list(), expect, note)

    def _page_step(self, op: str, lead: dict, limit: int, answer, cursor, expect, note):
        if not self.alone:
            raise AssertionError(f"{self.name}: page steps need an alone file")
        if cursor is PREVIOUS_PAGE:
            if self.previous_cursor is None:
                raise AssertionError(f"{self.name} step {len(self.steps)}: no earlier page has a next cursor")
            resolved = self.previous_cursor
        elif cursor is None or isinstance(cursor, str):
            resolved = cursor
        else:
            raise AssertionError(f"{self.name}: a cursor is None, a literal string or PREVIOUS_PAGE")
        expected, next_cursor = answer(resolved)
        args = dict(lead, cursor=cursor, limit=limit)
        self._step(op, args, expected, expect, note)
        if "ok" in expected:
            self.previous_cursor = next_cursor
        return expected

    def list_page(self, cursor, limit, expect=None, note=None):
        return self._page_step(
            "list-page", {}, limit, lambda c: self.model.list_page(c, limit), cursor, expect, note
        )

    def list_by_status_page(self, status, cursor, limit, expect=None, note=None):
        return self._page_step(
            "list-by-status-page",
            {"status": status},
            limit,
            lambda c: self.model.list_by_status_page(status, c, limit),
            cursor,
            expect,
            note,
        )

    def list_due_running_page(self, now, cursor, limit, expect=None, note=None):
        return self._page_step(
            "list-due-running-page",
            {"now": now},
            limit,
            lambda c: self.model.list_due_running_page(now, c, limit),
            cursor,
            expect,
            note,
        )

    def transition(self, from_status, to_status, expect=None, note=None):
        args = {"from": from_status, "to": to_status}
        return self._step("transition", args, rules_transition(from_status, to_status), expect, note)

    def allowed_transitions(self, from_status, expect=None, note=None):
        return self._step("allowed-transitions", {"from": from_status}, rules_allowed(from_status), expect, note)

    def validate(self, op, value, expect=None, note=None):
        checks, arg = VALIDATORS[op]
        return self._step(op, {arg: value}, rules_validate(checks, value), expect, note)

    def text(self) -> str:
        if not self.steps:
            raise AssertionError(f"{self.name} has no steps")
        document = {"description": self.description}
        if self.alone:
            document["alone"] = True
        document["steps"] = self.steps
        return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


VALIDATORS = {
    "validate-record": (RECORD_CHECKS, "record"),
    "validate-update-status": (UPDATE_STATUS_CHECKS, "input"),
    "validate-update-scheduling": (UPDATE_SCHEDULING_CHECKS, "input"),
    "validate-update-image": (UPDATE_IMAGE_CHECKS, "input"),
    "validate-update-engine-health": (UPDATE_ENGINE_HEALTH_CHECKS, "input"),
}


def failing_indices(checks: tuple, value: dict) -> list[int]:
    return [index for index, (predicate, _, _) in enumerate(checks[1]) if predicate(value)]


def check_messages(checks: tuple, value: dict) -> str:
    return "; ".join(message for _, message in failures(checks, value))


# --- values at the edges --------------------------------------------------------------------

def length_cases(limit: int) -> list[tuple[str, str]]:
    """Strings at and just past `limit` UTF-8 bytes, with 1-, 2-, 3- and 4-byte characters."""
    return [
        ("a" * limit, f"{limit} ASCII bytes"),
        ("a" * (limit + 1), f"{limit + 1} ASCII bytes"),
        ("\u00e9" * (limit // 2), f"{limit // 2} two-byte characters = {limit} bytes"),
        ("\u00e9" * (limit // 2) + "a", f"{limit // 2 + 1} characters = {limit + 1} bytes"),
        ("\u20ac" * (limit // 3) + "a", f"{limit // 3 + 1} characters with three-byte ones = {limit} bytes"),
        ("\u20ac" * (limit // 3 + 1), f"{limit // 3 + 1} three-byte characters = {3 * (limit // 3 + 1)} bytes"),
        ("\U0001f600" * (limit // 4), f"{limit // 4} four-byte characters = {limit} bytes"),
        ("\U0001f600" * (limit // 4) + "a", f"{limit // 4 + 1} characters = {limit + 1} bytes"),
    ]


BLANK_CASES = [
    ("", "empty"),
    (" ", "one space"),
    ("\t\r\n\x0b\x0c", "ASCII white space"),
    ("\u00a0", "no-break space (Unicode white space)"),
    ("\u3000\u2028\u2029\u0085", "ideographic space, line and paragraph separators, next line"),
    ("\u200b", "zero width space: not white space, so not blank"),
    (" x ", "text with spaces around: not blank, stored as given"),
]

TIMESTAMP_CASES = [
    (ts(0, 0), "the epoch (zero)"),
    (ts(0, 999), "seconds 0, nanoseconds 999: truncates to the epoch, so zero"),
    (ts(0, 1000), "seconds 0, nanoseconds 1000: one microsecond after the epoch, not zero"),
    (ts(0, 999_999_999), "seconds 0, nanoseconds 999999999: not zero, valid"),
    (ts(0, 1_000_000_000), "seconds 0, nanoseconds 1000000000: not zero, invalid"),
    (ts(-1, 999_999_999), "one nanosecond before the epoch: not zero, valid"),
    (ts(BASE_SECONDS, 4_294_967_295), "nanoseconds u32 max: invalid"),
    (ts(MIN_SECONDS, 0), "0001-01-01T00:00:00Z, Go's zero instant: valid"),
    (ts(MIN_SECONDS - 1, 999_999_999), "one nanosecond before year 1: invalid"),
    (ts(MAX_SECONDS, 999_999_999), "last nanosecond of year 9999: valid"),
    (ts(MAX_SECONDS + 1, 0), "first instant of year 10000: invalid"),
]

def nul_cases(limit: int) -> list[tuple[str, str]]:
    """NUL anywhere, up to and past `limit`, and characters that only look like NUL."""
    return [
        ("\0", "a lone NUL: not white space, so not blank, but it must not contain NUL"),
        ("\0x", "NUL first"),
        ("x\0x", "NUL inside"),
        ("x\0", "NUL last"),
        ("\0" * limit, f"{limit} NUL characters: within the length limit, rejected for the NUL"),
        ("\0" * (limit + 1), f"{limit + 1} NUL characters: the length is checked first"),
        ("x\x01\x1f\x7f\x80", "other control characters (U+0001, U+001F, U+007F, U+0080) are allowed"),
        ("x\u2400", "U+2400 SYMBOL FOR NULL is an ordinary character"),
        ("x\\0", "a backslash and a zero are not NUL"),
    ]


LONG_BLANK_ID = " " * (GAME_ID_MAX_BYTES + 1)
LONG_BLANK = " " * (STRING_MAX_BYTES + 1)


def one_nanosecond_before(t: dict) -> dict:
    if t["nanoseconds"] > 0:
        return ts(t["seconds"], t["nanoseconds"] - 1)
    return ts(t["seconds"] - 1, NANOS_PER_SECOND - 1)


def setter(field: str, value):
    return lambda v: {**v, field: value}


class Operation:
    """How one operation is exercised by a validation vector file."""

    def __init__(self, store_op, rules_op, checks, base, target_status, mods, strings, timestamps, timestamp_fixup=None, setup=None):
        self.store_op = store_op  # Vectors method name, or None
        self.rules_op = rules_op  # validate-* op, or None
        self.checks = checks
        self.base = base  # game id -> a valid value
        self.target_status = target_status  # value -> status the stored record needs, or None
        self.mods = mods  # per check: (literal message, [alternative modifiers])
        self.strings = strings  # [(field, limit)], the game id first
        self.timestamps = timestamps  # [field]
        self.timestamp_fixup = timestamp_fixup or (lambda value, field: value)
        self.setup = setup or (lambda vectors: None)  # records the calls need, before any call


def validation_file(name: str, description: str, op: Operation) -> Vectors:
    v = Vectors(name, description)
    prefix = op.checks[0]
    counter = iter(range(1, 1_000_000))

    def call_store(value, note):
        method = getattr(v, op.store_op)
        if op.store_op == "get":
            method(value["game-id"], note=note)
        elif op.store_op == "delete":
            if method(value["game-id"], note=note) == OK_NULL:
                v.get(value["game-id"], expect=NOT_FOUND, note="the record is gone")
        elif op.store_op == "list_due_running":
            method(value["now"], note=note)
        elif method(value, note=note) == OK_NULL:
            v.get(value["game-id"], note="what the successful call stored")

    def ensure_target(value):
        if op.target_status is None or check_error(op.checks, value) is not None:
            return
        game_id = value["game-id"]
        current = v.model.records.get(game_id)
        needed = op.target_status(value)
        if current is None:
            v.insert(record(game_id, needed), expect=OK_NULL, note="a record for the next call")
        elif current["status"] != needed:
            raise AssertionError(f"{name}: record {game_id!r} is {current['status']}, the call needs {needed}")

    def run(value, note, through_store=True):
        if op.rules_op:
            v.validate(op.rules_op, value, note=note)
        if op.store_op and (through_store or not op.rules_op):
            ensure_target(value)
            call_store(value, note)

    base_id = "v-1"
    base = op.base(base_id)
    assert check_error(op.checks, base) is None, f"{name}: base value fails: {check_messages(op.checks, base)}"
    if op.target_status is not None:
        v.insert(record(base_id, op.target_status(base)), expect=OK_NULL, note="the record the failing calls aim at")
    op.setup(v)
    before = copy.deepcopy(v.model.records.get(base_id))

    # Every message alone.
    assert len(op.mods) == len(op.checks[1]), f"{name}: one modifier list per check"
    for index, (literal, alternatives) in enumerate(op.mods):
        for alternative in alternatives:
            value = alternative(base)
            expected = {"error": op.checks[1][index][1], "message": f"{prefix}: {literal}"}
            if failing_indices(op.checks, value)[:1] == [index]:
                if check_error(op.checks, value) != expected:
                    raise AssertionError(f"{name}: check {index} gives {check_error(op.checks, value)}, literal {expected}")
                run(value, f"check {index + 1} alone: {literal}")
                break
        else:
            raise AssertionError(f"{name}: no modifier makes check {index} fail first")

    # Two checks at once: the earlier one wins. Every pair goes through the rules function
    # (the store runs the same checks; the cascade below goes through the store too).
    skipped = []
    for first in range(len(op.mods)):
        for second in range(first + 1, len(op.mods)):
            found = None
            for alt_first in op.mods[first][1]:
                for alt_second in op.mods[second][1]:
                    for value in (alt_first(alt_second(base)), alt_second(alt_first(base))):
                        failing = failing_indices(op.checks, value)
                        if failing[:1] == [first] and second in failing:
                            found = value
                            break
                    if found:
                        break
                if found:
                    break
            if found is None:
                skipped.append((first, second))
                continue
            run(found, f"checks {first + 1} and {second + 1} both fail: the earlier one is returned", through_store=False)
    # Every check from one on fails at once.
    for first in range(len(op.mods)):
        value = base
        for index in reversed(range(first, len(op.mods))):
            value = op.mods[index][1][0](value)
        failing = failing_indices(op.checks, value)
        if failing[:1] == [first] and len(failing) > 1:
            run(value, f"checks {first + 1} and {len(failing) - 1} later ones fail: check {first + 1} is returned")

    # Blank strings.
    blank_fields = [f for f in ("game-id", "engine-endpoint", "current-image-ref", "current-engine-version") if f in base]
    for field in blank_fields:
        for text, description in BLANK_CASES:
            value = {**base, field: text}
            if field != "game-id":
                value["game-id"] = f"blank-{next(counter)}"
            run(value, f"{words(field)}: {description}")

    # Lengths at the limits.
    for field, limit in op.strings:
        for text, description in length_cases(limit):
            value = {**base, field: text}
            if field != "game-id":
                value["game-id"] = f"len-{next(counter)}"
            run(value, f"{words(field)}: {description}")

    # Timestamps at the zero and validity boundaries.
    for field in op.timestamps:
        for moment, description in TIMESTAMP_CASES:
            value = op.timestamp_fixup({**base, field: moment}, field)
            if "game-id" in value:
                value["game-id"] = f"ts-{next(counter)}"
            run(value, f"{words(field)}: {description}")

    # NUL characters (docs/design.md) in every string.
    for field, limit in op.strings:
        for text, description in nul_cases(limit):
            value = {**base, field: text}
            if field != "game-id":
                value["game-id"] = f"nul-{next(counter)}"
            run(value, f"{words(field)}: {description}")

    # Failed validation touched no storage.
    if op.target_status is not None:
        v.get(base_id, expect={"ok": before}, note="no failing call changed the record")
    elif op.store_op == "insert":
        v.get(base_id, expect=NOT_FOUND, note="no failing insert stored anything")
    for first, second in skipped:
        if not cannot_fail_together(op.mods[first][0], op.mods[second][0]):
            raise AssertionError(f"{name}: checks {first + 1} and {second + 1} never fail together; add a modifier")
    return v


# The only pairs of checks that cannot fail together, both on the same field: a zero
# timestamp is always valid, and NUL is not white space, so a blank string holds none.
EXCLUSIVE_CHECKS = [
    (" must not be zero", " is not a valid timestamp"),
    (" must not be empty", " must not contain NUL characters"),
]


def cannot_fail_together(first: str, second: str) -> bool:
    for first_words, second_words in EXCLUSIVE_CHECKS:
        if first_words in first and second.endswith(second_words):
            if first.split(first_words)[0] == second[: -len(second_words)]:
                return True
    return False


# --- validation files -----------------------------------------------------------------------

def insert_timestamp_fixup(value: dict, field: str) -> dict:
    # Keep "updated at must not be before created at" out of the way where the order of
    # checks allows it: created-at is tested with updated-at equal to it, updated-at with
    # created-at at the earliest valid instant.
    if field == "created-at":
        return {**value, "updated-at": value["created-at"]}
    if field == "updated-at":
        return {**value, "created-at": ts(MIN_SECONDS, 0)}
    return value


def with_updated_before_created(value: dict) -> dict:
    return {**value, "updated-at": one_nanosecond_before(value["created-at"])}


def with_created_after_updated(value: dict) -> dict:
    return {**value, "created-at": ts(value["updated-at"]["seconds"] + 1, value["updated-at"]["nanoseconds"])}


INSERT_OPERATION_MODS = [
    ("game id must not be empty", [setter("game-id", ""), setter("game-id", LONG_BLANK_ID)]),
    ("engine endpoint must not be empty", [setter("engine-endpoint", "\t"), setter("engine-endpoint", LONG_BLANK)]),
    ("current image ref must not be empty", [setter("current-image-ref", "\u3000"), setter("current-image-ref", LONG_BLANK)]),
    ("current engine version must not be empty", [setter("current-engine-version", "\u00a0"), setter("current-engine-version", LONG_BLANK)]),
    ("created at must not be zero", [setter("created-at", ts(0, 0)), setter("created-at", ts(0, 999))]),
    ("updated at must not be zero", [setter("updated-at", ts(0, 999)), setter("updated-at", ts(0, 0))]),
    ("updated at must not be before created at", [with_updated_before_created, with_created_after_updated]),
    ("next generation at must not be zero when set", [setter("next-generation-at", ts(0, 0))]),
    ("started at must not be zero when set", [setter("started-at", ts(0, 500))]),
    ("stopped at must not be zero when set", [setter("stopped-at", ts(0, 999))]),
    ("finished at must not be zero when set", [setter("finished-at", ts(0, 1))]),
    ("game id must not exceed 256 bytes", [setter("game-id", "g" * 257)]),
    ("engine endpoint must not exceed 4096 bytes", [setter("engine-endpoint", "e" * 4097)]),
    ("current image ref must not exceed 4096 bytes", [setter("current-image-ref", "i" * 4097)]),
    ("current engine version must not exceed 4096 bytes", [setter("current-engine-version", "v" * 4097)]),
    ("engine health must not exceed 4096 bytes", [setter("engine-health", "h" * 4097)]),
    ("next generation at is not a valid timestamp", [setter("next-generation-at", ts(BASE_SECONDS, NANOS_PER_SECOND))]),
    ("created at is not a valid timestamp", [setter("created-at", ts(MIN_SECONDS - 1, 999_999_999)), setter("created-at", ts(MAX_SECONDS + 1, 0))]),
    ("updated at is not a valid timestamp", [setter("updated-at", ts(MAX_SECONDS + 1, 0))]),
    ("started at is not a valid timestamp", [setter("started-at", ts(MIN_SECONDS - 1, 0))]),
    ("stopped at is not a valid timestamp", [setter("stopped-at", ts(BASE_SECONDS, 4_294_967_295))]),
    ("finished at is not a valid timestamp", [setter("finished-at", ts(MAX_SECONDS + 1, 0))]),
    ("game id must not contain NUL characters", [setter("game-id", "g\0"), setter("game-id", "\0" * 257)]),
    ("engine endpoint must not contain NUL characters", [setter("engine-endpoint", "http://engine\0:8080"), setter("engine-endpoint", "\0" * 4097)]),
    ("current image ref must not contain NUL characters", [setter("current-image-ref", "\0image:1"), setter("current-image-ref", "\0" * 4097)]),
    ("current engine version must not contain NUL characters", [setter("current-engine-version", "1.4\0.2"), setter("current-engine-version", "\0" * 4097)]),
    ("engine health must not contain NUL characters", [setter("engine-health", "\0"), setter("engine-health", "\0" * 4097)]),
]

INSERT_OPERATION = Operation(
    store_op="insert",
    rules_op="validate-record",
    checks=RECORD_CHECKS,
    base=lambda game_id: record(
        game_id,
        "running",
        next_generation_at=at(300),
        started_at=at(150),
        stopped_at=at(160),
        finished_at=at(170),
    ),
    target_status=None,
    mods=INSERT_OPERATION_MODS,
    strings=RECORD_STRINGS,
    timestamps=list(TIMESTAMP_FIELDS),
    timestamp_fixup=insert_timestamp_fixup,
)

UPDATE_STATUS_OPERATION = Operation(
    store_op="update_status",
    rules_op="validate-update-status",
    checks=UPDATE_STATUS_CHECKS,
    base=lambda game_id: status_input(
        game_id,
        "running",
        "engine-unreachable",
        at(500),
        engine_health_summary="unreachable",
        current_image_ref="registry.galaxy.internal/engine:1.4.3",
        current_engine_version="1.4.3",
    ),
    target_status=lambda value: value["expected-from"],
    mods=[
        ("game id must not be empty", [setter("game-id", " "), setter("game-id", LONG_BLANK_ID)]),
        ('runtime status transition from "running" to "starting" is not allowed', [setter("to", "starting")]),
        ("now must not be zero", [setter("now", ts(0, 999)), setter("now", ts(0, 0))]),
        ("current image ref must not be empty when set", [setter("current-image-ref", ""), setter("current-image-ref", LONG_BLANK)]),
        ("current engine version must not be empty when set", [setter("current-engine-version", "\n"), setter("current-engine-version", LONG_BLANK)]),
        ("game id must not exceed 256 bytes", [setter("game-id", "\u00e9" * 128 + "a")]),
        ("engine health summary must not exceed 4096 bytes", [setter("engine-health-summary", "h" * 4097)]),
        ("current image ref must not exceed 4096 bytes", [setter("current-image-ref", "i" * 4097)]),
        ("current engine version must not exceed 4096 bytes", [setter("current-engine-version", "v" * 4097)]),
        ("now is not a valid timestamp", [setter("now", ts(BASE_SECONDS, NANOS_PER_SECOND))]),
        ("game id must not contain NUL characters", [setter("game-id", "\0v-1"), setter("game-id", "\0" * 257)]),
        ("engine health summary must not contain NUL characters", [setter("engine-health-summary", "down\0"), setter("engine-health-summary", "\0" * 4097)]),
        ("current image ref must not contain NUL characters", [setter("current-image-ref", "\0"), setter("current-image-ref", "\0" * 4097)]),
        ("current engine version must not contain NUL characters", [setter("current-engine-version", "1\0"), setter("current-engine-version", "\0" * 4097)]),
    ],
    strings=UPDATE_STATUS_STRINGS,
    timestamps=["now"],
)

UPDATE_SCHEDULING_OPERATION = Operation(
    store_op="update_scheduling",
    rules_op="validate-update-scheduling",
    checks=UPDATE_SCHEDULING_CHECKS,
    base=lambda game_id: scheduling_input(game_id, at(500), next_generation_at=at(900), skip_next_tick=True, current_turn=3),
    target_status=lambda value: "running",
    mods=[
        ("game id must not be empty", [setter("game-id", "\u3000"), setter("game-id", LONG_BLANK_ID)]),
        ("next generation at must not be zero when set", [setter("next-generation-at", ts(0, 999))]),
        ("now must not be zero", [setter("now", ts(0, 0))]),
        ("game id must not exceed 256 bytes", [setter("game-id", "g" * 257)]),
        ("next generation at is not a valid timestamp", [setter("next-generation-at", ts(MAX_SECONDS + 1, 0))]),
        ("now is not a valid timestamp", [setter("now", ts(MIN_SECONDS - 1, 999_999_999))]),
        ("game id must not contain NUL characters", [setter("game-id", "v-\0"), setter("game-id", "\0" * 257)]),
    ],
    strings=GAME_ID_STRINGS,
    timestamps=["next-generation-at", "now"],
)

UPDATE_IMAGE_OPERATION = Operation(
    store_op="update_image",
    rules_op="validate-update-image",
    checks=UPDATE_IMAGE_CHECKS,
    base=lambda game_id: image_input(game_id, "running", at(500)),
    target_status=lambda value: value["expected-status"],
    mods=[
        ("game id must not be empty", [setter("game-id", ""), setter("game-id", LONG_BLANK_ID)]),
        ("current image ref must not be empty", [setter("current-image-ref", " \t "), setter("current-image-ref", LONG_BLANK)]),
        ("current engine version must not be empty", [setter("current-engine-version", ""), setter("current-engine-version", LONG_BLANK)]),
        ("now must not be zero", [setter("now", ts(0, 1))]),
        ("game id must not exceed 256 bytes", [setter("game-id", "\U0001f600" * 64 + "a")]),
        ("current image ref must not exceed 4096 bytes", [setter("current-image-ref", "\u00e9" * 2048 + "a")]),
        ("current engine version must not exceed 4096 bytes", [setter("current-engine-version", "v" * 4097)]),
        ("now is not a valid timestamp", [setter("now", ts(MAX_SECONDS + 1, 0))]),
        ("game id must not contain NUL characters", [setter("game-id", "\0"), setter("game-id", "\0" * 257)]),
        ("current image ref must not contain NUL characters", [setter("current-image-ref", "registry\0/engine"), setter("current-image-ref", "\0" * 4097)]),
        ("current engine version must not contain NUL characters", [setter("current-engine-version", "\0" * 4096), setter("current-engine-version", "\0" * 4097)]),
    ],
    strings=UPDATE_IMAGE_STRINGS,
    timestamps=["now"],
)

UPDATE_ENGINE_HEALTH_OPERATION = Operation(
    store_op="update_engine_health",
    rules_op="validate-update-engine-health",
    checks=UPDATE_ENGINE_HEALTH_CHECKS,
    base=lambda game_id: health_input(game_id, "degraded", at(500)),
    target_status=lambda value: "stopped",
    mods=[
        ("game id must not be empty", [setter("game-id", "\t"), setter("game-id", LONG_BLANK_ID)]),
        ("now must not be zero", [setter("now", ts(0, 0))]),
        ("game id must not exceed 256 bytes", [setter("game-id", "\u20ac" * 86)]),
        ("engine health summary must not exceed 4096 bytes", [setter("engine-health-summary", "h" * 4097)]),
        ("now is not a valid timestamp", [setter("now", ts(0, NANOS_PER_SECOND))]),
        ("game id must not contain NUL characters", [setter("game-id", "v\0-1"), setter("game-id", "\0" * 257)]),
        ("engine health summary must not contain NUL characters", [setter("engine-health-summary", "\0degraded"), setter("engine-health-summary", "\0" * 4097)]),
    ],
    strings=UPDATE_ENGINE_HEALTH_STRINGS,
    timestamps=["now"],
)


def game_id_operation(store_op: str, checks: tuple) -> Operation:
    return Operation(
        store_op=store_op,
        rules_op=None,
        checks=checks,
        base=lambda game_id: {"game-id": game_id},
        target_status=lambda value: "running",
        mods=[
            ("game id must not be empty", [setter("game-id", ""), setter("game-id", LONG_BLANK_ID)]),
            ("game id must not exceed 256 bytes", [setter("game-id", "g" * 257)]),
            ("game id must not contain NUL characters", [setter("game-id", "\0g"), setter("game-id", "\0" * 257)]),
        ],
        strings=GAME_ID_STRINGS,
        timestamps=[],
    )


LIST_DUE_OPERATION = Operation(
    store_op="list_due_running",
    rules_op=None,
    checks=LIST_DUE_CHECKS,
    base=lambda game_id: {"now": at(0)},
    target_status=None,
    mods=[
        ("now must not be zero", [setter("now", ts(0, 999))]),
        ("now is not a valid timestamp", [setter("now", ts(MAX_SECONDS + 1, 0))]),
    ],
    strings=[],
    timestamps=["now"],
    setup=lambda v: [
        v.insert(record(game_id, status, next_generation_at=due), expect=OK_NULL, note=note)
        for game_id, status, due, note in (
            ("due-first", "running", ts(MIN_SECONDS, 0), "due at the first valid instant"),
            ("due-last", "running", ts(MAX_SECONDS, 999_999_999), "due at the last valid instant (stored as ...999999000)"),
            ("due-epoch", "running", ts(0, 1000), "due one microsecond after the epoch"),
            ("due-before-epoch", "running", ts(-1, 999_999_999), "due one nanosecond before the epoch (stored as ...999999000)"),
            ("not-running", "stopped", ts(MIN_SECONDS, 0), "scheduled but stopped: never due"),
        )
    ],
)


def validation_files() -> list[Vectors]:
    files = [
        validation_file(
            "validation-insert.json",
            "insert and rules.validate-record (contract §2.5, prefix 'insert runtime record'): every message, "
            "every pair of failing checks (the earlier wins), blank strings, lengths at 256/4096 bytes, "
            "timestamps at the zero and validity bounds; failing calls store nothing.",
            INSERT_OPERATION,
        ),
        validation_file(
            "validation-update-status.json",
            "update-status and rules.validate-update-status (contract §2.5, prefix 'update runtime status'): every "
            "message, every pair of failing checks, blank and long optional strings, now at its bounds.",
            UPDATE_STATUS_OPERATION,
        ),
        validation_file(
            "validation-update-scheduling.json",
            "update-scheduling and rules.validate-update-scheduling (contract §2.5, prefix 'update runtime scheduling').",
            UPDATE_SCHEDULING_OPERATION,
        ),
        validation_file(
            "validation-update-image.json",
            "update-image and rules.validate-update-image (contract §2.5, prefix 'update runtime image').",
            UPDATE_IMAGE_OPERATION,
        ),
        validation_file(
            "validation-update-engine-health.json",
            "update-engine-health and rules.validate-update-engine-health (contract §2.5, prefix 'update runtime engine health').",
            UPDATE_ENGINE_HEALTH_OPERATION,
        ),
        validation_file(
            "validation-get.json",
            "get (contract §2.5, prefix 'get runtime record'): blank game id, then its length.",
            game_id_operation("get", GET_CHECKS),
        ),
        validation_file(
            "validation-delete.json",
            "delete (contract §2.5, prefix 'delete runtime record'): blank game id, then its length.",
            game_id_operation("delete", DELETE_CHECKS),
        ),
    ]
    due = validation_file(
        "validation-list-due-running.json",
        "list-due-running (contract §2.5, prefix 'list due runtimes'): now zero, then its validity; "
        "records scheduled at the first and last valid instants.",
        LIST_DUE_OPERATION,
    )
    files.append(due)
    return files


# --- topic files ----------------------------------------------------------------------------

def store_basics() -> Vectors:
    v = Vectors(
        "store-basics.json",
        "Round trips (contract §3): an empty store, insert then get and list, records in any status with any "
        "stamps, strings stored exactly as given, delete.",
    )
    v.list(expect={"ok": []}, note="a new store is empty")
    v.list_by_status("running", expect={"ok": []})
    v.list_due_running(at(10_000), expect={"ok": []})
    v.get("game-1", expect=NOT_FOUND)
    full = record(
        "game-1",
        "running",
        engine_health="degraded",
        current_turn=42,
        next_generation_at=at(3600, 250_000_000),
        skip_next_tick=True,
        created_at=at(0),
        updated_at=at(60, 1000),
        started_at=at(30, 999_999_000),
    )
    v.insert(full, expect=OK_NULL, note="every field set; whole microseconds, so nothing to truncate")
    v.get("game-1", expect={"ok": full}, note="reads back exactly what was written")
    v.list(expect={"ok": [full]})
    v.list_by_status("running", expect={"ok": [full]})
    v.list_by_status("stopped", expect={"ok": []})

    stamped = {"started_at": at(10), "stopped_at": at(20), "finished_at": at(30)}
    for status in STATUSES:
        game_id = f"any-status-{status}"
        v.insert(record(game_id, status, **stamped), expect=OK_NULL, note=f"insert accepts status {status} with every stamp set")
        v.get(game_id)
    v.insert(record("finished-without-stamps", "finished"), expect=OK_NULL, note="stamps need not agree with the status")
    v.insert(
        record("stamps-before-creation", "stopped", started_at=at(-500), stopped_at=at(-400)),
        expect=OK_NULL,
        note="stamps are not compared with created-at",
    )
    v.get("stamps-before-creation")

    as_given = record(
        "  spaced id  ",
        "starting",
        engine_endpoint=" http://engine:8080 ",
        current_image_ref="\timage:1\t",
        current_engine_version=" 1.0 ",
        engine_health="   ",
    )
    v.insert(as_given, expect=OK_NULL, note="strings are stored as given, never trimmed")
    v.get("  spaced id  ", expect={"ok": as_given})
    v.get("spaced id", expect=NOT_FOUND, note="the game id is matched exactly, not trimmed")
    v.insert(record("Game-1"), expect=OK_NULL, note="game ids are case sensitive: Game-1 is not game-1")
    v.get("Game-1")
    v.get("GAME-1", expect=NOT_FOUND)
    v.insert(record("\u200b"), expect=OK_NULL, note="a zero width space is not white space, so this id is not blank")
    v.get("\u200b")
    v.insert(record("\u0438\u0433\u0440\u0430-\U0001f680"), expect=OK_NULL, note="non-ASCII game id")
    v.get("\u0438\u0433\u0440\u0430-\U0001f680")
    v.insert(record("empty-health", engine_health=""), expect=OK_NULL, note="engine health may be empty")
    v.get("empty-health")
    v.insert(
        record("go-zero-instant", created_at=ts(MIN_SECONDS), updated_at=ts(MIN_SECONDS), next_generation_at=ts(MIN_SECONDS)),
        expect=OK_NULL,
        note="Go's zero instant (year 1) is an ordinary valid value here, not zero",
    )
    v.get("go-zero-instant")
    v.insert(
        record("epoch-plus-one-microsecond", created_at=ts(0, 1000), updated_at=ts(0, 1000)),
        expect=OK_NULL,
        note="one microsecond after the epoch is not zero",
    )
    v.get("epoch-plus-one-microsecond")
    v.insert(
        record("before-epoch", created_at=ts(-86_400), updated_at=ts(-1, 999_999_000)),
        expect=OK_NULL,
        note="instants before 1970 are valid",
    )
    v.get("before-epoch")
    v.insert(record("max-turn", current_turn=4_294_967_295), expect=OK_NULL, note="current turn u32 max")
    v.get("max-turn")
    v.list(note="every record, created-at descending, then game id")
    v.delete("game-1", expect=OK_NULL)
    v.get("game-1", expect=NOT_FOUND, note="deleted")
    v.get("Game-1", note="deleting game-1 left Game-1 alone")
    v.list_by_status("running", note="game-1 is gone from every list")
    v.list()
    return v


def transitions() -> Vectors:
    v = Vectors(
        "transitions.json",
        "The transition table (contract §2.3): allowed-transitions of every status; all 49 from/to pairs through "
        "rules.transition, rules.validate-update-status and store.update-status, with the exact messages; "
        "a rejected update-status changes nothing.",
    )
    for status, allowed in TRANSITIONS.items():
        v.allowed_transitions(status, expect={"ok": allowed}, note=f"from {STATUSES[status]}, in declaration order")
    for from_status in STATUSES:
        for to_status in STATUSES:
            allowed = to_status in TRANSITIONS[from_status]
            literal = OK_NULL if allowed else bad_transition(
                f'runtime status transition from "{STATUSES[from_status]}" to "{STATUSES[to_status]}" is not allowed'
            )
            v.transition(from_status, to_status, expect=literal)
    for from_status in STATUSES:
        for to_status in STATUSES:
            allowed = to_status in TRANSITIONS[from_status]
            literal = OK_NULL if allowed else bad_transition(
                f'update runtime status: runtime status transition from "{STATUSES[from_status]}" '
                f'to "{STATUSES[to_status]}" is not allowed'
            )
            v.validate("validate-update-status", status_input("g", from_status, to_status, at(10)), expect=literal)
    for from_status in STATUSES:
        for to_status in STATUSES:
            game_id = f"pair-{from_status}-{to_status}"
            allowed = to_status in TRANSITIONS[from_status]
            v.insert(record(game_id, from_status, created_at=at(0), updated_at=at(0)), expect=OK_NULL)
            literal = OK_NULL if allowed else bad_transition(
                f'update runtime status: runtime status transition from "{STATUSES[from_status]}" '
                f'to "{STATUSES[to_status]}" is not allowed'
            )
            v.update_status(status_input(game_id, from_status, to_status, at(10)), expect=literal)
            v.get(game_id, note="moved, with its stamps" if allowed else "unchanged")
    for status in STATUSES:
        v.list_by_status(status, note="every record was created at the same instant: game id order")
    v.list(note="49 records tied on created-at: game id order")
    return v


def lifecycle_stamps() -> Vectors:
    v = Vectors(
        "lifecycle-stamps.json",
        "Lifecycle stamps derived by update-status (contract §2.4): updated-at always; started-at only for "
        "starting -> running; stopped-at for -> stopped; finished-at for -> finished; stamps never cleared; "
        "the optional strings set only when given.",
    )
    life = record("life", "starting", engine_health="", created_at=at(0), updated_at=at(0))
    v.insert(life, expect=OK_NULL)

    def step(expected_from, to, now, changes, note):
        nonlocal life
        v.update_status(status_input("life", expected_from, to, now), expect=OK_NULL, note=note)
        life = merge(life, {"status": to, **changes})
        v.get("life", expect={"ok": life})

    step("starting", "running", at(10), {"updated_at": at(10), "started_at": at(10)}, "starting -> running sets started-at")
    step("running", "generation-in-progress", at(20), {"updated_at": at(20)}, "only updated-at")
    step("generation-in-progress", "running", at(30), {"updated_at": at(30)}, "running again, but not from starting: started-at stays")
    step("running", "engine-unreachable", at(40), {"updated_at": at(40)}, "only updated-at")
    step("engine-unreachable", "running", at(50), {"updated_at": at(50)}, "started-at stays")
    step("running", "generation-in-progress", at(55), {"updated_at": at(55)}, "only updated-at")
    step("generation-in-progress", "generation-failed", at(60), {"updated_at": at(60)}, "only updated-at")
    step("generation-failed", "running", at(65), {"updated_at": at(65)}, "started-at stays")
    step("running", "stopped", at(70), {"updated_at": at(70), "stopped_at": at(70)}, "-> stopped sets stopped-at")
    step("stopped", "starting", at(80), {"updated_at": at(80)}, "stamps are never cleared")
    step("starting", "running", at(90), {"updated_at": at(90), "started_at": at(90)}, "a second start sets started-at again")
    step("running", "engine-unreachable", at(95), {"updated_at": at(95)}, "only updated-at")
    step("engine-unreachable", "stopped", at(100), {"updated_at": at(100), "stopped_at": at(100)}, "stopped-at moves to the new stop")
    step("stopped", "finished", at(110), {"updated_at": at(110), "finished_at": at(110)}, "-> finished sets finished-at, the others stay")

    early = record("early-stop", "starting", created_at=at(0), updated_at=at(0))
    v.insert(early, expect=OK_NULL)
    v.update_status(status_input("early-stop", "starting", "stopped", at(5)), expect=OK_NULL, note="starting -> stopped: no started-at")
    v.get("early-stop", expect={"ok": merge(early, {"status": "stopped", "updated_at": at(5), "stopped_at": at(5)})})

    for from_status, game_id in (("generation-in-progress", "finish-from-generation"), ("generation-failed", "finish-from-failure"), ("running", "finish-from-running")):
        start = record(game_id, from_status, created_at=at(0), updated_at=at(0), started_at=at(1), stopped_at=at(2))
        v.insert(start, expect=OK_NULL, note="stamps present before the transition")
        v.update_status(status_input(game_id, from_status, "finished", at(7)), expect=OK_NULL)
        v.get(game_id, expect={"ok": merge(start, {"status": "finished", "updated_at": at(7), "finished_at": at(7)})})
    stop_failed = record("stop-from-failure", "generation-failed", created_at=at(0), updated_at=at(0), finished_at=at(3))
    v.insert(stop_failed, expect=OK_NULL)
    v.update_status(status_input("stop-from-failure", "generation-failed", "stopped", at(8)), expect=OK_NULL)
    v.get("stop-from-failure", expect={"ok": merge(stop_failed, {"status": "stopped", "updated_at": at(8), "stopped_at": at(8)})})

    back = record("clock-back", "running", created_at=at(100), updated_at=at(200))
    v.insert(back, expect=OK_NULL)
    v.update_status(status_input("clock-back", "running", "engine-unreachable", at(50)), expect=OK_NULL,
                    note="updated-at = now even when now is before created-at and the old updated-at")
    v.get("clock-back", expect={"ok": merge(back, {"status": "engine-unreachable", "updated_at": at(50)})})

    # The optional strings of update-status.
    opt = record("optional", "running", created_at=at(0), updated_at=at(0))
    v.insert(opt, expect=OK_NULL)

    def optional_step(expected_from, to, now, given, changes, note):
        nonlocal opt
        v.update_status(status_input("optional", expected_from, to, now, **given), expect=OK_NULL, note=note)
        opt = merge(opt, {"status": to, "updated_at": now, **changes})
        v.get("optional", expect={"ok": opt})

    optional_step("running", "engine-unreachable", at(10), {}, {}, "none given: engine health, image and version stay")
    optional_step("engine-unreachable", "running", at(20), {"engine_health_summary": "unreachable"}, {"engine_health": "unreachable"}, "only engine-health-summary given")
    optional_step("running", "generation-in-progress", at(30), {"current_image_ref": "registry.galaxy.internal/engine:2.0.0"}, {"current_image_ref": "registry.galaxy.internal/engine:2.0.0"}, "only current-image-ref given")
    optional_step("generation-in-progress", "running", at(40), {"current_engine_version": "2.0.0"}, {"current_engine_version": "2.0.0"}, "only current-engine-version given")
    optional_step(
        "running", "stopped", at(50),
        {"engine_health_summary": "stopped", "current_image_ref": " img:3 ", "current_engine_version": "3.0.0"},
        {"engine_health": "stopped", "current_image_ref": " img:3 ", "current_engine_version": "3.0.0", "stopped_at": at(50)},
        "all three given, stored as given (not trimmed)",
    )
    optional_step("stopped", "starting", at(60), {"engine_health_summary": ""}, {"engine_health": ""}, "an empty engine-health-summary is set (it is not 'not given')")
    optional_step("starting", "running", at(70), {"engine_health_summary": "  "}, {"engine_health": "  ", "started_at": at(70)}, "a blank summary is allowed and stored as given")
    return v


def truncation() -> Vectors:
    v = Vectors(
        "truncation.json",
        "Normalisation (contract §2.1): every timestamp handed to a backend is truncated to whole microseconds: "
        "record fields on insert, patch values, the now of list-due-running. Checks compare values as given.",
    )
    raw = record(
        "fine",
        "running",
        next_generation_at=at(1000, 1500),
        created_at=at(0, 999),
        updated_at=at(0, 999_999_999),
        started_at=ts(-1, 999_999_999),
        stopped_at=ts(MIN_SECONDS, 999),
        finished_at=ts(MAX_SECONDS, 999_999_999),
    )
    truncated = merge(raw, {
        "next_generation_at": at(1000, 1000),
        "created_at": at(0, 0),
        "updated_at": at(0, 999_999_000),
        "started_at": ts(-1, 999_999_000),
        "stopped_at": ts(MIN_SECONDS, 0),
        "finished_at": ts(MAX_SECONDS, 999_999_000),
    })
    v.insert(raw, expect=OK_NULL, note="sub-microsecond parts everywhere")
    v.get("fine", expect={"ok": truncated}, note="every timestamp rounded down to the microsecond (also before 1970)")
    v.insert(record("tiny", created_at=ts(0, 1999), updated_at=ts(0, 1999)), expect=OK_NULL, note="1999 ns after the epoch: not zero")
    v.get("tiny", expect={"ok": record("tiny", created_at=ts(0, 1000), updated_at=ts(0, 1000))})
    v.insert(record("same-microsecond", created_at=at(5, 1500), updated_at=at(5, 1200)), expect=invalid(
        "insert runtime record: updated at must not be before created at"
    ), note="compared as given, before truncation: 1200 ns is before 1500 ns although both truncate to 1000")
    v.validate("validate-record", record("same-microsecond", created_at=at(5, 1500), updated_at=at(5, 1200)), expect=invalid(
        "insert runtime record: updated at must not be before created at"
    ))
    v.get("same-microsecond", expect=NOT_FOUND)

    v.update_status(status_input("fine", "running", "stopped", at(2000, 123_456_789)), expect=OK_NULL)
    truncated = merge(truncated, {"status": "stopped", "updated_at": at(2000, 123_456_000), "stopped_at": at(2000, 123_456_000)})
    v.get("fine", expect={"ok": truncated}, note="update-status: updated-at and stopped-at truncated")
    v.update_status(status_input("fine", "stopped", "starting", at(2001, 1)), expect=OK_NULL)
    v.update_status(status_input("fine", "starting", "running", at(2002, 999)), expect=OK_NULL)
    truncated = merge(truncated, {"status": "running", "updated_at": at(2002, 0), "started_at": at(2002, 0)})
    v.get("fine", expect={"ok": truncated}, note="started-at truncated")
    v.update_scheduling(scheduling_input("fine", at(2003, 2999), next_generation_at=at(3000, 1500), current_turn=1), expect=OK_NULL)
    truncated = merge(truncated, {"next_generation_at": at(3000, 1000), "current_turn": 1, "skip_next_tick": False, "updated_at": at(2003, 2000)})
    v.get("fine", expect={"ok": truncated}, note="update-scheduling: next-generation-at and updated-at truncated")
    v.update_image(image_input("fine", "running", at(2004, 999_999_999)), expect=OK_NULL)
    truncated = merge(truncated, {
        "current_image_ref": "registry.galaxy.internal/engine:1.5.0",
        "current_engine_version": "1.5.0",
        "updated_at": at(2004, 999_999_000),
    })
    v.get("fine", expect={"ok": truncated}, note="update-image: updated-at truncated")
    v.update_engine_health(health_input("fine", "healthy", at(2005, 500)), expect=OK_NULL)
    truncated = merge(truncated, {"engine_health": "healthy", "updated_at": at(2005, 0)})
    v.get("fine", expect={"ok": truncated}, note="update-engine-health: updated-at truncated")
    ending = record("ending", "generation-failed", created_at=at(0), updated_at=at(0))
    v.insert(ending, expect=OK_NULL)
    v.update_status(status_input("ending", "generation-failed", "finished", at(2007, 777_777_777)), expect=OK_NULL)
    v.get("ending", expect={"ok": merge(ending, {"status": "finished", "updated_at": at(2007, 777_777_000), "finished_at": at(2007, 777_777_000)})},
          note="finished-at truncated")

    v.list_due_running(at(3000, 999), expect={"ok": []}, note="due at x.000001500, stored as x.000001000: not due at x.000000999")
    v.list_due_running(at(3000, 1000), expect={"ok": [truncated]}, note="due at x.000001000 (inclusive)")
    v.list_due_running(at(3000, 1999), expect={"ok": [truncated]}, note="now x.000001999 truncates to x.000001000: due")
    later = record("later", "running", next_generation_at=at(3000, 2000))
    v.insert(later, expect=OK_NULL)
    v.list_due_running(at(3000, 1999), expect={"ok": [truncated]}, note="x.000002000 is not due at x.000001999")
    v.list_due_running(at(3000, 2000), expect={"ok": [truncated, later]})
    v.insert(record("same-tick", "running", next_generation_at=at(3000, 1999)), expect=OK_NULL,
             note="due at x.000001999, stored as x.000001000: ties with 'fine', ordered by game id")
    v.list_due_running(at(3000, 1001), expect={"ok": [truncated, stored(record("same-tick", "running", next_generation_at=at(3000, 1999)))]})
    v.update_scheduling(scheduling_input("fine", at(2006), next_generation_at=at(3000, 1001)), expect=OK_NULL,
                        note="x.000001001 is stored as x.000001000, still tied")
    truncated = merge(truncated, {"next_generation_at": at(3000, 1000), "current_turn": 0, "updated_at": at(2006)})
    v.list_due_running(at(3000, 1000), expect={"ok": [truncated, stored(record("same-tick", "running", next_generation_at=at(3000, 1999)))]})
    return v


def ordering() -> Vectors:
    v = Vectors(
        "ordering.json",
        "Result orders (contract §3): list and list-by-status by created-at descending then game id ascending; "
        "list-due-running by next-generation-at then game id ascending; game ids compare by UTF-8 byte order "
        "('B' before 'a', U+FF5E before U+1F600); ties after truncation; never insertion order.",
    )
    # Inserted in an order that matches none of the expected orders.
    rows = [
        ("a", "running", at(10), at(50)),
        ("B", "running", at(10), at(50)),
        ("\U0001f600", "running", at(10), at(40)),
        ("\uff5e", "running", at(10), at(40)),
        ("a0", "stopped", at(10, 1500), at(40)),
        ("Z", "running", at(20), at(30)),
        ("\u00e9", "running", at(20), at(30)),
        ("z", "running", at(20), at(30)),
        ("b", "stopped", at(10, 1200), None),
        ("A", "running", at(5), at(30)),
        ("b-unscheduled", "running", at(30), None),
        ("a-future", "running", at(1), at(10_000)),
        ("a-stopped-due", "stopped", at(1), at(5)),
    ]
    for game_id, status, created, due in rows:
        v.insert(record(game_id, status, created_at=created, updated_at=created, next_generation_at=due), expect=OK_NULL)
    by_id = {r["game-id"]: r for r in (stored(record(g, s, created_at=c, updated_at=c, next_generation_at=d)) for g, s, c, d in rows)}

    def ids(*names):
        return {"ok": [by_id[name] for name in names]}

    literal_list = ids(
        "b-unscheduled",
        "Z", "z", "\u00e9",
        "a0", "b",
        "B", "a", "\uff5e", "\U0001f600",
        "A",
        "a-future", "a-stopped-due",
    )
    v.list(expect=literal_list, note="created-at descending; ties by game id bytes: 'Z' < 'z' < 'é'; 'B' < 'a' < U+FF5E < U+1F600; a0 (x.000001500) and b (x.000001200) both truncate to x.000001000 and tie")
    v.list_by_status("running", expect=ids("b-unscheduled", "Z", "z", "\u00e9", "B", "a", "\uff5e", "\U0001f600", "A", "a-future"))
    v.list_by_status("stopped", expect=ids("a0", "b", "a-stopped-due"), note="a0 and b tie after truncation: game id order")
    v.list_by_status("finished", expect={"ok": []})
    v.list_due_running(at(45), expect=ids("A", "Z", "z", "\u00e9", "\uff5e", "\U0001f600"),
                       note="next-generation-at ascending, ties by game id; stopped, unscheduled and future records are not due")
    v.list_due_running(at(50), expect=ids("A", "Z", "z", "\u00e9", "\uff5e", "\U0001f600", "B", "a"), note="inclusive: due exactly at now")
    v.update_scheduling(scheduling_input("\U0001f600", at(60), next_generation_at=at(29)), expect=OK_NULL, note="reschedule one earlier")
    by_id["\U0001f600"] = merge(by_id["\U0001f600"], {"next_generation_at": at(29), "updated_at": at(60)})
    v.list_due_running(at(50), expect=ids("\U0001f600", "A", "Z", "z", "\u00e9", "\uff5e", "B", "a"))
    v.update_status(status_input("A", "running", "engine-unreachable", at(61)), expect=OK_NULL, note="leaves running: no longer due")
    by_id["A"] = merge(by_id["A"], {"status": "engine-unreachable", "updated_at": at(61)})
    v.list_due_running(at(50), expect=ids("\U0001f600", "Z", "z", "\u00e9", "\uff5e", "B", "a"))
    v.list_due_running(at(10_000), expect=ids("\U0001f600", "Z", "z", "\u00e9", "\uff5e", "B", "a", "a-future"))
    v.list_by_status("engine-unreachable", expect=ids("A"))
    v.list(expect=ids(
        "b-unscheduled", "Z", "z", "\u00e9", "a0", "b", "B", "a", "\uff5e", "\U0001f600", "A", "a-future", "a-stopped-due"
    ), note="updates do not change the order: created-at does")
    return v


def not_found_conflict() -> Vectors:
    v = Vectors(
        "not-found-conflict.json",
        "not-found and conflict on every operation (contract §3): missing records, insert of an existing id, "
        "compare-and-swap with a wrong expected status (nothing changes), idempotent delete; validation "
        "comes before any storage outcome.",
    )
    v.get("ghost", expect=NOT_FOUND)
    v.update_status(status_input("ghost", "running", "stopped", at(10)), expect=NOT_FOUND)
    v.update_scheduling(scheduling_input("ghost", at(10), next_generation_at=at(20)), expect=NOT_FOUND)
    v.update_image(image_input("ghost", "running", at(10)), expect=NOT_FOUND)
    v.update_engine_health(health_input("ghost", "healthy", at(10)), expect=NOT_FOUND)
    v.delete("ghost", expect=OK_NULL, note="delete of a missing record is ok")
    v.update_status(
        status_input("ghost", "running", "starting", at(10)),
        expect=bad_transition('update runtime status: runtime status transition from "running" to "starting" is not allowed'),
        note="validation first: a forbidden pair is invalid-transition even for a missing record",
    )
    v.update_scheduling(scheduling_input("ghost", ts(0)), expect=invalid("update runtime scheduling: now must not be zero"),
                        note="validation before not-found")
    v.update_image(image_input("ghost", "running", at(10), current_image_ref=""),
                   expect=invalid("update runtime image: current image ref must not be empty"))
    v.update_engine_health(health_input("ghost", "x", ts(0, 999)), expect=invalid("update runtime engine health: now must not be zero"))

    original = record("game", "running", created_at=at(0), updated_at=at(0), engine_health="healthy")
    v.insert(original, expect=OK_NULL)
    v.insert(record("game", "stopped", engine_endpoint="http://other:1"), expect=CONFLICT, note="insert of an existing id")
    v.insert(record("game", engine_endpoint=" "), expect=invalid("insert runtime record: engine endpoint must not be empty"),
             note="validation before conflict")
    v.get("game", expect={"ok": original}, note="the failed inserts changed nothing")

    v.update_status(status_input("game", "stopped", "starting", at(10)), expect=CONFLICT,
                    note="stored running, expected stopped (stopped -> starting is allowed): conflict")
    v.update_status(
        status_input("game", "generation-in-progress", "engine-unreachable", at(11),
                     engine_health_summary="down", current_image_ref="img:9", current_engine_version="9"),
        expect=CONFLICT,
        note="running -> engine-unreachable would be allowed, but the expected status is wrong",
    )
    v.update_status(
        status_input("game", "finished", "running", at(12)),
        expect=bad_transition('update runtime status: runtime status transition from "finished" to "running" is not allowed'),
        note="the transition is checked on expected-from before the stored status is looked at",
    )
    v.update_image(image_input("game", "stopped", at(13)), expect=CONFLICT, note="stored running, expected stopped")
    v.update_image(image_input("game", "starting", at(13), current_engine_version="\t"),
                   expect=invalid("update runtime image: current engine version must not be empty"), note="validation before conflict")
    v.get("game", expect={"ok": original}, note="no conflicting or invalid call changed anything")

    v.update_status(status_input("game", "running", "stopped", at(20)), expect=OK_NULL, note="the right expected status wins")
    moved = merge(original, {"status": "stopped", "updated_at": at(20), "stopped_at": at(20)})
    v.get("game", expect={"ok": moved})
    v.update_status(status_input("game", "running", "stopped", at(21)), expect=CONFLICT, note="replaying the same call: the CAS now fails")
    v.update_image(image_input("game", "running", at(22)), expect=CONFLICT, note="stale expected status")
    v.update_image(image_input("game", "stopped", at(23)), expect=OK_NULL)
    moved = merge(moved, {"current_image_ref": "registry.galaxy.internal/engine:1.5.0", "current_engine_version": "1.5.0", "updated_at": at(23)})
    v.get("game", expect={"ok": moved})

    v.delete("game", expect=OK_NULL)
    v.delete("game", expect=OK_NULL, note="delete is idempotent")
    v.get("game", expect=NOT_FOUND)
    v.update_status(status_input("game", "stopped", "starting", at(30)), expect=NOT_FOUND, note="not-found after delete")
    v.update_scheduling(scheduling_input("game", at(30)), expect=NOT_FOUND)
    v.update_image(image_input("game", "stopped", at(30)), expect=NOT_FOUND)
    v.update_engine_health(health_input("game", "gone", at(30)), expect=NOT_FOUND)
    v.list(expect={"ok": []})
    again = record("game", "starting", created_at=at(40), updated_at=at(40))
    v.insert(again, expect=OK_NULL, note="a deleted id can be inserted again")
    v.get("game", expect={"ok": again})
    v.insert(again, expect=CONFLICT)
    v.delete("game-other", expect=OK_NULL, note="deleting another id leaves this one alone")
    v.get("game", expect={"ok": again})

    # The rules functions are pure: they never look at storage.
    v.validate("validate-record", again, expect=OK_NULL, note="an existing id is no conflict for validate-record")
    v.validate("validate-update-status", status_input("nobody", "running", "stopped", at(50)), expect=OK_NULL,
               note="a missing record is no not-found for validate-update-status")
    v.validate("validate-update-status", status_input("game", "running", "stopped", at(50)), expect=OK_NULL,
               note="stored starting, expected running: validate-update-status does not compare")
    v.validate("validate-update-image", image_input("game", "finished", at(50)), expect=OK_NULL,
               note="validate-update-image does not compare the stored status")
    v.validate("validate-update-scheduling", scheduling_input("nobody", at(50)), expect=OK_NULL)
    v.validate("validate-update-engine-health", health_input("nobody", "x", at(50)), expect=OK_NULL)
    v.get("game", expect={"ok": again}, note="no rules call changed anything")
    return v


def scheduling() -> Vectors:
    v = Vectors(
        "scheduling.json",
        "update-scheduling (contract §3): sets next-generation-at (none clears it), skip-next-tick, current-turn "
        "(up to u32 max) and updated-at together, in any status, touching nothing else.",
    )
    base = record("sched", "running", created_at=at(0), updated_at=at(0), started_at=at(0), engine_health="healthy", current_turn=5)
    v.insert(base, expect=OK_NULL)
    v.update_scheduling(scheduling_input("sched", at(10), next_generation_at=at(60), skip_next_tick=True, current_turn=6), expect=OK_NULL)
    base = merge(base, {"next_generation_at": at(60), "skip_next_tick": True, "current_turn": 6, "updated_at": at(10)})
    v.get("sched", expect={"ok": base}, note="all three columns and updated-at; status and stamps untouched")
    v.list_due_running(at(60), expect={"ok": [base]})
    v.update_scheduling(scheduling_input("sched", at(20), next_generation_at=None, skip_next_tick=False, current_turn=7), expect=OK_NULL)
    base = merge(base, {"next_generation_at": None, "skip_next_tick": False, "current_turn": 7, "updated_at": at(20)})
    v.get("sched", expect={"ok": base}, note="none clears next-generation-at")
    v.list_due_running(at(10_000), expect={"ok": []}, note="no tick scheduled: never due")
    v.update_scheduling(scheduling_input("sched", at(30), next_generation_at=at(90), skip_next_tick=False, current_turn=4_294_967_295), expect=OK_NULL)
    base = merge(base, {"next_generation_at": at(90), "current_turn": 4_294_967_295, "updated_at": at(30)})
    v.get("sched", expect={"ok": base}, note="current turn u32 max")
    v.update_scheduling(scheduling_input("sched", at(31), next_generation_at=at(90), skip_next_tick=True, current_turn=0), expect=OK_NULL)
    base = merge(base, {"skip_next_tick": True, "current_turn": 0, "updated_at": at(31)})
    v.get("sched", expect={"ok": base}, note="the turn may go down to 0: the store does not compare turns")
    v.update_scheduling(scheduling_input("sched", at(5), next_generation_at=ts(MIN_SECONDS), skip_next_tick=False, current_turn=1), expect=OK_NULL)
    base = merge(base, {"next_generation_at": ts(MIN_SECONDS), "skip_next_tick": False, "current_turn": 1, "updated_at": at(5)})
    v.get("sched", expect={"ok": base}, note="a tick in year 1 and an updated-at earlier than before are both accepted")
    v.list_due_running(ts(MIN_SECONDS), expect={"ok": [base]})

    for status in STATUSES:
        game_id = f"sched-{status}"
        row = record(game_id, status, created_at=at(0), updated_at=at(0), stopped_at=at(0) if status == "stopped" else None,
                     finished_at=at(0) if status == "finished" else None)
        v.insert(row, expect=OK_NULL)
        v.update_scheduling(scheduling_input(game_id, at(50), next_generation_at=at(40), skip_next_tick=True, current_turn=12),
                            expect=OK_NULL, note=f"any status: {STATUSES[status]}")
        v.get(game_id, expect={"ok": merge(row, {"next_generation_at": at(40), "skip_next_tick": True, "current_turn": 12, "updated_at": at(50)})})
    v.list_due_running(at(40), note="only the running records are due, whatever else is scheduled")
    v.update_scheduling(scheduling_input("sched-finished", at(51)), expect=OK_NULL, note="clearing in a terminal status")
    v.get("sched-finished")
    return v


def engine_health_image() -> Vectors:
    v = Vectors(
        "engine-health-image.json",
        "update-engine-health (any status, the summary may be empty or blank) and update-image (CAS on the "
        "expected status, any status) (contract §3): only their columns and updated-at change.",
    )
    rows = {}
    for status in STATUSES:
        game_id = f"health-{status}"
        rows[game_id] = record(game_id, status, created_at=at(0), updated_at=at(0), engine_health="healthy")
        v.insert(rows[game_id], expect=OK_NULL)
        v.update_engine_health(health_input(game_id, "degraded", at(10)), expect=OK_NULL, note=f"from {STATUSES[status]}")
        rows[game_id] = merge(rows[game_id], {"engine_health": "degraded", "updated_at": at(10)})
        v.get(game_id, expect={"ok": rows[game_id]})
    game_id = "health-running"
    for summary, note in (("", "an empty summary is allowed"), ("   ", "a blank summary is stored as given"),
                          ("h" * 4096, "4096 bytes"), ("\u00e9" * 2048, "2048 two-byte characters = 4096 bytes"),
                          ("unreachable", "back to a short summary")):
        v.update_engine_health(health_input(game_id, summary, at(20)), expect=OK_NULL, note=note)
        rows[game_id] = merge(rows[game_id], {"engine_health": summary, "updated_at": at(20)})
        v.get(game_id, expect={"ok": rows[game_id]})
    v.update_engine_health(health_input(game_id, "h" * 4097, at(21)),
                           expect=invalid("update runtime engine health: engine health summary must not exceed 4096 bytes"))
    v.get(game_id, expect={"ok": rows[game_id]}, note="unchanged")

    for status in STATUSES:
        game_id = f"health-{status}"
        v.update_image(image_input(game_id, status, at(30), current_image_ref=f"img:{status}", current_engine_version=f"v-{status}"),
                       expect=OK_NULL, note=f"the stored status matches: {STATUSES[status]}")
        rows[game_id] = merge(rows[game_id], {"current_image_ref": f"img:{status}", "current_engine_version": f"v-{status}", "updated_at": at(30)})
        v.get(game_id, expect={"ok": rows[game_id]}, note="status, health and stamps untouched")
    v.update_image(image_input("health-finished", "running", at(40)), expect=CONFLICT)
    v.get("health-finished", expect={"ok": rows["health-finished"]})
    v.update_image(
        image_input("health-stopped", "stopped", at(50), current_image_ref=" reg/img:7 ", current_engine_version="7" * 4096),
        expect=OK_NULL,
        note="stored as given; the version is exactly 4096 bytes",
    )
    rows["health-stopped"] = merge(rows["health-stopped"], {"current_image_ref": " reg/img:7 ", "current_engine_version": "7" * 4096, "updated_at": at(50)})
    v.get("health-stopped", expect={"ok": rows["health-stopped"]})
    v.list_by_status("stopped", expect={"ok": [rows["health-stopped"]]})
    return v


def pages() -> Vectors:
    v = Vectors(
        "pages.json",
        "Paged lists (contract §7.1, wit store list-page, list-by-status-page, list-due-running-page): each page "
        "follows its whole list's order; following the cursors gives the whole list exactly once; limit 1..=500; "
        "malformed cursors and cursors of the other list order refused; list-due-running-page checks now, then the "
        "limit, then the cursor; records inserted, deleted or changed between pages appear at most once and "
        "records left unchanged exactly once. The file is alone: its pages see every record of the store.",
        alone=True,
    )
    P = PREVIOUS_PAGE
    # created-at descending: g (x+60), f (x+50), a and b tie (x+40, game id order),
    # c (x+30.000001500 and x+30.000001200 truncate alike: c-tie too), e (x+10).
    rows = [
        ("page-a", "running", at(40), at(400)),
        ("page-b", "stopped", at(40), at(300)),
        ("page-c", "running", at(30, 1500), at(300)),
        ("page-c-tie", "running", at(30, 1200), at(300)),
        ("page-e", "running", at(10), at(700)),
        ("page-f", "running", at(50), None),
        ("page-g", "generation-failed", at(60), at(100)),
    ]
    for game_id, status, created, due in rows:
        v.insert(record(game_id, status, created_at=created, updated_at=created, next_generation_at=due), expect=OK_NULL)

    def rec(game_id: str) -> dict:
        return copy.deepcopy(v.model.records[game_id])

    def page(*ids: str, more: bool) -> dict:
        return {"ok": {"records": [rec(i) for i in ids], "has-next-cursor": more}}

    order = ["page-g", "page-f", "page-a", "page-b", "page-c", "page-c-tie", "page-e"]
    v.list(expect={"ok": [rec(i) for i in order]}, note="the whole list the pages below cover")
    v.list_page(None, 3, expect=page("page-g", "page-f", "page-a", more=True), note="first page")
    v.list_page(P, 3, expect=page("page-b", "page-c", "page-c-tie", more=True),
                note="the next page starts after the last record of the previous one, a created-at tie included")
    v.list_page(P, 3, expect=page("page-e", more=False), note="the last page: no next cursor")
    v.list_page(None, 7, expect=page(*order, more=False),
                note="a page that ends where the list ends has no next cursor (no empty page after it)")
    v.list_page(None, 6, expect=page(*order[:6], more=True))
    v.list_page(P, 6, expect=page("page-e", more=False))
    v.list_page(None, 500, expect=page(*order, more=False), note="the largest limit")
    v.list_page(None, 1, expect=page("page-g", more=True), note="the smallest limit, page by page to the end")
    for index, game_id in enumerate(order[1:], start=1):
        v.list_page(P, 1, expect=page(game_id, more=index < len(order) - 1))

    now = at(450)
    for limit in (0, 501, 4294967295):
        v.list_page(None, limit, expect=invalid("list runtimes: limit must be between 1 and 500"))
        v.list_by_status_page("running", None, limit,
                              expect=invalid("list runtimes by status: limit must be between 1 and 500"))
        v.list_due_running_page(now, None, limit, expect=invalid("list due runtimes: limit must be between 1 and 500"))
    for cursor in ["", "not a cursor", " ", "\u0000", "0", "page-a", "{\"previous-page\": true}"]:
        v.list_page(cursor, 2, expect=invalid("list runtimes: cursor is malformed"))
        v.list_by_status_page("running", cursor, 2, expect=invalid("list runtimes by status: cursor is malformed"))
        v.list_due_running_page(now, cursor, 2, expect=invalid("list due runtimes: cursor is malformed"))

    # Check order: now, then the limit, then the cursor.
    v.list_due_running_page(ts(0, 999), "not a cursor", 0, expect=invalid("list due runtimes: now must not be zero"),
                            note="now is checked first")
    v.list_due_running_page(ts(MAX_SECONDS + 1, 0), "not a cursor", 501,
                            expect=invalid("list due runtimes: now is not a valid timestamp"))
    v.list_due_running_page(now, "not a cursor", 0, expect=invalid("list due runtimes: limit must be between 1 and 500"),
                            note="then the limit")
    v.list_page("not a cursor", 501, expect=invalid("list runtimes: limit must be between 1 and 500"))
    v.list_by_status_page("running", "not a cursor", 0,
                          expect=invalid("list runtimes by status: limit must be between 1 and 500"))

    # Cursors of the other list order.
    v.list_page(None, 2, expect=page("page-g", "page-f", more=True))
    v.list_due_running_page(now, P, 2, expect=invalid("list due runtimes: cursor is malformed"),
                            note="a cursor of list-page (created-at order) handed to the due list")
    v.list_page(P, 2, expect=page("page-a", "page-b", more=True),
                note="a refused step does not replace the cursor to continue")
    due_running = ["page-c", "page-c-tie", "page-a"]
    v.list_due_running(now, expect={"ok": [rec(i) for i in due_running]}, note="the whole due list at now")
    v.list_due_running_page(now, None, 1, expect=page("page-c", more=True))
    v.list_page(P, 2, expect=invalid("list runtimes: cursor is malformed"),
                note="a cursor of list-due-running-page handed to list-page")
    v.list_by_status_page("running", P, 2, expect=invalid("list runtimes by status: cursor is malformed"),
                          note="and to list-by-status-page")
    v.list_due_running_page(now, P, 1, expect=page("page-c-tie", more=True), note="ties on next-generation-at by game id")
    v.list_due_running_page(now, P, 1, expect=page("page-a", more=False))
    v.list_due_running_page(at(10_000), None, 500, expect=page("page-c", "page-c-tie", "page-a", "page-e", more=False),
                            note="only running records with next-generation-at at or before now")
    v.list_due_running_page(at(299), None, 1, expect=page(more=False), note="nothing due: an empty last page")

    # list-by-status pages.
    v.list_by_status_page("running", None, 2, expect=page("page-f", "page-a", more=True))
    v.list_by_status_page("running", P, 2, expect=page("page-c", "page-c-tie", more=True))
    v.list_by_status_page("running", P, 2, expect=page("page-e", more=False))
    v.list_by_status_page("stopped", None, 2, expect=page("page-b", more=False))
    v.list_by_status_page("finished", None, 2, expect=page(more=False))

    # Writes between pages of list-page.
    v.list_page(None, 2, expect=page("page-g", "page-f", more=True), note="a list iteration with writes between pages")
    v.insert(record("page-h-newest", "running", created_at=at(70), updated_at=at(70)), expect=OK_NULL,
             note="inserted before the cursor: the iteration does not see it")
    v.insert(record("page-z-oldest", "stopped", created_at=at(1), updated_at=at(1)), expect=OK_NULL,
             note="inserted after the cursor: the iteration sees it")
    v.delete("page-c", expect=OK_NULL, note="deleted ahead of the cursor: not seen")
    v.update_status(status_input("page-a", "running", "stopped", at(900)), expect=OK_NULL,
                    note="changed ahead of the cursor: seen once, as it is now")
    v.list_page(P, 2, expect=page("page-a", "page-b", more=True))
    v.update_status(status_input("page-a", "stopped", "starting", at(901)), expect=OK_NULL,
                    note="changed again behind the cursor: not seen again")
    v.list_page(P, 2, expect=page("page-c-tie", "page-e", more=True))
    v.list_page(P, 2, expect=page("page-z-oldest", more=False))
    v.insert(record("page-c", "running", created_at=at(30, 1500), updated_at=at(30, 1500), next_generation_at=at(300)),
             expect=OK_NULL, note="back as it was")
    v.update_status(status_input("page-a", "starting", "running", at(902)), expect=OK_NULL)

    # Writes between pages of list-by-status-page.
    v.list_by_status_page("running", None, 2, expect=page("page-h-newest", "page-f", more=True),
                          note="a by-status iteration with writes between pages")
    v.update_status(status_input("page-c", "running", "stopped", at(903)), expect=OK_NULL,
                    note="leaves the status ahead of the cursor: not seen")
    v.update_status(status_input("page-z-oldest", "stopped", "starting", at(904)), expect=OK_NULL)
    v.update_status(status_input("page-z-oldest", "starting", "running", at(905)), expect=OK_NULL,
                    note="enters the status after the cursor: seen")
    v.update_status(status_input("page-f", "running", "stopped", at(906)), expect=OK_NULL,
                    note="leaves the status behind the cursor: already seen, nothing changes ahead")
    v.list_by_status_page("running", P, 2, expect=page("page-a", "page-c-tie", more=True))
    v.list_by_status_page("running", P, 2, expect=page("page-e", "page-z-oldest", more=False))

    # Writes between pages of list-due-running-page.
    v.update_status(status_input("page-c", "stopped", "starting", at(907)), expect=OK_NULL)
    v.update_status(status_input("page-c", "starting", "running", at(908)), expect=OK_NULL)
    v.update_status(status_input("page-f", "stopped", "starting", at(909)), expect=OK_NULL)
    v.update_status(status_input("page-f", "starting", "running", at(910)), expect=OK_NULL)
    v.list_due_running(now, expect={"ok": [rec(i) for i in ["page-c", "page-c-tie", "page-a"]]})
    v.list_due_running_page(now, None, 1, expect=page("page-c", more=True), note="a due iteration with writes between pages")
    v.update_scheduling(scheduling_input("page-a", at(911), next_generation_at=at(200)), expect=OK_NULL,
                        note="rescheduled from ahead of the cursor to behind it: not seen")
    v.update_scheduling(scheduling_input("page-f", at(912), next_generation_at=at(420)), expect=OK_NULL,
                        note="becomes due after the cursor: seen")
    v.update_scheduling(scheduling_input("page-c", at(913), next_generation_at=at(100)), expect=OK_NULL,
                        note="an already seen record rescheduled earlier: not seen again")
    v.list_due_running_page(now, P, 1, expect=page("page-c-tie", more=True))
    v.list_due_running_page(now, P, 1, expect=page("page-f", more=False))
    v.list_due_running_page(now, None, 500, expect=page("page-c", "page-a", "page-c-tie", "page-f", more=False),
                            note="a fresh iteration sees the store as it is now")
    for game_id in ["page-a", "page-b", "page-c", "page-c-tie", "page-e", "page-f", "page-g", "page-h-newest",
                    "page-z-oldest"]:
        v.delete(game_id, expect=OK_NULL)
    v.list_page(None, 500, expect=page(more=False), note="an empty store: one empty page")
    return v


def main(argv: list[str]) -> int:
    check_only = argv == ["--check"]
    if argv and not check_only:
        print("usage: generate.py [--check]", file=sys.stderr)
        return 2
    files = [
        store_basics(),
        transitions(),
        lifecycle_stamps(),
        truncation(),
        ordering(),
        not_found_conflict(),
        scheduling(),
        engine_health_image(),
        pages(),
    ] + validation_files()
    wanted = {vectors.name: vectors.text() for vectors in files}
    on_disk = {path.name for path in HERE.glob("*.json")}
    if check_only:
        stale = sorted(
            name for name in on_disk | set(wanted)
            if name not in wanted or name not in on_disk or (HERE / name).read_text(encoding="utf-8") != wanted[name]
        )
        for name in stale:
            print(f"{name} is not what generate.py writes", file=sys.stderr)
        if stale:
            print("regenerate with: python3 tests/conformance/generate.py", file=sys.stderr)
            return 1
        print(f"{len(wanted)} vector files match generate.py")
        return 0
    for name in on_disk - set(wanted):
        (HERE / name).unlink()
    total = 0
    for vectors in files:
        (HERE / vectors.name).write_text(wanted[vectors.name], encoding="utf-8")
        total += len(vectors.steps)
        print(f"{vectors.name}: {len(vectors.steps)} steps")
    print(f"{len(files)} files, {total} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
