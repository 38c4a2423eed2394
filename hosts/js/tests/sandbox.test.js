// The sandbox: a bounded memory per instance, traps and deadlines answered as SandboxFailure
// naming the operation, the failed instance (or worker) discarded and the next call served.
// Runs the committed hostile components (tests/hostile/*.wasm), transpiled here with jco.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { transpileInto } from '../scripts/transpile.mjs';
import { SANDBOX_DEADLINE, SANDBOX_TRAPPED_NEAR_LIMIT } from '../src/vocabulary.js';
import { fill } from '../src/errors.js';
import {
  BackendError,
  BackendFailure,
  HOST_DIR,
  MemoryBackend,
  NotFound,
  REPO_ROOT,
  RuntimeComponent,
  RuntimeStore,
  SandboxFailure,
  record,
} from './support.js';

/** @type {string} */
let scratch;
/** @type {Record<string, RuntimeComponent>} */
const hostile = {};

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'runtime-store-hostile-'));
  for (const name of ['loop', 'grow-memory', 'trap']) {
    const wasm = await readFile(join(REPO_ROOT, 'tests', 'hostile', `${name}.wasm`));
    await transpileInto(wasm, join(scratch, name), `tests/hostile/${name}.wasm`);
    hostile[name] = await RuntimeComponent.load(join(scratch, name));
  }
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/**
 * Asserts `call` throws a SandboxFailure for `operation` whose reason is `reason` (or matches it).
 * @param {() => unknown} call
 * @param {string} operation
 * @param {string | undefined} gameId
 * @param {string | RegExp} reason
 */
function sandboxFailure(call, operation, gameId, reason) {
  assert.throws(call, (error) => {
    assert.ok(error instanceof SandboxFailure, String(error));
    assert.equal(error.operation, operation);
    assert.equal(error.gameId, gameId);
    if (typeof reason === 'string') assert.equal(error.reason, reason);
    else assert.match(error.reason, reason);
    const where = gameId === undefined ? '' : ` ${JSON.stringify(gameId)}`;
    assert.equal(error.message, `${OPERATION_WORDS[operation]}${where}: ${error.reason}`);
    return true;
  });
}

const OPERATION_WORDS = /** @type {Record<string, string>} */ ({
  get: 'get runtime record',
  list: 'list runtimes',
  insert: 'insert runtime record',
});

/** The reason of a trap under `limit`, whatever the engine calls the trap. */
const trapped = (/** @type {number} */ limit) =>
  new RegExp(`^${escape(fill(SANDBOX_TRAPPED_NEAR_LIMIT, { limit, reason: '' }))}.+`);
const escape = (/** @type {string} */ text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const mode of [{}, { deadlineMs: 5000 }]) {
  const label = mode.deadlineMs ? 'worker mode' : 'in process';

  test(`${label}: a guest that traps at once is a SandboxFailure, every time`, async () => {
    const store = await RuntimeStore.open(new MemoryBackend(), { component: hostile.trap, ...mode });
    try {
      sandboxFailure(() => store.get('game-1'), 'get', 'game-1', trapped(16777216));
      sandboxFailure(() => store.list(), 'list', undefined, trapped(16777216));
    } finally {
      store.close();
    }
  });

  test(`${label}: a guest growing its memory stops at the limit and traps`, async () => {
    for (const memoryLimit of [16 * 1024 * 1024, 2 * 1024 * 1024 + 100]) {
      const store = await RuntimeStore.open(new MemoryBackend(), { component: hostile['grow-memory'], memoryLimit, ...mode });
      try {
        sandboxFailure(() => store.insert(record('game-1')), 'insert', 'game-1', trapped(memoryLimit));
        sandboxFailure(() => store.insert(record('game-1')), 'insert', 'game-1', trapped(memoryLimit));
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
      sandboxFailure(() => store.list(), 'list', undefined, trapped(memoryLimit));
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
    sandboxFailure(() => store.get('game-1'), 'get', 'game-1', reason);
    sandboxFailure(() => store.insert(record('game-1')), 'insert', 'game-1', reason);
  } finally {
    store.close();
  }
});

test('worker mode: after a deadline or a trap a fresh worker serves the next call', async () => {
  const scripted = await RuntimeComponent.load(join(HOST_DIR, 'tests', 'fixtures', 'scripted'));
  const backend = new MemoryBackend();
  backend.insert(record('game-1'));
  const store = await RuntimeStore.open(backend, { component: scripted, deadlineMs: 100 });
  try {
    assert.deepEqual(store.get('game-1'), record('game-1'));
    sandboxFailure(() => store.get('spin'), 'get', 'spin', fill(SANDBOX_DEADLINE, { milliseconds: 100 }));
    assert.deepEqual(store.get('game-1'), record('game-1'));
    sandboxFailure(() => store.get('crash'), 'get', 'crash', fill(SANDBOX_TRAPPED_NEAR_LIMIT, { limit: 16777216, reason: 'unreachable' }));
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

test('worker mode: deadlineMs must be a positive number', async () => {
  await assert.rejects(RuntimeStore.open(new MemoryBackend(), { deadlineMs: 0 }), {
    name: 'TypeError',
    message: 'deadlineMs must be a positive number of milliseconds; got 0',
  });
});
