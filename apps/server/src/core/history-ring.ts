/**
 * The last N messages of a room, in a fixed-size ring. Messages arrive with consecutive
 * seqs, so the seq of every retained message follows from the newest one: a lookup by
 * seq is index arithmetic, never a search.
 *
 *   slots:  [ 7 | 8 | 3 | 4 | 5 | 6 ]   capacity 6, newest seq 8
 *                   ▲ head (oldest = 3)
 */
export class HistoryRing<T> {
  readonly capacity: number;
  #slots: (T | undefined)[];
  #head = 0;
  #count = 0;
  #newestSeq = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#slots = [];
  }

  get size(): number {
    return this.#count;
  }

  /** The seq of the newest message pushed (0 before any). */
  get newestSeq(): number {
    return this.#newestSeq;
  }

  /** Appends message `seq`, which must be the newest seq + 1 (the room guarantees it). */
  push(seq: number, msg: T): void {
    this.#newestSeq = seq;
    if (this.capacity === 0) return;
    if (this.#count < this.capacity) {
      this.#slots[(this.#head + this.#count) % this.capacity] = msg;
      this.#count++;
    } else {
      this.#slots[this.#head] = msg;
      this.#head = (this.#head + 1) % this.capacity;
    }
  }

  /** Messages with seq > `since`, oldest first, at most `limit` (the oldest ones, so a client can page forward). */
  since(since: number, limit: number): T[] {
    const oldestSeq = this.#newestSeq - this.#count + 1;
    const firstSeq = Math.max(since + 1, oldestSeq);
    return this.#range(firstSeq - oldestSeq, Math.min(limit, this.#newestSeq - firstSeq + 1));
  }

  /** Messages with seq < `before`, oldest first, at most `limit` (the newest ones, so a client can page back). */
  before(before: number, limit: number): T[] {
    const oldestSeq = this.#newestSeq - this.#count + 1;
    const end = Math.min(before, this.#newestSeq + 1);
    const first = Math.max(oldestSeq, end - limit);
    return end <= first ? [] : this.#range(first - oldestSeq, end - first);
  }

  /** The newest `limit` messages, oldest first. */
  latest(limit: number): T[] {
    const n = Math.min(limit, this.#count);
    return this.#range(this.#count - n, n);
  }

  /** Message `seq`, if it is still retained. */
  at(seq: number): T | undefined {
    const index = this.#indexOf(seq);
    return index < 0 ? undefined : this.#slots[index];
  }

  /** Puts `msg` in the place of message `seq` (a deletion's tombstone); false when it is no longer retained. */
  replace(seq: number, msg: T): boolean {
    const index = this.#indexOf(seq);
    if (index < 0) return false;
    this.#slots[index] = msg;
    return true;
  }

  #indexOf(seq: number): number {
    const oldestSeq = this.#newestSeq - this.#count + 1;
    if (this.#count === 0 || seq < oldestSeq || seq > this.#newestSeq) return -1;
    return (this.#head + seq - oldestSeq) % this.capacity;
  }

  #range(offset: number, n: number): T[] {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(this.#slots[(this.#head + offset + i) % this.capacity]!);
    return out;
  }
}
