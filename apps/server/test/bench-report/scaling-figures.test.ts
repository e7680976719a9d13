/**
 * The scaling verdict's figures (bench/report/scaling-figures.ts): per-message costs by
 * process from a step's CPU shares, and the ratios and ceiling of a series.
 */
import { describe, expect, it } from 'vitest';
import type { ScalingSeriesResult, ScalingStep } from '../../bench/lib/results.js';
import { cpuVerdict, floorFigures, floorRate, scalingFigures, stepCosts } from '../../bench/report/scaling-figures.js';
import type { ScalingResult } from '../../bench/scenarios/scaling.js';
import type { SplitResult } from '../../bench/scenarios/scaling-split.js';

/** A step with the fields the figures read; CPU in % of one core. */
function step(
  workers: number,
  offered: number,
  cpu: { primary?: number; workers: number[]; loadgen: number[]; busy: number },
  sustained = true,
): ScalingStep {
  const procs = [
    ...(cpu.primary === undefined ? [] : [{ role: 'primary' as const, pid: 1, percent: cpu.primary }]),
    ...cpu.workers.map((percent, i) => ({
      role: workers > 1 ? ('worker' as const) : ('single' as const),
      pid: 2 + i,
      percent,
    })),
  ];
  const server = procs.reduce((n, c) => n + c.percent, 0);
  const loadgen = cpu.loadgen.reduce((n, v) => n + v, 0);
  const result = {
    workers,
    offeredMsgsPerSecond: offered,
    msgsPerSecond: offered,
    serverCpuPerProc: procs,
    serverCpuPercent: server,
    serverCpuUsPerMsg: ((server / 100) * 1e6) / offered,
    loadgenCpuPercent: loadgen,
    loadgenCpuPercentPerProc: cpu.loadgen,
    machineBusyPercent: cpu.busy,
    otherLoadPercent: 0,
    irqPercent: 0,
  } as unknown as ScalingResult;
  return { result, sustained, why: sustained ? 'yes' : 'p99' };
}

/** A floor round at 10k msgs/s with these server µs/msg. */
function floorRound(single: number, split: number, cluster: number) {
  return {
    atMsgsPerSecond: 10_000,
    single: { serverCpuUsPerMsg: single } as ScalingResult,
    split: { serverCpuUsPerMsg: split } as SplitResult,
    cluster: { serverCpuUsPerMsg: cluster } as ScalingResult,
  };
}

function series(steps: Record<string, ScalingStep[]>): ScalingSeriesResult {
  return {
    id: 'main',
    label: 'basic',
    filter: 'basic',
    classifierUs: 0,
    minBytes: 100,
    maxBytes: 200,
    termShare: 0.25,
    steps,
  };
}

describe('stepCosts', () => {
  it('splits the server into primary and workers and leaves the kernel what no process was charged', () => {
    // 10k msgs/s: 20 % of a core is 20 µs per message.
    const c = stepCosts(step(2, 10_000, { primary: 20, workers: [60, 60], loadgen: [30, 30], busy: 220 }).result);
    expect(c.primaryUs).toBeCloseTo(20);
    expect(c.workersUs).toBeCloseTo(120);
    expect(c.serverUs).toBeCloseTo(140);
    expect(c.clientUs.map((v) => Math.round(v))).toEqual([30, 30]);
    expect(c.kernelUs).toBeCloseTo(20);
  });
});

describe('scalingFigures', () => {
  const s = series({
    '1': [
      step(1, 10_000, { workers: [60], loadgen: [20, 20], busy: 110 }),
      step(1, 15_000, { workers: [90], loadgen: [30, 30], busy: 160 }),
      step(1, 20_000, { workers: [100], loadgen: [30, 30], busy: 165 }, false),
    ],
    '2': [
      step(2, 10_000, { primary: 5, workers: [40, 40], loadgen: [20, 20], busy: 135 }),
      step(2, 15_000, { primary: 6, workers: [55, 55], loadgen: [30, 30], busy: 186 }),
      step(2, 20_000, { primary: 6, workers: [60, 60], loadgen: [35, 35], busy: 200 }, false),
    ],
  });

  it('compares the max sustained steps for throughput and the highest common rate for CPU', () => {
    const f = scalingFigures(s, 2);
    if (typeof f === 'string') throw new Error(f);
    expect(f.ratio).toBe(1);
    expect(f.saturated).toBe(true);
    expect(f.cpuRatioAt).toBe(15_000);
    expect(f.cpuRatio).toBeCloseTo(116 / 90);
    expect(f.costs.primaryUs).toBeCloseTo(4);
    expect(f.costs.workersUs).toBeCloseTo(73.33, 1);
  });

  it("judges CPU on the floor rounds' median when there are rounds, else on the search's step", () => {
    const f = scalingFigures(s, 2);
    if (typeof f === 'string') throw new Error(f);
    expect(cpuVerdict(f)).toEqual({ ratio: f.cpuRatio, floor: undefined });
    const floor = [floorRound(60, 60, 66), floorRound(60, 60, 75), floorRound(50, 50, 56)];
    const v = cpuVerdict({ ...f, series: { ...s, floor } });
    expect(v.floor?.rounds).toBe(3);
    expect(v.ratio).toBeCloseTo(1.12); // the ratios 1.10, 1.25, 1.12
  });

  it('bounds the ratio by the cores the loadgen and the kernel leave the server', () => {
    const f = scalingFigures(s, 2);
    if (typeof f === 'string') throw new Error(f);
    // At 15k msgs/s: s = 60 µs (its core), c₂ = 40 µs, k₂ = 10 % of a core = 6.67 µs: 2 × 60 ÷ 106.67.
    expect(f.ceiling).toBeCloseTo(120 / (100 + 20 / 3));
  });

  it('says why when a worker count has no sustained step', () => {
    const bad = series({
      '1': s.steps['1']!,
      '2': [step(2, 10_000, { primary: 5, workers: [40, 40], loadgen: [20, 20], busy: 135 }, false)],
    });
    expect(scalingFigures(bad, 2)).toBe('a worker count had no sustained step');
  });
});

describe('floorRate', () => {
  const cpu = { workers: [50], loadgen: [20], busy: 100 };
  it('is the highest rate both worker counts sustained', () => {
    const s = series({
      '1': [step(1, 8_000, cpu), step(1, 12_000, cpu), step(1, 16_000, cpu, false)],
      '2': [step(2, 8_000, cpu), step(2, 12_000, cpu), step(2, 16_000, cpu)],
    });
    expect(floorRate(s)).toBe(12_000);
  });

  it("is one process's highest when the cluster's steps, all higher, never met it", () => {
    const s = series({
      '1': [step(1, 16_000, cpu, false), step(1, 8_000, cpu), step(1, 15_000, cpu)],
      '2': [step(2, 16_000, cpu), step(2, 32_000, cpu, false), step(2, 20_000, cpu)],
    });
    expect(floorRate(s)).toBe(15_000);
  });

  it('is absent when the cluster sustained nothing as high as one process', () => {
    const s = series({
      '1': [step(1, 16_000, cpu)],
      '2': [step(2, 8_000, cpu), step(2, 16_000, cpu, false), step(2, 12_000, cpu)],
    });
    expect(floorRate(s)).toBeUndefined();
  });
});

describe('floorFigures', () => {
  it('is absent without floor rounds', () => {
    expect(floorFigures(series({}))).toBeUndefined();
  });

  it('gives each ratio to the one process of its own round, the median over rounds', () => {
    // Round ratios (split, cluster): (1.2, 1.3), (1.5, 1.5), (1.25, 1.35); the host slowed down in round 2.
    const s = { ...series({}), floor: [floorRound(50, 60, 65), floorRound(60, 90, 90), floorRound(40, 50, 54)] };
    const f = floorFigures(s)!;
    expect(f.rounds).toBe(3);
    expect(f.floor).toBeCloseTo(1.25);
    expect(f.cluster).toBeCloseTo(1.35);
    expect(f.singleUs).toBe(50);
    expect(f.splitUs).toBe(60);
    expect(f.clusterUs).toBe(65);
  });

  it('takes the mean of the middle two of an even count', () => {
    const s = { ...series({}), floor: [floorRound(50, 60, 70), floorRound(50, 70, 80)] };
    expect(floorFigures(s)!.floor).toBeCloseTo(1.3);
    expect(floorFigures(s)!.cluster).toBeCloseTo(1.5);
  });
});
