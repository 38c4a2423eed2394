// The package's transpiled component is the committed one, recorded without absolute paths.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { committedSha256 } from './expected.js';
import { DEFAULT_COMPONENT_DIR, HOST_DIR, REPO_ROOT, MemoryBackend, RuntimeComponent, RuntimeStore } from './support.js';

test('the transpiled component is the committed host/component/runtime-store.wasm', async () => {
  const component = await RuntimeComponent.default();
  assert.equal(component.source.sha256, committedSha256());
  assert.equal(component.source.source, 'host/component/runtime-store.wasm');
});

test('nothing the build writes names a path of the build machine', () => {
  const generated = join(HOST_DIR, 'generated');
  for (const entry of readdirSync(generated, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.wasm')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    assert.ok(!text.includes(REPO_ROOT), `${entry.name} names ${REPO_ROOT}`);
  }
  assert.equal(DEFAULT_COMPONENT_DIR, join(generated, '/'));
});

test('a folder without a transpilation says how to make one', async () => {
  await assert.rejects(RuntimeComponent.load('/nonexistent/generated'), /jco transpile <file.wasm> --instantiation sync/);
});

test('a memory limit below what the component needs at start is refused at once', async () => {
  const component = await RuntimeComponent.default();
  assert.equal(component.initialPages * 65536 > 65536, true);
  await assert.rejects(RuntimeStore.open(new MemoryBackend(), { memoryLimit: 65536 }), {
    name: 'RangeError',
    message: `memoryLimit of 65536 bytes is below the ${component.initialPages * 65536} bytes the component needs at start`,
  });
  assert.throws(() => new RuntimeStore(new MemoryBackend(), component, { memoryLimit: 1.5 }), {
    name: 'TypeError',
    message: 'memoryLimit must be a whole number of bytes, at least 65536; got 1.5',
  });
});

test('a backend without the five primitives is refused when the store is made', async () => {
  const component = await RuntimeComponent.default();
  const { scan, ...partial } = Object.fromEntries(
    ['fetch', 'insert', 'patch', 'remove', 'scan'].map((name) => [name, () => undefined]),
  );
  assert.ok(scan);
  assert.throws(() => new RuntimeStore(/** @type {any} */ (partial), component), {
    name: 'TypeError',
    message: 'RuntimeStore: the backend has no scan method (it needs fetch, insert, patch, remove, scan)',
  });
});
