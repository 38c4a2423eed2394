// What every test file shares: the library under test and the repository root.
export * from '../src/index.js';
export { REPO_ROOT, HOST_DIR } from '../src/component.js';
