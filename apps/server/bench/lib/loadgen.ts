/**
 * Runs the load generator (apps/loadgen) as users run it: `node apps/loadgen/dist/cli.js run
 * … --out <json>`, a child process of its own, and reads back the fields of its result JSON
 * the bench needs. The shape mirrors apps/loadgen/src/result.ts (RunResult, version 1); it is
 * repeated here, not imported, because the bench builds without the loadgen's sources, and
 * the fields read are checked at runtime so a changed result fails loudly.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { kill, track } from './children.js';
import { LOADGEN_CLI } from './paths.js';

/** A latency summary of the loadgen, milliseconds (null when nothing was measured). */
export interface LoadgenLatency {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** The part of the loadgen's RunResult (apps/loadgen/src/result.ts) the bench reads. */
export interface LoadgenResult {
  version: 1;
  durationMs: number;
  config: { driver: string; connections: number; rooms: number; rates: number[]; stepMs: number; warmupMs: number };
  connections: {
    planned: number;
    ok: number;
    failed: number;
    closedEarly: number;
    failureSamples: string[];
    closeSamples: string[];
  };
  latencyMs: LoadgenLatency;
  steps: { rate: number; durationMs: number; sent: number; latencyMs: LoadgenLatency }[];
  messages: {
    sent: number;
    acked: number | null;
    expected: number;
    delivered: number;
    lost: number;
    duplicates: number;
    reordered: number;
    frames: number;
    deliveredPerSecond: number;
  };
  errors: { total: number; byCode: Record<string, number>; samples: string[] };
  loadgen: { procs: { pid: number; cpuPercent: number }[]; maxCpuPercent: number; maxSendLagMs: number; warnings: string[] };
  server: {
    before: { deliveries: number | null } | null;
    after: { deliveries: number | null } | null;
    cpuSeconds: number | null;
    cpuPercent: number | null;
  } | null;
}

export interface LoadgenRun {
  result: LoadgenResult;
  /** Where the full result JSON is (histograms, timeline). */
  resultPath: string;
  /** Wall time of the whole child process (start, connect, schedule, drain, exit), seconds. */
  wallS: number;
  /** What the loadgen wrote on stderr (warnings), at most 20 lines. */
  stderr: string[];
}

/**
 * `node <loadgen>/dist/cli.js run <args> --out <outPath> -q --no-progress`; resolves with its
 * result once it exits 0, rejects (with its last stderr lines) otherwise or after `timeoutMs`.
 */
export async function runLoadgen(args: string[], outPath: string, timeoutMs: number): Promise<LoadgenRun> {
  if (!existsSync(LOADGEN_CLI)) throw new Error(`${LOADGEN_CLI} is missing: build it first (npx tsc -b)`);
  const startedAt = Date.now();
  const child = track(
    spawn(process.execPath, [LOADGEN_CLI, 'run', ...args, '--out', outPath, '-q', '--no-progress'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (stderr.length < 20) stderr.push(line.slice(0, 300));
  });
  const timer = setTimeout(() => void kill(child), timeoutMs);
  const code = await new Promise<number | string>((resolve) =>
    child.once('close', (c, signal) => resolve(c ?? signal ?? 'unknown')),
  );
  clearTimeout(timer);
  const wallS = (Date.now() - startedAt) / 1000;
  if (code !== 0) {
    const why = code === 'SIGKILL' && wallS * 1000 >= timeoutMs ? `killed after ${timeoutMs / 1000} s` : `exit ${code}`;
    throw new Error(`loadgen run ${why}: ${stderr.slice(-3).join(' / ') || '(no stderr)'}`);
  }
  return { result: readResult(outPath), resultPath: outPath, wallS, stderr };
}

function readResult(path: string): LoadgenResult {
  const r = JSON.parse(readFileSync(path, 'utf8')) as LoadgenResult;
  const missing = [
    r.version === 1 ? null : 'version 1',
    typeof r.messages?.delivered === 'number' ? null : 'messages.delivered',
    typeof r.messages?.sent === 'number' ? null : 'messages.sent',
    Array.isArray(r.steps) && r.steps.length > 0 ? null : 'steps',
    typeof r.connections?.ok === 'number' ? null : 'connections.ok',
    typeof r.loadgen?.maxCpuPercent === 'number' ? null : 'loadgen.maxCpuPercent',
  ].filter((x) => x !== null);
  if (missing.length > 0)
    throw new Error(`${path} is not a loadgen result this bench understands (no ${missing.join(', ')})`);
  return r;
}
