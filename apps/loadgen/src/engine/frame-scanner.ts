/**
 * The receive path: find frame boundaries and read only the integers we need, never
 * JSON.parse. TCP bytes are split on 0x0a; a line split across reads is carried (copied
 * only then). Integer fields are read right after a needle such as `"seq":`, searched from
 * the end of the frame: the chat text comes before them, and JSON escaping guarantees the
 * text cannot contain an unescaped `"seq":`.
 */
const LF = 0x0a;

/** Receives [start, end) of each frame; `ctx` is passed through so callers need no closure per read. */
export type FrameSink<T> = (ctx: T, buf: Buffer, start: number, end: number) => void;

/** Splits a byte stream into lines; calls `sink` with [start, end) of each, newline excluded. */
export class LineScanner {
  #carry: Buffer | null = null;

  push<T>(chunk: Buffer, ctx: T, sink: FrameSink<T>): void {
    let start = 0;
    if (this.#carry !== null) {
      const nl = chunk.indexOf(LF);
      if (nl === -1) {
        this.#carry = Buffer.concat([this.#carry, chunk]);
        return;
      }
      const line = Buffer.concat([this.#carry, chunk.subarray(0, nl)]);
      this.#carry = null;
      sink(ctx, line, 0, trimCr(line, 0, line.length));
      start = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) break;
      sink(ctx, chunk, start, trimCr(chunk, start, nl));
      start = nl + 1;
    }
    // Copy the partial line: the chunk's memory is reused by nothing, but keeping a view
    // would pin the whole (64 KiB) chunk for a few bytes.
    if (start < chunk.length) this.#carry = Buffer.from(chunk.subarray(start));
  }

  get pending(): number {
    return this.#carry?.length ?? 0;
  }
}

function trimCr(buf: Buffer, start: number, end: number): number {
  return end > start && buf[end - 1] === 0x0d ? end - 1 : end;
}

/**
 * The non-negative integer right after the last `needle` in buf[start, end), or -1 when the
 * needle is absent or not followed by a digit. A quoted number (`"id":"123"`) is read too.
 */
export function readUintAfter(buf: Buffer, start: number, end: number, needle: Buffer): number {
  const at = buf.lastIndexOf(needle, end - needle.length);
  if (at < start) return -1;
  let i = at + needle.length;
  if (buf[i] === 0x22 /* " */) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
    digits++;
  }
  return digits === 0 ? -1 : value;
}

/** The JSON string value after `needle` (e.g. `"code":"`), decoded naively: error codes are plain ASCII. */
export function readStringAfter(buf: Buffer, start: number, end: number, needle: Buffer): string | null {
  const at = buf.indexOf(needle, start);
  if (at === -1 || at >= end) return null;
  const from = at + needle.length;
  const close = buf.indexOf(0x22, from);
  if (close === -1 || close > end) return null;
  return buf.toString('latin1', from, close);
}

/** Where readTailInts puts what it found (-1: not in the tail). */
export interface TailInts {
  seq: number;
  id: number;
}

/**
 * Reads the numeric members at the end of a JSON object, walking backward from its closing
 * brace at `close`: `…,"seq":5,"ts":1795572776763,"id":9}` sets seq 5 and id 9. It stops at
 * the first member whose value is not a plain integer (the text, a quoted id), so a server
 * that orders its fields differently just leaves them at -1 for the caller's fallback. A
 * few dozen bytes of JS instead of two native lastIndexOf calls per frame.
 */
export function readTailInts(buf: Buffer, start: number, close: number, out: TailInts): void {
  out.seq = -1;
  out.id = -1;
  if (buf[close] !== 0x7d /* } */) return;
  let i = close - 1;
  for (let member = 0; member < 6; member++) {
    let value = 0;
    let scale = 1;
    const last = i;
    for (; i > start; i--) {
      const d = buf[i]! - 0x30;
      if (d < 0 || d > 9) break;
      value += d * scale;
      scale *= 10;
    }
    if (i === last || buf[i] !== 0x3a /* : */ || buf[i - 1] !== 0x22 /* " */) return;
    const keyEnd = i - 1;
    i = keyEnd - 1;
    while (i > start && buf[i] !== 0x22) i--;
    const len = keyEnd - i - 1;
    if (len === 3 && buf[i + 1] === 0x73 && buf[i + 2] === 0x65 && buf[i + 3] === 0x71) out.seq = value;
    else if (len === 2 && buf[i + 1] === 0x69 && buf[i + 2] === 0x64) out.id = value;
    i--;
    if (buf[i] !== 0x2c /* , */) return;
    i--;
  }
}
