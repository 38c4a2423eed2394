// The boundary between JavaScript values and WIT values. jco 1.35 lowers what it is given
// without range checks (numbers beyond u32 wrap, BigInts beyond s64 wrap, lone surrogates
// become U+FFFD), so every value is checked here before the component sees it:
//
// * a caller's argument a WIT type cannot hold is refused with `InvalidInput`
//   (`<operation words>: <field> must be <expected>`), before any rule runs;
// * a backend answer of the wrong shape becomes a `BackendError` of kind `failed` naming
//   what was wrong.
//
// Strings longer than LARGEST_STRING_PASSED code units are handed to the component as a
// stand-in the rules answer exactly as they would answer the whole string.
import {
  BOUNDARY_BOOLEAN,
  BOUNDARY_INTEGER_IN,
  BOUNDARY_MUST_BE,
  BOUNDARY_RECORD,
  BOUNDARY_STATUS,
  BOUNDARY_STRING,
  BOUNDARY_TIMESTAMP,
  LARGEST_STRING_PASSED,
  OPERATIONS,
  STATUSES,
  WHITE_SPACE,
} from './vocabulary.js';
import { fill } from './errors.js';

/** @typedef {import('./model.js').Operation} Operation */

const U32_MAX = 4294967295;
const S64_MIN = -(2n ** 63n);
const S64_MAX = 2n ** 63n - 1n;
const S64_MIN_NUMBER = -(2 ** 63);
const S64_MAX_NUMBER_EXCLUSIVE = 2 ** 63;

export const EXPECTED_U32 = fill(BOUNDARY_INTEGER_IN, { min: 0, max: U32_MAX });
export const EXPECTED_S64 = fill(BOUNDARY_INTEGER_IN, { min: S64_MIN, max: S64_MAX });
export const EXPECTED_STATUS = fill(BOUNDARY_STATUS, { statuses: Object.keys(STATUSES).join(', ') });

/** A value a WIT type cannot hold: `field` (words) must be `expected`. */
export class BoundaryViolation extends Error {
  /**
   * @param {string} field the field's words (`current turn`, `now seconds`)
   * @param {string} expected what the field must be (one of the BOUNDARY_* texts, filled)
   */
  constructor(field, expected) {
    super(`${field} must be ${expected}`);
    this.name = 'BoundaryViolation';
    this.field = field;
    this.expected = expected;
  }

  /**
   * The whole message for a caller's argument of `operation`.
   * @param {Operation} operation
   */
  messageFor(operation) {
    return fill(BOUNDARY_MUST_BE, { operation: OPERATIONS[operation], field: this.field, expected: this.expected });
  }
}

// --- strings --------------------------------------------------------------------------

const WHITE_SPACE_CLASS = [...WHITE_SPACE].map((c) => `\\u{${c.codePointAt(0)?.toString(16)}}`).join('');
const ALL_WHITE_SPACE = new RegExp(`^[${WHITE_SPACE_CLASS}]*$`, 'u');
const NOT_WHITE_SPACE = new RegExp(`[^${WHITE_SPACE_CLASS}]`, 'gu');

/**
 * What the component is handed for a string longer than LARGEST_STRING_PASSED code units:
 * its first LARGEST_STRING_PASSED code units (one fewer when that would split a surrogate
 * pair), plus its first character outside WHITE_SPACE after them when those are all white
 * space. Blank exactly when the string is, and over every length limit of the rules.
 * @param {string} text a well-formed string
 */
export function standIn(text) {
  if (text.length <= LARGEST_STRING_PASSED) return text;
  let cut = LARGEST_STRING_PASSED;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  const head = text.slice(0, cut);
  if (!ALL_WHITE_SPACE.test(head)) return head;
  NOT_WHITE_SPACE.lastIndex = cut;
  const next = NOT_WHITE_SPACE.exec(text);
  return next === null ? head : head + next[0];
}

// --- checkers -------------------------------------------------------------------------
//
// A checker takes a value and the field's words and gives back the value to lower (copied,
// with integers in jco's representation), or throws a BoundaryViolation. `pass` says what
// happens to strings: `standIn` for a caller's arguments, identity for a backend's answers.

/** @typedef {(text: string) => string} StringPass */
/** @typedef {(value: unknown, field: string, pass: StringPass) => any} Checker */

/** @type {Checker} */
function string(value, field, pass) {
  if (typeof value !== 'string' || !value.isWellFormed()) throw new BoundaryViolation(field, BOUNDARY_STRING);
  return pass(value);
}

/** @type {Checker} */
function u32(value, field) {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= U32_MAX) return value;
  } else if (typeof value === 'bigint' && value >= 0n && value <= BigInt(U32_MAX)) {
    return Number(value);
  }
  throw new BoundaryViolation(field, EXPECTED_U32);
}

/** @type {Checker} */
function s64(value, field) {
  if (typeof value === 'bigint') {
    if (value >= S64_MIN && value <= S64_MAX) return value;
  } else if (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= S64_MIN_NUMBER &&
    value < S64_MAX_NUMBER_EXCLUSIVE
  ) {
    return BigInt(value);
  }
  throw new BoundaryViolation(field, EXPECTED_S64);
}

/** @type {Checker} */
function boolean(value, field) {
  if (typeof value !== 'boolean') throw new BoundaryViolation(field, BOUNDARY_BOOLEAN);
  return value;
}

/** @type {Checker} */
function status(value, field) {
  if (typeof value !== 'string' || !Object.hasOwn(STATUSES, value)) throw new BoundaryViolation(field, EXPECTED_STATUS);
  return value;
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** @type {Checker} */
function timestamp(value, field) {
  if (!isObject(value)) throw new BoundaryViolation(field, BOUNDARY_TIMESTAMP);
  return {
    seconds: s64(value.seconds, `${field} seconds`, identity),
    nanoseconds: u32(value.nanoseconds, `${field} nanoseconds`, identity),
  };
}

/**
 * `option<T>`: `undefined` or `null` is none.
 * @param {Checker} checker
 * @returns {Checker}
 */
function option(checker) {
  return (value, field, pass) => (value === undefined || value === null ? undefined : checker(value, field, pass));
}

/** @param {string} text */
function identity(text) {
  return text;
}

/** @param {string} wit */
const camel = (wit) => wit.replace(/-([a-z])/g, (_, letter) => letter.toUpperCase());
/** @param {string} wit */
const words = (wit) => wit.replaceAll('-', ' ');

/**
 * A WIT record: an object whose fields are checked in WIT order (the first failure is
 * reported); the result holds exactly the WIT fields.
 * @param {string} name the WIT type name (`runtime-record`)
 * @param {Array<[string, Checker]>} fields WIT field names and their checkers
 * @returns {Checker}
 */
function record(name, fields) {
  const expected = fill(BOUNDARY_RECORD, { record: name });
  const plan = fields.map(([wit, checker]) => /** @type {const} */ ([camel(wit), words(wit), checker]));
  return (value, field, pass) => {
    if (!isObject(value)) throw new BoundaryViolation(field, expected);
    /** @type {Record<string, unknown>} */
    const lowered = {};
    for (const [key, fieldWords, checker] of plan) lowered[key] = checker(value[key], fieldWords, pass);
    return lowered;
  };
}

export const RUNTIME_RECORD = record('runtime-record', [
  ['game-id', string],
  ['status', status],
  ['engine-endpoint', string],
  ['current-image-ref', string],
  ['current-engine-version', string],
  ['engine-health', string],
  ['current-turn', u32],
  ['next-generation-at', option(timestamp)],
  ['skip-next-tick', boolean],
  ['created-at', timestamp],
  ['updated-at', timestamp],
  ['started-at', option(timestamp)],
  ['stopped-at', option(timestamp)],
  ['finished-at', option(timestamp)],
]);

const UPDATE_STATUS_INPUT = record('update-status-input', [
  ['game-id', string],
  ['expected-from', status],
  ['to', status],
  ['now', timestamp],
  ['engine-health-summary', option(string)],
  ['current-image-ref', option(string)],
  ['current-engine-version', option(string)],
]);

const UPDATE_SCHEDULING_INPUT = record('update-scheduling-input', [
  ['game-id', string],
  ['next-generation-at', option(timestamp)],
  ['skip-next-tick', boolean],
  ['current-turn', u32],
  ['now', timestamp],
]);

const UPDATE_IMAGE_INPUT = record('update-image-input', [
  ['game-id', string],
  ['expected-status', status],
  ['current-image-ref', string],
  ['current-engine-version', string],
  ['now', timestamp],
]);

const UPDATE_ENGINE_HEALTH_INPUT = record('update-engine-health-input', [
  ['game-id', string],
  ['engine-health-summary', string],
  ['now', timestamp],
]);

/**
 * Each operation: the `store` or `rules` interface, jco's method name, and its parameters
 * (WIT name and checker) in WIT order.
 * @type {Record<Operation, {iface: 'store' | 'rules', method: string, params: Array<[string, Checker]>}>}
 */
export const SIGNATURES = {
  get: { iface: 'store', method: 'get', params: [['game-id', string]] },
  insert: { iface: 'store', method: 'insert', params: [['record', RUNTIME_RECORD]] },
  'update-status': { iface: 'store', method: 'updateStatus', params: [['input', UPDATE_STATUS_INPUT]] },
  'update-scheduling': { iface: 'store', method: 'updateScheduling', params: [['input', UPDATE_SCHEDULING_INPUT]] },
  'update-image': { iface: 'store', method: 'updateImage', params: [['input', UPDATE_IMAGE_INPUT]] },
  'update-engine-health': {
    iface: 'store',
    method: 'updateEngineHealth',
    params: [['input', UPDATE_ENGINE_HEALTH_INPUT]],
  },
  delete: { iface: 'store', method: 'delete', params: [['game-id', string]] },
  'list-due-running': { iface: 'store', method: 'listDueRunning', params: [['now', timestamp]] },
  'list-by-status': { iface: 'store', method: 'listByStatus', params: [['status', status]] },
  list: { iface: 'store', method: 'list', params: [] },
  'list-due-running-page': {
    iface: 'store',
    method: 'listDueRunningPage',
    params: [['now', timestamp], ['cursor', option(string)], ['limit', u32]],
  },
  'list-by-status-page': {
    iface: 'store',
    method: 'listByStatusPage',
    params: [['status', status], ['cursor', option(string)], ['limit', u32]],
  },
  'list-page': { iface: 'store', method: 'listPage', params: [['cursor', option(string)], ['limit', u32]] },
  transition: { iface: 'rules', method: 'transition', params: [['from', status], ['to', status]] },
  'allowed-transitions': { iface: 'rules', method: 'allowedTransitions', params: [['from', status]] },
  'validate-record': { iface: 'rules', method: 'validateRecord', params: [['record', RUNTIME_RECORD]] },
  'validate-update-status': {
    iface: 'rules',
    method: 'validateUpdateStatus',
    params: [['input', UPDATE_STATUS_INPUT]],
  },
  'validate-update-scheduling': {
    iface: 'rules',
    method: 'validateUpdateScheduling',
    params: [['input', UPDATE_SCHEDULING_INPUT]],
  },
  'validate-update-image': { iface: 'rules', method: 'validateUpdateImage', params: [['input', UPDATE_IMAGE_INPUT]] },
  'validate-update-engine-health': {
    iface: 'rules',
    method: 'validateUpdateEngineHealth',
    params: [['input', UPDATE_ENGINE_HEALTH_INPUT]],
  },
};

/**
 * A caller's arguments for `operation`, checked and lowered (long strings as stand-ins).
 * Throws a BoundaryViolation naming the first field a WIT type cannot hold.
 * @param {Operation} operation
 * @param {unknown[]} args
 * @returns {unknown[]}
 */
export function lowerArguments(operation, args) {
  const { params } = SIGNATURES[operation];
  return params.map(([name, checker], index) => checker(args[index], words(name), standIn));
}

/**
 * A record a backend answered, checked and lowered as is (no stand-ins: the record goes back
 * to the caller). Throws a BoundaryViolation.
 * @param {unknown} value
 * @returns {import('./model.js').RuntimeRecord}
 */
export function backendRecord(value) {
  return RUNTIME_RECORD(value, 'the record', identity);
}

/**
 * A status a backend answered. Throws a BoundaryViolation.
 * @param {unknown} value
 * @returns {import('./model.js').Status}
 */
export function backendStatus(value) {
  return status(value, 'the stored status', identity);
}
