/**
 * When a data-plane peer writes what it has queued: at the end of the current event-loop
 * turn, unless it already wrote less than `intervalMs` ago; then at that interval's end.
 *
 * Why not every turn: under moderate load a worker's turns are short (a client line or two
 * each), so a write per turn meant a write, a wakeup and a read on each side of the data plane
 * per message, and on a shared core each wakeup also starts with cold caches: that fixed cost,
 * not the work, is most of what the cluster adds per message. Pacing to one write per interval
 * lets batches form under load and costs nothing when it is quiet: a peer idle for an interval
 * writes at the end of its turn, as before. The added latency is at most `intervalMs` per hop
 * (a message makes two: worker → primary → workers), only under load.
 *
 * Measured (2 workers, 500 rooms × 4 members, every member a sender, --filter basic, SQLite
 * history; server CPU from /proc over 5 s; 3 rounds each, interleaved): at 2k msgs/s the
 * cluster spent 352–382 µs/msg at 0 ms, 292–330 at 2 ms, 272–279 at 5 ms (one process: 205),
 * with p50 latency 1.4–2.3 → 3.1–3.2 → 6.1–6.4 ms and p99 unchanged (10–22 ms); at 7k msgs/s
 * 138–171 → 120–167 → 139–141 (one process: 116), p50 1.8–2.4 → 3.4–4.7 → 7.7–8.2 ms. Near
 * the cluster's limit (14k msgs/s on that host) turns are long and batch by themselves: no
 * difference either way. Hence 5 ms by default (config.ts).
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
