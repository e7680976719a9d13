/**
 * A WebSocket as the core's Connection port. `ws` parses what the client sends (masking,
 * fragments, control frames, maxPayload); what the server sends is pre-built once per
 * message by WS_JSON and written straight to the upgraded socket, so a broadcast shares
 * one Buffer across every member and goes through the session's batched write path.
 *
 * The WebSocket is a SessionWebSocket: ws's class, whose events go straight to the session
 * (its `emit`), so a connection keeps no listener table at all. EventEmitter gives every
 * instance one, a dictionary-mode object of ~200 bytes, ~290 with the four listeners a
 * session needs: 6 % of an idle WebSocket connection. The connection keeps no reference to
 * its session: the WebSocket's is enough.
 */
import type { Socket } from 'node:net';
import type { ErrorCode } from '@loopchat/protocol';
import { WebSocket, type ServerOptions } from 'ws';
import type { Connection, EndReason } from '../core/connection.js';
import { renderSlot, type FrameRenderer } from '../core/encoded-frame.js';
import type { ClientSession } from '../core/client-session.js';
import { bump } from '../core/stats.js';

/** WebSocket close codes (RFC 6455 §7.4.1) for the errors that close a connection; 1008 otherwise. */
const CLOSE_CODES: Partial<Record<ErrorCode, number>> = {
  shutdown: 1001,
  idle_timeout: 1001,
  line_too_long: 1009,
  server_full: 1013,
  too_many_connections: 1013,
};
const NORMAL_CLOSURE = 1000;
const POLICY_VIOLATION = 1008;

/** One JSON frame per WebSocket text frame, built once per message for every ws member. */
export const WS_JSON: FrameRenderer = { slot: renderSlot(), render: (encoded) => encodeWsFrame(encoded.json()) };

/**
 * ws's WebSocket (`WebSocketServer({ WebSocket: SessionWebSocket })`) with its events handed
 * to the session by `emit` itself instead of through listeners: `message`, `pong`, `error`
 * and `close` are all a session hears (ws emits at most two arguments with any of them).
 * Nothing else listens to a server-side WebSocket (the server runs with clientTracking off),
 * so its listener table is dropped: EventEmitter treats `_events` undefined as no listeners,
 * and makes a table again if anyone adds one.
 */
export class SessionWebSocket extends WebSocket {
  /** Set by WsConnection.open; before that (ws's `open` event) events have no one to hear them. */
  session: ClientSession | undefined = undefined;
  /** Pongs written and not yet flushed (ws's autoPong does the same, with a closure per connection). */
  pendingPongs = 0;

  constructor(address: null, protocols: undefined, options: ServerOptions) {
    // @ts-expect-error ws's server makes its WebSockets as `new WebSocket(null, undefined, options)`.
    super(address, protocols, options);
    (this as unknown as { _events: object | undefined })._events = undefined;
  }

  override emit(event: string | symbol, a?: unknown, b?: unknown): boolean {
    if (event === 'ping') {
      this.answerPing(a as Buffer);
      return true;
    }
    const session = this.session;
    if (session === undefined) return super.emit(event, a, b);
    switch (event) {
      case 'message':
        session.onMessage(b === true ? null : (a as Buffer).toString('utf8'));
        return true;
      case 'pong':
        session.onAlive();
        return true;
      case 'error':
        onError(session, a as Error);
        return true;
      case 'close':
        onClose(session);
        return true;
      default:
        return false;
    }
  }

  /**
   * RFC 6455 §5.5.2: a ping is answered with a pong carrying its data. As ws's autoPong
   * (off here, `WS_SERVER_OPTIONS`): only while open, and a peer that has MAX_PENDING_PONGS
   * unflushed (it pings and does not read) is dropped. The callback exists per ping, not per
   * connection: pings are rare, connections many.
   */
  answerPing(data: Buffer): void {
    if (this.readyState !== WebSocket.OPEN) return;
    if (this.pendingPongs >= MAX_PENDING_PONGS) return this.terminate();
    this.pendingPongs++;
    this.pong(data, false, () => this.pendingPongs--);
  }
}

/** ws's default `maxPendingAutoPongs`. */
const MAX_PENDING_PONGS = 60;

/** What ws's server needs to make SessionWebSockets, which answer pings themselves. */
export const WS_SERVER_OPTIONS = { WebSocket: SessionWebSocket as unknown as typeof WebSocket, autoPong: false };

export class WsConnection implements Connection {
  readonly remoteAddress: string;
  readonly token: string | undefined;
  readonly #ws: SessionWebSocket;
  /** The upgraded socket, written to directly with pre-built frames. */
  readonly #socket: Socket;
  /** IRC over WebSocket (subprotocol text.ircv3.net): one IRC line per text frame, no CR LF. */
  readonly #ircLines: boolean;

  constructor(ws: SessionWebSocket, socket: Socket, remoteAddress: string, token: string | undefined, ircLines = false) {
    this.#ws = ws;
    this.#socket = socket;
    this.remoteAddress = remoteAddress;
    this.token = token;
    this.#ircLines = ircLines;
  }

  get transport(): 'ws' {
    return 'ws';
  }

  /** IRC renders per reader (its capabilities): its lines come to write() and are framed there. */
  get renderer(): FrameRenderer | undefined {
    return this.#ircLines ? undefined : WS_JSON;
  }

  get writableLength(): number {
    return this.#socket.writableLength;
  }

  /** Starts handing the WebSocket's messages, pongs, errors and close to `session`. */
  open(session: ClientSession): void {
    this.#ws.session = session;
  }

  write(bytes: Buffer): void {
    this.#socket.write(this.#ircLines ? ircLineFrames(bytes) : bytes);
  }

  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  probe(): boolean {
    this.#ws.ping();
    return true;
  }

  end(reason: EndReason): void {
    this.#ws.close(reason === 'bye' ? NORMAL_CLOSURE : (CLOSE_CODES[reason] ?? POLICY_VIOLATION), reason);
  }

  destroy(): void {
    this.#ws.terminate();
  }
}

function onError(session: ClientSession, err: Error): void {
  // Protocol errors (bad frame, payload over maxPayload): ws closes with the right code.
  bump(session.ctx.stats.disconnects, (err as Error & { code?: string }).code ?? 'ws_error');
  session.ctx.log.debug({ err: err.message, ip: session.ip }, 'websocket error');
}

function onClose(session: ClientSession): void {
  session.ctx.limiter.release(session.ip);
  session.onClosed();
}

/**
 * One complete, unmasked WebSocket text frame (RFC 6455 §5.2) holding the JSON line
 * without its newline. Server-to-client frames are never masked (§5.1), so the header is
 * all there is: FIN + opcode 0x1, then a 7-bit, 16-bit or 64-bit payload length.
 */
export function encodeWsFrame(jsonLine: Buffer): Buffer {
  return textFrame(jsonLine, jsonLine.length - 1);
}

/**
 * IRC lines (each ending in CR LF, as the IRC dialect renders them) as one text frame each,
 * without the CR LF (https://ircv3.net/specs/extensions/websocket, "text.ircv3.net").
 */
export function ircLineFrames(lines: Buffer): Buffer {
  const frames: Buffer[] = [];
  for (let start = 0; start < lines.length;) {
    const crlf = lines.indexOf('\r\n', start);
    const end = crlf === -1 ? lines.length : crlf;
    if (end > start) frames.push(textFrame(lines.subarray(start, end), end - start));
    start = end + 2;
  }
  return frames.length === 1 ? frames[0]! : Buffer.concat(frames);
}

/** A text frame holding the first `length` bytes of `payload`. */
function textFrame(payload: Buffer, length: number): Buffer {
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, header, 0, length);
  return frame;
}
