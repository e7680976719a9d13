/**
 * One run from the parent's side: start the processes, connect everyone, start every
 * process's schedule at the same instant (the shared clock), poll progress once a second,
 * collect and merge the reports, and sample the server before and after.
 */
import type { RunConfig } from './config.js';
import { DRIVERS } from './drivers/index.js';
import { nowUs } from './engine/clock.js';
import type { ProgressSnapshot } from './engine/proc-report.js';
import { startWorkers, type WorkerLink } from './procs.js';
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
  const totalMs = cfg.warmupMs + cfg.rates.length * cfg.stepMs;
  let runStartUs = Infinity;
  let polling = false;
  const poll = setInterval(() => {
    if (hooks.onProgress === undefined || polling) return;
    polling = true;
    Promise.all(workers.map((w) => w.progress()))
      .then((snaps) => {
        const elapsedMs = phase === 'connect' ? (nowUs() - t0) / 1000 : Math.max(0, (nowUs() - runStartUs) / 1000);
        hooks.onProgress?.({ phase, elapsedMs, totalMs, planned: cfg.connections, snapshot: sumSnapshots(snaps) });
      })
      .catch(() => {})
      .finally(() => (polling = false));
  }, 1000);
  try {
    let serverBefore: ServerSample | null = null;
    let treeBefore: TreeSample | null = null;
    await Promise.all(workers.map((w) => w.connect()));
    const totalSenders = workers.reduce((n, w) => n + w.senders, 0);
    if (cfg.http !== null) serverBefore = await sampleServer(cfg.http);
    if (cfg.serverPid !== null) treeBefore = sampleTree(cfg.serverPid);
    phase = 'run';
    // Whole µs: ids are whole µs, so the first message of each step has exactly its step's start.
    runStartUs = Math.ceil(nowUs() + START_LEAD_US);
    const runWallStart = Date.now();
    const drainWatch = setTimeout(() => (phase = 'drain'), START_LEAD_US / 1000 + totalMs);
    await Promise.all(workers.map((w) => w.run(runStartUs, totalSenders === 0 ? 0 : w.senders / totalSenders)));
    clearTimeout(drainWatch);
    const runWallMs = Date.now() - runWallStart;
    const serverAfter = cfg.http !== null ? await sampleServer(cfg.http) : null;
    const treeAfter = cfg.serverPid !== null ? sampleTree(cfg.serverPid) : null;
    const reports = await Promise.all(workers.map((w) => w.report()));
    const server = serverReport(serverBefore, serverAfter, treeBefore, treeAfter, runWallMs);
    const result = mergeReports(cfg, reports, startedAt, server, DRIVERS[cfg.driver].acksMessages);
    if (server !== null && server.cpuSeconds !== null && result.messages.sent > 0) {
      server.cpuUsPerMessage = Math.round(((server.cpuSeconds * 1e6) / result.messages.sent) * 100) / 100;
      if (result.messages.delivered > 0)
        server.cpuUsPerDelivery = Math.round(((server.cpuSeconds * 1e6) / result.messages.delivered) * 1000) / 1000;
    }
    return result;
  } finally {
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
