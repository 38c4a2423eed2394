// The sandbox: a bounded memory per instance, one backend call per store operation (none for
// the rules), traps and (worker mode) deadlines answered as SandboxFailure naming the
// operation, the failed instance (or worker) discarded and the next call served; a component
// whose exports have other types than the world's refused when it is loaded. Runs the
// committed hostile components (tests/hostile/*.wasm), transpiled here with jco.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { transpile } from '@bytecodealliance/jco';
import { transpileInto } from '../scripts/transpile.mjs';
import { SANDBOX_BACKEND_CALLS, SANDBOX_DEADLINE, SANDBOX_TRAPPED_NEAR_LIMIT } from '../src/vocabulary.js';
import { fill } from '../src/errors.js';
import {
  BackendError,
  BackendFailure,
  ComponentMismatch,
  DEFAULT_COMPONENT_DIR,
  HOST_DIR,
  MemoryBackend,
  NotFound,
  REPO_ROOT,
  RuntimeComponent,
  RuntimeStore,
  SandboxFailure,
  Status,
  record,
  sha256,
} from './support.js';

/** The hostile components that load (wrong-types is refused when loaded). */
const HOSTILE = ['loop', 'grow-memory', 'trap', 'fetch-loop', 'scan-loop', 'recurse'];
const capped = (/** @type {number} */ limit) => fill(SANDBOX_BACKEND_CALLS, { limit });

/** @type {string} */
let scratch;
/** @type {Record<string, RuntimeComponent>} */
const hostile = {};
/** @type {Record<string, string>} the SHA-256 of each hostile component file */
const hostileSha256 = {};
let fetchLoopSha256 = '';

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'runtime-store-hostile-'));
  for (const name of HOSTILE) {
    const wasm = await readFile(join(REPO_ROOT, 'tests', 'hostile', `${name}.wasm`));
    await transpileInto(wasm, join(scratch, name), `tests/hostile/${name}.wasm`);
    hostile[name] = await RuntimeComponent.load(join(scratch, name));
    hostileSha256[name] = sha256(wasm);
  }
  fetchLoopSha256 = hostileSha256['fetch-loop'];
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/**
 * Asserts `call` throws a SandboxFailure for `operation` whose reason is `reason` (or matches
 * it), naming the rules build `store` runs.
 * @param {RuntimeStore} store
 * @param {() => unknown} call
 * @param {string} operation
 * @param {string | undefined} gameId
 * @param {string | RegExp} reason
 */
function sandboxFailure(store, call, operation, gameId, reason) {
  assert.throws(call, (error) => {
    assert.ok(error instanceof SandboxFailure, String(error));
    assert.equal(error.operation, operation);
    assert.equal(error.gameId, gameId);
    if (typeof reason === 'string') assert.equal(error.reason, reason);
    else assert.match(error.reason, reason);
    const where = gameId === undefined ? '' : ` ${JSON.stringify(gameId)}`;
    assert.deepEqual(error.rules, store.rulesIdentity);
    assert.equal(error.message, `${OPERATION_WORDS[operation]}${where}: ${error.reason} (rules ${store.rulesIdentity.sha256.slice(0, 12)})`);
    return true;
  });
}

const OPERATION_WORDS = /** @type {Record<string, string>} */ ({
  get: 'get runtime record',
  list: 'list runtimes',
  insert: 'insert runtime record',
  delete: 'delete runtime record',
  transition: 'check runtime status transition',
});

/** A memory backend counting the adapter calls that reach it. */
class Counting extends MemoryBackend {
  /** @type {string[]} */
  calls = [];
  /** @param {string} gameId */
  fetch(gameId) {
    this.calls.push('fetch');
    return super.fetch(gameId);
  }
  /**
   * @param {import('../src/index.js').ScanFilter} filter
   * @param {import('../src/index.js').ScanKey | undefined} after
   * @param {number} limit
   */
  scan(filter, after, limit) {
    this.calls.push('scan');
    return super.scan(filter, after, limit);
  }
}

/** The reason of a trap under `limit`, whatever the engine calls the trap. */
const trapped = (/** @type {number} */ limit) =>
  new RegExp(`^${escape(fill(SANDBOX_TRAPPED_NEAR_LIMIT, { limit, reason: '' }))}.+`);
const escape = (/** @type {string} */ text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const mode of [{}, { deadlineMs: 5000 }]) {
  const label = mode.deadlineMs ? 'worker mode' : 'in process';

  test(`${label}: a fetch loop is stopped at its second backend call, which never reaches the adapter`, async () => {
    const backend = new Counting();
    const store = await RuntimeStore.open(backend, { component: hostile['fetch-loop'], ...mode });
    try {
      for (let call = 0; call < 3; call += 1) sandboxFailure(store, () => store.get('g1'), 'get', 'g1', capped(1));
      assert.deepEqual(backend.calls, ['fetch', 'fetch', 'fetch']);
      sandboxFailure(store, () => store.delete('g1'), 'delete', 'g1', capped(1));
      assert.throws(() => store.delete('g1'), {
        message: `delete runtime record "g1": the guest called the backend more than the 1 time(s) its operation needs (rules ${fetchLoopSha256.slice(0, 12)})`,
      });
      // The rules are pure: not even one backend call.
      sandboxFailure(store, () => store.transition(Status.STARTING, Status.RUNNING), 'transition', undefined, capped(0));
      assert.deepEqual(backend.calls, ['fetch', 'fetch', 'fetch', 'fetch', 'fetch']);
    } finally {
      store.close();
    }
  });

  test(`${label}: a scan loop is stopped at its second backend call`, async () => {
    const backend = new Counting();
    const store = await RuntimeStore.open(backend, { component: hostile['scan-loop'], ...mode });
    try {
      sandboxFailure(store, () => store.list(), 'list', undefined, capped(1));
      sandboxFailure(store, () => store.list(), 'list', undefined, capped(1));
      assert.deepEqual(backend.calls, ['scan', 'scan']);
      // Over a full store the answer may overrun the stub's memory first: stopped either way.
      for (let index = 0; index < 1000; index += 1) backend.insert(record(`game-${index}`));
      sandboxFailure(store, () => store.list(), 'list', undefined, new RegExp(`^(${escape(capped(1))}|${trapped(16777216).source.slice(1)})`));
    } finally {
      store.close();
    }
  });

  test(`${label}: deep recursion is stopped by the stack limit, every time`, async () => {
    const store = await RuntimeStore.open(new MemoryBackend(), { component: hostile.recurse, ...mode });
    try {
      for (let call = 0; call < 2; call += 1) {
        sandboxFailure(store, () => store.get('g1'), 'get', 'g1', new RegExp(`^${escape(fill(SANDBOX_TRAPPED_NEAR_LIMIT, { limit: 16777216, reason: '' }))}RangeError: Maximum call stack size exceeded$`));
      }
    } finally {
      store.close();
    }
  });

  test(`${label}: the real component serves the same backend after each hostile one`, async () => {
    const backend = new MemoryBackend();
    const real = await RuntimeStore.open(backend, mode);
    try {
      for (const name of HOSTILE) {
        const bad = await RuntimeStore.open(backend, { component: hostile[name], ...mode, ...(mode.deadlineMs ? { deadlineMs: 200 } : {}) });
        try {
          if (name === 'loop' && !mode.deadlineMs) continue; // the default mode has no CPU bound
          assert.throws(() => bad.get('g1'), SandboxFailure, name);
        } finally {
          bad.close();
        }
        real.insert(record(name));
        assert.deepEqual(real.get(name), record(name));
      }
    } finally {
      real.close();
    }
  });

  test(`${label}: a guest that traps at once is a SandboxFailure, every time`, async () => {
    const store = await RuntimeStore.open(new MemoryBackend(), { component: hostile.trap, ...mode });
    try {
      sandboxFailure(store, () => store.get('game-1'), 'get', 'game-1', trapped(16777216));
      sandboxFailure(store, () => store.list(), 'list', undefined, trapped(16777216));
    } finally {
      store.close();
    }
  });

  test(`${label}: a guest growing its memory stops at the limit and traps`, async () => {
    for (const memoryLimit of [16 * 1024 * 1024, 2 * 1024 * 1024 + 100]) {
      const store = await RuntimeStore.open(new MemoryBackend(), { component: hostile['grow-memory'], memoryLimit, ...mode });
      try {
        sandboxFailure(store, () => store.insert(record('game-1')), 'insert', 'game-1', trapped(memoryLimit));
        sandboxFailure(store, () => store.insert(record('game-1')), 'insert', 'game-1', trapped(memoryLimit));
      } finally {
        store.close();
      }
    }
  });

  test(`${label}: the real rules past their memory limit fail that call only; the next is served`, async () => {
    const component = await RuntimeComponent.default();
    const memoryLimit = (component.initialPages + 2) * 65536;
    const backend = new MemoryBackend();
    const store = await RuntimeStore.open(backend, { memoryLimit, ...mode });
    try {
      store.insert(record('game-1'));
      // Stored directly: ten records of 100 kB each do not fit in two spare pages.
      for (let index = 0; index < 10; index += 1) {
        backend.insert({ ...record(`big-${index}`), engineHealth: 'x'.repeat(100_000) });
      }
      sandboxFailure(store, () => store.list(), 'list', undefined, trapped(memoryLimit));
      assert.deepEqual(store.get('game-1'), record('game-1'));
      assert.throws(() => store.get('game-2'), NotFound);
    } finally {
      store.close();
    }
  });
}

test('worker mode: a spinning guest is stopped at the deadline, and again on the next call', async () => {
  const store = await RuntimeStore.open(new MemoryBackend(), { component: hostile.loop, deadlineMs: 100 });
  try {
    const reason = fill(SANDBOX_DEADLINE, { milliseconds: 100 });
    sandboxFailure(store, () => store.get('game-1'), 'get', 'game-1', reason);
    sandboxFailure(store, () => store.insert(record('game-1')), 'insert', 'game-1', reason);
  } finally {
    store.close();
  }
});

test('worker mode: after a deadline or a trap a fresh worker serves the next call', async () => {
  // The scripted stand-in declares the world's types (it only implements store.get).
  const dir = join(scratch, 'scripted');
  await mkdir(dir, { recursive: true });
  await copyFile(join(HOST_DIR, 'tests', 'fixtures', 'scripted', 'scripted.js'), join(dir, 'scripted.js'));
  const { declarations } = JSON.parse(await readFile(join(DEFAULT_COMPONENT_DIR, 'component.json'), 'utf8'));
  await writeFile(join(dir, 'component.json'), JSON.stringify({ declarations }));
  const scripted = await RuntimeComponent.load(dir);
  const backend = new MemoryBackend();
  backend.insert(record('game-1'));
  const store = await RuntimeStore.open(backend, { component: scripted, deadlineMs: 100 });
  try {
    assert.deepEqual(store.get('game-1'), record('game-1'));
    sandboxFailure(store, () => store.get('spin'), 'get', 'spin', fill(SANDBOX_DEADLINE, { milliseconds: 100 }));
    assert.deepEqual(store.get('game-1'), record('game-1'));
    sandboxFailure(store, () => store.get('crash'), 'get', 'crash', fill(SANDBOX_TRAPPED_NEAR_LIMIT, { limit: 16777216, reason: 'unreachable' }));
    assert.throws(() => store.get('game-2'), NotFound);
  } finally {
    store.close();
  }
});

test('worker mode: the adapter runs on the calling thread and its errors keep their identity', async () => {
  const thrown = BackendError.corrupt('game-1: status');
  class Broken extends MemoryBackend {
    /** @param {string} gameId */
    fetch(gameId) {
      if (gameId === 'broken') throw thrown;
      return super.fetch(gameId);
    }
  }
  const backend = new Broken();
  const store = await RuntimeStore.open(backend, { deadlineMs: 5000 });
  try {
    store.insert(record('game-1'));
    assert.deepEqual(backend.fetch('game-1'), record('game-1'));
    assert.throws(() => store.get('broken'), (error) => error instanceof BackendFailure && error.error === thrown);
  } finally {
    store.close();
  }
});

test('a component whose core modules are missing fails open() with the reason', async () => {
  const dir = join(scratch, 'unloadable');
  await transpileInto(await readFile(join(REPO_ROOT, 'tests', 'hostile', 'trap.wasm')), dir, 'trap.wasm');
  const component = await RuntimeComponent.load(dir);
  component.coreModules.clear();
  const missing = 'the transpiled component has no core module runtime-store.core.wasm';
  await assert.rejects(RuntimeStore.open(new MemoryBackend(), { component }), { message: missing });
  await assert.rejects(RuntimeStore.open(new MemoryBackend(), { component, deadlineMs: 1000 }), {
    message: `RuntimeStore.open: Error: ${missing}`,
  });
});

test('worker mode: deadlineMs defaults to the Rust host\'s 1 s and is range-checked as it is', async () => {
  const store = await RuntimeStore.open(new MemoryBackend(), { worker: true });
  try {
    assert.equal(store.deadlineMs, 1000);
    store.insert(record('game-1'));
    assert.deepEqual(store.get('game-1'), record('game-1'));
  } finally {
    store.close();
  }
  const inProcess = await RuntimeStore.open(new MemoryBackend());
  assert.equal(inProcess.deadlineMs, undefined, 'the default mode has no CPU bound');
  for (const [deadlineMs, got] of [[0, '0 ms'], [5, '5 ms'], [3_600_001, '3600001 ms'], [Number.NaN, 'NaN ms']]) {
    await assert.rejects(RuntimeStore.open(new MemoryBackend(), { deadlineMs }), {
      name: 'RangeError',
      message: `deadlineMs must be in 10 ms..=3600000 ms (got ${got})`,
    });
  }
  await assert.rejects(RuntimeStore.open(new MemoryBackend(), { worker: true, deadlineMs: /** @type {any} */ ('100') }), {
    name: 'TypeError',
    message: 'deadlineMs must be a number of milliseconds; got string',
  });
});

test('worker mode: the default deadline stops a spinning guest with the shared words', async () => {
  const store = await RuntimeStore.open(new MemoryBackend(), { component: hostile.loop, worker: true });
  try {
    sandboxFailure(store, () => store.get('game-1'), 'get', 'game-1', 'the call exceeded its deadline of 1000 ms');
  } finally {
    store.close();
  }
});

const WRONG_GET =
  "the rules component's export `get` of galaxy:gamemaster/store@0.2.0 does not have the type the runtime-store world gives it " +
  '(declared get(number): RuntimeRecord, expected get(string): RuntimeRecord)';

test('a component exporting the wrong types is refused when loaded, naming the function, before any call', async () => {
  const wasm = await readFile(join(REPO_ROOT, 'tests', 'hostile', 'wrong-types.wasm'));
  // As the package's own transpile script makes it (declarations recorded in component.json) ...
  const recorded = join(scratch, 'wrong-types');
  await transpileInto(wasm, recorded, 'tests/hostile/wrong-types.wasm');
  await assert.rejects(RuntimeComponent.load(recorded), (error) => {
    assert.ok(error instanceof ComponentMismatch, String(error));
    assert.equal(error.message, `${recorded}: ${WRONG_GET}`);
    assert.equal(error.interface, 'galaxy:gamemaster/store@0.2.0');
    assert.equal(error.function, 'get');
    return true;
  });
  // ... and as `jco transpile` writes it (declarations in interfaces/*.d.ts).
  const plain = join(scratch, 'wrong-types-plain');
  const { files } = await transpile(new Uint8Array(wasm), { name: 'wrong-types', instantiation: 'sync' });
  for (const [name, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(plain, name)), { recursive: true });
    await writeFile(join(plain, name), bytes);
  }
  await assert.rejects(RuntimeComponent.load(plain), { name: 'ComponentMismatch', message: `${plain}: ${WRONG_GET}` });
  // Without declarations the types cannot be checked: refused too.
  await rm(join(plain, 'interfaces'), { recursive: true });
  await assert.rejects(RuntimeComponent.load(plain), /has no TypeScript declarations of its interfaces .*transpile without --no-typescript/);
  // The real component is served meanwhile.
  const store = await RuntimeStore.open(new MemoryBackend());
  store.insert(record('game-1'));
  assert.deepEqual(store.get('game-1'), record('game-1'));
});

test('a sandbox failure names the build that ran by the SHA-256 of its component bytes', async () => {
  const trap = hostile.trap;
  assert.deepEqual(trap.rulesIdentity, {
    sha256: hostileSha256.trap,
    size: (await readFile(join(REPO_ROOT, 'tests', 'hostile', 'trap.wasm'))).length,
  });
  const store = await RuntimeStore.open(new MemoryBackend(), { component: trap });
  assert.deepEqual(store.rulesIdentity, trap.rulesIdentity);
  assert.throws(
    () => store.get('g1'),
    (/** @type {any} */ error) => {
      assert.ok(error instanceof SandboxFailure);
      assert.match(error.message, new RegExp(`^get runtime record "g1": the guest trapped \\(its memory limit is 16777216 bytes\\): .+ \\(rules ${hostileSha256.trap.slice(0, 12)}\\)$`));
      assert.deepEqual(error.rules, trap.rulesIdentity);
      return true;
    },
  );
  // The package's rules are another build, named by theirs.
  const real = await RuntimeComponent.default();
  assert.equal(real.rulesIdentity.sha256, sha256(await readFile(join(REPO_ROOT, 'host', 'component', 'runtime-store.wasm'))));
  assert.notEqual(real.rulesIdentity.sha256, hostileSha256.trap);
});

test('a transpilation that does not record its component is named by its transpiled files', async () => {
  const wasm = await readFile(join(REPO_ROOT, 'tests', 'hostile', 'trap.wasm'));
  const plain = join(scratch, 'trap-plain');
  const { files } = await transpile(new Uint8Array(wasm), { name: 'trap', instantiation: 'sync' });
  for (const [name, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(plain, name)), { recursive: true });
    await writeFile(join(plain, name), bytes);
  }
  const component = await RuntimeComponent.load(plain);
  const script = await readFile(join(plain, 'trap.js'));
  const cores = [...component.coreModules.values()];
  const hash = createHash('sha256');
  for (const file of [script, ...cores]) hash.update(file);
  assert.deepEqual(component.rulesIdentity, {
    sha256: hash.digest('hex'),
    size: script.length + cores.reduce((total, file) => total + file.length, 0),
  });
  const store = await RuntimeStore.open(new MemoryBackend(), { component });
  sandboxFailure(store, () => store.get('g1'), 'get', 'g1', trapped(16777216));
});
