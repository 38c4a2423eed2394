// `RuntimeStore`: the rules component bound to a storage adapter.
import { RuntimeComponent } from './component.js';
import { ComponentTrap, storeError } from './errors.js';
import { BackendError, InsertOutcome } from './types.js';

const INSERT_OUTCOMES = new Set(Object.values(InsertOutcome));
const PATCH_OUTCOME_TAGS = new Set(['applied', 'not-found', 'status-mismatch']);

const BACKEND_ANSWERS = {
  fetch: (answer) => answer === undefined || (typeof answer === 'object' && answer !== null),
  insert: (answer) => INSERT_OUTCOMES.has(answer),
  patch: (answer) => typeof answer === 'object' && answer !== null && PATCH_OUTCOME_TAGS.has(answer.tag),
  remove: (answer) => answer === undefined,
  scan: (answer) => Array.isArray(answer),
};

/**
 * The runtime record store: every rule runs in the component, storage is `backend`.
 *
 * Store operations throw a `StoreError` subclass per WIT `store-error` case; a trap throws
 * `ComponentTrap` and the next call runs on a fresh instance.
 */
export class RuntimeStore {
  #exports;
  #imports;

  /**
   * @param backend the storage adapter (`fetch`, `insert`, `patch`, `remove`, `scan`;
   *   synchronous; failures thrown as `BackendError`)
   * @param {RuntimeComponent} component the loaded component (`RuntimeComponent.load()`)
   */
  constructor(backend, component) {
    if (!(component instanceof RuntimeComponent)) {
      throw new TypeError('RuntimeStore needs a RuntimeComponent; use `await RuntimeStore.open(backend)`');
    }
    this.backend = backend;
    this.component = component;
    this.#imports = backendImports(backend);
    this.#instantiate();
  }

  /** A store on `backend` with the component in `generated/` (loaded once per process). */
  static async open(backend) {
    return new RuntimeStore(backend, await RuntimeComponent.default());
  }

  // --- store interface -----------------------------------------------------------------

  /** The record of `gameId`; `NotFound` when none exists. */
  get(gameId) {
    return this.#call('get', gameId, (store) => store.get(gameId));
  }

  /** Installs a new record; `Conflict` when the game id exists. */
  insert(record) {
    this.#call('insert', record?.gameId, (store) => store.insert(record));
  }

  /** One transition under a compare-and-swap guard on the stored status. */
  updateStatus(input) {
    this.#call('update-status', input?.gameId, (store) => store.updateStatus(input));
  }

  /** Sets the scheduling columns and `updatedAt`, in any status. */
  updateScheduling(input) {
    this.#call('update-scheduling', input?.gameId, (store) => store.updateScheduling(input));
  }

  /** Sets the image columns under a compare-and-swap guard on the stored status. */
  updateImage(input) {
    this.#call('update-image', input?.gameId, (store) => store.updateImage(input));
  }

  /** Sets `engineHealth` and `updatedAt`, in any status. */
  updateEngineHealth(input) {
    this.#call('update-engine-health', input?.gameId, (store) => store.updateEngineHealth(input));
  }

  /** Removes the record; succeeds when none exists. */
  delete(gameId) {
    this.#call('delete', gameId, (store) => store.delete(gameId));
  }

  /** Running records due at `now`, by `nextGenerationAt`, then game id. */
  listDueRunning(now) {
    return this.#call('list-due-running', undefined, (store) => store.listDueRunning(now));
  }

  /** Records in `status`, newest `createdAt` first, then game id. */
  listByStatus(status) {
    return this.#call('list-by-status', undefined, (store) => store.listByStatus(status));
  }

  /** Every record, newest `createdAt` first, then game id. */
  list() {
    return this.#call('list', undefined, (store) => store.list());
  }

  // --- rules interface -----------------------------------------------------------------

  /** Succeeds when `to` may follow `from`; otherwise `InvalidTransition`. */
  transition(from, to) {
    this.#call('transition', undefined, (_, rules) => rules.transition(from, to));
  }

  /** The statuses that may follow `from`, in declaration order. */
  allowedTransitions(from) {
    return this.#call('allowed-transitions', undefined, (_, rules) => rules.allowedTransitions(from));
  }

  /** The checks `insert` runs; `InvalidInput` on the first failure. */
  validateRecord(record) {
    this.#call('validate-record', record?.gameId, (_, rules) => rules.validateRecord(record));
  }

  /** The checks `updateStatus` runs. */
  validateUpdateStatus(input) {
    this.#call('validate-update-status', input?.gameId, (_, rules) => rules.validateUpdateStatus(input));
  }

  /** The checks `updateScheduling` runs. */
  validateUpdateScheduling(input) {
    this.#call('validate-update-scheduling', input?.gameId, (_, rules) =>
      rules.validateUpdateScheduling(input),
    );
  }

  /** The checks `updateImage` runs. */
  validateUpdateImage(input) {
    this.#call('validate-update-image', input?.gameId, (_, rules) => rules.validateUpdateImage(input));
  }

  /** The checks `updateEngineHealth` runs. */
  validateUpdateEngineHealth(input) {
    this.#call('validate-update-engine-health', input?.gameId, (_, rules) =>
      rules.validateUpdateEngineHealth(input),
    );
  }

  // --- machinery -----------------------------------------------------------------------

  #instantiate() {
    const root = this.component.instantiateWith(this.#imports);
    this.#exports = { store: root.store, rules: root.rules };
  }

  #call(operation, gameId, invoke) {
    try {
      return invoke(this.#exports.store, this.#exports.rules);
    } catch (error) {
      if (error !== null && typeof error === 'object' && Object.hasOwn(error, 'payload')) {
        throw storeError(operation, gameId, error.payload);
      }
      // A trap, or a value jco could not lower mid-call: the instance may be inconsistent.
      this.#instantiate();
      if (error instanceof WebAssembly.RuntimeError) throw new ComponentTrap(operation, gameId, error);
      throw error;
    }
  }
}

/**
 * The `backend` imports: each calls the adapter and turns whatever it throws, or an answer
 * of the wrong shape, into a `backend-error` (an exception escaping an import would trap).
 */
function backendImports(backend) {
  const imports = {};
  for (const [name, valid] of Object.entries(BACKEND_ANSWERS)) {
    const failure = (detail) => ({ payload: BackendError.failed(`backend ${name}: ${detail}`).toVariant() });
    imports[name] = (...args) => {
      let answer;
      try {
        answer = backend[name](...args);
      } catch (error) {
        throw error instanceof BackendError ? { payload: error.toVariant() } : failure(describe(error));
      }
      if (typeof answer?.then === 'function') {
        throw failure('the adapter answered a promise; jco calls imports synchronously');
      }
      if (!valid(answer)) throw failure(`the adapter answered ${describe(answer)}`);
      return name === 'fetch' ? { found: answer } : answer;
    };
  }
  return imports;
}

function describe(value) {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
