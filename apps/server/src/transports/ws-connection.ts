/**
 * A WebSocket as the core's Connection port. `ws` parses what the client sends (masking,
 * fragments, control frames, maxPayload); what the server sends is pre-built once per
 * message by WS_JSON and written straight to the upgraded socket, so a broadcast shares
 * one Buffer across every member and goes through the session's batched write path.
 *
 * Handlers are static functions reaching the session through one symbol-keyed property on
 * the ws object, not closures per connection (tcp-connection.ts says why); the connection
 * keeps no reference to its session.
 */
import type { Socket } from 'node:net';
import type { ErrorCode } from '@loopchat/protocol';
import type { WebSocket } from 'ws';
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

const kSession = Symbol('loopchat.session');
type ConnectedWebSocket = WebSocket & { [kSession]?: ClientSession };

export class WsConnection implements Connection {
  readonly remoteAddress: string;
  readonly token: string | undefined;
  readonly #ws: ConnectedWebSocket;
  /** The upgraded socket, written to directly with pre-built frames. */
  readonly #socket: Socket;
  /** IRC over WebSocket (subprotocol text.ircv3.net): one IRC line per text frame, no CR LF. */
  readonly #ircLines: boolean;

  constructor(ws: WebSocket, socket: Socket, remoteAddress: string, token: string | undefined, ircLines = false) {
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

  /** Starts handing the WebSocket's messages, pongs and close to `session`. */
  open(session: ClientSession): void {
    const ws = this.#ws;
    ws[kSession] = session;
    ws.on('message', WsConnection.#onMessage);
    ws.on('pong', WsConnection.#onPong);
    ws.on('error', WsConnection.#onError);
    ws.on('close', WsConnection.#onClose);
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

  static #onMessage(this: ConnectedWebSocket, data: Buffer, isBinary: boolean): void {
    this[kSession]!.onMessage(isBinary ? null : data.toString('utf8'));
  }

  static #onPong(this: ConnectedWebSocket): void {
    this[kSession]!.onAlive();
  }

  static #onError(this: ConnectedWebSocket, err: Error): void {
    // Protocol errors (bad frame, payload over maxPayload): ws closes with the right code.
    const session = this[kSession]!;
    bump(session.ctx.stats.disconnects, (err as Error & { code?: string }).code ?? 'ws_error');
    session.ctx.log.debug({ err: err.message, ip: session.ip }, 'websocket error');
  }

  static #onClose(this: ConnectedWebSocket): void {
    const session = this[kSession]!;
    this.removeListener('message', WsConnection.#onMessage);
    this.removeListener('pong', WsConnection.#onPong);
    this.removeListener('close', WsConnection.#onClose);
    session.ctx.limiter.release(session.ip);
    session.onClosed();
  }
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
