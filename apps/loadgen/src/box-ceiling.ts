/**
 * What this machine allows a server to reach while the load generator shares it: the figure
 * to read a scaling result against. Two limits bound the rate R a cluster of N workers can
 * sustain, given its CPU per message s (µs, all its processes) and the load generator's c
 * (µs, all its processes) on a box of K cores:
 *
 *   the workers' cores    R ≤ N × 1e6 / s      (a message's server work spread over N cores)
 *   the whole box         R ≤ K × 1e6 / (s + c)
 *
 * The kernel's own work (softirq: the loopback network stack) is charged to no process and
 * is left out, so the true ceiling is lower still. On 2 cores with a light message, the
 * second limit is the one that binds: a second worker cannot add a core that the load
 * generator is already using.
 */
export interface CeilingInput {
  cores: number;
  workers: number;
  serverUsPerMsg: number;
  clientUsPerMsg: number;
}

/** The highest rate (msg/s) the limits above allow. */
export function boxCeiling({ cores, workers, serverUsPerMsg, clientUsPerMsg }: CeilingInput): number {
  const byWorkers = (workers * 1e6) / serverUsPerMsg;
  const byBox = (cores * 1e6) / (serverUsPerMsg + clientUsPerMsg);
  return Math.min(byWorkers, byBox);
}

/** The load generator's CPU per message from its processes' CPU (% of one core each) at `rate` msg/s. */
export function clientUsPerMsg(procCpuPercents: readonly number[], rate: number): number {
  const percent = procCpuPercents.reduce((sum, p) => sum + p, 0);
  return rate > 0 ? (percent * 1e4) / rate : 0;
}
