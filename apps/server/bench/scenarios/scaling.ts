/**
 * Cluster scaling: throughput with the moderation filter on, `--workers 1` against
 * `--workers N`, in a workload where the server's per-message work dominates: many small
 * rooms (default 500 × 4 members), every member a sender at a low rate, texts of
 * 100–200 bytes that the filter has to read (a share with listed terms, masked). Each
 * message costs the server a parse, a filter check, a sequencing (in cluster mode a round
 * trip through the primary), an ack and 3 deliveries; the fan-out is small, so the
 * per-delivery machinery that fan-out measures does not dominate.
 *
 * Like fanout.ts, one server process and one set of connections serve a series of phases
 * at rising open-model arrival rates; each phase: warm-up, a measurement window, a drain
 * in which every message must reach every other member of its room and be acked.
 * During the window /stats is read every second for the event-loop delay p99 (loopchat
 * reports it over the last completed 5 s window, per worker).
 */
import { kill } from '../lib/children.js';
import { connectGroup, killGroup, reportGroup, sum, type ConnectedGroup, type GroupReport } from '../lib/clients.js';
import { nowUs, sleep, sleepUntil } from '../lib/clock.js';
import { countsDelta, fetchVerdicts, fetchView, type ServerView } from '../lib/loopchat-view.js';
import type { SentReply } from '../lib/messages.js';
import { allProcessCpu, cpuSeconds, machineCpu, processTree, topOthers, type MachineCpu } from '../lib/proc.js';
import { QUIET_PERCENT, waitForQuiet } from '../lib/quiet.js';
import { SERVER_KINDS, startServer, type RunningServer } from '../lib/servers.js';
import { buildTexts } from '../lib/texts.js';

export interface ScalingOptions {
  rooms: number;
  /** Members per room; every one sends. */
  members: number;
  clientProcs: number;
  warmupS: number;
  /**
   * The load goes on this long after the window (its messages are counted and checked, not
   * timed), so the last /stats samples cover a 5 s event-loop window of load only.
   */
  tailS: number;
  filter: 'basic' | 'strict';
  /** µs of the simulated classifier per message (--filter-classifier-us). */
  classifierUs: number;
  /** Text sizes, bytes (ASCII), and the share with listed terms. */
  minBytes: number;
  maxBytes: number;
  termShare: number;
  /** Latency p99 above this: not sustained. */
  maxP99Ms: number;
  drainTimeoutMs: number;
  quietWaitS: number;
}

export interface ServerProcCpu {
  role: 'single' | 'primary' | 'worker';
  pid: number;
  percent: number;
}

export interface LoopSample {
  atS: number;
  /** Bench µs when GET /stats was sent and answered. */
  askedUs: number;
  answeredUs: number;
  /** How long GET /stats took to answer, ms (a stalled event loop answers late). */
  waitMs: number;
  /** Each worker's (or the single process's) last completed 5 s window. */
  perWorker: { pid: number; p50Ms: number; p99Ms: number; maxMs: number }[];
  p99Ms: number;
  maxMs: number;
  workersAnswering: number;
}

export interface ScalingResult {
  /** Series label, e.g. "basic, 100–200 B". */
  series: string;
  workers: number;
  connections: number;
  rooms: number;
  members: number;
  filter: string;
  offeredMsgsPerSecond: number;
  durationS: number;
  /** Messages scheduled in the window ÷ its length. */
  sentPerSecond: number;
  /** Deliveries received in the window ÷ its length. */
  deliveredPerSecond: number;
  /** deliveredPerSecond ÷ (members − 1): messages the server got through, per second. */
  msgsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyP999Ms: number;
  latencyMaxMs: number;
  windowCompleteness: number;
  totalDelivered: number;
  totalExpected: number;
  sent: number;
  acked: number;
  errors: number;
  disconnects: number;
  senderMaxLagMs: number;
  /** The server's process tree (primary + workers), % of one core. */
  serverCpuPercent: number;
  serverCpuPerProc: ServerProcCpu[];
  serverCpuUsPerMsg: number;
  clientCpuPercent: number;
  clientCpuPercentPerProc: number[];
  irqPercent: number;
  otherLoadPercent: number;
  machineBusyPercent: number;
  /** Max over the /stats samples of the worst worker's 5 s-window event-loop delay p99, and of max. */
  loopP99Ms: number;
  loopMaxMs: number;
  /** True when every worker's figures come from 5 s windows of load only (see loadWindows). */
  loopClean: boolean;
  loopSamples: LoopSample[];
  /** Connections per worker (from /stats) at the start of the phase. */
  connectionsPerWorker: number[];
  /** Moderation verdicts during the phase (from /metrics). */
  verdicts: Record<string, number>;
  busyBeforePercent: number;
  quietWaitedS: number;
  setupS: number;
  problems: string[];
  warnings: string[];
  notes: string[];
}

const ROOM_PREFIX = 'r';
const SCHEDULE_LEAD_US = 300_000;
const PREVIOUS_PHASE_DRAIN_MS = 60_000;
const TEXTS = 256;

interface CpuSample {
  atUs: number;
  serverProcs: Map<number, number>;
  members: number[];
  runner: number;
  machine: MachineCpu;
}

/** The loopchat flags of a scaling series (besides ports and `--rate 0`). */
export function scalingArgs(workers: number, filter: string, classifierUs = 0): string[] {
  // The flood rule must not reject a member sending a few messages a second.
  return [
    '--workers',
    String(workers),
    '--filter',
    filter,
    '--filter-flood-max',
    '1000',
    '--filter-flood-window-ms',
    '1000',
    '--filter-classifier-us',
    String(classifierUs),
  ];
}

export class ScalingSeries {
  readonly workers: number;
  readonly series: string;
  readonly opts: ScalingOptions;
  readonly #server: RunningServer;
  readonly #group: ConnectedGroup;
  readonly #texts: string[];
  readonly #setupS: number;
  readonly #setupProblems: string[];
  #expectedMsgs = 0;
  #expectedAcks: number;

  private constructor(
    workers: number,
    series: string,
    opts: ScalingOptions,
    server: RunningServer,
    group: ConnectedGroup,
    texts: string[],
    setupS: number,
    problems: string[],
  ) {
    this.workers = workers;
    this.series = series;
    this.opts = opts;
    this.#server = server;
    this.#group = group;
    this.#texts = texts;
    this.#setupS = setupS;
    this.#setupProblems = problems;
    // Each connection's join was acked.
    this.#expectedAcks = group.ok;
  }

  get server(): RunningServer {
    return this.#server;
  }

  static async open(workers: number, series: string, opts: ScalingOptions): Promise<ScalingSeries> {
    if (opts.members % opts.clientProcs !== 0)
      throw new Error(
        `--scaling-members (${opts.members}) must be a multiple of the client processes (${opts.clientProcs})`,
      );
    let server: RunningServer | undefined;
    try {
      await waitForQuiet(opts.quietWaitS);
      const startUs = nowUs();
      server = await startServer(SERVER_KINDS['loopchat-tcp'], {
        args: scalingArgs(workers, opts.filter, opts.classifierUs),
        tag: `scaling-w${workers}-${opts.filter}`,
      });
      const total = opts.rooms * opts.members;
      // Each process gets members ÷ procs connections per room: connection i joins room i % rooms.
      const group = await connectGroup(
        {
          target: server.target,
          total,
          procs: opts.clientProcs,
          room: ROOM_PREFIX,
          rooms: opts.rooms,
          nickPrefix: 'c',
          concurrency: 200,
        },
        'room-worker',
      );
      const problems: string[] = [];
      if (group.ok !== total) {
        await killGroup(group.workers);
        throw new Error(`only ${group.ok}/${total} connections joined: ${group.failureSamples.join('; ')}`);
      }
      const view = await fetchView(server);
      if (view.connections !== total) problems.push(`/stats reports ${view.connections} connections, expected ${total}`);
      if (view.workers.length !== workers)
        problems.push(`/stats reports ${view.workers.length} worker(s), expected ${workers}`);
      const texts = buildTexts({
        count: TEXTS,
        minBytes: opts.minBytes,
        maxBytes: opts.maxBytes,
        termShare: opts.termShare,
      });
      return new ScalingSeries(workers, series, opts, server, group, texts, (nowUs() - startUs) / 1e6, problems);
    } catch (err) {
      await kill(server?.child);
      throw err;
    }
  }

  async close(): Promise<void> {
    await kill(this.#server.child);
    await killGroup(this.#group.workers);
  }

  #sampleCpu(): CpuSample {
    const all = allProcessCpu();
    const serverProcs = new Map<number, number>();
    for (const pid of processTree(this.#server.pid, all)) serverProcs.set(pid, all.get(pid)?.cpu ?? 0);
    const runner = process.cpuUsage();
    return {
      atUs: nowUs(),
      serverProcs,
      members: this.#group.workers.map((w) => cpuSeconds(w.pid)),
      runner: (runner.user + runner.system) / 1e6,
      machine: machineCpu(),
    };
  }

  async #waitDrained(timeoutMs: number): Promise<GroupReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const report = await reportGroup(this.#group.workers);
      if (report.counters.msgs >= this.#expectedMsgs && report.counters.acks >= this.#expectedAcks) return report;
      if (Date.now() > deadline) {
        throw new Error(
          `the server never caught up with the previous phase: members have ${report.counters.msgs} of ${this.#expectedMsgs} msgs, ` +
            `${report.counters.acks} of ${this.#expectedAcks} acks, ${timeoutMs / 1000} s after it ended`,
        );
      }
      await sleep(250);
    }
  }

  /** One phase: `msgsPerSecond` messages a second over all members, warm-up, window, drain. */
  async run(msgsPerSecond: number, durationS: number, warmupS = this.opts.warmupS): Promise<ScalingResult> {
    const server = this.#server;
    const group = this.#group;
    const opts = this.opts;
    const problems = [...this.#setupProblems];
    const warnings: string[] = [];
    if (server.child.exitCode !== null || server.child.signalCode !== null)
      throw new Error('the server is no longer running');

    await this.#waitDrained(PREVIOUS_PHASE_DRAIN_MS);
    const quiet = await waitForQuiet(opts.quietWaitS);
    if (quiet.busyPercent > QUIET_PERCENT)
      warnings.push(
        `machine still ${quiet.busyPercent.toFixed(0)} % busy after waiting ${quiet.waitedS.toFixed(0)} s for quiet`,
      );
    const before = await reportGroup(group.workers);
    const viewBefore = await fetchView(server);
    const verdictsBefore = await fetchVerdicts(server);

    const total = group.ok;
    const startUs = nowUs() + SCHEDULE_LEAD_US;
    const windowStartUs = startUs + warmupS * 1e6;
    const windowEndUs = windowStartUs + durationS * 1e6;
    const loadEndUs = windowEndUs + opts.tailS * 1e6;
    const sentReplies: Promise<SentReply>[] = [];
    for (const w of group.workers) {
      w.send({ type: 'window', startUs: windowStartUs, endUs: windowEndUs, idFromUs: startUs });
      sentReplies.push(w.next('sent', (loadEndUs - nowUs()) / 1000 + 60_000));
    }
    // Each process's share of the rate follows its share of the connections.
    const perProc = group.workers.length;
    for (const w of group.workers) {
      w.send({
        type: 'send-rooms',
        texts: this.#texts,
        startUs,
        endUs: loadEndUs,
        msgsPerSecond: msgsPerSecond / perProc,
        windowStartUs,
        windowEndUs,
      });
    }

    // Event-loop delay: /stats every second from 1 s into the window until the load stops
    // (each answer covers the server's last completed 5 s window; the last ones, load only).
    const loopSamples: LoopSample[] = [];
    const statsErrors: string[] = [];
    const sampler = (async (): Promise<void> => {
      for (let at = windowStartUs + 1e6; at <= loadEndUs + 1; at += 1e6) {
        await sleepUntil(at);
        const askedUs = nowUs();
        try {
          const v: ServerView = await fetchView(server);
          const answeredUs = nowUs();
          loopSamples.push({
            atS: (answeredUs - startUs) / 1e6,
            askedUs,
            answeredUs,
            waitMs: (answeredUs - askedUs) / 1000,
            perWorker: v.workers.map((w) => ({ pid: w.pid, p50Ms: w.loopP50Ms, p99Ms: w.loopP99Ms, maxMs: w.loopMaxMs })),
            p99Ms: v.loopP99Ms,
            maxMs: v.loopMaxMs,
            workersAnswering: v.workers.length,
          });
        } catch (err) {
          statsErrors.push((err as Error).message);
        }
      }
    })();

    await sleepUntil(windowStartUs);
    const procsBefore = allProcessCpu();
    const a = this.#sampleCpu();
    await sleepUntil(windowEndUs);
    const b = this.#sampleCpu();
    const procsAfter = allProcessCpu();
    const sent = await Promise.all(sentReplies);
    await sampler;

    const sentTotal = sum(sent.map((s) => s.sent));
    const sentInWindow = sum(sent.map((s) => s.sentInWindow));
    const fanout = opts.members - 1;
    const totalExpected = sentTotal * fanout;
    let report = await reportGroup(group.workers);
    const delivered = (): number => report.counters.msgs - before.counters.msgs;
    const acked = (): number => report.counters.acks - before.counters.acks;
    const drainDeadline = Date.now() + opts.drainTimeoutMs;
    while ((delivered() < totalExpected || acked() < sentTotal) && Date.now() < drainDeadline) {
      await sleep(100);
      report = await reportGroup(group.workers);
    }
    const viewAfter = await fetchView(server);
    const verdicts = countsDelta(verdictsBefore, await fetchVerdicts(server));
    this.#expectedMsgs += totalExpected;
    this.#expectedAcks += sentTotal;

    const sampledS = (b.atUs - a.atUs) / 1e6;
    const serverCpuPerProc: ServerProcCpu[] = [];
    for (const [pid, cpu] of b.serverProcs) {
      const used = cpu - (a.serverProcs.get(pid) ?? cpu);
      serverCpuPerProc.push({
        role: pid !== server.pid ? 'worker' : this.workers > 1 ? 'primary' : 'single',
        pid,
        percent: (used / sampledS) * 100,
      });
    }
    const serverCpuS = sum(serverCpuPerProc.map((p) => (p.percent / 100) * sampledS));
    const memberCpu = b.members.map((v, i) => v - a.members[i]!);
    const inWindow = report.counters.windowMsgs;
    const errors = report.counters.errors - before.counters.errors;
    const disconnects = report.counters.closed - before.counters.closed;
    const oursS = serverCpuS + sum(memberCpu) + (b.runner - a.runner);
    const otherLoadPercent = Math.max(0, ((b.machine.busy - a.machine.busy - oursS) / sampledS) * 100);
    if (otherLoadPercent > QUIET_PERCENT) {
      const ours = new Set([process.pid, ...processTree(server.pid, procsAfter), ...group.workers.map((w) => w.pid)]);
      warnings.push(
        `other processes used ${otherLoadPercent.toFixed(0)} % of a core during the window (top: ${topOthers(procsBefore, procsAfter, ours, sampledS)})`,
      );
    }

    if (delivered() !== totalExpected)
      problems.push(
        `members received ${delivered()} msgs, expected ${totalExpected} (${sentTotal} sent × ${fanout} other members)`,
      );
    if (acked() !== sentTotal) problems.push(`senders got ${acked()} acks for ${sentTotal} msgs`);
    if (errors > 0) problems.push(`${errors} error frames: ${report.counters.errorSamples.join(' | ')}`);
    if (disconnects > 0)
      problems.push(`${disconnects} connections closed by the server: ${report.counters.closeSamples.join('; ')}`);
    const deliveriesDelta = viewAfter.deliveries - viewBefore.deliveries;
    if (deliveriesDelta !== totalExpected)
      problems.push(`/stats deliveries grew by ${deliveriesDelta}, expected ${totalExpected}`);
    const trouble = countsDelta(viewBefore.trouble, viewAfter.trouble);
    if (Object.keys(trouble).length > 0)
      problems.push(
        `server-side: ${Object.entries(trouble)
          .map(([k, v]) => `${k} +${v}`)
          .join(', ')}`,
      );
    const verdictTotal = sum(Object.values(verdicts));
    if (verdictTotal !== sentTotal)
      problems.push(
        `the filter judged ${verdictTotal} messages (/metrics), ${sentTotal} were sent: ${JSON.stringify(verdicts)}`,
      );
    const rejected = Object.entries(verdicts).filter(([k]) => k.startsWith('reject'));
    if (rejected.length > 0) problems.push(`the filter rejected messages: ${JSON.stringify(Object.fromEntries(rejected))}`);
    if (viewAfter.workers.length !== this.workers)
      problems.push(`/stats after the phase answered for ${viewAfter.workers.length} of ${this.workers} workers`);
    if (statsErrors.length > 0) warnings.push(`${statsErrors.length} /stats samples failed: ${statsErrors[0]}`);
    const loop = loadWindows(loopSamples, startUs);
    const slowest = maxOf(loopSamples.map((l) => l.waitMs));
    if (slowest > 1000)
      warnings.push(
        `GET /stats took up to ${(slowest / 1000).toFixed(1)} s to answer under this load (event-loop delay max ${loop.maxMs.toFixed(0)} ms)`,
      );
    const blind = loopSamples.filter((l) => l.waitMs > 1000 && l.maxMs === 0);
    if (blind.length > 0)
      warnings.push(
        `loopchat reported an event-loop delay of 0 ms in ${blind.length} /stats answer(s) that took over 1 s: its 5 s window held no samples (timers starved), so the loop p99 of this step means nothing`,
      );
    if (!loop.clean && loadEndUs - startUs >= 2 * LOOP_WINDOW_US)
      warnings.push(
        'no worker showed a 5 s event-loop window that began after the load did: the loop figures may include the time before this step',
      );
    const short = loopSamples.filter((s) => s.workersAnswering < this.workers);
    if (short.length > 0)
      warnings.push(
        `${short.length} /stats samples answered for fewer than ${this.workers} workers (a worker took > 2 s to answer)`,
      );

    return {
      series: this.series,
      workers: this.workers,
      connections: total,
      rooms: opts.rooms,
      members: opts.members,
      filter: opts.filter,
      offeredMsgsPerSecond: msgsPerSecond,
      durationS,
      sentPerSecond: sentInWindow / durationS,
      deliveredPerSecond: inWindow / durationS,
      msgsPerSecond: inWindow / durationS / fanout,
      latencyP50Ms: report.latencyUs.percentile(50) / 1000,
      latencyP99Ms: report.latencyUs.percentile(99) / 1000,
      latencyP999Ms: report.latencyUs.percentile(99.9) / 1000,
      latencyMaxMs: report.latencyUs.max / 1000,
      windowCompleteness: report.latencyUs.count / Math.max(1, sentInWindow * fanout),
      totalDelivered: delivered(),
      totalExpected,
      sent: sentTotal,
      acked: acked(),
      errors,
      disconnects,
      senderMaxLagMs: Math.max(...sent.map((s) => s.maxSendLagUs)) / 1000,
      serverCpuPercent: (serverCpuS / sampledS) * 100,
      serverCpuPerProc,
      serverCpuUsPerMsg: (serverCpuS * 1e6) / Math.max(1, (inWindow / fanout) * (sampledS / durationS)),
      clientCpuPercent: (sum(memberCpu) / sampledS) * 100,
      clientCpuPercentPerProc: memberCpu.map((v) => (v / sampledS) * 100),
      irqPercent: ((b.machine.irq - a.machine.irq) / sampledS) * 100,
      otherLoadPercent,
      machineBusyPercent: ((b.machine.busy - a.machine.busy + b.machine.irq - a.machine.irq) / sampledS) * 100,
      loopP99Ms: loop.p99Ms,
      loopMaxMs: loop.maxMs,
      loopClean: loop.clean,
      loopSamples,
      connectionsPerWorker: viewBefore.workers.map((w) => w.connections),
      verdicts,
      busyBeforePercent: quiet.busyPercent,
      quietWaitedS: quiet.waitedS,
      setupS: this.#setupS,
      problems,
      warnings,
      notes: server.notes.slice(),
    };
  }
}

/** loopchat's event-loop window (http/loop-delay.ts). */
const LOOP_WINDOW_US = 5e6;

/**
 * The event-loop delay of the windows that saw load only. loopchat reports each process's
 * last completed 5 s window; readings a second apart show the same window until it rolls.
 * A window first seen in reading i (its figures differ from reading i − 1's) rolled in after
 * reading i − 1 was asked, so it began after (asked(i − 1) − 5 s): when that is after the
 * load started, the window held load only (nothing from the previous step's drain or from the
 * quiet before). Per worker, the worst such window; a worker with none falls back to all its
 * readings (clean = false).
 */
export function loadWindows(samples: LoopSample[], loadStartUs: number): { p99Ms: number; maxMs: number; clean: boolean } {
  const byPid = new Map<number, { askedUs: number; key: string; p99: number; max: number }[]>();
  for (const s of samples)
    for (const w of s.perWorker) {
      const list = byPid.get(w.pid) ?? [];
      list.push({ askedUs: s.askedUs, key: `${w.p50Ms}/${w.p99Ms}/${w.maxMs}`, p99: w.p99Ms, max: w.maxMs });
      byPid.set(w.pid, list);
    }
  let clean = byPid.size > 0;
  const p99: number[] = [];
  const max: number[] = [];
  for (const list of byPid.values()) {
    const ok = list.filter(
      (r, i) => i > 0 && r.key !== list[i - 1]!.key && list[i - 1]!.askedUs - LOOP_WINDOW_US >= loadStartUs,
    );
    if (ok.length === 0) clean = false;
    for (const r of ok.length > 0 ? ok : list) {
      p99.push(r.p99);
      max.push(r.max);
    }
  }
  return { p99Ms: maxOf(p99), maxMs: maxOf(max), clean };
}

/** The largest finite value, NaN when there is none. */
export function maxOf(values: number[]): number {
  const v = values.filter(Number.isFinite);
  return v.length === 0 ? NaN : Math.max(...v);
}

/** 'yes', or why a phase was not sustained. */
export function scalingVerdict(x: ScalingResult, maxP99Ms: number): string {
  const why: string[] = [];
  const expected = x.offeredMsgsPerSecond * (x.members - 1);
  if (x.deliveredPerSecond < 0.95 * expected)
    why.push(`delivered ${((x.deliveredPerSecond / expected) * 100).toFixed(1)} % of expected`);
  if (!(x.latencyP99Ms <= maxP99Ms)) why.push(`p99 ${x.latencyP99Ms.toFixed(0)} ms`);
  if (x.errors > 0) why.push(`${x.errors} errors`);
  if (x.disconnects > 0) why.push(`${x.disconnects} disconnects`);
  if (x.totalDelivered < x.totalExpected)
    why.push(`${x.totalExpected - x.totalDelivered} deliveries missing after the drain`);
  return why.length === 0 ? 'yes' : why.join(', ');
}
