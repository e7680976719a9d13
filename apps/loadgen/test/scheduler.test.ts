import { describe, expect, it } from 'vitest';
import { nowUs } from '../src/engine/clock.js';
import { runSchedule } from '../src/engine/scheduler.js';

describe('open-model scheduler', () => {
  it('issues rate × duration sends over the duration, per step', async () => {
    const start = nowUs() + 20_000;
    const times: number[] = [];
    const res = await runSchedule(
      start,
      [
        { rate: 500, durationUs: 400_000 },
        { rate: 1500, durationUs: 400_000 },
      ],
      (at) => times.push(at),
      () => {},
    );
    expect(res.sent).toBe(200 + 600);
    expect(res.perStep).toEqual([200, 600]);
    const elapsed = nowUs() - start;
    expect(elapsed).toBeGreaterThan(790_000);
    expect(elapsed).toBeLessThan(1_000_000);
    // Scheduled times are exact: k / rate after each step's start.
    expect(times[1]! - times[0]!).toBeCloseTo(2000, 3);
    expect(times[201]! - times[200]!).toBeCloseTo(1e6 / 1500, 3);
  });

  it('keeps scheduled times through a stalled event loop, so latency includes the stall', async () => {
    const start = nowUs() + 10_000;
    const delays: number[] = [];
    // Block the loop for 200 ms, 100 ms into the schedule.
    setTimeout(() => {
      const until = Date.now() + 200;
      while (Date.now() < until);
    }, 110);
    const res = await runSchedule(
      start,
      [{ rate: 1000, durationUs: 600_000 }],
      // What a receiver computes from the id: now − scheduled time.
      (at) => delays.push(nowUs() - at),
      () => {},
    );
    // The open model does not skip what the stall delayed: still 600 sends.
    expect(res.sent).toBe(600);
    expect(res.maxLagUs).toBeGreaterThan(180_000);
    const max = Math.max(...delays);
    expect(max).toBeGreaterThan(180_000);
    // Messages scheduled inside the stall each carry their share of it.
    expect(delays.filter((d) => d > 50_000).length).toBeGreaterThan(100);
  });

  it('idles through a rate-0 step', async () => {
    const start = nowUs();
    const res = await runSchedule(
      start,
      [
        { rate: 0, durationUs: 100_000 },
        { rate: 100, durationUs: 100_000 },
      ],
      () => {},
      () => {},
    );
    expect(res.perStep).toEqual([0, 10]);
  });

  it('holds a last idle step for its whole duration', async () => {
    const start = nowUs();
    const res = await runSchedule(
      start,
      [
        { rate: 100, durationUs: 100_000 },
        { rate: 0, durationUs: 300_000 },
      ],
      () => {},
      () => {},
    );
    expect(res.perStep).toEqual([10, 0]);
    expect(nowUs() - start).toBeGreaterThanOrEqual(400_000);
  });

  it('ends at once when aborted in the middle of a long idle step, emitting nothing after', async () => {
    const stop = new AbortController();
    const start = nowUs();
    let afterAbort = 0;
    setTimeout(() => stop.abort(), 150);
    const res = await runSchedule(
      start,
      [
        { rate: 100, durationUs: 100_000 },
        { rate: 0, durationUs: 60_000_000 },
      ],
      () => {
        if (stop.signal.aborted) afterAbort++;
      },
      () => {},
      stop.signal,
    );
    expect(nowUs() - start).toBeLessThan(1_000_000);
    expect(res.perStep).toEqual([10, 0]);
    expect(afterAbort).toBe(0);
  });

  it('stops a busy step mid-way and counts only what went out', async () => {
    const stop = new AbortController();
    const start = nowUs() + 10_000;
    setTimeout(() => stop.abort(), 210);
    const res = await runSchedule(
      start,
      [{ rate: 1000, durationUs: 10_000_000 }],
      () => {},
      () => {},
      stop.signal,
    );
    expect(res.sent).toBeGreaterThan(150);
    expect(res.sent).toBeLessThan(400);
    expect(res.perStep).toEqual([res.sent]);
  });

  it('sends nothing when aborted before its start', async () => {
    const stop = new AbortController();
    stop.abort();
    const before = nowUs();
    const res = await runSchedule(
      nowUs() + 5_000_000,
      [{ rate: 1000, durationUs: 1_000_000 }],
      () => {},
      () => {},
      stop.signal,
    );
    expect(res.sent).toBe(0);
    expect(nowUs() - before).toBeLessThan(100_000);
  });
});
