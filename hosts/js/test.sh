#!/usr/bin/env bash
# Runs the JavaScript host's tests on a fresh machine: installs the locked npm packages,
# jco-transpiles the rules component into generated/, runs node's test runner.
# Works from any directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent transpile
exec node --test tests/
