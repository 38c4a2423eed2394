// Microseconds per store operation through the component, on the in-memory adapter.
// Run: node hosts/js/bench.mjs (after `npm run transpile`; not a test; numbers vary by machine)
import { MemoryBackend, RuntimeStore, Status } from './src/index.js';
import { NOW, record as minimalRecord } from './tests/support.js';

const BATCHES = 5;
const BATCH_MILLIS = 300;

/** A running game as a live store holds it: started, its next turn scheduled. */
function record(gameId) {
  return { ...minimalRecord(gameId), nextGenerationAt: { seconds: NOW.seconds + 3600n, nanoseconds: 0 }, startedAt: NOW };
}

/** The best over batches of the mean time per call, after a warm-up batch (least disturbed by other processes). */
function microsPerCall(operation) {
  let calls = 0;
  const warmUpEnd = performance.now() + BATCH_MILLIS / 3;
  while (performance.now() < warmUpEnd) {
    operation();
    calls += 1;
  }
  const samples = [];
  for (let batch = 0; batch < BATCHES; batch += 1) {
    const started = performance.now();
    for (let call = 0; call < calls; call += 1) operation();
    samples.push(((performance.now() - started) / calls) * 1000);
  }
  return Math.min(...samples);
}

async function storeWith(records) {
  const store = await RuntimeStore.open(new MemoryBackend());
  for (let index = 0; index < records; index += 1) store.insert(record(`game-${String(index).padStart(4, '0')}`));
  return store;
}

const store = await storeWith(1);
const [ten, hundred] = [await storeWith(10), await storeWith(100)];
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
  'rules transition (no storage)': () => store.transition(Status.RUNNING, Status.STOPPED),
};

console.log(`JavaScript host, Node ${process.version}, jco transpile, in-memory adapter: µs per operation (best of ${BATCHES} batches)`);
for (const [name, operation] of Object.entries(operations)) {
  console.log(`  ${name.padEnd(32)} ${microsPerCall(operation).toFixed(1).padStart(8)}`);
}
