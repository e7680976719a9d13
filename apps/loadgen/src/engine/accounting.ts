/**
 * Per-receiver sequence accounting from the server's room `seq`.
 *
 * Each connection is in one room and tracks the msg seqs it sees after `base` (the room's
 * latest seq when its join was answered):
 *
 *   seq == max+1          in order
 *   seq >  max+1          the seqs in between go to `missing` (except our own, known from acks)
 *   seq <= max, missing   a gap filled late: reorder (it is no longer missing)
 *   seq <= max, otherwise seen before: duplicate
 *
 * At the end the room's final seq F is known (the highest seq any process saw acked or
 * delivered for that room, merged across processes) and
 *   expected = F − base − own          (own: our messages, which loopchat does not echo)
 *   lost     = |missing| + (F − max − ownAbove)   (ownAbove: own seqs above max)
 * so messages lost at the very end of a run are counted too, not only gaps.
 */

/** What one receiver reports; `mergeAccounts` turns a list of them into totals. */
export interface ReceiverAccount {
  room: number;
  base: number;
  max: number;
  missing: number;
  /** Own acked seqs above `max` (they are not expected). */
  ownAbove: number;
  /** Own acked seqs in total (after base). */
  own: number;
  /** Distinct msg frames received (duplicates excluded). */
  unique: number;
  dup: number;
  reorder: number;
}

export class SeqTracker {
  readonly room: number;
  base = 0;
  max = 0;
  unique = 0;
  dup = 0;
  reorder = 0;
  own = 0;
  /** Created on the first gap: most receivers never see one. */
  #missing: Set<number> | null = null;
  /** Own seqs above `max`: when msgs pass them they are not gaps. */
  #ownAhead: Set<number> | null = null;

  constructor(room: number) {
    this.room = room;
  }

  /** The join was answered: the room was at `seq`. */
  start(seq: number): void {
    this.base = this.max = seq;
  }

  /** A msg frame with `seq` arrived. Returns false for a duplicate. */
  onMsg(seq: number): boolean {
    const max = this.max;
    if (seq === max + 1) {
      this.max = seq;
      this.unique++;
      if (this.#ownAhead !== null) this.#ownAhead.delete(seq);
      return true;
    }
    if (seq > max) {
      const own = this.#ownAhead;
      for (let k = max + 1; k < seq; k++) {
        if (own !== null && own.delete(k)) continue;
        (this.#missing ??= new Set()).add(k);
      }
      own?.delete(seq);
      this.max = seq;
      this.unique++;
      return true;
    }
    if (seq > this.base && this.#missing !== null && this.#missing.delete(seq)) {
      this.reorder++;
      this.unique++;
      return true;
    }
    this.dup++;
    return false;
  }

  /** Our own message got `seq` (loopchat acks carry it; the message is not echoed to us). */
  onOwn(seq: number): void {
    if (seq <= this.base) return;
    this.own++;
    if (seq > this.max) (this.#ownAhead ??= new Set()).add(seq);
    else this.#missing?.delete(seq);
  }

  account(): ReceiverAccount {
    return {
      room: this.room,
      base: this.base,
      max: this.max,
      missing: this.#missing?.size ?? 0,
      ownAbove: this.#ownAhead?.size ?? 0,
      own: this.own,
      unique: this.unique,
      dup: this.dup,
      reorder: this.reorder,
    };
  }
}

export interface AccountTotals {
  expected: number;
  delivered: number;
  lost: number;
  dup: number;
  reorder: number;
  /** Rooms where something was lost, duplicated or reordered (first 20). */
  badRooms: number[];
}

/**
 * Totals over every receiver of every process. `roomMax` holds, per room, the highest seq
 * any process saw (acked or delivered); a room absent from it had no traffic.
 */
export function mergeAccounts(accounts: Iterable<ReceiverAccount>, roomMax: ReadonlyMap<number, number>): AccountTotals {
  const t: AccountTotals = { expected: 0, delivered: 0, lost: 0, dup: 0, reorder: 0, badRooms: [] };
  for (const a of accounts) {
    const final = Math.max(roomMax.get(a.room) ?? 0, a.max);
    const expected = Math.max(0, final - a.base - a.own);
    const lost = a.missing + Math.max(0, final - a.max - a.ownAbove);
    t.expected += expected;
    t.delivered += a.unique;
    t.lost += lost;
    t.dup += a.dup;
    t.reorder += a.reorder;
    if ((lost > 0 || a.dup > 0 || a.reorder > 0) && t.badRooms.length < 20 && !t.badRooms.includes(a.room)) {
      t.badRooms.push(a.room);
    }
  }
  return t;
}

/** Highest seq per room over several processes' reports. */
export function mergeRoomMax(target: Map<number, number>, entries: Iterable<[number, number]>): Map<number, number> {
  for (const [room, seq] of entries) if (seq > (target.get(room) ?? 0)) target.set(room, seq);
  return target;
}
