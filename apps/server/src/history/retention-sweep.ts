/**
 * Retention in the background: every second, steps of the store's sweep (each deleting at
 * most a few hundred rows in its own short transaction) until it has nothing left to do,
 * one step per event-loop turn (setImmediate between them), so a store with a million rows
 * to drop costs many short turns, never one long one.
 */
import type { HistoryStore } from './history-store.js';

const INTERVAL_MS = 1_000;
/** Steps per interval at most: bounds the sweep's share of a busy server's turns. */
const MAX_STEPS = 200;

export class RetentionSweep {
  readonly #store: HistoryStore;
  readonly #timer: NodeJS.Timeout;
  #running = false;
  #stopped = false;

  constructor(store: HistoryStore) {
    this.#store = store;
    this.#timer = setInterval(() => this.#run(MAX_STEPS), INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  #run(steps: number): void {
    if (this.#stopped || (this.#running && steps === MAX_STEPS)) return;
    this.#running = true;
    const more = this.#store.sweep(Date.now());
    if (more && steps > 1 && !this.#stopped) setImmediate(() => this.#run(steps - 1));
    else this.#running = false;
  }
}
