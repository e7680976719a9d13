/**
 * Fan-out: one room of M members and one of them sending 100-byte messages at a fixed
 * arrival rate, so that the server makes `deliveriesPerSecond` deliveries a second (the
 * servers measured here skip the sender, so a message makes M − 1). Each phase is one run of
 * the load generator (`loadgen run --rooms 1 --senders 1/M --procs P`): connect and join (not
 * measured), warm-up, a measured window, drain. Over the window: deliveries received, server
 * CPU from /proc (µs per delivery), the loadgen processes' CPU, and latency from each
 * message's scheduled send time.
 *
 * One server process serves a whole series of phases (the fixed-rate repeats, then the
 * saturation steps); each phase brings fresh connections and a fresh room (the loadgen names
 * its rooms per run), so a phase that left the server behind cannot leak into the next.
 */
import { isAlive, kill } from '../lib/children.js';
import { nowUs } from '../lib/clock.js';
import {
  cpuSnapshot,
  cpuUsed,
  cpuWindow,
  otherLoadWarnings,
  sum,
  treeCpu,
  treeCpuByPid,
  type CpuSnapshot,
} from '../lib/cpu-window.js';
import { resultFile, type LoadgenResult } from '../lib/loadgen.js';
import { serverSideProblems, wireProblems, type RunFindings } from '../lib/loadgen-checks.js';
import { loadgenTargetArgs } from '../lib/loadgen-target.js';
import { deliveredBetween, sampleWindow, startWindowedLoadgen, type WindowedLoadgen } from '../lib/loadgen-window.js';
import { processTree, topOthers, treeCpuSeconds, treeRssKiB } from '../lib/proc.js';
import { notQuietWarnings, waitForQuiet } from '../lib/quiet.js';
import { fetchStats, startServer, type LoopchatStats, type RunningServer, type ServerKind } from '../lib/servers.js';

export interface FanoutOptions {
  /** Members of the room, the sender included. */
  members: number;
  warmupS: number;
  /** Loadgen processes (`--procs`) the members are spread over. */
  clientProcs: number;
  /** New connections per second while the members join (`--connect-rate`; not measured). */
  connectRate: number;
  /** How long the loadgen waits after the last send for every delivery to arrive (`--drain`). */
  drainTimeoutMs: number;
  /** Longest wait for a quiet machine before each phase. */
  quietWaitS: number;
  /** Extra loopchat flags for this bench (fan-out needs `--filter off`: one sender trips the flood heuristic). */
  loopchatArgs: string[];
  /**
   * The loadgen's `--source-ips`. @default '127.0.0.2-127.0.0.9'. Another loadgen holding
   * connections to the same server from these addresses pins the same source ports: give
   * the members other addresses then.
   */
  sourceIps?: string;
}

export interface FanoutResult extends RunFindings {
  server: string;
  label: string;
  /** Members that joined, the sender included. */
  members: number;
  offeredPerSecond: number;
  msgsPerSecond: number;
  durationS: number;
  /** Deliveries received during the window (the loadgen's timeline, by receive time) ÷ its length. */
  deliveredPerSecond: number;
  serverCpuUsPerDelivery: number;
  serverCpuPercent: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Sum over the loadgen processes, % of one core. */
  clientCpuPercent: number;
  clientCpuPercentPerProc: number[];
  /** Deliveries of messages scheduled in the window that arrived, ÷ expected. */
  windowCompleteness: number;
  /** Deliveries in this phase (after the drain) and messages sent × receivers. */
  totalDelivered: number;
  totalExpected: number;
  /** Deliveries the loadgen counted as lost (never arrived by the end of its drain). */
  lost: number;
  senderMaxLagMs: number;
  sent: number;
  errors: number;
  /** Members that never joined, and connections the server closed during the run. */
  failedConnections: number;
  disconnects: number;
  serverRssKiB: number;
  /** The loadgen's connect phase (members connecting and joining), seconds. */
  setupS: number;
  /** Server CPU spent on that connect phase, seconds. */
  setupServerCpuS: number;
  /** CPU that processes other than the bench used during the window, % of one core. */
  otherLoadPercent: number;
  /** irq + softirq time during the window (the loopback network stack), % of one core. */
  irqPercent: number;
  stealPercent: number;
  /** Everything the machine did during the window (processes + irq), % of one core; the ceiling is cores × 100. */
  machineBusyPercent: number;
  /** Busy % of one core just before the phase, and how long the bench waited for quiet. */
  busyBeforePercent: number;
  quietWaitedS: number;
  /** loopchat only: the /stats counters that moved during the phase. */
  loopchatDelta?: Record<string, number>;
  /** The loadgen's `run` arguments. */
  loadgenArgs: string[];
}

/** Bytes of each message text (`--size`): ASCII, nothing to escape in JSON, the same on every server. */
export const MESSAGE_BYTES = 100;
const CONNECT_TIMEOUT_S = 30;

/** What the bench reads from /proc during one loadgen run. */
interface PhaseSamples {
  /** At the start and at the end of the measured window. */
  a: CpuSnapshot;
  b: CpuSnapshot;
  serverRssKiB: number;
  /** The connect phase: spawn to every member joined, and the server CPU over it. */
  setupS: number;
  setupServerCpuS: number;
}

export class FanoutSeries {
  readonly kind: ServerKind;
  readonly opts: FanoutOptions;
  readonly #server: RunningServer;
  /** Whether close() ends the server (started by open(), not lent to attach()). */
  readonly #owned: boolean;
  readonly #companions: readonly number[];

  private constructor(opts: FanoutOptions, server: RunningServer, owned: boolean, companions: readonly number[]) {
    this.kind = server.kind;
    this.opts = opts;
    this.#server = server;
    this.#owned = owned;
    this.#companions = companions;
  }

  /** Starts the server; each phase brings its own members. */
  static async open(kind: ServerKind, opts: FanoutOptions): Promise<FanoutSeries> {
    await waitForQuiet(opts.quietWaitS);
    const server = await startServer(kind, { args: kind.isLoopchat ? opts.loopchatArgs : [], tag: 'fanout' });
    return new FanoutSeries(opts, server, true, []);
  }

  /**
   * Phases against a server the caller runs (and closes), beside the bench's other load on
   * it: `companions` are process ids (with their descendants) of that load, such as a
   * loadgen holding idle connections, counted as the bench's own CPU rather than as other load.
   */
  static attach(server: RunningServer, opts: FanoutOptions, companions: readonly number[] = []): FanoutSeries {
    return new FanoutSeries(opts, server, false, companions);
  }

  async close(): Promise<void> {
    if (this.#owned) await kill(this.#server.child);
  }

  #args(msgsPerSecond: number, warmupS: number, durationS: number): string[] {
    const o = this.opts;
    return [
      ...loadgenTargetArgs(this.#server),
      ['--connections', String(o.members)],
      ['--rooms', '1'],
      // 1/M of the room's members: exactly one sender.
      ['--senders', String(1 / o.members)],
      ['--size', String(MESSAGE_BYTES)],
      ['--rate', msgsPerSecond.toFixed(3)],
      ['--warmup', `${Math.round(warmupS * 1000)}ms`],
      ['--duration', `${Math.round(durationS * 1000)}ms`],
      ['--connect-rate', String(o.connectRate)],
      ['--connect-timeout', `${CONNECT_TIMEOUT_S}s`],
      ['--drain', `${o.drainTimeoutMs}ms`],
      ['--procs', String(o.clientProcs)],
      // Every phase opens M fresh connections: spread their TIME_WAITs over several addresses.
      ['--source-ips', o.sourceIps ?? '127.0.0.2-127.0.0.9'],
    ].flat();
  }

  /** CPU seconds of the companion process trees (attach): the bench's own load, not others'. */
  #companionsCpu(s: CpuSnapshot): number {
    return sum(this.#companions.map((pid) => treeCpu(s, pid)));
  }

  /**
   * Follows one loadgen run: the server CPU of its connect phase, then /proc at the start and
   * the end of the window it measures (announced by its 'schedule' event).
   */
  async #follow(lg: WindowedLoadgen, startUs: number): Promise<PhaseSamples> {
    const cpuStart = treeCpuSeconds(this.#server.pid);
    await lg.joined;
    const setupS = (nowUs() - startUs) / 1e6;
    const setupServerCpuS = treeCpuSeconds(this.#server.pid) - cpuStart;
    const { a, b } = await sampleWindow(await lg.window, cpuSnapshot);
    return { a, b, serverRssKiB: treeRssKiB(this.#server.pid), setupS, setupServerCpuS };
  }

  /** One measured phase at `deliveriesPerSecond`: one loadgen run (connect, warm-up, a `durationS` window, drain). */
  async run(deliveriesPerSecond: number, durationS: number, warmupS = this.opts.warmupS): Promise<FanoutResult> {
    const server = this.#server;
    const o = this.opts;
    const warnings: string[] = [];
    if (!isAlive(server.child)) throw new Error(`${this.kind.id} is no longer running`);

    const quiet = await waitForQuiet(o.quietWaitS);
    warnings.push(...notQuietWarnings(quiet));
    const statsBefore = this.kind.isLoopchat ? await fetchStats(server) : undefined;

    // loopchat and both naive servers skip the sender: a message makes M − 1 deliveries.
    const receivers = o.members - 1;
    const msgsPerSecond = deliveriesPerSecond / receivers;
    const out = resultFile('fanout', `${this.kind.id}-${deliveriesPerSecond}`);
    const timeoutMs =
      (o.members / o.connectRate + CONNECT_TIMEOUT_S + warmupS + durationS + o.drainTimeoutMs / 1000 + 60) * 1000;
    const startUs = nowUs();
    const loadgenArgs = this.#args(msgsPerSecond, warmupS, durationS);
    const lg = startWindowedLoadgen(loadgenArgs, out, timeoutMs);
    const following = this.#follow(lg, startUs);
    // Read after the run; a failure here must not go unhandled meanwhile.
    following.catch(() => undefined);
    const run = await lg.done;
    const { a, b, serverRssKiB, setupS, setupServerCpuS } = await following;
    const statsAfter = this.kind.isLoopchat ? await fetchStats(server) : undefined;
    const r = run.result;
    const step = r.steps[0]!;

    // CPU per second of sampled wall time, scaled to the window (timers fire a little late).
    const serverCpuS = treeCpu(b, server.pid) - treeCpu(a, server.pid);
    const clients = cpuUsed(treeCpuByPid(a, lg.pid), treeCpuByPid(b, lg.pid));
    const clientCpu = [...clients.values()];
    // With --procs > 1 the first process only coordinates: per process, the ones holding sockets.
    const perProc = clientCpu.length > 1 ? clientCpu.slice(1) : clientCpu;
    const clientCpuS = sum(clientCpu);
    const inWindow = Math.round(deliveredBetween(r, warmupS, warmupS + durationS));
    const totalExpected = r.messages.sent * receivers;
    const companionsS = this.#companionsCpu(b) - this.#companionsCpu(a);
    const cpu = cpuWindow(a, b, serverCpuS + clientCpuS + (b.runner - a.runner) + companionsS);
    const sampledS = cpu.seconds;
    const ours = (): Set<number> =>
      new Set([
        process.pid,
        ...[server.pid, ...this.#companions].flatMap((pid) => processTree(pid, b.all)),
        ...clients.keys(),
      ]);
    warnings.push(
      ...otherLoadWarnings(
        cpu.otherLoadPercent,
        'during the window',
        () => `(top still running: ${topOthers(a.all, b.all, ours(), sampledS)})`,
      ),
    );
    warnings.push(...r.loadgen.warnings);

    const problems = fanoutProblems(r, receivers, o.members);
    let loopchatDelta: Record<string, number> | undefined;
    if (statsBefore !== undefined && statsAfter !== undefined) {
      loopchatDelta = statsDelta(statsBefore, statsAfter);
      // A cluster's /stats names its workers: each must be in the tree whose CPU was read.
      const statsPids = statsAfter.perWorker?.map((w) => w.pid) ?? [statsAfter.pid];
      const tree = processTree(server.pid);
      if (!statsPids.every((pid) => tree.includes(pid)))
        problems.push(`/stats pids ${statsPids.join(', ')} are not all in the measured tree of pid ${server.pid}`);
      const bad = Object.entries(loopchatDelta).filter(([k]) => k.startsWith('drops.') || k.startsWith('disconnects.'));
      problems.push(...serverSideProblems(Object.fromEntries(bad)));
      if ((loopchatDelta.deliveries ?? 0) !== totalExpected)
        problems.push(`/stats deliveries grew by ${loopchatDelta.deliveries ?? 0}, expected ${totalExpected}`);
    }

    return {
      server: this.kind.id,
      label: this.kind.label,
      members: r.connections.ok,
      offeredPerSecond: deliveriesPerSecond,
      msgsPerSecond,
      durationS,
      deliveredPerSecond: inWindow / durationS,
      serverCpuUsPerDelivery: ((serverCpuS / sampledS) * durationS * 1e6) / Math.max(1, inWindow),
      serverCpuPercent: (serverCpuS / sampledS) * 100,
      latencyP50Ms: step.latencyMs.p50 ?? NaN,
      latencyP99Ms: step.latencyMs.p99 ?? NaN,
      latencyMaxMs: step.latencyMs.max ?? NaN,
      clientCpuPercent: (clientCpuS / sampledS) * 100,
      clientCpuPercentPerProc: perProc.map((v) => (v / sampledS) * 100),
      windowCompleteness: step.latencyMs.count / Math.max(1, step.sent * receivers),
      totalDelivered: r.messages.delivered,
      totalExpected,
      lost: r.messages.lost,
      senderMaxLagMs: r.loadgen.maxSendLagMs,
      sent: r.messages.sent,
      errors: r.errors.total,
      failedConnections: r.connections.failed,
      disconnects: r.connections.closedEarly,
      serverRssKiB,
      setupS,
      setupServerCpuS,
      otherLoadPercent: cpu.otherLoadPercent,
      irqPercent: cpu.irqPercent,
      stealPercent: cpu.stealPercent,
      machineBusyPercent: cpu.machineBusyPercent,
      busyBeforePercent: quiet.busyPercent,
      quietWaitedS: quiet.waitedS,
      ...(loopchatDelta === undefined ? {} : { loopchatDelta }),
      loadgenArgs,
      resultPath: run.resultPath,
      problems,
      warnings,
      notes: server.notes.slice(),
    };
  }
}

/** The loadgen's own accounting, as checks: every member joined, every message acked and delivered once. */
function fanoutProblems(r: LoadgenResult, receivers: number, members: number): string[] {
  const problems: string[] = [];
  const m = r.messages;
  if (r.connections.ok !== members)
    problems.push(`only ${r.connections.ok}/${members} members joined: ${r.connections.failureSamples.join('; ')}`);
  if (m.delivered !== m.sent * receivers)
    problems.push(
      `members received ${m.delivered} msgs, expected ${m.sent * receivers} (${m.sent} sent × ${receivers} receivers; the loadgen counted ${m.lost} lost)`,
    );
  if (m.acked !== null && m.acked !== m.sent) problems.push(`sender got ${m.acked} acks for ${m.sent} msgs`);
  // Seq order is judged by the scaling and bus parts, not here (it never was).
  problems.push(...wireProblems(r, false));
  return problems;
}

/** The loopchat /stats counters that changed between two snapshots, flattened. */
function statsDelta(a: LoopchatStats, b: LoopchatStats): Record<string, number> {
  const out: Record<string, number> = {};
  const diff = (key: string, x: number | undefined, y: number | undefined): void => {
    const d = (y ?? 0) - (x ?? 0);
    if (d !== 0) out[key] = d;
  };
  diff('deliveries', a.traffic.deliveries, b.traffic.deliveries);
  for (const group of ['framesIn', 'framesOut', 'drops', 'disconnects', 'refused'] as const) {
    const x = a.traffic[group] ?? {};
    const y = b.traffic[group] ?? {};
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) diff(`${group}.${k}`, x[k], y[k]);
  }
  return out;
}
