/**
 * Connections at scale (issue 11, item 5): loopchat in cluster mode holding N connections
 * (100,000 by default) opened by the load generator over source addresses 127.0.0.2–9, then
 * a broadcast into one room of M members while all N stay connected.
 *
 * 1. The server starts with `--workers W` and the GC hook (lib/gc-hook.ts; the cluster forks
 *    its workers with the primary's execArgv, so each of them has it too); after a full GC of
 *    every process, the baseline: RSS, open descriptors and CPU of the whole process tree.
 * 2. One loadgen run opens N connections at `--connect-rate` (each says hello and joins one
 *    of R rooms; nothing is sent), split over P processes (each capped at 20,000 open files,
 *    as is each worker), and holds them until told to stop. Over the ramp (start to its
 *    'connected' event): the server tree's utime + stime. Then `/stats` per worker, a settle,
 *    RSS as it is and after another full GC of every process.
 * 3. While they are held, a fan-out phase of the fan-out part (scenarios/fanout.ts, attached
 *    to this server): its own loadgen run of M members in one room, one sender, at a fixed
 *    delivery rate, from other source addresses (the held run pins its source ports on
 *    127.0.0.2–9, starting at the same port a second run would).
 * 4. The held loadgen is stopped: its result gives the connect phase and per-connection
 *    connect latency, and whether any held connection was closed along the way.
 */
import { pathToFileURL } from 'node:url';
import { kill } from '../lib/children.js';
import { sleep } from '../lib/clock.js';
import { IDLE_CONNECT_TIMEOUT_S, LOADGEN_PER_PROCESS, idleLoadgenArgs } from '../lib/idle-load.js';
import { cpuSnapshot, cpuWindow, otherLoadWarnings, sum, treeCpu, treeCpuByPid } from '../lib/cpu-window.js';
import { letGo, resultFile } from '../lib/loadgen.js';
import type { RunFindings } from '../lib/loadgen-checks.js';
import { startWindowedLoadgen, type WindowedLoadgen } from '../lib/loadgen-window.js';
import { BENCH_LOOPCHAT_ARGS } from '../lib/loopchat-args.js';
import { fetchView, type ServerView } from '../lib/loopchat-view.js';
import { LOOPCHAT_OPEN_FILE_LIMIT } from '../lib/paths.js';
import { isHistoryKeeper, processTree, rssKiB, treeOpenFds, treeRssKiB } from '../lib/proc.js';
import { notQuietWarnings, waitForQuiet } from '../lib/quiet.js';
import { SERVER_KINDS, forceGc, startServer, type GcReport, type RunningServer } from '../lib/servers.js';
import { FanoutSeries, type FanoutResult } from './fanout.js';

type OpenFileLimitModule = typeof import('../../src/transports/open-file-limit.js');

export interface ConnectionsOptions {
  /** Connections held (`loadgen run -c`). */
  connections: number;
  /** loopchat's `--workers`. */
  workers: number;
  /** New connections per second over all loadgen processes (`--connect-rate`). */
  connectRate: number;
  /** Loadgen processes holding the connections (`--procs`). */
  procs: number;
  /** Rooms the held connections join (`--rooms`). */
  rooms: number;
  /** Quiet time after the ramp before reading RSS, ms. */
  settleMs: number;
  /** Members of the broadcast room, the sender included. */
  members: number;
  /** Loadgen processes of the broadcast run. */
  memberProcs: number;
  /** Fixed broadcast rate, deliveries per second. */
  deliveriesPerSecond: number;
  warmupS: number;
  durationS: number;
  quietWaitS: number;
  loopchatArgs: string[];
}

/** One process of the server's tree with the connections held, after the full GC. */
export interface ConnectionsProcess {
  pid: number;
  role: 'primary' | 'worker' | 'keeper';
  /** From `/stats` perWorker; 0 for the primary, which accepts nothing. */
  connections: number;
  rssKiB: number;
}

export interface ConnectionsResult extends RunFindings {
  connections: number;
  workers: number;
  connectRate: number;
  ready: number;
  failed: number;
  /** The loadgen's connect phase, first connect to last connection ready (`connectWallMs`). */
  connectS: number;
  connectP50Ms: number;
  connectP99Ms: number;
  /** Loadgen start to its 'connected' event, as the bench saw it. */
  rampS: number;
  /** utime + stime of the server's process tree over the ramp, seconds. */
  rampServerCpuS: number;
  /** utime + stime of each process of the holding loadgen over the ramp (the coordinator first), seconds. */
  rampLoadgenCpuS: number[];
  /** The whole server tree's VmRSS, KiB: baseline (after GC), settled, after GC. */
  rssBeforeKiB: number;
  rssSettledKiB: number;
  rssAfterKiB: number;
  /** memoryUsage() summed over the processes that answered each forced GC. */
  gcBefore: GcReport;
  gcAfter: GcReport;
  /** Processes that answered the forced GC (baseline and with the connections held), of the tree's. */
  gcAnswered: [number, number];
  gcProcesses: number;
  processes: ConnectionsProcess[];
  fdDelta: number;
  /** `/stats` once every connection was ready. */
  statsConnections: number;
  statsMemberships: number;
  /** Held connections the server closed, and error frames, over the whole run (broadcast included). */
  closedEarly: number;
  errors: number;
  otherLoadPercent: number;
  busyBeforePercent: number;
  quietWaitedS: number;
  /** The server's command line after `node apps/server/dist/main.js`, and the loadgen's run arguments. */
  serverArgs: string[];
  loadgenArgs: string[];
  /** The fan-out phase while the connections were held; absent when it failed (see problems). */
  broadcast?: FanoutResult;
}

/** Where the broadcast members connect from: not the held run's addresses (see above). */
export const BROADCAST_SOURCE_IPS = '127.0.0.10-127.0.0.11';
const BEFORE_SETTLE_MS = 1_000;

/** loopchat's flags here, after `--tcp-port 0 --http-port 0 --rate 0`. */
export function connectionsServerArgs(o: Pick<ConnectionsOptions, 'workers' | 'loopchatArgs'>): string[] {
  // A backlog of 4,096: the ramp's SYNs wait there while every worker is busy accepting.
  return ['--workers', String(o.workers), '--listen-backlog', '4096', ...BENCH_LOOPCHAT_ARGS, ...o.loopchatArgs];
}

/**
 * Throws, before anything starts, when the open-file limit cannot fit the connections: each
 * worker stops short of it by the server's own reserve, each loadgen process at 19,000.
 */
async function checkHeadroom(o: ConnectionsOptions): Promise<void> {
  const { openFileLimit, FD_RESERVE } = (await import(pathToFileURL(LOOPCHAT_OPEN_FILE_LIMIT).href)) as OpenFileLimitModule;
  const limit = openFileLimit();
  if (limit === undefined) return;
  const total = o.connections + o.members;
  const perWorker = limit - FD_RESERVE;
  if (o.workers * perWorker < total)
    throw new Error(
      `${total} connections need --connections-workers ≥ ${Math.ceil(total / perWorker)} at ulimit -n ${limit} (each worker holds ≤ ${perWorker})`,
    );
  const perProc = Math.min(LOADGEN_PER_PROCESS, limit - FD_RESERVE);
  if (o.procs * perProc < o.connections)
    throw new Error(`${o.connections} connections need --connections-procs ≥ ${Math.ceil(o.connections / perProc)}`);
}

export async function runConnections(o: ConnectionsOptions): Promise<ConnectionsResult> {
  await checkHeadroom(o);
  const warnings: string[] = [];
  const problems: string[] = [];
  const quiet = await waitForQuiet(o.quietWaitS);
  warnings.push(...notQuietWarnings(quiet));
  let server: RunningServer | undefined;
  let held: WindowedLoadgen | undefined;
  try {
    server = await startServer(SERVER_KINDS['loopchat-tcp'], {
      args: connectionsServerArgs(o),
      gcHook: true,
      tag: `connections-${o.workers}w`,
    });
    await sleep(BEFORE_SETTLE_MS);
    const gcBefore = await gcAll(server);
    const rssBeforeKiB = treeRssKiB(server.pid);
    const fdsBefore = treeOpenFds(server.pid);
    const a = cpuSnapshot();

    const out = resultFile('connections', String(o.connections));
    const broadcastS = o.members / o.connectRate + IDLE_CONNECT_TIMEOUT_S + o.warmupS + o.durationS + 5 + 2 * o.quietWaitS;
    const holdS = Math.ceil(o.settleMs / 1000 + 10 + broadcastS + 120);
    // Held until the bench says stop; holdS is only the bound if it never does.
    const loadgenArgs = idleLoadgenArgs(server, { ...o, holdS });
    const timeoutMs = (o.connections / o.connectRate + IDLE_CONNECT_TIMEOUT_S + holdS + 60) * 1000;
    held = startWindowedLoadgen(loadgenArgs, out, timeoutMs);
    const joined = await held.joined;
    const b = cpuSnapshot();
    const rampServerCpuS = treeCpu(b, server.pid) - treeCpu(a, server.pid);
    // The loadgen was not running at the first snapshot: its processes' whole CPU is the ramp's.
    const rampLoadgenCpuS = [...treeCpuByPid(b, held.pid).values()];
    const { seconds: rampS, otherLoadPercent } = cpuWindow(
      a,
      b,
      rampServerCpuS + sum(rampLoadgenCpuS) + b.runner - a.runner,
    );
    warnings.push(...otherLoadWarnings(otherLoadPercent, 'during the ramp'));
    const view = await fetchView(server);

    await sleep(o.settleMs);
    const rssSettledKiB = treeRssKiB(server.pid);
    const gcAfter = await gcAll(server);
    const rssAfterKiB = treeRssKiB(server.pid);
    const fdDelta = treeOpenFds(server.pid) - fdsBefore;
    const processes = treeProcesses(server, view);

    let broadcast: FanoutResult | undefined;
    try {
      broadcast = await FanoutSeries.attach(
        server,
        {
          members: o.members,
          warmupS: o.warmupS,
          clientProcs: o.memberProcs,
          connectRate: o.connectRate,
          drainTimeoutMs: 5_000,
          quietWaitS: o.quietWaitS,
          loopchatArgs: [],
          sourceIps: BROADCAST_SOURCE_IPS,
        },
        [held.pid],
      ).run(o.deliveriesPerSecond, o.durationS);
    } catch (err) {
      problems.push(`broadcast failed: ${(err as Error).message}`);
    }

    held.stop();
    const run = await held.done;
    held = undefined;
    const r = run.result;
    if (joined.ok !== o.connections)
      problems.push(
        `only ${joined.ok}/${o.connections} connections ready (${joined.failed} failed): ${r.connections.failureSamples.join('; ')}`,
      );
    if (view.connections !== joined.ok)
      problems.push(`/stats reports ${view.connections} connections once all were ready, expected ${joined.ok}`);
    if (view.memberships !== joined.ok)
      problems.push(`/stats reports ${view.memberships} room memberships, expected ${joined.ok}`);
    if (view.workers.length !== o.workers)
      problems.push(`/stats lists ${view.workers.length} workers, expected ${o.workers}`);
    if (fdDelta < joined.ok) problems.push(`server holds ${fdDelta} more fds, expected ≥ ${joined.ok}`);
    if (r.errors.total > 0)
      problems.push(`${r.errors.total} error frames on held connections: ${r.errors.samples.join(' | ')}`);
    if (r.connections.closedEarly > 0)
      problems.push(
        `${r.connections.closedEarly} held connections closed by the server: ${r.connections.closeSamples.join('; ')}`,
      );

    return {
      connections: o.connections,
      workers: o.workers,
      connectRate: o.connectRate,
      serverArgs: server.args,
      loadgenArgs,
      resultPath: run.resultPath,
      problems,
      warnings: [...warnings, ...r.loadgen.warnings],
      notes: server.notes.slice(),
      ready: joined.ok,
      failed: joined.failed,
      connectS: r.connections.connectWallMs / 1000,
      connectP50Ms: r.connectMs.p50 ?? NaN,
      connectP99Ms: r.connectMs.p99 ?? NaN,
      rampS,
      rampServerCpuS,
      rampLoadgenCpuS,
      rssBeforeKiB,
      rssSettledKiB,
      rssAfterKiB,
      gcBefore: gcBefore.total,
      gcAfter: gcAfter.total,
      gcAnswered: [gcBefore.answered, gcAfter.answered],
      gcProcesses: gcAfter.processes,
      processes,
      fdDelta,
      statsConnections: view.connections,
      statsMemberships: view.memberships,
      closedEarly: r.connections.closedEarly,
      errors: r.errors.total,
      otherLoadPercent,
      busyBeforePercent: quiet.busyPercent,
      quietWaitedS: quiet.waitedS,
      ...(broadcast === undefined ? {} : { broadcast }),
    };
  } finally {
    await letGo(held);
    await kill(server?.child);
  }
}

/** forceGc, and how many of the tree's processes answered it (all of them when the hook reached the workers). */
async function gcAll(server: RunningServer): Promise<{ total: GcReport; answered: number; processes: number }> {
  const processes = processTree(server.pid).length;
  const from = server.gcReports.length;
  const total = await forceGc(server);
  const answered = new Set(server.gcReports.slice(from).map((g) => g.pid)).size;
  return { total, answered, processes };
}

/** The primary and each worker: connections from `/stats`, VmRSS from /proc. */
function treeProcesses(server: RunningServer, view: ServerView): ConnectionsProcess[] {
  const byPid = new Map(view.workers.map((w) => [w.pid, w.connections]));
  return processTree(server.pid).map((pid) => {
    let kib = NaN;
    try {
      kib = rssKiB(pid);
    } catch {
      // exited while we looked
    }
    return {
      pid,
      role: pid === server.pid ? ('primary' as const) : isHistoryKeeper(pid) ? ('keeper' as const) : ('worker' as const),
      connections: byPid.get(pid) ?? 0,
      rssKiB: kib,
    };
  });
}
