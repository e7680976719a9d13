/**
 * The bus: where a room's total order, its history, the nick registry and the member lists
 * live once the chat spans more than one event loop. Every process has a Hub holding its
 * own sockets; the Hub asks the bus for anything that must be decided in one place, and
 * the bus hands back sequenced events for the Hub to fan out locally.
 *
 *   single process   LocalBus    everything in this process (synchronous underneath)
 *   cluster worker   IpcBus      requests batched to the primary, which runs a ChatState
 *   multi-host       RedisBus    Lua-sequenced rooms, streams for history, pub/sub fan-out
 *
 * The Hub must not care which one it has: one contract suite (test/bus/contract.ts) runs the
 * same behaviour sentences against all three.
 */
import type { DmFrame, Id, PresenceFrame, TypingFrame } from '@loopchat/protocol';
import type { CommitStats } from '../history/commit-times.js';
import type { HistoryQuery } from '../history/history-store.js';
import type { RoomCommand, RoomCommandOutcome, RoomEvent } from './room-commands.js';

/**
 * A sequenced room message as it travels: what fan-out needs to route it, and its wire
 * bytes, encoded once (protocol's msg-line.ts) and written to every JSON and WebSocket
 * member as they are, on every process and host.
 */
export interface SequencedMessage {
  readonly room: string;
  readonly from: string;
  readonly seq: number;
  /** The JSON line, newline included. */
  readonly line: Buffer;
}

/** What a bus delivers to the Hub of every process that has members in the room. */
export interface BusSink {
  /** A sequenced room message (the sender's own process gets it too). */
  onMessage(msg: SequencedMessage): void;
  /** Someone joined or left a room. */
  onPresence(presence: PresenceFrame): void;
  /** A direct message for a nick held by this process. */
  onDm(dm: DmFrame): void;
  /** Someone is typing in a room (ephemeral: relayed, never stored). */
  onTyping(typing: TypingFrame): void;
  /** The bus gave this process's `nick` to someone else (Redis lease lost): drop its holder. */
  onNickLost?(nick: string): void;
  /** A room moderation event, topic or deletion (room-commands.ts) for this process's members. */
  onRoomEvent(event: RoomEvent): void;
}

export interface RoomSummary {
  room: string;
  members: number;
}

/** The bus's errors live with the server's others (errors.ts); re-exported for the buses. */
export { BusUnavailableError, RoomLimitError } from '../errors.js';

export interface Bus {
  /** Short name for logs and /stats: 'local', 'ipc', 'redis'. */
  readonly kind: string;
  /** False while the bus cannot serve (Redis down): /readyz reports it. */
  readonly ready: boolean;
  /**
   * The history epoch: changes only when history was lost (history-store.ts), sent in
   * `welcome` and `history` answers so a client knows when its `since` means nothing.
   */
  readonly epoch: string;
  /** Where this process's history lives and, for a durable store here, its commit times (/stats). */
  historyStats?(): { kind: string } & Partial<CommitStats>;
  /**
   * Rooms that exist (with members or keeping history), where this process holds them all
   * (a single process): /metrics `loopchat_rooms`. Absent where another process counts them
   * (the cluster primary reports it; Redis has no count).
   */
  roomCount?(): number;
  /** Connects the Hub that will receive this process's events. */
  attach(sink: BusSink): void;

  /** Claims a nick cluster-wide (case-insensitive); false when someone else holds it. */
  claimNick(nick: string): Promise<boolean>;
  /** Frees a nick and removes it from every room it was in (with presence to the others). */
  release(nick: string, rooms: readonly string[]): void;

  /**
   * Adds `nick` to the room's member list; resolves with the room's latest seq. `ip` (the
   * joiner's address) is checked against the room's bans; a banned joiner is refused with
   * RoomRefusedError('banned').
   */
  join(room: string, nick: string, ip?: string): Promise<number>;
  leave(room: string, nick: string): void;
  /**
   * Relays "`nick` is typing" to every process with members in `room`, unless the room has
   * more members than the presence limit. Fire and forget: ephemeral, lost if the bus is down.
   */
  typing(room: string, nick: string): void;

  /**
   * Assigns the next seq of `room`, appends it and the time to `body` (encodeMsgBody's
   * output), keeps the line in history and delivers it to every process with members. A
   * muted sender, or one in slow mode, is refused with RoomRefusedError.
   */
  publish(room: string, from: string, body: string): Promise<SequencedMessage>;
  /**
   * Renames a nick this process holds, cluster-wide unique like claimNick, carrying its
   * memberships in `rooms` (each hears a presence `rename`); false when `newNick` is taken.
   */
  rename(oldNick: string, newNick: string, rooms: readonly string[]): Promise<boolean>;
  /** Runs a room command where the room's state lives (room-commands.ts). */
  roomCommand(command: RoomCommand): Promise<RoomCommandOutcome>;

  /**
   * Stores `nick`'s read marker in `room` (the last seq it has seen); resolves once stored.
   * Rejects when the room is unknown to the bus (it was forgotten) or the bus is down.
   */
  markRead(room: string, nick: string, seq: number): Promise<void>;
  /** `nick`'s stored read marker in `room`, if any. */
  readMarker(room: string, nick: string): Promise<number | undefined>;
  /** Delivers a DM to whichever process holds `to`; undefined when `to` is not connected. */
  dm(from: string, to: string, text: string, id: Id | undefined): Promise<DmFrame | undefined>;

  /** Lines of retained messages (oldest first): the latest, after a seq, or before one. */
  history(room: string, query: HistoryQuery): Promise<Buffer[]>;
  members(room: string): Promise<string[]>;
  rooms(limit: number): Promise<RoomSummary[]>;

  /** Housekeeping tick (expiry of empty rooms, registry refresh); called by the server's sweep. */
  sweep(now: number): void;

  close(): Promise<void>;
}
