/**
 * Where result files go. A bare file name (`--out result.json`) lands in `results/` under the
 * working directory, which the repository ignores, rather than beside the sources (`npm run
 * loadgen` runs in the repository root, so results used to litter it). A path with a folder
 * in it (`--out /tmp/r.json`, `--out ./r.json`, `--out bench/r.json`) is taken as written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const RESULTS_DIR = 'results';

/** The path a `--out`/`--md`/`--svg` value is written to. */
export function outputPath(path: string): string {
  return basename(path) === path ? join(RESULTS_DIR, path) : path;
}

/** Writes a result file, creating its folder. */
export function writeOutput(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}
