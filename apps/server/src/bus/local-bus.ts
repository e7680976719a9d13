/**
 * The bus of a single process: ChatState in-process, events straight to the Hub. Every
 * promise is already settled when returned, so a message is fanned out before publish()
 * returns and the sender's ack follows in the same turn.
 */
import type { DmFrame, Id } from '@loopchat/protocol';
import { RoomLimitError, type Bus, type BusSink, type RoomSummary, type SequencedMessage } from './bus.js';
import { lineBytes } from '../core/line-slab.js';
import { ChatState, type BusEvent, type ChatStateLimits, type StoredMessage } from './chat-state.js';
import { RoomRefusedError, type RoomCommand, type RoomCommandOutcome } from './room-commands.js';

const SELF = 'local';

export class LocalBus implements Bus {
  readonly kind = 'local';
  readonly ready = true;
  readonly state: ChatState;
  #sink: BusSink | undefined;

  constructor(limits: ChatStateLimits) {
    this.state = new ChatState(limits, (_owner, event) => this.#deliver(event));
  }

  attach(sink: BusSink): void {
    this.#sink = sink;
  }

  claimNick(nick: string): Promise<boolean> {
    return Promise.resolve(this.state.claimNick(nick, SELF));
  }

  release(nick: string, rooms: readonly string[]): void {
    this.state.release(nick, rooms, SELF);
  }

  join(room: string, nick: string, ip?: string): Promise<number> {
    const seq = this.state.join(room, nick, SELF, ip);
    if (seq === 'too_many_rooms') return Promise.reject(new RoomLimitError());
    return seq === 'banned' ? Promise.reject(new RoomRefusedError(seq)) : Promise.resolve(seq);
  }

  rename(oldNick: string, newNick: string, rooms: readonly string[]): Promise<boolean> {
    return Promise.resolve(this.state.rename(oldNick, newNick, rooms, SELF));
  }

  roomCommand(command: RoomCommand): Promise<RoomCommandOutcome> {
    return Promise.resolve(this.state.roomCommand(command));
  }

  leave(room: string, nick: string): void {
    this.state.leave(room, nick);
  }

  typing(room: string, nick: string): void {
    this.state.typing(room, nick);
  }

  publish(room: string, from: string, body: string): Promise<SequencedMessage> {
    const stored = this.state.publish(room, from, body);
    if (stored === 'no_room') return Promise.reject(new Error(`no room ${room}`));
    return typeof stored === 'string' ? Promise.reject(new RoomRefusedError(stored)) : Promise.resolve(sequenced(stored));
  }

  markRead(room: string, nick: string, seq: number): Promise<void> {
    return this.state.markRead(room, nick, seq) ? Promise.resolve() : Promise.reject(new Error(`no room ${room}`));
  }

  readMarker(room: string, nick: string): Promise<number | undefined> {
    return Promise.resolve(this.state.readMarker(room, nick));
  }

  dm(from: string, to: string, text: string, id: Id | undefined): Promise<DmFrame | undefined> {
    return Promise.resolve(this.state.dm(from, to, text, id));
  }

  history(room: string, since: number | undefined, limit: number): Promise<Buffer[]> {
    return Promise.resolve(this.state.history(room, since, limit).map(lineBytes));
  }

  members(room: string): Promise<string[]> {
    return Promise.resolve(this.state.members(room));
  }

  rooms(limit: number): Promise<RoomSummary[]> {
    return Promise.resolve(this.state.rooms(limit));
  }

  sweep(now: number): void {
    this.state.sweep(now);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #deliver(event: BusEvent): void {
    const sink = this.#sink!;
    if (event.t === 'msg') sink.onMessage(sequenced(event.msg));
    else if (event.t === 'presence') sink.onPresence(event.p);
    else if (event.t === 'typing') sink.onTyping(event.p);
    else if (event.t === 'dm') sink.onDm(event.dm);
    else sink.onRoomEvent(event.e);
  }
}

function sequenced(stored: StoredMessage): SequencedMessage {
  return { room: stored.room, from: stored.from, seq: stored.seq, line: lineBytes(stored.line) };
}
