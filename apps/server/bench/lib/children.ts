/**
 * Every child process the bench starts is registered here and killed when the bench
 * exits, however it exits (normal end, exception, Ctrl-C): a leaked server holding 10,000
 * sockets would spoil the next run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WORKERS_DIR } from './paths.js';

const live = new Set<ChildProcess>();

export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGKILL and wait for the exit (measurements are taken before; nothing to drain). */
export async function kill(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || !isAlive(child)) return;
  const exited = once(child, 'exit');
  // LOOPCHAT_BENCH_SERVER_FLAGS may ask for a profile (--cpu-prof), written on a clean exit:
  // give such a child a SIGTERM and a moment before the SIGKILL.
  if (process.env['LOOPCHAT_BENCH_SERVER_FLAGS']) {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    if (!isAlive(child)) return;
  }
  child.kill('SIGKILL');
  await exited;
}

/** What a measuring worker printed (one JSON value per stdout line) and how it ended. */
export interface WorkerRun {
  lines: unknown[];
  /** A one-line reason when it did not exit 0 (with the start of its stderr), else undefined. */
  failure: string | undefined;
}

/** Runs `workers/<script>` with `args` in a process of its own until it exits. */
export async function runWorker(script: string, args: string[]): Promise<WorkerRun> {
  const child = track(spawn(process.execPath, [join(WORKERS_DIR, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const lines: unknown[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (text) => lines.push(JSON.parse(text)));
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  const failure = code === 0 ? undefined : `${script} exited with ${signal ?? code}: ${stderr.trim().slice(0, 500)}`;
  return { lines, failure };
}

function killAllNow(): void {
  for (const child of live) if (isAlive(child)) child.kill('SIGKILL');
}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, killing ${live.size} child process(es)\n`);
    killAllNow();
    process.exit(130);
  });
}
