/**
 * Catching up after the Redis subscriber reconnects. Pub/sub keeps nothing: what was
 * published while this instance's subscriber was away (or before it had resubscribed)
 * never arrives live, though the room's stream has it. So the bus remembers the last seq
 * it delivered per room, and after a reconnect reads the stream from there, holding live
 * messages for that room meanwhile and delivering both in seq order without duplicates.
 *
 * If Redis came back empty (no persistence), seqs start again at 1: a live message at or
 * below the last delivered seq, when the stream had nothing newer, starts a new epoch and
 * is delivered (clients see the seq go down, as README describes).
 */
/** What catching up needs of a message: its room and seq. */
export interface RoomMessage {
  readonly room: string;
  readonly seq: number;
}

export class RoomCatchUp<M extends RoomMessage> {
  readonly #deliver: (msg: M) => void;
  /** room → last seq delivered to this instance's members */
  readonly #last = new Map<string, number>();
  /** rooms catching up → live messages held until the stream has been read */
  readonly #held = new Map<string, M[]>();
  /**
   * room → highest seq a catch-up delivered from the stream. Pub/sub and the stream read
   * travel on different connections, so a message in both can arrive live after the read:
   * live messages up to this seq are dropped, until a newer one arrives.
   */
  readonly #guard = new Map<string, number>();

  constructor(deliver: (msg: M) => void) {
    this.#deliver = deliver;
  }

  /** A message from pub/sub. */
  live(msg: M): void {
    const held = this.#held.get(msg.room);
    if (held !== undefined) {
      held.push(msg);
      return;
    }
    const guard = this.#guard.get(msg.room);
    if (guard !== undefined) {
      if (msg.seq <= guard) return;
      this.#guard.delete(msg.room);
    }
    this.#last.set(msg.room, msg.seq);
    this.#deliver(msg);
  }

  /** Rooms to catch up on, each with the last seq delivered. */
  rooms(): [string, number][] {
    return [...this.#last];
  }

  /** Starts holding live messages of `room` until finish(). */
  begin(room: string): void {
    if (!this.#held.has(room)) this.#held.set(room, []);
  }

  /**
   * `missed`: the stream's messages after the last delivered seq, oldest first (undefined
   * when it could not be read: the held messages go out as they are).
   */
  finish(room: string, missed: readonly M[] | undefined): void {
    const held = this.#held.get(room) ?? [];
    this.#held.delete(room);
    let last = this.#last.get(room) ?? 0;
    const newEpoch = (missed === undefined || missed.length === 0) && held.length > 0 && held[0]!.seq <= last;
    if (newEpoch) last = 0;
    for (const msg of [...(missed ?? []), ...held]) {
      if (msg.seq <= last) continue;
      last = msg.seq;
      this.#deliver(msg);
    }
    if (last > 0) this.#last.set(room, last);
    if (missed !== undefined && missed.length > 0) this.#guard.set(room, last);
  }

  /** The room has no local members any more. */
  forget(room: string): void {
    this.#last.delete(room);
    this.#held.delete(room);
    this.#guard.delete(room);
  }
}
