import { describe, expect, it } from 'vitest';
import { generateChatMessages } from '../../bench/lib/chat-corpus.js';
import { measureFilterCost as measure, type FilterCostOptions } from '../../bench/lib/filter-cost.js';
import { createModerationFilter } from '../../src/moderation/index.js';

const measureFilterCost = (options: FilterCostOptions) => measure(createModerationFilter, options);

describe('measureFilterCost', () => {
  it('reports ordered percentiles, a mean and a rate for the default filter', () => {
    const c = measureFilterCost({ level: 'basic', messages: 2000, warmup: 500 });
    expect(c.p50us).toBeGreaterThan(0);
    expect(c.p50us).toBeLessThanOrEqual(c.p99us);
    expect(c.p99us).toBeLessThanOrEqual(c.maxus);
    expect(c.messagesPerSecond).toBeGreaterThan(0);
    expect(c.verdicts.allow + c.verdicts.mask + c.verdicts.reject).toBe(2000);
    expect(c.verdicts.mask).toBeGreaterThan(0); // the corpus contains terms
  });

  it('sees strict reject what basic masks', () => {
    const strict = measureFilterCost({ level: 'strict', messages: 1000, warmup: 0 });
    expect(strict.verdicts.mask).toBe(0);
    expect(strict.verdicts.reject).toBeGreaterThan(0);
  });

  it('refuses a non-positive message count', () => {
    expect(() => measureFilterCost({ level: 'off', messages: 0 })).toThrow(RangeError);
  });
});

describe('generateChatMessages', () => {
  it('is deterministic per seed and mostly ~100-character clean chat', () => {
    const a = generateChatMessages(500, { seed: 9 });
    expect(generateChatMessages(500, { seed: 9 })).toEqual(a);
    expect(generateChatMessages(5, { seed: 10 })).not.toEqual(a.slice(0, 5));
    const mean = a.reduce((s, m) => s + m.text.length, 0) / a.length;
    expect(mean).toBeGreaterThan(80);
    expect(mean).toBeLessThan(130);
  });
});
