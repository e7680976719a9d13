/**
 * A driver is what the engine needs to know about one server's protocol: how to say hello
 * and join, how a msg frame is written, and how to read the few fields of a received frame
 * that the accounting needs. The engine owns sockets, scheduling and counting; drivers are
 * pure functions over strings and Buffers so that one engine can drive loopchat, the naive
 * bench peers and Socket.IO alike.
 */

export type Transport = 'tcp' | 'ws';
export type DriverName = 'loopchat' | 'naive-ws' | 'naive-net' | 'socketio' | 'none';

/** Frame kinds the engine tells apart. */
export const FRAME_OTHER = 0;
/** A room message: `seq` and `id` are set. */
export const FRAME_MSG = 1;
/** An answer to a frame we sent: `id` (0 = the join) and `seq` are set. */
export const FRAME_ACK = 2;
/** An error: `code` and `id` (or -1) are set. */
export const FRAME_ERROR = 3;
/** The server probes liveness: send the driver's `pong`. */
export const FRAME_PING = 4;
/** The server finished a handshake stage: send the next one. */
export const FRAME_STEP = 5;

export type FrameKind = 0 | 1 | 2 | 3 | 4 | 5;

/** Reused for every frame (one object per process): parse() overwrites the fields it sets. */
export interface ParsedFrame {
  kind: FrameKind;
  seq: number;
  id: number;
  code: string | null;
}

export function newParsedFrame(): ParsedFrame {
  return { kind: FRAME_OTHER, seq: -1, id: -1, code: null };
}

export interface Driver {
  readonly name: DriverName;
  /** Transports this driver can speak. */
  readonly transports: readonly Transport[];
  /** Whether the server sends a room message back to its sender (then senders expect their own). */
  readonly echoesToSender: boolean;
  /** Whether msg frames are acknowledged with their seq (acked counts and own-seq accounting). */
  readonly acksMessages: boolean;
  /**
   * Speaks no protocol (the `none` driver): a connection is ready as soon as the TCP connect
   * or WebSocket open completes, and it can only be held open, never send.
   */
  readonly holdsOnly: boolean;
  /** Default WebSocket path (with query) when `--ws` gives only host:port. */
  readonly wsPath: string;
  /**
   * Handshake stages: stage 0 is sent on connect, stage i+1 when the server answers with a
   * FRAME_STEP. The connection is ready when the join is answered (FRAME_ACK with id 0).
   */
  handshake(nick: string, room: string): string[][];
  /** The constant part of a msg frame for `room` and `text`; the frame is `prefix + id + suffix`. */
  msgTemplate(room: string, text: string): { prefix: string; suffix: string };
  /** Reads buf[start, end) (one frame, no delimiter) into `out`. */
  parse(buf: Buffer, start: number, end: number, out: ParsedFrame): void;
  /** What to answer to FRAME_PING. */
  readonly pong: string;
}
