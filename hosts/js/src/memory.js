// An in-memory storage adapter: a Map keyed by game id.
import { InsertOutcome, PatchOutcome, scanMatches } from './types.js';

/** Keeps records in a `Map`. Every primitive is synchronous, hence atomic in JavaScript. */
export class MemoryBackend {
  #records = new Map();

  fetch(gameId) {
    return this.#records.get(gameId);
  }

  insert(record) {
    if (this.#records.has(record.gameId)) return InsertOutcome.ALREADY_EXISTS;
    this.#records.set(record.gameId, record);
    return InsertOutcome.INSERTED;
  }

  patch(gameId, expectedStatus, changes) {
    const stored = this.#records.get(gameId);
    if (stored === undefined) return PatchOutcome.notFound();
    if (expectedStatus !== undefined && stored.status !== expectedStatus) {
      return PatchOutcome.statusMismatch(stored.status);
    }
    this.#records.set(gameId, applyPatch(stored, changes));
    return PatchOutcome.applied();
  }

  remove(gameId) {
    this.#records.delete(gameId);
  }

  scan(filter) {
    return [...this.#records.values()].filter((record) => scanMatches(filter, record));
  }
}

/** `stored` with every column `changes` sets; `undefined` leaves a column alone. */
export function applyPatch(stored, changes) {
  const next = { ...stored, updatedAt: changes.updatedAt };
  if (changes.status !== undefined) {
    next.status = changes.status.to;
    for (const stamp of ['startedAt', 'stoppedAt', 'finishedAt']) {
      if (changes.status[stamp] !== undefined) next[stamp] = changes.status[stamp];
    }
  }
  if (changes.scheduling !== undefined) {
    next.nextGenerationAt = changes.scheduling.nextGenerationAt;
    next.skipNextTick = changes.scheduling.skipNextTick;
    next.currentTurn = changes.scheduling.currentTurn;
  }
  for (const column of ['currentImageRef', 'currentEngineVersion', 'engineHealth']) {
    if (changes[column] !== undefined) next[column] = changes[column];
  }
  return next;
}
