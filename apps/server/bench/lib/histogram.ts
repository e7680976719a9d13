/**
 * A log-linear histogram of non-negative integers (microseconds here): exact below 1024,
 * then 512 sub-buckets per power of two (relative error < 0.2 %). Small enough to send
 * over IPC as a sparse list and merge, which is all the bench needs from HdrHistogram.
 */
const LINEAR = 1024;
const SUB_BITS = 9;
const SUB = 1 << SUB_BITS;
/** Values above ~2^40 µs (12 days) are clamped into the last bucket. */
const MAX_EXP = 40;
const SIZE = LINEAR + (MAX_EXP - 10 + 1) * SUB;

export type SparseCounts = [index: number, count: number][];

export class Histogram {
  readonly counts = new Float64Array(SIZE);
  count = 0;
  max = 0;

  record(value: number): void {
    const v = value < 0 ? 0 : Math.round(value);
    this.counts[indexOf(v)]!++;
    this.count++;
    if (v > this.max) this.max = v;
  }

  /** The value at `percentile` (0–100): the upper edge of the bucket that holds it. */
  percentile(percentile: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }

  toSparse(): { counts: SparseCounts; max: number } {
    const counts: SparseCounts = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i]! > 0) counts.push([i, this.counts[i]!]);
    return { counts, max: this.max };
  }

  addSparse(sparse: { counts: SparseCounts; max: number }): void {
    for (const [i, c] of sparse.counts) {
      this.counts[i]! += c;
      this.count += c;
    }
    if (sparse.max > this.max) this.max = sparse.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
  }
}

function indexOf(v: number): number {
  if (v < LINEAR) return v;
  let exp = Math.floor(Math.log2(v));
  // log2 can round up just below a power of two.
  if (2 ** exp > v) exp--;
  exp = Math.min(MAX_EXP, exp);
  const sub = Math.min(SUB - 1, Math.floor((v / 2 ** exp - 1) * SUB));
  return LINEAR + (exp - 10) * SUB + sub;
}

function upperEdge(i: number): number {
  if (i < LINEAR) return i;
  const exp = 10 + Math.floor((i - LINEAR) / SUB);
  const sub = (i - LINEAR) % SUB;
  return Math.floor(2 ** exp * (1 + (sub + 1) / SUB)) - 1;
}
