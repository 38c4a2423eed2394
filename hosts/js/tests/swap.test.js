// Live rules swap (`store.swapRules`), as the Rust host's `swap_rules`: a candidate goes
// live only after load, instantiation and a gate run against it on a scratch backend; a
// refused candidate leaves the serving rules in place, and the refusal names the step, the
// reason and both builds. In process and in worker mode.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'node:test';
import {
  COMPONENT_FILE,
  Conflict,
  MemoryBackend,
  NotFound,
  REPO_ROOT,
  RuntimeComponent,
  RuntimeStore,
  SandboxFailure,
  SwapError,
  SwapStep,
  record,
  rulesIdentityOf,
  sha256,
} from './support.js';

/**
 * The committed rules with a custom section appended (`0x00, size, name length, name,
 * payload`): the same behaviour, another build (another SHA-256).
 */
async function otherBuild() {
  const name = new TextEncoder().encode('build-tag');
  const payload = new TextEncoder().encode('second build');
  const committed = await readFile(COMPONENT_FILE);
  const section = [name.length, ...name, ...payload];
  return new Uint8Array([...committed, 0, section.length, ...section]);
}

/** @param {string} stem */
const hostile = (stem) => readFile(join(REPO_ROOT, 'tests', 'hostile', `${stem}.wasm`));

/**
 * A few calls whose answers the contract fixes; throws to refuse the candidate.
 * @param {RuntimeStore} candidate
 */
function smokeGate(candidate) {
  candidate.insert(record('gate-1'));
  assert.throws(() => candidate.insert(record('gate-1')), Conflict);
  assert.deepEqual(candidate.get('gate-1'), record('gate-1'));
}

/** A memory backend recording the rules build serving the store at each fetch and patch. */
class Witness extends MemoryBackend {
  /** @type {RuntimeStore | undefined} */
  store;
  /** @type {string[]} */
  seen = [];
  /** @param {string} gameId */
  fetch(gameId) {
    this.seen.push(/** @type {RuntimeStore} */ (this.store).rulesIdentity.sha256);
    return super.fetch(gameId);
  }
  /**
   * @param {string} gameId
   * @param {any} expected
   * @param {any} changes
   */
  patch(gameId, expected, changes) {
    this.seen.push(/** @type {RuntimeStore} */ (this.store).rulesIdentity.sha256);
    return super.patch(gameId, expected, changes);
  }
}

for (const mode of [{}, { deadlineMs: 5000 }]) {
  const label = mode.deadlineMs ? 'worker mode' : 'in process';

  test(`${label}: a swap under concurrent calls fails no call and each call is answered by one build`, async () => {
    const backend = new Witness();
    const store = await RuntimeStore.open(backend, mode);
    backend.store = store;
    try {
      const first = store.rulesIdentity;
      assert.deepEqual(first, rulesIdentityOf(await readFile(COMPONENT_FILE)));
      const tasks = 8;
      for (let task = 0; task < tasks; task += 1) store.insert(record(`game-${task}`));
      backend.seen.length = 0;
      let swapped = false;
      const callsAfterSwap = 5;
      /** @type {number[]} */
      const calls = [];
      /** @param {number} task */
      const caller = async (task) => {
        let call = 0;
        let after = 0;
        // Until the swap is done, and a few calls after it.
        while (after < callsAfterSwap) {
          if (swapped) after += 1;
          const gameId = `game-${task}`;
          if (call % 2 === 0) {
            assert.equal(store.get(gameId).gameId, gameId);
          } else {
            store.updateEngineHealth({ gameId, engineHealthSummary: `check ${call}`, now: { seconds: 1_764_000_100n + BigInt(call), nanoseconds: 0 } });
          }
          call += 1;
          await tick();
        }
        calls[task] = call;
      };
      const callers = Array.from({ length: tasks }, (_, task) => caller(task));
      await tick();
      const second = await store.swapRules(await otherBuild(), smokeGate);
      swapped = true;
      await Promise.all(callers); // rejects if any call failed
      assert.notEqual(second.sha256, first.sha256);
      assert.deepEqual(second, rulesIdentityOf(await otherBuild()));
      assert.deepEqual(store.rulesIdentity, second);
      // One backend call per caller's call, each on one of the two builds; both answered,
      // first the one then the other.
      assert.equal(backend.seen.length, calls.reduce((total, count) => total + count, 0));
      assert.deepEqual(new Set(backend.seen), new Set([first.sha256, second.sha256]));
      const switched = backend.seen.indexOf(second.sha256);
      assert.ok(switched > 0, 'calls were answered by the first build while the swap ran');
      assert.ok(backend.seen.slice(switched).every((seen) => seen === second.sha256));
      assert.ok(backend.seen.length - switched >= tasks * callsAfterSwap);
      // The gate ran on its own backend.
      assert.throws(() => store.get('gate-1'), NotFound);
    } finally {
      store.close();
    }
  });

  test(`${label}: a sandbox failure after a swap names the new build`, async () => {
    const store = await RuntimeStore.open(new MemoryBackend(), mode);
    try {
      const trap = await hostile('trap');
      const identity = await store.swapRules(trap, () => {});
      assert.deepEqual(identity, { sha256: sha256(trap), size: trap.length });
      assert.throws(
        () => store.get('g1'),
        (/** @type {any} */ error) => {
          assert.ok(error instanceof SandboxFailure, String(error));
          assert.deepEqual(error.rules, identity);
          assert.ok(error.message.endsWith(` (rules ${identity.sha256.slice(0, 12)})`), error.message);
          return true;
        },
      );
      // And back, to a loaded component.
      const committed = await RuntimeComponent.default();
      assert.deepEqual(await store.swapRules(committed, smokeGate), committed.rulesIdentity);
      store.insert(record('g1'));
      assert.deepEqual(store.get('g1'), record('g1'));
    } finally {
      store.close();
    }
  });

  for (const [stem, step, says] of /** @type {const} */ ([
    ['wrong-types', SwapStep.LOAD, '`get`'],
    ['trap-on-start', SwapStep.INSTANTIATION, 'the rules component could not be instantiated: '],
    ['trap', SwapStep.GATE, 'insert runtime record "gate-1": the guest trapped'],
  ])) {
    test(`${label}: ${stem} is refused at ${step} and the old rules keep serving`, async () => {
      const store = await RuntimeStore.open(new MemoryBackend(), mode);
      try {
        store.insert(record('kept'));
        const serving = store.rulesIdentity;
        const wasm = await hostile(stem);
        /** @type {unknown[]} */
        const gateRan = [];
        await assert.rejects(
          store.swapRules(wasm, (candidate) => {
            gateRan.push(candidate.rulesIdentity);
            candidate.insert(record('gate-1'));
          }),
          (/** @type {any} */ error) => {
            assert.ok(error instanceof SwapError, String(error));
            assert.equal(error.step, step, error.message);
            assert.ok(error.reason.includes(says), error.message);
            assert.deepEqual(error.candidate, { sha256: sha256(wasm), size: wasm.length });
            assert.deepEqual(error.serving, serving);
            const words = { load: 'load (compile and type-check)', instantiation: 'instantiation', gate: 'the conformance gate' }[step];
            const short = (/** @type {string} */ sha) => sha.slice(0, 12);
            assert.ok(
              error.message.startsWith(`swap rules to sha256 ${short(sha256(wasm))} (${wasm.length} bytes): refused at ${words}: `),
              error.message,
            );
            assert.ok(error.message.endsWith(`(the rules sha256 ${short(serving.sha256)} (${serving.size} bytes) keep serving)`), error.message);
            return true;
          },
        );
        assert.deepEqual(gateRan, step === SwapStep.GATE ? [{ sha256: sha256(wasm), size: wasm.length }] : []);
        assert.deepEqual(store.rulesIdentity, serving);
        assert.deepEqual(store.get('kept'), record('kept'));
        assert.deepEqual(store.list().map((item) => item.gameId), ['kept']);
      } finally {
        store.close();
      }
    });
  }
}

test('swaps run one at a time, and a refused one does not stop the next', async () => {
  const store = await RuntimeStore.open(new MemoryBackend());
  const other = await otherBuild();
  const [refused, second] = await Promise.allSettled([
    store.swapRules(await hostile('trap-on-start'), () => {}),
    store.swapRules(other, smokeGate),
  ]);
  assert.equal(refused.status, 'rejected');
  assert.deepEqual(second, { status: 'fulfilled', value: rulesIdentityOf(other) });
  await assert.rejects(store.swapRules(other, /** @type {any} */ (undefined)), TypeError);
  assert.deepEqual(store.rulesIdentity, rulesIdentityOf(other));
});
