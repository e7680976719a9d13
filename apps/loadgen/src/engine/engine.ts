/**
 * The engine of one loadgen process: opens its share of the connections at the connect
 * rate, runs the open-model schedule over its senders, counts every frame it receives and
 * reports. The receive path (onFrame) is the hot path: one driver parse that reads a few
 * integers, a seq check, one histogram record.
 */
import type { RunConfig } from '../config.js';
import {
  FRAME_ACK,
  FRAME_ERROR,
  FRAME_MSG,
  FRAME_PING,
  FRAME_STEP,
  newParsedFrame,
  type Driver,
} from '../drivers/driver.js';
import { DRIVERS } from '../drivers/index.js';
import { buildPlan, planForProc, type ConnPlan } from '../plan.js';
import { nowUs, sleep } from './clock.js';
import { Conn, openTcp, openWs, type ConnHost } from './connection.js';
import { encodeHistogram, newHistogram, type Histogram } from './histograms.js';
import { AckedLedger } from './acked-ledger.js';
import { senderText } from './message-text.js';
import type { ProcReport, ProgressSnapshot } from './proc-report.js';
import { runSchedule, type RateStep } from './scheduler.js';

const SAMPLES = 5;
const MAX_IN_FLIGHT_CONNECTS = 1000;
/** After the schedule: a process is drained when all its sends are acked and nothing arrived for this long. */
const QUIET_MS = 500;

export interface ConnectResult {
  ok: number;
  failed: number;
}

export class Engine implements ConnHost {
  readonly cfg: RunConfig;
  readonly proc: number;
  readonly procs: number;
  readonly driver: Driver;
  readonly #plan: ConnPlan[];
  readonly #conns: Conn[] = [];
  readonly #parsed = newParsedFrame();
  readonly #connectUs = newHistogram();
  readonly #ackUs = newHistogram();
  readonly #stepLatency: Histogram[] = [];
  readonly #tlLatency: Histogram[] = [];
  readonly #tlDelivered: number[] = [];
  readonly #tlSent: number[] = [];
  readonly #roomMax: Float64Array;
  /** Only with --acked-log. */
  readonly #ackedLedger: AckedLedger | null;
  readonly #errors: Record<string, number> = {};
  readonly #errorSamples: string[] = [];
  readonly #failureSamples: string[] = [];
  readonly #closeSamples: string[] = [];
  #ok = 0;
  #failed = 0;
  #closedEarly = 0;
  #sent = 0;
  #sentPerStep: number[] = [];
  #acked = 0;
  /** False once a drain ended at its deadline with sends unacked or deliveries still arriving. */
  #drained = true;
  #msgFrames = 0;
  #delivered = 0;
  #frames = 0;
  #errorCount = 0;
  #lastFrameUs = 0;
  /** Time of the current read (onChunk). */
  #now = 0;
  /** Timeline seconds already shown by progress(). */
  #progressSecond = 0;
  #scheduleStartUs = Infinity;
  #measureStartUs = Infinity;
  /** Schedule time → step: [start of step j] (warm-up is not a step). */
  #stepStarts: number[] = [];
  #stopping = false;
  #cpuStart = process.cpuUsage();
  #wallStartUs = nowUs();
  #progressCpu = process.cpuUsage();
  #progressWallUs = nowUs();
  #maxSendLagUs = 0;
  #settle: (() => void) | null = null;
  #pendingConnects = 0;
  /** First connect started / last connection ready, on the shared clock (connect wall time). */
  #firstConnectUs = -1;
  #lastReadyUs = -1;
  /** stop(): ends the connect ramp and the schedule early. */
  readonly #stop = new AbortController();

  constructor(cfg: RunConfig, proc = 0, procs = 1) {
    this.cfg = cfg;
    this.proc = proc;
    this.procs = procs;
    this.driver = DRIVERS[cfg.driver];
    this.#plan = planForProc(buildPlan(cfg), proc, procs);
    this.#roomMax = new Float64Array(cfg.rooms);
    this.#ackedLedger = cfg.ackedLog === null ? null : new AckedLedger();
  }

  get senders(): number {
    return this.#plan.filter((p) => p.sender).length;
  }

  // ── connecting ────────────────────────────────────────────────────────────────

  /**
   * Opens this process's connections at its share of the connect rate; resolves when all are
   * ready or failed. After stop() no more are opened: those count as failed.
   */
  async connect(): Promise<ConnectResult> {
    const intervalUs = (1e6 * this.procs) / this.cfg.connectRate;
    const t0 = nowUs();
    const stopped = this.#stop.signal;
    for (let j = 0; j < this.#plan.length; j++) {
      const due = t0 + j * intervalUs;
      while ((nowUs() < due || this.#pendingConnects >= MAX_IN_FLIGHT_CONNECTS) && !stopped.aborted) await sleep(1);
      if (stopped.aborted) {
        this.#failed += this.#plan.length - j;
        if (this.#failureSamples.length < SAMPLES)
          this.#failureSamples.push(`${this.#plan.length - j} not opened: the run was stopped`);
        break;
      }
      this.#open(this.#plan[j]!);
    }
    // Made only now: during the ramp the count touches zero whenever the opened ones are done.
    if (this.#pendingConnects > 0) await new Promise<void>((resolve) => (this.#settle = resolve));
    this.#settle = null;
    return { ok: this.#ok, failed: this.#failed };
  }

  #open(p: ConnPlan): void {
    const conn = new Conn(this, this.driver, p.index, p.room, p.transport, p.sender);
    const room = `${this.cfg.roomPrefix}${p.room}`;
    const nick = `${this.cfg.nickPrefix}${p.index}`;
    conn.stages = this.driver.handshake(nick, room);
    if (p.sender) {
      const text = senderText(this.cfg, p);
      const t = this.driver.msgTemplate(room, text);
      conn.prefix = t.prefix;
      conn.suffix = t.suffix;
      this.#ackedLedger?.addSender(p.index, { room, from: nick, text });
    }
    conn.startedUs = nowUs();
    if (this.#firstConnectUs < 0) this.#firstConnectUs = conn.startedUs;
    this.#conns.push(conn);
    this.#pendingConnects++;
    const timer = setTimeout(() => {
      if (!conn.ready && !conn.closed) this.#fail(conn, 'connect timed out');
    }, this.cfg.connectTimeoutMs);
    timer.unref();
    // Receivers may have a target of their own (--receiver-tcp / --receiver-ws).
    const cfg = this.cfg;
    if (p.transport === 'tcp') {
      const target = p.sender ? cfg.tcp : (cfg.receiverTcp ?? cfg.tcp);
      openTcp(conn, target.host, target.port, p.localAddress, p.localPort);
    } else {
      openWs(conn, p.sender ? cfg.ws : (cfg.receiverWs ?? cfg.ws), p.localAddress, cfg.connectTimeoutMs);
    }
  }

  #fail(conn: Conn, reason: string): void {
    if (conn.ready || conn.closed) return;
    conn.destroy();
    this.#failed++;
    if (this.#failureSamples.length < SAMPLES) this.#failureSamples.push(reason);
    this.#connectSettled();
  }

  #connectSettled(): void {
    if (--this.#pendingConnects === 0) this.#settle?.();
  }

  onOpen(conn: Conn): void {
    if (this.driver.holdsOnly) {
      this.#onJoined(conn, 0, nowUs());
      return;
    }
    const first = conn.stages.shift();
    if (first !== undefined) conn.sendNow(first);
  }

  onClose(conn: Conn, reason: string): void {
    if (!conn.ready) {
      this.#fail(conn, reason);
      return;
    }
    if (conn.closed) return;
    conn.closed = true;
    if (this.#stopping) return;
    this.#closedEarly++;
    if (this.#closeSamples.length < SAMPLES) this.#closeSamples.push(reason);
  }

  // ── the receive path ──────────────────────────────────────────────────────────

  onChunk(): void {
    this.#now = this.#lastFrameUs = nowUs();
  }

  onFrame(conn: Conn, buf: Buffer, start: number, end: number): void {
    const now = this.#now;
    const f = this.#parsed;
    this.#frames++;
    this.driver.parse(buf, start, end, f);
    switch (f.kind) {
      case FRAME_MSG:
        this.#onMsg(conn, f.seq, f.id, now);
        return;
      case FRAME_ACK:
        if (f.id === 0) this.#onJoined(conn, f.seq, now);
        else if (f.id > 0) this.#onAck(conn, f.seq, f.id, now);
        return;
      case FRAME_ERROR:
        this.#onError(conn, f.code ?? 'unknown', f.id, buf, start, end);
        return;
      case FRAME_PING:
        conn.sendNow([this.driver.pong]);
        return;
      case FRAME_STEP: {
        const next = conn.stages.shift();
        if (next !== undefined) conn.sendNow(next);
        return;
      }
    }
  }

  #onMsg(conn: Conn, seq: number, id: number, now: number): void {
    this.#msgFrames++;
    if (seq < 0 || !conn.ready) return;
    if (!conn.tracker.onMsg(seq)) return;
    this.#delivered++;
    if (seq > this.#roomMax[conn.room]!) this.#roomMax[conn.room] = seq;
    const second = Math.floor((now - this.#scheduleStartUs) / 1e6);
    if (second >= 0) this.#tlDelivered[second] = (this.#tlDelivered[second] ?? 0) + 1;
    if (id < this.#measureStartUs) return;
    // Latency from the *scheduled* send time carried in the id (see scheduler.ts). Two
    // records per frame: the step's histogram (by scheduled time; their sum is the run's)
    // and the second's (by receive time, for the timeline and live p99).
    const latency = Math.max(1, Math.round(now - id));
    this.#stepLatency[this.#stepOf(id)]?.recordValue(latency);
    if (second >= 0) (this.#tlLatency[second] ??= newHistogram(2)).recordValue(latency);
  }

  #stepOf(scheduledUs: number): number {
    const starts = this.#stepStarts;
    let j = starts.length - 1;
    while (j > 0 && scheduledUs < starts[j]!) j--;
    return j;
  }

  #onJoined(conn: Conn, seq: number, now: number): void {
    if (conn.ready) return;
    conn.ready = true;
    conn.tracker.start(seq < 0 ? 0 : seq);
    if (seq > this.#roomMax[conn.room]!) this.#roomMax[conn.room] = seq;
    this.#ok++;
    if (now > this.#lastReadyUs) this.#lastReadyUs = now;
    this.#connectUs.recordValue(Math.max(1, Math.round(now - conn.startedUs)));
    this.#connectSettled();
  }

  #onAck(conn: Conn, seq: number, id: number, now: number): void {
    this.#acked++;
    if (id >= this.#measureStartUs) this.#ackUs.recordValue(Math.max(1, Math.round(now - id)));
    if (seq < 0) return;
    this.#ackedLedger?.record(conn.index, seq, id);
    if (!this.driver.echoesToSender) conn.tracker.onOwn(seq);
    if (seq > this.#roomMax[conn.room]!) this.#roomMax[conn.room] = seq;
  }

  #onError(conn: Conn, code: string, id: number, buf: Buffer, start: number, end: number): void {
    this.#errorCount++;
    this.#errors[code] = (this.#errors[code] ?? 0) + 1;
    if (this.#errorSamples.length < SAMPLES)
      this.#errorSamples.push(buf.toString('utf8', start, Math.min(end, start + 200)));
    // A refused hello or join: the connection will never be ready.
    if (!conn.ready && (id === 0 || id === -1)) this.#fail(conn, `error ${code}`);
  }

  /** Sets the schedule's time origin: from then on, msgs scheduled after the warm-up are timed. */
  beginMeasurement(startUs: number): void {
    const cfg = this.cfg;
    this.#scheduleStartUs = startUs;
    this.#measureStartUs = startUs + cfg.warmupMs * 1000;
    this.#stepStarts = cfg.rates.map((_, j) => this.#measureStartUs + j * cfg.stepMs * 1000);
    this.#stepLatency.length = 0;
    for (let j = 0; j < cfg.rates.length; j++) this.#stepLatency.push(newHistogram());
  }

  // ── sending ───────────────────────────────────────────────────────────────────

  /**
   * Runs the schedule from `startUs` (this process's share of each step's rate); the caller
   * drains next. `rateShare` is this process's fraction of the total rate.
   */
  async run(start: number, rateShare: number): Promise<void> {
    const cfg = this.cfg;
    // Whole µs, as the ids are: a message scheduled at a step's start must not round below it.
    const startUs = Math.ceil(start);
    const senders = this.#conns.filter((c) => c.sender && c.ready && !c.closed);
    const steps: RateStep[] = [];
    if (cfg.warmupMs > 0) steps.push({ rate: cfg.rates[0]! * rateShare, durationUs: cfg.warmupMs * 1000 });
    for (const r of cfg.rates) steps.push({ rate: r * rateShare, durationUs: cfg.stepMs * 1000 });
    const warm = cfg.warmupMs > 0 ? 1 : 0;
    this.beginMeasurement(startUs);
    this.#cpuStart = process.cpuUsage();
    this.#wallStartUs = nowUs();
    const touched: Conn[] = [];
    let next = 0;
    const n = senders.length;
    const result = await runSchedule(
      startUs,
      n === 0 ? steps.map((s) => ({ ...s, rate: 0 })) : steps,
      (scheduledUs) => {
        const conn = senders[next]!;
        next = next + 1 === n ? 0 : next + 1;
        if (conn.out.length === 0) touched.push(conn);
        conn.out.push(`${conn.prefix}${Math.round(scheduledUs)}${conn.suffix}`);
        const second = Math.floor((scheduledUs - startUs) / 1e6);
        this.#tlSent[second] = (this.#tlSent[second] ?? 0) + 1;
      },
      () => {
        for (const c of touched) c.flush();
        touched.length = 0;
      },
      this.#stop.signal,
    );
    this.#sent = result.sent;
    // Warm-up sends are in `sent` (and accounted) but in no step.
    this.#sentPerStep = result.perStep.slice(warm);
    this.#maxSendLagUs = result.maxLagUs;
  }

  /** Ends the connect ramp or the schedule now (a run stopped early); the drain still follows. */
  stop(): void {
    this.#stop.abort();
  }

  /** Waits for acks and deliveries after the schedule: at most --drain, less once all is acked and quiet. */
  async drain(): Promise<void> {
    const deadline = nowUs() + this.cfg.drainMs * 1000;
    const ackable = this.driver.acksMessages;
    for (;;) {
      const allAcked = !ackable || this.#acked >= this.#sent;
      if (allAcked && nowUs() - this.#lastFrameUs >= QUIET_MS * 1000) return;
      if (nowUs() >= deadline) break;
      await sleep(50);
    }
    // What has not arrived by now may still be on its way: the report must not call it lost.
    this.#drained = false;
  }

  // ── reporting ─────────────────────────────────────────────────────────────────

  progress(): ProgressSnapshot {
    // p99 over the timeline seconds since the previous call.
    const now = nowUs();
    const upTo = Math.floor((now - this.#scheduleStartUs) / 1e6);
    let p99: number | null = null;
    for (let sec = Math.max(0, this.#progressSecond); sec <= upTo && sec < this.#tlLatency.length; sec++) {
      const h = this.#tlLatency[sec];
      if (h !== undefined && h.totalCount > 0) p99 = Math.max(p99 ?? 0, h.getValueAtPercentile(99) / 1000);
    }
    if (Number.isFinite(upTo)) this.#progressSecond = upTo;
    const cpu = process.cpuUsage(this.#progressCpu);
    const cpuPercent = ((cpu.user + cpu.system) / Math.max(1, now - this.#progressWallUs)) * 100;
    this.#progressCpu = process.cpuUsage();
    this.#progressWallUs = now;
    return {
      connected: this.#ok,
      failed: this.#failed,
      sent: this.#sentSoFar(),
      acked: this.#acked,
      delivered: this.#delivered,
      errors: this.#errorCount,
      recentP99Ms: p99,
      cpuPercent,
    };
  }

  #sentSoFar(): number {
    if (this.#sent > 0) return this.#sent;
    let s = 0;
    for (const v of this.#tlSent) s += v ?? 0;
    return s;
  }

  report(): ProcReport {
    const cpu = process.cpuUsage(this.#cpuStart);
    const wallUs = Math.max(1, nowUs() - this.#wallStartUs);
    const byTransport = { tcp: 0, ws: 0 };
    const accounts: number[][] = [];
    for (const c of this.#conns) {
      if (!c.ready) continue;
      byTransport[c.transport]++;
      const a = c.tracker.account();
      accounts.push([a.room, a.base, a.max, a.missing, a.ownAbove, a.own, a.unique, a.dup, a.reorder]);
    }
    const roomMax: [number, number][] = [];
    this.#roomMax.forEach((seq, room) => {
      if (seq > 0) roomMax.push([room, seq]);
    });
    const seconds = Math.max(this.#tlSent.length, this.#tlDelivered.length, this.#tlLatency.length);
    return {
      proc: this.proc,
      pid: process.pid,
      connections: {
        planned: this.#plan.length,
        ok: this.#ok,
        failed: this.#failed,
        closedEarly: this.#closedEarly,
        byTransport,
        failureSamples: this.#failureSamples,
        closeSamples: this.#closeSamples,
      },
      connectSpanUs: this.#lastReadyUs < 0 ? null : [this.#firstConnectUs, this.#lastReadyUs],
      connectUs: encodeHistogram(this.#connectUs),
      latencyUs: encodeHistogram(this.#totalLatency()),
      ackUs: encodeHistogram(this.#ackUs),
      stepLatencyUs: this.#stepLatency.map(encodeHistogram),
      sent: this.#sent,
      sentPerStep: this.#sentPerStep,
      acked: this.#acked,
      msgFrames: this.#msgFrames,
      framesReceived: this.#frames,
      errors: { ...this.#errors },
      errorSamples: this.#errorSamples,
      timeline: {
        sent: Array.from({ length: seconds }, (_, i) => this.#tlSent[i] ?? 0),
        delivered: Array.from({ length: seconds }, (_, i) => this.#tlDelivered[i] ?? 0),
        latencyUs: Array.from({ length: seconds }, (_, i) => {
          const h = this.#tlLatency[i];
          return h === undefined ? '' : encodeHistogram(h);
        }),
      },
      accounts,
      roomMax,
      cpu: {
        userMs: cpu.user / 1000,
        systemMs: cpu.system / 1000,
        wallMs: wallUs / 1000,
        percentOfCore: ((cpu.user + cpu.system) / wallUs) * 100,
      },
      maxSendLagMs: this.#maxSendLagUs / 1000,
      drained: this.#drained,
      rssBytes: process.memoryUsage().rss,
      ackedLog: this.#ackedLedger?.render() ?? null,
    };
  }

  #totalLatency(): Histogram {
    const total = newHistogram();
    for (const h of this.#stepLatency) total.add(h);
    return total;
  }

  /** Closes every connection (not counted as early closes). */
  close(): void {
    this.#stopping = true;
    for (const c of this.#conns) c.destroy();
  }
}
