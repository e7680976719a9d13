import { describe, expect, it } from 'vitest';
import type { ThresholdOutcome } from '../src/thresholds.js';
import {
  INCONCLUSIVE_EXIT_CODE,
  combine,
  exitCodeOf,
  formatJudgement,
  judgeRun,
  judgeSearch,
  loadgenLimits,
} from '../src/verdict.js';
import { scaleVerdict, type WorkerRow } from '../src/commands/scale.js';

interface Shape {
  cpu?: number;
  lag?: number;
  failed?: number;
  planned?: number;
  thresholds?: ThresholdOutcome[];
}

function run({ cpu = 40, lag = 3, failed = 0, planned = 100, thresholds = [] }: Shape) {
  return {
    loadgen: { procs: [], maxCpuPercent: cpu, maxSendLagMs: lag, warnings: [] },
    thresholds,
    connections: {
      planned,
      ok: planned - failed,
      failed,
      closedEarly: 0,
      byTransport: { tcp: planned - failed, ws: 0 },
      failureSamples: [],
      closeSamples: [],
      connectWallMs: 1,
    },
  };
}

const outcome = (threshold: string, pass: boolean): ThresholdOutcome => ({ threshold, actual: 1, unit: '', pass });

describe('judgeRun', () => {
  it('passes a clean run without thresholds', () => {
    expect(judgeRun(run({}))).toEqual({ verdict: 'PASS', reasons: [] });
  });

  it('fails on a crossed threshold, naming it', () => {
    const j = judgeRun(run({ thresholds: [outcome('p99<50ms', false), outcome('loss==0', true)] }));
    expect(j.verdict).toBe('FAILED');
    expect(j.reasons).toHaveLength(1);
    expect(j.reasons[0]).toContain('p99<50ms');
  });

  it('fails by default when connections failed (60 of 100,000 once printed PASS)', () => {
    const j = judgeRun(run({ failed: 60, planned: 100_000 }));
    expect(j.verdict).toBe('FAILED');
    expect(j.reasons[0]).toContain('60 of 100000');
  });

  it('lets an explicit failed threshold decide instead of the default', () => {
    expect(judgeRun(run({ failed: 60, planned: 100_000, thresholds: [outcome('failed<0.1%', true)] })).verdict).toBe('PASS');
    expect(judgeRun(run({ failed: 60, thresholds: [outcome('failed==0', false)] })).reasons).toHaveLength(1);
  });

  it('is INCONCLUSIVE, never PASS, when a loadgen process used 90 % of a core or more', () => {
    expect(judgeRun(run({ cpu: 89.9 })).verdict).toBe('PASS');
    const j = judgeRun(run({ cpu: 90 }));
    expect(j.verdict).toBe('INCONCLUSIVE');
    expect(j.reasons[0]).toContain('90 %');
  });

  it('is INCONCLUSIVE when sends lagged more than 100 ms (a 13 s p99 beside 10037 ms lag)', () => {
    expect(judgeRun(run({ lag: 100 })).verdict).toBe('PASS');
    const j = judgeRun(run({ lag: 10_037 }));
    expect(j.verdict).toBe('INCONCLUSIVE');
    expect(j.reasons[0]).toContain('10037 ms');
  });

  it('is INCONCLUSIVE, never FAILED, when the loadgen was the limit and thresholds crossed too', () => {
    const j = judgeRun(run({ cpu: 99, lag: 500, failed: 3, thresholds: [outcome('p99<1ms', false)] }));
    expect(j.verdict).toBe('INCONCLUSIVE');
    expect(j.reasons).toHaveLength(2); // the two loadgen limits; nothing claims the server failed
  });
});

describe('exit codes and the printed line', () => {
  it('gives PASS 0, FAILED 99 and INCONCLUSIVE its own code', () => {
    expect(exitCodeOf('PASS')).toBe(0);
    expect(exitCodeOf('FAILED')).toBe(99);
    expect(exitCodeOf('INCONCLUSIVE')).toBe(INCONCLUSIVE_EXIT_CODE);
    expect(new Set([0, 1, 2, 99, INCONCLUSIVE_EXIT_CODE]).size).toBe(5);
  });

  it('prints the verdict first, then its reasons', () => {
    expect(formatJudgement({ verdict: 'PASS', reasons: [] })).toBe('PASS');
    expect(formatJudgement({ verdict: 'INCONCLUSIVE', reasons: ['a', 'b'] })).toMatch(/^INCONCLUSIVE: a; b$/);
  });

  it('loadgenLimits is empty below both limits', () => {
    expect(loadgenLimits({ maxCpuPercent: 10, maxSendLagMs: 1 })).toEqual([]);
  });
});

describe('scale verdicts', () => {
  const probe = (rate: number, pass: boolean, inconclusive: string | null = null) => ({ rate, pass, inconclusive });

  it('a ceiling set by a probe the loadgen limited is INCONCLUSIVE', () => {
    const j = judgeSearch(2, [probe(1000, true), probe(2000, false, 'cpu'), probe(1500, true)]);
    expect(j.verdict).toBe('INCONCLUSIVE');
    expect(j.reasons[0]).toContain('2000');
  });

  it('a ceiling set by the server (an SLO miss with the loadgen fine) passes, even if a higher probe was client-limited', () => {
    expect(judgeSearch(1, [probe(1000, true), probe(2000, false), probe(4000, false, 'cpu')]).verdict).toBe('PASS');
  });

  it('combines: INCONCLUSIVE wins over FAILED, FAILED over PASS', () => {
    const pass = { verdict: 'PASS' as const, reasons: [] };
    const failed = { verdict: 'FAILED' as const, reasons: ['f'] };
    const inc = { verdict: 'INCONCLUSIVE' as const, reasons: ['i'] };
    expect(combine([pass, failed, inc])).toEqual(inc);
    expect(combine([pass, failed])).toEqual(failed);
    expect(combine([pass])).toEqual(pass);
  });

  function row(workers: number, efficiency: number | null, probes: ReturnType<typeof probe>[]): WorkerRow {
    return {
      workers,
      sustainedRate: 1000,
      efficiency,
      ratio: efficiency,
      best: null,
      probes: probes as never,
      clientLimited: false,
    };
  }

  it('does not judge efficiency when a search was inconclusive', () => {
    const rows = [
      row(1, 1, [probe(1000, true), probe(2000, false)]),
      row(2, 0.5, [probe(1000, true), probe(2000, false, 'lag')]),
    ];
    expect(scaleVerdict(rows, 0.9).verdict).toBe('INCONCLUSIVE');
  });

  it('fails on low efficiency when every search was conclusive', () => {
    const rows = [row(1, 1, [probe(2000, false)]), row(2, 0.5, [probe(2000, false)])];
    const j = scaleVerdict(rows, 0.9);
    expect(j.verdict).toBe('FAILED');
    expect(j.reasons[0]).toContain('2 workers (0.50)');
    expect(scaleVerdict(rows, null).verdict).toBe('PASS');
  });

  it('a superlinear ratio is INCONCLUSIVE, with or without --min-efficiency: one worker stopped short of its core', () => {
    const one = { ...row(1, 1, [probe(4000, false)]), sustainedRate: 3750, best: { serverCpuUsPerMsg: 98.67 } as never };
    const two = row(2, 2, [probe(16000, false)]);
    for (const minEff of [0.9, null]) {
      const j = scaleVerdict([one, two], minEff);
      expect(j.verdict).toBe('INCONCLUSIVE');
      expect(j.reasons[0]).toContain('2 workers (2.00)');
      expect(j.reasons[0]).toContain('37 % of a core');
    }
    // Within the noise of a search's steps it is judged as before.
    expect(scaleVerdict([row(1, 1, [probe(2000, false)]), row(2, 1.1, [probe(4000, false)])], 0.9).verdict).toBe('PASS');
  });
});
