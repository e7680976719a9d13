/**
 * The primary's ceiling, without clients: one process runs the cluster's real PrimaryBus
 * (workers/primary-host.ts) for K synthetic workers (workers/synthetic-cluster-worker.ts),
 * each on its own socketpair as in cluster mode. The workers join R rooms × M members
 * spread over them, then publish pre-encoded bodies as fast as the primary answers, each
 * keeping a bounded number of Pubs unanswered, so the primary always has work queued and
 * what it sequences per second is what it can. Measured over a fixed window after a
 * warm-up: messages sequenced (PrimaryBus.messages, asked over IPC at both ends), the
 * primary's CPU and each worker's from /proc/<pid>/stat, the kernel's softirq and other
 * processes' load from /proc/stat. The primary's µs per message bounds the cluster: it
 * sequences every message, on one core, so 10⁶ ÷ that is the most any cluster can carry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { kill, track } from '../lib/children.js';
import { sleep } from '../lib/clock.js';
import { cpuSnapshot, cpuWindow, otherLoadWarnings, sum, type CpuSnapshot } from '../lib/cpu-window.js';
import { WORKERS_DIR } from '../lib/paths.js';
import { isHistoryKeeper, mainThreadCpuSeconds, processTree } from '../lib/proc.js';
import { notQuietWarnings, waitForQuiet } from '../lib/quiet.js';
import type { FromHost, ToHost, WorkerCounts } from '../workers/primary-ipc.js';

export interface PrimaryOptions {
  workers: number;
  /** The bus's `--cluster-flush-ms`. */
  flushMs: number;
  /** Where the primary keeps history: `--history memory` or `sqlite` (a fresh file in a temp dir). */
  history: PrimaryHistory;
  rooms: number;
  members: number;
  /** Unanswered Pubs each synthetic worker keeps at most. */
  outstanding: number;
  /** Bytes of each message body (what encodeMsgBody gives, before seq and ts). */
  bodyBytes: number;
  warmupS: number;
  durationS: number;
  quietWaitS: number;
}

export type PrimaryHistory = 'memory' | 'sqlite';
export const PRIMARY_HISTORIES: readonly PrimaryHistory[] = ['memory', 'sqlite'];

export interface PrimaryResult {
  workers: number;
  /** Which of the part's rounds (parts/primary.ts); absent with one round. */
  round?: number;
  /** Absent in results from before the store existed: memory. */
  history?: PrimaryHistory;
  flushMs: number;
  /** loopchat's default `--cluster-flush-ms` (from the build's DEFAULTS). */
  defaultFlushMs: number;
  rooms: number;
  members: number;
  outstanding: number;
  bodyBytes: number;
  /** Length of the measured window, s. */
  durationS: number;
  /** Messages the bus sequenced in the window. */
  messages: number;
  msgsPerSecond: number;
  primaryCpuPercent: number;
  primaryUsPerMsg: number;
  /** The primary's event-loop thread alone (its GC and libuv threads left out). */
  primaryLoopCpuPercent: number;
  primaryLoopUsPerMsg: number;
  /**
   * With SQLite: the history keeper process that folds the primary's commits into the file
   * (history-keeper.ts), % of one core and µs per message. Absent in earlier results (the
   * primary folded itself) and with memory history.
   */
  keeperCpuPercent?: number;
  keeperUsPerMsg?: number;
  /** Each synthetic worker, % of one core. */
  workerCpuPercent: number[];
  /** The workers' CPU together, µs per message. */
  workersUsPerMsg: number;
  irqPercent: number;
  otherLoadPercent: number;
  machineBusyPercent: number;
  /** Members each worker held. */
  membersPerWorker: number[];
  /** Msg records the workers received per message (one per worker with members in the room). */
  recordsPerMsg: number;
  problems: string[];
  warnings: string[];
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

interface Sample extends CpuSnapshot {
  messages: number;
  /** CPU seconds of the primary's main thread. */
  loop: number;
}

/** Replies from the host, one awaited at a time. */
class HostChannel {
  readonly child: ChildProcess;
  readonly failures: string[] = [];
  #waiters: { t: FromHost['t']; resolve: (m: FromHost) => void }[] = [];

  constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (m: FromHost) => {
      if (m.t === 'failed') {
        this.failures.push(m.error);
        return;
      }
      const i = this.#waiters.findIndex((w) => w.t === m.t);
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(m);
    });
  }

  send(m: ToHost): void {
    this.child.send(m);
  }

  async next<T extends FromHost['t']>(t: T, timeoutMs: number): Promise<Extract<FromHost, { t: T }>> {
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<FromHost>((resolve) => this.#waiters.push({ t, resolve }));
    const exit = once(this.child, 'exit').then(([code, signal]) => {
      throw new Error(`the primary host exited with ${signal ?? code}: ${this.failures.join('; ')}`);
    });
    exit.catch(() => {}); // the host's exit after the reply came is no error
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no '${t}' from the primary host in ${timeoutMs} ms: ${this.failures.join('; ')}`)),
        timeoutMs,
      );
    });
    try {
      return (await Promise.race([reply, exit, timeout])) as Extract<FromHost, { t: T }>;
    } finally {
      clearTimeout(timer);
    }
  }
}

async function sample(host: HostChannel, pids: number[]): Promise<Sample> {
  host.send({ t: 'count' });
  const { messages } = await host.next('count', 5_000);
  return { ...cpuSnapshot(), messages, loop: mainThreadCpuSeconds(pids[0]!) };
}

export async function runPrimary(o: PrimaryOptions): Promise<PrimaryResult> {
  const problems: string[] = [];
  const warnings: string[] = [];
  warnings.push(...notQuietWarnings(await waitForQuiet(o.quietWaitS)));
  const args = [o.workers, o.flushMs, o.rooms, o.members, o.outstanding, o.bodyBytes, o.history].map(String);
  const child = track(
    spawn(process.execPath, [join(WORKERS_DIR, 'primary-host.js'), ...args], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  const host = new HostChannel(child);
  try {
    const ready = await host.next('ready', READY_TIMEOUT_MS);
    const pids = [child.pid!, ...ready.workerPids];
    // With SQLite, the store's history keeper: a child of the host, as of the real primary.
    const keeper = processTree(child.pid!).find(isHistoryKeeper);
    host.send({ t: 'go' });
    await sleep(o.warmupS * 1000);
    const a = await sample(host, pids);
    await sleep(o.durationS * 1000);
    const b = await sample(host, pids);
    host.send({ t: 'stop' });
    const stopped = await host.next('stopped', STOP_TIMEOUT_MS);

    // A process missing from a snapshot counts NaN, not 0: no figure is guessed.
    const usedS = pids.map((pid) => (b.all.get(pid)?.cpu ?? NaN) - (a.all.get(pid)?.cpu ?? NaN));
    const keeperS = keeper === undefined ? 0 : (b.all.get(keeper)?.cpu ?? NaN) - (a.all.get(keeper)?.cpu ?? NaN);
    const cpu = cpuWindow(a, b, sum(usedS) + keeperS + (b.runner - a.runner));
    const seconds = cpu.seconds;
    const used = usedS.map((s) => s / seconds);
    const messages = b.messages - a.messages;
    const perMsg = (cpuShare: number): number => (cpuShare * 1e6) / Math.max(1, messages / seconds);
    warnings.push(...otherLoadWarnings(cpu.otherLoadPercent, 'during the window'));
    problems.push(...host.failures, ...checkCounts(o, ready.members, stopped.messages, stopped.workers));
    return {
      history: o.history,
      workers: o.workers,
      flushMs: o.flushMs,
      defaultFlushMs: ready.defaultFlushMs,
      rooms: o.rooms,
      members: o.members,
      outstanding: o.outstanding,
      bodyBytes: o.bodyBytes,
      durationS: seconds,
      messages,
      msgsPerSecond: messages / seconds,
      primaryCpuPercent: used[0]! * 100,
      primaryUsPerMsg: perMsg(used[0]!),
      primaryLoopCpuPercent: ((b.loop - a.loop) / seconds) * 100,
      primaryLoopUsPerMsg: perMsg((b.loop - a.loop) / seconds),
      ...(keeper === undefined
        ? {}
        : { keeperCpuPercent: (keeperS / seconds) * 100, keeperUsPerMsg: perMsg(keeperS / seconds) }),
      workerCpuPercent: used.slice(1).map((v) => v * 100),
      workersUsPerMsg: perMsg(sum(used.slice(1))),
      irqPercent: cpu.irqPercent,
      otherLoadPercent: cpu.otherLoadPercent,
      machineBusyPercent: cpu.machineBusyPercent,
      membersPerWorker: ready.members,
      recordsPerMsg: stopped.workers.reduce((n, w) => n + w.msgRecords, 0) / Math.max(1, stopped.messages),
      problems,
      warnings,
    };
  } finally {
    await kill(child);
  }
}

/** Every Pub answered once, every message to every worker with members in its room. */
export function checkCounts(o: PrimaryOptions, members: number[], messages: number, workers: WorkerCounts[]): string[] {
  const problems: string[] = [];
  const total = o.rooms * o.members;
  const held = members.reduce((n, v) => n + v, 0);
  if (held !== total) problems.push(`the workers held ${held} members, expected ${total}`);
  const published = workers.reduce((n, w) => n + w.published, 0);
  const answered = workers.reduce((n, w) => n + w.answered, 0);
  const records = workers.reduce((n, w) => n + w.msgRecords, 0);
  if (workers.some((w) => w.outstanding !== 0)) problems.push('a worker stopped with Pubs unanswered');
  if (answered !== published) problems.push(`${answered} answers for ${published} Pubs`);
  if (messages !== published) problems.push(`the bus sequenced ${messages} messages, the workers published ${published}`);
  // Consecutive members sit on consecutive workers: a room spans min(members, workers) of them.
  const expected = messages * Math.min(o.members, o.workers);
  if (records !== expected)
    problems.push(
      `the workers received ${records} Msg records, expected ${expected} (${messages} × ${Math.min(o.members, o.workers)})`,
    );
  return problems;
}
