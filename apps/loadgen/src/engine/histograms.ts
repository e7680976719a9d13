/**
 * HdrHistogram helpers. Values are microseconds. Histograms cross process boundaries as
 * compressed base64 (the HdrHistogram interchange encoding), so merging N processes is
 * decode + add and gives exactly the histogram of the union of their values.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** 1 µs .. auto-resized, 3 significant digits (0.1 % relative error). */
export function newHistogram(digits: 2 | 3 = 3): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: digits,
    autoResize: true,
    bitBucketSize: 32,
  });
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/** Decodes every encoded histogram and adds them into one. */
export function mergeEncoded(encoded: readonly string[], digits: 2 | 3 = 3): Histogram {
  const total = newHistogram(digits);
  for (const e of encoded) {
    if (e === '') continue;
    const h = decodeHistogram(e);
    total.add(h);
    h.destroy();
  }
  return total;
}

/** Latency summary in milliseconds (NaN fields when empty are reported as null). */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
}

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}
