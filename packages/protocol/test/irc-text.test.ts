import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ircTextLines, ircTextToLoopchat, sanitizeForIrc } from '../src/index.js';

const FORMATTING = ['\x02', '\x03', '\x0f', '\x16', '\x1d', '\x1f'];

describe('sanitizeForIrc', () => {
  it.each(FORMATTING.map((c) => [c.charCodeAt(0).toString(16), c]))('keeps formatting code 0x%s', (_, c) => {
    expect(sanitizeForIrc(`a${c}b`)).toBe(`a${c}b`);
  });

  it('keeps a colour code with its digits', () => {
    expect(sanitizeForIrc('\x0304,12red on blue\x03')).toBe('\x0304,12red on blue\x03');
  });

  it('removes CTCP \\x01, ESC, NUL, DEL, C1 and the newer codes, and turns tabs into spaces', () => {
    expect(sanitizeForIrc('\x01DCC SEND x\x01')).toBe('DCC SEND x');
    expect(sanitizeForIrc('a\x1b[31mb\0c\x7fd\x85e\x9ff\x11g\x1eh\x04i\tj')).toBe('a[31mbcdefghi j');
  });

  it('leaves every other character alone, emoji and bidi text included', () => {
    expect(sanitizeForIrc('héllo 👋🏽 שלום')).toBe('héllo 👋🏽 שלום');
  });
});

describe('ircTextLines', () => {
  it('makes one line per line of text and drops empty ones', () => {
    expect(ircTextLines('one\r\ntwo\n\nthree\rfour\n', 100)).toEqual(['one', 'two', 'three', 'four']);
    expect(ircTextLines('\n\x01\n', 100)).toEqual([]);
  });

  it('cuts a long line into pieces of at most maxBytes without splitting a character', () => {
    expect(ircTextLines('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    expect(ircTextLines('éééé', 5)).toEqual(['éé', 'éé']);
    expect(ircTextLines('a👋b👋', 5)).toEqual(['a👋', 'b👋']);
  });

  it('never makes a piece over maxBytes, and loses no character but the ones sanitized away', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 4, max: 64 }), (text, max) => {
        const pieces = ircTextLines(text, max);
        for (const piece of pieces) {
          expect(piece).not.toBe('');
          expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(max);
          expect(piece).not.toMatch(/[\0\r\n\x01]/);
        }
        expect(pieces.join('')).toBe(
          text
            .split(/\r\n|[\r\n]/)
            .map(sanitizeForIrc)
            .join(''),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('ircTextToLoopchat: CTCP from IRC clients', () => {
  it('keeps plain text, formatting codes included', () => {
    expect(ircTextToLoopchat('hi \x02there\x02')).toEqual({ ok: true, text: 'hi \x02there\x02', action: false });
  });

  it('turns ACTION into an action, with or without the closing \\x01', () => {
    expect(ircTextToLoopchat('\x01ACTION waves\x01')).toEqual({ ok: true, text: 'waves', action: true });
    expect(ircTextToLoopchat('\x01action waves')).toEqual({ ok: true, text: 'waves', action: true });
  });

  it('refuses other CTCP and an empty ACTION, naming the request safely', () => {
    expect(ircTextToLoopchat('\x01VERSION\x01')).toEqual({ ok: false, ctcp: 'VERSION' });
    expect(ircTextToLoopchat('\x01DCC SEND x 1 2 3\x01')).toEqual({ ok: false, ctcp: 'DCC' });
    expect(ircTextToLoopchat('\x01ACTION \x01')).toEqual({ ok: false, ctcp: 'ACTION' });
    expect(ircTextToLoopchat('\x01\x1b[2J\x01')).toEqual({ ok: false, ctcp: '[2J' });
  });
});
