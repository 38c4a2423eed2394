// The runtime record store of a Game Master, embedded from JavaScript: the rules run in the
// WebAssembly component the Rust host embeds (transpiled by jco); storage is any object
// implementing the five backend primitives.
export { RuntimeComponent, componentPath, sha256, DEFAULT_WASM, WASM_ENV } from './component.js';
export { RuntimeStore } from './store.js';
export { MemoryBackend } from './memory.js';
export {
  BackendFailure,
  ComponentTrap,
  Conflict,
  InvalidInput,
  InvalidTransition,
  NotFound,
  StoreError,
} from './errors.js';
export {
  BackendError,
  BackendErrorKind,
  InsertOutcome,
  PatchOutcome,
  Status,
  scanMatches,
  storedText,
  timestampAtOrBefore,
} from './types.js';
