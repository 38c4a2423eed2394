// Running the component in the calling thread: one instance, its memory bounded; after a
// trap the instance is discarded and the next call gets a fresh one.
import { SIGNATURES } from './boundary.js';
import { instantiate } from './component.js';
import { SandboxFailure, fill, storeError } from './errors.js';
import { SANDBOX_BACKEND_CALLS, SANDBOX_INSTANTIATION, SANDBOX_TRAPPED_NEAR_LIMIT } from './vocabulary.js';

/** @typedef {import('./model.js').Operation} Operation */

/** The default deadline of one call in worker mode, in milliseconds (the Rust host's 1 s). */
export const DEFAULT_DEADLINE_MS = 1000;
/** The deadlines a call may be given, in milliseconds: 10 ms to an hour, as in the Rust host. */
export const DEADLINE_MS_RANGE = /** @type {const} */ ([10, 3_600_000]);

/**
 * `deadlineMs`, refused outside `DEADLINE_MS_RANGE` (a RangeError naming the option and the
 * range, as the Rust host words it) or when it is not a number (a TypeError).
 * @param {unknown} deadlineMs
 * @returns {number}
 */
export function checkDeadline(deadlineMs) {
  if (typeof deadlineMs !== 'number') {
    throw new TypeError(`deadlineMs must be a number of milliseconds; got ${typeof deadlineMs}`);
  }
  const [low, high] = DEADLINE_MS_RANGE;
  if (!(deadlineMs >= low && deadlineMs <= high)) {
    throw new RangeError(`deadlineMs must be in ${low} ms..=${high} ms (got ${deadlineMs} ms)`);
  }
  return deadlineMs;
}

/**
 * The failure of a call that trapped: the backend-call cap when the guest went over it,
 * else a trap.
 * @param {Operation} operation
 * @param {string | undefined} gameId
 * @param {number | undefined} exceeded the backend calls allowed, when the guest tried one more
 * @param {number} memoryLimit
 * @param {string} reason the trap's text
 * @param {import('./component.js').RulesIdentity} rules the build that ran
 * @param {unknown} [cause]
 */
export function trapFailure(operation, gameId, exceeded, memoryLimit, reason, rules, cause) {
  const options = cause === undefined ? undefined : { cause };
  if (exceeded !== undefined) {
    return new SandboxFailure(operation, gameId, fill(SANDBOX_BACKEND_CALLS, { limit: exceeded }), rules, options);
  }
  return new SandboxFailure(operation, gameId, trappedReason(memoryLimit, reason), rules, options);
}

/**
 * How a store runs its component.
 * @typedef {object} Sandbox
 * @property {(operation: Operation, gameId: string | undefined, args: unknown[], reported?: Operation) => any} call
 *   runs one operation on lowered arguments; throws a StoreError naming `reported` (default
 *   `operation`: a whole list names itself while it runs its page export)
 * @property {(failure?: (reason: string) => Error) => Promise<void>} ready resolves once a
 *   call would not wait for start-up; rejects with `failure(reason)` when the component
 *   cannot be started
 * @property {() => void} close drops the instance or ends the worker
 */

/**
 * Whether `error` is jco's way of carrying a WIT error value (`{ payload }`).
 * @param {unknown} error
 * @returns {error is {payload: any}}
 */
export function carriesPayload(error) {
  return typeof error === 'object' && error !== null && Object.hasOwn(error, 'payload');
}

/**
 * The text of a trap for a message (`unreachable`, `RangeError: Maximum call stack size exceeded`).
 * @param {unknown} error
 */
export function trapReason(error) {
  if (error instanceof WebAssembly.RuntimeError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * The reason of a trap: the guest's memory is bounded and a failed `memory.grow` is only
 * seen as the guest's own trap afterwards, so the host cannot tell whether the limit caused it.
 * @param {number} memoryLimit
 * @param {string} reason
 */
export function trappedReason(memoryLimit, reason) {
  return fill(SANDBOX_TRAPPED_NEAR_LIMIT, { limit: memoryLimit, reason });
}

/** @implements {Sandbox} */
export class InProcessSandbox {
  /** @type {{store: Record<string, Function>, rules: Record<string, Function>} | undefined} */
  #exports;
  #component;
  #modules;
  #memoryLimit;
  #imports;

  /**
   * @param {import('./component.js').RuntimeComponent} component
   * @param {number} pages the memory bound in pages
   * @param {number} memoryLimit the memory bound as configured, in bytes (for messages)
   * @param {import('./store.js').BackendBridge} imports
   */
  constructor(component, pages, memoryLimit, imports) {
    this.#component = component;
    this.#modules = component.modules(pages);
    this.#memoryLimit = memoryLimit;
    this.#imports = imports;
    this.#exports = instantiate(component.instantiate, this.#modules, imports.imports);
  }

  async ready() {}

  close() {
    this.#exports = undefined;
  }

  /**
   * @param {Operation} operation
   * @param {string | undefined} gameId
   * @param {unknown[]} args
   * @param {Operation} [reported] the operation failures name
   */
  call(operation, gameId, args, reported = operation) {
    const { iface, method } = SIGNATURES[operation];
    if (this.#exports === undefined) {
      try {
        this.#exports = instantiate(this.#component.instantiate, this.#modules, this.#imports.imports);
      } catch (error) {
        throw new SandboxFailure(
          reported,
          gameId,
          fill(SANDBOX_INSTANTIATION, { reason: trapReason(error) }),
          this.#component.rulesIdentity,
          { cause: error },
        );
      }
    }
    this.#imports.begin(operation);
    try {
      return this.#exports[iface][method](...args);
    } catch (error) {
      const exceeded = this.#imports.exceeded();
      if (carriesPayload(error) && exceeded === undefined) {
        throw storeError(reported, gameId, error.payload, this.#imports.lastError());
      }
      // A trap, a backend call over the cap (or anything else escaping the bindings): the
      // instance may be inconsistent.
      this.#exports = undefined;
      throw trapFailure(reported, gameId, exceeded, this.#memoryLimit, trapReason(error), this.#component.rulesIdentity, error);
    } finally {
      this.#imports.forget();
    }
  }
}
