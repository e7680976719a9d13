/**
 * One part of the bench (memory, fan-out, …): its flags, the options it takes from them, how
 * it runs and how BENCHMARKS.md shows it. run.ts knows parts only through this interface and
 * the list in registry.ts.
 */
import type { Command, OptionValues } from 'commander';
import type { BenchOptions, BenchResults, Part } from '../lib/results.js';
import { QUIET_PERCENT } from '../lib/quiet.js';
import { fixed } from '../lib/summary.js';

export type Print = (line?: string) => void;

export interface BenchPart<O extends object = object> {
  readonly id: Part;
  /** Declares the part's flags on the CLI. */
  addFlags(program: Command): Command;
  /** The part's share of BenchOptions from the parsed flags; `quick` picks the smoke-run sizes. */
  options(flags: OptionValues, quick: boolean): O;
  /** Runs the part, appending its figures (and failures) to `results`. */
  run(o: BenchOptions, results: BenchResults): Promise<void>;
  /** The part's section(s) of BENCHMARKS.md. */
  render(r: BenchResults, p: Print): void;
}

/** Phases re-measured because other processes loaded the machine, at most, per part and bench run. */
const MAX_RETRIES = 6;

export function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Records a phase that threw instead of producing figures, and logs its stack. */
export function fail(results: BenchResults, server: string, scenario: string, err: unknown, what = server): void {
  results.failures.push({ server, scenario, error: (err as Error).message });
  log(`${what}: FAILED: ${(err as Error).stack ?? String(err)}`);
}

/** ` — PROBLEMS: …` and ` — WARNINGS: …` for a log line, when there are any. */
export function flagged(x: { problems: string[]; warnings: string[] }): string {
  return (
    (x.problems.length > 0 ? ` — PROBLEMS: ${x.problems.join('; ')}` : '') +
    (x.warnings.length > 0 ? ` — WARNINGS: ${x.warnings.join('; ')}` : '')
  );
}

/** Did other processes use more of the CPU than a quiet machine allows (`times` × QUIET_PERCENT)? */
export function loaded(x: { otherLoadPercent: number }, times = 1): boolean {
  return x.otherLoadPercent > times * QUIET_PERCENT;
}

/** A part's budget of re-measurements: a phase spoiled by other processes is run again while it lasts. */
export class Retries {
  #left = MAX_RETRIES;

  async measure<T extends { otherLoadPercent: number }>(
    what: string,
    run: () => Promise<T>,
    spoiled: (x: T) => boolean = (x) => loaded(x),
    describe: (x: T) => string = () => '',
  ): Promise<T> {
    for (;;) {
      const x = await run();
      if (!spoiled(x) || this.#left === 0) return x;
      this.#left--;
      const detail = describe(x);
      log(
        `${what}: other processes used ${fixed(x.otherLoadPercent, 0)} % of a core; measuring again (${this.#left} retries left)${detail === '' ? '' : `: ${detail}`}`,
      );
    }
  }
}
