/**
 * The frames of protocol v1, as TypeBox schemas (so the server, fastify and any client
 * share one definition) and the TypeScript types derived from them.
 *
 * JSON on the wire: one frame per line on TCP, one frame per text message on WebSocket.
 * Every frame is an object with a `type`; unknown fields are ignored (forward compatible).
 */
import { Type, type Static, type TOptional, type TSchema } from '@sinclair/typebox';
import {
  DEFAULT_MAX_TEXT_LENGTH,
  MAX_BAN_MINUTES,
  MAX_HISTORY_LIMIT,
  MAX_ID_LENGTH,
  MAX_REASON_LENGTH,
  MAX_SLOW_SECONDS,
  MAX_TOPIC_LENGTH,
  NICK_PATTERN,
  ROOM_PATTERN,
} from './limits.js';

/** Client correlation id: echoed in the answer (`ack`, `error` or the response frame). */
export const Id = Type.Union([
  Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }),
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
]);
export type Id = Static<typeof Id>;

const Nick = Type.String({ pattern: NICK_PATTERN });
const Room = Type.String({ pattern: ROOM_PATTERN });
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** Builds the client frame schemas; `maxTextLength` is the only server-tunable bound. */
export function clientFrameSchemas(maxTextLength = DEFAULT_MAX_TEXT_LENGTH) {
  const Text = Type.String({ minLength: 1, maxLength: maxTextLength });
  const id = Type.Optional(Id);
  return {
    hello: Type.Object({
      type: Type.Literal('hello'),
      nick: Nick,
      token: Type.Optional(Type.String({ maxLength: 4096 })),
      v: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      id,
    }),
    join: Type.Object({ type: Type.Literal('join'), room: Room, id }),
    leave: Type.Object({ type: Type.Literal('leave'), room: Room, id }),
    /** `action: true` is a `/me` line: "* ann waves" rather than "ann: waves". */
    msg: Type.Object({ type: Type.Literal('msg'), room: Room, text: Text, action: Type.Optional(Type.Boolean()), id }),
    dm: Type.Object({ type: Type.Literal('dm'), to: Nick, text: Text, id }),
    history: Type.Object({
      type: Type.Literal('history'),
      room: Room,
      since: Type.Optional(Seq),
      /** Page backwards: the newest retained messages with seq < before (not with since). */
      before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_HISTORY_LIMIT })),
      id,
    }),
    who: Type.Object({ type: Type.Literal('who'), room: Room, id }),
    rooms: Type.Object({ type: Type.Literal('rooms'), id }),
    ping: Type.Object({ type: Type.Literal('ping'), id }),
    /** Answer to a server heartbeat `ping`; never acknowledged. */
    pong: Type.Object({ type: Type.Literal('pong') }),
    /**
     * "I am typing in `room`": relayed to the room's other members as `typing`, never
     * stored. At most one per TYPING_INTERVAL_MS per room is relayed; extras are dropped.
     */
    typing: Type.Object({ type: Type.Literal('typing'), room: Room, id }),
    /**
     * "I have seen `room` up to `seq`": stored per nick and room (the last one wins) and
     * given back in the `read` field of the join `ack`, so unread counts survive reconnects.
     */
    read: Type.Object({ type: Type.Literal('read'), room: Room, seq: Seq, id }),
    ...roomCommandSchemas(id),
  } satisfies Record<string, TSchema>;
}

/**
 * Room moderation and chat commands (issue 16). Each is decided by the room's state on the
 * bus, never by the client's word: the server checks the sender's role (room operator or
 * server admin) before anything happens.
 */
function roomCommandSchemas(id: TOptional<typeof Id>) {
  const target = { room: Room, nick: Nick, id };
  const minutes = Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_BAN_MINUTES }));
  /** An IPv4 or IPv6 address as the server sees clients (`::ffff:` forms included). */
  const ip = Type.Optional(Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f:.]+$' }));
  return {
    /** Changes this connection's nick (registered connections; `hello` picks the first). */
    nick: Type.Object({ type: Type.Literal('nick'), nick: Nick, id }),
    op: Type.Object({ type: Type.Literal('op'), ...target }),
    deop: Type.Object({ type: Type.Literal('deop'), ...target }),
    kick: Type.Object({
      type: Type.Literal('kick'),
      ...target,
      reason: Type.Optional(Type.String({ maxLength: MAX_REASON_LENGTH })),
    }),
    /** By nick, or (server admins only) by address: one of the two. */
    ban: Type.Object({ type: Type.Literal('ban'), room: Room, nick: Type.Optional(Nick), ip, minutes, id }),
    unban: Type.Object({ type: Type.Literal('unban'), room: Room, nick: Type.Optional(Nick), ip, id }),
    mute: Type.Object({ type: Type.Literal('mute'), ...target, minutes }),
    unmute: Type.Object({ type: Type.Literal('unmute'), ...target }),
    /** One message per `seconds` per member (operators exempt); 0 turns slow mode off. */
    slow: Type.Object({
      type: Type.Literal('slow'),
      room: Room,
      seconds: Type.Integer({ minimum: 0, maximum: MAX_SLOW_SECONDS }),
      id,
    }),
    delete: Type.Object({
      type: Type.Literal('delete'),
      room: Room,
      seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
      id,
    }),
    /** Without `text`: asks for the topic. With it: sets it (operators; "" clears it). */
    topic: Type.Object({
      type: Type.Literal('topic'),
      room: Room,
      text: Type.Optional(Type.String({ maxLength: MAX_TOPIC_LENGTH })),
      id,
    }),
  };
}

type ClientSchemas = ReturnType<typeof clientFrameSchemas>;
export type ClientFrameType = keyof ClientSchemas;
export type ClientFrame = { [K in ClientFrameType]: Static<ClientSchemas[K]> }[ClientFrameType];
export type ClientFrameOf<K extends ClientFrameType> = Extract<ClientFrame, { type: K }>;

/** A room message as delivered to members and kept in history. */
export interface MsgFrame {
  type: 'msg';
  room: string;
  from: string;
  text: string;
  /** Per-room sequence number: starts at 1, grows by 1 per message in the room. */
  seq: number;
  /** Server time the message was sequenced, ms since the epoch. */
  ts: number;
  /** The sender's correlation id, if it gave one. */
  id?: Id;
  /** A `/me` action. */
  action?: true;
  /** A tombstone: the message was deleted (its text is empty; seq and ts are the original's). */
  deleted?: true;
}

export interface DmFrame {
  type: 'dm';
  from: string;
  to: string;
  text: string;
  ts: number;
  id?: Id;
}

export interface WelcomeFrame {
  type: 'welcome';
  nick: string;
  server: string;
  v: number;
  limits: {
    maxLineBytes: number;
    maxTextLength: number;
    messagesPerSecond: number;
    maxRooms: number;
  };
  /**
   * The history epoch: changes only when the server lost history (a memory-mode restart, a
   * deleted store). A client that saw another epoch resets its rooms instead of trusting
   * `since` (seqs may have started over).
   */
  epoch?: string;
  id?: Id;
}

export interface AckFrame {
  type: 'ack';
  id: Id;
  /** For `msg`: the room seq the message got. For `join`: the room's latest seq. */
  seq?: number;
  /** For `join`: your stored read marker in the room (from `read`), when there is one. */
  read?: number;
  ts: number;
}

export interface PresenceFrame {
  type: 'presence';
  room: string;
  /** The member; for `rename`, its new nick. */
  nick: string;
  event: 'join' | 'leave' | 'rename';
  /** `rename` only: the nick it had. */
  old?: string;
  /**
   * `leave` only: the member's connection ended (closed, `/quit`, IRC QUIT, a timeout), so it
   * left every room at once; absent for a part, a kick or a ban. IRC shows it as one QUIT.
   */
  quit?: true;
}

/** What an operator (or the server) did in a room; every member, the target included, gets it. */
export type ModAction = 'op' | 'deop' | 'kick' | 'ban' | 'unban' | 'mute' | 'unmute' | 'slow';

export interface ModFrame {
  type: 'mod';
  room: string;
  action: ModAction;
  /** The member acted on (absent for `slow`, and for bans by address, which are not announced by address). */
  nick?: string;
  /** Who did it: an operator's nick, or `*` for the server (the first member's op). */
  by: string;
  reason?: string;
  /** ban and mute: how long; absent means until lifted. */
  minutes?: number;
  /** slow: one message per this many seconds per member (0: off). */
  seconds?: number;
  ts: number;
}

/** A room's topic: sent on join (when set), to every member when it changes, and as the answer to `topic {room}`. */
export interface TopicFrame {
  type: 'topic';
  room: string;
  /** "" when no topic is set. */
  text: string;
  /** Who set it (absent when none is set). */
  by?: string;
  ts?: number;
  id?: Id;
}

/** Message `seq` of `room` was deleted; history now holds a tombstone in its place. */
export interface DeleteFrame {
  type: 'delete';
  room: string;
  seq: number;
  by: string;
  ts: number;
}

/**
 * `nick` is typing in `room` (ephemeral: never stored, not sent in rooms larger than the
 * server's presence limit). Shows for a few seconds unless repeated; a message from
 * `nick` ends it.
 */
export interface TypingFrame {
  type: 'typing';
  room: string;
  nick: string;
}

export interface HistoryFrame {
  type: 'history';
  room: string;
  messages: MsgFrame[];
  /** The history epoch the messages belong to (as in `welcome`). */
  epoch?: string;
  id?: Id;
}

export interface MembersFrame {
  type: 'members';
  room: string;
  nicks: string[];
  /** The room operators among them (server admins are operators everywhere and not listed). */
  ops?: string[];
  id?: Id;
}

export interface RoomsFrame {
  type: 'rooms';
  rooms: { room: string; members: number }[];
  id?: Id;
}

export interface PongFrame {
  type: 'pong';
  id?: Id;
}

/** Heartbeat: sent when a connection is quiet; any client line (e.g. `pong`) keeps it open. */
export interface PingFrame {
  type: 'ping';
}

/**
 * A notice from the server's operators (admin API), to everyone or to one room's members.
 * Informational: nothing answers it. Also sent, with `room`, just before a room is closed.
 */
export interface NoticeFrame {
  type: 'notice';
  text: string;
  /** Set when the notice concerns one room (sent to its members only). */
  room?: string;
  ts: number;
}

export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
  id?: Id;
}

export type ServerFrame =
  | WelcomeFrame
  | AckFrame
  | MsgFrame
  | DmFrame
  | PresenceFrame
  | TypingFrame
  | HistoryFrame
  | MembersFrame
  | RoomsFrame
  | PongFrame
  | PingFrame
  | NoticeFrame
  | ModFrame
  | TopicFrame
  | DeleteFrame
  | ErrorFrame;
