/** A bounded run of fuzz target 5 (apps/server/fuzz/irc.fuzz.ts) for CI. */
import { describe, expect, it } from 'vitest';
import { fuzzIrc } from '../../fuzz/irc.fuzz.js';
import { ciBudget, failureOf } from './budget.js';

describe('IRC dialect under generated input', () => {
  it('parses and answers 3,000 hostile line sequences without throwing or writing an unsafe line', () => {
    const result = fuzzIrc(ciBudget(3_000));
    expect(failureOf(result)).toBeNull();
    expect(result.inputs).toBeGreaterThan(500);
  });
});
