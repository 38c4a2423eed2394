// Values of the WIT package `galaxy:gamemaster@0.2.0` as jco maps them: records are plain
// objects with camelCase keys, `option<T>` is `undefined` or the value, `s64` is a BigInt,
// enums are their WIT case names, variants are `{ tag, val }`.
import { BACKEND_ERROR_KINDS, STATUSES } from './vocabulary.js';

/** @typedef {import('./model.js').Status} StatusName */
/** @typedef {import('./model.js').Timestamp} Timestamp */
/** @typedef {import('./model.js').BackendErrorKindName} BackendErrorKindName */

/** The lifecycle statuses; each value is the WIT case name. */
export const Status = /** @type {const} */ ({
  STARTING: 'starting',
  RUNNING: 'running',
  GENERATION_IN_PROGRESS: 'generation-in-progress',
  GENERATION_FAILED: 'generation-failed',
  ENGINE_UNREACHABLE: 'engine-unreachable',
  STOPPED: 'stopped',
  FINISHED: 'finished',
});
Object.freeze(Status);

/**
 * The text adapters persist and messages quote (`generation_in_progress`).
 * @param {StatusName} status
 * @returns {string}
 */
export function storedText(status) {
  return STATUSES[status];
}

/**
 * Whether timestamp `a` is at or before `b`.
 * @param {Timestamp} a
 * @param {Timestamp} b
 */
export function timestampAtOrBefore(a, b) {
  return a.seconds < b.seconds || (a.seconds === b.seconds && a.nanoseconds <= b.nanoseconds);
}

/** The cases of a WIT `backend-error`. */
export const BackendErrorKind = /** @type {const} */ ({
  UNAVAILABLE: 'unavailable',
  CORRUPT: 'corrupt',
  FAILED: 'failed',
});
Object.freeze(BackendErrorKind);

/**
 * A storage failure (WIT `backend-error`). Adapters throw it; the store passes it through
 * unchanged inside `BackendFailure`. Its message reads `<kind words>: <reason>`
 * (`storage unavailable: connection refused`).
 */
export class BackendError extends Error {
  /**
   * @param {BackendErrorKindName} kind
   * @param {string} reason
   */
  constructor(kind, reason) {
    if (!Object.hasOwn(BACKEND_ERROR_KINDS, kind)) {
      throw new TypeError(`BackendError: kind must be one of ${Object.keys(BACKEND_ERROR_KINDS).join(', ')}, not ${JSON.stringify(kind)}`);
    }
    super(`${BACKEND_ERROR_KINDS[kind]}: ${reason}`);
    this.name = 'BackendError';
    /** @type {BackendErrorKindName} */
    this.kind = kind;
    /** @type {string} */
    this.reason = String(reason);
  }

  /**
   * The store cannot be reached; retrying later may succeed.
   * @param {string} reason
   */
  static unavailable(reason) {
    return new BackendError(BackendErrorKind.UNAVAILABLE, reason);
  }

  /**
   * A stored value cannot be decoded; the reason names the game id and column.
   * @param {string} reason
   */
  static corrupt(reason) {
    return new BackendError(BackendErrorKind.CORRUPT, reason);
  }

  /**
   * Any other failure.
   * @param {string} reason
   */
  static failed(reason) {
    return new BackendError(BackendErrorKind.FAILED, reason);
  }

  /**
   * The WIT value: `{ tag: kind, val: reason }`.
   * @returns {import('./model.js').BackendErrorVariant}
   */
  toVariant() {
    return { tag: this.kind, val: this.reason };
  }

  /**
   * The error a WIT `backend-error` value stands for.
   * @param {import('./model.js').BackendErrorVariant} variant
   */
  static fromVariant({ tag, val }) {
    return new BackendError(tag, val);
  }
}

/** Backend `patch` answers. */
export const PatchOutcome = Object.freeze({
  /** @returns {import('./model.js').PatchOutcome} every change was written */
  applied: () => ({ tag: 'applied' }),
  /** @returns {import('./model.js').PatchOutcome} no record has the game id */
  notFound: () => ({ tag: 'not-found' }),
  /**
   * @param {StatusName} stored the stored status, which differs from the expected one
   * @returns {import('./model.js').PatchOutcome}
   */
  statusMismatch: (stored) => ({ tag: 'status-mismatch', val: stored }),
});

/** Backend `insert` answers. */
export const InsertOutcome = /** @type {const} */ ({ INSERTED: 'inserted', ALREADY_EXISTS: 'already-exists' });
Object.freeze(InsertOutcome);

/**
 * How two timestamps compare: negative when `a` is earlier, 0 when equal, positive when later.
 * @param {Timestamp} a
 * @param {Timestamp} b
 * @returns {number}
 */
export function compareTimestamps(a, b) {
  if (a.seconds < b.seconds) return -1;
  if (a.seconds > b.seconds) return 1;
  return a.nanoseconds - b.nanoseconds;
}

/**
 * How two game ids compare by their UTF-8 bytes (the order every backend serves, and
 * code point order): negative, 0 or positive. JavaScript's `<` compares UTF-16 code
 * units, which puts a character beyond U+FFFF (a surrogate pair) before U+E000..U+FFFF;
 * this does not.
 * @param {string} a
 * @param {string} b
 * @returns {number}
 */
export function compareGameIds(a, b) {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/**
 * A UTF-16 code unit where two strings first differ, ranked in code point order: a
 * surrogate (a character beyond U+FFFF) above U+E000..U+FFFF.
 * @param {number} unit
 */
function codePointRank(unit) {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/**
 * Where `record` stands in `filter`'s order: its `createdAt` (`all`, `by-status`) or its
 * `nextGenerationAt` (`due-running`; the epoch when none, which no due filter selects),
 * with its game id.
 * @param {import('./model.js').ScanFilter} filter
 * @param {import('./model.js').RuntimeRecord} record
 * @returns {import('./model.js').ScanKey}
 */
export function scanKeyOf(filter, record) {
  const at = filter.tag === 'due-running' ? (record.nextGenerationAt ?? EPOCH) : record.createdAt;
  return { at, gameId: record.gameId };
}

const EPOCH = Object.freeze({ seconds: 0n, nanoseconds: 0 });

/**
 * How two positions compare in `filter`'s order: negative when `a` comes first. `all` and
 * `by-status`: newest `at` first; `due-running`: earliest `at` first; then game ids
 * ascending by UTF-8 bytes (`compareGameIds`). A `scan` answers the records matching its
 * filter whose keys compare after its `after`, in this order.
 * @param {import('./model.js').ScanFilter} filter
 * @param {import('./model.js').ScanKey} a
 * @param {import('./model.js').ScanKey} b
 * @returns {number}
 */
export function compareScanKeys(filter, a, b) {
  const byTime = filter.tag === 'due-running' ? compareTimestamps(a.at, b.at) : compareTimestamps(b.at, a.at);
  return byTime !== 0 ? byTime : compareGameIds(a.gameId, b.gameId);
}

/**
 * Whether `record` belongs to a backend `scan` with `filter` (`{ tag, val }`).
 * @param {import('./model.js').ScanFilter} filter
 * @param {import('./model.js').RuntimeRecord} record
 * @returns {boolean}
 */
export function scanMatches(filter, record) {
  switch (filter.tag) {
    case 'all':
      return true;
    case 'by-status':
      return record.status === filter.val;
    case 'due-running':
      return (
        record.status === Status.RUNNING &&
        record.nextGenerationAt !== undefined &&
        timestampAtOrBefore(record.nextGenerationAt, filter.val)
      );
    default:
      throw BackendError.failed(`scan: unknown filter ${JSON.stringify(/** @type {{tag: unknown}} */ (filter).tag)}`);
  }
}
