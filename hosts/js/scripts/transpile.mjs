// `npm run transpile`: jco-transpiles the rules component into generated/ and records which
// file it was (path, size, sha256) so tests can check it is the one the Rust host embeds.
import { transpile } from '@bytecodealliance/jco';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  GENERATED_DIR,
  GENERATED_NAME,
  SOURCE_RECORD,
  WASM_ENV,
  componentPath,
  sha256,
} from '../src/component.js';

const path = componentPath();
let wasm;
try {
  wasm = await readFile(path);
} catch (error) {
  console.error(
    `transpile: cannot read the rules component at ${path} (${error.code}); write it with ` +
      `\`cargo run -q -p runtime-store-cli -- component --out ${path}\` or set ${WASM_ENV}`,
  );
  process.exit(1);
}

const { files } = await transpile(new Uint8Array(wasm), {
  name: GENERATED_NAME,
  instantiation: 'sync',
  noTypescript: false,
});

await rm(GENERATED_DIR, { recursive: true, force: true });
const coreModules = [];
for (const [name, bytes] of Object.entries(files)) {
  const target = join(GENERATED_DIR, name);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, bytes);
  if (name.endsWith('.wasm')) coreModules.push(name);
}
const source = { source: path, size: wasm.length, sha256: sha256(wasm), coreModules };
await writeFile(join(GENERATED_DIR, SOURCE_RECORD), `${JSON.stringify(source, null, 2)}\n`);
console.log(`transpiled ${path} (${wasm.length} bytes, sha256 ${source.sha256}) into ${GENERATED_DIR}`);
