/**
 * Runs the cluster's real PrimaryBus (from the build: dist/cluster/primary-bus.js) with
 * synthetic workers instead of real ones, for measuring the primary alone
 * (scenarios/primary.ts). Like cluster/primary.ts it spawns each worker with a socketpair in
 * stdio slot 4 and serves the bus on it, with loopchat's default limits (history, rooms) and
 * the given `--cluster-flush-ms`; it runs no chat logic, no HTTP, no connection hand-off.
 * The bench reads this process's CPU from /proc and asks it, over IPC, how many messages the
 * bus has sequenced (PrimaryBus.messages).
 *
 *   node primary-host.js <workers> <flushMs> <rooms> <members> <outstanding> <bodyBytes> <memory|sqlite>
 *
 * With sqlite the bus keeps history as the real primary does by default: a fresh SQLite file
 * (in a temp dir removed at exit), one transaction per turn, the workers' answers after it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  LOOPCHAT_CONFIG,
  LOOPCHAT_OPEN_STORE,
  LOOPCHAT_PRIMARY_BUS,
  LOOPCHAT_PRIMARY_HEAP,
  WORKERS_DIR,
} from '../lib/paths.js';
import type { FromHost, FromWorker, ToHost, ToWorker, WorkerCounts } from './primary-ipc.js';

type PrimaryBusModule = typeof import('../../src/cluster/primary-bus.js');
type ConfigModule = typeof import('../../src/config.js');
type OpenStoreModule = typeof import('../../src/history/open-store.js');
type PrimaryHeapModule = typeof import('../../src/cluster/primary-heap.js');
const { PrimaryBus } = (await import(pathToFileURL(LOOPCHAT_PRIMARY_BUS).href)) as PrimaryBusModule;
const { DEFAULTS } = (await import(pathToFileURL(LOOPCHAT_CONFIG).href)) as ConfigModule;
const { openHistoryStore } = (await import(pathToFileURL(LOOPCHAT_OPEN_STORE).href)) as OpenStoreModule;
const { growPrimaryHeap } = (await import(pathToFileURL(LOOPCHAT_PRIMARY_HEAP).href)) as PrimaryHeapModule;
// The heap as the cluster primary sizes it (primary-heap.ts).
growPrimaryHeap();

const DATA_FD = 4;
const argv = process.argv.slice(2);
const workerCount = Number(argv[0]);
const flushMs = Number(argv[1]);

const send = (m: FromHost): void => void process.send?.(m);
// The bus logs only a worker that breaks the framing.
const log = {
  error: (fields: unknown, message: string) => send({ t: 'failed', error: `${message}: ${JSON.stringify(fields)}` }),
} as unknown as ConstructorParameters<typeof PrimaryBus>[1];
const history = argv[6] === 'sqlite' ? 'sqlite' : 'memory';
const dataDir = history === 'sqlite' ? mkdtempSync(join(tmpdir(), 'loopchat-primary-')) : '';
if (dataDir !== '') {
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  process.on('SIGTERM', () => process.exit());
}
// As the cluster primary opens it: with SQLite, a history keeper process folds (history-keeper.ts);
// its warnings (a keeper that exited) are failures here.
const store = openHistoryStore({ ...DEFAULTS, history, dataDir }, { warn: log.error, error: log.error }, { keeper: true });
const bus = new PrimaryBus(DEFAULTS, log, flushMs, store);
setInterval(() => bus.state.sweep(Date.now()), 1_000).unref();

const workers: ChildProcess[] = [];
const joined: number[] = [];
let drained = 0;
/** Set once the workers have given their counts: their exits are expected from then on. */
let done = false;
let counts: WorkerCounts[] = [];

function toWorkers(m: ToWorker): void {
  for (const w of workers) w.send(m);
}

for (let i = 0; i < workerCount; i++) {
  const child = spawn(
    process.execPath,
    [join(WORKERS_DIR, 'synthetic-cluster-worker.js'), String(i), ...argv.slice(0, 1), ...argv.slice(2)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
    },
  );
  workers.push(child);
  const data = child.stdio[DATA_FD] as Socket;
  data.on('error', () => {});
  bus.addWorker(String(i + 1), data);
  child.on('exit', (code, signal) => {
    if (!done) send({ t: 'failed', error: `synthetic worker ${i} exited with ${signal ?? code}` });
  });
  child.on('message', (m: FromWorker) => {
    if (m.t === 'failed') send(m);
    else if (m.t === 'joined') {
      joined.push(m.members);
      if (joined.length === workerCount)
        send({
          t: 'ready',
          workerPids: workers.map((w) => w.pid ?? 0),
          members: joined,
          defaultFlushMs: DEFAULTS.clusterFlushMs,
        });
    } else if (m.t === 'drained') {
      if (++drained === workerCount) toWorkers({ t: 'report' });
    } else {
      const { t: _, ...c } = m;
      counts.push(c);
      if (counts.length === workerCount) {
        done = true;
        // The bench may kill this process as soon as it hears 'stopped': clean up first.
        if (dataDir !== '') {
          bus.close();
          rmSync(dataDir, { recursive: true, force: true });
        }
        send({ t: 'stopped', messages: bus.messages, workers: counts });
        counts = [];
        // The bench kills this process next; the workers go first.
        for (const w of workers) w.kill();
      }
    }
  });
}

process.on('message', (m: ToHost) => {
  if (m.t === 'count') send({ t: 'count', messages: bus.messages });
  else toWorkers(m);
});
process.on('disconnect', () => {
  for (const w of workers) w.kill('SIGKILL');
  process.exit();
});
