/**
 * One run from the parent's side: start the processes, connect everyone, start every
 * process's schedule at the same instant (the shared clock), drain, poll progress once a
 * second, collect and merge the reports, and sample the server before and after. Phase
 * events and an early stop are hooks (the `run` command wires them to its parent process).
 */
import type { RunConfig } from './config.js';
import { DRIVERS } from './drivers/index.js';
import { nowUs } from './engine/clock.js';
import type { ProgressSnapshot } from './engine/proc-report.js';
import type { PhaseEvent } from './parent-ipc.js';
import { runLengthMs } from './plan.js';
import { startWorkers, type WorkerLink } from './procs.js';
import { writeOutput } from './report/output-path.js';
import { mergeReports, type RunResult, type ServerReport } from './result.js';
import { sampleTree, type TreeSample } from './server/proc-stat.js';
import { sampleServer, type ServerSample } from './server/stats.js';

/** Lead time between "go" and the first scheduled send, so every process starts on time. */
const START_LEAD_US = 300_000;

export type Phase = 'connect' | 'run' | 'drain';

export interface ProgressEvent {
  phase: Phase;
  elapsedMs: number;
  totalMs: number;
  planned: number;
  snapshot: ProgressSnapshot;
}

export interface RunHooks {
  onProgress?: (e: ProgressEvent) => void;
  /** Phase changes, in order (the `run` command forwards them to its parent: parent-ipc.ts). */
  onPhase?: (e: PhaseEvent) => void;
  /**
   * Aborting ends the run early: no more connections are opened, the schedule ends at once,
   * then the drain and the report follow as usual (the result says `stoppedEarly`).
   */
  signal?: AbortSignal;
}

function sumSnapshots(s: readonly ProgressSnapshot[]): ProgressSnapshot {
  const add = (pick: (x: ProgressSnapshot) => number): number => s.reduce((n, x) => n + pick(x), 0);
  const p99s = s.map((x) => x.recentP99Ms).filter((v): v is number => v !== null);
  return {
    connected: add((x) => x.connected),
    failed: add((x) => x.failed),
    sent: add((x) => x.sent),
    acked: add((x) => x.acked),
    delivered: add((x) => x.delivered),
    errors: add((x) => x.errors),
    recentP99Ms: p99s.length === 0 ? null : Math.max(...p99s),
    cpuPercent: Math.max(0, ...s.map((x) => x.cpuPercent)),
  };
}

export async function runLoad(cfg: RunConfig, hooks: RunHooks = {}): Promise<RunResult> {
  const startedAt = new Date();
  const workers = await startWorkers(cfg);
  let phase: Phase = 'connect';
  const t0 = nowUs();
  const totalMs = runLengthMs(cfg);
  let runStartUs = Infinity;
  /** When the run was stopped (shared clock), or null. */
  let stopUs: number | null = null;
  const stop = (): void => {
    stopUs ??= nowUs();
    for (const w of workers) w.stop();
  };
  if (hooks.signal?.aborted === true) stop();
  else hooks.signal?.addEventListener('abort', stop, { once: true });
  let polling = false;
  let lastSnapshot: ProgressSnapshot | null = null;
  const poll = setInterval(() => {
    if (hooks.onProgress === undefined || polling) return;
    polling = true;
    Promise.all(workers.map((w) => w.progress()))
      .then((snaps) => {
        const elapsedMs = phase === 'connect' ? (nowUs() - t0) / 1000 : Math.max(0, (nowUs() - runStartUs) / 1000);
        lastSnapshot = sumSnapshots(snaps);
        hooks.onProgress?.({ phase, elapsedMs, totalMs, planned: cfg.connections, snapshot: lastSnapshot });
      })
      .catch(() => {})
      .finally(() => (polling = false));
  }, 1000);
  try {
    let serverBefore: ServerSample | null = null;
    let treeBefore: TreeSample | null = null;
    const connected = await Promise.all(workers.map((w) => w.connect()));
    const ok = connected.reduce((n, c) => n + c.ok, 0);
    const failed = connected.reduce((n, c) => n + c.failed, 0);
    // Progress is polled once a second: without this last word the connect bar stops where
    // the last poll left it (2723/5000) although every connection has settled.
    if (lastSnapshot !== null) {
      const snapshot = { ...(lastSnapshot as ProgressSnapshot), connected: ok, failed };
      hooks.onProgress?.({ phase, elapsedMs: (nowUs() - t0) / 1000, totalMs, planned: cfg.connections, snapshot });
    }
    hooks.onPhase?.({ loadgen: 'connected', ok, failed, planned: cfg.connections });
    const totalSenders = workers.reduce((n, w) => n + w.senders, 0);
    if (cfg.http !== null) serverBefore = await sampleServer(cfg.http);
    if (cfg.serverPid !== null) treeBefore = sampleTree(cfg.serverPid);
    phase = 'run';
    if (stopUs === null) {
      // Whole µs: ids are whole µs, so the first message of each step has exactly its step's start.
      runStartUs = Math.ceil(nowUs() + START_LEAD_US);
      const startInMs = Math.max(0, Math.round((runStartUs - nowUs()) / 1000));
      hooks.onPhase?.({ loadgen: 'schedule', startInMs, warmupMs: cfg.warmupMs, totalMs });
    } else {
      // Stopped while connecting: the workers' schedules end as soon as they begin.
      runStartUs = Math.ceil(nowUs());
      hooks.onPhase?.({ loadgen: 'schedule', startInMs: 0, warmupMs: 0, totalMs: 0 });
    }
    const runWallStart = Date.now();
    await Promise.all(workers.map((w) => w.run(runStartUs, totalSenders === 0 ? 0 : w.senders / totalSenders)));
    // Likewise the run bar ends where the schedule did, not at the last once-a-second poll.
    if (lastSnapshot !== null) {
      const elapsedMs = Math.max(0, (nowUs() - runStartUs) / 1000);
      hooks.onProgress?.({ phase, elapsedMs, totalMs, planned: cfg.connections, snapshot: lastSnapshot });
    }
    // Typed afresh: the abort handler sets stopUs behind the compiler's back. A stop during
    // the drain cut nothing short.
    const stopAt: number | null = stopUs;
    const stoppedEarly = stopAt !== null && (stopAt - runStartUs) / 1000 < totalMs;
    phase = 'drain';
    hooks.onPhase?.({ loadgen: 'scheduled' });
    await Promise.all(workers.map((w) => w.drain()));
    hooks.onPhase?.({ loadgen: 'drained' });
    const runWallMs = Date.now() - runWallStart;
    const serverAfter = cfg.http !== null ? await sampleServer(cfg.http) : null;
    const treeAfter = cfg.serverPid !== null ? sampleTree(cfg.serverPid) : null;
    const reports = await Promise.all(workers.map((w) => w.report()));
    if (cfg.ackedLog !== null) writeOutput(cfg.ackedLog, reports.map((r) => r.ackedLog ?? '').join(''));
    const server = serverReport(serverBefore, serverAfter, treeBefore, treeAfter, runWallMs);
    // The schedule that actually ran: all of it, unless a stop cut it short.
    const ranMs = stopAt !== null && stoppedEarly ? Math.max(0, (stopAt - runStartUs) / 1000) : totalMs;
    const result = mergeReports(cfg, reports, startedAt, server, DRIVERS[cfg.driver].acksMessages, {
      scheduleMs: Math.round(ranMs),
      stoppedEarly,
    });
    if (server !== null && server.cpuSeconds !== null && result.messages.sent > 0) {
      server.cpuUsPerMessage = Math.round(((server.cpuSeconds * 1e6) / result.messages.sent) * 100) / 100;
      if (result.messages.delivered > 0)
        server.cpuUsPerDelivery = Math.round(((server.cpuSeconds * 1e6) / result.messages.delivered) * 1000) / 1000;
    }
    return result;
  } finally {
    hooks.signal?.removeEventListener('abort', stop);
    clearInterval(poll);
    await closeAll(workers);
  }
}

async function closeAll(workers: readonly WorkerLink[]): Promise<void> {
  await Promise.all(workers.map((w) => w.close().catch(() => {})));
}

function serverReport(
  before: ServerSample | null,
  after: ServerSample | null,
  treeBefore: TreeSample | null,
  treeAfter: TreeSample | null,
  wallMs: number,
): ServerReport | null {
  if (before === null && treeBefore === null) return null;
  let cpuSeconds: number | null = null;
  if (treeBefore !== null && treeAfter !== null) cpuSeconds = treeAfter.cpuSeconds - treeBefore.cpuSeconds;
  else if (before?.cpuSeconds != null && after?.cpuSeconds != null) cpuSeconds = after.cpuSeconds - before.cpuSeconds;
  return {
    before,
    after,
    cpuSeconds: cpuSeconds === null ? null : Math.round(cpuSeconds * 1000) / 1000,
    cpuPercent: cpuSeconds === null ? null : Math.round((cpuSeconds / (wallMs / 1000)) * 1000) / 10,
    cpuUsPerMessage: null,
    cpuUsPerDelivery: null,
    rssBytes: treeAfter?.rssBytes ?? after?.rssBytes ?? null,
    loopDelayP99Ms: after?.loopDelayP99Ms ?? null,
  };
}
