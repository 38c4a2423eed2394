"""Python values the WIT cannot carry are refused before the component is entered, and a
component whose types differ from the WIT is refused at load time."""

from __future__ import annotations

import dataclasses

import pytest

from runtime_store import (
    ComponentMismatch,
    MemoryBackend,
    RuntimeComponent,
    RuntimeStore,
    Timestamp,
)
from runtime_store._wit import STORE_FUNCTIONS, STORE_INTERFACE, STRING, Signature
from runtime_store.component import _check_signature
from records import record


@pytest.fixture
def store(component: RuntimeComponent) -> RuntimeStore:
    return RuntimeStore(MemoryBackend(), component)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"current_turn": -1}, ValueError, "-1 is outside u32"),
        ({"current_turn": 2**32}, ValueError, "4294967296 is outside u32"),
        ({"status": "running"}, TypeError, "expected Status, got str"),
        ({"created_at": Timestamp("1764000000")}, TypeError, "expected int timestamp fields"),
        ({"created_at": Timestamp(2**63)}, ValueError, "outside s64 seconds"),
        ({"started_at": Timestamp(0, -1)}, ValueError, "u32 nanoseconds"),
        ({"game_id": "bad \udcff"}, UnicodeEncodeError, "surrogates not allowed"),
        ({"skip_next_tick": 0}, TypeError, "expected bool, got int"),
    ],
)
def test_unrepresentable_values_raise_and_the_store_goes_on(
    store: RuntimeStore, change: dict, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        store.insert(dataclasses.replace(record("game-1"), **change))
    store.insert(record("game-1"))
    assert store.get("game-1") == record("game-1")


def test_a_function_of_another_type_is_refused(component: RuntimeComponent) -> None:
    declared = component.component.type.exports(component.engine)[STORE_INTERFACE].ty
    get_type = declared.exports(component.engine)["get"].ty
    returns_a_list = Signature((STRING,), STORE_FUNCTIONS["list"].result)
    with pytest.raises(ComponentMismatch, match=r"store#get result\.ok: expected list"):
        _check_signature(get_type, returns_a_list, "store#get")
