"""The package uses wasmtime-py's private bindings, so it refuses any other wasmtime release at
import, saying what to install (as docs/polyglot.md shows), and every file that pins wasmtime
pins the same release."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from runtime_store import WASMTIME_VERSION
from runtime_store._wasmtime import require_wasmtime
from runtime_store.component import REPO_ROOT

HOST = Path(__file__).resolve().parents[1]
DOC = REPO_ROOT / "docs" / "polyglot.md"
INSTALL_HINT = f"pip install wasmtime=={WASMTIME_VERSION}"


@pytest.mark.parametrize(
    ("installed", "found"), [("49.0.0", "found wasmtime 49.0.0"), (None, "found no wasmtime")]
)
def test_another_release_is_refused_with_what_to_install(installed, found) -> None:
    with pytest.raises(ImportError) as raised:
        require_wasmtime(installed)
    assert found in str(raised.value)
    assert INSTALL_HINT in str(raised.value)


def test_the_pinned_release_is_accepted() -> None:
    require_wasmtime(WASMTIME_VERSION)


def test_importing_the_package_with_another_release_fails_as_the_doc_shows() -> None:
    pretend_other_release = (
        "import importlib.metadata as metadata\n"
        "metadata.version = lambda name: '51.0.0'\n"
        "import runtime_store\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", pretend_other_release],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HOST)},
        timeout=120,
    )
    assert run.returncode != 0
    assert "ImportError: runtime_store needs wasmtime==" in run.stderr
    assert "found wasmtime 51.0.0" in run.stderr
    assert INSTALL_HINT in run.stderr
    assert run.stderr.strip().splitlines()[-1] in DOC.read_text(encoding="utf-8")


def test_every_pin_names_the_same_release() -> None:
    pin = f"wasmtime=={WASMTIME_VERSION}"
    assert pin in (HOST / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert f'"{pin}"' in (HOST / "pyproject.toml").read_text(encoding="utf-8")
    assert metadata.version("wasmtime") == WASMTIME_VERSION
