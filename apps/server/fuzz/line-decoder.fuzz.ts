/**
 * Fuzz target 1, the LineDecoder: arbitrary bytes (newlines, lone and paired `\r`, broken
 * and split UTF-8, runs longer than the limit) cut into chunks at arbitrary points.
 *
 * Invariants, checked after every chunk and at the end:
 * - it never holds more than maxLineBytes + 1 bytes (the documented bound);
 * - its events are exactly those of a one-shot reference splitter on the whole input;
 * - its only error is `onLineTooLong`, and once the sink closes it (as the server does)
 *   nothing more comes out.
 */
import fc from 'fast-check';
import { LineDecoder } from '@loopchat/protocol';
import { Counter, check, runSync, type FuzzBudget, type FuzzResult } from './target.js';

type DecoderEvent = string | typeof TOO_LONG;
const TOO_LONG = Symbol('line_too_long');

/** Pieces that stress the decoder: terminators, multi-byte characters, long runs, random bytes. */
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 12 }) },
  { weight: 3, arbitrary: fc.constantFrom('\n', '\r\n', '\r', '\r\r\n', '\n\n').map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.constantFrom('\xe2\x82', '\xf0\x9f\x98', '\xc3').map((s) => Buffer.from(s, 'latin1')) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200 }).map((n) => Buffer.alloc(n, 0x61)) },
);

const input = fc.record({
  maxLineBytes: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 9, max: 128 })),
  bytes: fc.array(piece, { maxLength: 40 }).map((pieces) => Buffer.concat(pieces)),
  cuts: fc.array(fc.nat(), { maxLength: 12 }),
  closeOnTooLong: fc.boolean(),
});

/** The whole input split at once: what any chunking must reproduce. */
export function referenceEvents(bytes: Buffer, maxLineBytes: number): DecoderEvent[] {
  const events: DecoderEvent[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(0x0a); nl !== -1; nl = bytes.indexOf(0x0a, start)) {
    let end = nl;
    if (end > start && bytes[end - 1] === 0x0d) end--;
    events.push(end - start > maxLineBytes ? TOO_LONG : bytes.toString('utf8', start, end));
    start = nl + 1;
  }
  // An unterminated tail is already known to be too long past maxLineBytes + 1 (the +1 is
  // the `\r` of a `\r\n` that may still come), and is reported then, not at its newline.
  if (bytes.length - start > maxLineBytes + 1) events.push(TOO_LONG);
  return events;
}

function chunksOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, at));
    from = at;
  }
  return chunks;
}

export function fuzzLineDecoder(budget: FuzzBudget): FuzzResult {
  const counter = new Counter();
  const property = fc.property(input, ({ maxLineBytes, bytes, cuts, closeOnTooLong }) => {
    counter.count++;
    const decoder = new LineDecoder(maxLineBytes);
    const events: DecoderEvent[] = [];
    let closed = false;
    const sink = {
      onLine(line: string): void {
        check(!closed, () => 'a line came out after close()');
        events.push(line);
      },
      onLineTooLong(): void {
        check(!closed, () => 'line_too_long came out after close()');
        events.push(TOO_LONG);
        if (closeOnTooLong) {
          closed = true;
          decoder.close();
        }
      },
    };
    for (const chunk of chunksOf(bytes, cuts)) {
      decoder.push(chunk, sink);
      check(decoder.bufferedBytes <= maxLineBytes + 1, () => `holds ${decoder.bufferedBytes} bytes > ${maxLineBytes} + 1`);
    }
    let expected = referenceEvents(bytes, maxLineBytes);
    if (closeOnTooLong && expected.includes(TOO_LONG)) expected = expected.slice(0, expected.indexOf(TOO_LONG) + 1);
    check(
      events.length === expected.length && events.every((e, i) => e === expected[i]),
      () => `events ${show(events)} differ from the reference ${show(expected)}`,
    );
  });
  return runSync('line-decoder', budget, counter, property);
}

function show(events: DecoderEvent[]): string {
  return JSON.stringify(events.map((e) => (e === TOO_LONG ? '<line_too_long>' : e)));
}
