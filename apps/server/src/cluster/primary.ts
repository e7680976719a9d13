/**
 * The cluster primary: forks one worker per core, holds no chat sockets, and serves the one
 * ChatState to them (primary-bus.ts: room seqs, history, nicks, member lists). It restarts a
 * worker that dies (with backoff), and shuts the whole cluster down on SIGTERM / SIGINT.
 *
 * Connections do not pass through it: every worker accepts on the shared listening sockets
 * itself (node:cluster's SCHED_NONE: the primary binds each port once and shares the socket),
 * so accepting is the kernel's work, as fast as one process. Handing each connection over IPC
 * instead (one handle per worker in flight until it acknowledges) capped a 2-worker cluster at
 * ~1,250 connections/s, a single process accepting 2,500/s with room to spare. What the
 * primary does decide is who may accept: a worker ahead of its siblings is held back
 * (accept-balance.ts), from the counts the workers report over the control plane.
 *
 *   worker ⇄ primary, two planes:
 *     data     a socketpair per worker (stdio slot 4): binary records, one write per turn
 *     control  node's IPC channel: gather of /stats /metrics, admin, lifecycle
 *
 * A worker that dies loses only its sockets: history lives here, so its clients reconnect
 * (to a sibling) and recover with `history {since}`. No acknowledged message is lost,
 * because a message is acknowledged only after the primary sequenced and stored it.
 */
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { AcceptBalance } from './accept-balance.js';
import { growPrimaryHeap } from './primary-heap.js';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { DATA_FD, isLoopchatMessage, type GatherKind, type ToPrimary, type ToWorker } from './ipc-protocol.js';
import { chooseBus } from '../bus/choose-bus.js';
import { openHistoryStore } from '../history/open-store.js';
import { PrimaryBus } from './primary-bus.js';
import { PrimaryReport } from './primary-report.js';

const RESTART_BACKOFF_MIN_MS = 100;
const RESTART_BACKOFF_MAX_MS = 10_000;
/** A worker that ran this long without dying resets its slot's backoff. */
const STABLE_AFTER_MS = 30_000;
const GATHER_TIMEOUT_MS = 2_000;

type ConnectionsReport = Extract<ToPrimary, { t: 'connections' }>;
/** A worker that has not reported yet: no connections, not (confirmed) accepting. */
const NO_REPORT: ConnectionsReport = { t: 'connections', count: 0, accepting: false, word: 0 };

interface Slot {
  index: number;
  worker: Worker | undefined;
  backoffMs: number;
  startedAt: number;
  listening: boolean;
  /** Its connections, whether it accepts and the word it took in, as it last reported them. */
  report: ConnectionsReport;
}

interface Gather {
  results: unknown[];
  waiting: number;
  finish: () => void;
}

/** The worker entry: this build's main.js (tests and npm start both run the built CLI). */
const WORKER_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export class ClusterPrimary {
  /** Resolves once every worker listens, with the shared ports. */
  readonly listening: Promise<{ tcpPort: number; httpPort: number }>;
  readonly bus: PrimaryBus;
  readonly #config: Readonly<Config>;
  readonly #log: Logger;
  readonly #slots: Slot[];
  readonly #workers = new Map<string, Worker>();
  readonly #report: PrimaryReport;
  /** Holds back workers above their share of the connections (accept-balance.ts). */
  readonly #balance = new AcceptBalance();
  readonly #gathers = new Map<number, Gather>();
  /** Pending restarts: ref'd, so a primary whose workers all died stays up to restart them. */
  readonly #restarts = new Set<NodeJS.Timeout>();
  readonly #sweeper: NodeJS.Timeout;
  /** The ports every worker listens on (LOOPCHAT_PORTS); the IRC and TLS ones only when configured. */
  readonly #ports: { tcpPort: number; httpPort: number; ircPort?: number; tlsPort?: number };
  #nextCid = 1;
  #shuttingDown = false;
  #announced = false;
  #announce: (ports: { tcpPort: number; httpPort: number }) => void = () => {};
  #abort: (err: Error) => void = () => {};
  #closing: Promise<void> | undefined;

  constructor(config: Readonly<Config>, log: Logger) {
    this.#config = config;
    this.#log = log;
    // The primary sequences, so it owns the history store (opened here: a locked or damaged
    // file is a startup error before any worker is forked). Not on Redis: there the workers
    // sequence through Redis, and the primary's bus serves nobody. Its folding into the
    // SQLite file runs in a keeper process beside it (history-keeper.ts), off its one core.
    const store = chooseBus(config, 'primary') === 'ipc' ? openHistoryStore(config, log, { keeper: true }) : undefined;
    this.bus = new PrimaryBus(config, log, config.clusterFlushMs, store);
    this.#report = new PrimaryReport(this.bus);
    this.#ports = { tcpPort: config.tcpPort, httpPort: config.httpPort };
    this.#slots = Array.from({ length: config.workers }, (_, index) => ({
      index,
      worker: undefined,
      backoffMs: RESTART_BACKOFF_MIN_MS,
      startedAt: 0,
      listening: false,
      report: NO_REPORT,
    }));
    this.listening = new Promise((resolve, reject) => {
      this.#announce = resolve;
      this.#abort = reject;
    });
    this.#sweeper = setInterval(() => this.bus.state.sweep(Date.now()), 1_000);
    this.#sweeper.unref();
    // Workers accept on the shared sockets themselves (see above); set before any fork.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({
      exec: WORKER_MAIN,
      args: process.argv.slice(2),
      stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'],
    });
    void this.#start();
  }

  /** Live workers (for tests and logs). */
  workers(): Worker[] {
    return [...this.#workers.values()];
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  async #start(): Promise<void> {
    const { host, tcpPort, httpPort, listenBacklog } = this.#config;
    try {
      // Checked here, before any fork: a port in use is one clear startup error, not N
      // workers failing; port 0 gets its real number, which every worker then listens on.
      this.#ports.tcpPort = await probePort(host, tcpPort, listenBacklog);
      this.#ports.httpPort = await probePort(host, httpPort, listenBacklog);
      const { ircPort, tlsPort } = this.#config;
      if (ircPort !== null) this.#ports.ircPort = await probePort(host, ircPort, listenBacklog);
      if (tlsPort !== null) this.#ports.tlsPort = await probePort(host, tlsPort, listenBacklog);
    } catch (err) {
      this.#abort(err as Error);
      return;
    }
    if (this.#shuttingDown) return;
    for (const slot of this.#slots) this.#fork(slot);
  }

  #fork(slot: Slot): void {
    const worker = cluster.fork({
      LOOPCHAT_WORKER_SLOT: String(slot.index),
      LOOPCHAT_PORTS: JSON.stringify(this.#ports),
      LOOPCHAT_HISTORY_EPOCH: this.bus.state.store.epoch,
      // libuv accepts from a shared queue until it is empty; with this set it yields after
      // each accept, so workers sharing a listening socket take turns more evenly.
      UV_TCP_SINGLE_ACCEPT: '1',
    });
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.listening = false;
    slot.report = NO_REPORT;
    const owner = String(worker.id);
    this.#workers.set(owner, worker);
    const data = worker.process.stdio[DATA_FD] as Socket;
    // A worker that dies mid-write leaves a broken pipe here: its exit handler cleans up.
    data.on('error', () => {});
    this.bus.addWorker(owner, data);
    worker.on('message', (message: unknown) => this.#onMessage(slot, worker, message));
    worker.once('exit', (code, signal) => this.#onExit(slot, worker, owner, code, signal));
  }

  #onMessage(slot: Slot, worker: Worker, message: unknown): void {
    if (!isLoopchatMessage(message)) return;
    const m = message as ToPrimary;
    switch (m.t) {
      case 'listening':
        return this.#onListening(slot, worker);
      case 'gather':
        return void this.#gatherFor(m.what).then((results) => {
          if (worker.isConnected()) worker.send({ t: 'gathered', rid: m.rid, results } satisfies ToWorker);
        });
      case 'collected': {
        const gather = this.#gathers.get(m.cid);
        if (gather === undefined) return;
        gather.results.push(m.data);
        if (--gather.waiting === 0) gather.finish();
        return;
      }
      case 'connections':
        slot.report = m;
        if (slot.listening) this.#rebalance(slot, worker);
        return;
    }
  }

  /** Counts `slot`'s last report in the balance (accept-balance.ts). */
  #rebalance(slot: Slot, worker: Worker): void {
    const { count, accepting, word } = slot.report;
    this.#hold(this.#balance.update(String(worker.id), count, accepting, word));
  }

  /** Tells each worker whose hold changed (accept-balance.ts). */
  #hold(changes: Map<string, boolean>): void {
    for (const [owner, hold] of changes) {
      const worker = this.#workers.get(owner);
      if (worker?.isConnected() === true)
        worker.send({ t: 'hold', hold, word: this.#balance.word(owner) } satisfies ToWorker);
    }
  }

  #onListening(slot: Slot, worker: Worker): void {
    slot.listening = true;
    this.#rebalance(slot, worker);
    if (this.#announced) {
      this.#log.info({ slot: slot.index, workerPid: worker.process.pid }, 'worker listening again');
      return;
    }
    if (!this.#slots.every((s) => s.listening)) return;
    this.#announced = true;
    const { host } = this.#config;
    const { tcpPort, httpPort, ircPort, tlsPort } = this.#ports;
    const web = this.#config.tlsCertFile === '' ? 'http+ws' : 'https+wss';
    this.#log.info(
      {
        tcp: { host, port: tcpPort },
        http: { host, port: httpPort, ws: '/ws', tls: web === 'https+wss' },
        ...(ircPort === undefined ? {} : { irc: { host, port: ircPort } }),
        ...(tlsPort === undefined ? {} : { tls: { host, port: tlsPort } }),
        workers: this.#slots.length,
      },
      `loopchat listening: tcp ${host}:${tcpPort}, ${web} ${host}:${httpPort}` +
        (ircPort === undefined ? '' : `, irc ${host}:${ircPort}`) +
        (tlsPort === undefined ? '' : `, tls ${host}:${tlsPort}`) +
        `, ${this.#slots.length} workers`,
    );
    this.#announce({ ...this.#ports });
  }

  /** A worker's gather: every worker's share, plus the primary's own entry for stats and metrics. */
  async #gatherFor(what: GatherKind): Promise<unknown[]> {
    if (what === 'backup') return [await this.#backup()];
    const results = await this.#gather(what);
    if (what === 'metrics') results.push(await this.#report.metrics());
    else if (what === 'stats') results.push({ primary: this.#report.stats(this.#slots.length, results.length) });
    return results;
  }

  /** An online copy of the history store (POST /admin/backup on any worker). */
  async #backup(): Promise<{ file: string } | { error: string }> {
    const store = this.bus.state.store;
    if (store.backup === undefined) return { error: 'no_store_here' };
    try {
      const file = await store.backup();
      this.#log.info({ action: 'backup', file }, 'admin: history backup written');
      return { file };
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'admin: history backup failed');
      return { error: (err as Error).message };
    }
  }

  /** Asks every live worker for its stats, metrics or an admin command; waits at most GATHER_TIMEOUT_MS. */
  #gather(what: GatherKind): Promise<unknown[]> {
    // Only workers that said they listen: a worker still starting has no handler yet.
    const live = this.#slots.filter((s) => s.listening && s.worker?.isConnected()).map((s) => s.worker!);
    if (live.length === 0) return Promise.resolve([]);
    const cid = this.#nextCid++;
    return new Promise((resolve) => {
      const gather: Gather = { results: [], waiting: live.length, finish: () => {} };
      const timer = setTimeout(() => gather.finish(), GATHER_TIMEOUT_MS);
      gather.finish = () => {
        clearTimeout(timer);
        this.#gathers.delete(cid);
        resolve(gather.results.filter((r) => r !== null));
      };
      this.#gathers.set(cid, gather);
      for (const worker of live) worker.send({ t: 'collect', cid, what } satisfies ToWorker);
    });
  }

  #onExit(slot: Slot, worker: Worker, owner: string, code: number | null, signal: string | null): void {
    this.#workers.delete(owner);
    slot.listening = false;
    this.#hold(this.#balance.remove(owner));
    const dropped = this.bus.removeWorker(owner);
    if (this.#shuttingDown) return;
    const fields = {
      slot: slot.index,
      workerPid: worker.process.pid,
      workerId: worker.id,
      code,
      signal,
      nicksDropped: dropped,
    };
    if (!this.#announced) {
      // Dying before the cluster ever listened is a startup error (bad port, bad term
      // file…), not a crash to retry forever: fail the start so the exit code says so.
      this.#log.error(fields, 'worker failed to start; stopping the cluster');
      void this.close().then(() =>
        this.#abort(new Error(`worker ${slot.index} exited with code ${code ?? signal} before listening`)),
      );
      return;
    }
    if (Date.now() - slot.startedAt > STABLE_AFTER_MS) slot.backoffMs = RESTART_BACKOFF_MIN_MS;
    this.#log.warn({ ...fields, restartInMs: slot.backoffMs }, 'worker died; restarting');
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(RESTART_BACKOFF_MAX_MS, slot.backoffMs * 2);
    const timer = setTimeout(() => {
      this.#restarts.delete(timer);
      if (!this.#shuttingDown) this.#fork(slot);
    }, delay);
    this.#restarts.add(timer);
  }

  async #close(): Promise<void> {
    this.#shuttingDown = true;
    clearInterval(this.#sweeper);
    this.#report.close();
    for (const timer of this.#restarts) clearTimeout(timer);
    this.#restarts.clear();
    const live = [...this.#workers.values()];
    const exited = Promise.all(
      live.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve())))),
    );
    for (const worker of live) worker.process.kill('SIGTERM');
    const deadline = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), this.#config.shutdownTimeoutMs + 2_000).unref(),
    );
    if ((await Promise.race([exited, deadline])) === 'timeout') {
      for (const worker of live) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }
    this.bus.close();
    this.#log.info('loopchat cluster stopped');
  }
}

/** Binds `port` once to see that it is free (and which port 0 means), then lets it go. */
async function probePort(host: string, port: number, backlog: number): Promise<number> {
  const server = createServer();
  server.listen({ host, port, backlog });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))]);
  const bound = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return bound;
}

export function startPrimary(config: Readonly<Config>, log: Logger): ClusterPrimary {
  growPrimaryHeap();
  return new ClusterPrimary(config, log);
}
