/**
 * Idle connections: RSS per connection = (server RSS with N connections open − RSS before
 * connecting) / N. The load generator opens the connections (`--senders 0 --rate 0`: it
 * sends nothing once they are up); on chat servers each says hello (unique nick) and joins
 * one of R rooms and counts only once the join is answered, on the bare floor (`--driver
 * none`) once TCP connects. The loadgen holds them open, idle, until the bench has read the
 * server's memory, then is told to stop.
 *
 * Two figures: "settled" reads RSS after the connections have been quiet for settleMs, as
 * they are; "after GC" reads it after a full GC in the server (lib/gc-hook.ts). The baseline
 * for both is read after a full GC, so startup garbage (loopchat builds its moderation
 * tables at startup) cannot be collected mid-run and pass for a smaller per-connection cost.
 */
import { kill } from '../lib/children.js';
import { sleep } from '../lib/clock.js';
import { cpuSnapshot, cpuWindow, otherLoadWarnings, treeCpu } from '../lib/cpu-window.js';
import { IDLE_CONNECT_TIMEOUT_S, LOADGEN_PER_PROCESS, idleLoadgenArgs } from '../lib/idle-load.js';
import { letGo, resultFile } from '../lib/loadgen.js';
import type { RunFindings } from '../lib/loadgen-checks.js';
import { startWindowedLoadgen, type WindowedLoadgen } from '../lib/loadgen-window.js';
import { processTree, treeCpuSeconds, treeOpenFds, treeRssKiB } from '../lib/proc.js';
import { notQuietWarnings, waitForQuiet } from '../lib/quiet.js';
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
  /** New connections per second the loadgen opens (`--connect-rate`). */
  connectRate: number;
  settleMs: number;
  quietWaitS: number;
  loopchatArgs: string[];
}

export interface MemoryResult extends RunFindings {
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
  /**
   * Growth of V8's young generation (new space) per connection, KiB: part of kibPerConnection,
   * but pages V8 sized to the connect ramp's allocation rate, empty after the GC.
   */
  newSpaceKiBPerConnection: number;
  /** Growth of the free space in old-space pages after the GC, per connection, KiB: part of kibPerConnection too. */
  oldSpaceFreeKiBPerConnection: number;
  /** V8 `external` memory (Buffers and other off-heap memory V8 is told about) per connection, KiB. */
  externalKiBPerConnection: number;
  /** The loadgen's connect phase, first connect to last connection ready (`connections.connectWallMs`). */
  connectSeconds: number;
  /** Per connection, connect start to ready (the loadgen's `connectMs`). */
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
  /** The loadgen's `run` arguments. */
  loadgenArgs: string[];
}

const BEFORE_SETTLE_MS = 1_000;
/** How long the loadgen would hold the connections if never told to stop: far past the reads. */
const HOLD_MARGIN_S = 120;

/** `loadgen run` arguments: N idle connections over R rooms, nothing sent, held for a long time. */
function memoryLoadgenArgs(server: RunningServer, opts: MemoryOptions): string[] {
  return idleLoadgenArgs(server, {
    connections: opts.connections,
    // The bare floor joins nothing: one "room", so the plan never asks for more rooms than sockets.
    rooms: server.kind.handshake === 'chat' ? opts.rooms : 1,
    holdS: Math.ceil(opts.settleMs / 1000) + HOLD_MARGIN_S,
    connectRate: opts.connectRate,
    procs: Math.ceil(opts.connections / LOADGEN_PER_PROCESS),
  });
}

export async function runMemory(kind: ServerKind, opts: MemoryOptions): Promise<MemoryResult> {
  let server: RunningServer | undefined;
  let loadgen: WindowedLoadgen | undefined;
  const warnings: string[] = [];
  const quiet = await waitForQuiet(opts.quietWaitS);
  warnings.push(...notQuietWarnings(quiet));
  try {
    server = await startServer(kind, { args: kind.isLoopchat ? opts.loopchatArgs : [], gcHook: true });
    await sleep(BEFORE_SETTLE_MS);
    const gcBefore = await forceGc(server);
    const rssBeforeKiB = treeRssKiB(server.pid);
    const fdsBefore = treeOpenFds(server.pid);
    const a = cpuSnapshot();
    const cpuBefore = treeCpu(a, server.pid);

    const out = resultFile('memory', kind.id);
    const timeoutMs =
      (opts.connections / opts.connectRate + IDLE_CONNECT_TIMEOUT_S + opts.settleMs / 1000 + HOLD_MARGIN_S + 30) * 1000;
    const loadgenArgs = memoryLoadgenArgs(server, opts);
    loadgen = startWindowedLoadgen(loadgenArgs, out, timeoutMs);
    const ready = await loadgen.joined;
    const cpuConnect = treeCpuSeconds(server.pid) - cpuBefore;
    await sleep(opts.settleMs);
    const rssSettledKiB = treeRssKiB(server.pid);
    const gcAfter = await forceGc(server);
    const rssAfterKiB = treeRssKiB(server.pid);
    const fdDelta = treeOpenFds(server.pid) - fdsBefore;
    const loopchatStats = kind.isLoopchat ? await fetchStats(server) : undefined;
    // The loadgen was not running at the first snapshot: its whole tree's CPU is its share of the window.
    const b = cpuSnapshot();
    const oursS = treeCpu(b, server.pid) - cpuBefore + treeCpu(b, loadgen.pid) + b.runner - a.runner;
    const { otherLoadPercent } = cpuWindow(a, b, oursS);
    warnings.push(...otherLoadWarnings(otherLoadPercent, 'while connecting and settling'));
    loadgen.stop();
    const run = await loadgen.done;
    loadgen = undefined;
    const r = run.result;

    const problems: string[] = [];
    if (ready.ok !== opts.connections)
      problems.push(
        `only ${ready.ok}/${opts.connections} connections ready (${ready.failed} failed): ${r.connections.failureSamples.join('; ')}`,
      );
    if (fdDelta < ready.ok) problems.push(`server holds ${fdDelta} more fds, expected ≥ ${ready.ok}`);
    if (r.errors.total > 0) problems.push(`${r.errors.total} error frames: ${r.errors.samples.join(' | ')}`);
    if (r.connections.closedEarly > 0)
      problems.push(
        `${r.connections.closedEarly} connections closed by the server: ${r.connections.closeSamples.join('; ')}`,
      );
    if (loopchatStats !== undefined) {
      if (!processTree(server.pid).includes(loopchatStats.pid))
        problems.push(`/stats pid ${loopchatStats.pid} is not the measured pid ${server.pid}`);
      if (loopchatStats.connections.total !== opts.connections)
        problems.push(`/stats reports ${loopchatStats.connections.total} connections, expected ${opts.connections}`);
      if (loopchatStats.rooms.memberships !== opts.connections)
        problems.push(`/stats reports ${loopchatStats.rooms.memberships} room memberships, expected ${opts.connections}`);
    }
    const per = Math.max(1, ready.ok);

    return {
      server: kind.id,
      label: kind.label,
      connections: opts.connections,
      connected: ready.ok,
      failed: ready.failed,
      rssBeforeKiB,
      rssSettledKiB,
      rssAfterKiB,
      kibPerConnection: (rssAfterKiB - rssBeforeKiB) / per,
      kibPerConnectionSettled: (rssSettledKiB - rssBeforeKiB) / per,
      heapKiBPerConnection: (gcAfter.heapUsed - gcBefore.heapUsed) / 1024 / per,
      externalKiBPerConnection: (gcAfter.external - gcBefore.external) / 1024 / per,
      newSpaceKiBPerConnection: (gcAfter.newSpace - gcBefore.newSpace) / 1024 / per,
      oldSpaceFreeKiBPerConnection: (gcAfter.oldSpaceFree - gcBefore.oldSpaceFree) / 1024 / per,
      connectSeconds: r.connections.connectWallMs / 1000,
      connectP50Ms: r.connectMs.p50 ?? NaN,
      connectP99Ms: r.connectMs.p99 ?? NaN,
      serverCpuUsPerConnect: (cpuConnect * 1e6) / per,
      fdDelta,
      clientErrors: r.errors.total,
      clientDisconnects: r.connections.closedEarly,
      otherLoadPercent,
      busyBeforePercent: quiet.busyPercent,
      quietWaitedS: quiet.waitedS,
      ...(loopchatStats === undefined ? {} : { loopchatStats }),
      loadgenArgs,
      resultPath: run.resultPath,
      problems,
      warnings: [...warnings, ...r.loadgen.warnings],
      notes: server.notes.slice(),
    };
  } finally {
    await letGo(loadgen);
    await kill(server?.child);
  }
}
