/**
 * The transport-agnostic chat core of one process: its sessions by nick and by room, and
 * the local half of fan-out. It never touches a socket (members are Sessions) and never
 * decides order: the bus sequences each message and hands it back here, on every process
 * with members in the room, to be encoded once and handed to each local member.
 */
import {
  TYPING_INTERVAL_MS,
  encodeMsgBody,
  type DmFrame,
  type Id,
  type PresenceFrame,
  type TypingFrame,
} from '@loopchat/protocol';
import type { Bus, BusSink, RoomSummary, SequencedMessage } from '../bus/bus.js';
import type { RoomCommand, RoomCommandOutcome, RoomEvent } from '../bus/room-commands.js';
import type { Config } from '../config.js';
import type { HistoryQuery } from '../history/history-store.js';
import { EncodedFrame } from './encoded-frame.js';
import { Room } from './room.js';
import type { Session } from './session.js';
import type { Stats } from './stats.js';

export class Hub implements BusSink {
  readonly bus: Bus;
  /** Rooms with members on this process. */
  readonly rooms = new Map<string, Room>();
  /** This process's sessions by lower-case nick. */
  readonly #nicks = new Map<string, Session>();
  readonly #config: Readonly<Config>;
  readonly #stats: Stats;

  constructor(config: Readonly<Config>, stats: Stats, bus: Bus) {
    this.#config = config;
    this.#stats = stats;
    this.bus = bus;
    bus.attach(this);
  }

  get nickCount(): number {
    return this.#nicks.size;
  }

  /** The session on this process holding `nick`, if any. */
  findNick(nick: string): Session | undefined {
    return this.#nicks.get(nick.toLowerCase());
  }

  /** Claims `nick` cluster-wide for `session`; false when someone holds it. */
  async register(session: Session, nick: string): Promise<boolean> {
    if (!(await this.bus.claimNick(nick))) return false;
    if (session.isClosing) {
      this.bus.release(nick, []);
      return false;
    }
    session.nick = nick;
    this.#nicks.set(nick.toLowerCase(), session);
    return true;
  }

  /**
   * Adds `session` to room `name` here at once (so a msg right behind the join is
   * accepted) and on the bus; resolves with the room's latest seq.
   */
  join(session: Session, name: string): Promise<number> | 'too_many_rooms' {
    let room = this.rooms.get(name);
    if (room?.members.has(session)) return this.bus.join(name, session.nick!, session.ip);
    if (session.rooms.size >= this.#config.maxRoomsPerConnection) return 'too_many_rooms';
    if (room === undefined) {
      room = new Room(name);
      this.rooms.set(name, room);
    }
    room.members.add(session);
    session.rooms.add(room);
    const joined = room;
    return this.bus.join(name, session.nick!, session.ip).catch((err: unknown) => {
      this.#removeMember(session, joined);
      throw err;
    });
  }

  /**
   * Renames `session` cluster-wide (unique like a claim), keeping its rooms, role and mutes
   * (the bus carries them); false when the nick is taken. A plain core operation: every
   * dialect (JSON `nick`, text `/nick`, IRC `NICK`) calls it.
   */
  async rename(session: Session, newNick: string): Promise<boolean> {
    const old = session.nick!;
    const rooms = [...session.rooms].map((room) => room.name);
    if (!(await this.bus.rename(old, newNick, rooms))) return false;
    if (session.isClosing) {
      // Closed while the bus renamed it: remove() freed the old nick; the new one goes too.
      this.bus.release(newNick, rooms);
      return false;
    }
    this.#nicks.delete(old.toLowerCase());
    session.nick = newNick;
    this.#nicks.set(newNick.toLowerCase(), session);
    session.ctx.filter.forget(old);
    return true;
  }

  /**
   * Runs a room moderation or topic command where the room's state lives (room-commands.ts):
   * the plain core operation behind JSON frames, text-mode commands and IRC's KICK, MODE and TOPIC.
   */
  roomCommand(command: RoomCommand): Promise<RoomCommandOutcome> {
    return this.bus.roomCommand(command);
  }

  leave(session: Session, room: Room): void {
    if (!room.members.has(session)) return;
    this.#removeMember(session, room);
    this.bus.leave(room.name, session.nick!);
  }

  /**
   * Takes every local member out of `room` at once (admin close). All leave locally before
   * any leaves on the bus, so they hear no presence about each other on the way out.
   */
  evict(room: Room): Session[] {
    const members = [...room.members];
    for (const member of members) this.#removeMember(member, room);
    for (const member of members) this.bus.leave(room.name, member.nick!);
    return members;
  }

  /**
   * Relays that `session` is typing in `room`, at most once per TYPING_INTERVAL_MS per
   * room: a client that reports every keystroke costs the room one event per interval.
   * Returns false when this one was dropped (it says nothing the last one did not).
   */
  typing(session: Session, room: Room, now = Date.now()): boolean {
    const last = room.typedAt.get(session);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) return false;
    room.typedAt.set(session, now);
    this.bus.typing(room.name, session.nick!);
    return true;
  }

  /** Encodes the message once, here, as the bytes every member will get (seq and ts aside). */
  publish(sender: Session, room: Room, text: string, id: Id | undefined, action = false): Promise<SequencedMessage> {
    // The message ends the sender's typing on every screen: typing again is news at once.
    if (room.typedAt.size > 0) room.typedAt.delete(sender);
    return this.bus.publish(room.name, sender.nick!, encodeMsgBody(room.name, sender.nick!, text, id, action));
  }

  dm(sender: Session, to: string, text: string, id: Id | undefined): Promise<DmFrame | undefined> {
    return this.bus.dm(sender.nick!, to, text, id);
  }

  /** Stores `session`'s read marker in `room` on the bus (where the room's seq lives). */
  markRead(session: Session, room: Room, seq: number): Promise<void> {
    return this.bus.markRead(room.name, session.nick!, seq);
  }

  readMarker(room: string, nick: string): Promise<number | undefined> {
    return this.bus.readMarker(room, nick);
  }

  history(room: string, query: HistoryQuery): Promise<Buffer[]> {
    return this.bus.history(room, query);
  }

  members(room: string): Promise<string[]> {
    return this.bus.members(room);
  }

  roomList(limit: number): Promise<RoomSummary[]> {
    return this.bus.rooms(limit);
  }

  /** Removes every trace of a closing session: local rooms, local nick, and on the bus. */
  remove(session: Session): void {
    const roomNames: string[] = [];
    for (const room of session.rooms) {
      roomNames.push(room.name);
      this.#removeMember(session, room);
    }
    if (session.nick === null) return;
    const key = session.nick.toLowerCase();
    if (this.#nicks.get(key) !== session) return;
    this.#nicks.delete(key);
    this.bus.release(session.nick, roomNames);
    session.ctx.filter.forget(session.nick);
  }

  // ── BusSink: sequenced events for this process's members ─────────────────────────

  /** Fan-out: the line as it came, a WebSocket frame built once, text rendered only if needed. */
  onMessage(msg: SequencedMessage): void {
    const room = this.rooms.get(msg.room);
    if (room === undefined) return;
    room.lastSeq = msg.seq;
    const encoded = EncodedFrame.fromLine(msg.line);
    let delivered = 0;
    for (const member of room.members) {
      if (member.nick === msg.from) continue;
      member.deliver(encoded);
      delivered++;
    }
    this.#stats.deliveries += delivered;
  }

  onPresence(presence: PresenceFrame): void {
    const room = this.rooms.get(presence.room);
    if (room === undefined) return;
    const encoded = new EncodedFrame(presence);
    // A renamer's own session may still carry the old nick when the event arrives.
    for (const member of room.members) {
      if (member.nick !== presence.nick && member.nick !== presence.old) member.deliver(encoded);
    }
  }

  /**
   * A room event (room-commands.ts): to every local member (or the one it is for), then the
   * members the room's state removed (kick, ban) leave the local room; they heard why first.
   */
  onRoomEvent(event: RoomEvent): void {
    const room = this.rooms.get(event.frame.room);
    if (room === undefined) return;
    const encoded = new EncodedFrame(event.frame);
    if (event.to === undefined) {
      // Its actor hears it in order with its own answers (the command's cause): a topic set
      // right after a join comes after the join's member list, as the actor wrote them.
      const { cause } = event;
      const actor = event.frame.by;
      for (const member of room.members) {
        if (cause !== undefined && member.nick === actor) member.deliverCaused(encoded, cause);
        else member.deliver(encoded);
      }
    } else {
      const target = this.findNick(event.to);
      if (target !== undefined && room.members.has(target)) target.deliver(encoded);
    }
    for (const nick of event.remove ?? []) {
      const member = this.findNick(nick);
      if (member === undefined || !room.members.has(member)) continue;
      this.#removeMember(member, room);
      if (member.currentRoom === room.name) member.currentRoom = [...member.rooms].at(-1)?.name ?? null;
    }
  }

  /** Text-mode members are skipped: their rendering of `typing` is empty (text-mode.ts). */
  onTyping(typing: TypingFrame): void {
    const room = this.rooms.get(typing.room);
    if (room === undefined) return;
    const encoded = new EncodedFrame(typing);
    for (const member of room.members) if (member.nick !== typing.nick && !member.isText) member.deliver(encoded);
  }

  onDm(dm: DmFrame): void {
    const target = this.#nicks.get(dm.to.toLowerCase());
    if (target === undefined) return;
    dm.to = target.nick!; // the spelling the target registered, whatever case the sender used
    // A text-mode user writing to themselves sees the echo of the command, in its turn among
    // the answers; the delivery would show the same line, possibly ahead of earlier answers.
    if (target.isText && dm.from.toLowerCase() === target.nick!.toLowerCase()) return;
    target.deliver(new EncodedFrame(dm, target.nick!));
    this.#stats.deliveries++;
  }

  onNickLost(nick: string): void {
    this.findNick(nick)?.closeWithError('nick_taken', 'your nick was claimed elsewhere while the bus was down; reconnect');
  }

  #removeMember(session: Session, room: Room): void {
    room.members.delete(session);
    room.typedAt.delete(session);
    session.rooms.delete(room);
    if (room.members.size === 0) this.rooms.delete(room.name);
  }
}
