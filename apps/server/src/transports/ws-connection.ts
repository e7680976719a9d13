/**
 * A WebSocket as the core's Connection port, on the socket the handshake upgraded
 * (ws-handshake.ts). What the client sends is read by the connection itself, which is a
 * WsFrameDecoder (ws-frame-decoder.ts); what the server sends is pre-built once per
 * message by WS_JSON and written straight to the socket, so a broadcast shares one Buffer
 * across every member and goes through the session's batched write path.
 *
 * Why not `ws`: the server only ever read frames with it, and its WebSocket, its Receiver
 * (a Writable stream with its state and six listeners) and its Sender cost ~1.1 KiB of JS
 * heap per connection; this object, decoder included, is a few fields, and the socket's
 * handlers are module-level functions reaching it through one symbol-keyed property
 * (as tcp-connection.ts). Measured on 10,000 idle connections (bench `--only memory`, 5 runs):
 * JS heap 2.88 → 1.74 KiB per connection (TCP: 1.48), RSS after GC 4.90 → 4.00 KiB.
 *
 * Closing follows ws (§7.1): the side that closes sends a close frame and waits for the
 * other's; the socket is ended once both are through, and destroyed after CLOSE_TIMEOUT_MS
 * if the peer never finishes.
 */
import type { Socket } from 'node:net';
import type { ErrorCode } from '@loopchat/protocol';
import type { Connection, EndReason } from '../core/connection.js';
import { renderSlot, type FrameRenderer } from '../core/encoded-frame.js';
import type { ClientSession } from '../core/client-session.js';
import { bump } from '../core/stats.js';
import { Opcode } from './ws-opcodes.js';
import { WS_PROTOCOL_ERRORS, WsFrameDecoder, type WsProtocolError } from './ws-frame-decoder.js';

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

/** ws's default: how long a closing peer has to answer the close frame and end its side. */
const CLOSE_TIMEOUT_MS = 30_000;
/** ws's default `maxPendingAutoPongs`: a peer that pings and does not read is dropped. */
const MAX_PENDING_PONGS = 60;

/** The heartbeat: a ping with no data, the same bytes for every connection. */
const PING_FRAME = Buffer.from([0x80 | Opcode.PING, 0]);

/** One JSON frame per WebSocket text frame, built once per message for every ws member. */
export const WS_JSON: FrameRenderer = { slot: renderSlot(), render: (encoded) => encodeWsFrame(encoded.json()) };

const kConnection = Symbol('loopchat.wsConnection');
type UpgradedSocket = Socket & { [kConnection]?: WsConnection };

export class WsConnection extends WsFrameDecoder implements Connection {
  readonly remoteAddress: string;
  readonly token: string | undefined;
  /** The upgraded socket, written to directly with pre-built frames. */
  readonly #socket: UpgradedSocket;
  /** IRC over WebSocket (subprotocol text.ircv3.net): one IRC line per text frame, no CR LF. */
  readonly #ircLines: boolean;
  #session: ClientSession | undefined = undefined;
  /** Pongs written and not yet flushed. */
  #pendingPongs = 0;
  /** Set when this side sent its close frame: the connection is closing. */
  #closeTimer: NodeJS.Timeout | undefined = undefined;

  constructor(socket: Socket, remoteAddress: string, token: string | undefined, maxPayload: number, ircLines = false) {
    super(maxPayload);
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

  /**
   * Starts reading frames for `session`: first `head`, the bytes that came with the upgrade
   * request, then the socket's. Errors are the upgrade's listener's to ignore: 'close' follows.
   */
  open(session: ClientSession, head: Buffer): void {
    const socket = this.#socket;
    this.#session = session;
    socket[kConnection] = this;
    // A peer that ends its side without a close frame gets ours ended too, as ws does.
    socket.allowHalfOpen = false;
    // Delivered as the socket's first chunk, a turn later, as ws did.
    if (head.length > 0) socket.unshift(head);
    socket.on('data', WsConnection.#onData);
    socket.on('close', WsConnection.#onClose);
  }

  write(bytes: Buffer): void {
    this.#socket.write(this.#ircLines ? ircLineFrames(bytes) : bytes);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  probe(): boolean {
    if (this.#closeTimer === undefined) this.#socket.write(PING_FRAME);
    return true;
  }

  end(reason: EndReason): void {
    this.#close(reason === 'bye' ? NORMAL_CLOSURE : (CLOSE_CODES[reason] ?? POLICY_VIOLATION), reason);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  protected onText(payload: Buffer): void {
    this.#session!.onMessage(payload.toString('utf8'));
  }

  protected onBinary(): void {
    this.#session!.onMessage(null);
  }

  /**
   * §5.5.2: a ping is answered with a pong carrying its data, only while open, as ws's
   * autoPong did. The callback exists per ping, not per connection: pings are rare,
   * connections many.
   */
  protected onPing(data: Buffer): void {
    if (this.#closeTimer !== undefined) return;
    if (this.#pendingPongs >= MAX_PENDING_PONGS) return this.destroy();
    this.#pendingPongs++;
    this.#socket.write(frame(Opcode.PONG, data), () => this.#pendingPongs--);
  }

  protected onPong(): void {
    this.#session!.onAlive();
  }

  /** §5.5.1: the peer's close is answered with its own code (none if it gave none). */
  protected onPeerClose(code: number | undefined): void {
    this.#close(code, '');
  }

  protected onProtocolError(error: WsProtocolError): void {
    const session = this.#session!;
    bump(session.ctx.stats.disconnects, error);
    session.ctx.log.debug({ err: error, ip: session.ip }, 'websocket error');
    this.#close(WS_PROTOCOL_ERRORS[error], '');
  }

  /** Sends this side's close frame once; ends the socket when the peer's side is done too. */
  #close(code: number | undefined, reason: string): void {
    const socket = this.#socket;
    if (this.#closeTimer === undefined) {
      socket.write(closeFrame(code, reason));
      this.#closeTimer = setTimeout(destroySocket, CLOSE_TIMEOUT_MS, socket).unref();
    }
    if (!this.decoding) socket.end();
  }

  static #onData(this: UpgradedSocket, chunk: Buffer): void {
    this[kConnection]!.push(chunk);
  }

  static #onClose(this: UpgradedSocket): void {
    const connection = this[kConnection]!;
    this.removeListener('data', WsConnection.#onData);
    this.removeListener('close', WsConnection.#onClose);
    clearTimeout(connection.#closeTimer);
    const session = connection.#session!;
    session.ctx.limiter.release(session.ip);
    session.onClosed();
  }
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** A close frame (§5.5.1): the status code and a reason, or nothing when there is no code. */
function closeFrame(code: number | undefined, reason: string): Buffer {
  if (code === undefined) return frame(Opcode.CLOSE, Buffer.alloc(0));
  const payload = Buffer.allocUnsafe(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return frame(Opcode.CLOSE, payload);
}

/** One text frame (RFC 6455 §5.2) holding the JSON line without its newline. */
export function encodeWsFrame(jsonLine: Buffer): Buffer {
  return frame(Opcode.TEXT, jsonLine, jsonLine.length - 1);
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
    if (end > start) frames.push(frame(Opcode.TEXT, lines.subarray(start, end)));
    start = end + 2;
  }
  return frames.length === 1 ? frames[0]! : Buffer.concat(frames);
}

/**
 * One whole, unmasked frame (server to client, §5.1: FIN, the opcode, then a 7-bit, 16-bit
 * or 64-bit payload length) holding the first `length` bytes of `payload`.
 */
function frame(opcode: number, payload: Buffer, length = payload.length): Buffer {
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + length);
  out[0] = 0x80 | opcode;
  if (header === 2) {
    out[1] = length;
  } else if (header === 4) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(out, header, 0, length);
  return out;
}
