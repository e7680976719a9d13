/**
 * The machine is shared (tests, builds, other benches): before each measurement, wait
 * until nothing else is using the CPU, and measure what others used during it, so a
 * figure spoiled by a neighbour is flagged instead of silently believed.
 */
import { nowUs, sleep } from './clock.js';
import { machineCpu } from './proc.js';

/** % of one core that other processes may use while the bench considers the machine quiet. */
export const QUIET_PERCENT = 15;

export interface QuietResult {
  waitedS: number;
  /** % of one core busy in the last second sampled (the bench itself idle). */
  busyPercent: number;
}

/** Samples one-second windows until the machine is quiet or `maxWaitS` has passed. */
export async function waitForQuiet(maxWaitS: number, onWait?: (busyPercent: number) => void): Promise<QuietResult> {
  const startedUs = nowUs();
  let warned = false;
  for (;;) {
    const a = machineCpu();
    await sleep(1000);
    const b = machineCpu();
    const busyPercent = (b.busy - a.busy) * 100;
    const waitedS = (nowUs() - startedUs) / 1e6;
    if (busyPercent <= QUIET_PERCENT || waitedS >= maxWaitS) return { waitedS, busyPercent };
    if (!warned) onWait?.(busyPercent);
    warned = true;
  }
}

/** What a measurement notes when the machine never became quiet (nothing when it did). */
export function notQuietWarnings(q: QuietResult): string[] {
  return q.busyPercent > QUIET_PERCENT
    ? [`machine still ${q.busyPercent.toFixed(0)} % busy after waiting ${q.waitedS.toFixed(0)} s for quiet`]
    : [];
}
