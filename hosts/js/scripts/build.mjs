// `npm run build` (also `prepack`): jco-transpiles the committed rules component
// (host/component/runtime-store.wasm) into generated/, records what it was in
// generated/component.json (no absolute paths), and writes the package's TypeScript
// declarations into generated/types/.
import { execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transpileInto } from './transpile.mjs';

const hostDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(hostDir, '..', '..');
const componentFile = join(repoRoot, 'host', 'component', 'runtime-store.wasm');
const generated = join(hostDir, 'generated');

let wasm;
try {
  wasm = await readFile(componentFile);
} catch (error) {
  console.error(
    `build: cannot read the rules component at ${relative(process.cwd(), componentFile)} (${error.code}); ` +
      'the package is built from a checkout of the repository (host/component/runtime-store.wasm is committed)',
  );
  process.exit(1);
}

await rm(generated, { recursive: true, force: true });
const record = await transpileInto(wasm, generated, relative(repoRoot, componentFile));

const tsc = join(hostDir, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(hostDir, 'tsconfig.build.json')], { stdio: 'inherit', cwd: hostDir });

console.log(`built generated/ from ${record.source} (${record.size} bytes, sha256 ${record.sha256})`);
