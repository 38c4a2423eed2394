// The runtime record store of a Game Master, embedded from JavaScript: the rules run in the
// WebAssembly component the Rust host embeds (transpiled by jco, shipped in this package);
// storage is any object implementing the five backend primitives.
export { DEFAULT_COMPONENT_DIR, DEFAULT_MEMORY_LIMIT, RuntimeComponent, rulesIdentityOf, sha256 } from './component.js';
export { RuntimeStore } from './store.js';
export { ComponentMismatch } from './world.js';
export { MemoryBackend } from './memory.js';
export {
  BackendFailure,
  Conflict,
  InvalidInput,
  InvalidTransition,
  NotFound,
  SandboxFailure,
  StoreError,
  SwapError,
  SwapStep,
} from './errors.js';
export {
  BackendError,
  BackendErrorKind,
  InsertOutcome,
  PatchOutcome,
  Status,
  compareGameIds,
  compareScanKeys,
  compareTimestamps,
  scanKeyOf,
  scanMatches,
  storedText,
  timestampAtOrBefore,
} from './types.js';
export { LARGEST_PAGE_LIMIT } from './vocabulary.js';

/** @typedef {import('./model.js').Status} StatusName */
/** @typedef {import('./model.js').Timestamp} Timestamp */
/** @typedef {import('./model.js').TimestampInput} TimestampInput */
/** @typedef {import('./model.js').RuntimeRecord} RuntimeRecord */
/** @typedef {import('./model.js').RuntimeRecordInput} RuntimeRecordInput */
/** @typedef {import('./model.js').UpdateStatusInput} UpdateStatusInput */
/** @typedef {import('./model.js').UpdateSchedulingInput} UpdateSchedulingInput */
/** @typedef {import('./model.js').UpdateImageInput} UpdateImageInput */
/** @typedef {import('./model.js').UpdateEngineHealthInput} UpdateEngineHealthInput */
/** @typedef {import('./model.js').Backend} Backend */
/** @typedef {import('./model.js').RecordPatch} RecordPatch */
/** @typedef {import('./model.js').StatusChange} StatusChange */
/** @typedef {import('./model.js').Scheduling} Scheduling */
/** @typedef {import('./model.js').ScanFilter} ScanFilter */
/** @typedef {import('./model.js').ScanKey} ScanKey */
/** @typedef {import('./model.js').RuntimePage} RuntimePage */
/** @typedef {import('./model.js').PatchOutcome} PatchOutcomeValue */
/** @typedef {import('./model.js').InsertOutcomeName} InsertOutcomeName */
/** @typedef {import('./model.js').BackendErrorKindName} BackendErrorKindName */
/** @typedef {import('./model.js').Operation} Operation */
/** @typedef {import('./model.js').StoreOptions} StoreOptions */
/** @typedef {import('./component.js').RulesIdentity} RulesIdentity */
/** @typedef {import('./errors.js').SwapStepName} SwapStepName */
