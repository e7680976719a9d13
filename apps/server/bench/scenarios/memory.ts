/**
 * Idle connections: RSS per connection = (server RSS with N connections open − RSS before
 * connecting) / N. Chat servers see each connection say hello (unique nick) and join one of
 * 100 rooms, and count it only once the join is acked.
 *
 * Two figures: "settled" reads RSS after the connections have been quiet for settleMs, as
 * they are; "after GC" reads it after a full GC in the server (lib/gc-hook.ts). The baseline
 * for both is read after a full GC, so startup garbage (loopchat builds its moderation
 * tables at startup) cannot be collected mid-run and pass for a smaller per-connection cost.
 */
import { kill } from '../lib/children.js';
import { connectGroup, killGroup, reportGroup, sum, type ConnectedGroup } from '../lib/clients.js';
import { nowUs, sleep } from '../lib/clock.js';
import { machineCpu, processTree, treeCpuSeconds, treeOpenFds, treeRssKiB } from '../lib/proc.js';
import { QUIET_PERCENT, waitForQuiet } from '../lib/quiet.js';
import {
  fetchStats,
  forceGc,
  startServer,
  type LoopchatStats,
  type RunningServer,
  type ServerKind,
} from '../lib/servers.js';

export interface MemoryOptions {
  connections: number;
  rooms: number;
  concurrency: number;
  settleMs: number;
  quietWaitS: number;
  loopchatArgs: string[];
}

export interface MemoryResult {
  server: string;
  label: string;
  connections: number;
  connected: number;
  failed: number;
  /** Baseline: after start, a settle and a full GC. */
  rssBeforeKiB: number;
  /** With the connections open and quiet for settleMs, no forced GC. */
  rssSettledKiB: number;
  /** The same, after a full GC. */
  rssAfterKiB: number;
  /** (rssAfterKiB − rssBeforeKiB) / connected: retained memory per connection. */
  kibPerConnection: number;
  /** (rssSettledKiB − rssBeforeKiB) / connected: including garbage not yet collected. */
  kibPerConnectionSettled: number;
  /** Live V8 heap (after GC) per connection, KiB: exact, unlike RSS, which can reuse freed memory. */
  heapKiBPerConnection: number;
  /** V8 `external` memory (Buffers and other off-heap memory V8 is told about) per connection, KiB. */
  externalKiBPerConnection: number;
  connectSeconds: number;
  connectP50Ms: number;
  connectP99Ms: number;
  /** Server CPU spent while the connections were opened, µs per connection. */
  serverCpuUsPerConnect: number;
  fdDelta: number;
  clientErrors: number;
  clientDisconnects: number;
  /** CPU that processes other than the bench used while connecting and settling, % of one core. */
  otherLoadPercent: number;
  busyBeforePercent: number;
  quietWaitedS: number;
  loopchatStats?: LoopchatStats;
  problems: string[];
  warnings: string[];
  notes: string[];
}

/** Client processes needed: each holds at most this many sockets (20,000 fds per process). */
const PER_PROCESS = 9_000;
const BEFORE_SETTLE_MS = 1_000;

function runnerCpuS(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

export async function runMemory(kind: ServerKind, opts: MemoryOptions): Promise<MemoryResult> {
  let server: RunningServer | undefined;
  let group: ConnectedGroup | undefined;
  const warnings: string[] = [];
  const quiet = await waitForQuiet(opts.quietWaitS);
  if (quiet.busyPercent > QUIET_PERCENT)
    warnings.push(
      `machine still ${quiet.busyPercent.toFixed(0)} % busy after waiting ${quiet.waitedS.toFixed(0)} s for quiet`,
    );
  try {
    server = await startServer(kind, { args: kind.isLoopchat ? opts.loopchatArgs : [], gcHook: true });
    await sleep(BEFORE_SETTLE_MS);
    const gcBefore = await forceGc(server);
    const rssBeforeKiB = treeRssKiB(server.pid);
    const fdsBefore = treeOpenFds(server.pid);
    const cpuBefore = treeCpuSeconds(server.pid);
    const machineBefore = machineCpu();
    const runnerBefore = runnerCpuS();
    const t0 = nowUs();
    group = await connectGroup({
      target: server.target,
      total: opts.connections,
      procs: Math.ceil(opts.connections / PER_PROCESS),
      room: 'room',
      rooms: opts.rooms,
      nickPrefix: 'u',
      concurrency: opts.concurrency,
    });
    const cpuConnect = treeCpuSeconds(server.pid) - cpuBefore;
    const connectSeconds = (group.lastReadyUs - t0) / 1e6;
    await sleep(opts.settleMs);
    const rssSettledKiB = treeRssKiB(server.pid);
    const gcAfter = await forceGc(server);
    const rssAfterKiB = treeRssKiB(server.pid);
    const fdDelta = treeOpenFds(server.pid) - fdsBefore;
    const report = await reportGroup(group.workers);
    const oursS = treeCpuSeconds(server.pid) - cpuBefore + sum(report.cpuUsPerWorker) / 1e6 + runnerCpuS() - runnerBefore;
    const otherLoadPercent = Math.max(0, ((machineCpu().busy - machineBefore.busy - oursS) / ((nowUs() - t0) / 1e6)) * 100);
    if (otherLoadPercent > QUIET_PERCENT)
      warnings.push(`other processes used ${otherLoadPercent.toFixed(0)} % of a core while connecting and settling`);
    const loopchatStats = kind.isLoopchat ? await fetchStats(server) : undefined;

    const problems: string[] = [];
    if (group.ok !== opts.connections)
      problems.push(`only ${group.ok}/${opts.connections} connections ready; failures: ${group.failureSamples.join('; ')}`);
    if (fdDelta < group.ok) problems.push(`server holds ${fdDelta} more fds, expected ≥ ${group.ok}`);
    if (report.counters.errors > 0)
      problems.push(`${report.counters.errors} error frames: ${report.counters.errorSamples.join(' | ')}`);
    if (report.counters.closed > 0)
      problems.push(
        `${report.counters.closed} connections closed by the server: ${report.counters.closeSamples.join('; ')}`,
      );
    if (loopchatStats !== undefined) {
      if (!processTree(server.pid).includes(loopchatStats.pid))
        problems.push(`/stats pid ${loopchatStats.pid} is not the measured pid ${server.pid}`);
      if (loopchatStats.connections.total !== opts.connections)
        problems.push(`/stats reports ${loopchatStats.connections.total} connections, expected ${opts.connections}`);
      if (loopchatStats.rooms.memberships !== opts.connections)
        problems.push(`/stats reports ${loopchatStats.rooms.memberships} room memberships, expected ${opts.connections}`);
    }

    return {
      server: kind.id,
      label: kind.label,
      connections: opts.connections,
      connected: group.ok,
      failed: group.failed,
      rssBeforeKiB,
      rssSettledKiB,
      rssAfterKiB,
      kibPerConnection: (rssAfterKiB - rssBeforeKiB) / Math.max(1, group.ok),
      kibPerConnectionSettled: (rssSettledKiB - rssBeforeKiB) / Math.max(1, group.ok),
      heapKiBPerConnection: (gcAfter.heapUsed - gcBefore.heapUsed) / 1024 / Math.max(1, group.ok),
      externalKiBPerConnection: (gcAfter.external - gcBefore.external) / 1024 / Math.max(1, group.ok),
      connectSeconds,
      connectP50Ms: group.connectUs.percentile(50) / 1000,
      connectP99Ms: group.connectUs.percentile(99) / 1000,
      serverCpuUsPerConnect: (cpuConnect * 1e6) / Math.max(1, group.ok),
      fdDelta,
      clientErrors: report.counters.errors,
      clientDisconnects: report.counters.closed,
      otherLoadPercent,
      busyBeforePercent: quiet.busyPercent,
      quietWaitedS: quiet.waitedS,
      ...(loopchatStats === undefined ? {} : { loopchatStats }),
      problems,
      warnings,
      notes: server.notes.slice(),
    };
  } finally {
    // Server first: its side then holds the TIME_WAITs, not the clients' ephemeral ports.
    await kill(server?.child);
    if (group !== undefined) await killGroup(group.workers);
  }
}
