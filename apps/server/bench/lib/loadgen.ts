/**
 * Runs the load generator (apps/loadgen) as users run it: `node apps/loadgen/dist/cli.js run
 * … --out <json>`, a child process of its own, and reads back the fields of its result JSON
 * the bench needs. Its types come from the loadgen's sources (a project reference: type-only,
 * nothing of the loadgen runs inside the bench); the fields read are also checked at runtime,
 * so a result file from another loadgen version fails loudly.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { PhaseEvent } from '../../../loadgen/src/parent-ipc.js';
import type { RunResult } from '../../../loadgen/src/result.js';
import { kill, track } from './children.js';
import { nowUs } from './clock.js';
import { LOADGEN_CLI, TMP_DIR } from './paths.js';

/** What the loadgen tells its parent over IPC, in order, once each (apps/loadgen/src/parent-ipc.ts). */
export type LoadgenEvent = PhaseEvent;

const EVENT_NAMES: ReadonlySet<string> = new Set(['connected', 'schedule', 'scheduled', 'drained']);

/** The loadgen's result JSON (apps/loadgen/src/result.ts, version 1). */
export type LoadgenResult = RunResult;

export interface LoadgenRun {
  result: LoadgenResult;
  /** Where the full result JSON is (histograms, timeline). */
  resultPath: string;
  /** Wall time of the whole child process (start, connect, schedule, drain, exit), seconds. */
  wallS: number;
  /** What the loadgen wrote on stderr (warnings), at most 20 lines. */
  stderr: string[];
}

export interface RunningLoadgen {
  /** Resolves with the result once the loadgen exits 0; rejects (last stderr lines) otherwise or after the timeout. */
  done: Promise<LoadgenRun>;
  /** Ends the schedule now; the loadgen drains and reports what it measured as usual. */
  stop(): void;
  pid: number;
}

/**
 * `node <loadgen>/dist/cli.js run <args> --out <outPath> -q --no-progress` with an IPC
 * channel: `onEvent` gets the phase events as they happen, `stop()` sends `{loadgen:'stop'}`.
 * Throws at once when the loadgen is not built.
 */
export function startLoadgen(
  args: string[],
  outPath: string,
  timeoutMs: number,
  onEvent?: (e: LoadgenEvent) => void,
): RunningLoadgen {
  if (!existsSync(LOADGEN_CLI)) throw new Error(`${LOADGEN_CLI} is missing: build it first (npx tsc -b)`);
  const startedUs = nowUs();
  const child = track(
    spawn(process.execPath, [LOADGEN_CLI, 'run', ...args, '--out', outPath, '-q', '--no-progress'], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    }),
  );
  let stopRequested = false;
  const sendStop = (): void => {
    // A loadgen that already ended has nothing to stop.
    if (child.connected) child.send({ loadgen: 'stop' }, ignoreSendError);
  };
  child.on('message', (message: unknown) => {
    if (!isLoadgenEvent(message)) return;
    // A stop sent while the loadgen was still loading its modules found no listener and was
    // lost: repeat it (stopping twice is harmless).
    if (stopRequested) sendStop();
    onEvent?.(message);
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (stderr.length < 20) stderr.push(line.slice(0, 300));
  });
  const done = (async (): Promise<LoadgenRun> => {
    const timer = setTimeout(() => void kill(child), timeoutMs);
    const code = await new Promise<number | string>((resolve) =>
      child.once('close', (c, signal) => resolve(c ?? signal ?? 'unknown')),
    );
    clearTimeout(timer);
    const wallS = (nowUs() - startedUs) / 1e6;
    // 98 (INCONCLUSIVE) and 99 (FAILED) are the loadgen's verdicts (apps/loadgen/src/verdict.ts),
    // not errors: the bench reads the result and judges it itself, as before verdicts existed.
    if (code !== 0 && code !== 98 && code !== 99) {
      const why = code === 'SIGKILL' && wallS * 1000 >= timeoutMs ? `killed after ${timeoutMs / 1000} s` : `exit ${code}`;
      throw new Error(`loadgen run ${why}: ${stderr.slice(-3).join(' / ') || '(no stderr)'}`);
    }
    return { result: readResult(outPath), resultPath: outPath, wallS, stderr };
  })();
  return {
    done,
    stop() {
      stopRequested = true;
      sendStop();
    },
    pid: child.pid!,
  };
}

/**
 * For a `finally` after a run that may have failed midway: tells a loadgen still holding
 * connections to stop and waits for it, so it lets go of them before the server goes.
 */
export async function letGo(loadgen: Pick<RunningLoadgen, 'stop' | 'done'> | undefined): Promise<void> {
  if (loadgen === undefined) return;
  loadgen.stop();
  await loadgen.done.catch(() => undefined);
}

/** startLoadgen without events or stop: resolves with the result once the run ends by itself. */
export async function runLoadgen(args: string[], outPath: string, timeoutMs: number): Promise<LoadgenRun> {
  return startLoadgen(args, outPath, timeoutMs).done;
}

const serials = new Map<string, number>();

/** Where a part's next loadgen run writes its result: `<TMP_DIR>/<part>-<nnn>-<tag>.json`, numbered per part. */
export function resultFile(part: string, tag: string): string {
  const serial = (serials.get(part) ?? 0) + 1;
  serials.set(part, serial);
  mkdirSync(TMP_DIR, { recursive: true });
  return join(TMP_DIR, `${part}-${String(serial).padStart(3, '0')}-${tag}.json`);
}

/** The run's own warnings, and what it wrote on stderr besides warnings and its PASS. */
export function loadgenWarnings(run: LoadgenRun): string[] {
  return [...run.result.loadgen.warnings, ...run.stderr.filter((l) => !/^(warning: |PASS$)/.test(l))];
}

function ignoreSendError(): void {
  // The channel closed between the check and the send: the loadgen is exiting anyway.
}

function isLoadgenEvent(message: unknown): message is LoadgenEvent {
  const name = (message as { loadgen?: unknown } | null)?.loadgen;
  return typeof name === 'string' && EVENT_NAMES.has(name);
}

function readResult(path: string): LoadgenResult {
  const r = JSON.parse(readFileSync(path, 'utf8')) as LoadgenResult;
  const missing = [
    r.version === 1 ? null : 'version 1',
    typeof r.stoppedEarly === 'boolean' ? null : 'stoppedEarly',
    typeof r.messages?.delivered === 'number' ? null : 'messages.delivered',
    typeof r.messages?.sent === 'number' ? null : 'messages.sent',
    Array.isArray(r.steps) && r.steps.length > 0 ? null : 'steps',
    Array.isArray(r.timeline) ? null : 'timeline',
    typeof r.connections?.ok === 'number' ? null : 'connections.ok',
    typeof r.connections?.connectWallMs === 'number' ? null : 'connections.connectWallMs',
    typeof r.connectMs?.count === 'number' ? null : 'connectMs',
    typeof r.errors?.byCode === 'object' ? null : 'errors.byCode',
    typeof r.loadgen?.maxCpuPercent === 'number' ? null : 'loadgen.maxCpuPercent',
    Array.isArray(r.loadgen?.procs) ? null : 'loadgen.procs',
  ].filter((x) => x !== null);
  if (missing.length > 0)
    throw new Error(`${path} is not a loadgen result this bench understands (no ${missing.join(', ')})`);
  return r;
}
