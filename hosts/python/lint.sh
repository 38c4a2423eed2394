#!/usr/bin/env bash
# The Python host's gates: ruff check, ruff format --check and mypy --strict on the package
# (configured in pyproject.toml). Makes hosts/python/.venv if missing and installs the pinned
# linters (requirements-lint.txt) and wasmtime-py (requirements.txt) into it. Works from any
# directory; exits non-zero on any finding.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -r requirements.txt -r requirements-lint.txt
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy --strict runtime_store
