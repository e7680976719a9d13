/**
 * Where a room's history lines live: slabs of the room's own, each line a range of one.
 * A line kept in history needs memory that outlives the turn, and the obvious choices cost:
 * a whole allocation per line (Buffer.allocUnsafeSlow) took 1.3 µs here; a line from Node's
 * shared pool keeps that pool's 8 KiB slab alive as long as it is retained, so a quiet room
 * would pin slabs full of other rooms' long-gone lines; and even a Buffer view per line is a
 * typed array that the garbage collector must visit for as long as the line is kept (in the
 * cluster primary that was most of its cost per message). So a line is a plain range of a
 * slab, and a view is made only where bytes must be handed to a socket.
 *
 * A room evicts its own lines oldest first, so a slab of its own is freed once its history
 * has moved past it: at most about one slab of slack per room. Slabs start small and double
 * (a room with three messages holds one small slab) up to a largest size that holds about
 * LINES_PER_SLAB of the room's lines: 16 KiB for short lines, up to MAX_SLAB for long ones, so
 * the slack stays a small share of what a busy room keeps anyway. Why per line size: a room
 * of 1.5 KB texts once got an allocation per line from its first 1 KiB slab on (the cluster
 * primary 12.5 → 10.5 µs/msg with SQLite history, 17.3 → 9.0 with memory history), and with
 * 16 KiB slabs still one per 10 lines, allocation and the garbage collector's share of it a
 * third of the primary's time (memory history 6.5 → 4.9–5.3 µs/msg with slabs of 32 lines:
 * `npm run bench -- --only primary --primary-body 1500`). Only a line larger than half of
 * MAX_SLAB gets an allocation of its own.
 */
const FIRST_SLAB = 1024;
/** The largest slab of a room of short lines. */
const SHORT_LINES_SLAB = 16 * 1024;
const MAX_SLAB = 64 * 1024;
/** Lines a room's largest slab holds, about (within SHORT_LINES_SLAB..MAX_SLAB). */
const LINES_PER_SLAB = 32;

/** A line's bytes: `buf[start, end)`. */
export interface LineRef {
  readonly buf: Buffer;
  readonly start: number;
  readonly end: number;
}

/** The line as a Buffer of its own (a view: no copy). */
export function lineBytes(ref: LineRef): Buffer {
  return ref.buf.subarray(ref.start, ref.end);
}

export class LineSlab {
  #slab: Buffer | undefined;
  #at = 0;
  #nextSize = FIRST_SLAB;

  /** Room for a `size`-byte line, uninitialised, which the caller fills at once. */
  reserve(size: number): LineRef {
    const slab = this.#slab;
    if (slab !== undefined && this.#at + size <= slab.length) {
      const start = this.#at;
      this.#at += size;
      return { buf: slab, start, end: start + size };
    }
    // A room of large lines gets slabs large enough for them, as a busy room does.
    let slabSize = this.#nextSize;
    while (size > slabSize / 2 && slabSize < MAX_SLAB) slabSize *= 2;
    if (size > slabSize / 2) return { buf: Buffer.allocUnsafeSlow(size), start: 0, end: size };
    const largest = Math.min(MAX_SLAB, Math.max(SHORT_LINES_SLAB, LINES_PER_SLAB * size));
    this.#nextSize = Math.max(slabSize, Math.min(largest, slabSize * 2));
    this.#slab = Buffer.allocUnsafeSlow(slabSize);
    this.#at = size;
    return { buf: this.#slab, start: 0, end: size };
  }
}
