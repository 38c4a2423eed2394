// Reading conformance vectors (tests/conformance/README.md) and running their steps.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIGNATURES } from '../src/boundary.js';
import { REPO_ROOT, StoreError, BackendFailure, InvalidInput, InvalidTransition } from './support.js';

export const VECTOR_DIR = join(REPO_ROOT, 'tests', 'conformance');

export function vectorFiles() {
  return readdirSync(VECTOR_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(VECTOR_DIR, name));
}

export function load(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

const camel = (name) => name.replace(/-([a-z])/g, (_, letter) => letter.toUpperCase());
const kebab = (name) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** A jco value from a vector value: camelCase keys, BigInt seconds, `null` as `undefined`. */
export function fromJson(value) {
  if (value === null) return undefined;
  if (Array.isArray(value)) return value.map(fromJson);
  if (typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 2 && 'seconds' in value && 'nanoseconds' in value) {
    return { seconds: BigInt(value.seconds), nanoseconds: value.nanoseconds };
  }
  return Object.fromEntries(keys.map((key) => [camel(key), fromJson(value[key])]));
}

/** The vector form of a value the store returned. */
export function toJson(value) {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [kebab(key), toJson(item)]));
}

/** The page functions: their ok value is a page (README, "Pages"). */
export const PAGE_OPS = new Set(['list-page', 'list-by-status-page', 'list-due-running-page']);

/**
 * Runs one step's operation; the arguments go in the order of the WIT signature (the
 * package's own table of them). `cursor` is an argument's value already resolved.
 */
export function call(store, op, args) {
  const method = camel(op);
  const { params } = SIGNATURES[op];
  return store[method](...params.map(([name]) => fromJson(args[name] ?? null)));
}

const ERROR_CASES = new Map([
  ['NotFound', 'not-found'],
  ['Conflict', 'conflict'],
  ['InvalidTransition', 'invalid-transition'],
  ['InvalidInput', 'invalid-input'],
  ['BackendFailure', 'backend'],
]);

/**
 * A runner of one file's steps on `store`: `run(step)` answers the step's result in the
 * vector's `expect` form. It keeps the `next-cursor` of the most recent step expecting an
 * ok page, for a later `{"previous-page": true}` cursor.
 */
export function runner(store) {
  /** The actual next cursor of the most recent step expecting an ok page. */
  let previous;
  return (step) => {
    let args = step.args ?? {};
    if (isPreviousPage(args.cursor)) {
      if (previous === undefined) {
        return { runner: 'the step before gave no next cursor for {"previous-page": true}' };
      }
      args = { ...args, cursor: previous };
    }
    const { answer, nextCursor } = outcome(store, step.op, args);
    if (PAGE_OPS.has(step.op) && step.expect !== null && typeof step.expect === 'object' && 'ok' in step.expect) {
      previous = nextCursor;
    }
    return answer;
  };
}

/** @param {unknown} cursor */
function isPreviousPage(cursor) {
  return cursor !== null && typeof cursor === 'object' && cursor['previous-page'] === true;
}

/**
 * The step's result in the vector's `expect` form (`answer`), and the next cursor when it
 * returned a page.
 */
export function outcome(store, op, args) {
  try {
    const value = call(store, op, args);
    if (PAGE_OPS.has(op)) {
      return {
        answer: { ok: { records: toJson(value.records), 'has-next-cursor': value.nextCursor !== undefined } },
        nextCursor: value.nextCursor,
      };
    }
    return { answer: { ok: toJson(value ?? null) } };
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    const answer = { error: ERROR_CASES.get(error.name) };
    if (error instanceof InvalidInput || error instanceof InvalidTransition) answer.message = error.reason;
    if (error instanceof BackendFailure) answer.backend = error.error.message;
    return { answer };
  }
}
