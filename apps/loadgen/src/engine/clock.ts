/**
 * One clock for every loadgen process: microseconds since the run started, read from
 * CLOCK_MONOTONIC (process.hrtime), which is system-wide on Linux, so a sender in one process
 * and a receiver in another can subtract each other's timestamps. The parent sets
 * LOADGEN_EPOCH_NS once; forked workers inherit it through the environment.
 */
const ENV = 'LOADGEN_EPOCH_NS';

if (process.env[ENV] === undefined) process.env[ENV] = process.hrtime.bigint().toString();
const EPOCH_NS = BigInt(process.env[ENV]!);

/** Microseconds since the epoch of this run (fractional). */
export function nowUs(): number {
  return Number(process.hrtime.bigint() - EPOCH_NS) / 1000;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves at loadgen time `atUs` (timers fire a little late, never early). */
export async function sleepUntil(atUs: number): Promise<void> {
  for (;;) {
    const left = atUs - nowUs();
    if (left <= 0) return;
    await sleep(Math.max(1, Math.ceil(left / 1000)));
  }
}
