import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { createModerationFilter } from '../../src/moderation/index.js';
import { classify } from '../../src/moderation/classifier-stand-in.js';

describe('classifier stand-in (--filter-classifier-us)', () => {
  it('spends at least the asked CPU time on every message the rules let through', () => {
    const filter = createModerationFilter({ level: 'basic', terms: ['darn'], classifierUs: 3_000 });
    const started = performance.now();
    expect(filter.check('ann', 'hello there', 0).action).toBe('allow');
    expect(performance.now() - started).toBeGreaterThanOrEqual(3);
  });

  it('is skipped for a message the rules already rejected', () => {
    const filter = createModerationFilter({ level: 'strict', terms: ['darn'], classifierUs: 50_000 });
    const started = performance.now();
    expect(filter.check('ann', 'darn it', 0).action).toBe('reject');
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('returns a score that depends on the text', () => {
    expect(classify('a', 1)).not.toBe(classify('b', 1));
  });

  it('refuses a cost outside 0..100000 µs', () => {
    expect(() => createModerationFilter({ level: 'basic', classifierUs: -1 })).toThrow(/classifierUs/);
    expect(() => createModerationFilter({ level: 'basic', classifierUs: 100_001 })).toThrow(/classifierUs/);
  });
});
