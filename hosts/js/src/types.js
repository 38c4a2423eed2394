// Values of the WIT package `galaxy:gamemaster@0.1.0` as jco maps them: records are plain
// objects with camelCase keys, `option<T>` is `undefined` or the value, `s64` is a BigInt,
// enums are their WIT case names, variants are `{ tag, val }`.

/** The lifecycle statuses; each value is the WIT case name. */
export const Status = Object.freeze({
  STARTING: 'starting',
  RUNNING: 'running',
  GENERATION_IN_PROGRESS: 'generation-in-progress',
  GENERATION_FAILED: 'generation-failed',
  ENGINE_UNREACHABLE: 'engine-unreachable',
  STOPPED: 'stopped',
  FINISHED: 'finished',
});

/** The text adapters persist and messages quote (`generation_in_progress`). */
export function storedText(status) {
  return status.replaceAll('-', '_');
}

/** Whether timestamp `a` is at or before `b`. */
export function timestampAtOrBefore(a, b) {
  return a.seconds < b.seconds || (a.seconds === b.seconds && a.nanoseconds <= b.nanoseconds);
}

/** The cases of a WIT `backend-error`. */
export const BackendErrorKind = Object.freeze({
  UNAVAILABLE: 'unavailable',
  CORRUPT: 'corrupt',
  FAILED: 'failed',
});

/**
 * A storage failure (WIT `backend-error`). Adapters throw it; the store passes it through
 * unchanged inside `BackendFailure`.
 */
export class BackendError extends Error {
  constructor(kind, reason) {
    super(`${kind}: ${reason}`);
    this.name = 'BackendError';
    this.kind = kind;
    this.reason = reason;
  }

  /** The store cannot be reached; retrying later may succeed. */
  static unavailable(reason) {
    return new BackendError(BackendErrorKind.UNAVAILABLE, reason);
  }

  /** A stored value cannot be decoded; the reason names the game id and column. */
  static corrupt(reason) {
    return new BackendError(BackendErrorKind.CORRUPT, reason);
  }

  /** Any other failure. */
  static failed(reason) {
    return new BackendError(BackendErrorKind.FAILED, reason);
  }

  /** The WIT value: `{ tag: kind, val: reason }`. */
  toVariant() {
    return { tag: this.kind, val: this.reason };
  }

  static fromVariant({ tag, val }) {
    return new BackendError(tag, val);
  }
}

/** Backend `patch` answers. */
export const PatchOutcome = Object.freeze({
  applied: () => ({ tag: 'applied' }),
  notFound: () => ({ tag: 'not-found' }),
  statusMismatch: (stored) => ({ tag: 'status-mismatch', val: stored }),
});

/** Backend `insert` answers. */
export const InsertOutcome = Object.freeze({ INSERTED: 'inserted', ALREADY_EXISTS: 'already-exists' });

/** Whether `record` belongs to a backend `scan` with `filter` (`{ tag, val }`). */
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
      throw BackendError.failed(`scan: unknown filter ${JSON.stringify(filter.tag)}`);
  }
}
