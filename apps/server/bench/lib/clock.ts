/**
 * One clock for every bench process: microseconds since the bench started, read from
 * CLOCK_MONOTONIC (process.hrtime), which is system-wide on Linux, so a sender and a
 * receiver in different processes can subtract each other's timestamps.
 *
 * The runner sets BENCH_START_NS once; forked workers inherit it through the environment.
 */
const ENV = 'BENCH_START_NS';

if (process.env[ENV] === undefined) process.env[ENV] = process.hrtime.bigint().toString();
const START_NS = BigInt(process.env[ENV]!);

/** Microseconds since the bench started (fractional). */
export function nowUs(): number {
  return Number(process.hrtime.bigint() - START_NS) / 1000;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves at bench time `atUs` (timers fire a little late, never early). */
export async function sleepUntil(atUs: number): Promise<void> {
  for (;;) {
    const left = atUs - nowUs();
    if (left <= 0) return;
    await sleep(Math.max(1, Math.ceil(left / 1000)));
  }
}
