// Every message of tests/messages.json (generated from the Rust vocabulary crate)
// reads exactly the same here: built the way the store builds it, and through a real store.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { storeError } from '../src/errors.js';
import { BackendError, MemoryBackend, NOW, REPO_ROOT, RuntimeStore, StoreError, record } from './support.js';

/**
 * @typedef {object} MessageCase
 * @property {import('../src/index.js').Operation} operation
 * @property {string | null} game-id
 * @property {{case: string, kind?: string, reason?: string, message?: string}} error
 * @property {string} message
 */

/** @type {MessageCase[]} */
const CASES = JSON.parse(readFileSync(join(REPO_ROOT, 'tests', 'messages.json'), 'utf8'));

/**
 * The WIT `store-error` value of a case, as jco throws it.
 * @param {MessageCase['error']} error
 * @returns {import('../src/model.js').StoreErrorVariant}
 */
function payload(error) {
  switch (error.case) {
    case 'not-found':
    case 'conflict':
      return { tag: error.case };
    case 'invalid-input':
    case 'invalid-transition':
      return { tag: error.case, val: String(error.message) };
    case 'backend':
      return { tag: 'backend', val: { tag: /** @type {any} */ (error.kind), val: String(error.reason) } };
    default:
      throw new Error(`unknown case ${error.case}`);
  }
}

test('messages.json has cases', () => {
  assert.ok(CASES.length > 0);
});

test('every message, built the way the store builds it', () => {
  for (const item of CASES) {
    const error = storeError(item.operation, item['game-id'] ?? undefined, payload(item.error));
    assert.equal(error.message, item.message, JSON.stringify(item));
    assert.equal(error.operation, item.operation);
    assert.equal(error.gameId, item['game-id'] ?? undefined);
  }
});

/** A backend whose `remove` and `scan` fail with the BackendError set in `failure`. */
class FailingBackend extends MemoryBackend {
  /** @type {BackendError | undefined} */
  failure;

  /** @param {string} gameId */
  remove(gameId) {
    if (this.failure) throw this.failure;
    super.remove(gameId);
  }

  /** @param {any} filter @param {any} after @param {number} limit */
  scan(filter, after, limit) {
    if (this.failure) throw this.failure;
    return super.scan(filter, after, limit);
  }
}

/**
 * Makes the store answer the case's error: the calls that lead to it, the last one failing.
 * @param {RuntimeStore} store
 * @param {FailingBackend} backend
 * @param {MessageCase} item
 */
function provoke(store, backend, item) {
  const id = /** @type {string} */ (item['game-id']);
  const { error } = item;
  if (error.case === 'backend') backend.failure = new BackendError(/** @type {any} */ (error.kind), String(error.reason));
  if (error.case === 'conflict') store.insert(record(id));
  const calls = {
    get: () => store.get(id),
    insert: () => store.insert(record(id)),
    'update-status': () =>
      store.updateStatus({
        gameId: id,
        expectedFrom: 'starting',
        to: 'running',
        now: error.case === 'invalid-input' ? { seconds: 0n, nanoseconds: 0 } : NOW,
      }),
    'update-scheduling': () => store.updateScheduling({ gameId: id, skipNextTick: false, currentTurn: 1, now: NOW }),
    'update-image': () =>
      store.updateImage({ gameId: id, expectedStatus: 'starting', currentImageRef: 'i', currentEngineVersion: 'v', now: NOW }),
    'update-engine-health': () => store.updateEngineHealth({ gameId: id, engineHealthSummary: 'ok', now: NOW }),
    delete: () => store.delete(id),
    list: () => store.list(),
    'list-by-status': () => store.listByStatus('running'),
    'list-due-running': () => store.listDueRunning(NOW),
    'list-page': () => store.listPage(...pageArguments(error)),
    'list-by-status-page': () => store.listByStatusPage('running', ...pageArguments(error)),
    'list-due-running-page': () => store.listDueRunningPage(NOW, ...pageArguments(error)),
    transition: () => store.transition('finished', 'running'),
  };
  const call = /** @type {Record<string, () => unknown>} */ (calls)[item.operation];
  assert.ok(call, `no way to provoke ${item.operation}`);
  call();
}

/**
 * The cursor and limit of a page call that answers the case's error: a malformed cursor,
 * a limit out of range, or a good page (the backend fails).
 * @param {MessageCase['error']} error
 * @returns {[string | undefined, number]}
 */
function pageArguments(error) {
  if (error.case !== 'invalid-input') return [undefined, 10];
  return String(error.message).endsWith('cursor is malformed') ? ['not a cursor', 10] : [undefined, 0];
}

test('every message, through a real store', async () => {
  for (const item of CASES) {
    const backend = new FailingBackend();
    const store = await RuntimeStore.open(backend);
    assert.throws(
      () => provoke(store, backend, item),
      (error) => {
        assert.ok(error instanceof StoreError, String(error));
        assert.equal(error.message, item.message, JSON.stringify(item));
        assert.equal(error.operation, item.operation);
        return true;
      },
    );
  }
});
