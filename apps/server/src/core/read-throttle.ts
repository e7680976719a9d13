/**
 * Read-side backpressure: how much client input one event-loop turn may handle.
 *
 * libuv hands a readable socket up to 32 reads of 64 KiB in one go, and every ready socket
 * in the same poll phase; an overloaded process used to swallow all of it in one turn. At
 * 2× overload the bench saw a single turn run for seconds: timers (heartbeats), /healthz and
 * /metrics waited behind it, which is exactly when operators need them.
 *
 * Here a turn spends at most `budgetMs` on input. Past it, a connection's next chunk is
 * held (one chunk: the socket is paused at once, so the kernel's receive window fills and
 * TCP pushes back on the sender) and the connection queues. The queue drains first thing in
 * later turns, FIFO and within the same budget, so every connection keeps its place and its
 * order, timers and HTTP run between turns, and memory stays bounded by one chunk per
 * waiting connection. Under the budget nothing is held and nothing is deferred.
 *
 *   poll phase: onData ─▶ shouldDefer()? ─ no ─▶ handle now
 *                              └ yes ─▶ hold chunk, pause socket, defer(session)
 *   check phase: drain() ─▶ resumeReading() for waiting sessions while within budget
 */
import { performance } from 'node:perf_hooks';

/** A connection whose input can wait: it handles what it held, then reads again. */
export interface ReadWaiter {
  resumeReading(): void;
}

/** Input time per turn before connections are made to wait (ms). */
export const READ_BUDGET_MS = 10;

export class ReadThrottle {
  readonly #budgetMs: number;
  readonly #now: () => number;
  /** When the current turn began handling input; -1: no input handled this turn yet. */
  #turnStart = -1;
  #waiting: ReadWaiter[] = [];
  #head = 0;
  #scheduled = false;

  constructor(budgetMs = READ_BUDGET_MS, now: () => number = () => performance.now()) {
    this.#budgetMs = budgetMs;
    this.#now = now;
  }

  /** Connections waiting to read again (for /stats). */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /**
   * Asked before handling a chunk: true when this turn's budget is spent, or when others
   * already wait (a newcomer must not overtake them). The caller then holds and defers.
   */
  shouldDefer(): boolean {
    if (this.#waiting.length > this.#head) return true;
    const now = this.#now();
    if (this.#turnStart < 0) {
      this.#turnStart = now;
      this.#schedule();
    }
    return now - this.#turnStart >= this.#budgetMs;
  }

  /** Queues a connection that holds input and paused its reads. */
  defer(waiter: ReadWaiter): void {
    this.#waiting.push(waiter);
    this.#schedule();
  }

  /** Check phase: a new turn's budget for those waiting; the rest wait for the next turn. */
  drain(): void {
    this.#scheduled = false;
    const start = this.#now();
    this.#turnStart = start;
    while (this.#head < this.#waiting.length && this.#now() - start < this.#budgetMs) {
      const waiter = this.#waiting[this.#head]!;
      this.#waiting[this.#head++] = undefined as unknown as ReadWaiter;
      waiter.resumeReading();
    }
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
      // The next turn's poll phase starts a fresh budget.
      this.#turnStart = -1;
    } else {
      if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
        this.#waiting = this.#waiting.slice(this.#head);
        this.#head = 0;
      }
      // Still behind: the next turn drains before anything new is read (shouldDefer says
      // yes while anyone waits), with timers and other I/O run in between.
      this.#schedule();
    }
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(drainThrottle, this);
  }
}

function drainThrottle(throttle: ReadThrottle): void {
  throttle.drain();
}
