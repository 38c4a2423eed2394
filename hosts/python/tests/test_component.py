"""The loaded component is the one the Rust host embeds, and a foreign one is refused."""

from __future__ import annotations

import hashlib

import pytest

from expected import embedded_sha256
from runtime_store import ComponentMismatch, RuntimeComponent, component_path


def test_loaded_component_is_the_embedded_one(component: RuntimeComponent) -> None:
    on_disk = hashlib.sha256(component_path().read_bytes()).hexdigest()
    assert component.sha256 == on_disk
    assert component.sha256 == embedded_sha256()


def test_component_without_the_interfaces_is_refused(component: RuntimeComponent) -> None:
    with pytest.raises(ComponentMismatch, match="has no galaxy:gamemaster/backend@0.1.0"):
        RuntimeComponent(b"\x00asm\x0d\x00\x01\x00", engine=component.engine, source="empty.wasm")


def test_missing_file_names_the_command_that_writes_it(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="runtime-store-cli -- component --out"):
        RuntimeComponent.from_file(tmp_path / "absent.wasm")
