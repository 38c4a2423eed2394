// The component every host runs: the committed host/component/runtime-store.wasm, the file the
// Rust host embeds with include_bytes! (scripts/check-packages checks the crate carries it).
import { readFileSync } from 'node:fs';
import { COMPONENT_FILE, sha256 } from './support.js';

/** The SHA-256 of the committed component file. */
export function committedSha256() {
  return sha256(readFileSync(COMPONENT_FILE));
}
