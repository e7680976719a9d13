/**
 * The CI budget of the fuzz targets: a few thousand inputs each (the full run is
 * `npm run fuzz`). The seed changes every run so that CI explores; a failure names it,
 * and FUZZ_SEED=<seed> replays it.
 */
import type { FuzzBudget, FuzzResult } from '../../fuzz/target.js';

export function ciBudget(runs: number): FuzzBudget {
  const seed = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  return { runs, seed, timeLimitMs: 8_000, includeKnown: false };
}

/** The failure report (with seed and path) when a target failed, else null: for `expect(...).toBeNull()`. */
export function failureOf(result: FuzzResult): string | null {
  return result.failure === undefined
    ? null
    : `seed ${result.seed} (FUZZ_SEED=${result.seed} to replay):\n${result.failure}`;
}
