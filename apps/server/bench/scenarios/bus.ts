/**
 * Bus latency: what crossing a process boundary adds to a delivery. The same modest load
 * (default 1,000 msgs/s into 100 rooms of 10 members: in each room one sender and 9
 * receivers, so 9,000 deliveries/s) through three deployments:
 *
 *   local     one process (`--workers 1`, LocalBus): sequencing and fan-out in one loop
 *   cluster   `--workers 2` (IpcBus): every message goes worker → primary (seq, history)
 *             → every worker with members in the room; members land on both workers
 *   redis     two single-process instances on one private redis-server (RedisBus):
 *             the senders on instance A, the receivers on instance B, so every delivery
 *             goes A → Redis (Lua: seq + stream + PUBLISH) → B
 *
 * Latency is measured at the receivers from each message's scheduled send time, like the
 * fan-out bench; the overhead of a mode is its percentile minus the local one's. The
 * moderation filter is off here (`--filter off`): it costs the same in every mode and
 * this bench is about the bus.
 */
import { kill } from '../lib/children.js';
import { connectGroup, killGroup, reportGroup, sum, type ConnectedGroup, type GroupReport } from '../lib/clients.js';
import { nowUs, sleep, sleepUntil } from '../lib/clock.js';
import { BENCH_LOOPCHAT_ARGS } from '../lib/loopchat-args.js';
import { countsDelta, fetchView, type ServerView } from '../lib/loopchat-view.js';
import type { SentReply } from '../lib/messages.js';
import { allProcessCpu, cpuSeconds, machineCpu, processTree, topOthers, type MachineCpu } from '../lib/proc.js';
import { QUIET_PERCENT, waitForQuiet } from '../lib/quiet.js';
import { startRedis, type PrivateRedis } from '../lib/redis.js';
import { SERVER_KINDS, startServer, type RunningServer } from '../lib/servers.js';
import { MESSAGE_TEXT } from './fanout.js';

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
  drainTimeoutMs: number;
  quietWaitS: number;
}

export interface BusResult {
  mode: BusMode;
  label: string;
  run: number;
  msgsPerSecond: number;
  durationS: number;
  deliveredPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyP999Ms: number;
  latencyMaxMs: number;
  latencySamples: number;
  windowCompleteness: number;
  totalDelivered: number;
  totalExpected: number;
  sent: number;
  acked: number;
  errors: number;
  disconnects: number;
  senderMaxLagMs: number;
  /** Every loopchat process (and redis-server), % of one core. */
  serverCpuPercent: number;
  redisCpuPercent: number;
  clientCpuPercent: number;
  otherLoadPercent: number;
  /** Connections per loopchat process (per worker in cluster mode; A then B in redis mode). */
  connectionsPerProcess: number[];
  redisVersion?: string;
  problems: string[];
  warnings: string[];
  notes: string[];
}

const ROOM_PREFIX = 'b';
const SCHEDULE_LEAD_US = 300_000;

interface CpuSample {
  atUs: number;
  servers: number;
  redis: number;
  clients: number;
  runner: number;
  machine: MachineCpu;
}

function treeCpu(pid: number, all: ReturnType<typeof allProcessCpu>): number {
  let total = 0;
  for (const p of processTree(pid, all)) total += all.get(p)?.cpu ?? 0;
  return total;
}

export class BusSetup {
  readonly mode: BusMode;
  readonly opts: BusOptions;
  readonly #servers: RunningServer[];
  readonly #redis: PrivateRedis | undefined;
  readonly #senders: ConnectedGroup;
  readonly #receivers: ConnectedGroup;
  readonly #problems: string[];
  #runs = 0;
  #expectedMsgs = 0;
  #expectedAcks: number;

  private constructor(
    mode: BusMode,
    opts: BusOptions,
    servers: RunningServer[],
    redis: PrivateRedis | undefined,
    senders: ConnectedGroup,
    receivers: ConnectedGroup,
    problems: string[],
  ) {
    this.mode = mode;
    this.opts = opts;
    this.#servers = servers;
    this.#redis = redis;
    this.#senders = senders;
    this.#receivers = receivers;
    this.#problems = problems;
    this.#expectedAcks = senders.ok;
  }

  static async open(mode: BusMode, opts: BusOptions): Promise<BusSetup> {
    const servers: RunningServer[] = [];
    let redis: PrivateRedis | undefined;
    let senders: ConnectedGroup | undefined;
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
      const senderServer = servers[0]!;
      const receiverServer = servers[servers.length - 1]!;
      const receiverCount = opts.rooms * (opts.members - 1);
      // Receivers first, so every room has its members before a sender talks into it.
      const receivers = await connectGroup({
        target: receiverServer.target,
        total: receiverCount,
        procs: 1,
        room: ROOM_PREFIX,
        rooms: opts.rooms,
        nickPrefix: 'r',
        concurrency: 200,
      });
      if (receivers.ok !== receiverCount) {
        await killGroup(receivers.workers);
        throw new Error(`only ${receivers.ok}/${receiverCount} receivers joined: ${receivers.failureSamples.join('; ')}`);
      }
      try {
        senders = await connectGroup(
          {
            target: senderServer.target,
            total: opts.rooms,
            procs: 1,
            room: ROOM_PREFIX,
            rooms: opts.rooms,
            nickPrefix: 's',
            concurrency: 100,
          },
          'room-worker',
        );
      } catch (err) {
        await killGroup(receivers.workers);
        throw err;
      }
      if (senders.ok !== opts.rooms) {
        await killGroup(receivers.workers);
        await killGroup(senders.workers);
        throw new Error(`only ${senders.ok}/${opts.rooms} senders joined: ${senders.failureSamples.join('; ')}`);
      }
      const problems: string[] = [];
      const views = await Promise.all(servers.map((s) => fetchView(s)));
      const connections = sum(views.map((v) => v.connections));
      if (connections !== receiverCount + opts.rooms)
        problems.push(`/stats reports ${connections} connections, expected ${receiverCount + opts.rooms}`);
      if (mode === 'cluster' && views[0]!.workers.some((w) => w.connections === 0))
        problems.push(
          `a worker holds no connections (${views[0]!.workers.map((w) => w.connections).join(' + ')}): nothing crosses workers`,
        );
      return new BusSetup(mode, opts, servers, redis, senders, receivers, problems);
    } catch (err) {
      for (const s of servers) await kill(s.child);
      await kill(redis?.child);
      throw err;
    }
  }

  async close(): Promise<void> {
    for (const s of this.#servers) await kill(s.child);
    await kill(this.#redis?.child);
    await killGroup(this.#receivers.workers);
    await killGroup(this.#senders.workers);
  }

  #sampleCpu(): CpuSample {
    const all = allProcessCpu();
    const runner = process.cpuUsage();
    return {
      atUs: nowUs(),
      servers: sum(this.#servers.map((s) => treeCpu(s.pid, all))),
      redis: this.#redis === undefined ? 0 : (all.get(this.#redis.pid)?.cpu ?? 0),
      clients: sum([...this.#receivers.workers, ...this.#senders.workers].map((w) => cpuSeconds(w.pid))),
      runner: (runner.user + runner.system) / 1e6,
      machine: machineCpu(),
    };
  }

  async #reports(): Promise<[GroupReport, GroupReport]> {
    return Promise.all([reportGroup(this.#receivers.workers), reportGroup(this.#senders.workers)]);
  }

  async run(): Promise<BusResult> {
    const opts = this.opts;
    const problems = [...this.#problems];
    const warnings: string[] = [];
    for (const s of this.#servers)
      if (s.child.exitCode !== null || s.child.signalCode !== null)
        throw new Error(`${s.logPath}: server no longer running`);
    // The previous window on this setup must be fully delivered.
    const drainBy = Date.now() + 30_000;
    for (;;) {
      const [r, s] = await this.#reports();
      if (r.counters.msgs >= this.#expectedMsgs && s.counters.acks >= this.#expectedAcks) break;
      if (Date.now() > drainBy) throw new Error('the previous window never drained');
      await sleep(250);
    }
    const quiet = await waitForQuiet(opts.quietWaitS);
    if (quiet.busyPercent > QUIET_PERCENT)
      warnings.push(
        `machine still ${quiet.busyPercent.toFixed(0)} % busy after waiting ${quiet.waitedS.toFixed(0)} s for quiet`,
      );
    const [before, senderBefore] = await this.#reports();
    const viewsBefore: ServerView[] = await Promise.all(this.#servers.map((s) => fetchView(s)));

    const startUs = nowUs() + SCHEDULE_LEAD_US;
    const windowStartUs = startUs + opts.warmupS * 1e6;
    const windowEndUs = windowStartUs + opts.durationS * 1e6;
    for (const w of this.#receivers.workers)
      w.send({ type: 'window', startUs: windowStartUs, endUs: windowEndUs, idFromUs: startUs });
    const sender = this.#senders.workers[0]!;
    const sentReply: Promise<SentReply> = sender.next('sent', (windowEndUs - nowUs()) / 1000 + 60_000);
    sender.send({
      type: 'send-rooms',
      texts: [MESSAGE_TEXT],
      startUs,
      endUs: windowEndUs,
      msgsPerSecond: opts.msgsPerSecond,
      windowStartUs,
      windowEndUs,
    });
    await sleepUntil(windowStartUs);
    const procsBefore = allProcessCpu();
    const a = this.#sampleCpu();
    await sleepUntil(windowEndUs);
    const b = this.#sampleCpu();
    const procsAfter = allProcessCpu();
    const sent = await sentReply;

    const fanout = opts.members - 1;
    const totalExpected = sent.sent * fanout;
    let [report, senderReport] = await this.#reports();
    const delivered = (): number => report.counters.msgs - before.counters.msgs;
    const acked = (): number => senderReport.counters.acks - senderBefore.counters.acks;
    const deadline = Date.now() + opts.drainTimeoutMs;
    while ((delivered() < totalExpected || acked() < sent.sent) && Date.now() < deadline) {
      await sleep(100);
      [report, senderReport] = await this.#reports();
    }
    const viewsAfter = await Promise.all(this.#servers.map((s) => fetchView(s)));
    this.#expectedMsgs += totalExpected;
    this.#expectedAcks += sent.sent;

    const sampledS = (b.atUs - a.atUs) / 1e6;
    const serversS = b.servers - a.servers;
    const redisS = b.redis - a.redis;
    const clientsS = b.clients - a.clients;
    const oursS = serversS + redisS + clientsS + (b.runner - a.runner);
    const otherLoadPercent = Math.max(0, ((b.machine.busy - a.machine.busy - oursS) / sampledS) * 100);
    if (otherLoadPercent > QUIET_PERCENT) {
      const ours = new Set([
        process.pid,
        ...this.#servers.flatMap((s) => processTree(s.pid, procsAfter)),
        ...(this.#redis === undefined ? [] : [this.#redis.pid]),
        ...[...this.#receivers.workers, ...this.#senders.workers].map((w) => w.pid),
      ]);
      warnings.push(
        `other processes used ${otherLoadPercent.toFixed(0)} % of a core during the window (top: ${topOthers(procsBefore, procsAfter, ours, sampledS)})`,
      );
    }
    const errors =
      report.counters.errors - before.counters.errors + senderReport.counters.errors - senderBefore.counters.errors;
    const disconnects =
      report.counters.closed - before.counters.closed + senderReport.counters.closed - senderBefore.counters.closed;
    if (delivered() !== totalExpected)
      problems.push(`receivers got ${delivered()} msgs, expected ${totalExpected} (${sent.sent} sent × ${fanout})`);
    if (acked() !== sent.sent) problems.push(`senders got ${acked()} acks for ${sent.sent} msgs`);
    if (errors > 0)
      problems.push(
        `${errors} error frames: ${[...report.counters.errorSamples, ...senderReport.counters.errorSamples].join(' | ')}`,
      );
    if (disconnects > 0) problems.push(`${disconnects} connections closed by the server`);
    const deliveries = sum(viewsAfter.map((v) => v.deliveries)) - sum(viewsBefore.map((v) => v.deliveries));
    if (deliveries !== totalExpected) problems.push(`/stats deliveries grew by ${deliveries}, expected ${totalExpected}`);
    viewsAfter.forEach((v, i) => {
      const trouble = countsDelta(viewsBefore[i]!.trouble, v.trouble);
      if (Object.keys(trouble).length > 0)
        problems.push(
          `server-side: ${Object.entries(trouble)
            .map(([k, n]) => `${k} +${n}`)
            .join(', ')}`,
        );
    });

    return {
      mode: this.mode,
      label: BUS_LABELS[this.mode],
      run: ++this.#runs,
      msgsPerSecond: opts.msgsPerSecond,
      durationS: opts.durationS,
      deliveredPerSecond: report.counters.windowMsgs / opts.durationS,
      latencyP50Ms: report.latencyUs.percentile(50) / 1000,
      latencyP99Ms: report.latencyUs.percentile(99) / 1000,
      latencyP999Ms: report.latencyUs.percentile(99.9) / 1000,
      latencyMaxMs: report.latencyUs.max / 1000,
      latencySamples: report.latencyUs.count,
      windowCompleteness: report.latencyUs.count / Math.max(1, sent.sentInWindow * fanout),
      totalDelivered: delivered(),
      totalExpected,
      sent: sent.sent,
      acked: acked(),
      errors,
      disconnects,
      senderMaxLagMs: sent.maxSendLagUs / 1000,
      serverCpuPercent: ((serversS + redisS) / sampledS) * 100,
      redisCpuPercent: (redisS / sampledS) * 100,
      clientCpuPercent: (clientsS / sampledS) * 100,
      otherLoadPercent,
      connectionsPerProcess: viewsBefore.flatMap((v) => v.workers.map((w) => w.connections)),
      ...(this.#redis === undefined ? {} : { redisVersion: this.#redis.version }),
      problems,
      warnings,
      notes: this.#servers.flatMap((s) => s.notes),
    };
  }
}
