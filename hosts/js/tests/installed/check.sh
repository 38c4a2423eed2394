#!/usr/bin/env bash
# The package as a user gets it. npm pack from the checkout (the pack step builds
# generated/), then, in a fresh project in a temporary folder outside the repository,
# `npm install --omit=dev <tarball>`:
#   * the quickstart (examples/quickstart.mjs, copied) runs there with no RUNTIME_STORE_WASM
#     and no repository on any path, and prints what the README shows;
#   * the installed package holds no path of the build machine and pulls in no dependency;
#   * a TypeScript user program with its own adapter class (user.ts) type-checks with
#     `tsc --strict --noEmit` (hosts/js's pinned typescript), then compiles and runs.
# Exits non-zero on any failure. Run by hosts/js/test.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
host="$(cd "$here/../.." && pwd)"
repo="$(cd "$host/../.." && pwd)"
tsc="$host/node_modules/.bin/tsc"
work="$(mktemp -d "${TMPDIR:-/tmp}/runtime-store-installed.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "installed package: $*" >&2; exit 1; }

cd "$host"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
[ -f "$work/$tarball" ] || fail "npm pack wrote no tarball ($tarball)"
echo "installed package: packed $tarball"

# What the tarball holds: the sources, the transpiled component, the declarations, the README.
listing="$(tar -tzf "$work/$tarball")"
for needed in package/package.json package/README.md package/src/index.js \
    package/generated/runtime-store.js package/generated/runtime-store.core.wasm \
    package/generated/component.json package/generated/types/index.d.ts; do
    grep -qx "$needed" <<<"$listing" || fail "the tarball lacks $needed"
done
if grep -E '^package/(tests|scripts|examples)/|^package/bench\.mjs$|^package/(test|lint)\.sh$|^package/tsconfig' <<<"$listing"; then
    fail "the tarball holds files users do not need (above)"
fi

project="$work/project"
mkdir "$project"
cd "$project"
printf '{ "name": "user-project", "version": "1.0.0", "private": true, "type": "module" }\n' >package.json
env -u RUNTIME_STORE_WASM -u NODE_PATH npm install --omit=dev --no-audit --no-fund --loglevel=error "$work/$tarball"
installed="$(ls node_modules | grep -v '^\.' || true)"
[ "$installed" = "runtime-store" ] || fail "installing pulled in more than runtime-store: $installed"
if grep -rlF "$repo" node_modules/runtime-store; then
    fail "the installed package names the build machine's $repo (files above)"
fi

cp "$host/examples/quickstart.mjs" .
env -u RUNTIME_STORE_WASM -u NODE_PATH node quickstart.mjs >quickstart.out
grep -q '^running healthy' quickstart.out || fail "the quickstart printed: $(cat quickstart.out)"
node -e '
  const fs = require("node:fs");
  const [readme, out] = process.argv.slice(1).map((file) => fs.readFileSync(file, "utf8"));
  if (!readme.includes("```text\n" + out + "```")) {
    console.error("installed package: the quickstart printed what README.md does not show:\n" + out);
    process.exit(1);
  }' "$repo/README.md" quickstart.out
echo "installed package: the quickstart prints what README.md shows"

cp "$here/user.ts" .
"$tsc" --strict --noEmit --skipLibCheck false --target es2022 --module nodenext --moduleResolution nodenext user.ts
echo "installed package: user.ts type-checks (tsc --strict --noEmit)"
"$tsc" --strict --skipLibCheck false --target es2022 --module nodenext --moduleResolution nodenext --outDir out user.ts
env -u RUNTIME_STORE_WASM -u NODE_PATH node out/user.js >user.out
diff -u "$here/expected-user.txt" user.out || fail "user.ts printed otherwise (diff above)"
echo "installed package: user.ts runs against the installed package"
