// Finding the rules component and loading its jco transpilation.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The JS host's folder (`hosts/js`). */
export const HOST_DIR = resolve(here, '..');
/** The repository root. */
export const REPO_ROOT = resolve(HOST_DIR, '..', '..');
/** Environment variable naming the component file to transpile and load. */
export const WASM_ENV = 'RUNTIME_STORE_WASM';
/** Where `runtime-store component --out target/runtime-store.wasm` writes the component. */
export const DEFAULT_WASM = join(REPO_ROOT, 'target', 'runtime-store.wasm');
/** Where `npm run transpile` writes jco's output. */
export const GENERATED_DIR = join(HOST_DIR, 'generated');
/** The name of jco's output module (`generated/<name>.js`). */
export const GENERATED_NAME = 'runtime-store';
/** What `npm run transpile` records about the component it transpiled. */
export const SOURCE_RECORD = 'component.json';

/** The component file: `$RUNTIME_STORE_WASM`, else `<repo>/target/runtime-store.wasm`. */
export function componentPath() {
  return process.env[WASM_ENV] || DEFAULT_WASM;
}

/** The lowercase hex SHA-256 of `bytes`. */
export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The transpiled rules component: its compiled core modules and jco's `instantiate`,
 * loaded once and shared by every `RuntimeStore`.
 */
export class RuntimeComponent {
  /**
   * @param {Function} instantiate jco's synchronous `instantiate(getCoreModule, imports)`
   * @param {Map<string, WebAssembly.Module>} modules the compiled core modules by file name
   * @param {{source: string, sha256: string, size: number}} source the transpiled component
   */
  constructor(instantiate, modules, source) {
    this.instantiate = instantiate;
    this.modules = modules;
    this.source = source;
  }

  /** The component transpiled into `dir` by `npm run transpile`. */
  static async load(dir = GENERATED_DIR) {
    let source;
    try {
      source = JSON.parse(await readFile(join(dir, SOURCE_RECORD), 'utf8'));
    } catch (error) {
      throw new Error(
        `load the rules component: no transpiled component in ${dir} (${error.code ?? error.message}); ` +
          'run `npm run transpile` in hosts/js first',
        { cause: error },
      );
    }
    const { instantiate } = await import(pathToFileURL(join(dir, `${GENERATED_NAME}.js`)).href);
    const modules = new Map();
    for (const file of source.coreModules) {
      modules.set(file, await WebAssembly.compile(await readFile(join(dir, file))));
    }
    return new RuntimeComponent(instantiate, modules, source);
  }

  /** The component in `generated/`, loaded once per process (retried after a failure). */
  static default() {
    defaultComponent ??= RuntimeComponent.load().catch((error) => {
      defaultComponent = undefined;
      throw error;
    });
    return defaultComponent;
  }

  /** A fresh instance whose `backend` imports are `backendImports`. */
  instantiateWith(backendImports) {
    return this.instantiate((file) => this.modules.get(file), {
      'galaxy:gamemaster/backend': backendImports,
      'galaxy:gamemaster/types': {},
    });
  }
}

let defaultComponent;
