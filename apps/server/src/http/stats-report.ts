/** The JSON behind GET /stats: what an operator looks at first. */
import type { ServerContext } from '../core/context.js';
import type { PrimaryStats } from '../cluster/primary-report.js';
import { loopDelayMs } from './loop-delay.js';

type WorkerStats = ReturnType<typeof collectStats>;

/** Cluster totals plus each worker's own report (the primary's entry carries the room count). */
export function clusterStats(reports: (WorkerStats | { primary: PrimaryStats })[]) {
  const workers = reports.filter((r): r is WorkerStats => !('primary' in r));
  const primary = (reports.find((r) => 'primary' in r) as { primary: PrimaryStats } | undefined)?.primary;
  const sum = (pick: (w: WorkerStats) => number): number => workers.reduce((n, w) => n + pick(w), 0);
  const merge = (pick: (w: WorkerStats) => Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const w of workers) for (const [k, v] of Object.entries(pick(w))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    mode: 'cluster' as const,
    workers: workers.length,
    /** Worker slots configured; more than `workers` means some did not answer in time. */
    workerSlots: primary?.workers ?? workers.length,
    connections: {
      total: sum((w) => w.connections.total),
      tcp: sum((w) => w.connections.tcp),
      ws: sum((w) => w.connections.ws),
    },
    nicks: sum((w) => w.nicks),
    rooms: primary?.rooms ?? null,
    traffic: {
      framesIn: merge((w) => w.traffic.framesIn),
      framesOut: merge((w) => w.traffic.framesOut),
      deliveries: sum((w) => w.traffic.deliveries),
      readsDeferred: sum((w) => w.traffic.readsDeferred),
      drops: merge((w) => w.traffic.drops),
      disconnects: merge((w) => w.traffic.disconnects),
    },
    deliveries: sum((w) => w.traffic.deliveries),
    rssBytes: sum((w) => w.process.rssBytes) + (primary?.rssBytes ?? 0),
    /** The worst loop in the cluster (the primary's included: it sequences every message). */
    eventLoopDelayMs: {
      p99: Math.max(0, primary?.eventLoopDelayMs.p99 ?? 0, ...workers.map((w) => w.process.eventLoopDelayMs.p99)),
    },
    primary:
      primary === undefined
        ? null
        : {
            rssBytes: primary.rssBytes,
            eventLoopDelayMs: primary.eventLoopDelayMs,
            messages: primary.messages,
            cpuSeconds: primary.cpuSeconds,
            lastWindow: primary.lastWindow,
          },
    perWorker: workers,
  };
}

export function collectStats(ctx: ServerContext) {
  const { stats, hub } = ctx;
  let members = 0;
  let activeRooms = 0;
  const top: { room: string; members: number; seq: number }[] = [];
  for (const room of hub.rooms.values()) {
    members += room.members.size;
    if (room.members.size > 0) activeRooms++;
    top.push({ room: room.name, members: room.members.size, seq: room.lastSeq });
  }
  top.sort((a, b) => b.members - a.members);
  const memory = process.memoryUsage();
  return {
    server: ctx.config.serverName,
    pid: process.pid,
    uptimeSeconds: Math.round((Date.now() - stats.startedAt) / 1000),
    connections: {
      total: stats.connectionsOpen.tcp + stats.connectionsOpen.ws,
      tcp: stats.connectionsOpen.tcp,
      ws: stats.connectionsOpen.ws,
      opened: { ...stats.connectionsOpened },
    },
    nicks: hub.nickCount,
    bus: { kind: hub.bus.kind, ready: hub.bus.ready },
    history: { epoch: hub.bus.epoch, ...hub.bus.historyStats?.() },
    rooms: { total: hub.rooms.size, active: activeRooms, memberships: members, largest: top.slice(0, 20) },
    traffic: {
      framesIn: { ...stats.framesIn },
      framesOut: { ...stats.framesOut },
      bytesOut: { ...stats.bytesOut },
      deliveries: stats.deliveries,
      readsDeferred: stats.readsDeferred,
      drops: { ...stats.drops },
      disconnects: { ...stats.disconnects },
      refused: { ...stats.refused },
    },
    process: {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      eventLoopDelayMs: loopDelayMs(),
    },
  };
}
