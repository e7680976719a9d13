/**
 * A bounded streaming line decoder: the seed's "split off each complete line" loop, made
 * safe for a server that holds 10,000 connections.
 *
 *   chunk ──▶ indexOf('\n') ──▶ found: line = pending tail + chunk[start, nl) ──▶ sink.onLine
 *                    │
 *                    └──▶ not found: copy chunk[start, end) into pending (≤ maxLineBytes)
 *
 * - Chunks may split a line anywhere (even inside a multi-byte UTF-8 character): bytes are
 *   joined before decoding, so splits never corrupt characters.
 * - `\n` ends a line; a `\r` right before it is dropped, so `\r\n` (telnet) works too.
 * - The limit is enforced while buffering: pending bytes never exceed `maxLineBytes`, and
 *   the pending tail is copied out of the socket's chunk so that no read buffer is pinned.
 *   (One byte of slack is kept for the `\r` of a `\r\n` that has not arrived yet.)
 * - Invalid UTF-8 decodes to U+FFFD replacement characters (like the seed's
 *   `errors="replace"`), never an exception.
 * - A line over the limit is reported once through `sink.onLineTooLong()`; the decoder then
 *   discards bytes up to the next newline and carries on, unless the sink calls `close()`
 *   (the server does: the protocol treats an oversize line as a framing violation).
 */
import { DEFAULT_MAX_LINE_BYTES } from './limits.js';

const LF = 0x0a;
const CR = 0x0d;

export interface LineSink {
  onLine(line: string): void;
  onLineTooLong(): void;
}

export class LineDecoder {
  #maxLineBytes: number;
  /** Bytes of an unfinished line; null while there is none (most of the time). */
  #pending: Buffer[] | null = null;
  #pendingBytes = 0;
  #discarding = false;
  #closed = false;

  constructor(maxLineBytes: number = DEFAULT_MAX_LINE_BYTES) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError('maxLineBytes must be a positive integer');
    }
    this.#maxLineBytes = maxLineBytes;
  }

  get maxLineBytes(): number {
    return this.#maxLineBytes;
  }

  /**
   * Changes the limit from the line being read on: a dialect chosen by the first line may
   * need more than the default (IRC: 8,191 bytes of tags before a 510-byte line).
   */
  setMaxLineBytes(maxLineBytes: number): void {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError('maxLineBytes must be a positive integer');
    }
    this.#maxLineBytes = maxLineBytes;
  }

  /** Bytes currently held for an unfinished line (never more than maxLineBytes + 1). */
  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  /** Stops decoding: later chunks and the rest of the current chunk are ignored. */
  close(): void {
    this.#closed = true;
    this.#reset();
  }

  push(chunk: Buffer, sink: LineSink): void {
    let start = 0;
    const end = chunk.length;
    while (start < end && !this.#closed) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) {
        this.#hold(chunk, start, end, sink);
        return;
      }
      if (this.#discarding) {
        this.#discarding = false;
      } else if (this.#lineBytes(chunk, start, nl) > this.#maxLineBytes) {
        this.#reset();
        sink.onLineTooLong();
      } else {
        sink.onLine(this.#takeLine(chunk, start, nl));
      }
      start = nl + 1;
    }
  }

  /** Length of the line ending at `nl`, a trailing `\r` excluded. */
  #lineBytes(chunk: Buffer, start: number, nl: number): number {
    const bytes = this.#pendingBytes + (nl - start);
    const lastByte = nl > start ? chunk[nl - 1] : this.#pending?.at(-1)?.at(-1);
    return lastByte === CR ? bytes - 1 : bytes;
  }

  #takeLine(chunk: Buffer, start: number, nl: number): string {
    let line: string;
    if (this.#pending === null) {
      line = chunk.toString('utf8', start, nl);
    } else {
      this.#pending.push(chunk.subarray(start, nl));
      line = Buffer.concat(this.#pending, this.#pendingBytes + (nl - start)).toString('utf8');
      this.#reset();
    }
    return line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line;
  }

  #hold(chunk: Buffer, start: number, end: number, sink: LineSink): void {
    if (this.#discarding) return;
    const size = end - start;
    // +1: the line may still end in `\r\n`, whose `\r` does not count against the limit.
    if (this.#pendingBytes + size > this.#maxLineBytes + 1) {
      this.#reset();
      this.#discarding = true;
      sink.onLineTooLong();
      return;
    }
    // Copy: a view would pin the whole socket read buffer (up to 64 KiB) for a few bytes.
    const copy = Buffer.allocUnsafe(size);
    chunk.copy(copy, 0, start, end);
    (this.#pending ??= []).push(copy);
    this.#pendingBytes += size;
  }

  #reset(): void {
    this.#pending = null;
    this.#pendingBytes = 0;
  }
}
