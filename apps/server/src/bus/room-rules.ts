/**
 * One room's roles and restrictions (issue 16): its operators, bans (by nick, and by address
 * for server admins), mutes, slow mode and topic. ChatState owns one per room and asks it
 * before a join or a message; it holds no sockets and routes nothing.
 *
 * Nicks are unique ignoring case, so every list is keyed by the lower-case nick. Bans and
 * mutes expire at a time (ms since the epoch; Infinity: until lifted) and are dropped when
 * found expired or at the sweep. Every list is bounded (MAX_LIST_ENTRIES): an operator
 * cannot make the server hold an unbounded set of names.
 */
import type { TopicFrame } from '@loopchat/protocol';
import type { Actor } from './room-commands.js';

/** Most bans (nick and address together) or mutes one room holds. */
export const MAX_LIST_ENTRIES = 1000;

/** The persisted form of a room's rules (history-store roomMeta 'rules'); expiries in ms, -1 for none. */
interface RulesRecord {
  ops?: string[];
  bans?: [string, number][];
  mutes?: [string, number][];
  slow?: number;
  topic?: TopicFrame;
}

export class RoomRules {
  /** lower-case nick → nick as registered */
  readonly #ops = new Map<string, string>();
  /** lower-case nick or address → expiry */
  readonly #bans = new Map<string, number>();
  readonly #mutes = new Map<string, number>();
  /** Slow mode: ms a member waits between messages (0: off). */
  slowMs = 0;
  /** lower-case nick → when its last message was accepted (slow mode only). */
  readonly #lastSent = new Map<string, number>();
  topic: TopicFrame | undefined;

  /** Whether a message needs its sender checked: true only while mutes or slow mode exist (the hot path skips the rest). */
  get restricts(): boolean {
    return this.#mutes.size > 0 || this.slowMs > 0;
  }

  isOp(nick: string): boolean {
    return this.#ops.has(nick.toLowerCase());
  }

  /** Server admins operate every room; room operators theirs. */
  mayModerate(actor: Actor): boolean {
    return actor.admin || this.isOp(actor.nick);
  }

  /** Sets or clears op; whether anything changed. */
  setOp(nick: string, op: boolean): boolean {
    const key = nick.toLowerCase();
    if (op === this.#ops.has(key)) return false;
    if (op) this.#ops.set(key, nick);
    else this.#ops.delete(key);
    return true;
  }

  get ops(): string[] {
    return [...this.#ops.values()];
  }

  isBanned(nick: string, ip: string | undefined, now: number): boolean {
    return active(this.#bans, nick.toLowerCase(), now) || (ip !== undefined && active(this.#bans, ip, now));
  }

  /** Bans a nick or an address until `until`; false when the list is full. */
  ban(target: string, until: number): boolean {
    return put(this.#bans, target.toLowerCase(), until);
  }

  unban(target: string): boolean {
    return this.#bans.delete(target.toLowerCase());
  }

  mute(nick: string, until: number): boolean {
    return put(this.#mutes, nick.toLowerCase(), until);
  }

  unmute(nick: string): boolean {
    return this.#mutes.delete(nick.toLowerCase());
  }

  /**
   * Whether `nick` may send now, and if so counts the message for slow mode (the caller
   * sequences it at once). Operators are exempt from slow mode, never from a mute.
   */
  refusal(nick: string, now: number): 'muted' | 'slow_mode' | undefined {
    const key = nick.toLowerCase();
    if (active(this.#mutes, key, now)) return 'muted';
    if (this.slowMs === 0 || this.#ops.has(key)) return undefined;
    const last = this.#lastSent.get(key);
    if (last !== undefined && now - last < this.slowMs) return 'slow_mode';
    this.#lastSent.set(key, now);
    return undefined;
  }

  /** Slow mode changed: past messages no longer count. */
  setSlow(seconds: number): void {
    this.slowMs = seconds * 1000;
    this.#lastSent.clear();
  }

  /**
   * A member changed its nick: its role, its mute and its slow-mode clock follow it (no
   * escape by renaming). Whether a persisted rule changed (role or mute).
   */
  rename(oldNick: string, newNick: string): boolean {
    const from = oldNick.toLowerCase();
    const to = newNick.toLowerCase();
    const op = this.#ops.delete(from);
    if (op) this.#ops.set(to, newNick);
    move(this.#lastSent, from, to);
    return move(this.#mutes, from, to) || op;
  }

  /**
   * The rules to keep with the room's history (roles persist wherever history persists);
   * undefined when there is nothing to keep. Slow-mode clocks are not kept: they are seconds.
   */
  serialize(): string | undefined {
    const record: RulesRecord = {};
    if (this.#ops.size > 0) record.ops = [...this.#ops.values()];
    if (this.#bans.size > 0) record.bans = [...this.#bans].map(([k, until]) => [k, until === Infinity ? -1 : until]);
    if (this.#mutes.size > 0) record.mutes = [...this.#mutes].map(([k, until]) => [k, until === Infinity ? -1 : until]);
    if (this.slowMs > 0) record.slow = this.slowMs / 1000;
    if (this.topic !== undefined) record.topic = this.topic;
    return Object.keys(record).length === 0 ? undefined : JSON.stringify(record);
  }

  /** Rules as serialize() kept them (none: a room without rules). */
  static restore(serialized: string | undefined): RoomRules {
    const rules = new RoomRules();
    if (serialized === undefined) return rules;
    const record = JSON.parse(serialized) as RulesRecord;
    for (const nick of record.ops ?? []) rules.setOp(nick, true);
    for (const [key, until] of record.bans ?? []) rules.#bans.set(key, until === -1 ? Infinity : until);
    for (const [key, until] of record.mutes ?? []) rules.#mutes.set(key, until === -1 ? Infinity : until);
    rules.slowMs = (record.slow ?? 0) * 1000;
    rules.topic = record.topic;
    return rules;
  }

  /** A member left: its slow-mode clock goes (what it would guard is gone with it). */
  left(nick: string): void {
    this.#lastSent.delete(nick.toLowerCase());
  }

  /** Drops expired bans and mutes, and slow-mode clocks past their interval. */
  sweep(now: number): void {
    for (const [key, until] of this.#bans) if (until <= now) this.#bans.delete(key);
    for (const [key, until] of this.#mutes) if (until <= now) this.#mutes.delete(key);
    for (const [key, at] of this.#lastSent) if (now - at >= this.slowMs) this.#lastSent.delete(key);
  }
}

/** The expiry for `minutes` from now; none: until lifted. */
export function expiryOf(minutes: number | undefined, now: number): number {
  return minutes === undefined ? Infinity : now + minutes * 60_000;
}

function active(list: Map<string, number>, key: string, now: number): boolean {
  const until = list.get(key);
  if (until === undefined) return false;
  if (until > now) return true;
  list.delete(key);
  return false;
}

function put(list: Map<string, number>, key: string, until: number): boolean {
  if (!list.has(key) && list.size >= MAX_LIST_ENTRIES) return false;
  list.set(key, until);
  return true;
}

function move<V>(list: Map<string, V>, from: string, to: string): boolean {
  const value = list.get(from);
  if (value === undefined) return false;
  list.delete(from);
  list.set(to, value);
  return true;
}
