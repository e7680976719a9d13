/**
 * Lines that live only until the store's next commit: one buffer, filled from the start again
 * after each commit. For the cluster primary over the SQLite store: the primary copies each
 * line into its outbox as it routes it, and the store copies the turn's lines into its commit
 * record, so nothing holds a line past the commit. A room's slab (line-slab.ts) would hand out
 * fresh memory for every line there, a new slab per room every few dozen messages: tens of MB
 * a second of Buffers that the garbage collector then had to reclaim.
 *
 * A turn with more lines than the buffer holds moves on to one twice the size (the lines
 * already given stay where they are); the next turns reuse that one.
 */
import type { LineRef } from './line-slab.js';

const INITIAL_BYTES = 256 * 1024;

export class TurnSlab {
  #buf = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  #at = 0;

  /** Room for a `size`-byte line, uninitialised, valid until reset(). */
  reserve(size: number): LineRef {
    if (this.#at + size > this.#buf.length) {
      this.#buf = Buffer.allocUnsafeSlow(Math.max(2 * this.#buf.length, size));
      this.#at = 0;
    }
    const start = this.#at;
    this.#at += size;
    return { buf: this.#buf, start, end: this.#at };
  }

  /** The lines reserved so far are no longer needed (committed, or refused). */
  reset(): void {
    this.#at = 0;
  }
}
