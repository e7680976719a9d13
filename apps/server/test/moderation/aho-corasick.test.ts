import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AhoCorasick, MatchList, type Layout, type Pattern } from '../../src/moderation/aho-corasick.js';
import type { NormalizedText } from '../../src/moderation/normalize.js';
import { normalize } from '../../src/moderation/normalize.js';
import { CleanWords } from '../../src/moderation/clean-words.js';
import { compileTerms } from '../../src/moderation/terms.js';

const LAYOUTS: Layout[] = ['dense', 'sparse'];

/** Raw symbols as a NormalizedText without collapsing runs: exercises the automaton alone. */
function raw(text: string): NormalizedText {
  const n = text.length;
  return {
    length: n,
    symbols: Int32Array.from(text, (c) => c.charCodeAt(0)),
    runs: new Uint8Array(n).fill(1),
    flags: Uint8Array.from(text, (c) => (c === ' ' ? 1 : 0)),
    start: Uint32Array.from({ length: n }, (_, i) => i),
    end: Uint32Array.from({ length: n }, (_, i) => i + 1),
    letters: n,
    upper: 0,
    steps: 0,
  };
}

/** n copies of one symbol, built without a per-element callback (1M elements). */
function uniform(ch: string, n: number): NormalizedText {
  const t = raw('');
  return {
    ...t,
    length: n,
    symbols: new Int32Array(n).fill(ch.charCodeAt(0)),
    runs: new Uint8Array(n).fill(1),
    flags: new Uint8Array(n),
  };
}

const substring = (s: string): Pattern => ({
  symbols: [...s].map((c) => c.charCodeAt(0)),
  wordStart: false,
  wordEnd: false,
});

function found(ac: AhoCorasick, text: NormalizedText): string[] {
  return ac
    .search(text)
    .toArray()
    .map((m) => `${m.pattern}@${m.start}-${m.end}`)
    .sort();
}

function naive(patterns: string[], text: string): string[] {
  const out: string[] = [];
  patterns.forEach((p, i) => {
    for (let at = text.indexOf(p); at >= 0; at = text.indexOf(p, at + 1)) out.push(`${i}@${at}-${at + p.length}`);
  });
  return out.sort();
}

describe.each(LAYOUTS)('AhoCorasick (%s layout)', (layout) => {
  it('finds every occurrence of overlapping patterns in one pass (he/she/his/hers)', () => {
    const ac = new AhoCorasick(['he', 'she', 'his', 'hers'].map(substring), { layout });
    expect(found(ac, raw('ushers'))).toEqual(['0@2-4', '1@1-4', '3@2-6']);
  });

  it('agrees with a brute-force matcher on random patterns and texts', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(
        fc.uniqueArray(word, { minLength: 1, maxLength: 12 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 80 }),
        (patterns, text) => {
          const ac = new AhoCorasick(patterns.map(substring), { layout });
          expect(found(ac, raw(text))).toEqual(naive(patterns, text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports patterns that share symbols but differ in constraints separately', () => {
    const ac = new AhoCorasick([substring('ab'), { ...substring('ab'), wordStart: true, wordEnd: true }], { layout });
    expect(found(ac, raw('ab xab'))).toEqual(['0@0-2', '0@4-6', '1@0-2']);
  });

  it('counts one step per symbol when nothing matches, even against aaaa…b patterns', () => {
    const patterns = Array.from({ length: 64 }, (_, k) => substring('a'.repeat(k + 1) + 'b'));
    const ac = new AhoCorasick(patterns, { layout });
    const text = uniform('a', 1 << 20);
    expect(ac.search(text).count).toBe(0);
    // dense: exactly n; sparse: failure steps are amortised against depth gained
    expect(ac.lastSteps).toBeLessThanOrEqual(2 * text.length);
  });

  it('stays linear in input plus matches when every position ends many patterns', () => {
    const patterns = Array.from({ length: 8 }, (_, k) => substring('a'.repeat(k + 1)));
    const ac = new AhoCorasick(patterns, { layout });
    const text = uniform('a', 1 << 18);
    const out = ac.search(text, new MatchList());
    expect(out.count).toBe(8 * text.length - 28);
    expect(ac.lastSteps).toBeLessThanOrEqual(out.count + 2 * text.length);
  });
});

describe('word boundaries and run lengths (compiled terms)', () => {
  const terms = compileTerms(['ass', 'scam*', '*hole', '*fuck*', 'hello']);
  const hits = (text: string): string[] => {
    const n = normalize(text);
    return terms.automaton
      .search(n)
      .toArray()
      .map((m) => terms.specs[m.pattern]?.text ?? '?');
  };

  it('matches a whole-word term only as a whole word', () => {
    expect(hits('you ass')).toEqual(['ass']);
    expect(hits('a$$!')).toEqual(['ass']);
    expect(hits('(ass)')).toEqual(['ass']);
    for (const clean of ['class', 'bass', 'assess', 'passage', 'as', 'grass']) expect(hits(clean)).toEqual([]);
  });

  it('treats leet punctuation next to a word as a boundary, leet digits as letters', () => {
    expect(hits('hello!!')).toEqual(['hello']);
    expect(hits('hello3')).toEqual([]);
  });

  it('anchors prefix and suffix terms at one side only', () => {
    expect(hits('scammers')).toEqual(['scam']);
    expect(hits('antiscam')).toEqual([]);
    expect(hits('asshole')).toEqual(['hole']);
    expect(hits('holes')).toEqual([]);
  });

  it('matches substring terms inside words', () => {
    expect(hits('clusterfuck')).toEqual(['fuck']);
    expect(hits('unfuckingbelievable')).toEqual(['fuck']);
  });

  it('matches letter runs exactly, stretched to three or more, or doubled', () => {
    expect(hits('heeelllooo')).toEqual(['hello']);
    expect(hits('helo')).toEqual([]);
    expect(hits('as')).toEqual([]);
    expect(hits('asssss')).toEqual(['ass']);
    expect(hits('heello')).toEqual(['hello']); // a doubled letter is the cheapest disguise
    expect(hits('what the fuuck')).toEqual(['fuck']);
    expect(hits('hheelloo')).toEqual(['hello']);
  });

  it('does not take a longer word for a term: a shorter run never matches a longer one', () => {
    expect(hits('helo there')).toEqual([]);
    expect(hits('a s')).toEqual([]);
  });
});

describe('doubled letters and clean words ("assess" is not "asses")', () => {
  /** `clean` omitted: the shipped clean words; null: none. */
  const search = (terms: string[], text: string, clean?: CleanWords | null): number =>
    compileTerms(terms, 'dense', clean).automaton.search(normalize(text)).count;

  it('the shipped clean words keep assess, looser and faff clean', () => {
    expect(search(['asses'], 'please assess it')).toBe(0);
    expect(search(['asses'], 'ASSESS it')).toBe(0);
    expect(search(['loser'], 'a looser fit')).toBe(0);
    expect(search(['fag'], 'what a faff')).toBe(0);
  });

  it('still catches the term itself, its doubled disguise and its stretching', () => {
    expect(search(['asses'], 'you asses')).toBe(1);
    expect(search(['asses'], 'you aasses')).toBe(1);
    expect(search(['asses'], 'you asssssess')).toBe(1);
    expect(search(['loser'], 'such a loooser')).toBe(1);
  });

  it('without clean words the doubled-letter rule alone takes "assess" for "asses"', () => {
    expect(search(['asses'], 'please assess it', null)).toBe(1);
    expect(search(['asses'], 'please assess it', new CleanWords(['assess']))).toBe(0);
  });

  it('a clean word excuses only a doubled-letter match, never an exact one', () => {
    // "hello" listed as clean does not hide the term "hello" spelled exactly.
    expect(search(['hello'], 'hello', new CleanWords(['hello']))).toBe(1);
    expect(search(['hello'], 'heello', new CleanWords(['heello']))).toBe(0);
    expect(search(['hello'], 'heello there', new CleanWords(['other']))).toBe(1);
  });

  it('looks the whole word up, not the matched part', () => {
    // "*fuck*" matches anywhere: "fuuckface" is one word, not the clean word "fuuck".
    expect(search(['*fuck*'], 'fuuckface', new CleanWords(['fuuck']))).toBe(1);
    expect(search(['*fuck*'], 'fuuck face', new CleanWords(['fuuck']))).toBe(0);
  });
});

describe('AhoCorasick construction', () => {
  it('gives class 0 to symbols no pattern uses and keeps the alphabet small', () => {
    const ac = new AhoCorasick(['abc', 'cab'].map(substring));
    expect(ac.alphabetSize).toBe(4);
    expect(ac.states).toBe(7);
  });

  it('falls back to the sparse layout when the dense table would be too large', () => {
    // 1000 random patterns of 300 symbols over 40: ~300k states × 41 classes > DENSE_MAX_CELLS
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
    const patterns = Array.from({ length: 1000 }, () => ({
      symbols: Array.from({ length: 300 }, () => 0x100 + (next() % 40)),
      wordStart: false,
      wordEnd: false,
    }));
    expect(new AhoCorasick(patterns).layout).toBe('sparse');
  });

  it('rejects an empty pattern', () => {
    expect(() => new AhoCorasick([substring('')])).toThrow(RangeError);
  });
});
