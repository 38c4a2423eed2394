"""The quickstart in README.md is examples/quickstart.py, verbatim, and prints what the doc says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from paths import README

HOST = Path(__file__).resolve().parents[1]
EXAMPLE = HOST / "examples" / "quickstart.py"
DOC = README


def test_the_doc_shows_the_example_verbatim() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") in DOC.read_text(encoding="utf-8")


def test_the_example_runs_and_prints_what_the_doc_shows() -> None:
    environment = {**os.environ, "PYTHONPATH": str(HOST)}
    run = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, env=environment, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "running healthy Timestamp(seconds=1764000030, nanoseconds=123456000)" in run.stdout
    assert run.stdout in DOC.read_text(encoding="utf-8")
