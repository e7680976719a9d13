/**
 * The transport-agnostic chat core: nicks, rooms, the per-room total order, fan-out.
 * It never touches a socket: members are Sessions, and a broadcast is one EncodedFrame
 * handed to every member (encode once, write many; see encoded-frame.ts).
 *
 * In a single process the hub is also where each room's seq is assigned, so the order
 * in which `publish` runs is the room's total order.
 */
import type { DmFrame, Id, MsgFrame, PresenceFrame } from '@loopchat/protocol';
import type { Config } from '../config.js';
import { EncodedFrame } from './encoded-frame.js';
import { Room } from './room.js';
import type { Session } from './session.js';
import type { Stats } from './stats.js';

export class Hub {
  readonly rooms = new Map<string, Room>();
  readonly #nicks = new Map<string, Session>();
  readonly #config: Readonly<Config>;
  readonly #stats: Stats;

  constructor(config: Readonly<Config>, stats: Stats) {
    this.#config = config;
    this.#stats = stats;
  }

  get nickCount(): number {
    return this.#nicks.size;
  }

  /** Claims `nick` for `session`; false when another session holds it (case-insensitively). */
  claimNick(session: Session, nick: string): boolean {
    const key = nick.toLowerCase();
    if (this.#nicks.has(key)) return false;
    this.#nicks.set(key, session);
    return true;
  }

  findNick(nick: string): Session | undefined {
    return this.#nicks.get(nick.toLowerCase());
  }

  /** Adds `session` to `name`, creating the room; returns the room or why it could not. */
  join(session: Session, name: string): Room | 'too_many_rooms' {
    let room = this.rooms.get(name);
    if (room?.members.has(session)) return room;
    if (session.rooms.size >= this.#config.maxRoomsPerConnection) return 'too_many_rooms';
    if (room === undefined) {
      if (this.rooms.size >= this.#config.maxRooms && !this.#evictOneEmptyRoom()) return 'too_many_rooms';
      room = new Room(name, this.#config.historySize);
      this.rooms.set(name, room);
    }
    this.#broadcastPresence(room, session.nick!, 'join');
    room.members.add(session);
    room.emptySince = 0;
    session.rooms.add(room);
    return room;
  }

  leave(session: Session, room: Room): void {
    if (!room.members.delete(session)) return;
    session.rooms.delete(room);
    if (room.members.size === 0) room.emptySince = Date.now();
    else this.#broadcastPresence(room, session.nick!, 'leave');
  }

  /** Sequences a message into `room` and fans it out to every other member. */
  publish(sender: Session, room: Room, text: string, id: Id | undefined): EncodedFrame {
    const msg: MsgFrame = { type: 'msg', room: room.name, from: sender.nick!, text, seq: room.seq + 1, ts: Date.now() };
    if (id !== undefined) msg.id = id;
    room.seq = msg.seq;
    room.history.push(msg);
    const encoded = new EncodedFrame(msg);
    for (const member of room.members) if (member !== sender) member.deliver(encoded);
    this.#stats.deliveries += room.members.size - (room.members.has(sender) ? 1 : 0);
    return encoded;
  }

  /** Delivers a direct message; returns the frame, or undefined when `to` is not connected. */
  dm(sender: Session, to: string, text: string, id: Id | undefined): DmFrame | undefined {
    const target = this.findNick(to);
    if (target === undefined) return undefined;
    const dm: DmFrame = { type: 'dm', from: sender.nick!, to: target.nick!, text, ts: Date.now() };
    if (id !== undefined) dm.id = id;
    target.deliver(new EncodedFrame(dm, target.nick!));
    this.#stats.deliveries++;
    return dm;
  }

  /** Removes every trace of a closed session: rooms (with presence), nick. */
  remove(session: Session): void {
    for (const room of session.rooms) this.leave(session, room);
    if (session.nick !== null && this.#nicks.get(session.nick.toLowerCase()) === session) {
      this.#nicks.delete(session.nick.toLowerCase());
    }
  }

  /** Forgets rooms that have been empty for longer than the TTL (their history goes with them). */
  sweepEmptyRooms(now: number): void {
    for (const [name, room] of this.rooms) {
      if (room.emptySince !== 0 && now - room.emptySince >= this.#config.emptyRoomTtlMs) this.rooms.delete(name);
    }
  }

  /** At the room cap, the longest-empty room makes way for a new one. */
  #evictOneEmptyRoom(): boolean {
    let oldest: Room | undefined;
    for (const room of this.rooms.values()) {
      if (room.emptySince !== 0 && (oldest === undefined || room.emptySince < oldest.emptySince)) oldest = room;
    }
    if (oldest === undefined) return false;
    this.rooms.delete(oldest.name);
    return true;
  }

  #broadcastPresence(room: Room, nick: string, event: PresenceFrame['event']): void {
    if (room.members.size === 0) return;
    const encoded = new EncodedFrame({ type: 'presence', room: room.name, nick, event });
    for (const member of room.members) member.deliver(encoded);
  }
}
