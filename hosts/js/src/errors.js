// Errors of the store: one class per WIT `store-error` case, plus sandbox failures. Every
// message reads exactly as the Rust vocabulary crate builds it
// (`runtime_store_vocabulary::store_error_message` / `sandbox_message`).
import { BackendError } from './types.js';
import { NOT_FOUND, OPERATIONS, RECORD_EXISTS, SANDBOX_RULES, STATUS_DIFFERS } from './vocabulary.js';

/** @typedef {import('./component.js').RulesIdentity} RulesIdentity */

/** @typedef {import('./model.js').Operation} Operation */

/**
 * Where a failure happened: the operation's words, then the game id as a JSON string when
 * the call names one (`update runtime status "game-1"`).
 * @param {Operation} operation
 * @param {string | undefined} gameId
 */
export function located(operation, gameId) {
  const words = OPERATIONS[operation];
  return gameId === undefined ? words : `${words} ${JSON.stringify(gameId)}`;
}

/**
 * Base of every error a store call throws. `operation` is the WIT function name
 * (`update-status`); `gameId` is set when the call names a game.
 */
export class StoreError extends Error {
  /**
   * @param {Operation} operation the WIT function name
   * @param {string | undefined} gameId the game the call names, if any
   * @param {string} message the whole message
   * @param {ErrorOptions} [options]
   */
  constructor(operation, gameId, message, options) {
    super(message, options);
    this.name = new.target.name;
    /** @type {Operation} */
    this.operation = operation;
    /** @type {string | undefined} */
    this.gameId = gameId;
  }
}

/** No record exists for the game id. */
export class NotFound extends StoreError {
  /**
   * @param {Operation} operation
   * @param {string | undefined} gameId
   */
  constructor(operation, gameId) {
    super(operation, gameId, `${located(operation, gameId)}: ${NOT_FOUND}`);
  }
}

/** The record exists already (insert) or its stored status differs from the expected one. */
export class Conflict extends StoreError {
  /**
   * @param {Operation} operation
   * @param {string | undefined} gameId
   */
  constructor(operation, gameId) {
    const detail = operation === 'insert' ? RECORD_EXISTS : STATUS_DIFFERS;
    super(operation, gameId, `${located(operation, gameId)}: ${detail}`);
  }
}

/** The status transition is not allowed; `message` and `reason` are the rules' exact message. */
export class InvalidTransition extends StoreError {
  /**
   * @param {Operation} operation
   * @param {string | undefined} gameId
   * @param {string} reason the rules' message
   */
  constructor(operation, gameId, reason) {
    super(operation, gameId, reason);
    /** @type {string} */
    this.reason = reason;
  }
}

/**
 * The input failed validation: by the rules (their exact message), or before them because
 * a WIT type cannot hold a value (`<operation words>: <field> must be <expected>`).
 * `message` and `reason` are that message.
 */
export class InvalidInput extends StoreError {
  /**
   * @param {Operation} operation
   * @param {string | undefined} gameId
   * @param {string} reason the whole message
   */
  constructor(operation, gameId, reason) {
    super(operation, gameId, reason);
    /** @type {string} */
    this.reason = reason;
  }
}

/** The storage adapter failed; `error` is its `BackendError`, unchanged (also the `cause`). */
export class BackendFailure extends StoreError {
  /**
   * @param {Operation} operation
   * @param {string | undefined} gameId
   * @param {BackendError} error
   */
  constructor(operation, gameId, error) {
    super(operation, gameId, `${located(operation, gameId)}: ${error.message}`, { cause: error });
    /** @type {BackendError} */
    this.error = error;
  }
}

/**
 * The sandbox stopped the call: the guest trapped (a bug, a stack overflow, or its memory
 * limit reached), ran past the call's deadline (worker mode), called the backend more often
 * than its operation needs, or could not be instantiated. The instance is discarded; the
 * next call runs on a fresh one. `reason` is the text after `<operation words>[ "<game id>"]: `
 * and before ` (rules <first 12 hex digits of the SHA-256>)`, which names the build that ran
 * (`rules`: its sha256 and size).
 */
export class SandboxFailure extends StoreError {
  /**
   * @param {Operation} operation
   * @param {string | undefined} gameId
   * @param {string} reason one of the vocabulary's SANDBOX_* texts, filled
   * @param {RulesIdentity} rules the build that ran
   * @param {ErrorOptions} [options]
   */
  constructor(operation, gameId, reason, rules, options) {
    const named = fill(SANDBOX_RULES, { rules: rules.sha256.slice(0, 12) });
    super(operation, gameId, `${located(operation, gameId)}: ${reason} ${named}`, options);
    /** @type {string} */
    this.reason = reason;
    /** @type {Readonly<RulesIdentity>} */
    this.rules = rules;
  }
}

/**
 * The steps of `RuntimeStore.swapRules`, each of which can refuse a candidate; the values
 * are `SwapError.step`'s.
 */
export const SwapStep = Object.freeze({
  /** Transpiling and compiling it and checking its types against the runtime-store world. */
  LOAD: /** @type {'load'} */ ('load'),
  /** Making its first instance (its start code runs). */
  INSTANTIATION: /** @type {'instantiation'} */ ('instantiation'),
  /** The gate the caller gave, run against a store on the candidate. */
  GATE: /** @type {'gate'} */ ('gate'),
});

/** @typedef {typeof SwapStep[keyof typeof SwapStep]} SwapStepName */

/** How a message words each step (the Rust host's `SwapStep` display). */
const STEP_WORDS = {
  load: 'load (compile and type-check)',
  instantiation: 'instantiation',
  gate: 'the conformance gate',
};

/**
 * `RuntimeStore.swapRules` refused a candidate; the rules that served keep serving. Reads
 * as the Rust host's `SwapError`: `swap rules to sha256 <12 hex digits> (<size> bytes):
 * refused at <step>: <reason> (the rules sha256 … (… bytes) keep serving)`.
 */
export class SwapError extends Error {
  /**
   * @param {SwapStepName} step the step that refused it
   * @param {string} reason what that step said
   * @param {RulesIdentity} candidate the refused component
   * @param {RulesIdentity} serving the rules still active
   * @param {ErrorOptions} [options]
   */
  constructor(step, reason, candidate, serving, options) {
    super(
      `swap rules to ${described(candidate)}: refused at ${STEP_WORDS[step]}: ${reason} (the rules ${described(serving)} keep serving)`,
      options,
    );
    this.name = 'SwapError';
    /** @type {SwapStepName} */
    this.step = step;
    /** @type {string} */
    this.reason = reason;
    /** @type {Readonly<RulesIdentity>} */
    this.candidate = candidate;
    /** @type {Readonly<RulesIdentity>} */
    this.serving = serving;
  }
}

/**
 * `sha256 <12 hex digits> (<size> bytes)`.
 * @param {RulesIdentity} identity
 */
function described(identity) {
  return `sha256 ${identity.sha256.slice(0, 12)} (${identity.size} bytes)`;
}

/**
 * Thrown by a backend import, instead of calling the adapter, when the guest calls the
 * backend more often than its operation needs (contract §7.1): it traps the guest, and the
 * store reports the `SandboxFailure` "the guest called the backend more than the N time(s)
 * its operation needs". Internal.
 */
export class BackendCallsExceeded extends Error {
  /** @param {number} limit */
  constructor(limit) {
    super(`more than ${limit} backend call(s)`);
    this.name = 'BackendCallsExceeded';
    this.limit = limit;
  }
}

/**
 * The exception for a WIT `store-error` as jco throws it (`{ tag, val }`). A backend error
 * that is the one the adapter threw during the call keeps its identity.
 * @param {Operation} operation
 * @param {string | undefined} gameId
 * @param {import('./model.js').StoreErrorVariant} payload
 * @param {BackendError} [thrown] the BackendError the adapter threw during the call, if any
 * @returns {StoreError}
 */
export function storeError(operation, gameId, payload, thrown) {
  switch (payload.tag) {
    case 'not-found':
      return new NotFound(operation, gameId);
    case 'conflict':
      return new Conflict(operation, gameId);
    case 'invalid-transition':
      return new InvalidTransition(operation, gameId, payload.val);
    case 'invalid-input':
      return new InvalidInput(operation, gameId, payload.val);
    case 'backend': {
      const { tag, val } = payload.val;
      const same = thrown !== undefined && thrown.kind === tag && thrown.reason.toWellFormed() === val;
      return new BackendFailure(operation, gameId, same ? thrown : BackendError.fromVariant(payload.val));
    }
  }
}

/**
 * Replaces each `{name}` in `template` by its value (the vocabulary crate's `fill`).
 * @param {string} template
 * @param {Record<string, string | number | bigint>} values
 */
export function fill(template, values) {
  let text = template;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}
