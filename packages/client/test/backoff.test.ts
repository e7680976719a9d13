import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF } from '../src/backoff.js';

describe('Backoff', () => {
  it('doubles from initialMs up to maxMs, with no jitter', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 });
    expect(Array.from({ length: 6 }, () => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoff.attempt).toBe(6);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('randomizes the jitter share of each delay, never below the fixed share', () => {
    const low = new Backoff({ ...DEFAULT_BACKOFF, initialMs: 1000 }, () => 0);
    const high = new Backoff({ ...DEFAULT_BACKOFF, initialMs: 1000 }, () => 0.999999);
    expect(low.next()).toBe(500);
    expect(high.next()).toBe(1000);
  });
});
