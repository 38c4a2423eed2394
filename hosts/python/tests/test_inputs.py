"""Values the WIT types cannot hold are refused before any rule runs, as InvalidInput naming
the field and what it must be (the vocabulary's words), never wrapped or replaced; strings
longer than LARGEST_STRING_PASSED reach the rules as a stand-in that gets the same answer.
A component whose types differ from the WIT is refused at load time."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from runtime_store import (
    ComponentMismatch,
    InvalidInput,
    MemoryBackend,
    RuntimeComponent,
    RuntimeStore,
    Status,
    Timestamp,
    UpdateSchedulingInput,
    UpdateStatusInput,
)
from runtime_store._codec import LARGEST_STRING_PASSED, stand_in
from runtime_store._vocabulary import WHITE_SPACE
from runtime_store._wit import STORE_FUNCTIONS, STORE_INTERFACE, Signature
from runtime_store.component import _check_signature

from records import NOW, record

U32 = "an integer in 0..=4294967295"
S64 = "an integer in -9223372036854775808..=9223372036854775807"
STRING = "a string of Unicode scalar values (no lone surrogates)"
STATUS = (
    "one of the statuses starting, running, generation-in-progress, generation-failed, "
    "engine-unreachable, stopped, finished"
)
TIMESTAMP = "a timestamp with seconds and nanoseconds"


class CountingBackend(MemoryBackend):
    """Counts the primitives the component calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def fetch(self, game_id: str) -> Any:
        self.calls += 1
        return super().fetch(game_id)

    def insert(self, record: Any) -> Any:
        self.calls += 1
        return super().insert(record)

    def scan(self, scan_filter: Any, after: Any, limit: int) -> Any:
        self.calls += 1
        return super().scan(scan_filter, after, limit)


@pytest.fixture
def backend() -> CountingBackend:
    return CountingBackend()


@pytest.fixture
def store(backend: CountingBackend, component: RuntimeComponent, binding: str) -> RuntimeStore:
    return RuntimeStore(backend, component, binding=binding)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"current_turn": -1}, "current turn", U32),
        ({"current_turn": 2**32}, "current turn", U32),
        ({"current_turn": True}, "current turn", U32),
        ({"current_turn": 1.0}, "current turn", U32),
        ({"status": "running"}, "status", STATUS),
        ({"created_at": 1_764_000_000}, "created at", TIMESTAMP),
        ({"created_at": Timestamp("1764000000")}, "created at seconds", S64),  # type: ignore[arg-type]
        ({"created_at": Timestamp(2**63)}, "created at seconds", S64),
        ({"updated_at": Timestamp(-(2**63) - 1)}, "updated at seconds", S64),
        ({"started_at": Timestamp(0, -1)}, "started at nanoseconds", U32),
        ({"next_generation_at": Timestamp(0, 2**32)}, "next generation at nanoseconds", U32),
        ({"game_id": "bad \ud800"}, "game id", STRING),
        ({"engine_endpoint": None}, "engine endpoint", STRING),
        ({"engine_health": b"ok"}, "engine health", STRING),
        ({"skip_next_tick": 0}, "skip next tick", "a boolean"),
    ],
)
def test_a_record_field_the_wit_cannot_hold_is_named_with_its_range(
    store: RuntimeStore, backend: CountingBackend, change: dict[str, Any], field: str, expected: str
) -> None:
    bad = dataclasses.replace(record("game-1"), **change)
    for call, words in (
        (store.insert, "insert runtime record"),
        (store.validate_record, "validate runtime record"),
    ):
        with pytest.raises(InvalidInput) as raised:
            call(bad)
        assert str(raised.value) == f"{words}: {field} must be {expected}"
        assert raised.value.reason == str(raised.value)
        assert raised.value.game_id == (bad.game_id if isinstance(bad.game_id, str) else None)
    assert backend.calls == 0, "refused before any rule or storage"
    store.insert(record("game-1"))
    assert store.get("game-1") == record("game-1")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.get(7), f"get runtime record: game id must be {STRING}"),
        (lambda s: s.delete("\udcff"), f"delete runtime record: game id must be {STRING}"),
        (
            lambda s: s.insert("game-1"),
            "insert runtime record: record must be a value of type runtime-record",
        ),
        (
            lambda s: s.update_status({"game_id": "game-1"}),
            "update runtime status: input must be a value of type update-status-input",
        ),
        (
            lambda s: s.update_status(
                UpdateStatusInput(
                    "game-1", Status.RUNNING, Status.STOPPED, NOW, engine_health_summary="\ud800"
                )
            ),
            f"update runtime status: engine health summary must be {STRING}",
        ),
        (
            lambda s: s.update_status(
                UpdateStatusInput("game-1", Status.RUNNING, Status.STOPPED, Timestamp(2**63))
            ),
            f"update runtime status: now seconds must be {S64}",
        ),
        (
            lambda s: s.update_scheduling(UpdateSchedulingInput("game-1", None, False, -1, NOW)),
            f"update runtime scheduling: current turn must be {U32}",
        ),
        (
            lambda s: s.list_due_running(Timestamp(0, 2**32)),
            f"list due runtimes: now nanoseconds must be {U32}",
        ),
        (lambda s: s.list_due_running(5), f"list due runtimes: now must be {TIMESTAMP}"),
        (
            lambda s: s.list_by_status("running"),
            f"list runtimes by status: status must be {STATUS}",
        ),
        (lambda s: s.list_page(None, -1), f"list runtimes: limit must be {U32}"),
        (lambda s: s.list_page(None, 2**32), f"list runtimes: limit must be {U32}"),
        (lambda s: s.list_page(None, "5"), f"list runtimes: limit must be {U32}"),
        (lambda s: s.list_page(3, 5), f"list runtimes: cursor must be {STRING}"),
        (
            lambda s: s.list_by_status_page(Status.RUNNING, None, False),
            f"list runtimes by status: limit must be {U32}",
        ),
        (
            lambda s: s.list_due_running_page(NOW, "\ud800", 5),
            f"list due runtimes: cursor must be {STRING}",
        ),
        (
            lambda s: s.list_due_running_page(None, None, 5),
            f"list due runtimes: now must be {TIMESTAMP}",
        ),
        (
            lambda s: s.transition("finished", Status.RUNNING),
            f"check runtime status transition: from must be {STATUS}",
        ),
        (
            lambda s: s.transition(Status.FINISHED, 3),
            f"check runtime status transition: to must be {STATUS}",
        ),
        (
            lambda s: s.allowed_transitions(None),
            f"list allowed runtime status transitions: from must be {STATUS}",
        ),
    ],
)
def test_arguments_the_wit_cannot_hold_are_named_by_operation_and_field(
    store: RuntimeStore, backend: CountingBackend, call: Callable[[RuntimeStore], Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        call(store)
    assert str(raised.value) == message
    assert backend.calls == 0
    assert store.list() == []


def test_the_operation_and_game_id_are_kept(store: RuntimeStore) -> None:
    with pytest.raises(InvalidInput) as raised:
        store.update_status(
            UpdateStatusInput("game-9", Status.RUNNING, Status.STOPPED, Timestamp(0, -5))
        )
    assert (raised.value.operation, raised.value.game_id) == ("update-status", "game-9")


def test_stand_ins_keep_blankness_and_length_as_the_vocabulary_says() -> None:
    limit = LARGEST_STRING_PASSED
    assert stand_in("x" * limit) == "x" * limit
    assert stand_in("é" * (limit + 1)) == "é" * limit
    kept = stand_in(" " * limit + "\u3000z tail")
    assert kept == " " * limit + "z"
    assert stand_in(" " * (limit * 2)) == " " * limit
    assert stand_in("\u3000" * limit + "\u2029" * 5) == "\u3000" * limit
    assert set(" \u3000\u2029") <= set(WHITE_SPACE)


@pytest.mark.parametrize(
    ("long", "short"),
    [
        ("x" * 300_000, "x" * 300),
        ("é" * (LARGEST_STRING_PASSED + 1), "é" * 200),
        (" " * 20_000, " " * 300),
        (" " * 9_000 + "z", " " * 300 + "z"),
        ("\u3000" * 9_000 + "\u2003" * 100 + "z", "\u3000" * 100 + "z"),
        ("\u3000" * 20_000, "\u3000" * 100),
    ],
    ids=[
        "ascii",
        "two-byte",
        "blank",
        "blank-then-text",
        "unicode-space-then-text",
        "unicode-blank",
    ],
)
def test_a_long_string_gets_the_rules_answer_for_the_whole_string(
    store: RuntimeStore, long: str, short: str
) -> None:
    """The rules answer a long string's stand-in as they answer any string of the same
    blankness over the same limits (`short` is one, passed whole)."""
    answers = []
    for text in (long, short):
        with pytest.raises(InvalidInput) as raised:
            store.get(text)
        answers.append(str(raised.value))
        assert raised.value.game_id is text
    assert answers[0] == answers[1]
    assert answers[0] in (
        "get runtime record: game id must not exceed 256 bytes",
        "get runtime record: game id must not be empty",
    )
    with pytest.raises(InvalidInput) as field:
        store.insert(dataclasses.replace(record("game-1"), engine_endpoint="e" * 100_000))
    assert str(field.value) == "insert runtime record: engine endpoint must not exceed 4096 bytes"


def test_a_long_string_with_a_lone_surrogate_past_the_stand_in_is_refused(
    store: RuntimeStore,
) -> None:
    with pytest.raises(InvalidInput) as raised:
        store.get("x" * 50_000 + "\ud800")
    assert str(raised.value) == f"get runtime record: game id must be {STRING}"


def test_a_function_of_another_type_is_refused(component: RuntimeComponent) -> None:
    declared = component.component.type.exports(component.engine)[STORE_INTERFACE].ty
    get_type = declared.exports(component.engine)["get"].ty
    get = STORE_FUNCTIONS["get"]
    returns_a_list = Signature(get.params, get.names, STORE_FUNCTIONS["list"].result)
    with pytest.raises(ComponentMismatch, match=r"store#get result\.ok: expected list"):
        _check_signature(get_type, returns_a_list, "store#get")
    renamed = Signature(get.params, ("id",), get.result)
    with pytest.raises(
        ComponentMismatch, match=r"expected parameters \('id',\), found \('game-id',\)"
    ):
        _check_signature(get_type, renamed, "store#get")
