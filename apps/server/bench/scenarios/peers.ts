/**
 * loopchat against what users would pick instead (issue 4): loopchat over TCP and over
 * WebSocket, a naive `ws` broadcast server and Socket.IO 4 rooms, each its own child
 * process, all driven by the same engine, the load generator (apps/loadgen, run as its
 * CLI), on the same chat-room scenario: R rooms × M members, every member a sender,
 * fixed-size texts, an open-model arrival rate stepped up until a step is not sustained.
 *
 * Each step is one loadgen run (connect, warm-up, measured step, drain), so each has its own
 * latency, loss and CPU figures: server CPU is utime + stime of the server's process tree
 * from /proc/<pid>/stat, sampled by the loadgen (`--server-pid`) right after its connections
 * are joined and again after the drain, so it covers exactly the warm-up, the step and the
 * drain, whose deliveries it is divided by. One unjudged run first warms each server's JIT.
 */
import { isAlive, kill } from '../lib/children.js';
import { cpuSnapshot, cpuWindow, otherLoadWarnings, treeCpu } from '../lib/cpu-window.js';
import { loadgenWarnings, resultFile, runLoadgen, type LoadgenRun } from '../lib/loadgen.js';
import { processTree, reapedChildrenCpuSeconds, topOthers } from '../lib/proc.js';
import { notQuietWarnings, waitForQuiet } from '../lib/quiet.js';
import { SERVER_KINDS, startServer, type RunningServer, type ServerId } from '../lib/servers.js';

export type PeerServerId = Extract<ServerId, 'loopchat-tcp' | 'loopchat-ws' | 'naive-ws' | 'socketio' | 'write-floor-net'>;
export const PEER_SERVERS: readonly PeerServerId[] = [
  'loopchat-tcp',
  'loopchat-ws',
  'naive-ws',
  'socketio',
  'write-floor-net',
];

/** The loadgen driver and transport for each server, and whether it echoes a msg to its sender. */
export const PEER_DRIVERS: Readonly<
  Record<
    PeerServerId,
    { driver: 'loopchat' | 'naive-ws' | 'naive-net' | 'socketio'; transport: 'tcp' | 'ws'; echoes: boolean }
  >
> = {
  'write-floor-net': { driver: 'naive-net', transport: 'tcp', echoes: false },
  'loopchat-tcp': { driver: 'loopchat', transport: 'tcp', echoes: false },
  'loopchat-ws': { driver: 'loopchat', transport: 'ws', echoes: false },
  'naive-ws': { driver: 'naive-ws', transport: 'ws', echoes: false },
  socketio: { driver: 'socketio', transport: 'ws', echoes: true },
};

/** A loadgen process above this share of a core may have been the limit, not the server (the loadgen's own warning level). */
export const CLIENT_LIMIT_PERCENT = 90;

export interface PeersOptions {
  rooms: number;
  /** Members per room; every one sends. */
  members: number;
  messageBytes: number;
  warmupS: number;
  durationS: number;
  /** The unjudged run that warms each server up (at the first rate), seconds. */
  serverWarmupS: number;
  /** Loadgen processes (`--procs`). */
  procs: number;
  connectRate: number;
  drainS: number;
  /** A step is sustained when delivered ≥ this share of sent × deliveries per message … */
  minDeliveredRatio: number;
  /** … and latency p99 of the measured step is below this. */
  maxP99Ms: number;
  quietWaitS: number;
  /** Flags for loopchat (the bench's own: `--rate 0` and the filter). */
  loopchatArgs: string[];
}

export interface PeerStep {
  server: PeerServerId;
  offeredMsgsPerSecond: number;
  /** Deliveries one message makes: members − 1, or members where the server echoes to the sender (Socket.IO). */
  perMessage: number;
  offeredDeliveriesPerSecond: number;
  warmupS: number;
  durationS: number;
  connections: number;
  sent: number;
  acked: number | null;
  delivered: number;
  lost: number;
  duplicates: number;
  /** delivered ÷ (sent × perMessage). */
  deliveredRatio: number;
  /** The loadgen's figure: delivered ÷ (warm-up + step). */
  deliveredPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  serverCpuS: number;
  serverCpuPercent: number;
  serverCpuUsPerDelivery: number;
  /** The busiest loadgen process, % of one core over its run. */
  loadgenCpuPercent: number;
  loadgenMaxSendLagMs: number;
  /** irq + softirq over the loadgen's lifetime (the loopback network stack), % of one core. */
  irqPercent: number;
  /** CPU of processes other than the bench, the server and the loadgen over the loadgen's lifetime, % of one core. */
  otherLoadPercent: number;
  busyBeforePercent: number;
  errors: number;
  errorCodes: Record<string, number>;
  failedConnections: number;
  closedEarly: number;
  /** loopchat only: growth of GET /stats `deliveries` over the run. */
  statsDeliveries?: number;
  sustained: boolean;
  why: string;
  problems: string[];
  warnings: string[];
  resultPath: string;
}

/** One server, its steps in the order they ran. */
export interface PeerSeriesResult {
  server: PeerServerId;
  label: string;
  driver: string;
  transport: 'tcp' | 'ws';
  /** The server's command-line flags. */
  args: string[];
  /** loopchat's `--write-delay-ms` (0 = the default: write at the end of each turn). */
  writeDelayMs: number;
  steps: PeerStep[];
  notes: string[];
}

export class PeerSeries {
  readonly id: PeerServerId;
  readonly opts: PeersOptions;
  readonly writeDelayMs: number;
  readonly #server: RunningServer;

  private constructor(id: PeerServerId, opts: PeersOptions, server: RunningServer, writeDelayMs: number) {
    this.id = id;
    this.opts = opts;
    this.writeDelayMs = writeDelayMs;
    this.#server = server;
  }

  /** Names the series in file names and logs: the server, and its write delay when it has one. */
  get tag(): string {
    return this.writeDelayMs === 0 ? this.id : `${this.id}-wd${this.writeDelayMs}`;
  }

  get args(): string[] {
    return this.#server.args;
  }

  get notes(): string[] {
    return this.#server.notes.slice();
  }

  /**
   * Starts the server and warms it up with one unjudged run at `warmupRate` msgs/s.
   * `writeDelayMs` > 0 (loopchat only) starts it with `--write-delay-ms`.
   */
  static async open(id: PeerServerId, opts: PeersOptions, warmupRate: number, writeDelayMs = 0): Promise<PeerSeries> {
    const kind = SERVER_KINDS[id];
    if (writeDelayMs > 0 && !kind.isLoopchat) throw new Error(`${id} has no write delay`);
    await waitForQuiet(opts.quietWaitS);
    const delay = writeDelayMs > 0 ? ['--write-delay-ms', String(writeDelayMs)] : [];
    const server = await startServer(kind, { args: kind.isLoopchat ? [...opts.loopchatArgs, ...delay] : [], tag: 'peers' });
    const series = new PeerSeries(id, opts, server, writeDelayMs);
    try {
      await series.#loadgen(warmupRate, 0, opts.serverWarmupS, 'warmup');
      return series;
    } catch (err) {
      await kill(server.child);
      throw err;
    }
  }

  async close(): Promise<void> {
    await kill(this.#server.child);
  }

  #args(msgsPerSecond: number, warmupS: number, durationS: number): string[] {
    const { driver, transport } = PEER_DRIVERS[this.id];
    const s = this.#server;
    const o = this.opts;
    const args = [
      ['--driver', driver],
      ['--transport', transport],
      transport === 'tcp' ? ['--tcp', `127.0.0.1:${s.tcpPort}`] : ['--ws', `ws://127.0.0.1:${s.httpPort}`],
      ['--connections', String(o.rooms * o.members)],
      ['--rooms', String(o.rooms)],
      ['--senders', '1'],
      ['--size', String(o.messageBytes)],
      ['--rate', String(msgsPerSecond)],
      ['--duration', `${durationS * 1000}ms`],
      ['--warmup', `${warmupS * 1000}ms`],
      ['--connect-rate', String(o.connectRate)],
      ['--connect-timeout', '20s'],
      ['--drain', `${o.drainS * 1000}ms`],
      ['--procs', String(o.procs)],
      ['--server-pid', String(s.pid)],
    ].flat();
    if (s.kind.isLoopchat) args.push('--http', `http://127.0.0.1:${s.httpPort}`);
    return args;
  }

  async #loadgen(msgsPerSecond: number, warmupS: number, durationS: number, what: string): Promise<LoadgenRun> {
    const s = this.#server;
    if (!isAlive(s.child)) throw new Error(`${this.id} is no longer running`);
    const out = resultFile('peers', `${this.tag}-${what}`);
    const o = this.opts;
    const timeoutMs = (warmupS + durationS + o.drainS + (o.rooms * o.members) / o.connectRate + 20 + 30) * 1000;
    return runLoadgen(this.#args(msgsPerSecond, warmupS, durationS), out, timeoutMs);
  }

  /** One judged step at `msgsPerSecond` (over all senders). */
  async run(msgsPerSecond: number): Promise<PeerStep> {
    const o = this.opts;
    const quiet = await waitForQuiet(o.quietWaitS);
    const pid = this.#server.pid;
    const a = cpuSnapshot();
    // The loadgen has exited by the second snapshot: its CPU is in what this process reaped.
    const reapedBefore = reapedChildrenCpuSeconds();
    const run = await this.#loadgen(msgsPerSecond, o.warmupS, o.durationS, String(msgsPerSecond));
    const b = cpuSnapshot();
    const reapedS = reapedChildrenCpuSeconds() - reapedBefore;
    const cpu = cpuWindow(a, b, treeCpu(b, pid) - treeCpu(a, pid) + reapedS + b.runner - a.runner);
    const r = run.result;
    const { echoes } = PEER_DRIVERS[this.id];
    const perMessage = echoes ? o.members : o.members - 1;
    const step = r.steps[0]!;
    const cpuS = r.server?.cpuSeconds ?? NaN;
    const problems: string[] = [];
    const warnings = loadgenWarnings(run);
    if (r.connections.failed > 0)
      problems.push(`${r.connections.failed} connections failed: ${r.connections.failureSamples.join('; ')}`);
    if (r.connections.closedEarly > 0)
      problems.push(`${r.connections.closedEarly} connections closed early: ${r.connections.closeSamples.join('; ')}`);
    if (r.errors.total > 0)
      problems.push(`${r.errors.total} error frames ${JSON.stringify(r.errors.byCode)}: ${r.errors.samples.join(' | ')}`);
    if (r.messages.duplicates > 0) problems.push(`${r.messages.duplicates} duplicate deliveries`);
    if (!Number.isFinite(cpuS)) problems.push('the loadgen reported no server CPU (--server-pid)');
    let statsDeliveries: number | undefined;
    const sb = r.server?.before?.deliveries;
    const sa = r.server?.after?.deliveries;
    if (typeof sb === 'number' && typeof sa === 'number') {
      statsDeliveries = sa - sb;
      if (statsDeliveries !== r.messages.delivered)
        warnings.push(`GET /stats deliveries grew by ${statsDeliveries}, the loadgen counted ${r.messages.delivered}`);
    } else if (SERVER_KINDS[this.id].isLoopchat) warnings.push('no /stats deliveries from the loadgen (--http)');
    const ours = (): Set<number> => new Set([process.pid, ...processTree(pid, b.all)]);
    warnings.push(
      ...otherLoadWarnings(
        cpu.otherLoadPercent,
        'during the run',
        () => `(top: ${topOthers(a.all, b.all, ours(), cpu.seconds)})`,
      ),
      ...notQuietWarnings(quiet),
    );
    const x: PeerStep = {
      server: this.id,
      offeredMsgsPerSecond: msgsPerSecond,
      perMessage,
      offeredDeliveriesPerSecond: msgsPerSecond * perMessage,
      warmupS: o.warmupS,
      durationS: o.durationS,
      connections: r.connections.ok,
      sent: r.messages.sent,
      acked: r.messages.acked,
      delivered: r.messages.delivered,
      lost: r.messages.lost,
      duplicates: r.messages.duplicates,
      deliveredRatio: r.messages.delivered / Math.max(1, r.messages.sent * perMessage),
      deliveredPerSecond: r.messages.deliveredPerSecond,
      latencyP50Ms: step.latencyMs.p50 ?? NaN,
      latencyP99Ms: step.latencyMs.p99 ?? NaN,
      latencyMaxMs: step.latencyMs.max ?? NaN,
      serverCpuS: cpuS,
      serverCpuPercent: r.server?.cpuPercent ?? NaN,
      serverCpuUsPerDelivery: (cpuS * 1e6) / Math.max(1, r.messages.delivered),
      loadgenCpuPercent: r.loadgen.maxCpuPercent,
      loadgenMaxSendLagMs: r.loadgen.maxSendLagMs,
      irqPercent: cpu.irqPercent,
      otherLoadPercent: cpu.otherLoadPercent,
      busyBeforePercent: quiet.busyPercent,
      errors: r.errors.total,
      errorCodes: r.errors.byCode,
      failedConnections: r.connections.failed,
      closedEarly: r.connections.closedEarly,
      ...(statsDeliveries === undefined ? {} : { statsDeliveries }),
      sustained: false,
      why: '',
      problems,
      warnings,
      resultPath: run.resultPath,
    };
    x.why = peerVerdict(x, o);
    x.sustained = x.why === 'yes';
    return x;
  }
}

/** 'yes', or why the step was not sustained. */
export function peerVerdict(x: PeerStep, o: Pick<PeersOptions, 'minDeliveredRatio' | 'maxP99Ms'>): string {
  const why: string[] = [];
  if (!(x.deliveredRatio >= o.minDeliveredRatio))
    why.push(`delivered ${(x.deliveredRatio * 100).toFixed(1)} % of sent × ${x.perMessage}`);
  if (!(x.latencyP99Ms < o.maxP99Ms))
    why.push(Number.isFinite(x.latencyP99Ms) ? `p99 ${x.latencyP99Ms.toFixed(0)} ms` : 'no latency measured');
  if (x.errors > 0) why.push(`${x.errors} errors`);
  if (x.failedConnections > 0) why.push(`${x.failedConnections} connections failed`);
  if (x.closedEarly > 0) why.push(`${x.closedEarly} connections closed`);
  return why.length === 0 ? 'yes' : why.join(', ');
}
