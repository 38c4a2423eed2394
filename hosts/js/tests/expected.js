// The component every host runs: the committed host/component/runtime-store.wasm. scripts/test
// may also name its SHA-256 in RUNTIME_STORE_SHA256 (what the Rust host embeds); when set,
// the tests check that too.
import { readFileSync } from 'node:fs';
import { COMPONENT_FILE, sha256 } from './support.js';

export const SHA256_ENV = 'RUNTIME_STORE_SHA256';

/** The SHA-256 of the committed component file. */
export function committedSha256() {
  return sha256(readFileSync(COMPONENT_FILE));
}

/** `$RUNTIME_STORE_SHA256`, lowercased, when set. */
export function announcedSha256() {
  return process.env[SHA256_ENV]?.trim().toLowerCase() || undefined;
}
