// Errors of the store: one class per WIT `store-error` case, plus sandbox failures.
import { BackendError } from './types.js';

function where(operation, gameId) {
  return gameId === undefined ? operation : `${operation} of game ${JSON.stringify(gameId)}`;
}

/**
 * Base of every error the component answers with (WIT `store-error`). `operation` is the
 * WIT function (`update-status`); `gameId` is set when the call names a game.
 */
export class StoreError extends Error {
  constructor(operation, gameId, detail, options) {
    super(`${where(operation, gameId)}: ${detail}`, options);
    this.name = new.target.name;
    this.operation = operation;
    this.gameId = gameId;
  }
}

/** No record exists for the game id. */
export class NotFound extends StoreError {
  constructor(operation, gameId) {
    super(operation, gameId, 'runtime record not found');
  }
}

/** The record exists already (insert) or its stored status differs from the expected one. */
export class Conflict extends StoreError {
  constructor(operation, gameId) {
    super(operation, gameId, 'conflict');
  }
}

/** The status transition is not allowed; `reason` is the component's exact message. */
export class InvalidTransition extends StoreError {
  constructor(operation, gameId, reason) {
    super(operation, gameId, reason);
    this.reason = reason;
  }
}

/** The input failed validation; `reason` is the component's exact message. */
export class InvalidInput extends StoreError {
  constructor(operation, gameId, reason) {
    super(operation, gameId, reason);
    this.reason = reason;
  }
}

/** The storage adapter failed; `error` is its `BackendError`, unchanged. */
export class BackendFailure extends StoreError {
  constructor(operation, gameId, error) {
    super(operation, gameId, `backend failed: ${error.message}`, { cause: error });
    this.error = error;
  }
}

/** The exception for a WIT `store-error` as jco throws it (`{ tag, val }`). */
export function storeError(operation, gameId, payload) {
  switch (payload.tag) {
    case 'not-found':
      return new NotFound(operation, gameId);
    case 'conflict':
      return new Conflict(operation, gameId);
    case 'invalid-transition':
      return new InvalidTransition(operation, gameId, payload.val);
    case 'invalid-input':
      return new InvalidInput(operation, gameId, payload.val);
    default:
      return new BackendFailure(operation, gameId, BackendError.fromVariant(payload.val));
  }
}

/**
 * The component trapped (a guest bug or a component that does not match the WIT). The
 * store discards the instance and makes a fresh one for the next call.
 */
export class ComponentTrap extends Error {
  constructor(operation, gameId, cause) {
    super(`${where(operation, gameId)}: the component trapped: ${cause?.message ?? cause}`, { cause });
    this.name = 'ComponentTrap';
    this.operation = operation;
    this.gameId = gameId;
  }
}
