/**
 * Coalesces writes: a session with queued output is flushed once per event-loop turn,
 * after every socket read of that turn has been handled (setImmediate runs in the check
 * phase, right after the poll phase's I/O callbacks). All frames queued for one socket in
 * one turn leave in a single write; under load that is many messages per syscall, which
 * is why the cost per delivery falls as load rises instead of staying flat.
 *
 * A turn writes for at most WRITE_BUDGET_MS; sessions left over are written first thing in
 * the next turn (their order kept), after timers and I/O had their chance. A message into a
 * room of 10,000 is 10,000 writes (~100 ms of syscalls here): without the budget that was
 * one 100 ms stall for heartbeats and /healthz, with it ten 10 ms turns.
 *
 * With a write delay (`--write-delay-ms`, default 0) a session's first queued frame waits up
 * to that long before the flush, so the frames that arrive meanwhile share its write. Each
 * write syscall costs ~2 µs on loopback here, and in a room of 20 where a member receives ~50
 * messages/s no two ever share a turn: one syscall per delivery is the floor without a delay.
 * A delay trades latency for CPU, the way Centrifugo's `client_channel_write_delay` does; the
 * peers section of BENCHMARKS.md measures both sides of the trade.
 */
import { performance } from 'node:perf_hooks';

export interface Flushable {
  flush(): void;
}

/** Socket writes per turn before the rest waits for the next turn (ms). */
export const WRITE_BUDGET_MS = 10;
/** Sessions flushed between two looks at the clock. */
const CLOCK_EVERY = 64;

export class FlushScheduler {
  readonly #delayMs: number;
  #dirty: Flushable[] = [];
  #scheduled = false;

  /** `delayMs` 0 = flush at the end of the turn; > 0 = at most that long after the first mark. */
  constructor(delayMs = 0) {
    this.#delayMs = delayMs;
  }

  /** Called by a session when its queue goes from empty to non-empty (so once per turn). */
  mark(session: Flushable): void {
    this.#dirty.push(session);
    this.#schedule(this.#delayMs);
  }

  /** Flushes everything now (shutdown, tests). */
  flushNow(): void {
    const dirty = this.#dirty;
    this.#dirty = [];
    this.#scheduled = false;
    for (let i = 0; i < dirty.length; i++) dirty[i]!.flush();
  }

  /** The check-phase flush: within the budget; what is left goes first next turn. */
  flushTurn(): void {
    this.#scheduled = false;
    const dirty = this.#dirty;
    this.#dirty = [];
    const start = performance.now();
    let i = 0;
    while (i < dirty.length) {
      dirty[i++]!.flush();
      if (i % CLOCK_EVERY === 0 && performance.now() - start >= WRITE_BUDGET_MS) break;
    }
    if (i < dirty.length) {
      // Sessions marked during this flush (none should be: flush only writes) go after the rest.
      this.#dirty = dirty.slice(i).concat(this.#dirty);
      // Already delayed once: the rest goes next turn, not after another delay.
      this.#schedule(0);
    }
  }

  #schedule(delayMs: number): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (delayMs === 0) setImmediate(flushTurn, this);
    else setTimeout(flushTurn, delayMs, this);
  }
}

function flushTurn(scheduler: FlushScheduler): void {
  scheduler.flushTurn();
}
