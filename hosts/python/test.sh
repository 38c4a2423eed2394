#!/usr/bin/env bash
# The Python host's tests, the single entry (scripts/test calls it); works from any directory
# on a fresh machine (python3.11+, PyPI reachable) and exits non-zero on any failure:
#   1. lint.sh: ruff check, ruff format --check, mypy --strict on the package;
#   2. the whole suite on the newest wasmtime-py of the range (.venv, requirements.txt):
#      conformance on both call paths, boundaries, sandbox, error words, the wheel installed
#      into a fresh venv outside the repository;
#   3. conformance, sandbox, error words, boundaries, adapter answers, pages and swap on the oldest
#      wasmtime-py of the range (.venv-oldest, requirements-oldest.txt).
# The component is the packaged one (host/component/runtime-store.wasm); RUNTIME_STORE_WASM
# and RUNTIME_STORE_SHA256 are not needed. Extra arguments go to the first pytest run
# (hosts/python/test.sh -k sqlite).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
unset RUNTIME_STORE_WASM RUNTIME_STORE_SHA256 RUNTIME_STORE_BINDING

./lint.sh

pip_install() {
    "$1/bin/python" -m pip install --quiet --disable-pip-version-check -r "$2"
}

pip_install .venv requirements.txt
echo "== wasmtime-py $(.venv/bin/python -c 'import wasmtime, importlib.metadata as m; print(m.version("wasmtime"))'): the whole suite"
.venv/bin/python -m pytest "$@"

if [ ! -x .venv-oldest/bin/python ]; then
    python3 -m venv .venv-oldest
fi
pip_install .venv-oldest requirements-oldest.txt
echo "== wasmtime-py $(.venv-oldest/bin/python -c 'import importlib.metadata as m; print(m.version("wasmtime"))'): conformance, sandbox, error words, boundaries, pages, swap"
.venv-oldest/bin/python -m pytest -q tests/test_conformance.py tests/test_sandbox.py \
    tests/test_messages.py tests/test_inputs.py tests/test_backend_failure.py \
    tests/test_pages.py tests/test_wasmtime_range.py tests/test_swap.py
