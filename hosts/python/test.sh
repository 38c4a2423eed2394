#!/usr/bin/env bash
# Runs the Python host's tests on a fresh machine: makes hosts/python/.venv if missing,
# installs the pinned dependencies from PyPI, runs pytest. Works from any directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
exec .venv/bin/python -m pytest "$@"
