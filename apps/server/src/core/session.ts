/**
 * What the rest of the core (hub, handlers, admin) may do with a session: the narrow side of
 * ClientSession (client-session.ts), without its connection, gate or queues, so a handler
 * cannot reach a socket and can be tested against a plain object.
 */
import type { ErrorCode, Id, ServerFrame } from '@loopchat/protocol';
import type { Grant } from './auth.js';
import type { ServerContext } from './context.js';
import type { EncodedFrame } from './encoded-frame.js';
import type { RoomSet } from './room-set.js';
import type { TransportName } from './stats.js';

export interface Session {
  /** Sequential per process (the admin API shows it with the pid in front). */
  readonly id: number;
  /** ms since the epoch, when the connection was accepted. */
  readonly connectedAt: number;
  readonly ctx: ServerContext;
  readonly transport: TransportName;
  /** The client's real address. */
  readonly ip: string;
  /** The dialect the connection speaks (`json`, `text`…), or `undecided` before its first line. */
  readonly mode: string;
  /** Bytes the kernel has not taken yet: what the outbound budget is checked against. */
  readonly outboundBytes: number;
  /** null until hello; set by the hub when it registers the nick. */
  nick: string | null;
  /** The rooms this session is in here (the hub keeps it in step with Room.members). */
  readonly rooms: RoomSet;
  /** What the session's token grants (null: anonymous). */
  grant: Grant | null;
  /** WebSocket only: a token given as ?token= on the URL, used by hello when it has none. */
  readonly wsToken: string | undefined;
  /** Text mode: where plain lines go (the room joined last). */
  currentRoom: string | null;
  readonly isClosing: boolean;
  /** Human text mode: every command is answered, the text idle timeout, no pings. */
  readonly isText: boolean;
  /** The dialect answers a join with the room's members (text mode's list, IRC's NAMES). */
  readonly membersOnJoin: boolean;

  /** Runs `ok` or `fail` when a bus request settles, in the order the requests were made. */
  settle<T>(request: Promise<T>, ok: (value: T) => void, fail: (err: unknown) => void): void;
  /**
   * As settle, for a request that may cause room events: `start` makes it with the id the bus
   * returns with those events, so they reach this session after the answers asked before it.
   */
  settleCaused<T>(start: (cause: number) => Promise<T>, ok: (value: T) => void, fail: (err: unknown) => void): void;
  /** Holds later input until releaseFrames (hello: everything after it needs the nick). */
  holdFrames(): void;
  releaseFrames(): void;
  /** Queues a frame encoded once for many sessions (room messages, presence). */
  deliver(encoded: EncodedFrame): void;
  /** A room event that this session's request `cause` (settleCaused) made: in order with its answers. */
  deliverCaused(encoded: EncodedFrame, cause: number): void;
  /** Queues a frame for this session alone, in order with the answers. */
  send(frame: ServerFrame): void;
  /** As send, for a frame already encoded (a history answer around stored lines). */
  sendEncoded(encoded: EncodedFrame): void;
  /** Answers a command: `ack` by id, or the echo for dialects that answer every line. */
  answer(id: Id | undefined, seq: number | undefined, echo?: ServerFrame | EncodedFrame): void;
  sendError(code: ErrorCode, message?: string, id?: Id): void;
  /** Sends a final `error {code}` and closes. */
  closeWithError(code: ErrorCode, message?: string): void;
}
