/**
 * Keeps the cluster's connections spread evenly over its workers: the primary holds back
 * (tells to stop accepting) every worker more than a margin above the mean.
 *
 * Why: workers accept on shared listening sockets (SCHED_NONE, primary.ts), and whichever
 * event loop reaches the queue first takes the connection. Even with UV_TCP_SINGLE_ACCEPT the
 * spread of 2,000 connections over 2 workers ranged from 1,004 + 996 to 1,122 + 878 in one
 * bench run: with CPU-heavy moderation the busiest worker bounds the cluster, and 56 % of the
 * senders on one worker caps 2 workers at 1 ÷ 0.56 = 1.78× one (the 1 ms classifier series
 * read 1.78× in such a run, 1.88–2.00× in others). A held worker closes its copy of the
 * listening sockets (transports/accept-gate.ts, as it does at its open-file ceiling), so its
 * siblings take the new connections; it listens again once it is within half the margin.
 * The margin is a trade: every held worker is one fewer taking connections off the queue,
 * and on a box whose cores are oversubscribed a storm of connects then waits. 100,000 connects
 * at 2,500/s over 6 workers on 2 cores, connect p99: 0.3 s with no balance; 0.5 and 3.6 s
 * holding every worker more than 1 % above the least loaded; 2.3 and 3.3 s at 1 % above the
 * mean; 0.5, 0.5 and 0.9 s at 5 % above the mean (per-worker spreads 16,317–17,371 with no
 * balance, 16,590–16,708 at 1 %, 16,121–17,253 at 5 %). Hence 5 % above the mean: the tail
 * stays under a second, and 2 workers with 2,000 connections are held above 1,050 (the bench
 * read 1,067 + 933 at worst: a burst lands before the hold; the kernel alone gave 1,122 + 878).
 *
 * Some worker must listen at every instant: when none does, node:cluster's primary closes the
 * shared socket and connections are refused. The least loaded worker is never held, but the
 * workers act on the primary's word asynchronously: closing is immediate, listening again takes
 * a round trip. So a worker is held only while another one has *confirmed* that it accepts:
 * its last report said so, it is not held, and that report came after the worker had taken in
 * the primary's last word to it (each hold or release carries a number the reports echo, so a
 * report sent before a hold arrived is not read as confirming anything after it). A hold that
 * has no such sibling waits for the next report. Only workers that listen and have reported
 * take part.
 */

/** Connections a worker may hold above the mean, at least. */
const MIN_MARGIN = 8;
/** ... or this share of the mean, whichever is larger (2,000 over 2 workers: 50). */
const MARGIN_SHARE = 0.05;

export class AcceptBalance {
  /** worker → its connections, as last reported */
  readonly #counts = new Map<string, number>();
  readonly #held = new Set<string>();
  /** Workers whose last report, sent after their last word from here, said they accept. */
  readonly #accepting = new Set<string>();
  /** worker → the number of the last hold or release sent to it */
  readonly #words = new Map<string, number>();

  /**
   * `worker` holds `count` connections now and does (or does not) accept, having taken in the
   * primary's word number `word` (0: none yet); returns the workers whose hold changes (true:
   * stop accepting, false: accept again). Send each with word(worker).
   */
  update(worker: string, count: number, accepting: boolean, word: number): Map<string, boolean> {
    this.#counts.set(worker, count);
    if (accepting && word === (this.#words.get(worker) ?? 0)) this.#accepting.add(worker);
    else this.#accepting.delete(worker);
    return this.#rebalance();
  }

  /** The number of the last word (hold or release) for `worker`, to send with it. */
  word(worker: string): number {
    return this.#words.get(worker) ?? 0;
  }

  /** `worker` is gone (or not listening): it neither holds nor counts; returns the changes. */
  remove(worker: string): Map<string, boolean> {
    this.#counts.delete(worker);
    this.#held.delete(worker);
    this.#accepting.delete(worker);
    this.#words.delete(worker);
    return this.#rebalance();
  }

  isHeld(worker: string): boolean {
    return this.#held.has(worker);
  }

  #rebalance(): Map<string, boolean> {
    const changes = new Map<string, boolean>();
    if (this.#counts.size === 0) return changes;
    let total = 0;
    for (const count of this.#counts.values()) total += count;
    const mean = total / this.#counts.size;
    const margin = Math.max(MIN_MARGIN, Math.ceil(mean * MARGIN_SHARE));
    for (const [worker, count] of this.#counts) {
      if (this.#held.has(worker) && count <= mean + margin / 2) {
        this.#held.delete(worker);
        this.#said(worker);
        changes.set(worker, false);
      }
    }
    for (const [worker, count] of this.#counts) {
      if (!this.#held.has(worker) && count > mean + margin && this.#anotherAccepts(worker)) {
        this.#held.add(worker);
        this.#said(worker);
        changes.set(worker, true);
      }
    }
    return changes;
  }

  /** A new word for `worker`: until it reports having taken it in, it confirms nothing. */
  #said(worker: string): void {
    this.#words.set(worker, (this.#words.get(worker) ?? 0) + 1);
    this.#accepting.delete(worker);
  }

  /** Whether a worker other than `worker` has confirmed it accepts and is not held. */
  #anotherAccepts(worker: string): boolean {
    for (const other of this.#accepting) if (other !== worker && !this.#held.has(other)) return true;
    return false;
  }
}
