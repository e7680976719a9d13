/**
 * "Encode once, write many": a server frame serialized at most once per renderer (JSON
 * line, text line, WebSocket frame…), lazily, and the same Buffer handed to every member
 * of a room. A frame that arrives already encoded (a room message off the bus, a history
 * answer around stored lines) starts from its JSON line: JSON and WebSocket members get
 * those bytes, and it is parsed only if a text-mode member needs it rendered.
 */
import type { ServerFrame } from '@loopchat/protocol';

/**
 * How one kind of connection shows server frames: a dialect's lines (JSON, text), or a
 * transport's framing of them (a WebSocket text frame). Each renderer owns a slot in every
 * EncodedFrame's cache, so a frame is rendered at most once per renderer however many
 * members get it. A new dialect or transport adds a renderer; nothing here changes.
 */
export interface FrameRenderer {
  /** Where EncodedFrame caches this rendering: 0 is the JSON line, others come from renderSlot(). */
  readonly slot: number;
  /** The bytes for `encoded`; an empty Buffer when this rendering shows nothing for it. */
  render(encoded: EncodedFrame): Buffer;
}

let nextSlot = 1;

/** A cache slot for a new renderer (module-level renderers take one each at import). */
export function renderSlot(): number {
  return nextSlot++;
}

/** Newline-delimited JSON: the form every frame starts from, cached in its own field. */
export const JSON_LINES: FrameRenderer = { slot: 0, render: (encoded) => encoded.json() };

export class EncodedFrame {
  /** Whose screen the text rendering is for (only DMs read differently per viewer). */
  readonly viewer: string | undefined;
  #frame: ServerFrame | undefined;
  #json: Buffer | undefined;
  /** Other renderings by FrameRenderer.slot; allocated by the first one. */
  #rendered: Buffer[] | undefined;

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

  /** The bytes `renderer` shows for this frame (rendered once, then shared). */
  bytes(renderer: FrameRenderer): Buffer {
    if (renderer.slot === 0) return this.json();
    const rendered = (this.#rendered ??= []);
    return (rendered[renderer.slot] ??= renderer.render(this));
  }

  /** The JSON line, newline included. */
  json(): Buffer {
    return (this.#json ??= Buffer.from(`${JSON.stringify(this.frame)}\n`));
  }
}
