/**
 * "Encode once, write many": a server frame serialized at most once per wire format,
 * lazily, and the same Buffer handed to every member of a room. A frame that arrives
 * already encoded (a room message off the bus, a history answer around stored lines)
 * starts from its JSON line: JSON and WebSocket members get those bytes, and it is parsed
 * only if a text-mode member needs it rendered.
 */
import { renderText, type ServerFrame } from '@loopchat/protocol';

/** How a session's bytes are framed on the wire. */
export const WireFormat = {
  /** TCP, first line not seen yet (JSON or text mode is decided by it). */
  Undecided: 0,
  /** TCP, newline-delimited JSON frames. */
  JsonLines: 1,
  /** TCP, human text mode (nc, telnet). */
  Text: 2,
  /** WebSocket text frames carrying JSON. */
  WebSocket: 3,
  /** TCP, IRC (rendered per reader by irc/irc-dialect.ts through EncodedFrame.variant). */
  Irc: 4,
} as const;
export type WireFormat = (typeof WireFormat)[keyof typeof WireFormat];

const EMPTY = Buffer.alloc(0);

export class EncodedFrame {
  /** Whose screen the text rendering is for (only DMs read differently per viewer). */
  readonly viewer: string | undefined;
  #frame: ServerFrame | undefined;
  #json: Buffer | undefined;
  #text: Buffer | undefined;
  #ws: Buffer | undefined;
  /** Renderings for readers that differ by more than the format (IRC capabilities), by variant key. */
  #variants: Buffer[] | undefined;

  constructor(frame: ServerFrame | undefined, viewer?: string) {
    this.#frame = frame;
    this.viewer = viewer;
  }

  /** A frame already encoded as a JSON line (newline included), e.g. a message off the bus. */
  static fromLine(line: Buffer, viewer?: string): EncodedFrame {
    const encoded = new EncodedFrame(undefined, viewer);
    encoded.#json = line;
    return encoded;
  }

  get frame(): ServerFrame {
    return (this.#frame ??= JSON.parse(this.#json!.toString('utf8')) as ServerFrame);
  }

  /** The bytes for `format`; an empty Buffer when the format shows nothing for this frame. */
  bytes(format: WireFormat): Buffer {
    switch (format) {
      case WireFormat.Text:
        return (this.#text ??= encodeText(this.frame, this.viewer));
      case WireFormat.WebSocket:
        return (this.#ws ??= encodeWsFrame(this.json()));
      default:
        return this.json();
    }
  }

  /**
   * The bytes of one reader variant (`key`: a small integer naming what changes the
   * rendering, e.g. which IRC capabilities a reader enabled), rendered once per variant.
   */
  variant(key: number, render: (frame: ServerFrame) => Buffer): Buffer {
    const variants = (this.#variants ??= []);
    return (variants[key] ??= render(this.frame));
  }

  /** The JSON line, newline included. */
  json(): Buffer {
    return (this.#json ??= Buffer.from(`${JSON.stringify(this.frame)}\n`));
  }
}

function encodeText(frame: ServerFrame, viewer?: string): Buffer {
  const text = renderText(frame, viewer);
  return text === '' ? EMPTY : Buffer.from(text);
}

/**
 * One complete, unmasked WebSocket text frame (RFC 6455 §5.2) holding the JSON line
 * without its newline, built once per message so every ws member gets the same bytes.
 * Server-to-client frames are never masked (§5.1), so the header is all there is:
 * FIN + opcode 0x1, then a 7-bit, 16-bit or 64-bit payload length.
 */
export function encodeWsFrame(jsonLine: Buffer): Buffer {
  const length = jsonLine.length - 1;
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
  jsonLine.copy(frame, header, 0, length);
  return frame;
}
