// Adapter failures come back as BackendFailure, never as a trap, and the store goes on.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { BackendError, BackendFailure, MemoryBackend, RuntimeStore, record } from './support.js';

/** A memory backend whose primitives fail on demand: `failing[name]()` runs instead. */
class FlakyBackend extends MemoryBackend {
  failing = {};

  fetch(gameId) {
    return this.failing.fetch ? this.failing.fetch() : super.fetch(gameId);
  }

  scan(filter) {
    return this.failing.scan ? this.failing.scan() : super.scan(filter);
  }

  insert(record) {
    return this.failing.insert ? this.failing.insert() : super.insert(record);
  }
}

let backend;
let store;

beforeEach(async () => {
  backend = new FlakyBackend();
  store = await RuntimeStore.open(backend);
  store.insert(record('game-1'));
});

test('a BackendError passes through unchanged', () => {
  backend.failing.fetch = () => {
    throw BackendError.unavailable('connection refused');
  };
  assert.throws(
    () => store.get('game-1'),
    (error) =>
      error instanceof BackendFailure &&
      error.error.kind === 'unavailable' &&
      error.error.reason === 'connection refused' &&
      error.operation === 'get' &&
      error.gameId === 'game-1',
  );
});

test('any thrown value becomes a failed BackendError naming the primitive', () => {
  backend.failing.scan = () => {
    throw new RangeError('out of range');
  };
  assert.throws(
    () => store.list(),
    (error) =>
      error instanceof BackendFailure &&
      error.error.kind === 'failed' &&
      error.error.reason === 'backend scan: RangeError: out of range',
  );
});

test('an answer of the wrong shape becomes a failed BackendError', () => {
  backend.failing.insert = () => 'stored';
  assert.throws(
    () => store.insert(record('game-2')),
    (error) => error instanceof BackendFailure && error.error.reason === 'backend insert: the adapter answered "stored"',
  );
});

test('an asynchronous adapter is told that imports are synchronous', () => {
  backend.failing.fetch = async () => record('game-1');
  assert.throws(
    () => store.get('game-1'),
    (error) =>
      error instanceof BackendFailure &&
      error.error.reason === 'backend fetch: the adapter answered a promise; jco calls imports synchronously',
  );
});

test('the store keeps working after failures', () => {
  backend.failing.fetch = () => {
    throw new Error('boom');
  };
  assert.throws(() => store.get('game-1'), BackendFailure);
  delete backend.failing.fetch;
  assert.deepEqual(store.get('game-1'), record('game-1'));
});

test('a record jco cannot lower throws, and a fresh instance serves the next call', () => {
  backend.failing.fetch = () => ({ ...record('game-1'), status: 'paused' });
  assert.throws(() => store.get('game-1'), { name: 'TypeError', message: /"paused" is not one of the cases of status/ });
  delete backend.failing.fetch;
  assert.deepEqual(store.get('game-1'), record('game-1'));
});
