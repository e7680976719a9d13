/**
 * Linear time on adversarial input: 1 MB messages against the shipped list and against terms
 * built to provoke a backtracking matcher. Asserted on the step counters the normalizer and the
 * automaton expose (steps ≤ c × input length), never on wall-clock time.
 */
import { describe, expect, it } from 'vitest';
import { MatchList } from '../../src/moderation/aho-corasick.js';
import { Normalizer } from '../../src/moderation/normalize.js';
import { DEFAULT_TERMS_PATH, compileTerms, loadTermsFile } from '../../src/moderation/terms.js';

const MB = 1 << 20;
const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

const adversarialTerms = [
  // "aa…ab" terms: runs collapse, so all of these share the automaton state for "ab"
  ...Array.from({ length: 12 }, (_, k) => '*' + 'a'.repeat(k + 2) + 'b*'),
  ...Array.from({ length: 40 }, (_, k) => '*' + 'ab'.repeat(k + 1) + 'c*'),
  '*ab*',
  '*a b a b x*',
  'a',
];

const INPUTS: [string, string][] = [
  ['one letter repeated', fill('a')],
  ['two letters alternating', fill('ab')],
  ['separators only', fill('.-_ ')],
  ['single letters with separators (all joined)', fill('a.')],
  ['single letters with alternating separators', fill('a.b ')],
  ['spaced-out near-matches', fill('a b ')],
  ['zero-width characters between letters', fill('a\u200b')],
  ['combining marks piling on one letter', 'a' + '\u0301'.repeat(MB - 1)],
  ['leet punctuation', fill('!$@|')],
  ['many short words', fill('ab ')],
];

describe('linear time on 1 MB adversarial input', () => {
  const adversarial = compileTerms(adversarialTerms);
  const shipped = compileTerms(loadTermsFile(DEFAULT_TERMS_PATH));
  const normalizer = new Normalizer();
  const out = new MatchList();

  it.each(INPUTS)('%s', (_name, input) => {
    expect(input.length).toBe(MB);
    const n = normalizer.run(input);
    expect(n.steps).toBeLessThanOrEqual(5 * input.length);
    for (const terms of [adversarial, shipped]) {
      terms.automaton.search(n, out);
      // One transition per position plus the candidates reported there. The candidates per
      // position are bounded by the dictionary (here: 12 "a…ab" terms share one state), not by
      // the input, so a fixed c holds for every input length.
      expect(terms.automaton.lastSteps).toBeLessThanOrEqual(16 * input.length);
    }
  });

  it('does work proportional to the input: 4× the input, ≤ 4× the steps', () => {
    const steps = (size: number): number => {
      const n = normalizer.run('ab'.repeat(size / 2));
      adversarial.automaton.search(n, out);
      return n.steps + adversarial.automaton.lastSteps;
    };
    const small = steps(MB / 4);
    expect(steps(MB)).toBeLessThanOrEqual(4 * small + 16);
  });

  it('bounds the work on input that expands under NFKC (U+FDFA is 18 characters)', () => {
    const input = '\ufdfa'.repeat(1 << 16);
    const n = normalizer.run(input);
    expect(n.steps).toBeLessThanOrEqual(80 * input.length);
    adversarial.automaton.search(n, out);
    expect(adversarial.automaton.lastSteps).toBeLessThanOrEqual(20 * input.length);
  });
});
