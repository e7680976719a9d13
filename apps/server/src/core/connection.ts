/**
 * The port between the chat core and whatever carries a client's bytes. core/ reaches a
 * socket only through `Connection` (transports/tcp-connection.ts, ws-connection.ts), and
 * a transport reaches the core only through `ConnectionEvents`:
 *
 *   transport ── onBytes / onMessage / onAlive / onClosed ──▶ Session (core)
 *   transport ◀── write / pause / resume / probe / end / destroy ── Session
 *
 * So core/ imports neither `node:net` nor `ws` (test/core/no-sockets.test.ts checks it), a
 * new transport is one adapter file, and every part of a session can be tested in-process
 * with a fake connection.
 */
import type { ErrorCode } from '@loopchat/protocol';
import type { FrameRenderer } from './encoded-frame.js';
import type { TransportName } from './stats.js';

/** Why a connection ends: the error code its last frame carried, or `bye` for a clean close. */
export type EndReason = ErrorCode | 'bye';

export interface Connection {
  readonly transport: TransportName;
  /** The client's real address (after PROXY protocol or X-Forwarded-For from a trusted proxy). */
  readonly remoteAddress: string;
  /**
   * A message transport frames every server frame itself (WebSocket: one text frame per
   * JSON frame) and gives its renderer here; undefined for a byte stream (TCP), where the
   * dialect's lines are written as they are.
   */
  readonly renderer: FrameRenderer | undefined;
  /** A credential the transport carried (WebSocket: ?token= on the URL), for hello when it has none. */
  readonly token: string | undefined;
  /** Bytes written that the kernel has not taken yet: the client's unread backlog. */
  readonly writableLength: number;
  /** Writes bytes already framed for this connection (rendered by `renderer` or a dialect). */
  write(bytes: Buffer): void;
  /** Stops reading (the kernel's receive window then pushes back on the client). */
  pause(): void;
  resume(): void;
  /** Heartbeat at the transport level (WebSocket ping); false when it has none (TCP). */
  probe(): boolean;
  /** Closes gently once written bytes are out; `reason` picks a WebSocket close code. */
  end(reason: EndReason): void;
  /** Tears the connection down now. */
  destroy(): void;
}

/** What a transport tells the core about one connection (Session implements it). */
export interface ConnectionEvents {
  /** Stream transports: bytes as they arrive. */
  onBytes(chunk: Buffer): void;
  /** Message transports: one text message, or null for a binary one. */
  onMessage(text: string | null): void;
  /** The peer showed it is alive without sending a frame (a WebSocket pong). */
  onAlive(): void;
  /** The connection is gone; called once. */
  onClosed(): void;
}
