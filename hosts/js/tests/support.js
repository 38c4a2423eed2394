// What every test file (and bench.mjs) shares: the library under test, the repository root, a record.
import { Status } from '../src/index.js';

export * from '../src/index.js';
export { REPO_ROOT, HOST_DIR } from '../src/component.js';

export const NOW = { seconds: 1_764_000_000n, nanoseconds: 0 };

/** A valid running record of `gameId`. */
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
