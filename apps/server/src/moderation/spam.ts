/**
 * Per-sender spam heuristics with bounded memory.
 *
 * Each sender (any string key: a nick, a connection id) gets a fixed-size record: the times of
 * its last `floodMax` messages (a ring) and the fingerprints and times of its last
 * `repeatHistory` texts (another ring). Records live in an LRU map capped at `maxSenders`:
 * every check moves the sender to the most-recent end, and the least recently seen sender is
 * forgotten when the cap is exceeded. Memory is therefore at most
 * maxSenders × (8·floodMax + 12·repeatHistory + overhead) bytes whatever the traffic, and an
 * active flooder is never the one evicted. Time is passed in (`now`, ms), never read here.
 *
 *   flood       more than floodMax messages within floodWindowMs. Every checked message counts,
 *               rejected ones included, so a flooder stays blocked until it slows down.
 *   repetition  the same normalized text (normalize.ts fingerprint) for the repeatMax-th time
 *               within repeatWindowMs (repeatMax 3: the third copy is the one caught).
 *   caps        more than capsRatio of the letters uppercase, in a message with at least
 *               capsMinLetters letters.
 */

export interface SpamOptions {
  /** Messages allowed per window before flood. @default 10 */
  floodMax: number;
  /** Flood window, ms. @default 10000 */
  floodWindowMs: number;
  /** Copies of one text within the window that count as repetition. @default 3 */
  repeatMax: number;
  /** Repetition window, ms. @default 30000 */
  repeatWindowMs: number;
  /** Recent texts remembered per sender. @default 8 */
  repeatHistory: number;
  /** Uppercase share of letters above which a message is shouting. @default 0.7 */
  capsRatio: number;
  /** Letters a message needs before the caps ratio applies. @default 12 */
  capsMinLetters: number;
  /** Senders tracked at once (LRU). @default 16384 */
  maxSenders: number;
}

export const DEFAULT_SPAM_OPTIONS: Readonly<SpamOptions> = Object.freeze({
  floodMax: 10,
  floodWindowMs: 10_000,
  repeatMax: 3,
  repeatWindowMs: 30_000,
  repeatHistory: 8,
  capsRatio: 0.7,
  capsMinLetters: 12,
  maxSenders: 16_384,
});

/** One sender's recent history: two fixed-size rings. */
export class SenderState {
  readonly #times: Float64Array;
  #head = 0;
  #filled = 0;
  readonly #hashes: Uint32Array;
  readonly #hashTimes: Float64Array;
  #hashHead = 0;
  #hashFilled = 0;

  constructor(floodMax: number, repeatHistory: number) {
    this.#times = new Float64Array(floodMax);
    this.#hashes = new Uint32Array(repeatHistory);
    this.#hashTimes = new Float64Array(repeatHistory);
  }

  /** Records a message at `now`; true when it is more than floodMax within windowMs. */
  flood(now: number, windowMs: number): boolean {
    const cap = this.#times.length;
    // The oldest of the last floodMax messages: if it is inside the window, this one is one too many.
    const flooded = this.#filled === cap && now - (this.#times[this.#head] as number) < windowMs;
    this.#times[this.#head] = now;
    this.#head = (this.#head + 1) % cap;
    if (this.#filled < cap) this.#filled++;
    return flooded;
  }

  /** Records a text fingerprint; returns the copies within windowMs, this one included. */
  repeats(hash: number, now: number, windowMs: number): number {
    let copies = 1;
    for (let i = 0; i < this.#hashFilled; i++) {
      if (this.#hashes[i] === hash && now - (this.#hashTimes[i] as number) < windowMs) copies++;
    }
    const cap = this.#hashes.length;
    this.#hashes[this.#hashHead] = hash;
    this.#hashTimes[this.#hashHead] = now;
    this.#hashHead = (this.#hashHead + 1) % cap;
    if (this.#hashFilled < cap) this.#hashFilled++;
    return copies;
  }
}

/** Sender records in an LRU map (Map iteration order is insertion order). */
export class SenderTable {
  readonly #senders = new Map<string, SenderState>();
  readonly #max: number;
  readonly #floodMax: number;
  readonly #repeatHistory: number;
  #last: string | undefined;
  #lastState: SenderState | undefined;

  constructor(options: Pick<SpamOptions, 'maxSenders' | 'floodMax' | 'repeatHistory'>) {
    this.#max = options.maxSenders;
    this.#floodMax = options.floodMax;
    this.#repeatHistory = options.repeatHistory;
  }

  /** Senders currently remembered (≤ maxSenders). */
  get size(): number {
    return this.#senders.size;
  }

  /** The sender's record, created if needed and marked most recently used. */
  touch(sender: string): SenderState {
    // A sender sending twice in a row is already the most recent: skip the Map reshuffle.
    if (sender === this.#last && this.#lastState !== undefined) return this.#lastState;
    let state = this.#senders.get(sender);
    if (state !== undefined) {
      this.#senders.delete(sender);
    } else {
      state = new SenderState(this.#floodMax, this.#repeatHistory);
      if (this.#senders.size >= this.#max) this.#evictOldest();
    }
    this.#senders.set(sender, state);
    this.#last = sender;
    this.#lastState = state;
    return state;
  }

  /** Forgets a sender (on disconnect). */
  forget(sender: string): void {
    this.#senders.delete(sender);
    if (sender === this.#last) this.#last = this.#lastState = undefined;
  }

  has(sender: string): boolean {
    return this.#senders.has(sender);
  }

  #evictOldest(): void {
    for (const key of this.#senders.keys()) {
      this.#senders.delete(key);
      if (key === this.#last) this.#last = this.#lastState = undefined;
      return;
    }
  }
}

/** True when a message with these counts is shouting. */
export function isShouting(
  letters: number,
  upper: number,
  options: Pick<SpamOptions, 'capsRatio' | 'capsMinLetters'>,
): boolean {
  return letters >= options.capsMinLetters && upper > options.capsRatio * letters;
}
