#!/usr/bin/env bash
# Runs the Python host's tests on a fresh machine: writes the component the Rust host embeds
# (hosts/write-component.sh, unless RUNTIME_STORE_WASM names one), makes hosts/python/.venv
# if missing, installs the pinned dependencies from PyPI, runs pytest (extra arguments go to
# pytest). Works from any directory; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/../write-component.sh"
cd "$here"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
exec .venv/bin/python -m pytest "$@"
