// Values jco cannot lower are refused before any storage is touched, and the store goes on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend, RuntimeStore, record } from './support.js';

test('an input jco cannot lower throws before any storage, and the store goes on', async () => {
  const store = await RuntimeStore.open(new MemoryBackend());
  store.insert(record('game-1'));
  assert.throws(() => store.insert({ ...record('game-2'), status: 'paused' }), {
    name: 'TypeError',
    message: /"paused" is not one of the cases of status/,
  });
  assert.deepEqual(
    store.list().map((stored) => stored.gameId),
    ['game-1'],
  );
});
