/**
 * Lets a cluster worker step back from its shared listening sockets when it is full.
 *
 * Cluster workers accept on the same sockets (SCHED_NONE): whichever worker's event loop
 * reaches the accept queue first takes the connection, so the spread is uneven — measured
 * with 6 workers and 100k connections, one worker reached 20,000 while another held 9,839.
 * A worker at its ceiling that kept accepting would either refuse connections its siblings
 * could take or run out of file descriptors. So at the ceiling it closes its copy of the
 * listening sockets (the queue stays open in its siblings and the primary) and listens
 * again once `slack` connections have left: the hysteresis keeps it from flapping. The primary
 * may also hold a worker back to keep the spread even (cluster/accept-balance.ts): it listens
 * only while neither says stop.
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
  readonly #onAccepting: (accepting: boolean) => void;
  #paused = false;
  #closed = false;
  /** At or past the ceiling (until `slack` connections have left). */
  #full = false;
  /** Held back by the primary (cluster/accept-balance.ts). */
  #held = false;

  constructor(options: {
    listeners: readonly GatedListener[];
    host: string;
    backlog: number;
    ceiling: number;
    slack?: number;
    /** A listener that could not listen again (its port was taken while every worker was full). */
    onListenError?: (err: Error) => void;
    /** The listeners stopped accepting (false), or all listen again (true, once they do). */
    onAccepting?: (accepting: boolean) => void;
  }) {
    this.#listeners = options.listeners;
    this.#host = options.host;
    this.#backlog = options.backlog;
    this.#ceiling = options.ceiling;
    const slack = options.slack ?? Math.max(1, Math.min(500, Math.floor(options.ceiling / 20)));
    this.#resumeAt = Math.max(0, options.ceiling - slack);
    this.#onListenError = options.onListenError ?? (() => {});
    this.#onAccepting = options.onAccepting ?? (() => {});
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Called with the process's connection count whenever it changes. */
  update(connections: number): void {
    if (!this.#full && connections >= this.#ceiling) this.#full = true;
    else if (this.#full && connections <= this.#resumeAt) this.#full = false;
    this.#apply();
  }

  /** The primary's word: stop accepting (true) so siblings take new connections, or accept again. */
  hold(held: boolean): void {
    this.#held = held;
    this.#apply();
  }

  #apply(): void {
    if (this.#closed) return;
    const stop = this.#full || this.#held;
    if (!this.#paused && stop) this.#pause();
    else if (this.#paused && !stop) this.#resume();
  }

  /** Shutdown: never listen again. */
  close(): void {
    this.#closed = true;
  }

  #pause(): void {
    this.#paused = true;
    // close() stops accepting at once; connections already accepted are not touched.
    for (const { server } of this.#listeners) server.close();
    this.#onAccepting(false);
  }

  #resume(): void {
    this.#paused = false;
    let waiting = 0;
    const listened = (): void => {
      if (--waiting === 0 && !this.#paused) this.#onAccepting(true);
    };
    for (const { server, port } of this.#listeners) {
      if (server.listening) continue;
      waiting++;
      const onError = (err: Error): void => {
        // Not listening after all: the next change in the count tries again.
        this.#paused = true;
        this.#onListenError(err);
      };
      server.once('error', onError);
      server.listen({ port, host: this.#host, backlog: this.#backlog }, () => {
        server.removeListener('error', onError);
        listened();
      });
    }
    if (waiting === 0) this.#onAccepting(true);
  }
}
