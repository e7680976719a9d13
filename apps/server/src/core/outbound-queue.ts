/**
 * A connection's outbound path, the only way its bytes leave: frames are queued as encoded
 * Buffers (shared with every other member that gets them), and the FlushScheduler writes
 * each queue once per event-loop turn, or after the write delay, in one connection.write.
 *
 *   enqueue ─▶ over budget? ─ yes ─▶ owner.onSlowConsumer() (drop, tell, close)
 *                  └ no ─▶ queue ─▶ (first frame: flusher.mark) ─▶ flush ─▶ connection.write
 *                                     └ ≥ FLUSH_EARLY_BYTES: flush now
 *
 * The byte budget is checked against what the connection could not hand to the kernel
 * (writableLength): that is the backlog of a client that does not read, and the memory it
 * costs us. A queue lives only while it holds frames: the session makes one for the first
 * frame of a turn and forgets it once flushed (onFlushed), so an idle connection keeps none.
 */
import type { Connection } from './connection.js';
import type { Flushable, FlushScheduler } from './flush-scheduler.js';
import type { Stats } from './stats.js';

/** Queued bytes at which a queue writes at once instead of waiting for the end of the turn. */
export const FLUSH_EARLY_BYTES = 64 * 1024;

/** What every queue of one server shares (ServerContext is one). */
export interface OutboundOptions {
  readonly flusher: FlushScheduler;
  readonly stats: Stats;
  readonly config: { readonly outboundBudgetBytes: number };
}

/** The session behind a queue: its slow-consumer policy, and when the queue is spent. */
export interface OutboundOwner {
  /** The client does not read and the backlog is over budget. */
  onSlowConsumer(): void;
  /** Everything queued was written; the queue is empty and unmarked. */
  onFlushed(queue: OutboundQueue): void;
}

export class OutboundQueue implements Flushable {
  readonly #connection: Connection;
  readonly #owner: OutboundOwner;
  readonly #options: OutboundOptions;
  #queue: Buffer | Buffer[] | null = null;
  #queuedBytes = 0;

  constructor(connection: Connection, owner: OutboundOwner, options: OutboundOptions) {
    this.#connection = connection;
    this.#owner = owner;
    this.#options = options;
  }

  /** Bytes queued and not yet handed to the connection. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Queues `bytes` for this turn's write; false when over budget (the owner was told). */
  enqueue(bytes: Buffer): boolean {
    const { stats, config, flusher } = this.#options;
    if (this.#connection.writableLength > config.outboundBudgetBytes) {
      this.discard();
      this.#owner.onSlowConsumer();
      return false;
    }
    stats.framesOut[this.#connection.transport]++;
    if (this.#queue === null) {
      this.#queue = bytes;
      flusher.mark(this);
    } else if (Array.isArray(this.#queue)) {
      this.#queue.push(bytes);
    } else {
      this.#queue = [this.#queue, bytes];
    }
    this.#queuedBytes += bytes.length;
    // A flood within one turn is written out as it grows, so a client that reads keeps
    // up and what one session holds stays near budget + FLUSH_EARLY_BYTES.
    if (this.#queuedBytes >= FLUSH_EARLY_BYTES) this.#write();
    return true;
  }

  /** FlushScheduler: writes everything queued in one write. */
  flush(): void {
    if (this.#queue === null) return;
    this.#write();
    this.#owner.onFlushed(this);
  }

  /** Drops what is queued without writing it (slow consumer, closed connection). */
  discard(): void {
    this.#queue = null;
    this.#queuedBytes = 0;
  }

  #write(): void {
    const queue = this.#queue!;
    const bytes = Array.isArray(queue) ? Buffer.concat(queue, this.#queuedBytes) : queue;
    this.#queue = null;
    this.#queuedBytes = 0;
    const connection = this.#connection;
    this.#options.stats.bytesOut[connection.transport] += bytes.length;
    connection.write(bytes);
    // What the kernel would not take is the client's unread backlog: over budget, it goes.
    if (connection.writableLength > this.#options.config.outboundBudgetBytes) this.#owner.onSlowConsumer();
  }
}
