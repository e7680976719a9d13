/**
 * The cluster's listening ports, held by the primary: each accepted connection goes to the
 * worker with the fewest open connections (least connections), passed as a handle over IPC.
 *
 * Why not node:cluster's own round robin: it hands the next pending connection to the
 * first worker that acknowledged its last one, so during a connect burst the quicker worker
 * takes more (893 vs 1,107 of 2,000 in the scaling bench). Chat connections live for hours;
 * that skew never evens out, and the busier worker saturates first (the cluster then
 * sustains what the busiest worker can, not what all can). Counting open connections also
 * rebalances after disconnects: new clients go to the worker that lost its own.
 *
 *   client ─▶ primary: accept (paused) ─▶ pick min(open) ─▶ worker.send({t:'conn'}, socket)
 *   worker: emits 'connection' on its TCP or HTTP server; reports closes back ({t:'closed'})
 *
 * Until a worker is ready (and while every worker is down), accepted connections wait in a
 * bounded queue; past it they are closed, which a client sees as a failed connect.
 */
import type { Worker } from 'node:cluster';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ListenerKind, ToWorker } from './ipc-protocol.js';

/** Connections accepted while no worker is ready, kept for the first one that is. */
const MAX_WAITING = 1024;

interface Entry {
  readonly worker: Worker;
  /** Handed to the worker and not reported closed yet. */
  open: number;
}

export class ConnectionDistributor {
  readonly #log: Logger;
  readonly #ready = new Map<number, Entry>();
  readonly #servers: Server[] = [];
  #waiting: { kind: ListenerKind; socket: Socket }[] = [];

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Binds one listener (port 0 picks a free one) and resolves with its port. */
  async listen(kind: ListenerKind, host: string, port: number, backlog: number): Promise<number> {
    const server = createServer({ pauseOnConnect: true }, (socket) => this.#assign(kind, socket));
    server.listen({ host, port, backlog });
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))]);
    this.#servers.push(server);
    return (server.address() as { port: number }).port;
  }

  /** A worker listens for handed connections: it takes its share from now on. */
  addWorker(worker: Worker): void {
    this.#ready.set(worker.id, { worker, open: 0 });
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const { kind, socket } of waiting) if (!socket.destroyed) this.#assign(kind, socket);
  }

  /** A worker died or is stopping: it gets nothing more (its sockets died with it). */
  removeWorker(workerId: number): void {
    this.#ready.delete(workerId);
  }

  /** The worker reports `count` of its handed connections closed. */
  closed(workerId: number, count: number): void {
    const entry = this.#ready.get(workerId);
    if (entry !== undefined) entry.open = Math.max(0, entry.open - count);
  }

  /** Open connections per ready worker, by worker id (for logs and tests). */
  openCounts(): Map<number, number> {
    return new Map([...this.#ready].map(([id, entry]) => [id, entry.open]));
  }

  /** Stops accepting; connections still waiting for a worker are closed. */
  close(): void {
    for (const server of this.#servers) server.close();
    for (const { socket } of this.#waiting) socket.destroy();
    this.#waiting = [];
  }

  #assign(kind: ListenerKind, socket: Socket): void {
    // A client may reset before its handle is passed on: never an unhandled 'error' here.
    if (socket.listenerCount('error') === 0) socket.on('error', ignore);
    let best: Entry | undefined;
    for (const entry of this.#ready.values()) {
      if (entry.worker.isConnected() && (best === undefined || entry.open < best.open)) best = entry;
    }
    if (best === undefined) return this.#wait(kind, socket);
    const chosen = best;
    chosen.open++;
    chosen.worker.send({ t: 'conn', kind } satisfies ToWorker, socket, (err: Error | null) => {
      if (err === null) return;
      // The worker went away between the check and the send: try another (or wait).
      chosen.open--;
      this.#ready.delete(chosen.worker.id);
      if (!socket.destroyed) this.#assign(kind, socket);
    });
  }

  #wait(kind: ListenerKind, socket: Socket): void {
    if (this.#waiting.length >= MAX_WAITING) {
      this.#log.warn(
        { waiting: this.#waiting.length },
        'no worker ready and the accept queue is full; closing a connection',
      );
      socket.destroy();
      return;
    }
    this.#waiting.push({ kind, socket });
  }
}

function ignore(): void {}
