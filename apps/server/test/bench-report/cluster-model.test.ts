/**
 * The bench's CPU model of the cluster (bench/lib/cluster-model.ts): the ceiling a host
 * allows at measured per-message costs, the best scaling ratio it allows, and the
 * projection to larger hosts.
 */
import { describe, expect, it } from 'vitest';
import { projectCluster, scalingCeiling, throughputCeiling } from '../../bench/lib/cluster-model.js';

describe('throughputCeiling', () => {
  it('divides the cores by the whole cost per message when no process is saturated first', () => {
    const c = throughputCeiling({ primaryUs: 10, workerUs: [40, 40], clientUs: [30, 30], kernelUs: 50 }, 2);
    expect(c.limit).toBe('cores');
    expect(c.msgsPerSecond).toBeCloseTo(2e6 / 200);
  });

  it('caps a single process at one core', () => {
    const c = throughputCeiling({ primaryUs: 0, workerUs: [50], clientUs: [5], kernelUs: 5 }, 4);
    expect(c).toEqual({ msgsPerSecond: 1e6 / 50, limit: 'worker' });
  });

  it('caps the cluster at the primary’s core', () => {
    const c = throughputCeiling({ primaryUs: 4, workerUs: Array<number>(16).fill(1), clientUs: [], kernelUs: 0 }, 16);
    expect(c).toEqual({ msgsPerSecond: 250_000, limit: 'primary' });
  });

  it('caps at a client process’s core', () => {
    const c = throughputCeiling({ primaryUs: 0, workerUs: [10], clientUs: [20], kernelUs: 0 }, 8);
    expect(c).toEqual({ msgsPerSecond: 50_000, limit: 'client' });
  });

  it('is infinite only when nothing costs anything', () => {
    expect(throughputCeiling({ primaryUs: 0, workerUs: [], clientUs: [], kernelUs: 0 }, 2).msgsPerSecond).toBe(Infinity);
  });
});

describe('scalingCeiling', () => {
  it('is the share of the cores the clients and the kernel leave, in single-process cores', () => {
    // The single process is bound by its core (20k msgs/s); the ideal 2-worker cluster by the
    // 2 cores it shares with 30 + 20 µs of clients and kernel per message: 2 × 50 ÷ 100.
    const ratio = scalingCeiling(
      { serverUs: 50, clientUs: [15, 15], kernelUs: 20 },
      { clientUs: [15, 15], kernelUs: 20 },
      2,
      2,
    );
    expect(ratio).toBeCloseTo(1.0);
  });

  it('reaches the worker count when the clients and the kernel cost nothing', () => {
    expect(scalingCeiling({ serverUs: 50, clientUs: [], kernelUs: 0 }, { clientUs: [], kernelUs: 0 }, 2, 2)).toBeCloseTo(2);
  });

  it('uses the clients and the kernel of each step for its own side', () => {
    // Single: 1,000 µs server, bound by its core (1k msgs/s). Cluster: 2 × 10⁶ ÷ 1,200 = 1,667 msgs/s.
    const ratio = scalingCeiling(
      { serverUs: 1000, clientUs: [300], kernelUs: 0 },
      { clientUs: [150, 50], kernelUs: 0 },
      2,
      2,
    );
    expect(ratio).toBeCloseTo(2000 / 1200);
  });

  it('is 1 when the single process was bound by the shared cores, not its own', () => {
    // 10 µs server + 40 µs clients per message on 2 cores: 40k msgs/s either way.
    const ratio = scalingCeiling(
      { serverUs: 10, clientUs: [20, 20], kernelUs: 0 },
      { clientUs: [20, 20], kernelUs: 0 },
      2,
      2,
    );
    expect(ratio).toBeCloseTo(1);
  });
});

describe('projectCluster', () => {
  const costs = { primaryUs: 5, workersUs: 60, clientUs: 40, kernelUs: 15 };

  it('runs a worker per core and shares the cores with the primary and the kernel', () => {
    const x = projectCluster(costs, 8, false);
    expect(x).toMatchObject({ cores: 8, workers: 8, limit: 'cores' });
    expect(x.msgsPerSecond).toBeCloseTo(8e6 / 80);
  });

  it('adds the clients’ cost when they run on the host', () => {
    expect(projectCluster(costs, 4, true).msgsPerSecond).toBeCloseTo(4e6 / 120);
  });

  it('caps at the primary’s saturated cost when it is known', () => {
    // Measured at a low rate the primary paid 20 µs a message; saturated, 2 µs.
    const x = projectCluster({ primaryUs: 20, primarySaturatedUs: 2, workersUs: 60, clientUs: 0, kernelUs: 0 }, 16, false);
    expect(x.limit).toBe('cores');
    expect(x.msgsPerSecond).toBeCloseTo(16e6 / 80);
    const y = projectCluster({ primaryUs: 1, primarySaturatedUs: 10, workersUs: 10, clientUs: 0, kernelUs: 0 }, 16, false);
    expect(y).toMatchObject({ msgsPerSecond: 100_000, limit: 'primary' });
  });

  it('stops at the primary’s core on a large host', () => {
    const x = projectCluster({ primaryUs: 20, workersUs: 60, clientUs: 0, kernelUs: 0 }, 16, false);
    expect(x).toMatchObject({ msgsPerSecond: 50_000, limit: 'primary' });
  });
});
