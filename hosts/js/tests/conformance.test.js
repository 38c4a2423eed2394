// Every conformance vector file, each on an empty store, against the in-memory adapter:
// with the component in the calling thread, and in worker mode.
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { after, test } from 'node:test';
import { MemoryBackend, RuntimeStore } from './support.js';
import { load, runner, toJson, vectorFiles, PAGE_OPS } from './vectors.js';
import { record } from './support.js';

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

test('the runner resolves {"previous-page": true} to the cursor of the last step expecting an ok page', async () => {
  const store = await RuntimeStore.open(new MemoryBackend());
  const at = (/** @type {number} */ seconds) => ({ seconds, nanoseconds: 0 });
  const vector = (/** @type {string} */ id, /** @type {number} */ seconds) =>
    toJson({ ...record(id), createdAt: at(seconds), updatedAt: at(seconds), nextGenerationAt: at(seconds) });
  const previous = { 'previous-page': true };
  const run = runner(store);
  const page = (/** @type {string[]} */ ids, /** @type {boolean} */ more) => ({
    ok: { records: ids.map((id) => toJson(store.get(id))), 'has-next-cursor': more },
  });
  for (const [id, seconds] of /** @type {const} */ ([['p1', 3], ['p2', 2], ['p3', 1]])) {
    assert.deepEqual(run({ op: 'insert', args: { record: vector(id, seconds) }, expect: { ok: null } }), { ok: null });
  }
  const first = { op: 'list-page', args: { cursor: null, limit: 2 }, expect: page(['p1', 'p2'], true) };
  assert.deepEqual(run(first), first.expect);
  // A step expecting an error does not count, whatever it calls.
  const refused = { error: 'invalid-input', message: 'list runtimes: limit must be between 1 and 500' };
  assert.deepEqual(run({ op: 'list-page', args: { cursor: null, limit: 0 }, expect: refused }), refused);
  // A cursor of the newest-first order handed to the due order is refused.
  const foreign = { error: 'invalid-input', message: 'list due runtimes: cursor is malformed' };
  const now = { seconds: 10, nanoseconds: 0 };
  assert.deepEqual(run({ op: 'list-due-running-page', args: { now, cursor: previous, limit: 2 }, expect: foreign }), foreign);
  const second = { op: 'list-page', args: { cursor: previous, limit: 2 }, expect: page(['p3'], false) };
  assert.deepEqual(run(second), second.expect);
  // The page before ended the list: no cursor to hand on, reported as a failure of the step.
  const after = run({ op: 'list-by-status-page', args: { status: 'running', cursor: previous, limit: 2 }, expect: page([], false) });
  assert.ok('runner' in after, JSON.stringify(after));
  // Arguments go in WIT order whatever the order of the keys.
  const due = { op: 'list-due-running-page', args: { limit: 1, cursor: null, now }, expect: page(['p3'], true) };
  assert.deepEqual(run(due), due.expect);
  assert.deepEqual(run({ ...due, args: { limit: 5, now, cursor: previous }, expect: page(['p2', 'p1'], false) }), page(['p2', 'p1'], false));
  assert.deepEqual(run({ op: 'list-page', args: { cursor: 'not a cursor', limit: 1 }, expect: refused }), {
    error: 'invalid-input',
    message: 'list runtimes: cursor is malformed',
  });
  store.close();
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
