/** The connections part's figures (bench/report/connections-figures.ts). */
import { describe, expect, it } from 'vitest';
import { connectionsFigures } from '../../bench/report/connections-figures.js';
import { heldResult } from './connections-fixture.js';

describe('connectionsFigures', () => {
  it('divides the whole tree’s growth and ramp CPU by the ready connections', () => {
    const f = connectionsFigures(heldResult());
    // (800 − 300) MiB over 100,000: 5.12 KiB; settled (900 − 300): 6.144 KiB.
    expect(f.kibPerConnection).toBeCloseTo(5.12);
    expect(f.kibPerConnectionSettled).toBeCloseTo(6.144);
    expect(f.totalKibPerConnection).toBeCloseTo(8.192);
    expect(f.heapKibPerConnection).toBeCloseTo(2.048);
    expect(f.externalKibPerConnection).toBeCloseTo(0.1024);
    expect(f.serverCpuUsPerConnection).toBeCloseTo(500);
    expect(f.achievedPerSecond).toBe(2_500);
  });

  it('takes the busiest loadgen process that holds sockets, not the coordinator', () => {
    // 20.5 s of 41 s.
    expect(connectionsFigures(heldResult()).loadgenBusiestPercent).toBeCloseTo(50);
    expect(connectionsFigures(heldResult({ rampLoadgenCpuS: [8.2] })).loadgenBusiestPercent).toBeCloseTo(20);
  });

  it('gives the least and the most loaded worker, leaving out the primary', () => {
    const f = connectionsFigures(heldResult());
    expect([f.workerMin, f.workerMax]).toEqual([16_000, 17_600]);
  });

  it('meets the goal only with every connection of 100,000 ready and kept, at 2,500/s or more', () => {
    expect(connectionsFigures(heldResult()).goalMet).toEqual({ ready: true, rate: true });
    expect(connectionsFigures(heldResult({ connectS: 46 })).goalMet).toEqual({ ready: true, rate: false });
    // Asked 2,500/s, the ramp ends just after the last connect: the server kept up.
    expect(connectionsFigures(heldResult({ connectS: 40.02 })).goalMet.rate).toBe(true);
    // Asked less than the goal: not met, however well it kept up.
    expect(connectionsFigures(heldResult({ connectRate: 2_000, connectS: 50 })).goalMet.rate).toBe(false);
    expect(connectionsFigures(heldResult({ ready: 99_940, failed: 60 })).goalMet).toEqual({ ready: false, rate: false });
    expect(connectionsFigures(heldResult({ closedEarly: 1 })).goalMet.ready).toBe(false);
    const small = heldResult({ connections: 10_000, ready: 10_000, connectS: 3 });
    expect(connectionsFigures(small).goalMet).toEqual({ ready: false, rate: true });
  });

  it('says when the forced GC did not reach every process', () => {
    expect(connectionsFigures(heldResult()).gcEverywhere).toBe(true);
    expect(connectionsFigures(heldResult({ gcAnswered: [7, 1] })).gcEverywhere).toBe(false);
  });

  it('does not divide by zero when nothing connected', () => {
    const f = connectionsFigures(heldResult({ ready: 0, failed: 100_000, connectS: 0 }));
    expect(Number.isNaN(f.achievedPerSecond)).toBe(true);
    expect(Number.isFinite(f.kibPerConnection)).toBe(true);
  });
});
