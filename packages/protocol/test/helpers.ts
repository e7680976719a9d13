/**
 * Shared test helpers for the protocol package: chunking inputs the way a socket might, and
 * a recording LineSink. Not a test file (no `.test.ts`), so vitest does not collect it.
 */
import { LineDecoder, type LineSink } from '../src/index.js';

/** What a decoder reported, in order: a line, or the too-long marker. */
export type DecoderEvent = { line: string } | { tooLong: true };

export const TOO_LONG: DecoderEvent = { tooLong: true };

export function line(text: string): DecoderEvent {
  return { line: text };
}

/** A sink that records every callback, with an optional hook run after each one. */
export class RecordingSink implements LineSink {
  readonly events: DecoderEvent[] = [];
  constructor(readonly after?: (event: DecoderEvent) => void) {}

  get lines(): string[] {
    return this.events.flatMap((e) => ('line' in e ? [e.line] : []));
  }

  get tooLongCount(): number {
    return this.events.filter((e) => 'tooLong' in e).length;
  }

  onLine(text: string): void {
    this.#record({ line: text });
  }

  onLineTooLong(): void {
    this.#record(TOO_LONG);
  }

  #record(event: DecoderEvent): void {
    this.events.push(event);
    this.after?.(event);
  }
}

/** Cuts `input` at the given offsets (any order, duplicates and out-of-range values tolerated). */
export function cutAt(input: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.map((o) => Math.min(Math.max(o, 0), input.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(input.subarray(start, cut));
    start = cut;
  }
  chunks.push(input.subarray(start));
  return chunks;
}

/**
 * Every way to deliver `input` that a decoder test should survive: whole, cut once at every
 * byte boundary, cut twice at every pair of boundaries (inputs up to `pairLimit` bytes), and
 * one byte per push. Each entry is labelled for failure messages.
 */
export function* everySplit(input: Buffer, pairLimit = 64): Generator<[label: string, chunks: Buffer[]]> {
  yield ['whole', [input]];
  for (let i = 0; i <= input.length; i++) yield [`cut at ${i}`, cutAt(input, [i])];
  if (input.length <= pairLimit) {
    for (let i = 1; i < input.length; i++) {
      for (let j = i + 1; j < input.length; j++) yield [`cut at ${i} and ${j}`, cutAt(input, [i, j])];
    }
  }
  yield ['one byte per push', [...input].map((byte) => Buffer.from([byte]))];
}

/** Feeds `chunks` to a fresh decoder and returns what it reported. */
export function decodeChunks(chunks: readonly Buffer[], maxLineBytes?: number): RecordingSink {
  const decoder = new LineDecoder(maxLineBytes);
  const sink = new RecordingSink();
  for (const chunk of chunks) decoder.push(chunk, sink);
  return sink;
}

/** Hex fixture → Buffer; spaces are ignored so fixtures can be grouped by character. */
export function hex(bytes: string): Buffer {
  return Buffer.from(bytes.replace(/\s+/g, ''), 'hex');
}
