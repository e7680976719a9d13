/**
 * Where a room's history lines live: slabs of the room's own, each line a view into one.
 * A line kept in history needs memory that outlives the turn, and both obvious choices
 * cost: a whole allocation per line (Buffer.allocUnsafeSlow) took 1.3 µs here, and 1.3 µs
 * per message in the cluster primary is most of its budget; a line from Node's shared pool
 * keeps that pool's 8 KiB slab alive as long as it is retained, and a quiet room would pin
 * slabs full of other rooms' long-gone lines. A room evicts its own lines oldest first, so
 * a slab of its own is freed once its history has moved past it: at most about one slab of
 * slack per room.
 *
 * Slabs start small and double (a room with three messages holds one small slab) up to
 * MAX_SLAB; a line larger than half a slab gets an allocation of its own.
 */
const FIRST_SLAB = 1024;
const MAX_SLAB = 16 * 1024;

export class LineSlab {
  #slab: Buffer | undefined;
  #at = 0;
  #nextSize = FIRST_SLAB;

  /** `size` bytes, uninitialised, for a line the caller fills at once. */
  readonly allocate = (size: number): Buffer => {
    const slab = this.#slab;
    if (slab !== undefined && this.#at + size <= slab.length) {
      const line = slab.subarray(this.#at, this.#at + size);
      this.#at += size;
      return line;
    }
    const slabSize = this.#nextSize;
    if (size > slabSize / 2) return Buffer.allocUnsafeSlow(size);
    this.#nextSize = Math.min(MAX_SLAB, slabSize * 2);
    this.#slab = Buffer.allocUnsafeSlow(slabSize);
    this.#at = size;
    return this.#slab.subarray(0, size);
  };
}
