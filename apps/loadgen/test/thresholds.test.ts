import { describe, expect, it } from 'vitest';
import { LoadgenError } from '../src/errors.js';
import type { RunResult } from '../src/result.js';
import { evaluateThresholds, formatOutcomes, parseThreshold } from '../src/thresholds.js';

function result(): RunResult {
  const lat = { count: 100, p50: 2, p90: 5, p99: 12.5, p999: 40, max: 80, mean: 3 };
  return {
    latencyMs: lat,
    ackMs: lat,
    connectMs: { ...lat, p99: 900 },
    messages: {
      sent: 1000,
      acked: 990,
      expected: 9000,
      delivered: 8991,
      lost: 9,
      duplicates: 0,
      reordered: 2,
      frames: 8991,
      sentPerSecond: 100,
      deliveredPerSecond: 899,
      lossRatio: 0.001,
      badRooms: [],
    },
    errors: { total: 5, byCode: { rate_limited: 5 }, samples: [] },
    connections: {
      planned: 100,
      ok: 100,
      failed: 0,
      closedEarly: 0,
      byTransport: { tcp: 100, ws: 0 },
      failureSamples: [],
      closeSamples: [],
    },
    loadgen: { procs: [], maxCpuPercent: 42, maxSendLagMs: 1, warnings: [] },
  } as unknown as RunResult;
}

describe('threshold parsing', () => {
  it('accepts metric, operator, value and unit', () => {
    expect(parseThreshold('p99<50ms')).toMatchObject({ metric: 'p99', op: '<', value: 50, unit: 'ms' });
    expect(parseThreshold(' loss == 0 ')).toMatchObject({ metric: 'loss', op: '==', value: 0, unit: '' });
    expect(parseThreshold('p999<=1.5s')).toMatchObject({ op: '<=', value: 1.5, unit: 's' });
    expect(parseThreshold('p50>=800us')).toMatchObject({ op: '>=', unit: 'us' });
    expect(parseThreshold('delivered_rate>99.9%')).toMatchObject({ unit: '%' });
    expect(parseThreshold('errors!=3')).toMatchObject({ op: '!=' });
  });

  it.each([
    ['p99', 'no operator'],
    ['p99<', 'no value'],
    ['p99<<5', 'bad operator'],
    ['latency<5ms', 'unknown metric'],
    ['p99<5%', 'time with %'],
    ['loss<5ms', 'count with a time unit'],
    ['throughput>5%', 'rate with %'],
    ['p99<-5ms', 'negative'],
    ['p99<5kb', 'unknown unit'],
  ])('rejects %s (%s) with LG_INVALID_THRESHOLD', (expr) => {
    let caught: unknown;
    try {
      parseThreshold(expr);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LoadgenError);
    expect((caught as LoadgenError).code).toBe('LG_INVALID_THRESHOLD');
  });
});

describe('threshold evaluation', () => {
  it('compares in the threshold’s unit and reports the measured value', () => {
    const exprs = [
      'p99<50ms', // 12.5 → pass
      'p99<10000us', // 12500 us → fail
      'p99<0.01s', // 0.0125 s → fail
      'loss==0', // 9 → fail
      'loss<0.2%', // 0.1 % → pass
      'errors<10', // pass
      'errors<0.1%', // 0.5 % → fail
      'reorder<=2', // pass
      'delivered_rate>=0.999', // 0.999 → pass
      'delivered_rate>99.95%', // 99.9 → fail
      'connect_p99<1s', // pass
      'unacked==10', // pass
      'loadgen_cpu<90', // pass
    ];
    const outcomes = evaluateThresholds(exprs.map(parseThreshold), result());
    expect(outcomes.map((o) => o.pass)).toEqual([
      true,
      false,
      false,
      false,
      true,
      true,
      false,
      true,
      true,
      false,
      true,
      true,
      true,
    ]);
    expect(outcomes[1]).toMatchObject({ actual: 12500, unit: 'us' });
    expect(formatOutcomes(outcomes)[3]).toContain('✗ loss==0');
  });

  it('fails a latency threshold when nothing was measured', () => {
    const r = result();
    r.latencyMs = { count: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
    expect(evaluateThresholds([parseThreshold('p99<50ms')], r)[0]).toMatchObject({ pass: false, actual: null });
  });
});
