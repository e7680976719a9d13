/**
 * The one place a chat decision is made: nick ownership, room member lists, each room's
 * seq and history. A single process runs it behind LocalBus; a cluster runs it in the
 * primary behind IPC. Members are tracked by nick with the *owner* (the process holding
 * the socket), so events are routed only to processes with members in the room, and a
 * crashed worker's nicks and memberships can be dropped in one call.
 */
import {
  msgTailLength,
  writeMsgTail,
  readMsgFrom,
  readMsgLine,
  type DmFrame,
  type Id,
  type PresenceFrame,
  type TypingFrame,
} from '@loopchat/protocol';
import { LineSlab, type LineRef } from '../core/line-slab.js';
import { HistoryStoreError } from '../history/errors.js';
import type { HistoryQuery, HistoryStore } from '../history/history-store.js';
import type { RoomSummary } from './bus.js';
import { MemoryReadMarkers, type ReadMarkerStore } from '../history/read-markers.js';
import type { RoomCommand, RoomCommandOutcome, RoomEvent, RoomRefusal } from './room-commands.js';
import { runRoomCommand } from './room-command-runner.js';
import { RoomRules } from './room-rules.js';
import { RoomNameIndex } from './room-name-index.js';

/** Room for lines, each `size` bytes, uninitialised, which the caller fills at once (ChatState's `turnLines`). */
export interface LineSpace {
  reserve(size: number): LineRef;
}

/** A message as sequenced here: its line is a range of the room's slab (line-slab.ts) or of the router's LineSpace. */
export interface StoredMessage {
  readonly room: string;
  readonly from: string;
  readonly seq: number;
  readonly line: LineRef;
}

export type BusEvent =
  | { t: 'msg'; msg: StoredMessage }
  | { t: 'presence'; p: PresenceFrame }
  | { t: 'typing'; p: TypingFrame }
  | { t: 'dm'; dm: DmFrame }
  | { t: 'room'; e: RoomEvent };

/** Why a publish was not sequenced. */
export type PublishRefusal = 'no_room' | Extract<RoomRefusal, 'muted' | 'slow_mode' | 'not_in_room'>;

/** A message body (encodeMsgBody's output): a string in one process, bytes off the cluster's data plane. */
export type MsgBody = string | { bytes: Buffer; start: number; end: number };

/** Delivers an event to the process `owner`. */
export type EventRouter = (owner: string, event: BusEvent) => void;

export interface ChatStateLimits {
  maxRooms: number;
  emptyRoomTtlMs: number;
  /** Rooms larger than this announce no joins and leaves (`who` still lists members). */
  presenceMaxMembers: number;
  /** Who operates a new room. @default 'first' */
  roomOps?: 'first' | 'none';
}

/**
 * Who holds a nick: its spelling as registered, the process with its socket, and the address
 * it joins rooms from (bans by address). The address is kept here, once per connection, not
 * in every room it joins: a map per room cost each member another hash-table entry.
 */
interface NickHolder {
  readonly nick: string;
  readonly owner: string;
  ip: string | undefined;
}

/** The history store's room metadata key for a room's rules (room-rules.ts serialize()). */
const RULES_META = 'rules';

/** @internal What room-command-runner.ts works on. */
export class RoomState {
  readonly name: string;
  seq: number;
  /** Where the bytes of its message lines live until they are delivered and stored. */
  readonly lines = new LineSlab();
  /** nick → owner */
  readonly members = new Map<string, string>();
  /** owner → members it holds, so events go only where they are needed */
  readonly owners = new Map<string, number>();
  /** The keys of `owners`, as an array: a message is routed to each without a Map iterator. */
  readonly ownerList: string[] = [];
  /** The first seq of the room's messages waiting for the store's commit (0: none). */
  uncommittedFrom = 0;
  readonly rules: RoomRules;
  emptySince = 0;

  constructor(name: string, seq: number, rules: RoomRules) {
    this.name = name;
    this.rules = rules;
    this.seq = seq;
  }
}

export class ChatState {
  readonly #limits: ChatStateLimits;
  readonly #route: EventRouter;
  readonly #store: HistoryStore;
  /** Rooms with messages waiting for the store's commit (each with its uncommittedFrom). */
  #batch: RoomState[] = [];
  readonly #rooms = new Map<string, RoomState>();
  /** The rooms by the bytes of their names (publishNamed). */
  readonly #byNameBytes = new RoomNameIndex<RoomState>();
  /** lower-case nick → its holder (a nick already lower-case is its own key: no second string) */
  readonly #nicks = new Map<string, NickHolder>();
  readonly #markers: ReadMarkerStore;
  /** The cause of the room command running now (RoomCommand.cause), for the events it makes. */
  #cause: number | undefined;
  /** Where lines are written when nothing holds them past the commit (see the constructor). */
  readonly #turnLines: LineSpace | undefined;

  /**
   * `markers`: where read markers live (the SQLite store keeps them across restarts).
   * `turnLines`: where the router wants each message's line written, valid until the store's
   * next commit (the cluster primary's outbox: the line is its Msg record's); used over a
   * store that copies lines at its commit rather than keeping them. Elsewhere a line goes to
   * its room's slab (line-slab.ts), where sessions' queues and a memory store keep it.
   */
  constructor(
    limits: ChatStateLimits,
    route: EventRouter,
    store: HistoryStore,
    markers: ReadMarkerStore = store.readMarkers ?? new MemoryReadMarkers(),
    turnLines?: LineSpace,
  ) {
    this.#limits = limits;
    this.#route = route;
    this.#store = store;
    this.#markers = markers;
    if (store.durable && !store.keepsLines) this.#turnLines = turnLines;
  }

  /** The history store (its epoch goes to clients). */
  get store(): HistoryStore {
    return this.#store;
  }

  /** Whether messages sequenced this turn wait for commit() (a durable store). */
  get uncommitted(): boolean {
    return this.#batch.length > 0;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Whether the room exists (with members, or empty but keeping its history). */
  hasRoom(name: string): boolean {
    return this.#rooms.has(name);
  }

  claimNick(nick: string, owner: string): boolean {
    const key = nick.toLowerCase();
    if (this.#nicks.has(key)) return false;
    this.#nicks.set(key, { nick, owner, ip: undefined });
    return true;
  }

  /** Frees `nick` (if `owner` holds it) and takes it out of `rooms`: its connection ended, a quit. */
  release(nick: string, rooms: readonly string[], owner: string): void {
    for (const room of rooms) this.leave(room, nick, true);
    const key = nick.toLowerCase();
    if (this.#nicks.get(key)?.owner === owner) this.#nicks.delete(key);
  }

  /**
   * Adds a member; returns the room's latest seq, or why not. `ip` is the joiner's address
   * (bans by address). The first member of a new room, or of an empty one left without an
   * operator, becomes its operator (`roomOps: 'first'`); a joiner gets the topic, if set.
   * A room new to memory reads its last seq from the store (so seqs continue after a
   * restart); that read may throw HistoryStoreError.
   */
  join(name: string, nick: string, owner: string, ip?: string): number | 'too_many_rooms' | 'banned' {
    let room = this.#rooms.get(name);
    if (room === undefined) {
      if (this.#rooms.size >= this.#limits.maxRooms && !this.#evictOneEmptyRoom()) return 'too_many_rooms';
      room = new RoomState(name, this.#store.lastSeq(name), RoomRules.restore(this.#store.roomMeta(name, RULES_META)));
      this.#rooms.set(name, room);
      this.#byNameBytes.add(room);
    }
    if (room.members.has(nick)) return room.seq;
    if (room.rules.isBanned(nick, ip, Date.now())) return 'banned';
    if (room.members.size < this.#limits.presenceMaxMembers) {
      this.#broadcast(room, { t: 'presence', p: { type: 'presence', room: name, nick, event: 'join' } });
    }
    if (room.members.size === 0 && room.rules.ops.length === 0 && this.#limits.roomOps !== 'none') {
      room.rules.setOp(nick, true);
      this.saveRules(room);
    }
    room.members.set(nick, owner);
    const holder = this.#nicks.get(nick.toLowerCase());
    if (holder !== undefined && ip !== undefined) holder.ip = ip;
    const held = room.owners.get(owner) ?? 0;
    room.owners.set(owner, held + 1);
    if (held === 0) room.ownerList.push(owner);
    room.emptySince = 0;
    const topic = room.rules.topic;
    if (topic !== undefined) this.#route(owner, { t: 'room', e: { frame: topic, to: nick } });
    return room.seq;
  }

  /** `quit`: the member's connection ended (release, a dead process), and its presence says so. */
  leave(name: string, nick: string, quit = false): void {
    const room = this.#rooms.get(name);
    if (room !== undefined) this.removeMember(room, nick, true, quit);
  }

  /** @internal Takes `nick` out of `room`; `announce`: with presence (a kick or ban announces itself). */
  removeMember(room: RoomState, nick: string, announce: boolean, quit = false): void {
    const owner = room.members.get(nick);
    if (owner === undefined) return;
    room.members.delete(nick);
    room.rules.left(nick);
    const left = room.owners.get(owner)! - 1;
    if (left === 0) {
      room.owners.delete(owner);
      room.ownerList.splice(room.ownerList.indexOf(owner), 1);
    } else room.owners.set(owner, left);
    if (room.members.size === 0) room.emptySince = Date.now();
    else if (announce && room.members.size < this.#limits.presenceMaxMembers) {
      const p: PresenceFrame = { type: 'presence', room: room.name, nick, event: 'leave' };
      if (quit) p.quit = true;
      this.#broadcast(room, { t: 'presence', p });
    }
  }

  /**
   * Renames a connected nick (case-insensitively unique, like claimNick) and carries its
   * memberships, role, mute and slow-mode clock to the new nick; each room hears a presence
   * `rename`. False when `newNick` is taken or `oldNick` is not `owner`'s.
   */
  rename(oldNick: string, newNick: string, rooms: readonly string[], owner: string): boolean {
    const oldKey = oldNick.toLowerCase();
    const newKey = newNick.toLowerCase();
    const holder = this.#nicks.get(oldKey);
    if (holder?.owner !== owner || (newKey !== oldKey && this.#nicks.has(newKey))) return false;
    this.#nicks.delete(oldKey);
    this.#nicks.set(newKey, { nick: newNick, owner, ip: holder.ip });
    for (const name of rooms) {
      const room = this.#rooms.get(name);
      if (room === undefined || !room.members.has(oldNick)) continue;
      room.members.delete(oldNick);
      room.members.set(newNick, owner);
      if (room.rules.rename(oldNick, newNick)) this.saveRules(room);
      if (room.members.size < this.#limits.presenceMaxMembers) {
        const p: PresenceFrame = { type: 'presence', room: name, nick: newNick, event: 'rename', old: oldNick };
        this.#broadcast(room, { t: 'presence', p });
      }
    }
    return true;
  }

  /** Runs an operator's (or a member's) room command; room-command-runner.ts decides. */
  roomCommand(command: RoomCommand): RoomCommandOutcome {
    const room = this.#rooms.get(command.room);
    if (room === undefined) return { ok: false, refusal: 'not_in_room' };
    // The events it makes carry its cause (broadcastRoomEvent): the command runs synchronously.
    this.#cause = command.cause;
    try {
      return runRoomCommand(this, room, command, Date.now());
    } finally {
      this.#cause = undefined;
    }
  }

  /** @internal The nick as registered, for a nick typed in any case (undefined: not connected). */
  registeredNick(nick: string): string | undefined {
    return this.#nicks.get(nick.toLowerCase())?.nick;
  }

  /** @internal The address a connected nick joined rooms from, if its process gave one. */
  addressOf(nick: string): string | undefined {
    return this.#nicks.get(nick.toLowerCase())?.ip;
  }

  /** @internal Keeps the room's roles, bans, mutes, slow mode and topic with its history (the store's room metadata). */
  saveRules(room: RoomState): void {
    this.#store.setRoomMeta(room.name, RULES_META, room.rules.serialize());
  }

  /** @internal Sends a room event to every process with members in `room`. */
  broadcastRoomEvent(room: RoomState, event: RoomEvent): void {
    if (this.#cause !== undefined) event.cause = this.#cause;
    this.#broadcast(room, { t: 'room', e: event });
  }

  /**
   * Relays that `nick` is typing to the processes with members, in a room no larger than
   * the presence limit (the same rule as joins and leaves: in a big room it is noise).
   */
  typing(name: string, nick: string): void {
    const room = this.#rooms.get(name);
    if (room === undefined || !room.members.has(nick) || room.members.size > this.#limits.presenceMaxMembers) return;
    this.#broadcast(room, { t: 'typing', p: { type: 'typing', room: name, nick } });
  }

  /**
   * Sequences a message: appends seq and time to its body (no parsing, msg-line.ts), keeps
   * the line, and routes it to every process with members (the sender's included).
   */
  publish(name: string, from: string, body: MsgBody): StoredMessage | PublishRefusal {
    const room = this.#rooms.get(name);
    return room === undefined ? 'no_room' : this.#publish(room, from, body);
  }

  /**
   * publish() for a room named by latin1 bytes, `nameBytes[start, end)` (the cluster primary
   * reads them from a worker's record): found without making a string of them.
   */
  publishNamed(nameBytes: Buffer, start: number, end: number, from: string, body: MsgBody): StoredMessage | PublishRefusal {
    const room = this.#byNameBytes.find(nameBytes, start, end);
    return room === undefined
      ? this.publish(nameBytes.toString('latin1', start, end), from, body)
      : this.#publish(room, from, body);
  }

  #publish(room: RoomState, from: string, body: MsgBody): StoredMessage | PublishRefusal {
    const now = Date.now();
    if (room.rules.restricts) {
      const refusal = this.#refusal(room, from, body, now);
      if (refusal !== undefined) return refusal;
    }
    const seq = room.seq + 1;
    const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body) : body.end - body.start;
    const lineBytes = bodyBytes + msgTailLength(seq, now);
    const line = this.#turnLines?.reserve(lineBytes) ?? room.lines.reserve(lineBytes);
    if (typeof body === 'string') line.buf.write(body, line.start);
    else body.bytes.copy(line.buf, line.start, body.start, body.end);
    writeMsgTail(line.buf, line.start + bodyBytes, seq, now);
    room.seq = seq;
    // The room's own name, not the caller's copy (a string made per call, publishNamed's
    // fallback): a durable store keeps the name for as long as the line is unfolded.
    this.#store.append(room.name, seq, now, line);
    if (this.#store.durable && room.uncommittedFrom === 0) {
      room.uncommittedFrom = seq;
      this.#batch.push(room);
    }
    const msg: StoredMessage = { room: room.name, from, seq, line };
    this.#broadcast(room, { t: 'msg', msg });
    return msg;
  }

  /**
   * Mutes and slow mode, for rooms that have either. The sender is read from the body when
   * the caller does not name it (the cluster primary forwards bodies without reading them).
   */
  #refusal(room: RoomState, from: string, body: MsgBody, now: number): PublishRefusal | undefined {
    const nick =
      from !== ''
        ? from
        : typeof body === 'string'
          ? readMsgFrom(Buffer.from(body), 0, Buffer.byteLength(body))
          : readMsgFrom(body.bytes, body.start, body.end);
    if (nick === undefined || !room.members.has(nick)) return 'not_in_room';
    return room.rules.refusal(nick, now);
  }

  /** Stores `nick`'s read marker in `name`; false when the room does not exist (nothing stored). */
  markRead(name: string, nick: string, seq: number): boolean {
    if (!this.#rooms.has(name)) return false;
    this.#markers.set(name, nick, seq);
    return true;
  }

  readMarker(name: string, nick: string): number | undefined {
    return this.#markers.get(name, nick);
  }

  dm(from: string, to: string, text: string, id: Id | undefined): DmFrame | undefined {
    const target = this.#nicks.get(to.toLowerCase());
    if (target === undefined) return undefined;
    const dm: DmFrame = { type: 'dm', from, to: target.nick, text, ts: Date.now() };
    if (id !== undefined) dm.id = id;
    this.#route(target.owner, { t: 'dm', dm });
    return dm;
  }

  /**
   * Makes this turn's messages durable (one transaction). On failure none of them is stored:
   * their seqs are given again (no one saw them: the bus delivers only after this), and the
   * error is returned for the bus to fail their publishes with `unavailable`.
   */
  commit(): HistoryStoreError | undefined {
    const batch = this.#batch;
    if (batch.length === 0) return undefined;
    this.#batch = [];
    try {
      this.#store.commit();
      return undefined;
    } catch (err) {
      for (const room of batch) room.seq = room.uncommittedFrom - 1;
      return err instanceof HistoryStoreError ? err : new HistoryStoreError('HISTORY_WRITE_FAILED', String(err));
    } finally {
      for (const room of batch) room.uncommittedFrom = 0;
    }
  }

  /** Stored lines of `room` (oldest first); throws HistoryStoreError when the store cannot read. */
  history(name: string, query: HistoryQuery): Buffer[] {
    return this.#store.read(name, query);
  }

  /** @internal The stored line of message `seq` of `name`, if retained (a deletion reads it). */
  storedLine(name: string, seq: number): Buffer | undefined {
    const line = this.#store.read(name, { since: seq - 1, limit: 1 })[0];
    return line !== undefined && readMsgLine(line)?.seq === seq ? line : undefined;
  }

  /** @internal Puts `line` in the place of stored message `seq` (a deletion's tombstone). */
  replaceLine(name: string, seq: number, line: Buffer): boolean {
    return this.#store.replace(name, seq, line);
  }

  members(name: string): string[] {
    return [...(this.#rooms.get(name)?.members.keys() ?? [])];
  }

  rooms(limit: number): RoomSummary[] {
    const active: RoomSummary[] = [];
    for (const room of this.#rooms.values())
      if (room.members.size > 0) active.push({ room: room.name, members: room.members.size });
    return active.sort((a, b) => b.members - a.members).slice(0, limit);
  }

  /** A process died: everything it held goes, and the rooms hear its members quit (their connections ended). */
  dropOwner(owner: string): number {
    let dropped = 0;
    for (const [key, entry] of this.#nicks) {
      if (entry.owner !== owner) continue;
      this.#nicks.delete(key);
      dropped++;
    }
    for (const room of this.#rooms.values()) {
      if (!room.owners.has(owner)) continue;
      for (const [nick, memberOwner] of room.members) if (memberOwner === owner) this.leave(room.name, nick, true);
    }
    return dropped;
  }

  /**
   * Forgets rooms empty for longer than the TTL (their rules go with them, and their history
   * with a memory store); expires bans and mutes.
   */
  sweep(now: number): void {
    for (const room of this.#rooms.values()) {
      if (room.emptySince !== 0 && now - room.emptySince >= this.#limits.emptyRoomTtlMs) this.#forget(room);
      else room.rules.sweep(now);
    }
  }

  #broadcast(room: RoomState, event: BusEvent): void {
    const owners = room.ownerList;
    for (let i = 0; i < owners.length; i++) this.#route(owners[i]!, event);
  }

  /** At the room cap, the longest-empty room makes way for a new one. */
  #evictOneEmptyRoom(): boolean {
    let oldest: RoomState | undefined;
    for (const room of this.#rooms.values()) {
      if (room.emptySince !== 0 && (oldest === undefined || room.emptySince < oldest.emptySince)) oldest = room;
    }
    if (oldest === undefined) return false;
    this.#forget(oldest);
    return true;
  }

  /**
   * A room leaves memory. A memory store forgets its history and the room's seq starts over,
   * so its read markers would point past messages to come: they go too. A durable store
   * keeps the seq going, and the markers stay valid (MemoryReadMarkers caps them overall).
   */
  #forget(room: RoomState): void {
    this.#rooms.delete(room.name);
    this.#byNameBytes.delete(room);
    this.#store.forget(room.name);
    if (!this.#store.durable) this.#markers.dropRoom(room.name);
  }
}
