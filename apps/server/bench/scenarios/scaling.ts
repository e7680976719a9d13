/**
 * Cluster scaling: throughput with the moderation filter on, `--workers 1` against
 * `--workers N`, in a workload where the server's per-message work dominates: many small
 * rooms (default 500 × 4 members), every member a sender at a low rate, texts of
 * 100–200 bytes that the filter has to read (a share with listed terms, masked). Each
 * message costs the server a parse, a filter check, a sequencing (in cluster mode a round
 * trip through the primary), an ack and 3 deliveries; the fan-out is small, so the
 * per-delivery machinery that fan-out measures does not dominate.
 *
 * One server process serves a series of steps at rising open-model arrival rates; each step
 * is one run of the load generator (apps/loadgen, its CLI): connect and join every member,
 * warm-up, a measured window, a drain in which every message must reach every other member
 * of its room and be acked. The loadgen announces its schedule over IPC
 * (lib/loadgen-window.ts), so server CPU is sampled over exactly the window whose latency it
 * measures, and /stats is read every second through the window for the event-loop delay
 * (loopchat reports it over the last completed 5 s window, per worker). The warm-up is 5 s
 * rather than 2 s for that reason: after 10 s of load one of those 5 s windows has certainly
 * held load only, so every figure of a step covers the same 5 s and the loop reading still
 * describes load alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, kill } from '../lib/children.js';
import { nowUs, sleepUntil } from '../lib/clock.js';
import {
  cpuSnapshot,
  cpuUsed,
  cpuWindow,
  otherLoadWarnings,
  sum,
  treeCpuByPid,
  type CpuSnapshot,
} from '../lib/cpu-window.js';
import { deliveryFigures, type DeliveryFigures } from '../lib/delivery-figures.js';
import { loadgenWarnings, resultFile } from '../lib/loadgen.js';
import { serverSideProblems, wireProblems, type RunFindings } from '../lib/loadgen-checks.js';
import { sampleWindow, startWindowedLoadgen, type LoadgenWindow } from '../lib/loadgen-window.js';
import { countsDelta, fetchVerdicts, fetchView, type ServerView } from '../lib/loopchat-view.js';
import { TMP_DIR } from '../lib/paths.js';
import { isHistoryKeeper, topOthers } from '../lib/proc.js';
import { notQuietWarnings, waitForQuiet } from '../lib/quiet.js';
import { SERVER_KINDS, startServer, type RunningServer } from '../lib/servers.js';
import { buildTexts } from '../lib/texts.js';

export interface ScalingOptions {
  rooms: number;
  /** Members per room; every one sends. */
  members: number;
  /** Loadgen processes (`--procs`); each holds members ÷ procs of every room. */
  procs: number;
  /** Load before each window (the loadgen's `--warmup`), seconds; see the file comment for why 5. */
  warmupS: number;
  filter: 'basic' | 'strict';
  /** µs of the simulated classifier per message (--filter-classifier-us). */
  classifierUs: number;
  /** Text sizes, bytes (ASCII), and the share with listed terms. */
  minBytes: number;
  maxBytes: number;
  termShare: number;
  /** Latency p99 above this: not sustained. */
  maxP99Ms: number;
  quietWaitS: number;
}

export interface ServerProcCpu {
  role: 'single' | 'primary' | 'worker' | 'keeper';
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

export interface ScalingResult extends DeliveryFigures, RunFindings {
  /** Series label, e.g. "basic, 100–200 B". */
  series: string;
  workers: number;
  connections: number;
  rooms: number;
  members: number;
  filter: string;
  offeredMsgsPerSecond: number;
  /** Messages the loadgen scheduled in the window ÷ its length. */
  sentPerSecond: number;
  /** deliveredPerSecond ÷ (members − 1): messages the server got through, per second. */
  msgsPerSecond: number;
  /** The server's process tree (primary + workers), % of one core. */
  serverCpuPercent: number;
  serverCpuPerProc: ServerProcCpu[];
  serverCpuUsPerMsg: number;
  /** The loadgen's process tree (the CLI and its `--procs` workers), % of one core. */
  loadgenCpuPercent: number;
  loadgenCpuPercentPerProc: number[];
  irqPercent: number;
  otherLoadPercent: number;
  machineBusyPercent: number;
  /** Max over the /stats samples of the worst worker's 5 s-window event-loop delay p99, and of max. */
  loopP99Ms: number;
  loopMaxMs: number;
  /** True when every worker's figures come from 5 s windows of load only (see loadWindows). */
  loopClean: boolean;
  loopSamples: LoopSample[];
  /** Connections per worker (from /stats) once the loadgen's had joined. */
  connectionsPerWorker: number[];
  /** Moderation verdicts during the step (from /metrics). */
  verdicts: Record<string, number>;
  busyBeforePercent: number;
  quietWaitedS: number;
  setupS: number;
}

/** Texts the senders share: sender k sends line k mod 256 (the loadgen's `--texts`). */
const TEXTS = 256;
const CONNECT_RATE = 4_000;
const CONNECT_TIMEOUT_S = 20;
/** The loadgen's `--drain`: the longest wait after the schedule for every ack and delivery. */
export const SCALING_DRAIN_S = 10;
/** loopchat's event-loop window (http/loop-delay.ts). */
const LOOP_WINDOW_US = 5e6;

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

/** How long a scaling step's loadgen run of `connections` may take before the bench gives up on it. */
export function scalingLoadgenTimeoutMs(connections: number, warmupS: number, durationS: number): number {
  return (connections / CONNECT_RATE + CONNECT_TIMEOUT_S + warmupS + durationS + SCALING_DRAIN_S + 30) * 1000;
}

/** The loadgen flags of one scaling step (besides `--out`); `rate` is a string so the report can show `R`. */
export function scalingLoadgenArgs(
  o: Pick<ScalingOptions, 'rooms' | 'members' | 'procs' | 'warmupS'>,
  tcp: string,
  textsPath: string,
  rate: string,
  durationS: number,
): string[] {
  return [
    ['--driver', 'loopchat', '--transport', 'tcp', '--tcp', tcp],
    ['--connections', String(o.rooms * o.members), '--rooms', String(o.rooms), '--senders', '1'],
    ['--texts', textsPath, '--rate', rate, '--warmup', `${o.warmupS}s`, '--duration', `${durationS}s`],
    ['--connect-rate', String(CONNECT_RATE), '--connect-timeout', `${CONNECT_TIMEOUT_S}s`],
    ['--drain', `${SCALING_DRAIN_S}s`, '--procs', String(o.procs)],
  ].flat();
}

interface WindowSamples {
  a: CpuSnapshot;
  b: CpuSnapshot;
  loopSamples: LoopSample[];
  statsErrors: string[];
}

export class ScalingSeries {
  readonly workers: number;
  readonly series: string;
  readonly opts: ScalingOptions;
  readonly #server: RunningServer;
  readonly #textsPath: string;
  readonly #setupS: number;

  private constructor(
    workers: number,
    series: string,
    opts: ScalingOptions,
    server: RunningServer,
    textsPath: string,
    setupS: number,
  ) {
    this.workers = workers;
    this.series = series;
    this.opts = opts;
    this.#server = server;
    this.#textsPath = textsPath;
    this.#setupS = setupS;
  }

  get server(): RunningServer {
    return this.#server;
  }

  /** The texts file its loadgen runs send (`--texts`). */
  get textsPath(): string {
    return this.#textsPath;
  }

  static async open(workers: number, series: string, opts: ScalingOptions): Promise<ScalingSeries> {
    await waitForQuiet(opts.quietWaitS);
    const startUs = nowUs();
    const server = await startServer(SERVER_KINDS['loopchat-tcp'], {
      args: scalingArgs(workers, opts.filter, opts.classifierUs),
      tag: `scaling-w${workers}-${opts.filter}`,
    });
    try {
      const texts = buildTexts({
        count: TEXTS,
        minBytes: opts.minBytes,
        maxBytes: opts.maxBytes,
        termShare: opts.termShare,
      });
      mkdirSync(TMP_DIR, { recursive: true });
      const textsPath = join(TMP_DIR, `scaling-texts-${opts.minBytes}-${opts.maxBytes}-${opts.termShare}.txt`);
      writeFileSync(textsPath, `${texts.join('\n')}\n`);
      return new ScalingSeries(workers, series, opts, server, textsPath, (nowUs() - startUs) / 1e6);
    } catch (err) {
      await kill(server.child);
      throw err;
    }
  }

  async close(): Promise<void> {
    await kill(this.#server.child);
  }

  /** /stats every second from the window's start to its end (each answer: the last completed 5 s window). */
  async #sampleLoop(w: LoadgenWindow): Promise<Pick<WindowSamples, 'loopSamples' | 'statsErrors'>> {
    const loopSamples: LoopSample[] = [];
    const statsErrors: string[] = [];
    for (let at = w.startUs; at <= w.endUs + 1; at += 1e6) {
      await sleepUntil(at);
      const askedUs = nowUs();
      try {
        const v: ServerView = await fetchView(this.#server);
        const answeredUs = nowUs();
        loopSamples.push({
          atS: (answeredUs - w.firstSendUs) / 1e6,
          askedUs,
          answeredUs,
          waitMs: (answeredUs - askedUs) / 1000,
          perWorker: v.workers.map((x) => ({ pid: x.pid, p50Ms: x.loopP50Ms, p99Ms: x.loopP99Ms, maxMs: x.loopMaxMs })),
          p99Ms: v.loopP99Ms,
          maxMs: v.loopMaxMs,
          workersAnswering: v.workers.length,
        });
      } catch (err) {
        statsErrors.push((err as Error).message);
      }
    }
    return { loopSamples, statsErrors };
  }

  async #sampleWindow(w: LoadgenWindow): Promise<WindowSamples> {
    const loop = this.#sampleLoop(w);
    return { ...(await sampleWindow(w, cpuSnapshot)), ...(await loop) };
  }

  /** One step: a loadgen run at `msgsPerSecond` messages a second over all members. */
  async run(msgsPerSecond: number, durationS: number): Promise<ScalingResult> {
    const server = this.#server;
    const opts = this.opts;
    const problems: string[] = [];
    const warnings: string[] = [];
    if (!isAlive(server.child)) throw new Error('the server is no longer running');

    const quiet = await waitForQuiet(opts.quietWaitS);
    warnings.push(...notQuietWarnings(quiet));
    const viewBefore = await fetchView(server);
    const verdictsBefore = await fetchVerdicts(server);

    const total = opts.rooms * opts.members;
    const out = resultFile('scaling', `w${this.workers}-${opts.filter}-${opts.maxBytes}B-${msgsPerSecond}`);
    const args = scalingLoadgenArgs(opts, `127.0.0.1:${server.tcpPort}`, this.#textsPath, String(msgsPerSecond), durationS);
    const lg = startWindowedLoadgen(args, out, scalingLoadgenTimeoutMs(total, opts.warmupS, durationS));
    // With every member joined, before the first send: what the server holds, per worker.
    const joinedView = lg.joined.then(() => fetchView(server));
    const windowed = lg.window.then(async (w) => ({ w, ...(await this.#sampleWindow(w)) }));
    const [run, viewJoined, { w, a, b, loopSamples, statsErrors }] = await Promise.all([lg.done, joinedView, windowed]);
    const viewAfter = await fetchView(server);
    const verdicts = countsDelta(verdictsBefore, await fetchVerdicts(server));

    const r = run.result;
    const step = r.steps[0]!;
    const fanout = opts.members - 1;
    const figures = deliveryFigures(r, fanout);
    const { sent, acked, totalExpected, durationS: stepS } = figures;

    const serverUsed = cpuUsed(treeCpuByPid(a, server.pid), treeCpuByPid(b, server.pid));
    const loadgenUsed = cpuUsed(treeCpuByPid(a, lg.pid), treeCpuByPid(b, lg.pid));
    const serverCpuS = sum([...serverUsed.values()]);
    const loadgenCpu = [...loadgenUsed.values()];
    const cpu = cpuWindow(a, b, serverCpuS + sum(loadgenCpu) + (b.runner - a.runner));
    const sampledS = cpu.seconds;
    const serverCpuPerProc: ServerProcCpu[] = [...serverUsed].map(([pid, s]) => ({
      role: pid === server.pid ? (this.workers > 1 ? 'primary' : 'single') : isHistoryKeeper(pid) ? 'keeper' : 'worker',
      pid,
      percent: (s / sampledS) * 100,
    }));
    const ours = new Set([process.pid, ...serverUsed.keys(), ...loadgenUsed.keys()]);
    warnings.push(
      ...otherLoadWarnings(
        cpu.otherLoadPercent,
        'during the window',
        () => `(top: ${topOthers(a.all, b.all, ours, sampledS)})`,
      ),
    );

    if (r.config.texts?.count !== TEXTS)
      problems.push(`the loadgen read ${r.config.texts?.count ?? 'no'} texts from ${this.#textsPath}, expected ${TEXTS}`);
    if (r.connections.ok !== total)
      problems.push(`${r.connections.ok}/${total} connections joined: ${r.connections.failureSamples.join('; ')}`);
    if (viewJoined.connections !== total)
      problems.push(
        `/stats reported ${viewJoined.connections} connections once the loadgen's had joined, expected ${total}`,
      );
    if (viewJoined.workers.length !== this.workers)
      problems.push(`/stats reported ${viewJoined.workers.length} worker(s), expected ${this.workers}`);
    if (r.messages.delivered !== totalExpected)
      problems.push(
        `members received ${r.messages.delivered} msgs, expected ${totalExpected} (${sent} sent × ${fanout} other members; the loadgen counts ${r.messages.lost} lost)`,
      );
    if (acked !== sent) problems.push(`senders got ${acked} acks for ${sent} msgs`);
    problems.push(...wireProblems(r, true));
    const deliveriesDelta = viewAfter.deliveries - viewBefore.deliveries;
    if (deliveriesDelta !== totalExpected)
      problems.push(`/stats deliveries grew by ${deliveriesDelta}, expected ${totalExpected}`);
    if (this.workers > 1) {
      const sequenced = (viewAfter.primaryMessages ?? NaN) - (viewBefore.primaryMessages ?? NaN);
      if (sequenced !== sent) problems.push(`/stats primary.messages grew by ${sequenced}, ${sent} msgs were sent`);
    }
    problems.push(...serverSideProblems(countsDelta(viewBefore.trouble, viewAfter.trouble)));
    const verdictTotal = sum(Object.values(verdicts));
    if (verdictTotal !== sent)
      problems.push(`the filter judged ${verdictTotal} messages (/metrics), ${sent} were sent: ${JSON.stringify(verdicts)}`);
    const rejected = Object.entries(verdicts).filter(([k]) => k.startsWith('reject'));
    if (rejected.length > 0) problems.push(`the filter rejected messages: ${JSON.stringify(Object.fromEntries(rejected))}`);
    if (viewAfter.workers.length !== this.workers)
      problems.push(`/stats after the step answered for ${viewAfter.workers.length} of ${this.workers} workers`);

    warnings.push(...loadgenWarnings(run));
    if (statsErrors.length > 0) warnings.push(`${statsErrors.length} /stats samples failed: ${statsErrors[0]}`);
    const loop = loadWindows(loopSamples, w.firstSendUs);
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
    if (!loop.clean && w.endUs - w.firstSendUs >= 2 * LOOP_WINDOW_US)
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
      connections: r.connections.ok,
      rooms: opts.rooms,
      members: opts.members,
      filter: opts.filter,
      offeredMsgsPerSecond: msgsPerSecond,
      sentPerSecond: step.sent / stepS,
      msgsPerSecond: figures.deliveredPerSecond / fanout,
      ...figures,
      serverCpuPercent: (serverCpuS / sampledS) * 100,
      serverCpuPerProc,
      serverCpuUsPerMsg: (serverCpuS * 1e6) / Math.max(1, (figures.deliveredPerSecond / fanout) * sampledS),
      loadgenCpuPercent: (sum(loadgenCpu) / sampledS) * 100,
      loadgenCpuPercentPerProc: loadgenCpu.map((s) => (s / sampledS) * 100),
      irqPercent: cpu.irqPercent,
      otherLoadPercent: cpu.otherLoadPercent,
      machineBusyPercent: cpu.machineBusyPercent,
      loopP99Ms: loop.p99Ms,
      loopMaxMs: loop.maxMs,
      loopClean: loop.clean,
      loopSamples,
      connectionsPerWorker: viewJoined.workers.map((x) => x.connections),
      verdicts,
      busyBeforePercent: quiet.busyPercent,
      quietWaitedS: quiet.waitedS,
      setupS: this.#setupS,
      resultPath: run.resultPath,
      problems,
      warnings,
      notes: server.notes.slice(),
    };
  }
}

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

/** What decides whether a step was sustained. */
export type VerdictFields = Pick<
  ScalingResult,
  | 'offeredMsgsPerSecond'
  | 'members'
  | 'deliveredPerSecond'
  | 'latencyP99Ms'
  | 'errors'
  | 'failedConnections'
  | 'disconnects'
  | 'totalDelivered'
  | 'totalExpected'
>;

/** 'yes', or why a step was not sustained. */
export function scalingVerdict(x: VerdictFields, maxP99Ms: number): string {
  const why: string[] = [];
  const expected = x.offeredMsgsPerSecond * (x.members - 1);
  if (x.deliveredPerSecond < 0.95 * expected)
    why.push(`delivered ${((x.deliveredPerSecond / expected) * 100).toFixed(1)} % of expected`);
  if (!(x.latencyP99Ms <= maxP99Ms))
    why.push(Number.isFinite(x.latencyP99Ms) ? `p99 ${x.latencyP99Ms.toFixed(0)} ms` : 'no latency measured');
  if (x.errors > 0) why.push(`${x.errors} errors`);
  if (x.failedConnections > 0) why.push(`${x.failedConnections} connections failed`);
  if (x.disconnects > 0) why.push(`${x.disconnects} disconnects`);
  if (x.totalDelivered < x.totalExpected)
    why.push(`${x.totalExpected - x.totalDelivered} deliveries missing after the drain`);
  return why.length === 0 ? 'yes' : why.join(', ');
}
