// Microseconds per store operation through the component, on the in-memory adapter, with
// the memory bound on (the default 16 MiB): in the calling thread (the default mode) and in
// worker mode (deadlineMs set).
// Run: node hosts/js/bench.mjs   (after `npm ci && npm run build` in hosts/js; not a test;
// numbers vary by machine). `node hosts/js/bench.mjs in-process` measures one mode only.
import { MemoryBackend, RuntimeStore, Status } from './src/index.js';
import { NOW, record as minimalRecord } from './tests/support.js';

// Many short batches, the best kept: the figure least disturbed by other processes.
const BATCHES = 40;
const BATCH_MILLIS = 25;
const MODES = { 'in-process': {}, worker: { deadlineMs: 10_000 } };

/** A running game as a live store holds it: started, its next turn scheduled. */
function record(/** @type {string} */ gameId) {
  return { ...minimalRecord(gameId), nextGenerationAt: { seconds: NOW.seconds + 3600n, nanoseconds: 0 }, startedAt: NOW };
}

/** The best over batches of the mean time per call, after a warm-up batch (least disturbed by other processes). */
function microsPerCall(/** @type {() => unknown} */ operation) {
  let calls = 0;
  const warmUpEnd = performance.now() + BATCH_MILLIS * 4;
  while (performance.now() < warmUpEnd) {
    operation();
    calls += 1;
  }
  calls = Math.max(1, Math.round(calls / 4));
  const samples = [];
  for (let batch = 0; batch < BATCHES; batch += 1) {
    const started = performance.now();
    for (let call = 0; call < calls; call += 1) operation();
    samples.push(((performance.now() - started) / calls) * 1000);
  }
  return Math.min(...samples);
}

async function storeWith(/** @type {number} */ records, /** @type {object} */ options) {
  const store = await RuntimeStore.open(new MemoryBackend(), options);
  for (let index = 0; index < records; index += 1) store.insert(record(`game-${String(index).padStart(4, '0')}`));
  return store;
}

const only = process.argv[2];
for (const [mode, options] of Object.entries(MODES)) {
  if (only !== undefined && only !== mode) continue;
  const store = await storeWith(1, options);
  const [ten, hundred, thousand] = [await storeWith(10, options), await storeWith(100, options), await storeWith(1000, options)];
  const middle = thousand.listPage(undefined, 500).nextCursor;
  let freshIds = 0;
  let flips = 0;
  const statuses = [Status.RUNNING, Status.GENERATION_IN_PROGRESS];
  const operations = {
    get: () => store.get('game-0000'),
    insert: () => store.insert(record(`new-${freshIds++}`)),
    'update-status': () => {
      const flip = flips++;
      store.updateStatus({ gameId: 'game-0000', expectedFrom: statuses[flip % 2], to: statuses[(flip + 1) % 2], now: NOW });
    },
    'list (10 records)': () => ten.list(),
    'list (100 records)': () => hundred.list(),
    'list page of 100 (of 1000)': () => thousand.listPage(middle, 100),
    'rules transition (no storage)': () => store.transition(Status.RUNNING, Status.STOPPED),
  };
  console.log(
    `JavaScript host, Node ${process.version}, ${mode}${'deadlineMs' in options ? ' (deadlineMs set)' : ''}, ` +
      `memory limit ${store.memoryLimit} bytes, in-memory adapter: µs per operation (best of ${BATCHES} batches)`,
  );
  for (const [name, operation] of Object.entries(operations)) {
    console.log(`  ${name.padEnd(32)} ${microsPerCall(operation).toFixed(1).padStart(8)}`);
  }
  for (const each of [store, ten, hundred, thousand]) each.close();
}
