// Values the WIT types cannot hold are refused with InvalidInput naming the field and what
// it must be, before any rule runs and before any storage is touched; long strings reach
// the rules as stand-ins and get exactly the rules' answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInput, MemoryBackend, NOW, RuntimeStore, record } from './support.js';

const U32 = 'an integer in 0..=4294967295';
const S64 = 'an integer in -9223372036854775808..=9223372036854775807';
const STRING = 'a string of Unicode scalar values (no lone surrogates)';
const STATUS =
  'one of the statuses starting, running, generation-in-progress, generation-failed, engine-unreachable, stopped, finished';
const TIMESTAMP = 'a timestamp with seconds and nanoseconds';

/** A backend that records every primitive called. */
class WatchedBackend extends MemoryBackend {
  /** @type {string[]} */
  calls = [];

  /** @param {string} gameId */
  fetch(gameId) {
    this.calls.push('fetch');
    return super.fetch(gameId);
  }

  /** @param {any} record */
  insert(record) {
    this.calls.push('insert');
    return super.insert(record);
  }

  /** @param {string} gameId @param {any} expected @param {any} changes */
  patch(gameId, expected, changes) {
    this.calls.push('patch');
    return super.patch(gameId, expected, changes);
  }

  /** @param {any} filter @param {any} after @param {number} limit */
  scan(filter, after, limit) {
    this.calls.push('scan');
    return super.scan(filter, after, limit);
  }
}

async function fixture() {
  const backend = new WatchedBackend();
  const store = await RuntimeStore.open(backend);
  store.insert(record('game-1'));
  backend.calls.length = 0;
  return { backend, store };
}

const status = (/** @type {any} */ fields) => ({ gameId: 'game-1', expectedFrom: 'running', to: 'stopped', now: NOW, ...fields });
const scheduling = (/** @type {any} */ fields) => ({ gameId: 'game-1', skipNextTick: false, currentTurn: 2, now: NOW, ...fields });

/** [what, call, operation, game id on the error, message] */
const REFUSED = [
  ['u32 above range', (/** @type {RuntimeStore} */ s) => s.insert({ ...record('g'), currentTurn: 2 ** 32 }), 'insert', 'g', `insert runtime record: current turn must be ${U32}`],
  ['negative u32', (s) => s.updateScheduling(scheduling({ currentTurn: -1 })), 'update-scheduling', 'game-1', `update runtime scheduling: current turn must be ${U32}`],
  ['fractional u32', (s) => s.updateScheduling(scheduling({ currentTurn: 1.5 })), 'update-scheduling', 'game-1', `update runtime scheduling: current turn must be ${U32}`],
  ['NaN', (s) => s.validateUpdateScheduling(scheduling({ currentTurn: NaN })), 'validate-update-scheduling', 'game-1', `validate runtime scheduling update: current turn must be ${U32}`],
  ['string for u32', (s) => s.insert({ ...record('g'), currentTurn: '1' }), 'insert', 'g', `insert runtime record: current turn must be ${U32}`],
  ['nanoseconds above u32', (s) => s.updateStatus(status({ now: { seconds: 1n, nanoseconds: 2 ** 32 } })), 'update-status', 'game-1', `update runtime status: now nanoseconds must be ${U32}`],
  ['nanoseconds missing', (s) => s.updateStatus(status({ now: { seconds: 1n } })), 'update-status', 'game-1', `update runtime status: now nanoseconds must be ${U32}`],
  ['seconds above s64', (s) => s.listDueRunning({ seconds: 2n ** 63n, nanoseconds: 0 }), 'list-due-running', undefined, `list due runtimes: now seconds must be ${S64}`],
  ['seconds below s64', (s) => s.insert({ ...record('g'), createdAt: { seconds: -(2n ** 63n) - 1n, nanoseconds: 0 } }), 'insert', 'g', `insert runtime record: created at seconds must be ${S64}`],
  ['seconds as a number beyond s64', (s) => s.listDueRunning({ seconds: 2 ** 63, nanoseconds: 0 }), 'list-due-running', undefined, `list due runtimes: now seconds must be ${S64}`],
  ['fractional seconds', (s) => s.listDueRunning({ seconds: 1.5, nanoseconds: 0 }), 'list-due-running', undefined, `list due runtimes: now seconds must be ${S64}`],
  ['optional timestamp part', (s) => s.insert({ ...record('g'), nextGenerationAt: { seconds: 1n, nanoseconds: -1 } }), 'insert', 'g', `insert runtime record: next generation at nanoseconds must be ${U32}`],
  ['timestamp of the wrong type', (s) => s.insert({ ...record('g'), updatedAt: 1764000000 }), 'insert', 'g', `insert runtime record: updated at must be ${TIMESTAMP}`],
  ['lone surrogate in a game id', (s) => s.get('game-\uD83C'), 'get', 'game-\uD83C', `get runtime record: game id must be ${STRING}`],
  ['lone surrogate in an option', (s) => s.updateStatus(status({ engineHealthSummary: '\uDFB2ok' })), 'update-status', 'game-1', `update runtime status: engine health summary must be ${STRING}`],
  ['number for a string', (s) => s.delete(/** @type {any} */ (42)), 'delete', undefined, `delete runtime record: game id must be ${STRING}`],
  ['status not a case', (s) => s.insert({ ...record('g'), status: 'paused' }), 'insert', 'g', `insert runtime record: status must be ${STATUS}`],
  ['status by stored text', (s) => s.listByStatus(/** @type {any} */ ('generation_in_progress')), 'list-by-status', undefined, `list runtimes by status: status must be ${STATUS}`],
  ['transition from', (s) => s.transition(/** @type {any} */ ('paused'), 'running'), 'transition', undefined, `check runtime status transition: from must be ${STATUS}`],
  ['boolean', (s) => s.updateScheduling(scheduling({ skipNextTick: 'no' })), 'update-scheduling', 'game-1', 'update runtime scheduling: skip next tick must be a boolean'],
  ['record not an object', (s) => s.insert(/** @type {any} */ ('game-1')), 'insert', undefined, 'insert runtime record: record must be a value of type runtime-record'],
  ['input null', (s) => s.updateImage(/** @type {any} */ (null)), 'update-image', undefined, 'update runtime image: input must be a value of type update-image-input'],
  ['required field missing', (s) => s.insert({ ...record('g'), engineEndpoint: undefined }), 'insert', 'g', `insert runtime record: engine endpoint must be ${STRING}`],
  ['page limit above u32', (s) => s.listPage(undefined, 2 ** 32), 'list-page', undefined, `list runtimes: limit must be ${U32}`],
  ['negative page limit', (s) => s.listByStatusPage('running', null, -1), 'list-by-status-page', undefined, `list runtimes by status: limit must be ${U32}`],
  ['fractional page limit', (s) => s.listDueRunningPage(NOW, undefined, 2.5), 'list-due-running-page', undefined, `list due runtimes: limit must be ${U32}`],
  ['page limit as a string', (s) => s.listPage(undefined, /** @type {any} */ ('10')), 'list-page', undefined, `list runtimes: limit must be ${U32}`],
  ['page limit missing', (s) => /** @type {any} */ (s).listPage(undefined), 'list-page', undefined, `list runtimes: limit must be ${U32}`],
  ['number for a cursor', (s) => s.listPage(/** @type {any} */ (42), 10), 'list-page', undefined, `list runtimes: cursor must be ${STRING}`],
  ['lone surrogate in a cursor', (s) => s.listByStatusPage('running', 'n.1.0.\uD800', 10), 'list-by-status-page', undefined, `list runtimes by status: cursor must be ${STRING}`],
  ['page status by stored text', (s) => s.listByStatusPage(/** @type {any} */ ('generation_in_progress'), undefined, 10), 'list-by-status-page', undefined, `list runtimes by status: status must be ${STATUS}`],
  ['page now before the cursor', (s) => s.listDueRunningPage({ seconds: 1n, nanoseconds: 2 ** 32 }, /** @type {any} */ (7), 10), 'list-due-running-page', undefined, `list due runtimes: now nanoseconds must be ${U32}`],
  ['whole list status', (s) => s.listByStatus(/** @type {any} */ (undefined)), 'list-by-status', undefined, `list runtimes by status: status must be ${STATUS}`],
];

for (const [what, call, operation, gameId, message] of REFUSED) {
  test(`refused before any rule: ${what}`, async () => {
    const { backend, store } = await fixture();
    assert.throws(
      () => /** @type {(s: RuntimeStore) => unknown} */ (call)(store),
      (error) => {
        assert.ok(error instanceof InvalidInput, String(error));
        assert.equal(error.message, message);
        assert.equal(error.reason, message);
        assert.equal(error.operation, operation);
        assert.equal(error.gameId, gameId);
        return true;
      },
    );
    assert.deepEqual(backend.calls, []);
    assert.deepEqual(store.list().map((stored) => stored.gameId), ['game-1']);
  });
}

test('the first field in WIT order is the one reported', async () => {
  const { store } = await fixture();
  assert.throws(() => store.insert({ ...record('g'), status: 'paused', currentTurn: -1 }), {
    message: `insert runtime record: status must be ${STATUS}`,
  });
});

test('integers in range are accepted in either representation and come back as the WIT maps them', async () => {
  const { store } = await fixture();
  store.insert({ ...record('game-2'), currentTurn: 7n, createdAt: { seconds: 1_763_999_999, nanoseconds: 5000n } });
  const stored = store.get('game-2');
  assert.equal(stored.currentTurn, 7);
  assert.deepEqual(stored.createdAt, { seconds: 1_763_999_999n, nanoseconds: 5000 });
  store.updateScheduling(scheduling({ currentTurn: 4294967295, nextGenerationAt: null }));
  assert.equal(store.get('game-1').currentTurn, 4294967295);
  assert.equal(store.get('game-1').nextGenerationAt, undefined);
  // The extremes of s64 pass the boundary; the rules then judge the year.
  assert.throws(() => store.listDueRunning({ seconds: 2n ** 63n - 1n, nanoseconds: 0 }), InvalidInput);
});

test('a 200 MB game id gets the rules\' over-long answer, not a memory failure', async () => {
  const { backend, store } = await fixture();
  const huge = 'x'.repeat(200 * 1024 * 1024);
  assert.throws(() => store.get(huge), (error) => {
    assert.ok(error instanceof InvalidInput);
    assert.equal(error.message, 'get runtime record: game id must not exceed 256 bytes');
    assert.equal(error.gameId, huge);
    return true;
  });
  assert.deepEqual(backend.calls, []);
  assert.equal(store.get('game-1').gameId, 'game-1');
});

test('long strings get exactly the answer the whole string would get', async () => {
  const { store } = await fixture();
  const blank = ' '.repeat(20_000);
  const rulesFor = (/** @type {string} */ gameId) => {
    try {
      store.validateRecord({ ...record(gameId) });
      return 'ok';
    } catch (error) {
      return /** @type {Error} */ (error).message;
    }
  };
  // All white space however long: blank, as the whole string.
  assert.equal(rulesFor(blank), rulesFor('   '));
  // White space, then something: over-long (not blank), as the whole string.
  assert.equal(rulesFor(`${blank}x`), rulesFor(`${' '.repeat(300)}x`));
  assert.equal(rulesFor(`${'\u3000'.repeat(9000)}\u{1F3B2}`), rulesFor(`${'\u3000'.repeat(100)}\u{1F3B2}`));
  // A surrogate pair straddling the cut is not split.
  assert.equal(rulesFor(`${'a'.repeat(8191)}\u{1F3B2}${'b'.repeat(10)}`), rulesFor('a'.repeat(300)));
  // A NUL beyond the cut: still the over-long answer.
  assert.match(rulesFor(`${'a'.repeat(10_000)}\0`), /game id must not exceed 256 bytes/);
});
