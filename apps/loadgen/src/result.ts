/**
 * Merging process reports into one run result: histograms decoded and added (the union of
 * every process's values), counters summed, per-room seq accounting merged with the rooms'
 * final seqs taken over all processes (a room's members may live in different processes).
 */
import type { RunConfig } from './config.js';
import { mergeAccounts, mergeRoomMax, type ReceiverAccount } from './engine/accounting.js';
import { encodeHistogram, mergeEncoded, summarize, type LatencySummary } from './engine/histograms.js';
import type { ProcReport } from './engine/proc-report.js';
import { runLengthMs } from './plan.js';
import type { ServerSample } from './server/stats.js';
import type { ThresholdOutcome } from './thresholds.js';
import type { Verdict } from './verdict.js';

export interface TimelinePoint {
  /** Seconds since the schedule started (warm-up included). */
  t: number;
  sent: number;
  delivered: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface ServerReport {
  before: ServerSample | null;
  after: ServerSample | null;
  /** Server CPU over the run (from /proc when the pid is known, else /metrics), seconds. */
  cpuSeconds: number | null;
  cpuPercent: number | null;
  cpuUsPerMessage: number | null;
  cpuUsPerDelivery: number | null;
  rssBytes: number | null;
  loopDelayP99Ms: number | null;
}

/** How much of the schedule ran: all of it, or less when the run was stopped early. */
export interface ScheduleRan {
  scheduleMs: number;
  stoppedEarly: boolean;
}

export interface RunResult {
  version: 1;
  startedAt: string;
  /** Warm-up + steps that ran: the configured length, or less when stopped early. */
  durationMs: number;
  /** The run was stopped (`stop` from the parent process, Ctrl-C) before its schedule ended. */
  stoppedEarly: boolean;
  config: {
    driver: string;
    /** Where connections went; receivers (members that do not send) go to the receiver targets. */
    targets: { tcp: string | null; ws: string | null; receiverTcp: string | null; receiverWs: string | null };
    mix: RunConfig['mix'];
    connections: number;
    rooms: number;
    roomSize: string;
    senders: number;
    messageBytes: number;
    /** `--texts`: the file and how many texts it gave; null: generated `messageBytes` texts. */
    texts: { file: string | null; count: number } | null;
    rates: number[];
    stepMs: number;
    warmupMs: number;
    procs: number;
    sourceIps: number;
  };
  connections: ProcReport['connections'] & {
    /** First connect started → last connection ready, ms, over every process (0: none ready). */
    connectWallMs: number;
  };
  connectMs: LatencySummary;
  latencyMs: LatencySummary;
  ackMs: LatencySummary;
  steps: { rate: number; durationMs: number; sent: number; latencyMs: LatencySummary }[];
  messages: {
    sent: number;
    /** Null when the driver's server does not ack messages (socketio). */
    acked: number | null;
    expected: number;
    delivered: number;
    /** Deliveries a receiver had not received when the drain ended (see drained). */
    lost: number;
    /**
     * Every process's drain ended with all sends acked and nothing arriving; false: one ran
     * out of --drain first, so `lost` may count messages still in flight, not lost.
     */
    drained: boolean;
    duplicates: number;
    reordered: number;
    /** msg frames received, duplicates included. */
    frames: number;
    sentPerSecond: number;
    deliveredPerSecond: number;
    /** lost ÷ expected. */
    lossRatio: number;
    badRooms: number[];
  };
  errors: { total: number; byCode: Record<string, number>; samples: string[] };
  timeline: TimelinePoint[];
  loadgen: {
    procs: { pid: number; cpuPercent: number; rssBytes: number; framesReceived: number; framesPerSecond: number }[];
    maxCpuPercent: number;
    maxSendLagMs: number;
    warnings: string[];
  };
  server: ServerReport | null;
  /** Encoded HdrHistograms (µs), so results can be merged again later. */
  histograms: { latencyUs: string; connectUs: string };
  thresholds: ThresholdOutcome[];
  /** PASS, FAILED or INCONCLUSIVE (verdict.ts), set once thresholds are evaluated. */
  verdict: Verdict;
  /** Why the verdict is not PASS: crossed thresholds, failed connections, loadgen limits. */
  verdictReasons: string[];
  /** verdict === 'PASS'. */
  ok: boolean;
}

function hostPort(t: { host: string; port: number }): string {
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

function toAccount(row: number[]): ReceiverAccount {
  const [room = 0, base = 0, max = 0, missing = 0, ownAbove = 0, own = 0, unique = 0, dup = 0, reorder = 0] = row;
  return { room, base, max, missing, ownAbove, own, unique, dup, reorder };
}

export function mergeReports(
  cfg: RunConfig,
  reports: readonly ProcReport[],
  startedAt: Date,
  server: ServerReport | null,
  ackable: boolean,
  ran: ScheduleRan = { scheduleMs: runLengthMs(cfg), stoppedEarly: false },
): RunResult {
  const sum = (pick: (r: ProcReport) => number): number => reports.reduce((n, r) => n + pick(r), 0);
  const latency = mergeEncoded(reports.map((r) => r.latencyUs));
  const connect = mergeEncoded(reports.map((r) => r.connectUs));
  const ack = mergeEncoded(reports.map((r) => r.ackUs));
  const roomMax = new Map<number, number>();
  for (const r of reports) mergeRoomMax(roomMax, r.roomMax);
  const totals = mergeAccounts(
    reports.flatMap((r) => r.accounts.map(toAccount)),
    roomMax,
  );
  const errorsByCode: Record<string, number> = {};
  for (const r of reports)
    for (const [code, n] of Object.entries(r.errors)) errorsByCode[code] = (errorsByCode[code] ?? 0) + n;
  const runMs = ran.scheduleMs;
  /** Per second over the schedule that ran (0 when none did). */
  const perSecond = (n: number): number => (runMs > 0 ? Math.round(n / (runMs / 1000)) : 0);
  const sent = sum((r) => r.sent);
  const steps = cfg.rates.map((rate, j) => {
    const h = mergeEncoded(reports.map((r) => r.stepLatencyUs[j] ?? ''));
    const s = summarize(h);
    h.destroy();
    // A stop cuts the step it falls in short and leaves the later ones at 0 ms.
    const durationMs = Math.min(cfg.stepMs, Math.max(0, runMs - cfg.warmupMs - j * cfg.stepMs));
    return { rate, durationMs, sent: sum((r) => r.sentPerStep[j] ?? 0), latencyMs: s };
  });
  const seconds = Math.max(0, ...reports.map((r) => r.timeline.sent.length));
  const timeline: TimelinePoint[] = [];
  for (let t = 0; t < seconds; t++) {
    const h = mergeEncoded(
      reports.map((r) => r.timeline.latencyUs[t] ?? ''),
      2,
    );
    timeline.push({
      t,
      sent: sum((r) => r.timeline.sent[t] ?? 0),
      delivered: sum((r) => r.timeline.delivered[t] ?? 0),
      p50Ms: h.totalCount === 0 ? null : h.getValueAtPercentile(50) / 1000,
      p99Ms: h.totalCount === 0 ? null : h.getValueAtPercentile(99) / 1000,
    });
    h.destroy();
  }
  const procs = reports.map((r) => ({
    pid: r.pid,
    cpuPercent: Math.round(r.cpu.percentOfCore * 10) / 10,
    rssBytes: r.rssBytes,
    framesReceived: r.framesReceived,
    framesPerSecond: Math.round(r.framesReceived / (r.cpu.wallMs / 1000)),
  }));
  const maxCpuPercent = Math.max(0, ...procs.map((p) => p.cpuPercent));
  // A loadgen at its limit is not a warning but the verdict INCONCLUSIVE (verdict.ts).
  const warnings: string[] = [];
  const maxSendLagMs = Math.max(0, ...reports.map((r) => r.maxSendLagMs));
  const spans = reports.map((r) => r.connectSpanUs).filter((x): x is [number, number] => x !== null);
  const connectWallMs =
    spans.length === 0
      ? 0
      : Math.round((Math.max(...spans.map((x) => x[1])) - Math.min(...spans.map((x) => x[0]))) / 100) / 10;
  const connections: RunResult['connections'] = {
    planned: sum((r) => r.connections.planned),
    ok: sum((r) => r.connections.ok),
    failed: sum((r) => r.connections.failed),
    closedEarly: sum((r) => r.connections.closedEarly),
    byTransport: {
      tcp: sum((r) => r.connections.byTransport.tcp),
      ws: sum((r) => r.connections.byTransport.ws),
    },
    failureSamples: reports.flatMap((r) => r.connections.failureSamples).slice(0, 5),
    closeSamples: reports.flatMap((r) => r.connections.closeSamples).slice(0, 5),
    connectWallMs,
  };
  if (connections.failed > 0)
    warnings.push(`${connections.failed} connections failed: ${connections.failureSamples.join('; ')}`);
  const drained = reports.every((r) => r.drained);
  if (!drained && totals.lost > 0) {
    warnings.push(
      `the drain ended after ${cfg.drainMs / 1000} s with sends unacked or deliveries still arriving: the ${totals.lost} counted lost had not arrived by then (late or lost; a longer --drain tells which)`,
    );
  }
  const result: RunResult = {
    version: 1,
    startedAt: startedAt.toISOString(),
    durationMs: runMs,
    stoppedEarly: ran.stoppedEarly,
    config: {
      driver: cfg.driver,
      targets: {
        tcp: cfg.mix.tcp > 0 ? hostPort(cfg.tcp) : null,
        ws: cfg.mix.ws > 0 ? cfg.ws : null,
        receiverTcp: cfg.mix.tcp > 0 ? hostPort(cfg.receiverTcp ?? cfg.tcp) : null,
        receiverWs: cfg.mix.ws > 0 ? (cfg.receiverWs ?? cfg.ws) : null,
      },
      mix: cfg.mix,
      connections: cfg.connections,
      rooms: cfg.rooms,
      roomSize: cfg.roomSize.kind === 'uniform' ? 'uniform' : `zipf:${cfg.roomSize.s}`,
      senders: cfg.senders,
      messageBytes: cfg.messageBytes,
      texts: cfg.texts === null ? null : { file: cfg.textsFile, count: cfg.texts.length },
      rates: cfg.rates,
      stepMs: cfg.stepMs,
      warmupMs: cfg.warmupMs,
      procs: cfg.procs,
      sourceIps: cfg.sourceIps.length,
    },
    connections,
    connectMs: summarize(connect),
    latencyMs: summarize(latency),
    ackMs: summarize(ack),
    steps,
    messages: {
      sent,
      acked: ackable ? sum((r) => r.acked) : null,
      expected: totals.expected,
      delivered: totals.delivered,
      lost: totals.lost,
      drained,
      duplicates: totals.dup,
      reordered: totals.reorder,
      frames: sum((r) => r.msgFrames),
      sentPerSecond: perSecond(sent),
      deliveredPerSecond: perSecond(totals.delivered),
      lossRatio: totals.expected === 0 ? 0 : totals.lost / totals.expected,
      badRooms: totals.badRooms,
    },
    errors: {
      total: Object.values(errorsByCode).reduce((a, b) => a + b, 0),
      byCode: errorsByCode,
      samples: reports.flatMap((r) => r.errorSamples).slice(0, 5),
    },
    timeline,
    loadgen: { procs, maxCpuPercent, maxSendLagMs, warnings },
    server,
    histograms: { latencyUs: encodeHistogram(latency), connectUs: encodeHistogram(connect) },
    thresholds: [],
    verdict: 'PASS',
    verdictReasons: [],
    ok: true,
  };
  latency.destroy();
  connect.destroy();
  ack.destroy();
  return result;
}
