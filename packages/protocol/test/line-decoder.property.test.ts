import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_LINE_BYTES,
  ErrorCodes,
  LineDecoder,
  MAX_HISTORY_LIMIT,
  MAX_ID_LENGTH,
  NICK_PATTERN,
  ProtocolError,
  ROOM_PATTERN,
  createClientCodec,
  type ClientFrame,
} from '../src/index.js';
import { TOO_LONG, cutAt, decodeChunks, line, type DecoderEvent } from './helpers.js';

const NUM_RUNS = 300;

/** Any code points (never lone surrogates, which cannot round-trip through UTF-8) except `\n`. */
const lineText = fc
  .string({ unit: 'binary', maxLength: 40 })
  // A trailing `\r` is indistinguishable from a `\r\n` terminator, so it cannot round-trip.
  .filter((s) => !s.includes('\n') && !s.endsWith('\r'));

const terminator = fc.constantFrom('\n', '\r\n');

/** Offsets to cut a buffer of any length at: scaled into range by `cutAt`'s clamping. */
const cutFractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

function cutByFractions(input: Buffer, fractions: readonly number[]): Buffer[] {
  return cutAt(
    input,
    fractions.map((f) => Math.floor(f * (input.length + 1))),
  );
}

function encodeLines(lines: readonly (readonly [string, string])[]): Buffer {
  return Buffer.from(lines.map(([text, end]) => text + end).join(''), 'utf8');
}

describe('LineDecoder properties', () => {
  it('decodes any lines, however chunked, back to the same lines', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(lineText, terminator), { maxLength: 20 }), cutFractions, (lines, fractions) => {
        const chunks = cutByFractions(encodeLines(lines), fractions);
        const sink = decodeChunks(chunks, 1 << 20);
        expect(sink.events).toEqual(lines.map(([text]) => line(text)));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reports exactly the lines longer than maxLineBytes, in order, however chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(lineText, terminator), { maxLength: 20 }),
        cutFractions,
        fc.integer({ min: 1, max: 48 }),
        (lines, fractions, max) => {
          const chunks = cutByFractions(encodeLines(lines), fractions);
          const expected: DecoderEvent[] = lines.map(([text]) =>
            Buffer.byteLength(text, 'utf8') <= max ? line(text) : TOO_LONG,
          );
          const decoder = new LineDecoder(max);
          const events: DecoderEvent[] = [];
          const sink = { onLine: (text: string) => events.push(line(text)), onLineTooLong: () => events.push(TOO_LONG) };
          for (const chunk of chunks) {
            decoder.push(chunk, sink);
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(max + 1);
          }
          expect(events).toEqual(expected);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

// ---- JSON frames through the decoder and the codec ----

const nick = fc.stringMatching(new RegExp(NICK_PATTERN));
/** Mixed case on purpose: the codec folds rooms, and the expectation folds them too. */
const room = fc.stringMatching(new RegExp(ROOM_PATTERN));
const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }).filter((s) => s.length <= 200);
const id = fc.oneof(
  fc.string({ minLength: 1, maxLength: MAX_ID_LENGTH }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

const clientFrame: fc.Arbitrary<ClientFrame> = fc.oneof(
  fc.record(
    {
      type: fc.constant('hello' as const),
      nick,
      token: fc.string({ maxLength: 64 }),
      v: fc.integer({ min: 1, max: 1000 }),
      id,
    },
    { requiredKeys: ['type', 'nick'] },
  ),
  fc.record({ type: fc.constant('join' as const), room, id }, { requiredKeys: ['type', 'room'] }),
  fc.record({ type: fc.constant('leave' as const), room, id }, { requiredKeys: ['type', 'room'] }),
  fc.record({ type: fc.constant('msg' as const), room, text, id }, { requiredKeys: ['type', 'room', 'text'] }),
  fc.record({ type: fc.constant('dm' as const), to: nick, text, id }, { requiredKeys: ['type', 'to', 'text'] }),
  fc.record(
    {
      type: fc.constant('history' as const),
      room,
      since: fc.maxSafeNat(),
      limit: fc.integer({ min: 1, max: MAX_HISTORY_LIMIT }),
      id,
    },
    { requiredKeys: ['type', 'room'] },
  ),
  fc.record({ type: fc.constant('who' as const), room, id }, { requiredKeys: ['type', 'room'] }),
  fc.record({ type: fc.constant('rooms' as const), id }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('ping' as const), id }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('pong' as const) }),
);

function foldRoom(frame: ClientFrame): ClientFrame {
  return 'room' in frame ? { ...frame, room: frame.room.toLowerCase() } : frame;
}

function isKnownError(value: unknown): boolean {
  return value instanceof ProtocolError && Object.hasOwn(ErrorCodes, value.code);
}

describe('codec properties', () => {
  it('decodes any valid client frames, serialized and chunked arbitrarily, to the same frames', () => {
    const codec = createClientCodec();
    fc.assert(
      fc.property(fc.array(clientFrame, { maxLength: 12 }), cutFractions, (frames, fractions) => {
        const wire = Buffer.from(frames.map((f) => `${JSON.stringify(f)}\n`).join(''), 'utf8');
        const sink = decodeChunks(cutByFractions(wire, fractions), DEFAULT_MAX_LINE_BYTES);
        expect(sink.tooLongCount).toBe(0);
        const decoded = sink.lines.map((l) => codec.decode(l));
        expect(decoded).toEqual(frames.map(foldRoom));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never throws on arbitrary strings: returns a frame or a ProtocolError with a known code', () => {
    const codec = createClientCodec();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (input) => {
        const result = codec.decode(input);
        expect(result instanceof ProtocolError ? isKnownError(result) : typeof result.type === 'string').toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never throws on arbitrary JSON, including frame-shaped objects with wrong values', () => {
    const codec = createClientCodec();
    const frameShaped = fc.record(
      {
        type: fc.oneof(fc.constantFrom('hello', 'join', 'leave', 'msg', 'dm', 'history', 'who', 'rooms', 'ping', 'pong'), fc.jsonValue()),
        room: fc.jsonValue(),
        nick: fc.jsonValue(),
        to: fc.jsonValue(),
        text: fc.jsonValue(),
        since: fc.jsonValue(),
        limit: fc.jsonValue(),
        id: fc.jsonValue(),
        __proto__: fc.jsonValue(),
        constructor: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.json(), frameShaped.map((v) => JSON.stringify(v))), (input) => {
        const result = codec.decode(input);
        expect(result instanceof ProtocolError ? isKnownError(result) : typeof result.type === 'string').toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('never throws when validating arbitrary values', () => {
    const codec = createClientCodec();
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const result = codec.validate(value);
        expect(result instanceof ProtocolError ? isKnownError(result) : typeof result.type === 'string').toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
