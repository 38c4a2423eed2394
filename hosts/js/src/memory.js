// An in-memory storage adapter: a Map keyed by game id.
import { InsertOutcome, PatchOutcome, scanMatches } from './types.js';

/** @typedef {import('./model.js').RuntimeRecord} RuntimeRecord */
/** @typedef {import('./model.js').RecordPatch} RecordPatch */
/** @typedef {import('./model.js').Backend} Backend */

/**
 * Keeps records in a `Map`. Every primitive is synchronous, hence atomic in JavaScript.
 * @implements {Backend}
 */
export class MemoryBackend {
  /** @type {Map<string, RuntimeRecord>} */
  #records = new Map();

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
    return InsertOutcome.INSERTED;
  }

  /**
   * @param {string} gameId
   * @param {import('./model.js').Status | undefined} expectedStatus
   * @param {RecordPatch} changes
   * @returns {import('./model.js').PatchOutcome}
   */
  patch(gameId, expectedStatus, changes) {
    const stored = this.#records.get(gameId);
    if (stored === undefined) return PatchOutcome.notFound();
    if (expectedStatus !== undefined && stored.status !== expectedStatus) {
      return PatchOutcome.statusMismatch(stored.status);
    }
    this.#records.set(gameId, applyPatch(stored, changes));
    return PatchOutcome.applied();
  }

  /**
   * @param {string} gameId
   * @returns {void}
   */
  remove(gameId) {
    this.#records.delete(gameId);
  }

  /**
   * @param {import('./model.js').ScanFilter} filter
   * @returns {RuntimeRecord[]}
   */
  scan(filter) {
    return [...this.#records.values()].filter((record) => scanMatches(filter, record));
  }
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
