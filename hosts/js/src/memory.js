// An in-memory storage adapter: a Map keyed by game id, beside one sorted array per list
// order, kept in step by every write, so a page is read from an ordered structure (found by
// binary search) and never sorted when it is asked for.
import { InsertOutcome, PatchOutcome, compareScanKeys, scanKeyOf, scanMatches } from './types.js';

/** @typedef {import('./model.js').RuntimeRecord} RuntimeRecord */
/** @typedef {import('./model.js').RecordPatch} RecordPatch */
/** @typedef {import('./model.js').Backend} Backend */
/** @typedef {import('./model.js').ScanFilter} ScanFilter */
/** @typedef {import('./model.js').ScanKey} ScanKey */
/** @typedef {import('./model.js').Status} Status */

/** The order of `all` and `by-status`: newest `createdAt` first, then game id. */
const NEWEST_FIRST = /** @type {ScanFilter} */ ({ tag: 'all' });
/** The order of `due-running` (it does not depend on the instant): earliest due first, then game id. */
const DUE_FIRST = /** @type {ScanFilter} */ ({ tag: 'due-running', val: { seconds: 0n, nanoseconds: 0 } });

/**
 * The scan keys of some records, kept sorted in one filter's order. Adding or removing a
 * key finds its place by binary search (then moves the array's tail, as an array does).
 */
class SortedKeys {
  /** @type {ScanKey[]} */
  keys = [];
  #order;

  /** @param {ScanFilter} order a filter of the order to keep */
  constructor(order) {
    this.#order = order;
  }

  /**
   * The index of the first key not before `key` (`strictlyAfter`: the first key after it).
   * @param {ScanKey} key
   * @param {boolean} strictlyAfter
   */
  search(key, strictlyAfter) {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const comparison = compareScanKeys(this.#order, this.keys[middle], key);
      if (comparison < 0 || (strictlyAfter && comparison === 0)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** @param {ScanKey} key a key not held yet */
  add(key) {
    this.keys.splice(this.search(key, false), 0, key);
  }

  /** @param {ScanKey} key */
  delete(key) {
    const index = this.search(key, false);
    if (index < this.keys.length && this.keys[index].gameId === key.gameId) this.keys.splice(index, 1);
  }
}

/**
 * Keeps records in a `Map`, with a sorted array of keys for each list order: every record
 * newest first, each status's records newest first, and running records with
 * `nextGenerationAt` set earliest due first. Every primitive is synchronous, hence atomic
 * in JavaScript. A scan costs a binary search plus the records it returns.
 * @implements {Backend}
 */
export class MemoryBackend {
  /** @type {Map<string, RuntimeRecord>} */
  #records = new Map();
  #newestFirst = new SortedKeys(NEWEST_FIRST);
  /** @type {Map<Status, SortedKeys>} */
  #byStatus = new Map();
  /** Running records with `nextGenerationAt` set. */
  #dueFirst = new SortedKeys(DUE_FIRST);

  /**
   * @param {string} gameId
   * @returns {RuntimeRecord | undefined}
   */
  fetch(gameId) {
    return this.#records.get(gameId);
  }

  /**
   * @param {RuntimeRecord} record
   * @returns {import('./model.js').InsertOutcomeName}
   */
  insert(record) {
    if (this.#records.has(record.gameId)) return InsertOutcome.ALREADY_EXISTS;
    this.#records.set(record.gameId, record);
    this.#newestFirst.add(scanKeyOf(NEWEST_FIRST, record));
    this.#inStatus(record.status).add(scanKeyOf(NEWEST_FIRST, record));
    if (isScheduledRunning(record)) this.#dueFirst.add(scanKeyOf(DUE_FIRST, record));
    return InsertOutcome.INSERTED;
  }

  /**
   * @param {string} gameId
   * @param {Status | undefined} expectedStatus
   * @param {RecordPatch} changes
   * @returns {import('./model.js').PatchOutcome}
   */
  patch(gameId, expectedStatus, changes) {
    const stored = this.#records.get(gameId);
    if (stored === undefined) return PatchOutcome.notFound();
    if (expectedStatus !== undefined && stored.status !== expectedStatus) {
      return PatchOutcome.statusMismatch(stored.status);
    }
    const next = applyPatch(stored, changes);
    this.#records.set(gameId, next);
    // A patch never changes the game id or `createdAt`: the newest-first place stays; the
    // status and due orders may have to follow.
    if (next.status !== stored.status) {
      this.#inStatus(stored.status).delete(scanKeyOf(NEWEST_FIRST, stored));
      this.#inStatus(next.status).add(scanKeyOf(NEWEST_FIRST, next));
    }
    const dueBefore = isScheduledRunning(stored) ? scanKeyOf(DUE_FIRST, stored) : undefined;
    const dueAfter = isScheduledRunning(next) ? scanKeyOf(DUE_FIRST, next) : undefined;
    if (dueBefore === undefined || dueAfter === undefined || compareScanKeys(DUE_FIRST, dueBefore, dueAfter) !== 0) {
      if (dueBefore !== undefined) this.#dueFirst.delete(dueBefore);
      if (dueAfter !== undefined) this.#dueFirst.add(dueAfter);
    }
    return PatchOutcome.applied();
  }

  /**
   * @param {string} gameId
   * @returns {void}
   */
  remove(gameId) {
    const stored = this.#records.get(gameId);
    if (stored === undefined) return;
    this.#records.delete(gameId);
    this.#newestFirst.delete(scanKeyOf(NEWEST_FIRST, stored));
    this.#inStatus(stored.status).delete(scanKeyOf(NEWEST_FIRST, stored));
    if (isScheduledRunning(stored)) this.#dueFirst.delete(scanKeyOf(DUE_FIRST, stored));
  }

  /**
   * The first `limit` records matching `filter` after `after`, in the filter's order.
   * @param {ScanFilter} filter
   * @param {ScanKey | undefined} after
   * @param {number} limit
   * @returns {RuntimeRecord[]}
   */
  scan(filter, after, limit) {
    const index =
      filter.tag === 'all' ? this.#newestFirst : filter.tag === 'by-status' ? this.#byStatus.get(filter.val) : this.#dueFirst;
    /** @type {RuntimeRecord[]} */
    const page = [];
    if (index === undefined) return page;
    const { keys } = index;
    for (let at = after === undefined ? 0 : index.search(after, true); at < keys.length && page.length < limit; at += 1) {
      const record = /** @type {RuntimeRecord} */ (this.#records.get(keys[at].gameId));
      // The due order holds every scheduled running record: the first not yet due ends the scan.
      if (!scanMatches(filter, record)) break;
      page.push(record);
    }
    return page;
  }

  /** @param {Status} status */
  #inStatus(status) {
    let keys = this.#byStatus.get(status);
    if (keys === undefined) {
      keys = new SortedKeys(NEWEST_FIRST);
      this.#byStatus.set(status, keys);
    }
    return keys;
  }
}

/**
 * Whether the due order holds `record`: running, with `nextGenerationAt` set.
 * @param {RuntimeRecord} record
 */
function isScheduledRunning(record) {
  return record.status === 'running' && record.nextGenerationAt !== undefined;
}

/**
 * `stored` with every column `changes` sets; `undefined` leaves a column alone.
 * @param {RuntimeRecord} stored
 * @param {RecordPatch} changes
 * @returns {RuntimeRecord}
 */
export function applyPatch(stored, changes) {
  const next = { ...stored, updatedAt: changes.updatedAt };
  if (changes.status !== undefined) {
    next.status = changes.status.to;
    for (const stamp of /** @type {const} */ (['startedAt', 'stoppedAt', 'finishedAt'])) {
      if (changes.status[stamp] !== undefined) next[stamp] = changes.status[stamp];
    }
  }
  if (changes.scheduling !== undefined) {
    next.nextGenerationAt = changes.scheduling.nextGenerationAt;
    next.skipNextTick = changes.scheduling.skipNextTick;
    next.currentTurn = changes.scheduling.currentTurn;
  }
  for (const column of /** @type {const} */ (['currentImageRef', 'currentEngineVersion', 'engineHealth'])) {
    const value = changes[column];
    if (value !== undefined) next[column] = value;
  }
  return next;
}
