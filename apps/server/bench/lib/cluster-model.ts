/**
 * A CPU model of the cluster's throughput, from per-message costs the bench measured: what
 * a host of C cores allows when every message costs the primary p µs, the workers w µs
 * between them, the clients c µs and the kernel's network stack k µs (softirq, charged to
 * no process). Pure arithmetic, so the report's ceilings and projections are unit-tested
 * (test/bench-report/cluster-model.test.ts).
 *
 *   R = min( C × 10⁶ ÷ (p + Σwᵢ + Σcⱼ + k),   all the cores, shared
 *            10⁶ ÷ p,                          the primary: one event loop, one core
 *            10⁶ ÷ max wᵢ,                     each worker: one core
 *            10⁶ ÷ max cⱼ )                    each client process: one core
 *
 * Costs are µs of one core per message over the whole system's messages (a worker that
 * handles half the messages at 60 µs each shows here as 30).
 */

/** µs of CPU per message, per process where a process is capped at one core. */
export interface MessageCosts {
  /** The cluster primary (0 in a single process). */
  primaryUs: number;
  /** Each worker process, or the single process. */
  workerUs: number[];
  /** Each client (loadgen) process; empty when the clients are on other hosts. */
  clientUs: number[];
  /** The kernel's network stack outside any process (softirq). */
  kernelUs: number;
}

export type Limit = 'cores' | 'primary' | 'keeper' | 'worker' | 'client';

export interface Ceiling {
  msgsPerSecond: number;
  /** The constraint that gave the minimum. */
  limit: Limit;
}

const sum = (values: number[]): number => values.reduce((n, v) => n + v, 0);

/** The highest message rate `cores` cores allow at these costs, and what bounds it. */
export function throughputCeiling(costs: MessageCosts, cores: number): Ceiling {
  const total = costs.primaryUs + sum(costs.workerUs) + sum(costs.clientUs) + costs.kernelUs;
  const bounds: [Limit, number][] = [
    ['cores', total > 0 ? (cores * 1e6) / total : Infinity],
    ['primary', costs.primaryUs > 0 ? 1e6 / costs.primaryUs : Infinity],
    ['worker', 1e6 / Math.max(0, ...costs.workerUs)],
    ['client', 1e6 / Math.max(0, ...costs.clientUs)],
  ];
  return lowest(bounds);
}

/** The smallest bound and its name (a cost of 0 makes its bound Infinity). */
function lowest(bounds: [Limit, number][]): Ceiling {
  let best: Ceiling = { msgsPerSecond: Infinity, limit: 'cores' };
  for (const [limit, r] of bounds) if (r < best.msgsPerSecond) best = { msgsPerSecond: r, limit };
  return best;
}

/** What one measured step says: the server's µs/msg, the clients' per process, the kernel's. */
export interface StepCosts {
  serverUs: number;
  clientUs: number[];
  kernelUs: number;
}

/**
 * The best N-worker ÷ 1-process throughput ratio this host allows: the single process's own
 * cost per message `s`, split evenly over N workers with no primary and nothing repeated
 * (a cluster that costs no more than one process), beside the clients and the kernel as
 * measured in the cluster's step; over the single process's ceiling with its own step's
 * clients and kernel.
 *
 *   ceiling = min(N × 10⁶ ÷ s, C × 10⁶ ÷ (s + c₂ + k₂), …) ÷ min(10⁶ ÷ s, C × 10⁶ ÷ (s + c₁ + k₁), …)
 *
 * When the single process was bound by its core this is min(N, C × s ÷ (s + c₂ + k₂)): the
 * share of the cores the clients and the kernel leave to the server, in single-process cores.
 */
export function scalingCeiling(
  single: StepCosts,
  cluster: Omit<StepCosts, 'serverUs'>,
  workers: number,
  cores: number,
): number {
  const s = single.serverUs;
  const one = throughputCeiling(
    { primaryUs: 0, workerUs: [s], clientUs: single.clientUs, kernelUs: single.kernelUs },
    cores,
  );
  const n = throughputCeiling(
    {
      primaryUs: 0,
      workerUs: Array<number>(workers).fill(s / workers),
      clientUs: cluster.clientUs,
      kernelUs: cluster.kernelUs,
    },
    cores,
  );
  return n.msgsPerSecond / one.msgsPerSecond;
}

/** The cluster's measured costs per message, whole (w summed over its workers, c over the loadgen's processes). */
export interface ClusterCosts {
  primaryUs: number;
  /**
   * The primary's µs/msg when it is the bottleneck (saturated, as the bench's primary part
   * measures it), for its one-core cap; `primaryUs` when not given. A primary measured far
   * from saturation pays a wakeup and a write for a few messages, a cost that would make
   * its own core look like the limit long before it is.
   */
  primarySaturatedUs?: number;
  workersUs: number;
  /** The primary's history keeper, one process (0 or absent: none). */
  keeperUs?: number;
  clientUs: number;
  kernelUs: number;
}

export interface Projection extends Ceiling {
  cores: number;
  workers: number;
}

/**
 * The throughput of `--workers auto` (one worker per core) on a host of `cores` cores at the
 * measured costs: the workers' work splits evenly over them, the primary's does not split,
 * the kernel's is paid on this host either way (on loopback k covers both ends of every TCP
 * connection, so with the clients elsewhere it is an overestimate), and the clients' only
 * when they run on this host (as one process per core they do not cap it). The primary's
 * own core caps it at its saturated cost (p_sat, see ClusterCosts.primarySaturatedUs).
 *
 *   R(C) = min( C × 10⁶ ÷ (p + w + k [+ c]),  10⁶ ÷ p_sat,  C × 10⁶ ÷ w )
 *
 * It holds the per-message costs fixed: a room whose members land on more workers costs a
 * receive on each, and a primary with more workers writes to more of them, so read it as
 * an upper bound for rooms spread wider than those measured.
 */
export function projectCluster(costs: ClusterCosts, cores: number, clientsOnHost: boolean): Projection {
  const keeperUs = costs.keeperUs ?? 0;
  const shared = costs.primaryUs + keeperUs + costs.workersUs + costs.kernelUs + (clientsOnHost ? costs.clientUs : 0);
  return {
    ...lowest([
      ['cores', (cores * 1e6) / shared],
      ['primary', 1e6 / (costs.primarySaturatedUs ?? costs.primaryUs)],
      ['keeper', 1e6 / keeperUs],
      ['worker', (cores * 1e6) / costs.workersUs],
    ]),
    cores,
    workers: cores,
  };
}
