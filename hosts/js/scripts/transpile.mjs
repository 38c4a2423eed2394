// jco-transpiles a component the way the package loads it (synchronous instantiation; one
// `runtime-store.js` and its core modules). Used by the build and by the tests (hostile
// components); not shipped. jco's TypeScript declarations are not written: what they say
// about the component's types is recorded in component.json (`declarations`), which
// `RuntimeComponent.load` checks against the runtime-store world.
import { transpile } from '@bytecodealliance/jco';
import { mkdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { declarationsOf } from '../src/world.js';

/** The name of jco's output module (`<dir>/runtime-store.js`). */
export const GENERATED_NAME = 'runtime-store';

/**
 * Transpiles `wasm` into `dir` and writes `dir/component.json` (source, size, sha256).
 * @param {Uint8Array} wasm the component
 * @param {string} dir
 * @param {string} source where the component came from (relative, for the record)
 */
export async function transpileInto(wasm, dir, source) {
  const { files } = await transpile(new Uint8Array(wasm), {
    name: GENERATED_NAME,
    instantiation: 'sync',
  });
  const coreModules = [];
  /** @type {Record<string, string>} */
  const typescript = {};
  for (const [name, bytes] of Object.entries(files)) {
    if (name.endsWith('.d.ts')) {
      // The package declares its own API; jco's declarations only record the types.
      typescript[name] = new TextDecoder().decode(bytes);
      continue;
    }
    const target = join(dir, name);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes);
    if (name.endsWith('.wasm')) coreModules.push(name);
  }
  const record = {
    source,
    size: wasm.length,
    sha256: createHash('sha256').update(wasm).digest('hex'),
    coreModules,
    declarations: declarationsOf(typescript),
  };
  await writeFile(join(dir, 'component.json'), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}
