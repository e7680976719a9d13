/**
 * Bus latency: what crossing a process boundary adds to a delivery. The same modest load
 * (default 1,000 msgs/s into 100 rooms of 10 members: in each room one sender and 9
 * receivers, so 9,000 deliveries/s) through three deployments:
 *
 *   local     one process (`--workers 1`, LocalBus): sequencing and fan-out in one loop
 *   cluster   `--workers 2` (IpcBus): every message goes worker → primary (seq, history)
 *             → every worker with members in the room; members land on both workers
 *   redis     two single-process instances on one private redis-server (RedisBus):
 *             the senders on instance A, the receivers on instance B (the loadgen's
 *             `--tcp A --receiver-tcp B`), so every delivery goes A → Redis (Lua: seq +
 *             stream + PUBLISH) → B
 *
 * Each window is one run of the load generator (apps/loadgen, its CLI): connect, warm-up,
 * the measured window, a drain. Latency is measured at the receivers from each message's
 * scheduled send time; the overhead of a mode is its percentile minus the local one's. CPU
 * is sampled over exactly the loadgen's measured window (lib/loadgen-window.ts). The
 * moderation filter is off here (`--filter off`): it costs the same in every mode and this
 * bench is about the bus.
 */
import { isAlive, kill } from '../lib/children.js';
import { cpuSnapshot, cpuWindow, otherLoadWarnings, sum, treeCpu, type CpuSnapshot } from '../lib/cpu-window.js';
import { deliveryFigures, type DeliveryFigures } from '../lib/delivery-figures.js';
import { loadgenWarnings, resultFile } from '../lib/loadgen.js';
import { serverSideProblems, wireProblems, type RunFindings } from '../lib/loadgen-checks.js';
import { sampleWindow, startWindowedLoadgen } from '../lib/loadgen-window.js';
import { BENCH_LOOPCHAT_ARGS } from '../lib/loopchat-args.js';
import { countsDelta, fetchView, type ServerView } from '../lib/loopchat-view.js';
import { processTree, topOthers } from '../lib/proc.js';
import { notQuietWarnings, waitForQuiet } from '../lib/quiet.js';
import { startRedis, type PrivateRedis } from '../lib/redis.js';
import { SERVER_KINDS, startServer, type RunningServer } from '../lib/servers.js';

export type BusMode = 'local' | 'cluster' | 'redis';
export const BUS_MODES: BusMode[] = ['local', 'cluster', 'redis'];

export const BUS_LABELS: Record<BusMode, string> = {
  local: 'single process (LocalBus)',
  cluster: '--workers 2 (IPC through the primary)',
  redis: '2 instances on one Redis (A → Redis → B)',
};

export interface BusOptions {
  rooms: number;
  /** Members per room: one sender and members − 1 receivers. */
  members: number;
  msgsPerSecond: number;
  warmupS: number;
  durationS: number;
  quietWaitS: number;
}

export interface BusResult extends DeliveryFigures, RunFindings {
  mode: BusMode;
  label: string;
  run: number;
  msgsPerSecond: number;
  /** Deliveries the window's latency figures are from. */
  latencySamples: number;
  /** Every loopchat process (and redis-server), % of one core. */
  serverCpuPercent: number;
  redisCpuPercent: number;
  /** The loadgen's process tree, % of one core. */
  loadgenCpuPercent: number;
  otherLoadPercent: number;
  /** Connections per loopchat process (per worker in cluster mode; A then B in redis mode). */
  connectionsPerProcess: number[];
  redisVersion?: string;
}

const CONNECT_RATE = 4_000;
const CONNECT_TIMEOUT_S = 20;
/** The loadgen's `--drain`: the longest wait after the schedule for every ack and delivery. */
export const BUS_DRAIN_S = 10;
/** Text size of every message, bytes (the loadgen's `--size`). */
const BUS_MESSAGE_BYTES = 100;

/**
 * The loadgen flags of one bus window (besides `--out`): one sender per room (`--senders
 * 1/members`); with `receiverTcp`, the senders connect to `tcp` and the other members there.
 */
export function busLoadgenArgs(
  o: Pick<BusOptions, 'rooms' | 'members' | 'msgsPerSecond' | 'warmupS' | 'durationS'>,
  tcp: string,
  receiverTcp?: string,
): string[] {
  return [
    ['--driver', 'loopchat', '--transport', 'tcp', '--tcp', tcp],
    receiverTcp === undefined ? [] : ['--receiver-tcp', receiverTcp],
    ['--connections', String(o.rooms * o.members), '--rooms', String(o.rooms), '--senders', String(1 / o.members)],
    ['--size', String(BUS_MESSAGE_BYTES), '--rate', String(o.msgsPerSecond)],
    ['--warmup', `${o.warmupS}s`, '--duration', `${o.durationS}s`],
    ['--connect-rate', String(CONNECT_RATE), '--connect-timeout', `${CONNECT_TIMEOUT_S}s`],
    ['--drain', `${BUS_DRAIN_S}s`, '--procs', '1'],
  ].flat();
}

export class BusSetup {
  readonly mode: BusMode;
  readonly opts: BusOptions;
  readonly #servers: RunningServer[];
  readonly #redis: PrivateRedis | undefined;
  #runs = 0;

  private constructor(mode: BusMode, opts: BusOptions, servers: RunningServer[], redis: PrivateRedis | undefined) {
    this.mode = mode;
    this.opts = opts;
    this.#servers = servers;
    this.#redis = redis;
  }

  static async open(mode: BusMode, opts: BusOptions): Promise<BusSetup> {
    const servers: RunningServer[] = [];
    let redis: PrivateRedis | undefined;
    try {
      await waitForQuiet(opts.quietWaitS);
      const kind = SERVER_KINDS['loopchat-tcp'];
      if (mode === 'redis') {
        redis = await startRedis();
        for (const name of ['A', 'B'])
          servers.push(
            await startServer(kind, {
              args: [...BENCH_LOOPCHAT_ARGS, '--workers', '1'],
              env: { REDIS_URL: redis.url },
              tag: `bus-redis-${name}`,
            }),
          );
      } else {
        servers.push(
          await startServer(kind, {
            args: [...BENCH_LOOPCHAT_ARGS, '--workers', mode === 'cluster' ? '2' : '1'],
            tag: `bus-${mode}`,
          }),
        );
      }
      return new BusSetup(mode, opts, servers, redis);
    } catch (err) {
      for (const s of servers) await kill(s.child);
      await kill(redis?.child);
      throw err;
    }
  }

  async close(): Promise<void> {
    for (const s of this.#servers) await kill(s.child);
    await kill(this.#redis?.child);
  }

  /** CPU seconds of every loopchat process, of redis-server and of the loadgen at the snapshot. */
  #cpu(s: CpuSnapshot, loadgenPid: number): { servers: number; redis: number; loadgen: number } {
    return {
      servers: sum(this.#servers.map((server) => treeCpu(s, server.pid))),
      redis: this.#redis === undefined ? 0 : (s.all.get(this.#redis.pid)?.cpu ?? 0),
      loadgen: treeCpu(s, loadgenPid),
    };
  }

  /** One window: a loadgen run, senders on the first server, receivers on the last. */
  async run(): Promise<BusResult> {
    const opts = this.opts;
    const problems: string[] = [];
    const warnings: string[] = [];
    for (const s of this.#servers) if (!isAlive(s.child)) throw new Error(`${s.logPath}: server no longer running`);
    const quiet = await waitForQuiet(opts.quietWaitS);
    warnings.push(...notQuietWarnings(quiet));
    const viewsBefore: ServerView[] = await Promise.all(this.#servers.map((s) => fetchView(s)));

    const senderServer = this.#servers[0]!;
    const receiverServer = this.#servers[this.#servers.length - 1]!;
    const args = busLoadgenArgs(
      opts,
      `127.0.0.1:${senderServer.tcpPort}`,
      receiverServer === senderServer ? undefined : `127.0.0.1:${receiverServer.tcpPort}`,
    );
    const total = opts.rooms * opts.members;
    const out = resultFile('bus', this.mode);
    const timeoutMs = (total / CONNECT_RATE + CONNECT_TIMEOUT_S + opts.warmupS + opts.durationS + BUS_DRAIN_S + 30) * 1000;
    const lg = startWindowedLoadgen(args, out, timeoutMs);
    const joinedViews = lg.joined.then(() => Promise.all(this.#servers.map((s) => fetchView(s))));
    const sampled = lg.window.then((w) => sampleWindow(w, cpuSnapshot));
    const [run, viewsJoined, { a, b }] = await Promise.all([lg.done, joinedViews, sampled]);
    const viewsAfter = await Promise.all(this.#servers.map((s) => fetchView(s)));

    const r = run.result;
    const step = r.steps[0]!;
    const fanout = opts.members - 1;
    const figures = deliveryFigures(r, fanout);
    const { sent, acked, totalExpected } = figures;

    const [before, after] = [this.#cpu(a, lg.pid), this.#cpu(b, lg.pid)];
    const serversS = after.servers - before.servers;
    const redisS = after.redis - before.redis;
    const loadgenS = after.loadgen - before.loadgen;
    const cpu = cpuWindow(a, b, serversS + redisS + loadgenS + (b.runner - a.runner));
    const sampledS = cpu.seconds;
    const ours = (): Set<number> =>
      new Set([
        process.pid,
        ...processTree(lg.pid, b.all),
        ...this.#servers.flatMap((s) => processTree(s.pid, b.all)),
        ...(this.#redis === undefined ? [] : [this.#redis.pid]),
      ]);
    warnings.push(
      ...otherLoadWarnings(
        cpu.otherLoadPercent,
        'during the window',
        () => `(top: ${topOthers(a.all, b.all, ours(), sampledS)})`,
      ),
    );

    if (r.connections.ok !== total)
      problems.push(`${r.connections.ok}/${total} connections joined: ${r.connections.failureSamples.join('; ')}`);
    const joined = sum(viewsJoined.map((v) => v.connections));
    if (joined !== total)
      problems.push(`/stats reported ${joined} connections once the loadgen's had joined, expected ${total}`);
    if (this.mode === 'cluster' && viewsJoined[0]!.workers.some((w) => w.connections === 0))
      problems.push(
        `a worker holds no connections (${viewsJoined[0]!.workers.map((w) => w.connections).join(' + ')}): nothing crosses workers`,
      );
    if (r.messages.delivered !== totalExpected)
      problems.push(
        `receivers got ${r.messages.delivered} msgs, expected ${totalExpected} (${sent} sent × ${fanout}; the loadgen counts ${r.messages.lost} lost)`,
      );
    if (acked !== sent) problems.push(`senders got ${acked} acks for ${sent} msgs`);
    problems.push(...wireProblems(r, true));
    const deliveries = sum(viewsAfter.map((v) => v.deliveries)) - sum(viewsBefore.map((v) => v.deliveries));
    if (deliveries !== totalExpected) problems.push(`/stats deliveries grew by ${deliveries}, expected ${totalExpected}`);
    viewsAfter.forEach((v, i) => problems.push(...serverSideProblems(countsDelta(viewsBefore[i]!.trouble, v.trouble))));
    warnings.push(...loadgenWarnings(run));

    return {
      mode: this.mode,
      label: BUS_LABELS[this.mode],
      run: ++this.#runs,
      msgsPerSecond: opts.msgsPerSecond,
      ...figures,
      latencySamples: step.latencyMs.count,
      serverCpuPercent: ((serversS + redisS) / sampledS) * 100,
      redisCpuPercent: (redisS / sampledS) * 100,
      loadgenCpuPercent: (loadgenS / sampledS) * 100,
      otherLoadPercent: cpu.otherLoadPercent,
      connectionsPerProcess: viewsJoined.flatMap((v) => v.workers.map((w) => w.connections)),
      ...(this.#redis === undefined ? {} : { redisVersion: this.#redis.version }),
      resultPath: run.resultPath,
      problems,
      warnings,
      notes: this.#servers.flatMap((s) => s.notes),
    };
  }
}
