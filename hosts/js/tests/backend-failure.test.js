// Adapter failures come back as BackendFailure, never as a trap or a raw TypeError, and the
// store goes on.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { BackendError, BackendFailure, MemoryBackend, RuntimeStore, record } from './support.js';

/** A memory backend whose primitives answer otherwise on demand: `failing[name]()` runs instead. */
class FlakyBackend extends MemoryBackend {
  /** @type {Record<string, () => any>} */
  failing = {};

  /** @param {string} gameId */
  fetch(gameId) {
    return this.failing.fetch ? this.failing.fetch() : super.fetch(gameId);
  }

  /** @param {any} filter @param {any} after @param {number} limit */
  scan(filter, after, limit) {
    return this.failing.scan ? this.failing.scan() : super.scan(filter, after, limit);
  }

  /** @param {any} record */
  insert(record) {
    return this.failing.insert ? this.failing.insert() : super.insert(record);
  }

  /** @param {string} gameId @param {any} expected @param {any} changes */
  patch(gameId, expected, changes) {
    return this.failing.patch ? this.failing.patch() : super.patch(gameId, expected, changes);
  }

  /** @param {string} gameId */
  remove(gameId) {
    return this.failing.remove ? this.failing.remove() : super.remove(gameId);
  }
}

/** @type {FlakyBackend} */
let backend;
/** @type {RuntimeStore} */
let store;

beforeEach(async () => {
  backend = new FlakyBackend();
  store = await RuntimeStore.open(backend);
  store.insert(record('game-1'));
});

/**
 * Asserts `call` throws a BackendFailure of kind `failed` with `reason`, naming `operation`.
 * @param {() => unknown} call
 * @param {string} operation
 * @param {string} reason
 */
function failsWith(call, operation, reason) {
  assert.throws(call, (error) => {
    assert.ok(error instanceof BackendFailure, String(error));
    assert.equal(error.operation, operation);
    assert.equal(error.error.kind, 'failed');
    assert.equal(error.error.reason, reason);
    return true;
  });
}

test('a BackendError passes through unchanged, and reads the same everywhere', () => {
  const thrown = BackendError.unavailable('connection refused');
  assert.equal(thrown.message, 'storage unavailable: connection refused');
  backend.failing.fetch = () => {
    throw thrown;
  };
  assert.throws(
    () => store.get('game-1'),
    (error) =>
      error instanceof BackendFailure &&
      error.error === thrown &&
      error.cause === thrown &&
      error.operation === 'get' &&
      error.gameId === 'game-1' &&
      error.message === 'get runtime record "game-1": storage unavailable: connection refused',
  );
});

test('any thrown value becomes a failed BackendError naming the primitive', () => {
  backend.failing.scan = () => {
    throw new RangeError('out of range');
  };
  failsWith(() => store.list(), 'list', 'backend scan: RangeError: out of range');
  backend.failing.scan = () => {
    throw 'a string';
  };
  failsWith(() => store.list(), 'list', 'backend scan: "a string"');
});

test('an answer of the wrong shape becomes a failed BackendError', () => {
  backend.failing.insert = () => 'stored';
  failsWith(
    () => store.insert(record('game-2')),
    'insert',
    `backend insert: the adapter answered "stored", not 'inserted' or 'already-exists'`,
  );
  backend.failing.patch = () => ({ tag: 'done' });
  failsWith(
    () => store.updateEngineHealth({ gameId: 'game-1', engineHealthSummary: 'ok', now: record('x').updatedAt }),
    'update-engine-health',
    'backend patch: the adapter answered {"tag":"done"}, not a PatchOutcome',
  );
  backend.failing.patch = () => ({ tag: 'status-mismatch', val: 'paused' });
  failsWith(
    () => store.updateEngineHealth({ gameId: 'game-1', engineHealthSummary: 'ok', now: record('x').updatedAt }),
    'update-engine-health',
    "backend patch: in the adapter's answer, the stored status must be one of the statuses starting, running, generation-in-progress, generation-failed, engine-unreachable, stopped, finished",
  );
  backend.failing.remove = () => true;
  failsWith(() => store.delete('game-1'), 'delete', 'backend remove: the adapter answered true, not undefined');
  backend.failing.scan = () => ({ length: 1 });
  failsWith(() => store.list(), 'list', 'backend scan: the adapter answered {"length":1}, not an array of runtime records');
});

test('a malformed record an adapter answers is a BackendFailure naming what was wrong', () => {
  const cases = [
    [{ ...record('game-1'), status: 'paused' }, 'status must be one of the statuses starting, running, generation-in-progress, generation-failed, engine-unreachable, stopped, finished'],
    [{ ...record('game-1'), engineHealth: undefined }, 'engine health must be a string of Unicode scalar values (no lone surrogates)'],
    [{ ...record('game-1'), currentTurn: -1 }, 'current turn must be an integer in 0..=4294967295'],
    [{ ...record('game-1'), currentTurn: '1' }, 'current turn must be an integer in 0..=4294967295'],
    [{ ...record('game-1'), skipNextTick: 0 }, 'skip next tick must be a boolean'],
    [{ ...record('game-1'), createdAt: '2025-01-01' }, 'created at must be a timestamp with seconds and nanoseconds'],
    [{ ...record('game-1'), updatedAt: { seconds: 2n ** 64n, nanoseconds: 0 } }, 'updated at seconds must be an integer in -9223372036854775808..=9223372036854775807'],
    [{ ...record('game-1'), gameId: 'game-\uD800' }, 'game id must be a string of Unicode scalar values (no lone surrogates)'],
    ['game-1', 'the record must be a value of type runtime-record'],
  ];
  for (const [answer, detail] of cases) {
    backend.failing.fetch = () => answer;
    failsWith(() => store.get('game-1'), 'get', `backend fetch: in the adapter's answer, ${detail}`);
  }
  backend.failing.scan = () => [record('game-1'), { ...record('game-2'), status: 'paused' }];
  failsWith(
    () => store.list(),
    'list',
    "backend scan: in record 1 of the adapter's answer, status must be one of the statuses starting, running, generation-in-progress, generation-failed, engine-unreachable, stopped, finished",
  );
  delete backend.failing.fetch;
  delete backend.failing.scan;
  assert.deepEqual(store.get('game-1'), record('game-1'));
});

test('an adapter may answer seconds as integral numbers and none as null', () => {
  backend.failing.fetch = () => ({
    ...record('game-1'),
    createdAt: { seconds: 1_764_000_000, nanoseconds: 0 },
    nextGenerationAt: null,
  });
  assert.deepEqual(store.get('game-1'), record('game-1'));
});

test('an asynchronous adapter is told that the store calls adapters synchronously', () => {
  backend.failing.fetch = async () => record('game-1');
  failsWith(() => store.get('game-1'), 'get', 'backend fetch: the adapter answered a promise; the store calls adapters synchronously');
});

test('the store keeps working after failures', () => {
  backend.failing.fetch = () => {
    throw new Error('boom');
  };
  assert.throws(() => store.get('game-1'), BackendFailure);
  delete backend.failing.fetch;
  assert.deepEqual(store.get('game-1'), record('game-1'));
});

test('BackendError refuses a kind that is not a WIT case', () => {
  assert.throws(() => new BackendError(/** @type {any} */ ('gone'), 'x'), {
    name: 'TypeError',
    message: 'BackendError: kind must be one of unavailable, corrupt, failed, not "gone"',
  });
});
