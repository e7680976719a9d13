/**
 * A dialect: how one kind of client speaks on a line-based connection. Its codec (bytes ⇄
 * frames, in packages/protocol) does the parsing and rendering; the adapter here, one file
 * per dialect under dialects/, turns each input line into actions on the session and says
 * how server frames look to its clients.
 *
 * On a byte stream the first line chooses (inbound-gate.ts asks LINE_DIALECTS in order,
 * dialects/index.ts); a message transport (WebSocket) carries JSON from its first frame.
 * Adding a dialect is one adapter file, its codec, and one entry in LINE_DIALECTS.
 */
import type { ClientFrame, ErrorCode, Id, ServerFrame } from '@loopchat/protocol';
import type { ServerContext } from './context.js';
import type { FrameRenderer } from './encoded-frame.js';

/** What a dialect adapter may do with the session whose lines it reads. */
export interface DialectSession {
  readonly ctx: ServerContext;
  /** null until registered (hello / /nick). */
  readonly nick: string | null;
  /** Where a text-mode line without a command goes: the room joined last. */
  readonly currentRoom: string | null;
  readonly ip: string;
  /** Runs a client frame (rate limit, then its handler), as if a JSON client had sent it. */
  handle(frame: ClientFrame): void;
  send(frame: ServerFrame): void;
  sendError(code: ErrorCode, message?: string, id?: Id): void;
  /** Queues bytes already in this dialect's form (a help text), in order with the answers. */
  sendRaw(bytes: Buffer): void;
  /** Stops reading; `farewell` goes out once every pending answer has, then the connection closes. */
  quit(farewell: Buffer): void;
}

export interface Dialect {
  /** How the admin connection list names it (`mode`). */
  readonly mode: string;
  /** How server frames are written to its clients (over a byte stream). */
  readonly renderer: FrameRenderer;
  /**
   * True: every command is answered, with its echo (the message, the join) or an `ok`, ids
   * or not (text mode: a human needs to see something happen). False: by id only (`ack`).
   */
  readonly echoes: boolean;
  /** A person at a terminal: the longer idle timeout (textIdleTimeoutMs) applies. */
  readonly human: boolean;
  /** One complete input line (never over maxLineBytes). */
  onLine(line: string, session: DialectSession): void;
  /** Heartbeat on a quiet connection whose transport has none of its own. */
  probe(session: DialectSession): void;
}

/** How the first line of a byte stream chooses a dialect. */
export interface DialectChoice {
  /** Whether `firstLine` (leading blanks trimmed, never empty) starts a connection of this dialect. */
  selects(firstLine: string): boolean;
  /** The adapter for one connection (a shared one when the dialect keeps no state per connection). */
  open(): Dialect;
}
