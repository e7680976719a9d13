import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { FlushScheduler, WRITE_BUDGET_MS } from '../../src/core/flush-scheduler.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('FlushScheduler', () => {
  it('flushes every marked session once, at the end of the turn', async () => {
    const scheduler = new FlushScheduler();
    const flushed: number[] = [];
    for (let i = 0; i < 5; i++) scheduler.mark({ flush: () => flushed.push(i) });
    expect(flushed).toEqual([]);
    await turn();
    expect(flushed).toEqual([0, 1, 2, 3, 4]);
  });

  it('spreads a flush longer than the write budget over several turns, in order', async () => {
    const scheduler = new FlushScheduler();
    const flushed: number[] = [];
    // 640 sessions at 0.1 ms each: 64 ms of writes against a 10 ms budget.
    for (let i = 0; i < 640; i++)
      scheduler.mark({
        flush: () => {
          busy(0.1);
          flushed.push(i);
        },
      });
    await turn();
    expect(flushed.length).toBeGreaterThanOrEqual(64);
    expect(flushed.length).toBeLessThan(640);
    for (let t = 0; t < 20 && flushed.length < 640; t++) await turn();
    expect(flushed).toEqual(Array.from({ length: 640 }, (_, i) => i));
    expect(WRITE_BUDGET_MS).toBeGreaterThan(0);
  });

  it('flushNow writes everything at once (shutdown)', () => {
    const scheduler = new FlushScheduler();
    const flushed: number[] = [];
    for (let i = 0; i < 300; i++) scheduler.mark({ flush: () => flushed.push(i) });
    scheduler.flushNow();
    expect(flushed).toHaveLength(300);
  });

  it('with a write delay, holds the first mark that long and flushes later marks with it', async () => {
    const scheduler = new FlushScheduler(40);
    const flushed: string[] = [];
    const t0 = performance.now();
    let flushedAt = 0;
    scheduler.mark({ flush: () => flushed.push('a') });
    await turn();
    expect(flushed).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    scheduler.mark({
      flush: () => {
        flushed.push('b');
        flushedAt = performance.now();
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(flushed).toEqual(['a', 'b']);
    // One timer from the first mark: b did not start a delay of its own.
    expect(flushedAt - t0).toBeGreaterThanOrEqual(38);
    expect(flushedAt - t0).toBeLessThan(75);
  });
});
