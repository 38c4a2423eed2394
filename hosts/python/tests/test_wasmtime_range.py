"""The wasmtime-py range: pyproject.toml, the test pins and the package agree; the private
fast path is used only where every hand-declared C signature and struct layout matches
wasmtime-py's own declarations, else the public API runs with exactly one warning."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import tomllib
import types
from typing import Any

import pytest

from runtime_store import (
    FAST_PATH_AVAILABLE,
    SUPPORTED_WASMTIME,
    WASMTIME_VERSION,
    MemoryBackend,
    RuntimeStore,
    _abi,
)

from paths import HOST


def _pin(requirements: str) -> str:
    for line in (HOST / requirements).read_text(encoding="utf-8").splitlines():
        if line.startswith("wasmtime=="):
            return line.removeprefix("wasmtime==")
    raise AssertionError(f"{requirements} pins no wasmtime")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_the_range_is_declared_once_and_the_pins_are_its_ends() -> None:
    project = tomllib.loads((HOST / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["dependencies"] == [f"wasmtime{SUPPORTED_WASMTIME}"]
    lowest, below = SUPPORTED_WASMTIME.split(",")
    oldest, newest = _pin("requirements-oldest.txt"), _pin("requirements.txt")
    assert lowest == f">={oldest}"
    assert _version(oldest) < _version(newest) < _version(below.removeprefix("<"))
    assert WASMTIME_VERSION in (oldest, newest)


def test_the_installed_release_is_verified() -> None:
    assert FAST_PATH_AVAILABLE, "the fast path should verify on every tested release"
    assert RuntimeStore(MemoryBackend()).binding == "fast"


def _bindings_copy(**changes: Any) -> types.ModuleType:
    from wasmtime import _bindings

    copy = types.ModuleType("bindings_copy")
    copy.__dict__.update(vars(_bindings))
    copy.__dict__.update(changes)
    return copy


def _verify(bindings: types.ModuleType) -> list[str]:
    import wasmtime
    import wasmtime.component
    from wasmtime import _ffi

    return _abi.verify(
        bindings, _ffi, {"wasmtime": wasmtime, "wasmtime.component": wasmtime.component}
    )


def test_the_declarations_match_wasmtime_pys() -> None:
    from wasmtime import _bindings

    assert _verify(_bindings) == []


class _Function:
    def __init__(self, restype: Any, argtypes: list[Any]):
        self.restype = restype
        self.argtypes = argtypes


def test_a_different_signature_is_a_difference() -> None:
    changed = _Function(
        ctypes.c_void_p,
        [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p],
    )
    problems = _verify(_bindings_copy(_wasmtime_component_func_call=changed))
    assert len(problems) == 1
    assert problems[0].startswith("wasmtime_component_func_call is declared as")


def test_a_different_layout_is_a_difference() -> None:
    class Vec(ctypes.Structure):
        _fields_ = [("data", ctypes.c_void_p), ("size", ctypes.c_size_t)]

    problems = _verify(_bindings_copy(wasm_byte_vec_t=Vec))
    assert problems == [
        "wasm_byte_vec_t.size is u64 at offset 8, expected u64 at offset 0",
        "wasm_byte_vec_t.data is pointer at offset 0, expected pointer at offset 8",
    ]


def test_a_different_callback_type_is_a_difference() -> None:
    callback = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_void_p)
    problems = _verify(_bindings_copy(wasmtime_component_func_callback_t=callback))
    assert any(p.startswith("wasmtime_component_func_callback_t is") for p in problems)


PRETEND_CHANGED_BINDINGS = """
import ctypes, warnings
from wasmtime import _bindings
_bindings._wasmtime_component_val_clone.argtypes = [ctypes.c_void_p]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import runtime_store
    from runtime_store import MemoryBackend, RuntimeStore
    store = RuntimeStore(MemoryBackend())
    RuntimeStore(MemoryBackend())
    print(runtime_store.FAST_PATH_AVAILABLE, store.binding, store.list())
    try:
        RuntimeStore(MemoryBackend(), binding="fast")
    except ValueError as error:
        print("fast refused:", error)
print(len(caught))
for warning in caught:
    print(warning.category.__name__, warning.message)
"""


def test_a_release_that_differs_runs_on_the_public_api_with_one_warning() -> None:
    run = subprocess.run(
        [sys.executable, "-c", PRETEND_CHANGED_BINDINGS],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(HOST)},
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "False public []"
    assert lines[1].startswith("fast refused: the fast binding is not available: ")
    assert lines[2] == "1"
    assert lines[3].startswith(
        "RuntimeWarning runtime_store runs on wasmtime-py's public component API (the same "
        "results, slower) instead of its verified fast path, because wasmtime-py "
    )
    assert "wasmtime_component_val_clone is declared as" in lines[3]


@pytest.mark.parametrize("chosen", ["public", "fast"])
def test_the_environment_chooses_the_binding(monkeypatch: pytest.MonkeyPatch, chosen: str) -> None:
    monkeypatch.setenv("RUNTIME_STORE_BINDING", chosen)
    assert RuntimeStore(MemoryBackend()).binding == chosen
