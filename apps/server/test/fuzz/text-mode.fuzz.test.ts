/** A bounded run of fuzz target 3 (apps/server/fuzz/text-mode.fuzz.ts) for CI. */
import { describe, expect, it } from 'vitest';
import { fuzzTextMode } from '../../fuzz/text-mode.fuzz.js';
import { ciBudget, failureOf } from './budget.js';

describe('text mode under generated input', () => {
  it('parses 5,000 hostile lines without throwing and renders no control character or extra line', () => {
    const result = fuzzTextMode(ciBudget(5_000));
    expect(failureOf(result)).toBeNull();
    expect(result.inputs).toBeGreaterThan(1_000);
  });
});
