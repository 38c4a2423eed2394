// A runtime record store on a Map; every rule runs in the WebAssembly component.
import { Conflict, InvalidTransition, MemoryBackend, RuntimeStore, Status } from 'runtime-store';

const created = { seconds: 1_764_000_000n, nanoseconds: 0 };
const started = { seconds: 1_764_000_030n, nanoseconds: 123_456_789 };

const store = await RuntimeStore.open(new MemoryBackend());
store.insert({
  gameId: 'game-1',
  status: Status.STARTING,
  engineEndpoint: 'http://engine-1:8080',
  currentImageRef: 'galaxy/engine:1.4.2',
  currentEngineVersion: '1.4.2',
  engineHealth: '',
  currentTurn: 0,
  skipNextTick: false,
  createdAt: created,
  updatedAt: created,
});
const start = {
  gameId: 'game-1',
  expectedFrom: Status.STARTING,
  to: Status.RUNNING,
  now: started,
  engineHealthSummary: 'healthy',
};
store.updateStatus(start);

const record = store.get('game-1');
console.log(record.status, record.engineHealth, record.startedAt);

try {
  store.updateStatus(start); // the stored status is no longer "starting"
} catch (error) {
  if (!(error instanceof Conflict)) throw error;
  console.log('conflict:', error.message);
}

try {
  store.transition(Status.FINISHED, Status.RUNNING);
} catch (error) {
  if (!(error instanceof InvalidTransition)) throw error;
  console.log('rejected:', error.reason);
}

console.log('after running:', store.allowedTransitions(Status.RUNNING).join(', '));
