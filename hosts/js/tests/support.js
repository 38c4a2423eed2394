// What every test file (and bench.mjs) shares: the library under test, the folders, a record.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Status } from '../src/index.js';

export * from '../src/index.js';

/** The JS host's folder (`hosts/js`). */
export const HOST_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root. */
export const REPO_ROOT = join(HOST_DIR, '..', '..');
/** The committed rules component every host runs. */
export const COMPONENT_FILE = join(REPO_ROOT, 'host', 'component', 'runtime-store.wasm');

export const NOW = { seconds: 1_764_000_000n, nanoseconds: 0 };

/**
 * A valid running record of `gameId`.
 * @param {string} gameId
 * @returns {import('../src/index.js').RuntimeRecord}
 */
export function record(gameId) {
  return {
    gameId,
    status: Status.RUNNING,
    engineEndpoint: 'http://engine:8080',
    currentImageRef: 'galaxy/engine:1',
    currentEngineVersion: '1',
    engineHealth: 'healthy',
    currentTurn: 1,
    nextGenerationAt: undefined,
    skipNextTick: false,
    createdAt: NOW,
    updatedAt: NOW,
    startedAt: undefined,
    stoppedAt: undefined,
    finishedAt: undefined,
  };
}
