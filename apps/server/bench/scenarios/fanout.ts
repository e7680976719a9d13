/**
 * Fan-out: one room of M members (all bench client connections) and one sender that
 * sends 100-byte messages at a fixed arrival rate, so that the server makes
 * `deliveriesPerSecond` deliveries a second. Each phase is measured over a window after a
 * warm-up: deliveries received, server CPU from /proc (µs per delivery), client CPU, and
 * latency from each message's scheduled send time.
 *
 * One server process and one set of members serve a whole series of phases (the fixed-rate
 * repeats, then the saturation steps): joining M members to one room is itself O(M²) work
 * on a chat server that announces presence, and would otherwise dominate the bench's time.
 */
import { kill } from '../lib/children.js';
import { connectGroup, killGroup, reportGroup, sum, type ConnectedGroup, type GroupReport } from '../lib/clients.js';
import { nowUs, sleep, sleepUntil } from '../lib/clock.js';
import type { SentReply } from '../lib/messages.js';
import {
  allProcessCpu,
  cpuSeconds,
  machineCpu,
  processTree,
  topOthers,
  treeCpuSeconds,
  treeRssKiB,
  type MachineCpu,
} from '../lib/proc.js';
import { QUIET_PERCENT, waitForQuiet } from '../lib/quiet.js';
import { fetchStats, startServer, type LoopchatStats, type RunningServer, type ServerKind } from '../lib/servers.js';

export interface FanoutOptions {
  members: number;
  warmupS: number;
  clientProcs: number;
  /** How long to wait after the last send for every delivery to arrive. */
  drainTimeoutMs: number;
  /** Longest wait for a quiet machine before each phase. */
  quietWaitS: number;
  /** Extra loopchat flags for this bench (fan-out needs `--filter off`: one sender trips the flood heuristic). */
  loopchatArgs: string[];
}

export interface FanoutResult {
  server: string;
  label: string;
  members: number;
  offeredPerSecond: number;
  msgsPerSecond: number;
  durationS: number;
  deliveredPerSecond: number;
  serverCpuUsPerDelivery: number;
  serverCpuPercent: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Sum over member processes, % of one core. */
  clientCpuPercent: number;
  clientCpuPercentPerProc: number[];
  senderCpuPercent: number;
  /** Deliveries of messages scheduled in the window that arrived, ÷ expected. */
  windowCompleteness: number;
  /** Deliveries in this phase (after the drain) and messages sent × members. */
  totalDelivered: number;
  totalExpected: number;
  senderMaxLagMs: number;
  sent: number;
  errors: number;
  disconnects: number;
  serverRssKiB: number;
  /** Server start to sender ready (connects, joins, presence storm), seconds; shared by a series. */
  setupS: number;
  /** Server CPU spent on that setup, seconds. */
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
  /** Failed checks: the figures are wrong or incomplete. */
  problems: string[];
  /** Conditions that may skew the figures (a busy machine). */
  warnings: string[];
  notes: string[];
}

/** 100 bytes of ASCII: nothing to escape in JSON, the same bytes on every server. */
export const MESSAGE_TEXT =
  'The quick brown fox jumps over the lazy dog while loopchat fans this line out to every member: 01234';
const ROOM = 'bench';
const SCHEDULE_LEAD_US = 300_000;
const PREVIOUS_PHASE_DRAIN_MS = 30_000;

interface CpuSample {
  atUs: number;
  server: number;
  members: number[];
  sender: number;
  runner: number;
  machine: MachineCpu;
}

export class FanoutSeries {
  readonly kind: ServerKind;
  readonly opts: FanoutOptions;
  readonly #server: RunningServer;
  readonly #members: ConnectedGroup;
  readonly #sender: ConnectedGroup;
  readonly #setupS: number;
  readonly #setupServerCpuS: number;
  readonly #setupProblems: string[];
  /** Msgs every member should have received by the end of the last phase, and acks the sender should have had. */
  #expectedMsgs = 0;
  #expectedAcks = 1;

  private constructor(
    kind: ServerKind,
    opts: FanoutOptions,
    server: RunningServer,
    members: ConnectedGroup,
    sender: ConnectedGroup,
    setupS: number,
    setupServerCpuS: number,
    problems: string[],
  ) {
    this.kind = kind;
    this.opts = opts;
    this.#server = server;
    this.#members = members;
    this.#sender = sender;
    this.#setupS = setupS;
    this.#setupServerCpuS = setupServerCpuS;
    this.#setupProblems = problems;
  }

  /** Starts the server and joins the members and the sender to the room. */
  static async open(kind: ServerKind, opts: FanoutOptions): Promise<FanoutSeries> {
    let server: RunningServer | undefined;
    let members: ConnectedGroup | undefined;
    try {
      await waitForQuiet(opts.quietWaitS);
      const startUs = nowUs();
      server = await startServer(kind, { args: kind.isLoopchat ? opts.loopchatArgs : [] });
      const cpu0 = treeCpuSeconds(server.pid);
      members = await connectGroup({
        target: server.target,
        total: opts.members,
        procs: opts.clientProcs,
        room: ROOM,
        rooms: 1,
        nickPrefix: 'm',
        concurrency: 200,
      });
      const problems: string[] = [];
      if (members.ok !== opts.members)
        problems.push(`only ${members.ok}/${opts.members} members joined: ${members.failureSamples.join('; ')}`);
      const sender = await connectGroup(
        { target: server.target, total: 1, procs: 1, room: ROOM, rooms: 1, nickPrefix: 's', concurrency: 1 },
        'sender-worker',
      );
      if (sender.ok !== 1) {
        await killGroup(sender.workers);
        throw new Error(`the sender could not join: ${sender.failureSamples.join('; ')}`);
      }
      return new FanoutSeries(
        kind,
        opts,
        server,
        members,
        sender,
        (nowUs() - startUs) / 1e6,
        treeCpuSeconds(server.pid) - cpu0,
        problems,
      );
    } catch (err) {
      await kill(server?.child);
      if (members !== undefined) await killGroup(members.workers);
      throw err;
    }
  }

  async close(): Promise<void> {
    // Server first: its side then holds the TIME_WAITs, not the clients' ephemeral ports.
    await kill(this.#server.child);
    await killGroup(this.#members.workers);
    await killGroup(this.#sender.workers);
  }

  #sampleCpu(): CpuSample {
    const runner = process.cpuUsage();
    return {
      atUs: nowUs(),
      server: treeCpuSeconds(this.#server.pid),
      members: this.#members.workers.map((w) => cpuSeconds(w.pid)),
      sender: cpuSeconds(this.#sender.workers[0]!.pid),
      runner: (runner.user + runner.system) / 1e6,
      machine: machineCpu(),
    };
  }

  /**
   * A phase that left the server behind must not leak into the next one: wait until every
   * member has everything sent so far, or give up on this series.
   */
  async #waitDrained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [members, sender] = await this.#reports();
      const perMember = this.#members.ok;
      if (members.counters.msgs >= this.#expectedMsgs && sender.counters.acks >= this.#expectedAcks) return;
      if (Date.now() > deadline) {
        throw new Error(
          `${this.kind.id} never caught up with the previous phase: members have ${members.counters.msgs} of ${this.#expectedMsgs} msgs ` +
            `(${perMember} members), sender ${sender.counters.acks} of ${this.#expectedAcks} acks, ${timeoutMs / 1000} s after it ended`,
        );
      }
      await sleep(250);
    }
  }

  async #reports(): Promise<[GroupReport, GroupReport]> {
    return Promise.all([reportGroup(this.#members.workers), reportGroup(this.#sender.workers)]);
  }

  /** One measured phase at `deliveriesPerSecond`: warm-up, a `durationS` window, drain. */
  async run(deliveriesPerSecond: number, durationS: number, warmupS = this.opts.warmupS): Promise<FanoutResult> {
    const server = this.#server;
    const members = this.#members;
    const senderWorker = this.#sender.workers[0]!;
    const problems = [...this.#setupProblems];
    const warnings: string[] = [];
    if (server.child.exitCode !== null || server.child.signalCode !== null)
      throw new Error(`${this.kind.id} is no longer running`);

    await this.#waitDrained(PREVIOUS_PHASE_DRAIN_MS);
    const quiet = await waitForQuiet(this.opts.quietWaitS);
    if (quiet.busyPercent > QUIET_PERCENT)
      warnings.push(
        `machine still ${quiet.busyPercent.toFixed(0)} % busy after waiting ${quiet.waitedS.toFixed(0)} s for quiet`,
      );
    const [before, senderBefore] = await this.#reports();
    const statsBefore = this.kind.isLoopchat ? await fetchStats(server) : undefined;

    const msgsPerSecond = deliveriesPerSecond / members.ok;
    const startUs = nowUs() + SCHEDULE_LEAD_US;
    const windowStartUs = startUs + warmupS * 1e6;
    const windowEndUs = windowStartUs + durationS * 1e6;
    for (const w of members.workers)
      w.send({ type: 'window', startUs: windowStartUs, endUs: windowEndUs, idFromUs: startUs });
    const sentReply: Promise<SentReply> = senderWorker.next('sent', (windowEndUs - nowUs()) / 1000 + 60_000);
    senderWorker.send({
      type: 'send',
      room: ROOM,
      text: MESSAGE_TEXT,
      startUs,
      endUs: windowEndUs,
      msgsPerSecond,
      windowStartUs,
      windowEndUs,
    });

    await sleepUntil(windowStartUs);
    const procsBefore = allProcessCpu();
    const a = this.#sampleCpu();
    await sleepUntil(windowEndUs);
    const b = this.#sampleCpu();
    const procsAfter = allProcessCpu();
    const serverRssKiB = treeRssKiB(server.pid);
    const sent = await sentReply;

    // Drain: wait until every message sent has reached every member and been acked.
    const totalExpected = sent.sent * members.ok;
    let [report, senderReport] = await this.#reports();
    const delivered = (): number => report.counters.msgs - before.counters.msgs;
    const acked = (): number => senderReport.counters.acks - senderBefore.counters.acks;
    const drainDeadline = Date.now() + this.opts.drainTimeoutMs;
    while ((delivered() < totalExpected || acked() < sent.sent) && Date.now() < drainDeadline) {
      await sleep(100);
      [report, senderReport] = await this.#reports();
    }
    const statsAfter = this.kind.isLoopchat ? await fetchStats(server) : undefined;
    this.#expectedMsgs += totalExpected;
    this.#expectedAcks += sent.sent;

    // CPU per second of sampled wall time, scaled to the window (timers fire a little late).
    const sampledS = (b.atUs - a.atUs) / 1e6;
    const serverCpuS = b.server - a.server;
    const memberCpu = b.members.map((v, i) => v - a.members[i]!);
    const inWindow = report.counters.windowMsgs;
    const windowExpected = sent.sentInWindow * members.ok;
    const errors =
      report.counters.errors - before.counters.errors + senderReport.counters.errors - senderBefore.counters.errors;
    const disconnects =
      report.counters.closed - before.counters.closed + senderReport.counters.closed - senderBefore.counters.closed;
    const oursS = serverCpuS + sum(memberCpu) + (b.sender - a.sender) + (b.runner - a.runner);
    const otherLoadPercent = Math.max(0, ((b.machine.busy - a.machine.busy - oursS) / sampledS) * 100);
    if (otherLoadPercent > QUIET_PERCENT) {
      const ours = new Set([
        process.pid,
        ...processTree(server.pid, procsAfter),
        ...members.workers.map((w) => w.pid),
        senderWorker.pid,
      ]);
      warnings.push(
        `other processes used ${otherLoadPercent.toFixed(0)} % of a core during the window (top still running: ${topOthers(procsBefore, procsAfter, ours, sampledS)})`,
      );
    }

    if (delivered() !== totalExpected)
      problems.push(`members received ${delivered()} msgs, expected ${totalExpected} (${sent.sent} sent × ${members.ok})`);
    if (acked() !== sent.sent) problems.push(`sender got ${acked()} acks for ${sent.sent} msgs`);
    if (errors > 0)
      problems.push(
        `${errors} error frames: ${[...report.counters.errorSamples, ...senderReport.counters.errorSamples].join(' | ')}`,
      );
    if (disconnects > 0)
      problems.push(
        `${disconnects} connections closed by the server: ${[...report.counters.closeSamples, ...senderReport.counters.closeSamples].join('; ')}`,
      );
    let loopchatDelta: Record<string, number> | undefined;
    if (statsBefore !== undefined && statsAfter !== undefined) {
      loopchatDelta = statsDelta(statsBefore, statsAfter);
      if (!processTree(server.pid).includes(statsAfter.pid))
        problems.push(`/stats pid ${statsAfter.pid} is not the measured pid ${server.pid}`);
      const bad = Object.entries(loopchatDelta).filter(([k]) => k.startsWith('drops.') || k.startsWith('disconnects.'));
      if (bad.length > 0) problems.push(`server-side: ${bad.map(([k, v]) => `${k} +${v}`).join(', ')}`);
      if ((loopchatDelta.deliveries ?? 0) !== totalExpected)
        problems.push(`/stats deliveries grew by ${loopchatDelta.deliveries ?? 0}, expected ${totalExpected}`);
    }

    return {
      server: this.kind.id,
      label: this.kind.label,
      members: members.ok,
      offeredPerSecond: deliveriesPerSecond,
      msgsPerSecond,
      durationS,
      deliveredPerSecond: inWindow / durationS,
      serverCpuUsPerDelivery: ((serverCpuS / sampledS) * durationS * 1e6) / Math.max(1, inWindow),
      serverCpuPercent: (serverCpuS / sampledS) * 100,
      latencyP50Ms: report.latencyUs.percentile(50) / 1000,
      latencyP99Ms: report.latencyUs.percentile(99) / 1000,
      latencyMaxMs: report.latencyUs.max / 1000,
      clientCpuPercent: (sum(memberCpu) / sampledS) * 100,
      clientCpuPercentPerProc: memberCpu.map((v) => (v / sampledS) * 100),
      senderCpuPercent: ((b.sender - a.sender) / sampledS) * 100,
      windowCompleteness: report.latencyUs.count / Math.max(1, windowExpected),
      totalDelivered: delivered(),
      totalExpected,
      senderMaxLagMs: sent.maxSendLagUs / 1000,
      sent: sent.sent,
      errors,
      disconnects,
      serverRssKiB,
      setupS: this.#setupS,
      setupServerCpuS: this.#setupServerCpuS,
      otherLoadPercent,
      irqPercent: ((b.machine.irq - a.machine.irq) / sampledS) * 100,
      stealPercent: ((b.machine.steal - a.machine.steal) / sampledS) * 100,
      machineBusyPercent: ((b.machine.busy - a.machine.busy + b.machine.irq - a.machine.irq) / sampledS) * 100,
      busyBeforePercent: quiet.busyPercent,
      quietWaitedS: quiet.waitedS,
      ...(loopchatDelta === undefined ? {} : { loopchatDelta }),
      problems,
      warnings,
      notes: server.notes.slice(),
    };
  }
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
    const keys = new Set([...Object.keys(a.traffic[group]), ...Object.keys(b.traffic[group])]);
    for (const k of keys) diff(`${group}.${k}`, a.traffic[group][k], b.traffic[group][k]);
  }
  return out;
}
