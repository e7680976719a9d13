/** The primary part's verdict (bench/report/primary.ts): each configuration's median over its rounds, the worst of them. */
import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/lib/results.js';
import { primaryMedians, primaryVerdict, primaryVerdictWords } from '../../bench/report/primary.js';
import type { PrimaryResult } from '../../bench/scenarios/primary.js';

function row(history: 'memory' | 'sqlite', workers: number, us: number, extra: Partial<PrimaryResult> = {}): PrimaryResult {
  return { history, workers, flushMs: 5, defaultFlushMs: 5, primaryUsPerMsg: us, problems: [], ...extra } as PrimaryResult;
}

const results = (primary: PrimaryResult[]) => ({ primary }) as unknown as BenchResults;

describe('the primary verdict', () => {
  it("judges each configuration by its median over rounds, and the goal by the worst configuration's", () => {
    const r = results([
      row('memory', 2, 2.4, { round: 1 }),
      row('memory', 4, 1.7, { round: 1 }),
      row('memory', 2, 1.5, { round: 2 }),
      row('memory', 4, 2.9, { round: 2 }),
      row('memory', 2, 1.6, { round: 3 }),
      row('memory', 4, 1.8, { round: 3 }),
    ]);
    expect(primaryMedians(r, 'memory').map((m) => [m.workers, m.us, m.min, m.max, m.rounds])).toEqual([
      [2, 1.6, 1.5, 2.4, 3],
      [4, 1.8, 1.7, 2.9, 3],
    ]);
    const v = primaryVerdict(r, 'memory')!;
    expect([v.workers, v.us]).toEqual([4, 1.8]);
    expect(primaryVerdictWords(v)).toBe('4 synthetic workers, median of 3 rounds, 1.70–2.90');
  });

  it('leaves out rows with problems and other flush intervals, and keeps histories apart', () => {
    const r = results([
      row('sqlite', 2, 1.2),
      row('sqlite', 2, 9.9, { problems: ['a publish went unanswered'] }),
      row('sqlite', 4, 9.9, { flushMs: 0 }),
      row('memory', 2, 3.0),
    ]);
    const v = primaryVerdict(r, 'sqlite')!;
    expect([v.workers, v.us, v.rounds]).toEqual([2, 1.2, 1]);
    expect(primaryVerdictWords(v)).toBe('2 synthetic workers');
    expect(primaryVerdict(r)!.us).toBe(3.0);
    expect(primaryVerdict(results([]))).toBeUndefined();
  });
});
