/**
 * SQLite's WAL checkpoint, off the event loop: a worker thread with a connection of its own
 * (wal-checkpointer-thread.ts) copies the WAL into the database file when asked.
 *
 * Why: a checkpoint syncs the WAL and then the file, and on the one process that serves
 * clients and folds (the SqliteStore's owner) SQLite's automatic one, every ~16 MB of WAL,
 * held the loop for 80–105 ms on this host (a 5 ms timer's lateness; 27–62 ms per fsync under
 * strace). 200 connections in 50 rooms at 4k msgs/s for 30 s: 4–5 stalls over 15 ms (max 96–104
 * ms) on the loop, and the `scale` command's 50 ms p99 probe failed whenever one landed in it
 * (one process sustained 3,750–14,000 msgs/s; with memory history 22,000). The cluster's
 * keeper, a process of its own, checkpoints for its primary; this is the same for one process,
 * at the cost of a thread rather than a process.
 *
 * The owner asks at most one checkpoint at a time (request() says whether it took this one),
 * and hears `checkpointed(complete)`: complete when all the WAL held as it began, every fold
 * committed before the request included, is durable in the file.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';

export type ToCheckpointer = { t: 'checkpoint' } | { t: 'close' };
export type FromCheckpointer = { t: 'checkpointed'; complete: boolean } | { t: 'failed'; error: string };

export interface CheckpointerEvents {
  /** The checkpoint request() started has ended. */
  checkpointed(complete: boolean): void;
  /** The thread cannot checkpoint (it could not open the file, or it stopped): the owner must. */
  failed(reason: string): void;
}

/**
 * One `wal_checkpoint(PASSIVE)` on `db` (the thread's, or a keeper's own); true when it left no
 * frame behind. Only then is every transaction committed before the call durable: SQLite syncs
 * the WAL before it copies frames and the file after, and a checkpoint that finds nothing it may
 * copy (a reader's older snapshot, another checkpoint under way) syncs nothing.
 */
export function checkpointWal(db: Database.Database): boolean {
  const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
  return r !== undefined && r.busy === 0 && r.checkpointed === r.log;
}

/** The compiled thread: beside this file in dist/, or in dist/ when this runs from src/ (vitest). */
const THREAD_MAIN = fileURLToPath(
  import.meta.url.endsWith('.ts')
    ? new URL('../../dist/history/wal-checkpointer-thread.js', import.meta.url)
    : new URL('./wal-checkpointer-thread.js', import.meta.url),
);
/** How long close() waits for the thread to close its connection (it may be mid-checkpoint). */
const CLOSE_WAIT_MS = 5_000;

export class WalCheckpointer {
  readonly #worker: Worker;
  /** Set to 1 by the thread once its connection is closed (close() waits on it). */
  readonly #closed = new Int32Array(new SharedArrayBuffer(4));
  readonly #events: CheckpointerEvents;
  #inFlight = false;
  #stopped = false;

  /** Starts the thread on `path` (an open WAL-mode file); throws if no thread can start. */
  constructor(path: string, events: CheckpointerEvents) {
    this.#events = events;
    this.#worker = new Worker(THREAD_MAIN, {
      workerData: { path, closed: this.#closed },
      // A connection and a pragma: a small heap is plenty (the default sizes it like the server's).
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    this.#worker.unref(); // a store left open does not keep the process alive
    this.#worker.on('message', (m: FromCheckpointer) => {
      if (this.#stopped) return;
      if (m.t === 'failed') this.#fail(`the WAL checkpointer cannot open the file: ${m.error}`);
      else {
        this.#inFlight = false;
        this.#events.checkpointed(m.complete);
      }
    });
    this.#worker.on('error', (err) => this.#fail(`the WAL checkpointer failed: ${err.message}`));
    this.#worker.on('exit', (code) => this.#fail(`the WAL checkpointer stopped (exit code ${code})`));
  }

  /** Starts a checkpoint unless one is under way (or the thread is gone); says whether it did. */
  request(): boolean {
    if (this.#inFlight || this.#stopped) return false;
    this.#inFlight = true;
    this.#worker.postMessage({ t: 'checkpoint' } satisfies ToCheckpointer);
    return true;
  }

  /**
   * Closes the thread's connection before returning, so that the owner's close is the last
   * one (it checkpoints and removes the WAL); no event is heard after this.
   */
  close(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#worker.postMessage({ t: 'close' } satisfies ToCheckpointer);
    Atomics.wait(this.#closed, 0, 0, CLOSE_WAIT_MS);
    void this.#worker.terminate();
  }

  #fail(reason: string): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#inFlight = false;
    void this.#worker.terminate();
    this.#events.failed(reason);
  }
}
