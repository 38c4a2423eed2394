"""The store's words, generated from the runtime-store-vocabulary crate: do not edit.

`UPDATE_GENERATED=1 cargo test -p runtime-store-vocabulary` rewrites this file from `vocabulary/src/lib.rs`.
"""

from typing import Final

# WIT case name -> stored text, in WIT order.
STATUSES: Final[dict[str, str]] = {
    "starting": "starting",
    "running": "running",
    "generation-in-progress": "generation_in_progress",
    "generation-failed": "generation_failed",
    "engine-unreachable": "engine_unreachable",
    "stopped": "stopped",
    "finished": "finished",
}

# WIT function name -> the words that start its messages.
OPERATIONS: Final[dict[str, str]] = {
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
}

# WIT backend-error case -> the words that start its message.
BACKEND_ERROR_KINDS: Final[dict[str, str]] = {
    "unavailable": "storage unavailable",
    "corrupt": "corrupt stored value",
    "failed": "storage failed",
}

NOT_FOUND: Final = "runtime record not found"
RECORD_EXISTS: Final = "a runtime record with this game id exists already"
STATUS_DIFFERS: Final = "the stored status differs from the expected one"
SANDBOX_OUT_OF_FUEL: Final = "the guest ran out of fuel (budget {budget} per call)"
SANDBOX_MEMORY_LIMIT: Final = "the guest exceeded its memory limit of {limit} bytes (asked for {requested})"
SANDBOX_TRAPPED: Final = "the guest trapped: {reason}"
SANDBOX_TRAPPED_NEAR_LIMIT: Final = "the guest trapped (its memory limit is {limit} bytes): {reason}"
SANDBOX_DEADLINE: Final = "the call exceeded its deadline of {milliseconds} ms"
SANDBOX_BACKEND_CALLS: Final = "the guest called the backend more than the {limit} time(s) its operation needs"
SANDBOX_BUSY: Final = "no instance of the rules component became free within {milliseconds} ms (at most {instances} at once)"
SANDBOX_INSTANTIATION: Final = "the rules component could not be instantiated: {reason}"
SANDBOX_RULES: Final = "(rules {rules})"
BOUNDARY_MUST_BE: Final = "{operation}: {field} must be {expected}"
BOUNDARY_INTEGER_IN: Final = "an integer in {min}..={max}"
BOUNDARY_STRING: Final = "a string of Unicode scalar values (no lone surrogates)"
BOUNDARY_BOOLEAN: Final = "a boolean"
BOUNDARY_STATUS: Final = "one of the statuses {statuses}"
BOUNDARY_TIMESTAMP: Final = "a timestamp with seconds and nanoseconds"
BOUNDARY_RECORD: Final = "a value of type {record}"
PAGE_LIMIT_OUT_OF_RANGE: Final = "{operation}: limit must be between 1 and 500"
PAGE_MALFORMED_CURSOR: Final = "{operation}: cursor is malformed"
PAGE_SCAN_OUT_OF_ORDER: Final = "scan answered records out of order, not matching its filter or beyond its limit"
WHITE_SPACE: Final = "\t\n\u000b\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
LARGEST_STRING_PASSED: Final = 8192
LARGEST_PAGE_LIMIT: Final = 500
