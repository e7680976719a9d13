/**
 * Lets a cluster worker step back from its shared listening sockets when it is full.
 *
 * Cluster workers accept on the same sockets (SCHED_NONE): whichever worker's event loop
 * reaches the accept queue first takes the connection, so the spread is uneven — measured
 * with 6 workers and 100k connections, one worker reached 20,000 while another held 9,839.
 * A worker at its ceiling that kept accepting would either refuse connections its siblings
 * could take or run out of file descriptors. So at the ceiling it closes its copy of the
 * listening sockets (the queue stays open in its siblings and the primary) and listens
 * again once `slack` connections have left: the hysteresis keeps it from flapping.
 */
import type { Server } from 'node:net';

export interface GatedListener {
  readonly server: Server;
  readonly port: number;
}

export class AcceptGate {
  readonly #listeners: readonly GatedListener[];
  readonly #host: string;
  readonly #backlog: number;
  readonly #ceiling: number;
  readonly #resumeAt: number;
  readonly #onListenError: (err: Error) => void;
  #paused = false;
  #closed = false;

  constructor(options: {
    listeners: readonly GatedListener[];
    host: string;
    backlog: number;
    ceiling: number;
    slack?: number;
    /** A listener that could not listen again (its port was taken while every worker was full). */
    onListenError?: (err: Error) => void;
  }) {
    this.#listeners = options.listeners;
    this.#host = options.host;
    this.#backlog = options.backlog;
    this.#ceiling = options.ceiling;
    const slack = options.slack ?? Math.max(1, Math.min(500, Math.floor(options.ceiling / 20)));
    this.#resumeAt = Math.max(0, options.ceiling - slack);
    this.#onListenError = options.onListenError ?? (() => {});
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Called with the process's connection count whenever it changes. */
  update(connections: number): void {
    if (this.#closed) return;
    if (!this.#paused && connections >= this.#ceiling) this.#pause();
    else if (this.#paused && connections <= this.#resumeAt) this.#resume();
  }

  /** Shutdown: never listen again. */
  close(): void {
    this.#closed = true;
  }

  #pause(): void {
    this.#paused = true;
    // close() stops accepting at once; connections already accepted are not touched.
    for (const { server } of this.#listeners) server.close();
  }

  #resume(): void {
    this.#paused = false;
    for (const { server, port } of this.#listeners) {
      if (server.listening) continue;
      const onError = (err: Error): void => {
        // Not listening after all: the next change in the count tries again.
        this.#paused = true;
        this.#onListenError(err);
      };
      server.once('error', onError);
      server.listen({ port, host: this.#host, backlog: this.#backlog }, () => server.removeListener('error', onError));
    }
  }
}
