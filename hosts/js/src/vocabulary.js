// The store's words, generated from the runtime-store-vocabulary crate: do not edit.
// `UPDATE_GENERATED=1 cargo test -p runtime-store-vocabulary` rewrites this file from `vocabulary/src/lib.rs`.

/** WIT case name -> stored text, in WIT order. */
export const STATUSES = Object.freeze({
  "starting": "starting",
  "running": "running",
  "generation-in-progress": "generation_in_progress",
  "generation-failed": "generation_failed",
  "engine-unreachable": "engine_unreachable",
  "stopped": "stopped",
  "finished": "finished",
});

/** WIT function name -> the words that start its messages. */
export const OPERATIONS = Object.freeze({
  "get": "get runtime record",
  "insert": "insert runtime record",
  "update-status": "update runtime status",
  "update-scheduling": "update runtime scheduling",
  "update-image": "update runtime image",
  "update-engine-health": "update runtime engine health",
  "delete": "delete runtime record",
  "list-due-running": "list due runtimes",
  "list-by-status": "list runtimes by status",
  "list": "list runtimes",
  "list-due-running-page": "list due runtimes",
  "list-by-status-page": "list runtimes by status",
  "list-page": "list runtimes",
  "transition": "check runtime status transition",
  "allowed-transitions": "list allowed runtime status transitions",
  "validate-record": "validate runtime record",
  "validate-update-status": "validate runtime status update",
  "validate-update-scheduling": "validate runtime scheduling update",
  "validate-update-image": "validate runtime image update",
  "validate-update-engine-health": "validate runtime engine health update",
});

/** WIT backend-error case -> the words that start its message. */
export const BACKEND_ERROR_KINDS = Object.freeze({
  "unavailable": "storage unavailable",
  "corrupt": "corrupt stored value",
  "failed": "storage failed",
});

export const NOT_FOUND = "runtime record not found";
export const RECORD_EXISTS = "a runtime record with this game id exists already";
export const STATUS_DIFFERS = "the stored status differs from the expected one";
export const SANDBOX_OUT_OF_FUEL = "the guest ran out of fuel (budget {budget} per call)";
export const SANDBOX_MEMORY_LIMIT = "the guest exceeded its memory limit of {limit} bytes (asked for {requested})";
export const SANDBOX_TRAPPED = "the guest trapped: {reason}";
export const SANDBOX_TRAPPED_NEAR_LIMIT = "the guest trapped (its memory limit is {limit} bytes): {reason}";
export const SANDBOX_DEADLINE = "the call exceeded its deadline of {milliseconds} ms";
export const SANDBOX_BACKEND_CALLS = "the guest called the backend more than the {limit} time(s) its operation needs";
export const SANDBOX_BUSY = "no instance of the rules component became free within {milliseconds} ms (at most {instances} at once)";
export const SANDBOX_INSTANTIATION = "the rules component could not be instantiated: {reason}";
export const SANDBOX_RULES = "(rules {rules})";
export const BOUNDARY_MUST_BE = "{operation}: {field} must be {expected}";
export const BOUNDARY_INTEGER_IN = "an integer in {min}..={max}";
export const BOUNDARY_STRING = "a string of Unicode scalar values (no lone surrogates)";
export const BOUNDARY_BOOLEAN = "a boolean";
export const BOUNDARY_STATUS = "one of the statuses {statuses}";
export const BOUNDARY_TIMESTAMP = "a timestamp with seconds and nanoseconds";
export const BOUNDARY_RECORD = "a value of type {record}";
export const PAGE_LIMIT_OUT_OF_RANGE = "{operation}: limit must be between 1 and 500";
export const PAGE_MALFORMED_CURSOR = "{operation}: cursor is malformed";
export const PAGE_SCAN_OUT_OF_ORDER = "scan answered records out of order, not matching its filter or beyond its limit";
export const WHITE_SPACE = "\t\n\u000b\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
export const LARGEST_STRING_PASSED = 8192;
export const LARGEST_PAGE_LIMIT = 500;
