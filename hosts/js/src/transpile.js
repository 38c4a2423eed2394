// Transpiling a component with jco, the way the package loads it (synchronous instantiation;
// one `runtime-store.js` and its core modules), and recording what it was in
// `component.json`: its source, size and SHA-256 (its rules identity) and the types jco
// declares for it (`declarations`, which `RuntimeComponent.load` checks against the
// runtime-store world). jco is not a dependency of the package: it is imported when this
// runs (`npm install @bytecodealliance/jco@1.35.0` where components are loaded from bytes).
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { declarationsOf } from './world.js';

/** The name of jco's output module (`<dir>/runtime-store.js`). */
export const GENERATED_NAME = 'runtime-store';
/** The jco release the package's own component is transpiled with. */
export const JCO = '@bytecodealliance/jco';

/**
 * jco's `transpile`, imported on first use.
 * @returns {Promise<(bytes: Uint8Array, options: object) => Promise<{files: Record<string, Uint8Array>}>>}
 */
async function jcoTranspile() {
  /** @type {string} */
  const specifier = JCO;
  let jco;
  try {
    jco = await import(specifier);
  } catch (error) {
    throw new Error(
      `transpiling a component needs jco, which the package does not depend on: \`npm install ${JCO}@1.35.0\`, ` +
        'or transpile it beforehand (`jco transpile rules.wasm --instantiation sync -o dir`) and use RuntimeComponent.load(dir)',
      { cause: error },
    );
  }
  return jco.transpile;
}

/**
 * Transpiles `wasm` into `dir` and writes `dir/component.json` (source, size, sha256, the
 * declared types).
 * @param {Uint8Array} wasm the component
 * @param {string} dir
 * @param {string} source where the component came from (relative, for the record)
 */
export async function transpileInto(wasm, dir, source) {
  const transpile = await jcoTranspile();
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
