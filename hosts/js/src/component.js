// Loading the jco transpilation of the rules component and instantiating it with a bounded
// memory.
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MAX_PAGES, PAGE_SIZE, boundMemories, initialPages } from './limits.js';
import { checkDeclarations, declarationsOf } from './world.js';

/** Where the package keeps its transpiled component (built when the package is packed). */
export const DEFAULT_COMPONENT_DIR = fileURLToPath(new URL('../generated/', import.meta.url));
/** What a transpilation records about the component it was made from. */
export const SOURCE_RECORD = 'component.json';
/** The default bound on one instance's linear memory: 16 MiB. */
export const DEFAULT_MEMORY_LIMIT = 16 * 1024 * 1024;

/**
 * What is known of the component a transpilation was made from.
 * @typedef {object} ComponentSource
 * @property {string | undefined} sha256 lowercase hex SHA-256 of the component file
 *   (undefined when the folder has no component.json)
 * @property {number | undefined} size its size in bytes
 * @property {string | undefined} source where it came from, relative to the repository
 */

/**
 * Which build of the rules runs: the SHA-256 of the component's bytes (64 lowercase hex
 * digits) and their size. Every sandbox failure's message ends with `(rules <first 12 hex
 * digits of sha256>)`.
 * @typedef {object} RulesIdentity
 * @property {string} sha256
 * @property {number} size
 */

/**
 * The identity of the component `bytes`.
 * @param {Uint8Array} bytes
 * @returns {RulesIdentity}
 */
export function rulesIdentityOf(bytes) {
  return { sha256: sha256(bytes), size: bytes.length };
}

/**
 * The lowercase hex SHA-256 of `bytes`.
 * @param {Uint8Array} bytes
 */
export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The whole pages `memoryLimit` bytes allow (at most 4 GiB); a TypeError when it is not a
 * positive integer.
 * @param {unknown} memoryLimit
 */
export function memoryPages(memoryLimit) {
  if (typeof memoryLimit !== 'number' || !Number.isSafeInteger(memoryLimit) || memoryLimit < PAGE_SIZE) {
    throw new TypeError(`memoryLimit must be a whole number of bytes, at least ${PAGE_SIZE}; got ${String(memoryLimit)}`);
  }
  return Math.min(Math.floor(memoryLimit / PAGE_SIZE), MAX_PAGES);
}

/**
 * The transpiled rules component: jco's `instantiate` and the core modules' bytes, loaded
 * once and shared by every `RuntimeStore`. Core modules are compiled once per memory limit.
 */
export class RuntimeComponent {
  /** @type {Map<number, Map<string, WebAssembly.Module>>} */
  #compiled = new Map();

  /**
   * @param {Function} instantiate jco's synchronous `instantiate(getCoreModule, imports)`
   * @param {string} moduleUrl the file URL of the transpiled JavaScript (for worker threads)
   * @param {Map<string, Uint8Array>} coreModules the core modules' bytes by file name
   * @param {ComponentSource} source what is known of the component file
   * @param {RulesIdentity} [identity] the build (default: from `source`, which must then
   *   know the component's sha256 and size)
   */
  constructor(instantiate, moduleUrl, coreModules, source, identity) {
    this.instantiate = instantiate;
    this.moduleUrl = moduleUrl;
    this.coreModules = coreModules;
    /** @type {ComponentSource} */
    this.source = source;
    if (identity === undefined) {
      if (source.sha256 === undefined || source.size === undefined) {
        throw new TypeError('RuntimeComponent: the identity of the rules (sha256 and size of the component) is unknown');
      }
      identity = { sha256: source.sha256, size: source.size };
    }
    /**
     * The rules build: the SHA-256 and size of the component's bytes (from `component.json`);
     * for a transpilation that does not record them, of its transpiled files (the
     * JavaScript module, then the core modules by name).
     * @type {Readonly<RulesIdentity>}
     */
    this.rulesIdentity = Object.freeze({ ...identity });
    /** The pages the component's memories need at start. */
    this.initialPages = Math.max(0, ...[...coreModules.values()].flatMap((bytes) => initialPages(bytes)));
  }

  /**
   * A component transpiled into `dir` by jco 1.35 with synchronous instantiation, as
   * `jco transpile rules.wasm --instantiation sync -o dir` writes it (one `.js` module, its
   * `.wasm` core modules and, in `interfaces/`, the TypeScript declarations of its
   * interfaces). The package's own is the default. Before anything is run, the types those
   * declarations give the component's exports (and the backend functions it imports) are
   * compared with the runtime-store world's: a difference is a `ComponentMismatch` naming
   * the function.
   * @param {string} [dir]
   */
  static async load(dir = DEFAULT_COMPONENT_DIR) {
    let names;
    try {
      names = await readdir(dir);
    } catch (error) {
      const code = /** @type {NodeJS.ErrnoException} */ (error).code;
      throw new Error(
        `load the rules component: cannot read ${dir} (${code ?? String(error)}); ` +
          (dir === DEFAULT_COMPONENT_DIR
            ? 'the package was not built: in a checkout, run `npm run build` in hosts/js'
            : 'transpile a component there with `jco transpile <file.wasm> --instantiation sync -o <dir>`'),
        { cause: error },
      );
    }
    const scripts = names.filter((name) => name.endsWith('.js'));
    if (scripts.length !== 1) {
      throw new Error(`load the rules component: ${dir} must hold exactly one jco-transpiled .js module, found ${scripts.length}`);
    }
    /** @type {ComponentSource} */
    let source = { sha256: undefined, size: undefined, source: undefined };
    /** @type {import('./world.js').Declarations | undefined} */
    let declarations;
    if (names.includes(SOURCE_RECORD)) {
      const recorded = JSON.parse(await readFile(join(dir, SOURCE_RECORD), 'utf8'));
      source = { sha256: recorded.sha256, size: recorded.size, source: recorded.source };
      declarations = recorded.declarations;
    }
    declarations ??= await typescriptDeclarations(dir);
    if (declarations === undefined) {
      throw new Error(
        `load the rules component: ${dir} has no TypeScript declarations of its interfaces ` +
          '(interfaces/*.d.ts), so its types cannot be checked; transpile without --no-typescript',
      );
    }
    if (join(dir, '/') !== DEFAULT_COMPONENT_DIR) {
      checkDeclarations(declarations, await packageDeclarations(), dir);
    }
    const coreModules = new Map();
    for (const name of names.filter((file) => file.endsWith('.wasm')).sort()) {
      coreModules.set(name, new Uint8Array(await readFile(join(dir, name))));
    }
    const moduleUrl = pathToFileURL(join(dir, scripts[0])).href;
    /** @type {RulesIdentity | undefined} */
    let identity;
    if (source.sha256 === undefined || source.size === undefined) {
      // The component's own bytes are not known: the transpiled files stand for them.
      const files = [await readFile(join(dir, scripts[0])), ...coreModules.values()];
      const hash = createHash('sha256');
      for (const file of files) hash.update(file);
      identity = { sha256: hash.digest('hex'), size: files.reduce((total, file) => total + file.length, 0) };
    }
    const { instantiate } = await import(moduleUrl);
    if (typeof instantiate !== 'function') {
      throw new Error(
        `load the rules component: ${scripts[0]} exports no \`instantiate\`; transpile with \`--instantiation sync\``,
      );
    }
    return new RuntimeComponent(instantiate, moduleUrl, coreModules, source, identity);
  }

  /**
   * The component `wasm` (its bytes): transpiled with jco (which must be installed:
   * `npm install @bytecodealliance/jco@1.35.0`; the package does not depend on it) into a
   * folder under the system's temporary directory, removed when the process exits, then
   * loaded and type-checked as `load` does. Its `rulesIdentity` is the SHA-256 and size of
   * `wasm`.
   * @param {Uint8Array} wasm
   * @param {string} [source] where the bytes came from, for the record
   */
  static async fromBytes(wasm, source = '<bytes>') {
    if (!(wasm instanceof Uint8Array)) {
      throw new TypeError('RuntimeComponent.fromBytes needs the component as a Uint8Array (a Buffer is one)');
    }
    const { transpileInto } = await import('./transpile.js');
    const dir = await mkdtemp(join(tmpdir(), 'runtime-store-rules-'));
    if (transpiled.size === 0) {
      process.once('exit', () => {
        for (const made of transpiled) rmSync(made, { recursive: true, force: true });
      });
    }
    transpiled.add(dir);
    await transpileInto(wasm, dir, source);
    return RuntimeComponent.load(dir);
  }

  /** The package's component, loaded once per process (retried after a failure). */
  static default() {
    defaultComponent ??= RuntimeComponent.load().catch((error) => {
      defaultComponent = undefined;
      throw error;
    });
    return defaultComponent;
  }

  /**
   * The core modules compiled with every memory bounded to `pages` (compiled once).
   * @internal
   * @param {number} pages
   * @returns {Map<string, WebAssembly.Module>}
   */
  modules(pages) {
    let modules = this.#compiled.get(pages);
    if (modules === undefined) {
      this.#checkPages(pages);
      modules = new Map();
      for (const [name, bytes] of this.coreModules) {
        modules.set(name, new WebAssembly.Module(boundMemories(bytes, pages)));
      }
      this.#compiled.set(pages, modules);
    }
    return modules;
  }

  /**
   * `modules(pages)`, compiled off the calling thread.
   * @internal
   * @param {number} pages
   */
  async compile(pages) {
    if (!this.#compiled.has(pages)) {
      this.#checkPages(pages);
      const modules = new Map();
      for (const [name, bytes] of this.coreModules) {
        modules.set(name, await WebAssembly.compile(boundMemories(bytes, pages)));
      }
      this.#compiled.set(pages, modules);
    }
    return this.modules(pages);
  }

  /** @param {number} pages */
  #checkPages(pages) {
    if (pages < this.initialPages) {
      throw new RangeError(
        `memoryLimit of ${pages * PAGE_SIZE} bytes is below the ${this.initialPages * PAGE_SIZE} bytes the component needs at start`,
      );
    }
  }
}

/**
 * A fresh instance of `instantiate` over `modules`: its `store` and `rules` exports.
 * @internal
 * @param {Function} instantiate jco's synchronous `instantiate`
 * @param {Map<string, WebAssembly.Module>} modules compiled core modules by file name
 * @param {Record<string, Function>} backendImports the `backend` imports
 * @returns {{store: Record<string, Function>, rules: Record<string, Function>}}
 */
export function instantiate(instantiate, modules, backendImports) {
  const root = instantiate(
    /** @param {string} name */
    (name) => {
      const module = modules.get(name);
      if (module === undefined) throw new Error(`the transpiled component has no core module ${name}`);
      return module;
    },
    { 'galaxy:gamemaster/backend': backendImports, 'galaxy:gamemaster/types': {} },
  );
  return { store: root.store, rules: root.rules };
}

/** @type {Promise<RuntimeComponent> | undefined} */
let defaultComponent;

/** @type {Set<string>} the folders `fromBytes` transpiled into, removed at exit */
const transpiled = new Set();

/**
 * The declarations jco wrote into `dir/interfaces/`, if any.
 * @param {string} dir
 * @returns {Promise<import('./world.js').Declarations | undefined>}
 */
async function typescriptDeclarations(dir) {
  let names;
  try {
    names = (await readdir(join(dir, 'interfaces'))).filter((name) => name.endsWith('.d.ts'));
  } catch {
    return undefined;
  }
  /** @type {Record<string, string>} */
  const files = {};
  for (const name of names) files[`interfaces/${name}`] = await readFile(join(dir, 'interfaces', name), 'utf8');
  const found = declarationsOf(files);
  return Object.keys(found.functions).length === 0 ? undefined : found;
}

/** @type {Promise<import('./world.js').Declarations> | undefined} */
let expectedDeclarations;

/** The declarations of the package's own component: the runtime-store world, as jco declares it. */
function packageDeclarations() {
  expectedDeclarations ??= readFile(join(DEFAULT_COMPONENT_DIR, SOURCE_RECORD), 'utf8')
    .then((text) => {
      const declarations = JSON.parse(text).declarations;
      if (declarations === undefined) throw new Error('no declarations recorded');
      return declarations;
    })
    .catch((error) => {
      expectedDeclarations = undefined;
      throw new Error(
        `load the rules component: the package's own ${SOURCE_RECORD}, which the types are ` +
          `checked against, cannot be read (${error.message}); in a checkout, run \`npm run build\` in hosts/js`,
        { cause: error },
      );
    });
  return expectedDeclarations;
}
