/**
 * When a data-plane peer writes what it has queued: at the end of the current event-loop
 * turn, unless it already wrote less than `intervalMs` ago; then at that interval's end.
 *
 * Why not every turn: under load a worker's turns are short (a client line or two each), so
 * a write per turn meant a write, a wakeup and a read on each side of the data plane per
 * message, and that fixed cost, not the work, was most of what the cluster added per message
 * (measured: the primary at 8–22 µs of CPU per message at 6k–16k msgs/s, most of it event-loop
 * and syscall overhead). Pacing to one write per interval lets batches form under load and
 * costs nothing when it is quiet: a peer idle for an interval writes at the end of its turn,
 * as before. The added latency is at most `intervalMs` per hop, only under load.
 */
export class FlushPacer {
  readonly #intervalMs: number;
  readonly #flush: () => void;
  #lastFlushAt = 0;
  #scheduled = false;

  constructor(intervalMs: number, flush: () => void) {
    this.#intervalMs = intervalMs;
    this.#flush = flush;
  }

  /** Something was queued: make sure a flush comes. */
  request(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const wait = this.#lastFlushAt + this.#intervalMs - performance.now();
    if (wait <= 0) setImmediate(runPacer, this);
    else setTimeout(runPacer, wait, this);
  }

  /** @internal */
  run(): void {
    this.#scheduled = false;
    this.#lastFlushAt = performance.now();
    this.#flush();
  }
}

function runPacer(pacer: FlushPacer): void {
  pacer.run();
}
