// jco-transpiles a component the way the package loads it: the package's own
// `src/transpile.js` (used by the build, by the tests for the hostile components, and by
// `RuntimeComponent.fromBytes`). jco's TypeScript declarations are not written: what they
// say about the component's types is recorded in component.json (`declarations`), which
// `RuntimeComponent.load` checks against the runtime-store world.
export { GENERATED_NAME, transpileInto } from '../src/transpile.js';
