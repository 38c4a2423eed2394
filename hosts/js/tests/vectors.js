// Reading conformance vectors (tests/conformance/README.md) and running their steps.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Runs one step's operation; the argument order follows the WIT signatures. */
export function call(store, op, args) {
  const method = camel(op);
  const order = op === 'transition' ? ['from', 'to'] : Object.keys(args);
  return store[method](...order.map((name) => fromJson(args[name])));
}

const ERROR_CASES = new Map([
  ['NotFound', 'not-found'],
  ['Conflict', 'conflict'],
  ['InvalidTransition', 'invalid-transition'],
  ['InvalidInput', 'invalid-input'],
  ['BackendFailure', 'backend'],
]);

/** The step's result in the vector's `expect` form. */
export function outcome(store, op, args) {
  try {
    return { ok: toJson(call(store, op, args) ?? null) };
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    const answer = { error: ERROR_CASES.get(error.name) };
    if (error instanceof InvalidInput || error instanceof InvalidTransition) answer.message = error.reason;
    if (error instanceof BackendFailure) answer.backend = error.error.message;
    return answer;
  }
}
