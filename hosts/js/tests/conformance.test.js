// Every conformance vector file, each on an empty store, against the in-memory adapter:
// with the component in the calling thread, and in worker mode.
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { after, test } from 'node:test';
import { MemoryBackend, RuntimeStore } from './support.js';
import { load, runner, vectorFiles, PAGE_OPS } from './vectors.js';

const files = vectorFiles();
const MODES = { 'in process': {}, 'worker mode': { deadlineMs: 60_000 } };
/** @type {Record<string, {run: number, passed: number}>} */
const counts = Object.fromEntries(Object.keys(MODES).map((mode) => [mode, { run: 0, passed: 0 }]));
/** @type {Record<string, number>} */
const pageSteps = Object.fromEntries(Object.keys(MODES).map((mode) => [mode, 0]));

test('conformance vectors exist', () => {
  assert.ok(files.length > 0, 'no conformance vectors under tests/conformance');
});

test('every vector file with page steps is alone (run here on an empty store, as every file is)', () => {
  for (const path of files) {
    const vectors = load(path);
    if (vectors.steps.some((/** @type {any} */ step) => PAGE_OPS.has(step.op))) {
      assert.equal(vectors.alone, true, `${basename(path)} has page steps but is not "alone"`);
    }
  }
});

for (const [mode, options] of Object.entries(MODES)) {
  for (const path of files) {
    test(`${mode}: vector file ${basename(path)}`, async () => {
      const store = await RuntimeStore.open(new MemoryBackend(), options);
      const failures = [];
      try {
        const run = runner(store);
        load(path).steps.forEach((/** @type {any} */ step, /** @type {number} */ index) => {
          counts[mode].run += 1;
          if (PAGE_OPS.has(step.op)) pageSteps[mode] += 1;
          const actual = run(step);
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
    console.log(`conformance steps (memory adapter, ${mode}): ${run} run (${pageSteps[mode]} of them page steps), ${passed} passed`);
  }
});
