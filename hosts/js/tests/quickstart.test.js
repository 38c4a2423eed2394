// The quickstart in README.md is examples/quickstart.mjs, verbatim, and prints what the doc says.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { HOST_DIR, REPO_ROOT } from './support.js';

const EXAMPLE = join(HOST_DIR, 'examples', 'quickstart.mjs');
const DOC = join(REPO_ROOT, 'README.md');

test('the doc shows the example verbatim', () => {
  assert.ok(readFileSync(DOC, 'utf8').includes(readFileSync(EXAMPLE, 'utf8')));
});

test('the example runs and prints what the doc shows', () => {
  const run = spawnSync(process.execPath, [EXAMPLE], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.ok(run.stdout.startsWith("running healthy { seconds: 1764000030n, nanoseconds: 123456000 }\n"), run.stdout);
  assert.ok(readFileSync(DOC, 'utf8').includes(run.stdout));
});
