/**
 * One joined room's view of its message order: delivers each message once, in seq order,
 * and says when messages are missing so the client can ask history for them.
 *
 * The protocol's promise (README, "Order"): seq starts at 1 and grows by 1 per message in a
 * room, and `history {since: N}` returns the retained messages with seq > N. So a room needs
 * only the last seq delivered, plus the messages that arrived ahead of a hole:
 *
 *   delivered ≤ last │ missing │ buffered (arrived early) │ missing │ known
 *   ─────────────────┼─────────┼──────────────────────────┼─────────┼──────▶ seq
 *
 * `known` is the highest seq the room is known to have reached (a join ack, a message seen).
 * While known > last, a fill (history pages from `last`) is wanted. What history no longer
 * holds is reported as a gap and skipped, so one lost message never stalls a room.
 *
 * Pure and synchronous: no I/O, no timers; the client drives it.
 */
import type { MsgFrame } from '@loopchat/protocol';

export interface RoomLogSink {
  /** The next message of the room, in seq order, exactly once. */
  deliver(message: MsgFrame): void;
  /** Messages `from`..`to` (inclusive) were missed and are no longer in the server's history. */
  gap(room: string, from: number, to: number): void;
  /** The room's seq went back to `seq` (its server lost its history): counting starts over. */
  reset(room: string, seq: number): void;
}

export class RoomLog {
  readonly room: string;
  readonly #sink: RoomLogSink;
  readonly #maxBuffered: number;
  /** Every seq up to here was delivered or reported as a gap; undefined until the join ack. */
  #last: number | undefined;
  #known = 0;
  readonly #buffer = new Map<number, MsgFrame>();
  #filling = false;
  /** The server's history epoch changed: the next join ack starts the room over. */
  #newEpoch = false;

  constructor(room: string, sink: RoomLogSink, maxBuffered: number) {
    this.room = room;
    this.#sink = sink;
    this.#maxBuffered = maxBuffered;
  }

  /** The last seq delivered (or skipped), the `since` to recover from; undefined before the first join ack. */
  get lastSeq(): number | undefined {
    return this.#last;
  }

  /** Messages are known to be missing and no fill is under way. */
  get wantsFill(): boolean {
    return !this.#filling && this.#last !== undefined && this.#known > this.#last;
  }

  /**
   * The server's history epoch changed (it lost history: a restart without a store, a store
   * deleted): seqs may have started over, so `lastSeq` means nothing there. The next join
   * ack starts the room over from its seq (a `reset`), whatever it is.
   */
  newEpoch(): void {
    if (this.#last !== undefined) this.#newEpoch = true;
  }

  /** A join ack: `seq` is the room's latest. The first one sets where delivery starts. */
  joined(seq: number): void {
    if (this.#newEpoch) {
      this.#newEpoch = false;
      this.#restart(seq);
    } else if (this.#last === undefined) {
      this.#last = seq;
      this.#known = Math.max(this.#known, seq);
      this.#drain();
    } else if (seq < this.#last) {
      // The room started over (a Redis bus restarted empty, README "Multi-host"): what is
      // buffered was numbered before or after, no telling, so start clean from here.
      this.#restart(seq);
    } else this.#known = Math.max(this.#known, seq);
  }

  #restart(seq: number): void {
    this.#buffer.clear();
    this.#last = this.#known = seq;
    this.#filling = false;
    this.#sink.reset(this.room, seq);
  }

  /** A message of this room, live or from history, possibly one already delivered. */
  accept(message: MsgFrame): void {
    const { seq } = message;
    if (this.#last === undefined) {
      // Before the join ack: keep it (bounded); the ack says whether it is new.
      if (this.#buffer.size < this.#maxBuffered) this.#buffer.set(seq, message);
      return;
    }
    if (seq <= this.#last || this.#buffer.has(seq)) return;
    this.#known = Math.max(this.#known, seq);
    if (seq === this.#last + 1) {
      this.#last = seq;
      this.#sink.deliver(message);
      this.#drain();
      return;
    }
    this.#buffer.set(seq, message);
    // A hole that does not close while this many messages wait behind it is given up on.
    if (this.#buffer.size > this.#maxBuffered) this.#skip();
  }

  /** Starts a fill; returns the `since` of its first history page. */
  beginFill(): number {
    this.#filling = true;
    return this.#last ?? 0;
  }

  /**
   * A fill's history page arrived and its messages were accepted. Returns the `since` of the
   * next page, or undefined when the fill is over (what is still missing was skipped).
   */
  endPage(received: number, limit: number): number | undefined {
    if (this.#last === undefined || !this.#filling) return undefined;
    if (this.#known <= this.#last) {
      this.#filling = false;
      return undefined;
    }
    if (received >= limit) return this.#last;
    // A short page is everything the server retains after `last`: the rest is gone.
    this.#filling = false;
    this.#skip();
    return undefined;
  }

  /** The fill's request failed (disconnect, timeout): a later event starts a new one. */
  abortFill(): void {
    this.#filling = false;
  }

  #skip(): void {
    const last = this.#last ?? 0;
    let next = this.#known + 1;
    for (const seq of this.#buffer.keys()) if (seq < next) next = seq;
    if (next - 1 > last) this.#sink.gap(this.room, last + 1, next - 1);
    this.#last = next - 1;
    this.#drain();
  }

  #drain(): void {
    for (const seq of this.#buffer.keys()) if (seq <= this.#last!) this.#buffer.delete(seq);
    let next: MsgFrame | undefined;
    while ((next = this.#buffer.get(this.#last! + 1)) !== undefined) {
      this.#buffer.delete(next.seq);
      this.#last = next.seq;
      this.#sink.deliver(next);
    }
  }
}
