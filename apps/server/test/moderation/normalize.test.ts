import { describe, expect, it } from 'vitest';
import { createModerationFilter } from '../../src/moderation/filter.js';
import { Flag, Normalizer, fingerprint, normalize } from '../../src/moderation/normalize.js';

const HELLO = normalize('hello');

/** Disguises of "hello" the issue and the brief name, plus a few more. */
const DISGUISES: [string, string][] = [
  ['leetspeak', 'h3ll0'],
  ['leetspeak with 1 for l', 'he11o'],
  ['fullwidth', 'ｈｅｌｌｏ'],
  ['uppercase', 'HELLO'],
  ['dots between letters', 'h.e.l.l.o'],
  ['hyphens between letters', 'h-e-l-l-o'],
  ['spaces between letters', 'h e l l o'],
  ['underscores between letters', 'h_e_l_l_o'],
  ['zero-width space inside', 'hel\u200blo'],
  ['zero-width joiner and non-joiner', 'h\u200de\u200cllo'],
  ['word joiner and BOM inside', 'he\ufeffl\u2060lo'],
  ['soft hyphen', 'hel\u00adlo'],
  ['precomposed accents', 'hélló'],
  ['combining accents', 'he\u0301\u0302llo\u0308'],
  ['Cyrillic е and о', 'h\u0435ll\u043e'],
  ['Cyrillic capitals', 'Н\u0415LL\u041e'],
  ['Greek capitals', 'ΗΕLLΟ'],
  ['mathematical bold (surrogate pairs)', '𝐡𝐞𝐥𝐥𝐨'],
  ['stretched letters', 'heeeeellllooo'],
  ['everything at once', 'Н.3.1.|.0'],
];

describe('normalize', () => {
  it.each(DISGUISES)('folds %s (%j) to the same symbols and runs as "hello"', (_name, text) => {
    const n = normalize(text);
    expect(n.text).toBe(HELLO.text);
    for (let i = 0; i < n.length; i++) expect(n.runs[i]).toBeGreaterThanOrEqual(HELLO.runs[i] as number);
  });

  it.each(DISGUISES)('lets the term "hello" mask %s (%j) entirely', (_name, text) => {
    const filter = createModerationFilter({ level: 'basic', terms: ['hello'] });
    expect(filter.check('s', `say ${text} now`, 0)).toEqual({
      action: 'mask',
      text: `say ${'*'.repeat(text.length)} now`,
      matches: 1,
    });
  });

  it('does not let "helo" (one l) match the term "hello"', () => {
    const filter = createModerationFilter({ level: 'basic', terms: ['hello'] });
    expect(filter.check('s', 'helo there', 0)).toEqual({ action: 'allow' });
  });

  it('folds i, l, 1, ! and | into one symbol', () => {
    expect(new Set(['i', 'l', 'L', 'I', '1', '!', '|'].map((c) => normalize(`x${c}x`).text))).toEqual(new Set(['xix']));
  });

  it('collapses runs and records their lengths', () => {
    const n = normalize('aaab  cc');
    expect(n.text).toBe('ab c');
    expect(Array.from(n.runs)).toEqual([3, 1, 2, 2]);
    expect(Array.from(n.flags)).toEqual([0, 0, Flag.Boundary, 0]);
  });

  it('marks leet punctuation as soft (a word boundary) and digits as letters', () => {
    const n = normalize('idiot! h3y');
    expect(n.text).toBe('idioti hey');
    expect(n.flags[5]).toBe(Flag.Soft);
    expect(n.flags[8]).toBe(0);
  });

  it('joins only chains of three or more single characters with one identical separator', () => {
    expect(normalize('a b').text).toBe('a b');
    expect(normalize('a b c').text).toBe('abc');
    expect(normalize('a  b  c').text).toBe('a b c');
    expect(normalize('say a f.u.c.k').text).toBe('say a fuck');
    expect(normalize('I am ok').text).toBe('i am ok');
  });

  it('maps every position back to its original UTF-16 span', () => {
    const n = normalize('x h.e.l.l.o y');
    expect(n.text).toBe('x heio y');
    const spans = Array.from({ length: n.length }, (_, i) => [n.start[i], n.end[i]]);
    expect(spans).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [4, 5],
      [6, 9],
      [10, 11],
      [11, 12],
      [12, 13],
    ]);
  });

  it('gives a combining mark to the character before it and a surrogate pair one position', () => {
    const n = normalize('e\u0301\u0302x😀y');
    expect(n.text).toBe('ex y');
    expect([n.start[0], n.end[0]]).toEqual([0, 3]);
    expect([n.start[2], n.end[2]]).toEqual([4, 6]);
  });

  it('drops controls and format characters without splitting words', () => {
    expect(normalize('he\u0001l\u202elo').text).toBe(HELLO.text);
  });

  it('folds ß, æ, ligatures and compatibility forms', () => {
    expect(normalize('Straße').text).toBe(normalize('strasse').text);
    expect(normalize('ﬁne').text).toBe('fine');
    expect(normalize('Ⓗⓔⓛⓛⓞ').text).toBe(HELLO.text);
    expect(normalize('æon').text).toBe('aeon');
  });

  it('counts letters and uppercase letters of the original text', () => {
    const n = normalize('ABC déF 123 ΣΣ');
    expect(n.letters).toBe(8);
    expect(n.upper).toBe(6);
  });

  it('fingerprints texts that differ only in case, leet, stretching and edge separators alike', () => {
    const a = fingerprint(normalize('Hello world'));
    expect(fingerprint(normalize('  h3ll0 w0rld'))).toBe(a);
    expect(fingerprint(normalize('HEEELLO WORLD!'))).not.toBe(a); // '!' is a letter ('i')
    expect(fingerprint(normalize('HEEELLO WORLD.'))).toBe(a);
    expect(fingerprint(normalize('hello there'))).not.toBe(a);
  });

  it('reuses its buffers: a Normalizer returns the same object every run', () => {
    const n = new Normalizer();
    const first = n.run('a long message with several words in it');
    const second = n.run('short');
    expect(second).toBe(first);
    expect(second.length).toBe(5);
  });
});
