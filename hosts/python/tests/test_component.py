"""The package ships the component the Rust host embeds, byte for byte; RUNTIME_STORE_WASM
or a constructor argument loads another; a foreign component is refused."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import pytest

from runtime_store import (
    WASM_ENV,
    ComponentMismatch,
    MemoryBackend,
    RuntimeComponent,
    RuntimeStore,
    SandboxError,
)

from paths import COMMITTED_WASM, HOSTILE_DIR

COMMITTED_SHA256 = hashlib.sha256(COMMITTED_WASM.read_bytes()).hexdigest()


def test_the_packaged_component_is_the_committed_one() -> None:
    packaged = resources.files("runtime_store").joinpath("runtime-store.wasm").read_bytes()
    assert hashlib.sha256(packaged).hexdigest() == COMMITTED_SHA256
    assert resources.files("runtime_store").joinpath("py.typed").is_file()


def test_the_default_component_is_the_packaged_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WASM_ENV, raising=False)
    component = RuntimeComponent.default()
    assert component.sha256 == COMMITTED_SHA256
    assert component.source.endswith("(packaged)")
    assert RuntimeComponent.default() is component, "compiled once per process"


def test_the_environment_variable_names_another_component(monkeypatch: pytest.MonkeyPatch) -> None:
    hostile = HOSTILE_DIR / "trap.wasm"
    monkeypatch.setenv(WASM_ENV, str(hostile))
    store = RuntimeStore(MemoryBackend())
    assert store.component.source == str(hostile)
    with pytest.raises(SandboxError):
        store.get("game-1")


def test_a_path_given_to_the_store_is_loaded() -> None:
    store = RuntimeStore(MemoryBackend(), HOSTILE_DIR / "trap.wasm")
    assert (
        store.component.sha256
        == hashlib.sha256((HOSTILE_DIR / "trap.wasm").read_bytes()).hexdigest()
    )


def test_component_without_the_interfaces_is_refused(component: RuntimeComponent) -> None:
    with pytest.raises(ComponentMismatch, match=r"has no galaxy:gamemaster/store@0\.2\.0"):
        RuntimeComponent(b"\x00asm\x0d\x00\x01\x00", engine=component.engine, source="empty.wasm")


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=f"no rules component at .*absent.wasm.*{WASM_ENV}"):
        RuntimeComponent.from_file(tmp_path / "absent.wasm")


def test_an_engine_without_fuel_is_refused_with_what_to_do() -> None:
    from wasmtime import Engine

    component = RuntimeComponent(COMMITTED_WASM.read_bytes(), engine=Engine())
    with pytest.raises(ValueError, match="consume_fuel"):
        RuntimeStore(MemoryBackend(), component)
