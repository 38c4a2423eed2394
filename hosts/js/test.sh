#!/usr/bin/env bash
# The JavaScript host's tests, on a fresh machine too (Node 20, npm; root is fine):
#   1. npm ci (the locked devDependencies: jco 1.35.0, typescript, @types/node);
#   2. npm run build: transpiles the committed host/component/runtime-store.wasm into
#      generated/ and writes the declarations (what `npm pack` runs as its prepack step);
#   3. lint.sh: the strict type check;
#   4. node --test tests/: conformance vectors (in process and in worker mode), boundary
#      refusals, messages, adapter failures, the sandbox with the hostile components, the
#      quickstart;
#   5. tests/installed/check.sh: npm pack, install the tarball in a fresh project outside
#      the repository, run the quickstart and a type-checked TypeScript program there;
#   6. `git status --porcelain -- hosts/js` reads as before: the build and the tests change
#      no tracked file and leave nothing unignored behind (empty in a fresh clone).
# The package's component is the committed host/component/runtime-store.wasm (checked by the
# tests). Works from any directory; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
in_git=false
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    in_git=true
    status_before="$(git -C "$here" status --porcelain -- .)"
fi
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
./lint.sh
node --test tests/
tests/installed/check.sh
if $in_git; then
    status_after="$(git -C "$here" status --porcelain -- .)"
    if [ "$status_after" != "$status_before" ]; then
        echo "test.sh: the build or the tests changed or left files under hosts/js (git status before, after):" >&2
        printf '%s\n---\n%s\n' "$status_before" "$status_after" >&2
        exit 1
    fi
fi
echo "test.sh: JavaScript host passed"
