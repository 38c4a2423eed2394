// `RuntimeStore`: the rules component bound to a storage adapter, inside a sandbox.
import { BoundaryViolation, SIGNATURES, backendRecord, backendStatus, lowerArguments } from './boundary.js';
import { DEFAULT_MEMORY_LIMIT, RuntimeComponent, memoryPages, rulesIdentityOf } from './component.js';
import { BackendCallsExceeded, InvalidInput, SwapError, SwapStep, fill } from './errors.js';
import { MemoryBackend } from './memory.js';
import { DEFAULT_DEADLINE_MS, InProcessSandbox, checkDeadline, trapReason } from './sandbox.js';
import { WorkerSandbox } from './worker-sandbox.js';
import { BackendError, InsertOutcome } from './types.js';
import { LARGEST_PAGE_LIMIT, SANDBOX_INSTANTIATION } from './vocabulary.js';

/** @typedef {import('./model.js').Operation} Operation */
/** @typedef {import('./model.js').Backend} Backend */
/** @typedef {import('./model.js').StoreOptions} StoreOptions */
/** @typedef {import('./model.js').RuntimeRecord} RuntimeRecord */
/** @typedef {import('./model.js').Status} Status */
/** @typedef {import('./model.js').RuntimePage} RuntimePage */
/** @typedef {import('./sandbox.js').Sandbox} Sandbox */
/** @typedef {import('./component.js').RulesIdentity} RulesIdentity */

const PRIMITIVES = /** @type {const} */ (['fetch', 'insert', 'patch', 'remove', 'scan']);
const INSERT_OUTCOMES = new Set(Object.values(InsertOutcome));

/**
 * The runtime record store: every rule runs in the component, storage is `backend`.
 *
 * Every operation checks its arguments against the WIT types first (`InvalidInput`), then
 * the component validates them and talks to the backend. Failures are `StoreError`
 * subclasses: `NotFound`, `Conflict`, `InvalidTransition`, `InvalidInput`, `BackendFailure`
 * and `SandboxFailure` (a trap, the memory limit, the deadline in worker mode, a backend
 * call the operation does not need; the next call runs on a fresh instance).
 */
export class RuntimeStore {
  /** @type {Sandbox} */
  #sandbox;
  /** @type {BackendBridge} */
  #bridge;
  /** @type {StoreOptions} the options the store was made with (a swap's stores get them too) */
  #options;
  /** @type {Promise<unknown>} the swap before the latest one: one runs at a time */
  #swapping = Promise.resolve();

  /**
   * A store on `backend` with `component`. In worker mode (`worker: true`, or `deadlineMs`
   * given) the worker starts loading at once and the first call waits for it;
   * `RuntimeStore.open` waits instead.
   * @param {Backend} backend the storage adapter
   * @param {RuntimeComponent} component the loaded component (`await RuntimeComponent.default()`)
   * @param {StoreOptions} [options]
   */
  constructor(backend, component, options = {}) {
    if (!(component instanceof RuntimeComponent)) {
      throw new TypeError('RuntimeStore needs a RuntimeComponent; use `await RuntimeStore.open(backend)`');
    }
    const { memoryLimit = DEFAULT_MEMORY_LIMIT, startupTimeoutMs = 30_000 } = options;
    const worker = options.worker ?? options.deadlineMs !== undefined;
    const deadlineMs = worker ? checkDeadline(options.deadlineMs ?? DEFAULT_DEADLINE_MS) : undefined;
    const pages = memoryPages(memoryLimit);
    /** @type {Backend} */
    this.backend = backend;
    /** @type {RuntimeComponent} */
    this.component = component;
    /** The bound on one instance's linear memory, in bytes. */
    this.memoryLimit = memoryLimit;
    /**
     * The deadline of one call in milliseconds in worker mode; undefined in the default
     * mode, which has no CPU bound.
     */
    this.deadlineMs = deadlineMs;
    const imports = new BackendBridge(backend);
    this.#bridge = imports;
    this.#options = { ...options };
    if (deadlineMs !== undefined) {
      if (typeof startupTimeoutMs !== 'number' || !(startupTimeoutMs > 0) || !Number.isFinite(startupTimeoutMs)) {
        throw new TypeError(`startupTimeoutMs must be a positive number of milliseconds; got ${String(startupTimeoutMs)}`);
      }
    }
    this.#sandbox = this.#sandboxFor(component, imports);
  }

  /**
   * A sandbox running `component` for `bridge`, in this store's mode and bounds.
   * @param {RuntimeComponent} component
   * @param {BackendBridge} bridge
   * @returns {Sandbox}
   */
  #sandboxFor(component, bridge) {
    const pages = memoryPages(this.memoryLimit);
    if (this.deadlineMs === undefined) return new InProcessSandbox(component, pages, this.memoryLimit, bridge);
    const startupTimeoutMs = this.#options.startupTimeoutMs ?? 30_000;
    return new WorkerSandbox(component, pages, this.memoryLimit, bridge, this.deadlineMs, startupTimeoutMs);
  }

  /**
   * The rules build serving the calls that start now: the SHA-256 and size of the
   * component's bytes. Every sandbox failure's message names its first 12 hex digits.
   * @returns {Readonly<RulesIdentity>}
   */
  get rulesIdentity() {
    return this.component.rulesIdentity;
  }

  /**
   * Replaces the rules while the store serves, and resolves to the new `rulesIdentity`.
   *
   * `rules` is the component's bytes (transpiled with jco, which must then be installed:
   * `RuntimeComponent.fromBytes`) or a loaded `RuntimeComponent`. The candidate goes live
   * only after three steps, each of which refuses it with a `SwapError` (`step` `'load'`,
   * `'instantiation'` or `'gate'`, the reason, the candidate's identity and the serving
   * one's) while the active rules keep serving:
   *
   * 1. load: transpiled, type-checked against the runtime-store world and compiled with
   *    this store's memory bound;
   * 2. instantiation: one instance made (in worker mode, a worker thread that loads it);
   * 3. the gate: `await gate(candidateStore)`, a store running the candidate in this
   *    store's mode and bounds on a scratch `MemoryBackend` nothing else shares; the gate
   *    refuses the candidate by throwing (or rejecting), its message being the reason.
   *
   * Only then do calls made later run on the new rules. Calls are synchronous, so none is
   * in flight when the rules change: each runs wholly on one build (a whole list too, as
   * it is one synchronous call). Calls go on while the candidate is loaded and checked;
   * one swap runs at a time (a second waits for the first's verdict). In worker mode the
   * old worker is ended once the new one serves.
   * @param {Uint8Array | RuntimeComponent} rules
   * @param {(candidate: RuntimeStore) => unknown} gate
   * @returns {Promise<Readonly<RulesIdentity>>}
   */
  swapRules(rules, gate) {
    const swap = this.#swapping.then(() => this.#swap(rules, gate));
    this.#swapping = swap.catch(() => {});
    return swap;
  }

  /**
   * @param {Uint8Array | RuntimeComponent} rules
   * @param {(candidate: RuntimeStore) => unknown} gate
   * @returns {Promise<Readonly<RulesIdentity>>}
   */
  async #swap(rules, gate) {
    if (typeof gate !== 'function') throw new TypeError('swapRules needs a gate: a function given a store on the candidate');
    if (!(rules instanceof RuntimeComponent) && !(rules instanceof Uint8Array)) {
      throw new TypeError('swapRules needs the component as a Uint8Array, or a RuntimeComponent');
    }
    let candidate = rules instanceof RuntimeComponent ? rules.rulesIdentity : rulesIdentityOf(rules);
    /**
     * @param {import('./errors.js').SwapStepName} step
     * @param {string} reason
     * @param {unknown} cause
     */
    const refused = (step, reason, cause) => new SwapError(step, reason, candidate, this.rulesIdentity, { cause });
    /** @type {RuntimeComponent} */
    let component;
    try {
      component = rules instanceof RuntimeComponent ? rules : await RuntimeComponent.fromBytes(rules, 'swap candidate');
      await component.compile(memoryPages(this.memoryLimit));
    } catch (error) {
      throw refused(SwapStep.LOAD, messageOf(error), error);
    }
    candidate = component.rulesIdentity;
    const notStarted = (/** @type {string} */ reason) => new Error(fill(SANDBOX_INSTANTIATION, { reason }));
    /** @type {RuntimeStore} */
    let scratch;
    try {
      scratch = new RuntimeStore(new MemoryBackend(), component, this.#options);
      await scratch.#sandbox.ready(notStarted);
    } catch (error) {
      throw refused(SwapStep.INSTANTIATION, instantiationReason(error), error);
    }
    try {
      await gate(scratch);
    } catch (error) {
      throw refused(SwapStep.GATE, messageOf(error), error);
    } finally {
      scratch.close();
    }
    /** @type {Sandbox} */
    let live;
    try {
      live = this.#sandboxFor(component, this.#bridge);
      await live.ready(notStarted);
    } catch (error) {
      throw refused(SwapStep.INSTANTIATION, instantiationReason(error), error);
    }
    const previous = this.#sandbox;
    this.#sandbox = live;
    this.component = component;
    previous.close();
    return this.rulesIdentity;
  }

  /**
   * A store on `backend` with the package's component (loaded once per process), or
   * `options.component`.
   * @param {Backend} backend the storage adapter
   * @param {StoreOptions & {component?: RuntimeComponent}} [options]
   */
  static async open(backend, options = {}) {
    const { component = await RuntimeComponent.default(), ...rest } = options;
    await component.compile(memoryPages(rest.memoryLimit ?? DEFAULT_MEMORY_LIMIT));
    const store = new RuntimeStore(backend, component, rest);
    await store.#sandbox.ready();
    return store;
  }

  /** Ends the worker thread (worker mode) or drops the instance; a later call starts afresh. */
  close() {
    this.#sandbox.close();
  }

  // --- store interface -----------------------------------------------------------------

  /**
   * The record of `gameId`; `NotFound` when none exists.
   * @param {string} gameId
   * @returns {RuntimeRecord}
   */
  get(gameId) {
    return this.#call('get', gameId, [gameId]);
  }

  /**
   * Installs a new record; `Conflict` when the game id exists.
   * @param {import('./model.js').RuntimeRecordInput} record
   * @returns {void}
   */
  insert(record) {
    this.#call('insert', gameIdOf(record), [record]);
  }

  /**
   * One transition under a compare-and-swap guard on the stored status.
   * @param {import('./model.js').UpdateStatusInput} input
   * @returns {void}
   */
  updateStatus(input) {
    this.#call('update-status', gameIdOf(input), [input]);
  }

  /**
   * Sets the scheduling columns and `updatedAt`, in any status.
   * @param {import('./model.js').UpdateSchedulingInput} input
   * @returns {void}
   */
  updateScheduling(input) {
    this.#call('update-scheduling', gameIdOf(input), [input]);
  }

  /**
   * Sets the image columns under a compare-and-swap guard on the stored status.
   * @param {import('./model.js').UpdateImageInput} input
   * @returns {void}
   */
  updateImage(input) {
    this.#call('update-image', gameIdOf(input), [input]);
  }

  /**
   * Sets `engineHealth` and `updatedAt`, in any status.
   * @param {import('./model.js').UpdateEngineHealthInput} input
   * @returns {void}
   */
  updateEngineHealth(input) {
    this.#call('update-engine-health', gameIdOf(input), [input]);
  }

  /**
   * Removes the record; succeeds when none exists.
   * @param {string} gameId
   * @returns {void}
   */
  delete(gameId) {
    this.#call('delete', gameId, [gameId]);
  }

  /**
   * Running records due at `now`, by `nextGenerationAt`, then game id.
   *
   * Assembled from pages of `LARGEST_PAGE_LIMIT` (500) records, so it works over any
   * number of records (the component's own whole-list export answers in one call and is
   * bounded by its memory, about 900 records at the largest sizes in 16 MiB: it is never
   * called). It is not a snapshot: a record that moves while the list is read appears
   * once, at the first place it was seen.
   * @param {import('./model.js').TimestampInput} now
   * @returns {RuntimeRecord[]}
   */
  listDueRunning(now) {
    return this.#wholeList('list-due-running', 'list-due-running-page', [now]);
  }

  /**
   * Records in `status`, newest `createdAt` first, then game id; assembled from pages, as
   * `listDueRunning`.
   * @param {Status} status
   * @returns {RuntimeRecord[]}
   */
  listByStatus(status) {
    return this.#wholeList('list-by-status', 'list-by-status-page', [status]);
  }

  /**
   * Every record, newest `createdAt` first, then game id; assembled from pages, as
   * `listDueRunning`.
   * @returns {RuntimeRecord[]}
   */
  list() {
    return this.#wholeList('list', 'list-page', []);
  }

  /**
   * At most `limit` (1..=500) running records due at `now`, after `cursor` (from the start
   * when `undefined`), in the order of `listDueRunning`. Pass the page's `nextCursor` to get
   * the next page; it is `undefined` after the last one. A limit out of range or a cursor
   * that does not parse or belongs to another list order is `InvalidInput`.
   * @param {import('./model.js').TimestampInput} now
   * @param {string | undefined | null} cursor
   * @param {number | bigint} limit
   * @returns {RuntimePage}
   */
  listDueRunningPage(now, cursor, limit) {
    return page(this.#call('list-due-running-page', undefined, [now, cursor, limit]));
  }

  /**
   * A page of `listByStatus`; cursor and limit as for `listDueRunningPage`.
   * @param {Status} status
   * @param {string | undefined | null} cursor
   * @param {number | bigint} limit
   * @returns {RuntimePage}
   */
  listByStatusPage(status, cursor, limit) {
    return page(this.#call('list-by-status-page', undefined, [status, cursor, limit]));
  }

  /**
   * A page of `list`; cursor and limit as for `listDueRunningPage`.
   * @param {string | undefined | null} cursor
   * @param {number | bigint} limit
   * @returns {RuntimePage}
   */
  listPage(cursor, limit) {
    return page(this.#call('list-page', undefined, [cursor, limit]));
  }

  // --- rules interface -----------------------------------------------------------------

  /**
   * Succeeds when `to` may follow `from`; otherwise `InvalidTransition`.
   * @param {Status} from
   * @param {Status} to
   * @returns {void}
   */
  transition(from, to) {
    this.#call('transition', undefined, [from, to]);
  }

  /**
   * The statuses that may follow `from`, in declaration order.
   * @param {Status} from
   * @returns {Status[]}
   */
  allowedTransitions(from) {
    return this.#call('allowed-transitions', undefined, [from]);
  }

  /**
   * The checks `insert` runs; `InvalidInput` on the first failure.
   * @param {import('./model.js').RuntimeRecordInput} record
   * @returns {void}
   */
  validateRecord(record) {
    this.#call('validate-record', gameIdOf(record), [record]);
  }

  /**
   * The checks `updateStatus` runs.
   * @param {import('./model.js').UpdateStatusInput} input
   * @returns {void}
   */
  validateUpdateStatus(input) {
    this.#call('validate-update-status', gameIdOf(input), [input]);
  }

  /**
   * The checks `updateScheduling` runs.
   * @param {import('./model.js').UpdateSchedulingInput} input
   * @returns {void}
   */
  validateUpdateScheduling(input) {
    this.#call('validate-update-scheduling', gameIdOf(input), [input]);
  }

  /**
   * The checks `updateImage` runs.
   * @param {import('./model.js').UpdateImageInput} input
   * @returns {void}
   */
  validateUpdateImage(input) {
    this.#call('validate-update-image', gameIdOf(input), [input]);
  }

  /**
   * The checks `updateEngineHealth` runs.
   * @param {import('./model.js').UpdateEngineHealthInput} input
   * @returns {void}
   */
  validateUpdateEngineHealth(input) {
    this.#call('validate-update-engine-health', gameIdOf(input), [input]);
  }

  // --- machinery -----------------------------------------------------------------------

  /**
   * @param {Operation} operation
   * @param {unknown} gameId the game the call names (kept on errors when it is a string)
   * @param {unknown[]} args
   * @returns {any}
   */
  #call(operation, gameId, args) {
    const id = typeof gameId === 'string' ? gameId : undefined;
    return this.#sandbox.call(operation, id, lowered(operation, id, args));
  }

  /**
   * A whole list read page by page with `pageOperation` (pages of LARGEST_PAGE_LIMIT),
   * keeping each game's first appearance: pages follow the list's order and each starts
   * after the one before, so what is kept stays in order. Arguments are checked, and
   * failures named, as `operation`'s.
   * @param {'list' | 'list-by-status' | 'list-due-running'} operation
   * @param {'list-page' | 'list-by-status-page' | 'list-due-running-page'} pageOperation
   * @param {unknown[]} args `operation`'s arguments
   * @returns {RuntimeRecord[]}
   */
  #wholeList(operation, pageOperation, args) {
    const listed = lowered(operation, undefined, args);
    /** @type {RuntimeRecord[]} */
    const records = [];
    const seen = new Set();
    /** @type {string | undefined} */
    let cursor;
    for (;;) {
      const next = page(this.#sandbox.call(pageOperation, undefined, [...listed, cursor, LARGEST_PAGE_LIMIT], operation));
      for (const record of next.records) {
        if (seen.has(record.gameId)) continue;
        seen.add(record.gameId);
        records.push(record);
      }
      if (next.nextCursor === undefined) return records;
      cursor = next.nextCursor;
    }
  }
}

/**
 * The text of whatever was thrown.
 * @param {unknown} error
 */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Why a candidate could not be instantiated, in the vocabulary's words.
 * @param {unknown} error
 */
function instantiationReason(error) {
  const message = messageOf(error);
  return message.startsWith(fill(SANDBOX_INSTANTIATION, { reason: '' }))
    ? message
    : fill(SANDBOX_INSTANTIATION, { reason: trapReason(error) });
}

/**
 * A page as the component answered it, with `nextCursor` always present.
 * @param {{records: RuntimeRecord[], nextCursor?: string}} answer
 * @returns {RuntimePage}
 */
function page({ records, nextCursor }) {
  return { records, nextCursor };
}

/**
 * `args` checked against `operation`'s WIT types and lowered; `InvalidInput` naming the
 * first field a WIT type cannot hold.
 * @param {Operation} operation
 * @param {string | undefined} gameId
 * @param {unknown[]} args
 */
function lowered(operation, gameId, args) {
  try {
    return lowerArguments(operation, args);
  } catch (error) {
    if (error instanceof BoundaryViolation) throw new InvalidInput(operation, gameId, error.messageFor(operation));
    throw error;
  }
}

/** @param {unknown} input */
function gameIdOf(input) {
  return typeof input === 'object' && input !== null ? /** @type {{gameId?: unknown}} */ (input).gameId : undefined;
}

/**
 * What a backend primitive answered, as the WIT import returns it; a BackendError of kind
 * `failed` naming what was wrong otherwise.
 * @type {Record<typeof PRIMITIVES[number], (answer: any) => unknown>}
 */
const ANSWERS = {
  fetch: (answer) => (answer === undefined || answer === null ? { found: undefined } : { found: checked(answer, backendRecord) }),
  insert: (answer) => {
    if (!INSERT_OUTCOMES.has(answer)) throw wrongAnswer(answer, `'inserted' or 'already-exists'`);
    return answer;
  },
  patch: (answer) => {
    switch (typeof answer === 'object' && answer !== null ? answer.tag : undefined) {
      case 'applied':
        return { tag: 'applied' };
      case 'not-found':
        return { tag: 'not-found' };
      case 'status-mismatch':
        return { tag: 'status-mismatch', val: checked(answer.val, backendStatus) };
      default:
        throw wrongAnswer(answer, 'a PatchOutcome');
    }
  },
  remove: (answer) => {
    if (answer !== undefined && answer !== null) throw wrongAnswer(answer, 'undefined');
    return undefined;
  },
  scan: (answer) => {
    if (!Array.isArray(answer)) throw wrongAnswer(answer, 'an array of runtime records');
    return answer.map((record, index) => checked(record, backendRecord, `record ${index} of `));
  },
};

/**
 * @param {unknown} answer
 * @param {string} expected
 */
function wrongAnswer(answer, expected) {
  return new TypeError(`the adapter answered ${describe(answer)}, not ${expected}`);
}

/**
 * @template T
 * @param {unknown} value
 * @param {(value: unknown) => T} check
 * @param {string} [which]
 * @returns {T}
 */
function checked(value, check, which = '') {
  try {
    return check(value);
  } catch (error) {
    if (!(error instanceof BoundaryViolation)) throw error;
    throw new TypeError(`in ${which}the adapter's answer, ${error.message}`);
  }
}

/**
 * The `backend` imports: each calls the adapter and turns whatever it throws, or an answer
 * of the wrong shape, into a `backend-error` (an exception escaping an import would trap).
 * An import answers its value, or throws `{ payload }` (jco's way to return an error).
 * Each call may make the backend calls its operation needs (`begin`); one more throws
 * `BackendCallsExceeded` without reaching the adapter, which traps the guest.
 */
export class BackendBridge {
  /** @type {BackendError | undefined} */
  #thrown;
  #limit = 0;
  #made = 0;
  /** @type {number | undefined} */
  #exceeded;

  /** @param {Backend} backend */
  constructor(backend) {
    if (typeof backend !== 'object' || backend === null) {
      throw new TypeError(`RuntimeStore needs a backend object with ${PRIMITIVES.join(', ')}; got ${describe(backend)}`);
    }
    /** @type {Record<string, (...args: any[]) => unknown>} */
    this.imports = {};
    for (const name of PRIMITIVES) {
      if (typeof backend[name] !== 'function') {
        throw new TypeError(`RuntimeStore: the backend has no ${name} method (it needs ${PRIMITIVES.join(', ')})`);
      }
      const lower = ANSWERS[name];
      /** @param {string} detail */
      const failure = (detail) => ({ payload: BackendError.failed(`backend ${name}: ${detail}`).toVariant() });
      this.imports[name] = (...args) => {
        if (this.#made >= this.#limit) {
          this.#exceeded = this.#limit;
          throw new BackendCallsExceeded(this.#limit);
        }
        this.#made += 1;
        let answer;
        try {
          answer = /** @type {Function} */ (backend[name]).apply(backend, args);
        } catch (error) {
          if (!(error instanceof BackendError)) throw failure(describe(error));
          this.#thrown = error;
          throw { payload: { tag: error.kind, val: error.reason.toWellFormed() } };
        }
        if (typeof answer?.then === 'function') {
          throw failure('the adapter answered a promise; the store calls adapters synchronously');
        }
        try {
          return lower(answer);
        } catch (error) {
          throw failure(/** @type {Error} */ (error).message);
        }
      };
    }
  }

  /**
   * Starts a call of `operation`: it may call the backend once if it is a store operation,
   * never if it is a rules function.
   * @param {Operation} operation
   */
  begin(operation) {
    this.#limit = SIGNATURES[operation].iface === 'store' ? 1 : 0;
    this.#made = 0;
    this.#exceeded = undefined;
  }

  /** The BackendError the adapter threw during the current call, if any. */
  lastError() {
    return this.#thrown;
  }

  /** The backend calls the current call was allowed, if it tried to make one more. */
  exceeded() {
    return this.#exceeded;
  }

  /** Ends the current call. */
  forget() {
    this.#thrown = undefined;
    this.#limit = 0;
    this.#made = 0;
    this.#exceeded = undefined;
  }
}

const DESCRIBED_LENGTH = 200;

/**
 * A short description of a value for a message (at most about 200 characters).
 * @param {unknown} value
 */
export function describe(value) {
  let text;
  if (value instanceof Error) {
    text = `${value.name}: ${value.message}`;
  } else if (typeof value === 'bigint') {
    text = `${value}n`;
  } else {
    try {
      text = JSON.stringify(value, (_, item) => (typeof item === 'bigint' ? `${item}n` : item)) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > DESCRIBED_LENGTH ? `${text.slice(0, DESCRIBED_LENGTH)}…` : text;
}
