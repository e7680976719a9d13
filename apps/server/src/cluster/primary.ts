/**
 * The cluster primary: forks one worker per core, holds no chat sockets, and runs the one
 * ChatState every worker asks (room seqs, history, nicks, member lists). It relays each
 * sequenced event to the workers with members in the room, restarts a worker that dies
 * (with backoff), and shuts the whole cluster down on SIGTERM / SIGINT.
 *
 *   worker 1 ─┐ batch of requests             ┌─▶ worker 1  events + answers (batched)
 *   worker 2 ─┼──────────────▶ primary ───────┼─▶ worker 2
 *   worker N ─┘               ChatState       └─▶ worker N
 *
 * A worker that dies loses only its sockets: history lives here, so its clients reconnect
 * (to a sibling) and recover with `history {since}`. No acknowledged message is lost,
 * because a message is acknowledged only after the primary sequenced and stored it.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { ChatState, type BusEvent } from '../bus/chat-state.js';
import type { Config } from '../config.js';
import { ConnectionDistributor } from './connection-distributor.js';
import { loopDelayMs } from '../http/loop-delay.js';
import { loopDelayGauge } from '../http/metrics.js';
import type { GatherKind, PrimaryItem, ToPrimary, ToWorker, WorkerRequest } from './ipc-protocol.js';
import { isLoopchatMessage } from './ipc-protocol.js';

const RESTART_BACKOFF_MIN_MS = 100;
const RESTART_BACKOFF_MAX_MS = 10_000;
/** A worker that ran this long without dying resets its slot's backoff. */
const STABLE_AFTER_MS = 30_000;
const GATHER_TIMEOUT_MS = 2_000;

interface Slot {
  index: number;
  worker: Worker | undefined;
  backoffMs: number;
  startedAt: number;
  listening: boolean;
}

export interface ClusterPrimary {
  /** Resolves once every worker listens, with the shared ports. */
  readonly listening: Promise<{ tcpPort: number; httpPort: number }>;
  close(): Promise<void>;
  /** Live workers (for tests and logs). */
  workers(): Worker[];
}

/** The worker entry: this build's main.js (tests and npm start both run the built CLI). */
const WORKER_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export function startPrimary(config: Readonly<Config>, log: Logger): ClusterPrimary {
  const outboxes = new Map<string, PrimaryItem[]>();
  const workersById = new Map<string, Worker>();
  const state = new ChatState(config, route);
  const slots: Slot[] = Array.from({ length: config.workers }, (_, index) => ({
    index,
    worker: undefined,
    backoffMs: RESTART_BACKOFF_MIN_MS,
    startedAt: 0,
    listening: false,
  }));
  const gathers = new Map<number, { results: unknown[]; waiting: number; done: () => void }>();
  let nextCid = 1;
  /** The publish being sequenced right now, until its event for the sender's worker carries the answer. */
  let unansweredPub: { owner: string; rid: number } | undefined;
  let shuttingDown = false;
  let announced = false;
  const ports = { tcpPort: config.tcpPort, httpPort: config.httpPort };
  const distributor = new ConnectionDistributor(log);
  let announce: (p: { tcpPort: number; httpPort: number }) => void = () => {};
  let abort: (err: Error) => void = () => {};
  const listening = new Promise<{ tcpPort: number; httpPort: number }>((resolve, reject) => {
    announce = resolve;
    abort = reject;
  });
  /** Pending restarts: ref'd, so a primary whose workers all died stays up to restart them. */
  const restarts = new Set<NodeJS.Timeout>();
  const primaryMetrics = new Registry();
  loopDelayGauge(
    primaryMetrics,
    'loopchat_primary_event_loop_delay_seconds',
    "The cluster primary's event-loop delay over the last 5 s window, by quantile",
  );
  new Gauge({
    name: 'loopchat_primary_resident_memory_bytes',
    help: "The cluster primary's resident set size",
    registers: [primaryMetrics],
    collect() {
      this.set(process.memoryUsage().rss);
    },
  });
  new Gauge({
    name: 'loopchat_rooms',
    help: 'Rooms that exist in the cluster (with members or retained history)',
    registers: [primaryMetrics],
    collect() {
      this.set(state.roomCount);
    },
  });
  const sweeper = setInterval(() => state.sweep(Date.now()), 1_000);
  sweeper.unref();

  cluster.setupPrimary({ exec: WORKER_MAIN, args: process.argv.slice(2) });
  // The ports are bound here, before any fork (port 0 gets its real number for the workers).
  void (async () => {
    ports.tcpPort = await distributor.listen('tcp', config.host, config.tcpPort, config.listenBacklog);
    ports.httpPort = await distributor.listen('http', config.host, config.httpPort, config.listenBacklog);
    if (shuttingDown) return;
    for (const slot of slots) fork(slot);
  })().catch((err: unknown) => {
    distributor.close();
    abort(err as Error);
  });

  function fork(slot: Slot): void {
    const worker = cluster.fork({ LOOPCHAT_WORKER_SLOT: String(slot.index), LOOPCHAT_PORTS: JSON.stringify(ports) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.listening = false;
    const owner = String(worker.id);
    workersById.set(owner, worker);
    worker.on('message', (message: unknown) => onMessage(slot, owner, message));
    worker.once('exit', (code, signal) => onExit(slot, worker, owner, code, signal));
    // The IPC channel closes as the process dies, often before 'exit': no new connection
    // may be handed to a worker that can no longer take it.
    worker.once('disconnect', () => distributor.removeWorker(worker.id));
  }

  function onMessage(slot: Slot, owner: string, message: unknown): void {
    if (!isLoopchatMessage(message)) return;
    const m = message as ToPrimary;
    if (m.t === 'batch') {
      for (const request of m.reqs) handle(owner, request);
    } else if (m.t === 'closed') {
      if (slot.worker !== undefined) distributor.closed(slot.worker.id, m.count);
    } else if (m.t === 'listening') {
      slot.listening = true;
      if (slot.worker !== undefined) distributor.addWorker(slot.worker);
      if (announced) log.info({ slot: slot.index, workerPid: slot.worker?.process.pid }, 'worker listening again');
      if (!announced && slots.every((s) => s.listening)) {
        announced = true;
        log.info(
          {
            tcp: { host: config.host, port: ports.tcpPort },
            http: { host: config.host, port: ports.httpPort, ws: '/ws' },
            workers: slots.length,
          },
          `loopchat listening: tcp ${config.host}:${ports.tcpPort}, http+ws ${config.host}:${ports.httpPort}, ${slots.length} workers`,
        );
        announce(ports);
      }
    } else if (m.t === 'collected') {
      const gather = gathers.get(m.cid);
      if (gather === undefined) return;
      gather.results.push(m.data);
      if (--gather.waiting === 0) gather.done();
    }
  }

  function handle(owner: string, r: WorkerRequest): void {
    switch (r.op) {
      case 'claim':
        return reply(owner, r.rid, state.claimNick(r.nick, owner));
      case 'release':
        return state.release(r.nick, r.rooms, owner);
      case 'join': {
        const seq = state.join(r.room, r.nick, owner);
        return seq === 'too_many_rooms' ? fail(owner, r.rid, 'too_many_rooms') : reply(owner, r.rid, seq);
      }
      case 'leave':
        return state.leave(r.room, r.nick);
      case 'pub': {
        // route() attaches the rid to the event for the sender's worker (it has the sender
        // as a member); only if it had no member left does the answer travel on its own.
        unansweredPub = { owner, rid: r.rid };
        const msg = state.publish(r.room, r.from, r.text, r.id);
        const stillUnanswered = unansweredPub !== undefined;
        unansweredPub = undefined;
        if (msg === undefined) return fail(owner, r.rid, 'no_room');
        if (stillUnanswered) reply(owner, r.rid, msg);
        return;
      }
      case 'dm':
        return reply(owner, r.rid, state.dm(r.from, r.to, r.text, r.id) ?? null);
      case 'history':
        return reply(owner, r.rid, state.history(r.room, r.since, r.limit));
      case 'members':
        return reply(owner, r.rid, state.members(r.room));
      case 'rooms':
        return reply(owner, r.rid, state.rooms(r.limit));
      case 'gather':
        return void gather(r.what).then(async (results) => {
          if (r.what === 'metrics') results.push(await primaryMetrics.getMetricsAsJSON());
          else if (r.what === 'stats') results.push({ primary: primaryStats(results.length) });
          reply(owner, r.rid, results);
        });
    }
  }

  /**
   * The primary's own line in /stats: its event loop sequences every message of the
   * cluster, so its delay belongs beside the workers'; `answered` < `workers` says that a
   * worker was starting, restarting or too slow to answer within GATHER_TIMEOUT_MS.
   */
  function primaryStats(answered: number) {
    return {
      rooms: state.roomCount,
      workers: slots.length,
      answered,
      rssBytes: process.memoryUsage().rss,
      eventLoopDelayMs: loopDelayMs(),
    };
  }

  /** Asks every live worker for its stats or metrics; waits at most GATHER_TIMEOUT_MS. */
  function gather(what: GatherKind): Promise<unknown[]> {
    // Only workers that said they listen: a worker still starting has no handler yet.
    const live = slots.filter((s) => s.listening && s.worker?.isConnected()).map((s) => s.worker!);
    if (live.length === 0) return Promise.resolve([]);
    const cid = nextCid++;
    return new Promise((resolve) => {
      const entry = { results: [] as unknown[], waiting: live.length, done: () => finish() };
      const timer = setTimeout(() => finish(), GATHER_TIMEOUT_MS);
      const finish = (): void => {
        clearTimeout(timer);
        gathers.delete(cid);
        resolve(entry.results.filter((r) => r !== null));
      };
      gathers.set(cid, entry);
      for (const worker of live) worker.send({ t: 'collect', cid, what } satisfies ToWorker);
    });
  }

  function route(owner: string, event: BusEvent): void {
    if (unansweredPub?.owner === owner && event.t === 'msg') {
      push(owner, { ev: event, rid: unansweredPub.rid });
      unansweredPub = undefined;
    } else {
      push(owner, { ev: event });
    }
  }

  function reply(owner: string, rid: number, ok: unknown): void {
    push(owner, { rid, ok });
  }

  function fail(owner: string, rid: number, err: 'too_many_rooms' | 'no_room'): void {
    push(owner, { rid, err });
  }

  function push(owner: string, item: PrimaryItem): void {
    let outbox = outboxes.get(owner);
    if (outbox === undefined) {
      outbox = [];
      outboxes.set(owner, outbox);
      if (outboxes.size === 1) setImmediate(flushAll);
    }
    outbox.push(item);
  }

  /** One process.send per worker per turn, whatever the number of events. */
  function flushAll(): void {
    for (const [owner, items] of outboxes) {
      const worker = workersById.get(owner);
      if (worker?.isConnected()) worker.send({ t: 'batch', items } satisfies ToWorker);
    }
    outboxes.clear();
  }

  function onExit(slot: Slot, worker: Worker, owner: string, code: number | null, signal: string | null): void {
    workersById.delete(owner);
    outboxes.delete(owner);
    distributor.removeWorker(worker.id);
    slot.listening = false;
    const dropped = state.dropOwner(owner);
    if (shuttingDown) return;
    const fields = {
      slot: slot.index,
      workerPid: worker.process.pid,
      workerId: worker.id,
      code,
      signal,
      nicksDropped: dropped,
    };
    if (!announced) {
      // Dying before the cluster ever listened is a startup error (bad port, bad term
      // file…), not a crash to retry forever: fail the start so the exit code says so.
      log.error(fields, 'worker failed to start; stopping the cluster');
      void close().then(() => abort(new Error(`worker ${slot.index} exited with code ${code ?? signal} before listening`)));
      return;
    }
    const ranFor = Date.now() - slot.startedAt;
    if (ranFor > STABLE_AFTER_MS) slot.backoffMs = RESTART_BACKOFF_MIN_MS;
    log.warn({ ...fields, restartInMs: slot.backoffMs }, 'worker died; restarting');
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(RESTART_BACKOFF_MAX_MS, slot.backoffMs * 2);
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!shuttingDown) fork(slot);
    }, delay);
    restarts.add(timer);
  }

  async function close(): Promise<void> {
    shuttingDown = true;
    distributor.close();
    clearInterval(sweeper);
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    const live = [...workersById.values()];
    const exited = Promise.all(
      live.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve())))),
    );
    for (const worker of live) worker.process.kill('SIGTERM');
    const deadline = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs + 2_000).unref(),
    );
    if ((await Promise.race([exited, deadline])) === 'timeout') {
      for (const worker of live) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }
    log.info('loopchat cluster stopped');
  }

  return { listening, close, workers: () => [...workersById.values()] };
}
