/**
 * The last N lines of a room, in a fixed-size ring. Lines arrive with consecutive seqs, so
 * the seq of every retained line follows from the newest one: a lookup by seq is index
 * arithmetic, never a search.
 *
 *   slots:  [ 7 | 8 | 3 | 4 | 5 | 6 ]   capacity 6, newest seq 8
 *                   ▲ head (oldest = 3)
 *
 * A line is kept as columns — the Buffer that holds it (its room's slab, line-slab.ts), its
 * start and its end — not as an object per line: a ring of objects held one for each of the
 * last N lines of every room (500k in the primary bench's 500 rooms), each promoted by the
 * scavenger as it aged and each marked by every full GC until the ring let it go. The columns
 * grow by doubling up to the capacity, so a room with three lines holds room for a few more,
 * not for N.
 */
const FIRST_COLUMNS = 16;

export class HistoryRing {
  readonly capacity: number;
  #bufs: (Buffer | undefined)[] = [];
  #starts = new Int32Array(0);
  #ends = new Int32Array(0);
  #head = 0;
  #count = 0;
  #newestSeq = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#count;
  }

  /** The seq of the newest line pushed (0 before any). */
  get newestSeq(): number {
    return this.#newestSeq;
  }

  /** Appends line `seq`, `buf[start, end)`, which must be the newest seq + 1 (the room guarantees it). */
  push(seq: number, buf: Buffer, start: number, end: number): void {
    this.#newestSeq = seq;
    if (this.capacity === 0) return;
    let slot: number;
    if (this.#count < this.capacity) {
      // Not yet full, so not yet wrapped: head is 0 and the slots in use are the first `count`.
      if (this.#count === this.#starts.length) this.#grow();
      slot = this.#count++;
    } else {
      slot = this.#head;
      this.#head = (this.#head + 1) % this.capacity;
    }
    this.#bufs[slot] = buf;
    this.#starts[slot] = start;
    this.#ends[slot] = end;
  }

  /** Lines with seq > `since`, oldest first, at most `limit` (the oldest ones, so a client can page forward). */
  since(since: number, limit: number): Buffer[] {
    const oldestSeq = this.#newestSeq - this.#count + 1;
    const firstSeq = Math.max(since + 1, oldestSeq);
    return this.#range(firstSeq - oldestSeq, Math.min(limit, this.#newestSeq - firstSeq + 1));
  }

  /** Lines with seq < `before`, oldest first, at most `limit` (the newest ones, so a client can page back). */
  before(before: number, limit: number): Buffer[] {
    const oldestSeq = this.#newestSeq - this.#count + 1;
    const end = Math.min(before, this.#newestSeq + 1);
    const first = Math.max(oldestSeq, end - limit);
    return end <= first ? [] : this.#range(first - oldestSeq, end - first);
  }

  /** The newest `limit` lines, oldest first. */
  latest(limit: number): Buffer[] {
    const n = Math.min(limit, this.#count);
    return this.#range(this.#count - n, n);
  }

  /** Puts `line` in the place of line `seq` (a deletion's tombstone); false when it is no longer retained. */
  replace(seq: number, line: Buffer): boolean {
    const oldestSeq = this.#newestSeq - this.#count + 1;
    if (this.#count === 0 || seq < oldestSeq || seq > this.#newestSeq) return false;
    const slot = (this.#head + seq - oldestSeq) % this.capacity;
    this.#bufs[slot] = line;
    this.#starts[slot] = 0;
    this.#ends[slot] = line.length;
    return true;
  }

  #grow(): void {
    const size = Math.min(this.capacity, Math.max(FIRST_COLUMNS, this.#starts.length * 2));
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    starts.set(this.#starts);
    ends.set(this.#ends);
    this.#starts = starts;
    this.#ends = ends;
  }

  /** Views of `n` lines from the `offset`-th oldest on (views: no copy). */
  #range(offset: number, n: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const slot = (this.#head + offset + i) % this.capacity;
      out.push(this.#bufs[slot]!.subarray(this.#starts[slot], this.#ends[slot]));
    }
    return out;
  }
}
