/**
 * The floor under a cluster's CPU per message: the scaling workload split over independent
 * single-process servers, with no bus between them. With 2, each server gets half the rooms
 * (each with all its members) and half the rate, from a loadgen of its own, side by side.
 *
 * Why it is a floor: a process's CPU per message falls as its load rises (the fixed cost of
 * an event-loop turn, the wakeup, the poll and the writes, is shared by more messages), so two
 * event loops at half the load each cost more per message than one at all of it, before any
 * cluster machinery. A 2-worker cluster runs two such loops: each worker does at least what an
 * independent server with its connections does, less its history store, which the primary does
 * instead, once for both; and the cluster adds the data plane on top. So no 2-worker cluster's
 * CPU per message can go below these two servers' by more than what one store saves over two
 * (each of them commits its own turns), and their ratio to one process is about the least the
 * cluster's can be on this machine, whatever the cluster does.
 */
import { isAlive, kill } from '../lib/children.js';
import { cpuSnapshot, cpuUsed, cpuWindow, otherLoadWarnings, sum, treeCpuByPid } from '../lib/cpu-window.js';
import { nowUs, sleepUntil } from '../lib/clock.js';
import { deliveryFigures } from '../lib/delivery-figures.js';
import { loadgenWarnings, resultFile } from '../lib/loadgen.js';
import { wireProblems, type RunFindings } from '../lib/loadgen-checks.js';
import { startWindowedLoadgen } from '../lib/loadgen-window.js';
import { notQuietWarnings, waitForQuiet } from '../lib/quiet.js';
import { SERVER_KINDS, startServer, type RunningServer } from '../lib/servers.js';
import {
  scalingArgs,
  scalingLoadgenArgs,
  scalingLoadgenTimeoutMs,
  type ScalingOptions,
  type VerdictFields,
} from './scaling.js';

export interface SplitResult extends RunFindings, VerdictFields {
  /** Independent servers the workload was split over. */
  servers: number;
  /** Deliveries per second over all servers ÷ (members − 1). */
  msgsPerSecond: number;
  /** The servers together, % of one core, and each. */
  serverCpuPercent: number;
  serverCpuPercentEach: number[];
  serverCpuUsPerMsg: number;
  loadgenCpuPercent: number;
  irqPercent: number;
  otherLoadPercent: number;
  latencyP50Ms: number;
}

/** The servers of a split, held open from step to step as a ScalingSeries holds its one. */
export class SplitSeries {
  readonly servers: number;
  readonly #opts: ScalingOptions;
  readonly #textsPath: string;
  readonly #running: RunningServer[];

  private constructor(opts: ScalingOptions, textsPath: string, running: RunningServer[]) {
    this.servers = running.length;
    this.#opts = opts;
    this.#textsPath = textsPath;
    this.#running = running;
  }

  static async open(opts: ScalingOptions, textsPath: string, servers = 2): Promise<SplitSeries> {
    if (opts.rooms % servers !== 0) throw new Error(`${opts.rooms} rooms do not split evenly over ${servers} servers`);
    const running: RunningServer[] = [];
    try {
      for (let i = 0; i < servers; i++)
        running.push(
          await startServer(SERVER_KINDS['loopchat-tcp'], {
            args: scalingArgs(1, opts.filter, opts.classifierUs),
            tag: `scaling-split-${i}`,
          }),
        );
    } catch (err) {
      for (const s of running) await kill(s.child);
      throw err;
    }
    return new SplitSeries(opts, textsPath, running);
  }

  async close(): Promise<void> {
    for (const s of this.#running) await kill(s.child);
  }

  /** One step: `msgsPerSecond` in all, each server taking its share from a loadgen of its own. */
  async run(msgsPerSecond: number, durationS: number): Promise<SplitResult> {
    const opts = this.#opts;
    const servers = this.servers;
    const problems: string[] = [];
    const warnings: string[] = [];
    for (const s of this.#running) if (!isAlive(s.child)) throw new Error('a split server is no longer running');
    warnings.push(...notQuietWarnings(await waitForQuiet(opts.quietWaitS)));
    const share = {
      rooms: opts.rooms / servers,
      members: opts.members,
      procs: Math.max(1, Math.round(opts.procs / servers)),
      warmupS: opts.warmupS,
    };
    const connections = share.rooms * share.members;
    const timeoutMs = scalingLoadgenTimeoutMs(connections, opts.warmupS, durationS);
    const loadgens = this.#running.map((server, i) =>
      startWindowedLoadgen(
        scalingLoadgenArgs(
          share,
          `127.0.0.1:${server.tcpPort}`,
          this.#textsPath,
          String(msgsPerSecond / servers),
          durationS,
        ),
        resultFile('scaling', `split${servers}-${i}-${opts.maxBytes}B-${msgsPerSecond}`),
        timeoutMs,
      ),
    );
    // The loadgens start together and announce their windows a few ms apart: CPU is read over
    // the span every one of them was measuring.
    const windows = await Promise.all(loadgens.map((lg) => lg.window));
    const startUs = Math.max(...windows.map((w) => w.startUs));
    const endUs = Math.min(...windows.map((w) => w.endUs));
    await sleepUntil(startUs);
    const a = cpuSnapshot();
    await sleepUntil(Math.max(endUs, nowUs()));
    const b = cpuSnapshot();
    const runs = await Promise.all(loadgens.map((lg) => lg.done));

    const serverS = this.#running.map((s) => sum([...cpuUsed(treeCpuByPid(a, s.pid), treeCpuByPid(b, s.pid)).values()]));
    const loadgenS = sum(loadgens.map((lg) => sum([...cpuUsed(treeCpuByPid(a, lg.pid), treeCpuByPid(b, lg.pid)).values()])));
    const cpu = cpuWindow(a, b, sum(serverS) + loadgenS + (b.runner - a.runner));
    warnings.push(...otherLoadWarnings(cpu.otherLoadPercent, 'during the window'));

    const fanout = opts.members - 1;
    const figures = runs.map((run) => deliveryFigures(run.result, fanout));
    runs.forEach((run, i) => {
      const r = run.result;
      const f = figures[i]!;
      const name = `server ${i + 1} of ${servers}`;
      if (r.connections.ok !== connections) problems.push(`${name}: ${r.connections.ok}/${connections} connections joined`);
      if (f.totalDelivered !== f.totalExpected)
        problems.push(`${name}: members received ${f.totalDelivered} msgs, expected ${f.totalExpected}`);
      if (f.acked !== f.sent) problems.push(`${name}: senders got ${f.acked} acks for ${f.sent} msgs`);
      problems.push(...wireProblems(r, true).map((p) => `${name}: ${p}`));
      warnings.push(...loadgenWarnings(run));
    });
    const total = (pick: (f: (typeof figures)[number]) => number): number => sum(figures.map(pick));
    const deliveredPerSecond = total((f) => f.deliveredPerSecond);
    const msgs = deliveredPerSecond / fanout;
    return {
      servers,
      members: opts.members,
      offeredMsgsPerSecond: msgsPerSecond,
      deliveredPerSecond,
      msgsPerSecond: msgs,
      serverCpuPercent: (sum(serverS) / cpu.seconds) * 100,
      serverCpuPercentEach: serverS.map((s) => (s / cpu.seconds) * 100),
      serverCpuUsPerMsg: (sum(serverS) * 1e6) / Math.max(1, msgs * cpu.seconds),
      loadgenCpuPercent: (loadgenS / cpu.seconds) * 100,
      irqPercent: cpu.irqPercent,
      otherLoadPercent: cpu.otherLoadPercent,
      latencyP50Ms: Math.max(...figures.map((f) => f.latencyP50Ms)),
      latencyP99Ms: Math.max(...figures.map((f) => f.latencyP99Ms)),
      errors: total((f) => f.errors),
      failedConnections: total((f) => f.failedConnections),
      disconnects: total((f) => f.disconnects),
      totalDelivered: total((f) => f.totalDelivered),
      totalExpected: total((f) => f.totalExpected),
      resultPath: runs.map((r) => r.resultPath).join(', '),
      problems,
      warnings,
      notes: this.#running.flatMap((s) => s.notes),
    };
  }
}
