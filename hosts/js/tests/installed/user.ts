// A user's TypeScript program against the installed package: its own adapter class, the
// store's operations and errors. check.sh type-checks it with `tsc --strict --noEmit`, then
// compiles and runs it.
import {
  BackendError,
  BackendFailure,
  Conflict,
  InsertOutcome,
  InvalidInput,
  NotFound,
  PatchOutcome,
  RuntimeStore,
  SandboxFailure,
  Status,
  StoreError,
  compareScanKeys,
  LARGEST_PAGE_LIMIT,
  scanKeyOf,
  scanMatches,
  storedText,
  type Backend,
  type InsertOutcomeName,
  type PatchOutcomeValue,
  type RecordPatch,
  type RuntimePage,
  type RuntimeRecord,
  type ScanFilter,
  type ScanKey,
  type StatusName,
  type Timestamp,
} from 'runtime-store';

/** An adapter keeping records in an array, failing on demand. */
class ArrayBackend implements Backend {
  readonly records: RuntimeRecord[] = [];
  down = false;

  fetch(gameId: string): RuntimeRecord | undefined {
    this.check();
    return this.records.find((record) => record.gameId === gameId);
  }

  insert(record: RuntimeRecord): InsertOutcomeName {
    this.check();
    if (this.fetch(record.gameId)) return InsertOutcome.ALREADY_EXISTS;
    this.records.push(record);
    return InsertOutcome.INSERTED;
  }

  patch(gameId: string, expectedStatus: StatusName | undefined, changes: RecordPatch): PatchOutcomeValue {
    this.check();
    const index = this.records.findIndex((record) => record.gameId === gameId);
    if (index < 0) return PatchOutcome.notFound();
    const stored = this.records[index];
    if (expectedStatus !== undefined && stored.status !== expectedStatus) return PatchOutcome.statusMismatch(stored.status);
    const next: RuntimeRecord = { ...stored, updatedAt: changes.updatedAt };
    if (changes.status) {
      const { to, startedAt, stoppedAt, finishedAt } = changes.status;
      next.status = to;
      next.startedAt = startedAt ?? stored.startedAt;
      next.stoppedAt = stoppedAt ?? stored.stoppedAt;
      next.finishedAt = finishedAt ?? stored.finishedAt;
    }
    if (changes.scheduling) {
      next.nextGenerationAt = changes.scheduling.nextGenerationAt;
      next.skipNextTick = changes.scheduling.skipNextTick;
      next.currentTurn = changes.scheduling.currentTurn;
    }
    if (changes.currentImageRef !== undefined) next.currentImageRef = changes.currentImageRef;
    if (changes.currentEngineVersion !== undefined) next.currentEngineVersion = changes.currentEngineVersion;
    if (changes.engineHealth !== undefined) next.engineHealth = changes.engineHealth;
    this.records[index] = next;
    return PatchOutcome.applied();
  }

  remove(gameId: string): void {
    this.check();
    const index = this.records.findIndex((record) => record.gameId === gameId);
    if (index >= 0) this.records.splice(index, 1);
  }

  scan(filter: ScanFilter, after: ScanKey | undefined, limit: number): RuntimeRecord[] {
    this.check();
    // No index here: filter, sort into the filter's order, start after `after`, cut.
    return this.records
      .filter((record) => scanMatches(filter, record))
      .filter((record) => after === undefined || compareScanKeys(filter, after, scanKeyOf(filter, record)) < 0)
      .sort((a, b) => compareScanKeys(filter, scanKeyOf(filter, a), scanKeyOf(filter, b)))
      .slice(0, limit);
  }

  private check(): void {
    if (this.down) throw BackendError.unavailable('the array is down');
  }
}

const now: Timestamp = { seconds: 1_764_000_000n, nanoseconds: 0 };
const backend = new ArrayBackend();
const store: RuntimeStore = await RuntimeStore.open(backend, { memoryLimit: 32 * 1024 * 1024 });

store.insert({
  gameId: 'game-1',
  status: Status.STARTING,
  engineEndpoint: 'http://engine-1:8080',
  currentImageRef: 'galaxy/engine:1',
  currentEngineVersion: '1',
  engineHealth: '',
  currentTurn: 0,
  skipNextTick: false,
  createdAt: now,
  updatedAt: now,
});
store.updateStatus({ gameId: 'game-1', expectedFrom: 'starting', to: 'running', now: { seconds: 1_764_000_001, nanoseconds: 0 } });
const record: RuntimeRecord = store.get('game-1');
const seconds: bigint | undefined = record.startedAt?.seconds;
const lines: string[] = [`${record.gameId} ${storedText(record.status)} started ${seconds}`];

// Pages: three more games, read two at a time, newest first; the whole list is assembled
// from pages too.
for (const [index, gameId] of ['game-2', 'game-3', 'game-4'].entries()) {
  const created: Timestamp = { seconds: now.seconds + BigInt(index + 1), nanoseconds: 0 };
  store.insert({ ...record, gameId, createdAt: created, updatedAt: created, startedAt: undefined });
}
let cursor: string | undefined;
do {
  const page: RuntimePage = store.listPage(cursor, 2);
  lines.push(`page: ${page.records.map((listed) => listed.gameId).join(' ')}${page.nextCursor === undefined ? ' (last)' : ''}`);
  cursor = page.nextCursor;
} while (cursor !== undefined);
const running: RuntimeRecord[] = store.listByStatus(Status.RUNNING);
lines.push(`running: ${running.length}, pages of at most ${LARGEST_PAGE_LIMIT}`);

function describe(error: unknown): string {
  if (error instanceof NotFound || error instanceof Conflict) return `${error.name} (${error.operation}): ${error.message}`;
  if (error instanceof InvalidInput) return `InvalidInput: ${error.reason}`;
  if (error instanceof BackendFailure) return `BackendFailure ${error.error.kind}: ${error.message}`;
  if (error instanceof SandboxFailure) return `SandboxFailure: ${error.reason}`;
  if (error instanceof StoreError) return `StoreError: ${error.message}`;
  throw error;
}

for (const attempt of [
  () => store.get('game-5'),
  () => store.listDueRunningPage(now, undefined, 0),
  () => store.updateScheduling({ gameId: 'game-1', skipNextTick: false, currentTurn: -1, now }),
  () => {
    backend.down = true;
    return store.list();
  },
]) {
  try {
    attempt();
  } catch (error) {
    lines.push(describe(error));
  }
}
console.log(lines.join('\n'));

/** Mistakes the declarations catch (never called). */
export function mistakes(): void {
  // @ts-expect-error a status is one of the WIT case names
  store.listByStatus('paused');
  // @ts-expect-error seconds are a bigint or a number
  store.listDueRunning({ seconds: '1764000000', nanoseconds: 0 });
  // @ts-expect-error an adapter needs all five primitives
  const partial: Backend = { fetch: () => undefined };
  void partial;
  // @ts-expect-error a page's limit is a number
  store.listPage(undefined, '10');
  // @ts-expect-error a page names its next cursor `nextCursor`
  void store.listPage(undefined, 10).next;
}
