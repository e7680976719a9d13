import { describe, expect, it } from 'vitest';
import { decodeHistogram, encodeHistogram, mergeEncoded, newHistogram, summarize } from '../src/engine/histograms.js';

describe('histogram merging across processes', () => {
  it('decoding and adding encoded histograms equals one histogram of the union', () => {
    const union = newHistogram();
    const parts = [newHistogram(), newHistogram(), newHistogram()];
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 30_000; i++) {
      // Long-tailed values, 1 µs .. ~10 s, like latencies under a stall.
      const v = Math.max(1, Math.round(Math.exp(rand() * 16)));
      union.recordValue(v);
      parts[i % 3]!.recordValue(v);
    }
    const merged = mergeEncoded(parts.map(encodeHistogram));
    expect(merged.totalCount).toBe(union.totalCount);
    // The encoding keeps bucket counts, so the exact max becomes its bucket's top (≤ 0.1 % off).
    expect(Math.abs(merged.maxValue - union.maxValue) / union.maxValue).toBeLessThan(0.001);
    for (const p of [1, 50, 90, 99, 99.9, 99.99, 100]) {
      expect(merged.getValueAtPercentile(p)).toBe(union.getValueAtPercentile(p));
    }
    expect(merged.mean).toBeCloseTo(union.mean, 6);
    const { max: _m1, ...a } = summarize(merged);
    const { max: _m2, ...b } = summarize(union);
    expect(a).toEqual(b);
  });

  it('round-trips one histogram through the encoding', () => {
    const h = newHistogram();
    for (const v of [1, 2, 3, 1000, 123_456, 5_000_000]) h.recordValue(v);
    const back = decodeHistogram(encodeHistogram(h));
    expect(back.totalCount).toBe(6);
    expect(Math.abs(back.maxValue - h.maxValue) / h.maxValue).toBeLessThan(0.001);
    expect(back.getValueAtPercentile(50)).toBe(h.getValueAtPercentile(50));
  });

  it('ignores empty slots and summarizes an empty histogram as nulls', () => {
    const merged = mergeEncoded(['', encodeHistogram(newHistogram())]);
    expect(summarize(merged)).toEqual({ count: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null });
  });
});
