/**
 * The frames of protocol v1, as TypeBox schemas (so the server, fastify and any client
 * share one definition) and the TypeScript types derived from them.
 *
 * JSON on the wire: one frame per line on TCP, one frame per text message on WebSocket.
 * Every frame is an object with a `type`; unknown fields are ignored (forward compatible).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DEFAULT_MAX_TEXT_LENGTH, MAX_HISTORY_LIMIT, MAX_ID_LENGTH, NICK_PATTERN, ROOM_PATTERN } from './limits.js';

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
    msg: Type.Object({ type: Type.Literal('msg'), room: Room, text: Text, id }),
    dm: Type.Object({ type: Type.Literal('dm'), to: Nick, text: Text, id }),
    history: Type.Object({
      type: Type.Literal('history'),
      room: Room,
      since: Type.Optional(Seq),
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
  } satisfies Record<string, TSchema>;
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
  id?: Id;
}

export interface AckFrame {
  type: 'ack';
  id: Id;
  /** For `msg`: the room seq the message got. For `join`: the room's latest seq. */
  seq?: number;
  ts: number;
}

export interface PresenceFrame {
  type: 'presence';
  room: string;
  nick: string;
  event: 'join' | 'leave';
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
  id?: Id;
}

export interface MembersFrame {
  type: 'members';
  room: string;
  nicks: string[];
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
  | ErrorFrame;
