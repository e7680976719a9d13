/** Runner helpers for groups of client workers. */
import { kill } from './children.js';
import { Histogram } from './histogram.js';
import type { ConnectCommand, ConnectedReply, CountersSnapshot, ReportReply, Target } from './messages.js';
import { WorkerHandle, type WorkerScript } from './worker-handle.js';

/** Source addresses for client sockets: ephemeral ports are allocated per source address. */
export const LOCAL_ADDRESSES = [
  '127.0.0.2',
  '127.0.0.3',
  '127.0.0.4',
  '127.0.0.5',
  '127.0.0.6',
  '127.0.0.7',
  '127.0.0.8',
  '127.0.0.9',
];

export interface ConnectPlan {
  target: Target;
  total: number;
  procs: number;
  room: string;
  rooms: number;
  nickPrefix: string;
  concurrency: number;
}

export interface ConnectedGroup {
  workers: WorkerHandle[];
  ok: number;
  failed: number;
  failureSamples: string[];
  connectUs: Histogram;
  firstStartUs: number;
  lastReadyUs: number;
}

/** Forks `procs` client workers and has them open `total` connections between them. */
export async function connectGroup(plan: ConnectPlan, script: WorkerScript = 'client-worker'): Promise<ConnectedGroup> {
  const workers: WorkerHandle[] = [];
  try {
    const replies: Promise<ConnectedReply>[] = [];
    for (let w = 0; w < plan.procs; w++) {
      const count = Math.floor(plan.total / plan.procs) + (w < plan.total % plan.procs ? 1 : 0);
      const worker = new WorkerHandle(script, `${script}-${w}`);
      workers.push(worker);
      const command: ConnectCommand = {
        type: 'connect',
        target: plan.target,
        count,
        nickPrefix: `${plan.nickPrefix}${w}x`,
        room: plan.room,
        rooms: plan.rooms,
        concurrency: Math.max(1, Math.floor(plan.concurrency / plan.procs)),
        localAddresses: LOCAL_ADDRESSES,
      };
      replies.push(worker.request(command, 'connected', 300_000));
    }
    const done = await Promise.all(replies);
    const connectUs = new Histogram();
    for (const r of done) connectUs.addSparse(r.connectUs);
    return {
      workers,
      ok: sum(done.map((r) => r.ok)),
      failed: sum(done.map((r) => r.failed)),
      failureSamples: done.flatMap((r) => r.failureSamples).slice(0, 5),
      connectUs,
      firstStartUs: Math.min(...done.map((r) => r.firstStartUs)),
      lastReadyUs: Math.max(...done.map((r) => r.lastReadyUs)),
    };
  } catch (err) {
    await Promise.all(workers.map((w) => kill(w.child)));
    throw err;
  }
}

export interface GroupReport {
  counters: CountersSnapshot;
  latencyUs: Histogram;
  cpuUsPerWorker: number[];
}

export async function reportGroup(workers: WorkerHandle[]): Promise<GroupReport> {
  const replies: ReportReply[] = await Promise.all(workers.map((w) => w.request({ type: 'report' }, 'report', 30_000)));
  const latencyUs = new Histogram();
  for (const r of replies) latencyUs.addSparse(r.latencyUs);
  const c = replies.map((r) => r.counters);
  return {
    counters: {
      msgs: sum(c.map((x) => x.msgs)),
      windowMsgs: sum(c.map((x) => x.windowMsgs)),
      acks: sum(c.map((x) => x.acks)),
      other: sum(c.map((x) => x.other)),
      errors: sum(c.map((x) => x.errors)),
      errorSamples: c.flatMap((x) => x.errorSamples).slice(0, 5),
      closed: sum(c.map((x) => x.closed)),
      closeSamples: c.flatMap((x) => x.closeSamples).slice(0, 5),
    },
    latencyUs,
    cpuUsPerWorker: replies.map((r) => r.cpuUs),
  };
}

export async function killGroup(workers: WorkerHandle[]): Promise<void> {
  await Promise.all(workers.map((w) => kill(w.child)));
}

export function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
