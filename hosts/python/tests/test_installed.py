"""The package as a user gets it: a wheel built from this checkout (leaving the checkout
clean), installed into a fresh venv outside the repository, runs the quickstart with no
RUNTIME_STORE_WASM and no repository on any path, and a user program with its own adapter
(parameters named differently from the protocol's) passes `mypy --strict` against it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from runtime_store import FAST_PATH_AVAILABLE, WASMTIME_VERSION

from paths import COMMITTED_WASM, HOST, README, REPO_ROOT

USER_PROGRAM = '''
"""A user's own adapter: a dict, with parameter names of its own."""

from runtime_store import (
    LARGEST_PAGE_LIMIT, Backend, InsertOutcome, PatchOutcome, RecordPatch, RuntimePage,
    RuntimeRecord, RuntimeStore, ScanFilter, ScanKey, Status,
)


class DictBackend:
    def __init__(self) -> None:
        self.rows: dict[str, RuntimeRecord] = {}

    def fetch(self, key: str) -> RuntimeRecord | None:
        return self.rows.get(key)

    def insert(self, row: RuntimeRecord) -> InsertOutcome:
        if row.game_id in self.rows:
            return InsertOutcome.ALREADY_EXISTS
        self.rows[row.game_id] = row
        return InsertOutcome.INSERTED

    def patch(self, key: str, expected: Status | None, change: RecordPatch) -> PatchOutcome:
        return PatchOutcome.not_found()

    def remove(self, key: str) -> None:
        self.rows.pop(key, None)

    def scan(self, which: ScanFilter, after: ScanKey | None, most: int) -> list[RuntimeRecord]:
        return which.page_of(self.rows.values(), after, most)


backend: Backend = DictBackend()
store = RuntimeStore(backend, fuel_per_call=10_000_000, memory_limit=8 << 20)
records: list[RuntimeRecord] = store.list()
page: RuntimePage = store.list_page(None, limit=LARGEST_PAGE_LIMIT)
cursor: str | None = page.next_cursor
print(len(records), len(page.records), cursor, store.binding)
'''

BROKEN_PROGRAM = """
from runtime_store import RuntimeRecord, RuntimeStore


class NotABackend:
    def fetch(self, key: int) -> RuntimeRecord | None:
        return None


RuntimeStore(NotABackend())
"""


def _git_status(*paths: str) -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--", *paths],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


BUILD_PATHS = ("hosts/python", "host/component")
"""Where building the wheel could leave files (the project, the component it links to)."""


def _clean_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("RUNTIME_STORE_", "PYTHON", "VIRTUAL_ENV"))
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the repository with the wheel built from this checkout; returns
    its folder (the wheel is in `wheel/` beside it)."""
    root = tmp_path_factory.mktemp("installed")
    assert REPO_ROOT not in root.parents
    before = _git_status(*BUILD_PATHS)
    shutil.rmtree(HOST / "build", ignore_errors=True)  # no stale files in the wheel
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", root / "wheel", HOST],
        check=True,
        timeout=600,
    )
    assert _git_status(*BUILD_PATHS) == before, "building the wheel left files in the checkout"
    if os.environ.get("CI"):
        # A CI checkout is clean; other people's edits only exist in a shared working tree.
        assert _git_status() == "", "the checkout is not clean after building the wheel"
    venv.create(root / "venv", with_pip=True)
    python = root / "venv" / "bin" / "python"
    (wheel,) = (root / "wheel").glob("runtime_store-*.whl")
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            wheel,
            f"wasmtime=={WASMTIME_VERSION}",
        ],
        check=True,
        timeout=600,
        env=_clean_environment(),
    )
    return root


def test_the_wheel_holds_the_committed_component_and_py_typed(installed: Path) -> None:
    (wheel,) = (installed / "wheel").glob("runtime_store-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packaged = archive.read("runtime_store/runtime-store.wasm")
        names = archive.namelist()
    assert (
        hashlib.sha256(packaged).hexdigest()
        == hashlib.sha256(COMMITTED_WASM.read_bytes()).hexdigest()
    )
    assert "runtime_store/py.typed" in names


def test_the_quickstart_runs_from_the_installed_package(installed: Path) -> None:
    app = installed / "app"
    app.mkdir()
    shutil.copy(HOST / "examples" / "quickstart.py", app / "quickstart.py")
    python = installed / "venv" / "bin" / "python"
    run = subprocess.run(
        [python, "-I", "quickstart.py"],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_environment(),
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("running healthy ")
    assert run.stdout in README.read_text(encoding="utf-8")
    where = subprocess.run(
        [python, "-I", "-c", "import runtime_store; print(runtime_store.__file__)"],
        cwd=app,
        capture_output=True,
        text=True,
        check=True,
        env=_clean_environment(),
    ).stdout
    assert Path(where.strip()).is_relative_to(installed / "venv")


def _mypy(installed: Path, source: str, name: str) -> subprocess.CompletedProcess[str]:
    program = installed / "app-typed" / name
    program.parent.mkdir(exist_ok=True)
    program.write_text(source, encoding="utf-8")
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    assert mypy, "mypy is not installed in the test venv (hosts/python/lint.sh installs it)"
    return subprocess.run(
        [
            mypy,
            "--strict",
            "--no-incremental",
            "--python-executable",
            installed / "venv" / "bin" / "python",
            program.name,
        ],
        cwd=program.parent,
        capture_output=True,
        text=True,
        timeout=600,
        env=_clean_environment(),
    )


def test_a_user_adapter_type_checks_against_the_installed_package(installed: Path) -> None:
    checked = _mypy(installed, USER_PROGRAM, "user.py")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    run = subprocess.run(
        [installed / "venv" / "bin" / "python", "-I", "user.py"],
        cwd=installed / "app-typed",
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_environment(),
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"0 0 None {'fast' if FAST_PATH_AVAILABLE else 'public'}\n"


def test_a_wrong_adapter_is_caught_by_the_type_checker(installed: Path) -> None:
    checked = _mypy(installed, BROKEN_PROGRAM, "broken.py")
    assert checked.returncode == 1
    assert '"NotABackend"' in checked.stdout and '"Backend"' in checked.stdout


def test_the_wheel_is_the_version_pyproject_declares_and_the_readme_installs(
    installed: Path,
) -> None:
    # 0.2.0: the WIT package moved to 0.2.0 and `Backend.scan` changed incompatibly.
    with (HOST / "pyproject.toml").open("rb") as file:
        version = tomllib.load(file)["project"]["version"]
    assert version == "0.2.0"
    (wheel,) = (installed / "wheel").glob("runtime_store-*.whl")
    assert wheel.name == f"runtime_store-{version}-py3-none-any.whl"
    python = installed / "venv" / "bin" / "python"
    run = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('runtime-store'))"],
        check=True,
        capture_output=True,
        text=True,
        env=_clean_environment(),
        cwd=installed,
    )
    assert run.stdout.strip() == version
    assert f"pip install dist/{wheel.name}" in README.read_text(encoding="utf-8")
