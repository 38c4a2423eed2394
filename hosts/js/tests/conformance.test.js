// Every conformance vector file, each on an empty store, against the in-memory adapter:
// with the component in the calling thread, and in worker mode.
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { after, test } from 'node:test';
import { MemoryBackend, RuntimeStore } from './support.js';
import { load, outcome, vectorFiles } from './vectors.js';

const files = vectorFiles();
const MODES = { 'in process': {}, 'worker mode': { deadlineMs: 60_000 } };
/** @type {Record<string, {run: number, passed: number}>} */
const counts = Object.fromEntries(Object.keys(MODES).map((mode) => [mode, { run: 0, passed: 0 }]));

test('conformance vectors exist', () => {
  assert.ok(files.length > 0, 'no conformance vectors under tests/conformance');
});

for (const [mode, options] of Object.entries(MODES)) {
  for (const path of files) {
    test(`${mode}: vector file ${basename(path)}`, async () => {
      const store = await RuntimeStore.open(new MemoryBackend(), options);
      const failures = [];
      try {
        load(path).steps.forEach((/** @type {any} */ step, /** @type {number} */ index) => {
          counts[mode].run += 1;
          const actual = outcome(store, step.op, step.args);
          try {
            assert.deepStrictEqual(actual, step.expect);
            counts[mode].passed += 1;
          } catch {
            failures.push(
              `step ${index} (${step.op}${step.note ? `: ${step.note}` : ''})\n` +
                `  expected ${JSON.stringify(step.expect)}\n  actual   ${JSON.stringify(actual)}`,
            );
          }
        });
      } finally {
        store.close();
      }
      assert.equal(failures.length, 0, `${basename(path)}: ${failures.length} step(s) failed\n${failures.join('\n')}`);
    });
  }
}

after(() => {
  for (const [mode, { run, passed }] of Object.entries(counts)) {
    console.log(`conformance steps (memory adapter, ${mode}): ${run} run, ${passed} passed`);
  }
});
