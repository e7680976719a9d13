import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IRC_MAX_BODY_BYTES,
  IRC_MAX_LINE_BYTES,
  IRC_MAX_TAGS_BYTES,
  IrcErrorCodes,
  parseIrcLine,
  serializeIrcMessage,
  type IrcMessage,
} from '../src/index.js';
import { cutAt, decodeChunks } from './helpers.js';

const NUM_RUNS = 300;

const noBreak = (s: string) => !/[\0\r\n]/.test(s);

const command = fc.oneof(fc.stringMatching(/^[A-Z]{1,12}$/), fc.stringMatching(/^[0-9]{3}$/));
const prefix = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((s) => noBreak(s) && !s.includes(' '));
const tagKey = fc.stringMatching(/^\+?(?:[A-Za-z0-9.-]{1,10}\/)?[A-Za-z0-9-]{1,10}$/);
/** Escapable characters on purpose: `;`, space, `\`, CR and LF. */
const tagValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !s.includes('\0')),
  fc.string({ unit: fc.constantFrom(';', ' ', '\\', '\r', '\n', 's', ':', 'a'), maxLength: 12 }),
);
const middle = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 20 })
  .filter((s) => noBreak(s) && !s.includes(' ') && !s.startsWith(':'));
const trailing = fc.string({ unit: 'binary', maxLength: 60 }).filter(noBreak);

const message: fc.Arbitrary<IrcMessage> = fc
  .record({
    tags: fc.option(fc.dictionary(tagKey, tagValue, { minKeys: 1, maxKeys: 5 }), { nil: undefined }),
    prefix: fc.option(prefix, { nil: undefined }),
    command,
    middles: fc.array(middle, { maxLength: 14 }),
    trailing: fc.option(trailing, { nil: undefined }),
  })
  .map(({ tags, prefix, command, middles, trailing }) => ({
    ...(tags === undefined ? {} : { tags }),
    ...(prefix === undefined ? {} : { prefix }),
    command,
    params: trailing === undefined ? middles : [...middles, trailing],
  }));

/** Byte offsets to cut at; cutAt clamps them into range. */
const cuts = fc.array(fc.nat({ max: 4000 }), { maxLength: 12 });

function isKnownCode(code: string): boolean {
  return Object.hasOwn(IrcErrorCodes, code);
}

describe('IRC message properties', () => {
  it('parse(serialize(m)) is m, or serialize refused m for a limit it really exceeds', () => {
    fc.assert(
      fc.property(message, (m) => {
        const result = serializeIrcMessage(m);
        if (!result.ok) {
          expect(['line_too_long', 'tags_too_long']).toContain(result.code);
          return;
        }
        expect(result.line.endsWith('\r\n')).toBe(true);
        const parsed = parseIrcLine(result.line.slice(0, -2));
        expect(parsed).toEqual({ ok: true, message: m });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('decodes serialized messages however they are chunked, with CR LF or LF endings', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(message, fc.boolean()), { maxLength: 10 }), cuts, (items, offsets) => {
        const lines: string[] = [];
        const expected: IrcMessage[] = [];
        for (const [m, lfOnly] of items) {
          const result = serializeIrcMessage(m);
          if (!result.ok) continue;
          lines.push(lfOnly ? `${result.line.slice(0, -2)}\n` : result.line);
          expected.push(m);
        }
        const sink = decodeChunks(cutAt(Buffer.from(lines.join(''), 'utf8'), offsets), IRC_MAX_LINE_BYTES);
        expect(sink.tooLongCount).toBe(0);
        expect(sink.lines.map((l) => parseIrcLine(l))).toEqual(expected.map((m) => ({ ok: true, message: m })));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never throws on arbitrary bytes through the decoder: each line is a message or a known code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), cuts, (bytes, offsets) => {
        const sink = decodeChunks(cutAt(Buffer.from(bytes), offsets), IRC_MAX_LINE_BYTES);
        for (const line of sink.lines) {
          const result = parseIrcLine(line);
          expect(result.ok || isKnownCode(result.code)).toBe(true);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never throws on IRC-shaped noise, and what it parses serializes back to the same message', () => {
    const alphabet = fc.constantFrom('@', ':', ';', '=', '\\', ' ', ' ', 'a', 'A', '0', '1', '+', '/', '-', '.', 'é', '\r');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 80 }), (line) => {
        const result = parseIrcLine(line);
        if (!result.ok) {
          expect(isKnownCode(result.code)).toBe(true);
          return;
        }
        const again = serializeIrcMessage(result.message);
        expect(again.ok).toBe(true);
        if (again.ok) expect(parseIrcLine(again.line.slice(0, -2))).toEqual(result);
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it('never throws when serializing arbitrary messages: a line within the limits or a known code', () => {
    const anyMessage = fc.record({
      tags: fc.option(fc.dictionary(fc.string(), fc.string()), { nil: undefined }),
      prefix: fc.option(fc.string(), { nil: undefined }),
      command: fc.string(),
      params: fc.array(fc.string({ unit: 'binary' }), { maxLength: 18 }),
    });
    fc.assert(
      fc.property(anyMessage, (m) => {
        const result = serializeIrcMessage(m);
        if (!result.ok) {
          expect(isKnownCode(result.code)).toBe(true);
          return;
        }
        const [head, body] = result.line.startsWith('@')
          ? [result.line.slice(0, result.line.indexOf(' ') + 1), result.line.slice(result.line.indexOf(' ') + 1)]
          : ['', result.line];
        expect(Buffer.byteLength(head)).toBeLessThanOrEqual(IRC_MAX_TAGS_BYTES);
        expect(Buffer.byteLength(body) - 2).toBeLessThanOrEqual(IRC_MAX_BODY_BYTES);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
