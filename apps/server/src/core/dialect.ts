/**
 * A dialect: how one kind of client speaks on a line-based connection. Its codec (bytes ⇄
 * frames, in packages/protocol) does the parsing and rendering; the adapter here, one file
 * per dialect under dialects/, turns each input line into actions on the session, and says
 * how server frames and answers look to its clients.
 *
 * On a byte stream the first line chooses (inbound-gate.ts asks LINE_DIALECTS in order,
 * dialects/index.ts); a message transport (WebSocket) carries JSON from its first frame.
 * Adding a dialect is one adapter file, its codec, and one entry in LINE_DIALECTS.
 */
import type { ClientFrame, ErrorCode, Id, ServerFrame } from '@loopchat/protocol';
import type { ServerContext } from './context.js';
import type { EncodedFrame, FrameRenderer } from './encoded-frame.js';
import type { Room } from './room.js';

/** What a dialect adapter may do with the session whose lines it reads. */
export interface DialectSession {
  readonly ctx: ServerContext;
  /** null until registered (hello / /nick / NICK+USER). */
  readonly nick: string | null;
  /** Where a text-mode line without a command goes: the room joined last. */
  readonly currentRoom: string | null;
  readonly rooms: ReadonlySet<Room>;
  readonly ip: string;
  readonly isClosing: boolean;
  /** Runs a client frame (rate limit, then its handler), as if a JSON client had sent it. */
  handle(frame: ClientFrame): void;
  /** As handle; `charged` false when the line that made it already paid its rate-limit token. */
  submit(frame: ClientFrame, charged: boolean): void;
  /** One token of the rate limit for input the dialect answers itself; false when none is left. */
  takeToken(): boolean;
  send(frame: ServerFrame): void;
  /** Queues a frame encoded once for many sessions (an echo that is a room message). */
  deliver(encoded: EncodedFrame): void;
  sendError(code: ErrorCode, message?: string, id?: Id): void;
  /** Queues bytes already in this dialect's form (a help text, IRC replies), in answer order. */
  sendBytes(bytes: Buffer): void;
  /** Stops reading; the dialect's farewell goes out once every pending answer has, then the connection closes. */
  quit(): void;
}

export interface Dialect {
  /** How the admin connection list names it (`mode`). */
  readonly mode: string;
  /** A person at a terminal: the longer idle timeout (textIdleTimeoutMs), no pings, hints for humans. */
  readonly human: boolean;
  /** A join is answered with the room's members (text mode's list, IRC's NAMES). */
  readonly membersOnJoin: boolean;
  /** Input lines up to this long are accepted even over maxLineBytes (IRCv3 tags); undefined: none. */
  readonly maxLineBytes: number | undefined;
  /** One complete input line, terminator removed. */
  onLine(line: string, session: DialectSession): void;
  /**
   * How every connection of this dialect shows server frames, when they all show them alike
   * (the fan-out fast path: one rendering per message, shared); undefined when each reader
   * sees its own (IRC: capabilities), and bytesOf is asked instead.
   */
  readonly renderer: FrameRenderer | undefined;
  /** The bytes `encoded` shows on this connection. */
  bytesOf(encoded: EncodedFrame): Buffer;
  /** Answers a command: an `ack` by id, an echo, or whatever the dialect's clients expect. */
  answer(session: DialectSession, id: Id | undefined, seq: number | undefined, echo?: ServerFrame | EncodedFrame): void;
  /** The last bytes of a connection that quit (text `* bye`, IRC `ERROR`); empty for none. */
  farewell(): Buffer;
  /** Heartbeat on a quiet connection whose transport has none of its own. */
  probe(session: DialectSession): void;
}

/** How the first line of a byte stream chooses a dialect. */
export interface DialectChoice {
  /** Whether `firstLine` (leading blanks trimmed, never empty) starts a connection of this dialect. */
  selects(firstLine: string): boolean;
  /** The adapter for one connection (a shared one when the dialect keeps no state per connection). */
  open(session: DialectSession): Dialect;
}
