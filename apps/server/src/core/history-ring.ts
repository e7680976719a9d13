/**
 * The last N lines of a room, in a fixed-size ring. Lines arrive with consecutive seqs, so
 * the seq of every retained line follows from the newest one: a lookup by seq is index
 * arithmetic, never a search.
 *
 *   slots:  [ 7 | 8 | 3 | 4 | 5 | 6 ]   capacity 6, newest seq 8
 *                   ▲ head (oldest = 3)
 *
 * A line is kept as columns, not as an object per line: a ring of objects held one for each of
 * the last N lines of every room (500k in the primary bench's 500 rooms), each promoted by the
 * scavenger as it aged and each marked by every full GC until the ring let it go. Its three
 * numbers — which slab of the room holds it (line-slab.ts), its start and its end — lie side by
 * side in one Int32Array, so a push writes one cache line, not three, and stores no pointer
 * (no write barrier). Why it matters: in the cluster primary with memory history the ring's
 * slots are cold (a room's next push comes hundreds of messages later), and with a column of
 * Buffers and two of offsets the push was much of its cost — skipping it altogether (a
 * temporary switch) took the primary bench from 4.1–5.8 to 3.4–3.9 µs/msg. The slabs
 * themselves are a short list, oldest first, numbered in the order the room's lines reached
 * them; one leaves the list when the oldest line kept has moved past it. The columns grow by
 * doubling up to the capacity, so a room with three lines holds room for a few more, not for N.
 */
const FIRST_COLUMNS = 16;
/** Per slot: the number of its line's slab, the line's start, its end. */
const FIELDS = 3;

export class HistoryRing {
  readonly capacity: number;
  #cols = new Int32Array(0);
  /**
   * The slabs lines live in, oldest first: `#slabs[i]` is slab number `#firstSlab + i`; those
   * before `#liveSlab` hold no retained line (let go of, and cut from the list in batches, so
   * a room whose lines alternate between Buffers does not shift a long list per message).
   */
  #slabs: (Buffer | undefined)[] = [];
  #firstSlab = 0;
  #liveSlab = 0;
  /** Lines put in place of others by replace() (tombstones: rare), by seq. */
  #replaced: Map<number, Buffer> | undefined;
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
    const slabs = this.#slabs;
    // A room's lines come from its slab in order: a line in another Buffer than the last one's is in the next slab.
    if (slabs.length === 0 || slabs[slabs.length - 1] !== buf) slabs.push(buf);
    const slab = this.#firstSlab + slabs.length - 1;
    let slot: number;
    const full = this.#count === this.capacity;
    if (!full) {
      // Not yet full, so not yet wrapped: head is 0 and the slots in use are the first `count`.
      if (this.#count * FIELDS === this.#cols.length) this.#grow();
      slot = this.#count++;
    } else {
      slot = this.#head;
      this.#head = (this.#head + 1) % this.capacity;
      this.#replaced?.delete(seq - this.capacity); // the line this one evicts
    }
    const cols = this.#cols;
    const at = slot * FIELDS;
    cols[at] = slab;
    cols[at + 1] = start;
    cols[at + 2] = end;
    if (full) {
      // Slabs whose every line is gone leave the list.
      const oldestSlab = cols[this.#head * FIELDS]!;
      for (; this.#liveSlab < oldestSlab; this.#liveSlab++) slabs[this.#liveSlab - this.#firstSlab] = undefined;
      const dead = this.#liveSlab - this.#firstSlab;
      if (dead >= 16 && 2 * dead >= slabs.length) {
        slabs.splice(0, dead);
        this.#firstSlab = this.#liveSlab;
      }
    }
  }

  /** @internal Buffers the ring keeps alive: its slabs and its replaced lines (tests: nothing outlives its lines). */
  get retainedBuffers(): number {
    return this.#slabs.length - (this.#liveSlab - this.#firstSlab) + (this.#replaced?.size ?? 0);
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
    (this.#replaced ??= new Map()).set(seq, line);
    return true;
  }

  #grow(): void {
    const slots = Math.min(this.capacity, Math.max(FIRST_COLUMNS, (2 * this.#cols.length) / FIELDS));
    const cols = new Int32Array(slots * FIELDS);
    cols.set(this.#cols);
    this.#cols = cols;
  }

  /** Views of `n` lines from the `offset`-th oldest on (views: no copy). */
  #range(offset: number, n: number): Buffer[] {
    const out: Buffer[] = [];
    const firstSeq = this.#newestSeq - this.#count + 1 + offset;
    for (let i = 0; i < n; i++) {
      const replaced = this.#replaced?.get(firstSeq + i);
      if (replaced !== undefined) {
        out.push(replaced);
        continue;
      }
      const at = ((this.#head + offset + i) % this.capacity) * FIELDS;
      const slab = this.#slabs[this.#cols[at]! - this.#firstSlab]!;
      out.push(slab.subarray(this.#cols[at + 1], this.#cols[at + 2]));
    }
    return out;
  }
}
