/**
 * What every fuzz target shares: a budget (runs, seed, time limit), a result with inputs
 * tried per second, and one wrapper around fast-check's `check` that counts the inputs a
 * property really ran (an interrupted run stops early) and keeps the seed and the path
 * of a failure, so `--seed S` (and fast-check's `path`) replays it exactly.
 */
import fc from 'fast-check';

export interface FuzzBudget {
  /** Inputs to try (fast-check runs). */
  runs: number;
  /** fast-check seed: the same seed replays the same inputs. */
  seed: number;
  /** Stop after this long even if `runs` are not done (0: no limit). */
  timeLimitMs: number;
  /** Feed inputs that trigger the known, unfixed bugs (known-bugs.ts) too; off: skip them. */
  includeKnown: boolean;
}

export interface FuzzResult {
  target: string;
  /** Inputs the property actually ran. */
  inputs: number;
  /** Smaller units inside an input, when a target has them (session: frames sent). */
  units?: { name: string; count: number };
  ms: number;
  seed: number;
  interrupted: boolean;
  /** Inputs skipped because they trigger a known bug (known-bugs.ts). */
  skippedKnown: number;
  /** Target-specific figures (session: worst canary latency, RSS growth). */
  extra?: Record<string, number>;
  /** fast-check's report (counterexample, seed, path), when the property failed. */
  failure?: string;
}

export function perSecond(result: FuzzResult): number {
  return result.ms === 0 ? 0 : Math.round((result.inputs * 1000) / result.ms);
}

/** Counts the inputs a predicate is called with (fast-check reports planned runs, not interrupted ones). */
export class Counter {
  count = 0;
  units = 0;
  skippedKnown = 0;
}

function options(budget: FuzzBudget, shrink: boolean): fc.Parameters<unknown> {
  return {
    numRuns: budget.runs,
    seed: budget.seed,
    // A time limit ends the run early without calling it a failure: CI and `--time-limit`.
    ...(budget.timeLimitMs > 0 ? { interruptAfterTimeLimit: budget.timeLimitMs, markInterruptAsFailure: false } : {}),
    // Shrinking a session sequence opens a connection per step: report the first failure as is.
    endOnFailure: !shrink,
  };
}

function toResult(
  target: string,
  budget: FuzzBudget,
  counter: Counter,
  started: number,
  details: fc.RunDetails<unknown>,
): FuzzResult {
  return {
    target,
    inputs: counter.count,
    ms: Math.round(performance.now() - started),
    seed: budget.seed,
    interrupted: details.interrupted,
    skippedKnown: counter.skippedKnown,
    ...(details.failed ? { failure: failureReport(details) } : {}),
  };
}

export function runSync<T>(target: string, budget: FuzzBudget, counter: Counter, property: fc.IProperty<T>): FuzzResult {
  const started = performance.now();
  const details = fc.check(property, options(budget, true) as fc.Parameters<T>) as fc.RunDetails<unknown>;
  return toResult(target, budget, counter, started, details);
}

export async function runAsync<T>(
  target: string,
  budget: FuzzBudget,
  counter: Counter,
  property: fc.IAsyncProperty<T>,
  shrink = false,
): Promise<FuzzResult> {
  const started = performance.now();
  const details = (await fc.check(property, options(budget, shrink) as fc.Parameters<T>)) as fc.RunDetails<unknown>;
  return toResult(target, budget, counter, started, details);
}

/** A failed invariant: thrown inside a property so fast-check records and shrinks it. */
export function check(condition: boolean, what: () => string): asserts condition {
  if (!condition) throw new Error(what());
}

function failureReport(details: fc.RunDetails<unknown>): string {
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  // Counterexamples can be megabytes (deeply nested JSON): the seed and path replay them.
  const report = fc.defaultReportMessage(details) ?? 'failed';
  const short = report.length > 4000 ? `${report.slice(0, 4000)}… [${report.length} characters]` : report;
  return `${short}\nInvariant broken: ${error.slice(0, 4000)}`;
}
