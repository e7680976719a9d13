/**
 * One shape for loopchat's GET /stats and /metrics whether the server is a single process
 * or a cluster (whose /stats aggregates the workers and lists each under `perWorker`).
 */
import { httpGet, type RunningServer } from './servers.js';

interface ProcessStats {
  pid: number;
  connections: { total: number };
  rooms?: { memberships?: number };
  traffic: {
    deliveries: number;
    drops: Record<string, number>;
    disconnects: Record<string, number>;
  };
  process: { eventLoopDelayMs?: { p50?: number; p99?: number; max?: number } };
}

interface ClusterStats {
  mode: 'cluster';
  workers: number;
  eventLoopDelayMs?: { p99?: number };
  perWorker: ProcessStats[];
  /** The primary's own entry: messages it sequenced since start. */
  primary?: { messages?: number } | null;
}

export interface WorkerView {
  pid: number;
  connections: number;
  deliveries: number;
  /** Event-loop delay over the process's last completed 5 s window, ms. */
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

export interface ServerView {
  cluster: boolean;
  workers: WorkerView[];
  connections: number;
  memberships: number;
  deliveries: number;
  /** drops.* and disconnects.* counters, summed over the workers. */
  trouble: Record<string, number>;
  /** The worst worker's event-loop delay p99 (the cluster's own aggregate when it has one). */
  loopP99Ms: number;
  loopMaxMs: number;
  /** Room messages the cluster primary sequenced since start (undefined for a single process). */
  primaryMessages: number | undefined;
}

export async function fetchView(server: RunningServer): Promise<ServerView> {
  const raw = JSON.parse(await httpGet(server.httpPort, '/stats')) as ProcessStats | ClusterStats;
  const cluster = 'mode' in raw && raw.mode === 'cluster';
  const procs: ProcessStats[] = cluster ? (raw as ClusterStats).perWorker : [raw as ProcessStats];
  const trouble: Record<string, number> = {};
  for (const p of procs) {
    for (const group of ['drops', 'disconnects'] as const)
      for (const [k, v] of Object.entries(p.traffic[group] ?? {}))
        trouble[`${group}.${k}`] = (trouble[`${group}.${k}`] ?? 0) + v;
  }
  const workers = procs.map((p) => ({
    pid: p.pid,
    connections: p.connections.total,
    deliveries: p.traffic.deliveries,
    loopP50Ms: p.process.eventLoopDelayMs?.p50 ?? NaN,
    loopP99Ms: p.process.eventLoopDelayMs?.p99 ?? NaN,
    loopMaxMs: p.process.eventLoopDelayMs?.max ?? NaN,
  }));
  const clusterP99 = cluster ? (raw as ClusterStats).eventLoopDelayMs?.p99 : undefined;
  return {
    cluster,
    workers,
    connections: workers.reduce((n, w) => n + w.connections, 0),
    memberships: procs.reduce((n, p) => n + (p.rooms?.memberships ?? 0), 0),
    deliveries: workers.reduce((n, w) => n + w.deliveries, 0),
    trouble,
    loopP99Ms: clusterP99 ?? Math.max(...workers.map((w) => w.loopP99Ms)),
    loopMaxMs: Math.max(...workers.map((w) => w.loopMaxMs)),
    primaryMessages: cluster ? (raw as ClusterStats).primary?.messages : undefined,
  };
}

/** Moderation verdicts so far (`loopchat_filter_verdicts_total`, summed over the cluster), by verdict. */
export async function fetchVerdicts(server: RunningServer): Promise<Record<string, number>> {
  const text = await httpGet(server.httpPort, '/metrics');
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('loopchat_filter_verdicts_total{')) continue;
    const verdict = /verdict="([^"]*)"/.exec(line)?.[1] ?? '?';
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) out[verdict] = (out[verdict] ?? 0) + value;
  }
  return out;
}

/** b − a for every key of either, keeping only those that moved. */
export function countsDelta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[k] ?? 0) - (a[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}
