/**
 * Reconnect delays: exponential growth, capped, with jitter so that the clients a server
 * dropped at once do not all come back in the same millisecond ("equal jitter": half of
 * the delay is fixed, half random, so a retry never comes immediately).
 */
export interface BackoffOptions {
  /** First delay. @default 250 */
  initialMs: number;
  /** Largest delay. @default 15000 */
  maxMs: number;
  /** Growth per attempt. @default 2 */
  factor: number;
  /** Share of each delay that is random, 0 (none) to 1 (all). @default 0.5 */
  jitter: number;
}

/** The reconnect backoff when `reconnect` is `true` or left out. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 250,
  maxMs: 15_000,
  factor: 2,
  jitter: 0.5,
});

/** Delays for successive attempts; `random` is a parameter so tests can fix the jitter. */
export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** Attempts since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt, in ms. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.#options;
    const base = Math.min(maxMs, initialMs * factor ** this.#attempt);
    this.#attempt++;
    return Math.round(base * (1 - jitter) + base * jitter * this.#random());
  }

  /** After a connection that worked: the next failure starts from `initialMs` again. */
  reset(): void {
    this.#attempt = 0;
  }
}
