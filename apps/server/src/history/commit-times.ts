/**
 * How long the store's commits take, for /stats and the bench: the last WINDOW commit
 * durations in a ring (bounded memory, recent behaviour), percentiles computed on demand.
 */
const WINDOW = 4096;

export interface CommitStats {
  /** Commits since start, and the messages they held. */
  commits: number;
  messages: number;
  /** Over the last commits (up to 4,096): duration percentiles, ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class CommitTimes {
  readonly #ms = new Float64Array(WINDOW);
  #commits = 0;
  #messages = 0;

  record(ms: number, messages: number): void {
    this.#ms[this.#commits % WINDOW] = ms;
    this.#commits++;
    this.#messages += messages;
  }

  stats(): CommitStats {
    const n = Math.min(this.#commits, WINDOW);
    const sorted = this.#ms.slice(0, n).sort();
    const at = (q: number): number => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor(q * n))]!);
    return { commits: this.#commits, messages: this.#messages, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
  }
}
