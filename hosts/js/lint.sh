#!/usr/bin/env bash
# The JavaScript host's type check: tsc (hosts/js's pinned typescript) over the package
# sources, JavaScript with JSDoc types, strict (tsconfig.json), then over the declarations
# `npm run build` wrote into generated/types/, strict and without skipping them. Exits
# non-zero on any error. Needs `npm ci`; the declarations are checked when built.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
tsc=node_modules/.bin/tsc
[ -x "$tsc" ] || { echo "lint: $PWD/$tsc is missing; run \`npm ci\` in hosts/js first" >&2; exit 1; }
"$tsc" -p tsconfig.json
echo "lint: src/ type-checks (strict, checkJs)"
if [ -f generated/types/index.d.ts ]; then
    "$tsc" --ignoreConfig --noEmit --strict --skipLibCheck false --target es2022 --module nodenext \
        --moduleResolution nodenext --types node generated/types/index.d.ts
    echo "lint: generated/types/ type-checks (strict)"
else
    echo "lint: generated/types/ not built (npm run build); declarations not checked"
fi
