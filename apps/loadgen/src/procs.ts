/**
 * The parent's view of its loadgen processes. `--procs 1` runs the engine in the parent
 * (LocalWorker); `--procs N` forks N workers (ForkedWorker, child_process.fork of
 * worker.js), each holding at most ~19,000 sockets. Both answer the same calls, so the
 * coordinator does not care which it drives.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunConfig } from './config.js';
import { Engine, type ConnectResult } from './engine/engine.js';
import type { ProcReport, ProgressSnapshot } from './engine/proc-report.js';
import { LoadgenError } from './errors.js';
import type { FromWorker, ToWorker } from './ipc.js';

export interface WorkerLink {
  readonly senders: number;
  connect(): Promise<ConnectResult>;
  /** The schedule only; drain() follows. */
  run(startUs: number, rateShare: number): Promise<void>;
  drain(): Promise<void>;
  /** Ends the connect ramp or the schedule early (the pending connect()/run() then resolves). */
  stop(): void;
  progress(): Promise<ProgressSnapshot>;
  report(): Promise<ProcReport>;
  close(): Promise<void>;
}

export class LocalWorker implements WorkerLink {
  readonly #engine: Engine;

  constructor(cfg: RunConfig) {
    this.#engine = new Engine(cfg, 0, 1);
  }

  get senders(): number {
    return this.#engine.senders;
  }

  connect(): Promise<ConnectResult> {
    return this.#engine.connect();
  }

  run(startUs: number, rateShare: number): Promise<void> {
    return this.#engine.run(startUs, rateShare);
  }

  drain(): Promise<void> {
    return this.#engine.drain();
  }

  stop(): void {
    this.#engine.stop();
  }

  async progress(): Promise<ProgressSnapshot> {
    return this.#engine.progress();
  }

  async report(): Promise<ProcReport> {
    return this.#engine.report();
  }

  async close(): Promise<void> {
    this.#engine.close();
  }
}

type Pending = { t: FromWorker['t']; resolve: (m: FromWorker) => void; reject: (e: Error) => void };

export class ForkedWorker implements WorkerLink {
  readonly child: ChildProcess;
  senders = 0;
  /** Requests in flight, answered in order per type. */
  readonly #pending: Pending[] = [];
  #exited = false;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (m: FromWorker) => this.#onMessage(m));
    child.on('exit', (code, signal) => {
      this.#exited = true;
      const err = new LoadgenError('LG_WORKER_FAILED', `loadgen worker ${child.pid} exited (${signal ?? code})`);
      for (const p of this.#pending.splice(0)) p.reject(err);
    });
  }

  static async start(cfg: RunConfig, proc: number, procs: number): Promise<ForkedWorker> {
    const child = fork(workerScript(), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // A bigger young generation keeps the many short-lived frame strings of a busy sender
      // out of old space: fewer, cheaper GCs on the hot path.
      execArgv: ['--max-semi-space-size=32'],
    });
    const w = new ForkedWorker(child);
    const init = (await w.#ask({ t: 'init', cfg, proc, procs })) as Extract<FromWorker, { t: 'init' }>;
    w.senders = init.senders;
    return w;
  }

  #onMessage(m: FromWorker): void {
    if (m.t === 'error') {
      const p = this.#pending.shift();
      p?.reject(new LoadgenError('LG_WORKER_FAILED', `loadgen worker ${this.child.pid}: ${m.message}`));
      return;
    }
    const i = this.#pending.findIndex((p) => p.t === m.t);
    if (i === -1) return;
    const [p] = this.#pending.splice(i, 1);
    p!.resolve(m);
  }

  /** A request the worker answers with a message of the same `t` (all but 'stop'). */
  #ask(msg: Exclude<ToWorker, { t: 'stop' }>): Promise<FromWorker> {
    if (this.#exited) return Promise.reject(new LoadgenError('LG_WORKER_FAILED', 'loadgen worker has exited'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ t: msg.t, resolve, reject });
      this.child.send(msg);
    });
  }

  async connect(): Promise<ConnectResult> {
    return ((await this.#ask({ t: 'connect' })) as Extract<FromWorker, { t: 'connect' }>).result;
  }

  async run(startUs: number, rateShare: number): Promise<void> {
    await this.#ask({ t: 'run', startUs, rateShare });
  }

  async drain(): Promise<void> {
    await this.#ask({ t: 'drain' });
  }

  stop(): void {
    if (!this.#exited && this.child.connected) this.child.send({ t: 'stop' } satisfies ToWorker);
  }

  async progress(): Promise<ProgressSnapshot> {
    return ((await this.#ask({ t: 'progress' })) as Extract<FromWorker, { t: 'progress' }>).snapshot;
  }

  async report(): Promise<ProcReport> {
    return ((await this.#ask({ t: 'report' })) as Extract<FromWorker, { t: 'report' }>).report;
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      await Promise.race([this.#ask({ t: 'close' }), exited]);
    } catch {
      // already gone
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }
}

export async function startWorkers(cfg: RunConfig): Promise<WorkerLink[]> {
  if (cfg.procs === 1) return [new LocalWorker(cfg)];
  return Promise.all(Array.from({ length: cfg.procs }, (_, p) => ForkedWorker.start(cfg, p, cfg.procs)));
}

/** dist/worker.js beside this file; from the TypeScript sources (tests), the built one. */
function workerScript(): string {
  const here = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL('../dist/worker.js', import.meta.url));
}
