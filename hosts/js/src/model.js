// The values of the WIT package `galaxy:gamemaster@0.2.0` as this package maps them (types
// only; nothing runs here). Records are plain objects with camelCase keys; `option<T>` is
// `undefined` (a missing key, or `null` on input) or the value; statuses are WIT case names.

/**
 * A WIT `status`: the WIT case name.
 * @typedef {'starting' | 'running' | 'generation-in-progress' | 'generation-failed'
 *   | 'engine-unreachable' | 'stopped' | 'finished'} Status
 */

/**
 * An instant in UTC since the Unix epoch, as the store returns it: `seconds` is a WIT
 * `s64` (always a bigint), `nanoseconds` a `u32`.
 * @typedef {object} Timestamp
 * @property {bigint} seconds
 * @property {number} nanoseconds
 */

/**
 * A timestamp as the store accepts it: `seconds` is a bigint or an integral number within
 * s64; `nanoseconds` an integral number (or bigint) within u32.
 * @typedef {object} TimestampInput
 * @property {bigint | number} seconds
 * @property {number | bigint} nanoseconds
 */

/**
 * One game's runtime record, as the store returns it and hands it to a backend.
 * @typedef {object} RuntimeRecord
 * @property {string} gameId
 * @property {Status} status
 * @property {string} engineEndpoint
 * @property {string} currentImageRef
 * @property {string} currentEngineVersion
 * @property {string} engineHealth
 * @property {number} currentTurn
 * @property {Timestamp | undefined} [nextGenerationAt]
 * @property {boolean} skipNextTick
 * @property {Timestamp} createdAt
 * @property {Timestamp} updatedAt
 * @property {Timestamp | undefined} [startedAt]
 * @property {Timestamp | undefined} [stoppedAt]
 * @property {Timestamp | undefined} [finishedAt]
 */

/**
 * A runtime record as the store accepts it (from callers, and from a backend's answers).
 * @typedef {object} RuntimeRecordInput
 * @property {string} gameId
 * @property {Status} status
 * @property {string} engineEndpoint
 * @property {string} currentImageRef
 * @property {string} currentEngineVersion
 * @property {string} engineHealth
 * @property {number | bigint} currentTurn
 * @property {TimestampInput | null} [nextGenerationAt]
 * @property {boolean} skipNextTick
 * @property {TimestampInput} createdAt
 * @property {TimestampInput} updatedAt
 * @property {TimestampInput | null} [startedAt]
 * @property {TimestampInput | null} [stoppedAt]
 * @property {TimestampInput | null} [finishedAt]
 */

/**
 * One status transition under a compare-and-swap guard on the stored status.
 * @typedef {object} UpdateStatusInput
 * @property {string} gameId
 * @property {Status} expectedFrom
 * @property {Status} to
 * @property {TimestampInput} now
 * @property {string | null} [engineHealthSummary]
 * @property {string | null} [currentImageRef]
 * @property {string | null} [currentEngineVersion]
 */

/**
 * New scheduling columns, written together.
 * @typedef {object} UpdateSchedulingInput
 * @property {string} gameId
 * @property {TimestampInput | null} [nextGenerationAt]
 * @property {boolean} skipNextTick
 * @property {number | bigint} currentTurn
 * @property {TimestampInput} now
 */

/**
 * A new engine image under a compare-and-swap guard on the stored status.
 * @typedef {object} UpdateImageInput
 * @property {string} gameId
 * @property {Status} expectedStatus
 * @property {string} currentImageRef
 * @property {string} currentEngineVersion
 * @property {TimestampInput} now
 */

/**
 * A new engine health summary, applied from any status.
 * @typedef {object} UpdateEngineHealthInput
 * @property {string} gameId
 * @property {string} engineHealthSummary
 * @property {TimestampInput} now
 */

/**
 * A WIT `backend-error` case.
 * @typedef {'unavailable' | 'corrupt' | 'failed'} BackendErrorKindName
 */

/**
 * A WIT `backend-error` value.
 * @typedef {{ tag: BackendErrorKindName, val: string }} BackendErrorVariant
 */

/**
 * A WIT `store-error` value as jco throws it.
 * @typedef {{ tag: 'not-found' } | { tag: 'conflict' } | { tag: 'invalid-transition', val: string }
 *   | { tag: 'invalid-input', val: string } | { tag: 'backend', val: BackendErrorVariant }} StoreErrorVariant
 */

/**
 * The answer of a backend `insert`.
 * @typedef {'inserted' | 'already-exists'} InsertOutcomeName
 */

/**
 * A new status and the lifecycle stamps that go with it; `undefined` leaves a stamp alone.
 * @typedef {object} StatusChange
 * @property {Status} to
 * @property {Timestamp | undefined} [startedAt]
 * @property {Timestamp | undefined} [stoppedAt]
 * @property {Timestamp | undefined} [finishedAt]
 */

/**
 * The scheduling columns, written together.
 * @typedef {object} Scheduling
 * @property {Timestamp | undefined} [nextGenerationAt]
 * @property {boolean} skipNextTick
 * @property {number} currentTurn
 */

/**
 * Column changes a backend `patch` applies together; `undefined` leaves a column alone.
 * `updatedAt` is always written.
 * @typedef {object} RecordPatch
 * @property {StatusChange | undefined} [status]
 * @property {Scheduling | undefined} [scheduling]
 * @property {string | undefined} [currentImageRef]
 * @property {string | undefined} [currentEngineVersion]
 * @property {string | undefined} [engineHealth]
 * @property {Timestamp} updatedAt
 */

/**
 * The answer of a backend `patch` (see `PatchOutcome`).
 * @typedef {{ tag: 'applied' } | { tag: 'not-found' } | { tag: 'status-mismatch', val: Status }} PatchOutcome
 */

/**
 * Which records a backend `scan` returns, and in which order (see `scanMatches` and
 * `compareScanKeys`): `all` and `by-status` newest `createdAt` first, then game id
 * ascending; `due-running` (status running and `nextGenerationAt` at or before the instant)
 * earliest `nextGenerationAt` first, then game id ascending. Game ids compare by their UTF-8
 * bytes (`compareGameIds`), not as JavaScript compares strings.
 * @typedef {{ tag: 'all' } | { tag: 'by-status', val: Status } | { tag: 'due-running', val: Timestamp }} ScanFilter
 */

/**
 * A position in a scan filter's order: the record with this game id and this `at` (its
 * `createdAt` for `all` and `by-status`, its `nextGenerationAt` for `due-running`).
 * @typedef {object} ScanKey
 * @property {Timestamp} at
 * @property {string} gameId
 */

/**
 * One page of a list: at most the asked number of records, in the list's order, and the
 * cursor of the next page (`undefined` when this page ends the list). The cursor is opaque:
 * hand it back unchanged to the same list's page method.
 * @typedef {object} RuntimePage
 * @property {RuntimeRecord[]} records
 * @property {string | undefined} nextCursor
 */

/**
 * A storage adapter: five synchronous primitives that only persist (never validate or
 * derive; `scan` serves its filter's order, from an ordered structure or an index). A failure is reported by throwing a `BackendError`; anything else thrown, or an
 * answer of the wrong shape, reaches the caller as a `BackendFailure` of kind `failed`.
 * @typedef {object} Backend
 * @property {(gameId: string) => RuntimeRecordInput | undefined | null} fetch
 *   the record of `gameId`, if any
 * @property {(record: RuntimeRecord) => InsertOutcomeName} insert
 *   stores a new record unless one with the same game id exists
 * @property {(gameId: string, expectedStatus: Status | undefined, changes: RecordPatch) => PatchOutcome} patch
 *   atomically: when a record exists and (`expectedStatus` is undefined or equals the stored
 *   status) applies every change; otherwise writes nothing
 * @property {(gameId: string) => void} remove
 *   removes the record if it exists
 * @property {(filter: ScanFilter, after: ScanKey | undefined, limit: number) => RuntimeRecordInput[]} scan
 *   the first `limit` records matching `filter` that come strictly after `after` in the
 *   filter's order (from the start when `after` is undefined), in that order. `limit` is
 *   one more than the page's (2..=501 from this package's store: the extra record tells
 *   whether a next page exists); treat it as a bound, not a size to allocate. The rules
 *   check the answer: a record out of order, not after `after`, not matching the
 *   filter or beyond `limit` makes the call a `BackendFailure` of kind `failed`
 */

/**
 * A WIT function of the `store` or `rules` interface.
 * @typedef {'get' | 'insert' | 'update-status' | 'update-scheduling' | 'update-image'
 *   | 'update-engine-health' | 'delete' | 'list-due-running' | 'list-by-status' | 'list'
 *   | 'list-due-running-page' | 'list-by-status-page' | 'list-page'
 *   | 'transition' | 'allowed-transitions' | 'validate-record' | 'validate-update-status'
 *   | 'validate-update-scheduling' | 'validate-update-image' | 'validate-update-engine-health'} Operation
 */

/**
 * How a store runs the component.
 * @typedef {object} StoreOptions
 * @property {number} [memoryLimit] bytes of linear memory one instance may use (default
 *   16 MiB = 16777216; whole 64 KiB pages count, at most 4 GiB); growing past it fails and
 *   the call ends in a `SandboxFailure`
 * @property {boolean} [worker] run the component in a worker thread (worker mode): the only
 *   mode with a CPU bound, `deadlineMs`. Default: false (in process, no CPU bound), or true
 *   when `deadlineMs` is given
 * @property {number} [deadlineMs] worker mode: a call whose time outside the adapter passes
 *   this many milliseconds is stopped (the worker is terminated) with a `SandboxFailure`
 *   "the call exceeded its deadline of N ms"; 10 to 3600000, default 1000 (the Rust host's
 *   `deadline_per_call`). Giving it chooses worker mode
 * @property {number} [startupTimeoutMs] worker mode: how long a call waits for a fresh worker
 *   to load the component (default 30000)
 */

export {};
