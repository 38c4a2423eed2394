// Every conformance vector file, each on an empty store, against the in-memory adapter.
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { after, test } from 'node:test';
import { MemoryBackend, RuntimeStore } from './support.js';
import { load, outcome, vectorFiles } from './vectors.js';

const files = vectorFiles();
const counts = { run: 0, passed: 0 };

test('conformance vectors exist', () => {
  assert.ok(files.length > 0, 'no conformance vectors under tests/conformance');
});

for (const path of files) {
  test(`vector file ${basename(path)}`, async () => {
    const store = await RuntimeStore.open(new MemoryBackend());
    const failures = [];
    load(path).steps.forEach((step, index) => {
      counts.run += 1;
      const actual = outcome(store, step.op, step.args);
      try {
        assert.deepStrictEqual(actual, step.expect);
        counts.passed += 1;
      } catch {
        failures.push(
          `step ${index} (${step.op}${step.note ? `: ${step.note}` : ''})\n` +
            `  expected ${JSON.stringify(step.expect)}\n  actual   ${JSON.stringify(actual)}`,
        );
      }
    });
    assert.equal(failures.length, 0, `${basename(path)}: ${failures.length} step(s) failed\n${failures.join('\n')}`);
  });
}

after(() => {
  console.log(`conformance steps (memory adapter): ${counts.run} run, ${counts.passed} passed`);
});
