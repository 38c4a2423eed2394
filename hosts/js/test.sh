#!/usr/bin/env bash
# Runs the JavaScript host's tests on a fresh machine: writes the component the Rust host
# embeds (hosts/write-component.sh, unless RUNTIME_STORE_WASM names one), installs the
# locked npm packages, jco-transpiles the component into generated/, runs node's test runner.
# Works from any directory; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/../write-component.sh"
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent transpile
exec node --test tests/
