/**
 * The connections part's figures from what it read (scenarios/connections.ts): per
 * connection, the ramp's rate, and issue 11's goal for it. Pure arithmetic, unit-tested
 * (test/bench-report/connections-figures.test.ts).
 */
import type { ConnectionsResult } from '../scenarios/connections.js';

/** Issue 11, item 5: all 100,000 ready, none failed, at ≥ 2,500 connections/s. */
export const CONNECTIONS_GOAL = { ready: 100_000, perSecond: 2_500 } as const;

/**
 * The ramp is open-model at the asked rate R, so N connections take (N − 1) ÷ R plus the last
 * one's handshake: the achieved rate is just under R even when the server keeps up. The rate
 * goal is met when R ≥ the goal's and the server kept up with it within 1 %.
 */
const KEPT_UP = 0.99;

export interface ConnectionsFigures {
  /** Ready connections ÷ the loadgen's connect phase (first connect to last ready). */
  achievedPerSecond: number;
  serverCpuUsPerConnection: number;
  /**
   * The busiest loadgen process over the ramp, % of one core (with several, the ones holding
   * sockets: the first only coordinates). Near 100 the loadgen, not the server, set the pace.
   */
  loadgenBusiestPercent: number;
  /** Growth of the whole tree's RSS (after GC, over the baseline after GC) ÷ ready connections, KiB. */
  kibPerConnection: number;
  /** The same without the final GC. */
  kibPerConnectionSettled: number;
  /** The whole tree's RSS after GC, baseline included, ÷ ready connections, KiB. */
  totalKibPerConnection: number;
  heapKibPerConnection: number;
  externalKibPerConnection: number;
  /** Whether the forced GC reached every process of the tree, both times. */
  gcEverywhere: boolean;
  /** Connections of the least and the most loaded worker. */
  workerMin: number;
  workerMax: number;
  /** Every connection ready, none failed, none closed while held, at the goal's size. */
  allReady: boolean;
  goalMet: { ready: boolean; rate: boolean };
}

export function connectionsFigures(x: ConnectionsResult): ConnectionsFigures {
  const per = Math.max(1, x.ready);
  const counts = x.processes.filter((p) => p.role === 'worker').map((p) => p.connections);
  const allReady = x.ready === x.connections && x.failed === 0 && x.closedEarly === 0;
  const achievedPerSecond = x.connectS > 0 ? x.ready / x.connectS : NaN;
  const holding = x.rampLoadgenCpuS.length > 1 ? x.rampLoadgenCpuS.slice(1) : x.rampLoadgenCpuS;
  return {
    achievedPerSecond,
    serverCpuUsPerConnection: (x.rampServerCpuS * 1e6) / per,
    loadgenBusiestPercent: holding.length === 0 || x.rampS <= 0 ? NaN : (Math.max(...holding) / x.rampS) * 100,
    kibPerConnection: (x.rssAfterKiB - x.rssBeforeKiB) / per,
    kibPerConnectionSettled: (x.rssSettledKiB - x.rssBeforeKiB) / per,
    totalKibPerConnection: x.rssAfterKiB / per,
    heapKibPerConnection: (x.gcAfter.heapUsed - x.gcBefore.heapUsed) / 1024 / per,
    externalKibPerConnection: (x.gcAfter.external - x.gcBefore.external) / 1024 / per,
    gcEverywhere: x.gcAnswered.every((n) => n === x.gcProcesses),
    workerMin: counts.length === 0 ? NaN : Math.min(...counts),
    workerMax: counts.length === 0 ? NaN : Math.max(...counts),
    allReady,
    goalMet: {
      ready: allReady && x.connections >= CONNECTIONS_GOAL.ready,
      rate:
        allReady &&
        x.connectRate >= CONNECTIONS_GOAL.perSecond &&
        achievedPerSecond >= KEPT_UP * CONNECTIONS_GOAL.perSecond,
    },
  };
}
