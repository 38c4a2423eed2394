#!/usr/bin/env bash
# Writes the component the Rust host embeds to <repo>/target/runtime-store.wasm, where both
# polyglot hosts look for it, unless RUNTIME_STORE_WASM already names one. Used by
# hosts/python/test.sh and hosts/js/test.sh; works from any directory.
set -euo pipefail
if [ -z "${RUNTIME_STORE_WASM:-}" ]; then
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    cargo run -q -p runtime-store-cli -- component --out target/runtime-store.wasm
fi
