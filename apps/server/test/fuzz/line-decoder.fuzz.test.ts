/** A bounded run of fuzz target 1 (apps/server/fuzz/line-decoder.fuzz.ts) for CI. */
import { describe, expect, it } from 'vitest';
import { fuzzLineDecoder } from '../../fuzz/line-decoder.fuzz.js';
import { ciBudget, failureOf } from './budget.js';

describe('LineDecoder under generated chunks', () => {
  it('stays within maxLineBytes + 1 and yields exactly the reference lines for 5,000 inputs', () => {
    const result = fuzzLineDecoder(ciBudget(5_000));
    expect(failureOf(result)).toBeNull();
    expect(result.inputs).toBeGreaterThan(1_000);
  });
});
