// Pages: the page methods and the whole lists the host assembles from them (never the
// component's whole-list exports, which answer in one call and are bounded by the guest's
// memory), the Map adapter's ordered scan against an independent reference, and the order
// of game ids by UTF-8 bytes (not JavaScript's UTF-16 order).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instantiate } from '../src/component.js';
import { BackendBridge } from '../src/store.js';
import { PAGE_SCAN_OUT_OF_ORDER } from '../src/vocabulary.js';
import {
  BackendFailure,
  InvalidInput,
  LARGEST_PAGE_LIMIT,
  MemoryBackend,
  RuntimeComponent,
  RuntimeStore,
  compareGameIds,
  compareScanKeys,
  record,
  scanKeyOf,
} from './support.js';

// --- an independent reference order ----------------------------------------------------

/** Game ids by their UTF-8 bytes. */
const byBytes = (/** @type {string} */ a, /** @type {string} */ b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
/** @param {{seconds: bigint | number, nanoseconds: number}} t */
const nanos = (t) => BigInt(t.seconds) * 1_000_000_000n + BigInt(t.nanoseconds);
const sign = (/** @type {bigint} */ n) => (n < 0n ? -1 : n > 0n ? 1 : 0);

/**
 * The reference answer of scan(filter, after, limit) over `records`: filter, sort, cut.
 * @param {any[]} records
 * @param {any} filter
 * @param {any} after
 * @param {number} limit
 */
function referenceScan(records, filter, after, limit) {
  const due = filter.tag === 'due-running';
  const at = (/** @type {any} */ r) => (due ? r.nextGenerationAt : r.createdAt);
  const compare = (/** @type {any} */ a, /** @type {any} */ b) => {
    const byTime = due ? sign(nanos(a.at) - nanos(b.at)) : sign(nanos(b.at) - nanos(a.at));
    return byTime !== 0 ? byTime : byBytes(a.gameId, b.gameId);
  };
  return records
    .filter((r) =>
      filter.tag === 'all'
        ? true
        : filter.tag === 'by-status'
          ? r.status === filter.val
          : r.status === 'running' && r.nextGenerationAt !== undefined && nanos(r.nextGenerationAt) <= nanos(filter.val),
    )
    .map((r) => ({ key: { at: at(r), gameId: r.gameId }, record: r }))
    .filter(({ key }) => after === undefined || compare(after, key) < 0)
    .sort((a, b) => compare(a.key, b.key))
    .slice(0, limit)
    .map(({ record: r }) => r);
}

/** A small deterministic random source (xorshift32). */
function random(seed) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  return {
    int: (/** @type {number} */ n) => Math.floor(next() * n),
    pick: (/** @type {any[]} */ items) => items[Math.floor(next() * items.length)],
  };
}

/** Characters whose UTF-16 order differs from their UTF-8 (code point) order, and some plain ones. */
const ALPHABET = ['a', 'b', 'z', '\u00e9', '\ud7ff', '\ue000', '\ufb01', '\ufffd', '\uffff', '\u{10000}', '\u{1F3B2}', '\u{10FFFF}'];
const gameIdFrom = (/** @type {ReturnType<typeof random>} */ rng) =>
  Array.from({ length: 1 + rng.int(4) }, () => rng.pick(ALPHABET)).join('');

// --- game id order -----------------------------------------------------------------------

test('game ids compare by UTF-8 bytes, where JavaScript string order differs', () => {
  // The case that matters: a character beyond U+FFFF against one in U+E000..U+FFFF.
  assert.ok('\u{1F3B2}' < '\ufffd', 'JavaScript orders the surrogate pair first');
  assert.ok(compareGameIds('\u{1F3B2}', '\ufffd') > 0);
  assert.ok(compareGameIds('\ue000', '\u{10000}') < 0);
  assert.ok(compareGameIds('g', 'g1') < 0);
  assert.equal(compareGameIds('g\u{1F3B2}', 'g\u{1F3B2}'), 0);
  const rng = random(7);
  let disagreements = 0;
  for (let round = 0; round < 20_000; round += 1) {
    const a = gameIdFrom(rng);
    const b = gameIdFrom(rng);
    assert.equal(Math.sign(compareGameIds(a, b)), Math.sign(byBytes(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    if (Math.sign(byBytes(a, b)) !== Math.sign(a < b ? -1 : a > b ? 1 : 0)) disagreements += 1;
  }
  assert.ok(disagreements > 100, 'the random ids exercise the characters where the orders differ');
});

test('scan keys: newest first for all and by-status, earliest due first for due-running, then game id', () => {
  const older = { at: { seconds: 10n, nanoseconds: 0 }, gameId: 'b' };
  const newer = { at: { seconds: 10n, nanoseconds: 1000 }, gameId: 'a' };
  assert.ok(compareScanKeys({ tag: 'all' }, newer, older) < 0);
  assert.ok(compareScanKeys({ tag: 'by-status', val: 'running' }, newer, older) < 0);
  assert.ok(compareScanKeys({ tag: 'due-running', val: older.at }, older, newer) < 0);
  assert.ok(compareScanKeys({ tag: 'all' }, { ...older, gameId: '\ufffd' }, { ...older, gameId: '\u{1F3B2}' }) < 0);
  // Seconds a number on one side and a bigint on the other still compare by value.
  assert.equal(compareScanKeys({ tag: 'all' }, { at: { seconds: 10, nanoseconds: 0 }, gameId: 'b' }, older), 0);
  const scheduled = { ...record('g'), nextGenerationAt: { seconds: 5n, nanoseconds: 0 } };
  assert.deepEqual(scanKeyOf({ tag: 'all' }, scheduled), { at: scheduled.createdAt, gameId: 'g' });
  assert.deepEqual(scanKeyOf({ tag: 'due-running', val: scheduled.createdAt }, scheduled), { at: scheduled.nextGenerationAt, gameId: 'g' });
});

// --- the Map adapter's scan --------------------------------------------------------------

const STATUSES = ['starting', 'running', 'stopped', 'finished'];

test('MemoryBackend.scan serves every filter in its order, after any key, to any limit (model-based)', () => {
  const rng = random(2026);
  const backend = new MemoryBackend();
  /** @type {Map<string, any>} */
  const model = new Map();
  const timestamp = () => ({ seconds: BigInt(1_764_000_000 + rng.int(6)), nanoseconds: rng.pick([0, 1000, 999_999_000]) });
  let scans = 0;
  for (let step = 0; step < 3000; step += 1) {
    const gameId = gameIdFrom(rng);
    switch (rng.int(4)) {
      case 0: {
        const created = timestamp();
        const fresh = {
          ...record(gameId),
          status: rng.pick(STATUSES),
          createdAt: created,
          updatedAt: created,
          nextGenerationAt: rng.int(3) === 0 ? undefined : timestamp(),
        };
        assert.equal(backend.insert(fresh), model.has(gameId) ? 'already-exists' : 'inserted');
        if (!model.has(gameId)) model.set(gameId, fresh);
        break;
      }
      case 1: {
        const changes = {
          updatedAt: timestamp(),
          status: rng.int(2) === 0 ? { to: rng.pick(STATUSES) } : undefined,
          scheduling:
            rng.int(2) === 0
              ? { nextGenerationAt: rng.int(3) === 0 ? undefined : timestamp(), skipNextTick: false, currentTurn: 2 }
              : undefined,
        };
        const outcome = backend.patch(gameId, undefined, changes);
        assert.equal(outcome.tag, model.has(gameId) ? 'applied' : 'not-found');
        if (model.has(gameId)) {
          const next = { ...model.get(gameId), updatedAt: changes.updatedAt };
          if (changes.status) next.status = changes.status.to;
          if (changes.scheduling) next.nextGenerationAt = changes.scheduling.nextGenerationAt;
          model.set(gameId, next);
        }
        break;
      }
      case 2:
        backend.remove(gameId);
        model.delete(gameId);
        break;
      default: {
        const filter = rng.pick([
          { tag: 'all' },
          { tag: 'by-status', val: rng.pick(STATUSES) },
          { tag: 'due-running', val: timestamp() },
        ]);
        const after = rng.int(4) === 0 ? undefined : { at: timestamp(), gameId: gameIdFrom(rng) };
        const limit = rng.pick([1, 2, 3, 10, 501, 4294967295]);
        const expected = referenceScan([...model.values()], filter, after, limit).map((r) => r.gameId);
        assert.deepEqual(backend.scan(filter, after, limit).map((r) => r.gameId), expected, JSON.stringify({ filter, after, limit }, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));
        scans += 1;
      }
    }
  }
  assert.ok(model.size > 50 && scans > 500);
});

// --- pages through the store ----------------------------------------------------------

/**
 * Inserts `count` records: game ids that tie on created-at and next generation, and that
 * JavaScript would order otherwise; statuses and schedules varied.
 * @param {RuntimeStore} store
 * @param {number} count
 */
function populate(store, count) {
  const rng = random(count);
  const inserted = [];
  for (let index = 0; index < count; index += 1) {
    const created = { seconds: BigInt(1_764_000_000 + rng.int(5)), nanoseconds: rng.pick([0, 5000]) };
    const fresh = {
      ...record(`g${rng.pick(['', '\ufffd', '\u{1F3B2}', 'a'])}${index}`),
      status: rng.pick(['running', 'running', 'stopped']),
      createdAt: created,
      updatedAt: created,
      nextGenerationAt: rng.int(4) === 0 ? undefined : { seconds: BigInt(1_764_000_100 + rng.int(5)), nanoseconds: 0 },
    };
    store.insert(fresh);
    inserted.push(store.get(fresh.gameId));
  }
  return inserted;
}

/**
 * Every page of a list, read with `limit`.
 * @param {(cursor: string | undefined, limit: number) => import('../src/index.js').RuntimePage} pageOf
 * @param {number} limit
 */
function allPages(pageOf, limit) {
  const pages = [];
  /** @type {string | undefined} */
  let cursor;
  do {
    const page = pageOf(cursor, limit);
    assert.deepEqual(Object.keys(page).sort(), ['nextCursor', 'records']);
    assert.ok(page.records.length <= limit);
    if (page.nextCursor !== undefined) {
      assert.equal(typeof page.nextCursor, 'string');
      assert.equal(page.records.length, limit, 'only a full page has a next one');
    }
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return pages;
}

const NOW_DUE = { seconds: 1_764_000_102n, nanoseconds: 0 };

for (const [mode, options] of Object.entries({ 'in process': {}, 'worker mode': { deadlineMs: 60_000 } })) {
  test(`${mode}: pages of every list, at every limit, read the whole list in its order, each record once`, async () => {
    const store = await RuntimeStore.open(new MemoryBackend(), options);
    try {
      const records = populate(store, 1111);
      const lists = {
        list: [() => store.list(), (/** @type {any} */ c, /** @type {number} */ l) => store.listPage(c, l), { tag: 'all' }],
        'list-by-status': [
          () => store.listByStatus('running'),
          (/** @type {any} */ c, /** @type {number} */ l) => store.listByStatusPage('running', c, l),
          { tag: 'by-status', val: 'running' },
        ],
        'list-due-running': [
          () => store.listDueRunning(NOW_DUE),
          (/** @type {any} */ c, /** @type {number} */ l) => store.listDueRunningPage(NOW_DUE, c, l),
          { tag: 'due-running', val: NOW_DUE },
        ],
      };
      for (const [name, [whole, pageOf, filter]] of Object.entries(lists)) {
        const expected = referenceScan(records, filter, undefined, Infinity);
        assert.ok(expected.length > 300, `${name}: enough records`);
        assert.deepEqual(whole(), expected, `${name}: the whole list`);
        for (const limit of [1, 2, 7, LARGEST_PAGE_LIMIT]) {
          if (limit === 1 && mode === 'worker mode') continue; // the slowest; the in-process run covers it
          const pages = allPages(/** @type {any} */ (pageOf), limit);
          assert.deepEqual(pages.flatMap((page) => page.records), expected, `${name}: pages of ${limit}`);
          assert.equal(pages.length, Math.max(1, Math.ceil(expected.length / limit)), `${name}: pages of ${limit}`);
        }
      }
      const small = await RuntimeStore.open(new MemoryBackend(), options);
      try {
        assert.deepEqual(small.listPage(undefined, 10), { records: [], nextCursor: undefined });
        assert.deepEqual(small.list(), []);
        for (const id of ['a', 'b', 'c']) small.insert(record(id));
        // A list that ends exactly at a full page has no next cursor.
        assert.equal(small.listPage(undefined, 3).nextCursor, undefined);
        const first = small.listPage(undefined, 2);
        assert.deepEqual(first.records.map((stored) => stored.gameId), ['a', 'b']);
        assert.deepEqual(small.listPage(first.nextCursor, 2), { records: [small.get('c')], nextCursor: undefined });
      } finally {
        small.close();
      }
    } finally {
      store.close();
    }
  });
}

test('limits and cursors the rules refuse, named by the page operation', async () => {
  const store = await RuntimeStore.open(new MemoryBackend());
  populate(store, 30);
  const due = store.listDueRunningPage(NOW_DUE, undefined, 1).nextCursor;
  const newest = store.listPage(undefined, 1).nextCursor;
  assert.ok(due !== undefined && newest !== undefined);
  for (const [call, operation, message] of /** @type {Array<[() => unknown, string, string]>} */ ([
    [() => store.listPage(undefined, 0), 'list-page', 'list runtimes: limit must be between 1 and 500'],
    [() => store.listPage(undefined, 501), 'list-page', 'list runtimes: limit must be between 1 and 500'],
    [() => store.listByStatusPage('running', 'not a cursor', 5), 'list-by-status-page', 'list runtimes by status: cursor is malformed'],
    [() => store.listPage('', 5), 'list-page', 'list runtimes: cursor is malformed'],
    // A cursor of one list order is refused by the other.
    [() => store.listPage(due, 5), 'list-page', 'list runtimes: cursor is malformed'],
    [() => store.listDueRunningPage(NOW_DUE, newest, 5), 'list-due-running-page', 'list due runtimes: cursor is malformed'],
    // `now` first, then the limit, then the cursor.
    [() => store.listDueRunningPage({ seconds: 0n, nanoseconds: 0 }, 'x', 0), 'list-due-running-page', 'list due runtimes: now must not be zero'],
    [() => store.listDueRunningPage(NOW_DUE, 'x', 0), 'list-due-running-page', 'list due runtimes: limit must be between 1 and 500'],
    // A cursor far beyond any length reaches the rules as a stand-in: still malformed.
    [() => store.listPage(`n.1.0.${'61'.repeat(100_000)}`, 5), 'list-page', 'list runtimes: cursor is malformed'],
  ])) {
    assert.throws(call, (error) => {
      assert.ok(error instanceof InvalidInput, String(error));
      assert.equal(error.operation, operation);
      assert.equal(error.message, message);
      return true;
    });
  }
  // A cursor handed out is good for the same list later.
  assert.deepEqual(store.listPage(newest, 500).records, store.list().slice(1));
});

/** A MemoryBackend recording each scan's filter and limit, and running `between` after each scan. */
class Watched extends MemoryBackend {
  /** @type {Array<[string, number]>} */
  scans = [];
  /** @type {((scan: number) => void) | undefined} */
  between;
  /** @param {any} filter @param {any} after @param {number} limit */
  scan(filter, after, limit) {
    const answer = super.scan(filter, after, limit);
    this.scans.push([filter.tag, limit]);
    this.between?.(this.scans.length);
    return answer;
  }
}

test('whole lists are read in pages of 500 (the component asks 501), never with the whole-list exports', async () => {
  const backend = new Watched();
  const store = await RuntimeStore.open(backend);
  populate(store, 1200);
  const pages = (/** @type {number} */ records) => Math.floor(records / LARGEST_PAGE_LIMIT) + 1;
  const counts = [store.list().length, store.listByStatus('running').length, store.listDueRunning(NOW_DUE).length];
  assert.deepEqual(counts.map((count) => count > LARGEST_PAGE_LIMIT), [true, true, false], String(counts));
  assert.deepEqual(
    backend.scans.map(([tag]) => tag),
    [...Array(pages(counts[0])).fill('all'), ...Array(pages(counts[1])).fill('by-status'), ...Array(pages(counts[2])).fill('due-running')],
  );
  assert.ok(backend.scans.every(([, limit]) => limit === LARGEST_PAGE_LIMIT + 1), JSON.stringify(backend.scans));
});

test('a whole list at the largest record sizes, beyond what the whole-list export can answer in 16 MiB', async () => {
  const backend = new MemoryBackend();
  const store = await RuntimeStore.open(backend);
  const long = (/** @type {string} */ letter) => letter.repeat(4096);
  for (let index = 0; index < 1200; index += 1) {
    store.insert({
      ...record(`${String(index).padStart(4, '0')}${'g'.repeat(252)}`),
      engineEndpoint: long('e'),
      currentImageRef: long('i'),
      currentEngineVersion: long('v'),
      engineHealth: long('h'),
    });
  }
  const listed = store.list();
  assert.equal(listed.length, 1200);
  assert.deepEqual(
    listed.map((stored) => stored.gameId.slice(0, 4)),
    Array.from({ length: 1200 }, (_, index) => String(index).padStart(4, '0')),
  );
  assert.equal(store.listByStatus('running').length, 1200);
  // The component's own whole-list export, called directly, runs out of memory here: why
  // the store never calls it.
  const component = await RuntimeComponent.default();
  const bridge = new BackendBridge(backend);
  const exports = instantiate(component.instantiate, component.modules(256), bridge.imports);
  bridge.begin('list');
  assert.throws(() => exports.store.list(), WebAssembly.RuntimeError);
  bridge.forget();
});

test('a whole list keeps each record once, at its first place, when records move between pages', async () => {
  const backend = new Watched();
  const store = await RuntimeStore.open(backend);
  for (let index = 0; index < 1000; index += 1) {
    store.insert({ ...record(`g${String(index).padStart(4, '0')}`), nextGenerationAt: { seconds: 1_000_000_000n + BigInt(index), nanoseconds: 0 } });
  }
  const due = { seconds: 2_000_000_000n, nanoseconds: 0 };
  // After the first page: g0000 (read) is rescheduled after every other record, g0999 (not
  // read yet) is removed, g1000 is added at the end.
  backend.between = (scan) => {
    if (scan !== 1) return;
    const later = { nextGenerationAt: { seconds: 1_900_000_000n, nanoseconds: 0 }, skipNextTick: false, currentTurn: 2 };
    assert.equal(backend.patch('g0000', undefined, { scheduling: later, updatedAt: record('x').updatedAt }).tag, 'applied');
    backend.remove('g0999');
    backend.insert({ ...record('g1000'), nextGenerationAt: { seconds: 1_800_000_000n, nanoseconds: 0 } });
  };
  const listed = store.listDueRunning(due).map((stored) => stored.gameId);
  assert.equal(backend.scans.length, 3);
  const expected = [...Array.from({ length: 999 }, (_, index) => `g${String(index).padStart(4, '0')}`), 'g1000'];
  assert.deepEqual(listed, expected);
});

test('a scan answer out of order, after the cursor or beyond the limit is a failed backend error', async () => {
  const backend = new Watched();
  const store = await RuntimeStore.open(backend);
  populate(store, 20);
  const reversed = (/** @type {any[]} */ args) => MemoryBackend.prototype.scan.apply(backend, /** @type {any} */ (args)).reverse();
  const cases = {
    'out of order': (/** @type {any[]} */ ...args) => reversed(args),
    'beyond the limit': (/** @type {any} */ filter) => MemoryBackend.prototype.scan.call(backend, filter, undefined, 1000),
    'not after the cursor': (/** @type {any} */ filter, /** @type {any} */ _after, /** @type {number} */ limit) =>
      MemoryBackend.prototype.scan.call(backend, filter, undefined, limit),
    'not matching the filter': (/** @type {any} */ _filter, /** @type {any} */ after, /** @type {number} */ limit) =>
      MemoryBackend.prototype.scan.call(backend, { tag: 'by-status', val: 'stopped' }, after, limit),
  };
  const cursor = store.listByStatusPage('running', undefined, 2).nextCursor;
  for (const [what, scan] of Object.entries(cases)) {
    backend.scan = scan;
    for (const [call, operation, words] of /** @type {Array<[() => unknown, string, string]>} */ ([
      [() => store.listByStatusPage('running', what === 'not after the cursor' ? cursor : undefined, 10), 'list-by-status-page', 'list runtimes by status'],
      [() => store.listByStatus('running'), 'list-by-status', 'list runtimes by status'],
    ])) {
      if (what === 'beyond the limit' && operation === 'list-by-status') continue; // 20 records are within the 501 a whole list asks
      if (what === 'not after the cursor' && operation === 'list-by-status') continue; // its first page has no cursor
      assert.throws(call, (error) => {
        assert.ok(error instanceof BackendFailure, `${what}: ${String(error)}`);
        assert.equal(error.operation, operation);
        assert.equal(error.error.kind, 'failed');
        assert.equal(error.message, `${words}: storage failed: ${PAGE_SCAN_OUT_OF_ORDER}`);
        return true;
      });
    }
  }
});
