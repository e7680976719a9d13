/**
 * A bounded streaming decoder of the frames a WebSocket client sends (RFC 6455 §5), for a
 * server that holds 10,000 idle connections: its whole state is six fields of the object
 * that owns the connection (WsConnection extends it), no stream, no emitter, no chunk list.
 *
 *   chunk ──▶ [partial frame? fill it] ──▶ parse each whole frame in place ──▶ on* hooks
 *                                               │
 *                                               └─▶ tail of an unfinished frame: copied out
 *                                                   (under 10 header bytes, or into one buffer
 *                                                   of the frame's exact size)
 *
 * - Limits are checked from the first bytes of a frame, before anything is buffered: a
 *   message (all its fragments) over `maxPayload` stops the decoder with 1009, a control
 *   frame over 125 bytes with 1002, so a client never makes it hold more than one frame of
 *   at most maxPayload + 14 bytes and the fragments of one message within maxPayload.
 * - A frame split across chunks is gathered into one buffer of its exact size (no
 *   quadratic re-joining); the socket's read buffer is never pinned.
 * - Payloads are unmasked in place, in the chunk the socket handed over.
 * - The first protocol error, or the peer's close frame, stops the decoder: later bytes
 *   are ignored (§5.5.1: nothing follows a close frame).
 *
 * Errors carry ws's codes, which the server counted disconnects by before it read frames
 * itself (stats `disconnects`, metric `loopchat_disconnects_total`).
 */
import { isUtf8 } from 'node:buffer';
import { Opcode } from './ws-opcodes.js';

/** Why a client's frames were refused, with the close code each answers with (§7.4.1). */
export const WS_PROTOCOL_ERRORS = Object.freeze({
  WS_ERR_UNEXPECTED_RSV_2_3: 1002,
  /** RSV1 means a compressed frame: permessage-deflate is never negotiated. */
  WS_ERR_UNEXPECTED_RSV_1: 1002,
  /** An unknown opcode, a continuation with nothing to continue, a data frame inside a fragmented message. */
  WS_ERR_INVALID_OPCODE: 1002,
  /** A fragmented control frame (§5.5). */
  WS_ERR_EXPECTED_FIN: 1002,
  /** A control frame over 125 bytes, or a close frame of 1 byte (§5.5, §5.5.1). */
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: 1002,
  /** Every client frame is masked (§5.1). */
  WS_ERR_EXPECTED_MASK: 1002,
  /** A 64-bit length past 2^53 - 1. */
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  /** A message over maxPayload (the server's maxLineBytes). */
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  /** A text message or close reason that is not UTF-8 (§8.1). */
  WS_ERR_INVALID_UTF8: 1007,
  /** A close code a peer may not send (§7.4). */
  WS_ERR_INVALID_CLOSE_CODE: 1002,
});

export type WsProtocolError = keyof typeof WS_PROTOCOL_ERRORS;

/** `#state` between messages; inside a fragmented message it is the message's opcode. */
const IDLE = -1;
/** `#state` once a close frame or a protocol error has stopped the decoder. */
const STOPPED = -2;

const MASK_BYTES = 4;
/** 2^53 - 1 as the high 32 bits of a 64-bit length allow it. */
const MAX_SAFE_HIGH_WORD = 2 ** 21 - 1;

export abstract class WsFrameDecoder {
  readonly #maxPayload: number;
  /** IDLE, the opcode (TEXT or BINARY) of the fragmented message being read, or STOPPED. */
  #state = IDLE;
  /**
   * The start of a frame not yet whole: its first bytes while the length is unknown
   * (`#filled === length`), else a buffer of the frame's size filled up to `#filled`.
   */
  #partial: Buffer | undefined = undefined;
  #filled = 0;
  /** Copies of the fragments of the open message, and their total length. */
  #fragments: Buffer[] | undefined = undefined;
  #messageLength = 0;

  constructor(maxPayload: number) {
    this.#maxPayload = maxPayload;
  }

  /** A whole text message, valid UTF-8, as a view only valid during the call. */
  protected abstract onText(payload: Buffer): void;
  protected abstract onBinary(): void;
  /** A ping's application data (≤ 125 bytes), a view only valid during the call. */
  protected abstract onPing(payload: Buffer): void;
  protected abstract onPong(): void;
  /** The peer's close frame (valid), with its status code; undefined when it gave none (1005). */
  protected abstract onPeerClose(code: number | undefined): void;
  protected abstract onProtocolError(error: WsProtocolError): void;

  /** False once a close frame or a protocol error has stopped the decoder. */
  get decoding(): boolean {
    return this.#state !== STOPPED;
  }

  /** Decodes `chunk`, which it may modify (unmasking in place). */
  push(chunk: Buffer): void {
    if (this.#state === STOPPED) return;
    const partial = this.#partial;
    if (partial !== undefined) {
      this.#partial = undefined;
      if (this.#filled === partial.length) {
        chunk = Buffer.concat([partial, chunk]);
      } else {
        const taken = chunk.copy(partial, this.#filled);
        this.#filled += taken;
        if (this.#filled < partial.length) {
          this.#partial = partial;
          return;
        }
        this.#parse(partial);
        chunk = chunk.subarray(taken);
      }
    }
    this.#parse(chunk);
  }

  /** Handles every whole frame in `data` and keeps the start of an unfinished one. */
  #parse(data: Buffer): void {
    let offset = 0;
    while (offset < data.length && this.#state !== STOPPED) {
      const available = data.length - offset;
      if (available < 2) break;
      const first = data[offset]!;
      const second = data[offset + 1]!;
      const refusal = this.#checkStart(first, second);
      if (refusal !== undefined) return this.#fail(refusal);
      const length7 = second & 0x7f;
      const lengthBytes = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
      if (available < 2 + lengthBytes) break;
      let payloadLength = length7;
      if (lengthBytes === 2) payloadLength = data.readUInt16BE(offset + 2);
      else if (lengthBytes === 8) {
        const high = data.readUInt32BE(offset + 2);
        if (high > MAX_SAFE_HIGH_WORD) return this.#fail('WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH');
        payloadLength = high * 2 ** 32 + data.readUInt32BE(offset + 6);
      }
      if ((first & 0x0f) < Opcode.CLOSE && this.#messageLength + payloadLength > this.#maxPayload) {
        return this.#fail('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
      }
      const maskAt = offset + 2 + lengthBytes;
      const frameEnd = maskAt + MASK_BYTES + payloadLength;
      if (frameEnd > data.length) {
        // The frame's size is known: one buffer of that size, filled as bytes come.
        const frame = Buffer.allocUnsafe(frameEnd - offset);
        this.#filled = data.copy(frame, 0, offset);
        this.#partial = frame;
        return;
      }
      this.#frame(first, unmask(data, maskAt, frameEnd));
      offset = frameEnd;
    }
    if (offset < data.length && this.#state !== STOPPED) {
      this.#partial = Buffer.from(data.subarray(offset));
      this.#filled = this.#partial.length;
    }
  }

  /** The checks the first two bytes allow (in ws's order, so the same frame gets the same code). */
  #checkStart(first: number, second: number): WsProtocolError | undefined {
    if ((first & 0x30) !== 0) return 'WS_ERR_UNEXPECTED_RSV_2_3';
    if ((first & 0x40) !== 0) return 'WS_ERR_UNEXPECTED_RSV_1';
    const opcode = first & 0x0f;
    const fin = (first & 0x80) !== 0;
    if (opcode === Opcode.CONTINUATION) {
      if (this.#state === IDLE) return 'WS_ERR_INVALID_OPCODE';
    } else if (opcode === Opcode.TEXT || opcode === Opcode.BINARY) {
      if (this.#state !== IDLE) return 'WS_ERR_INVALID_OPCODE';
    } else if (opcode === Opcode.CLOSE || opcode === Opcode.PING || opcode === Opcode.PONG) {
      if (!fin) return 'WS_ERR_EXPECTED_FIN';
      const length = second & 0x7f;
      if (length > 125 || (opcode === Opcode.CLOSE && length === 1)) return 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH';
    } else {
      return 'WS_ERR_INVALID_OPCODE';
    }
    if ((second & 0x80) === 0) return 'WS_ERR_EXPECTED_MASK';
    return undefined;
  }

  #frame(first: number, payload: Buffer): void {
    const opcode = first & 0x0f;
    if (opcode >= Opcode.CLOSE) return this.#control(opcode, payload);
    const fin = (first & 0x80) !== 0;
    if (!fin) {
      // Copied: a fragment must not pin the socket's read buffer until the message ends.
      (this.#fragments ??= []).push(Buffer.from(payload));
      this.#messageLength += payload.length;
      if (opcode !== Opcode.CONTINUATION) this.#state = opcode;
      return;
    }
    const kind = opcode === Opcode.CONTINUATION ? this.#state : opcode;
    const fragments = this.#fragments;
    const message = fragments === undefined ? payload : Buffer.concat([...fragments, payload]);
    this.#fragments = undefined;
    this.#messageLength = 0;
    this.#state = IDLE;
    if (kind === Opcode.BINARY) return this.onBinary();
    // §8.1: the whole message, so a character split across fragments is fine.
    if (!isUtf8(message)) return this.#fail('WS_ERR_INVALID_UTF8');
    this.onText(message);
  }

  #control(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.PING) return this.onPing(payload);
    if (opcode === Opcode.PONG) return this.onPong();
    if (payload.length === 0) {
      this.#stop();
      return this.onPeerClose(undefined);
    }
    const code = payload.readUInt16BE(0);
    if (!isValidCloseCode(code)) return this.#fail('WS_ERR_INVALID_CLOSE_CODE');
    if (!isUtf8(payload.subarray(2))) return this.#fail('WS_ERR_INVALID_UTF8');
    this.#stop();
    this.onPeerClose(code);
  }

  #fail(error: WsProtocolError): void {
    this.#stop();
    this.onProtocolError(error);
  }

  #stop(): void {
    this.#state = STOPPED;
    this.#partial = undefined;
    this.#fragments = undefined;
  }
}

/**
 * §7.4: what a peer may send. 1004–1006 and 1015 are reserved, 1012–1014 are registered
 * since (ws accepts them too), 3000–4999 are for libraries and applications.
 */
function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** §5.3: XORs the payload after the masking key at `maskAt` with the key, in place; returns it. */
function unmask(data: Buffer, maskAt: number, end: number): Buffer {
  const start = maskAt + MASK_BYTES;
  const payload = data.subarray(start, end);
  const m0 = data[maskAt]!;
  const m1 = data[maskAt + 1]!;
  const m2 = data[maskAt + 2]!;
  const m3 = data[maskAt + 3]!;
  if ((m0 | m1 | m2 | m3) === 0) return payload;
  const length = payload.length;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    payload[i] = payload[i]! ^ m0;
    payload[i + 1] = payload[i + 1]! ^ m1;
    payload[i + 2] = payload[i + 2]! ^ m2;
    payload[i + 3] = payload[i + 3]! ^ m3;
  }
  if (i < length) payload[i] = payload[i]! ^ m0;
  if (i + 1 < length) payload[i + 1] = payload[i + 1]! ^ m1;
  if (i + 2 < length) payload[i + 2] = payload[i + 2]! ^ m2;
  return payload;
}
