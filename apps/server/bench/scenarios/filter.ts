/**
 * The moderation filter's cost per message, on one core, with nothing else in the way:
 * loopchat's measureFilterCost (apps/server/bench/lib/filter-cost.ts) times each
 * check() of a generated chat corpus (mostly clean ~100-character sentences, some with
 * listed terms, some obfuscated: leetspeak, spacing, look-alikes, zero-width, fullwidth)
 * against the shipped term list, after a JIT warm-up. Run in a child process of its own
 * (workers/filter-cost-worker.ts), a few times per level; the median run is reported.
 */
import { runWorker } from '../lib/children.js';
import { cpuSnapshot, cpuWindow, otherLoadWarnings } from '../lib/cpu-window.js';
import type { FilterCost } from '../lib/filter-cost.js';
import { notQuietWarnings, waitForQuiet } from '../lib/quiet.js';

export type FilterLevel = 'basic' | 'strict';

export interface FilterOptions {
  levels: FilterLevel[];
  messages: number;
  runs: number;
  quietWaitS: number;
}

export interface FilterRun extends FilterCost {
  level: FilterLevel;
  run: number;
  /** CPU of the measuring process ÷ its wall time over the run (≈ 1 when it had its core). */
  cpuShare: number;
}

export interface FilterResult {
  messages: number;
  runs: FilterRun[];
  /** CPU other processes used during the measurement, % of one core. */
  otherLoadPercent: number;
  problems: string[];
  warnings: string[];
}

interface Line {
  level: FilterLevel;
  run: number;
  cost: FilterCost;
  cpuUs: number;
  wallUs: number;
}

export async function runFilter(opts: FilterOptions): Promise<FilterResult> {
  const warnings: string[] = [];
  const problems: string[] = [];
  warnings.push(...notQuietWarnings(await waitForQuiet(opts.quietWaitS)));
  const a = cpuSnapshot();
  const worker = await runWorker('filter-cost-worker.js', [opts.levels.join(','), String(opts.messages), String(opts.runs)]);
  const runs: FilterRun[] = [];
  let childCpuS = NaN;
  for (const line of worker.lines as (Line | { totalCpuUs: number })[]) {
    if ('totalCpuUs' in line) childCpuS = line.totalCpuUs / 1e6;
    else runs.push({ ...line.cost, level: line.level, run: line.run, cpuShare: line.cpuUs / line.wallUs });
  }
  const b = cpuSnapshot();
  const wallS = (b.atUs - a.atUs) / 1e6;
  const { otherLoadPercent } = cpuWindow(a, b, (Number.isFinite(childCpuS) ? childCpuS : wallS) + (b.runner - a.runner));
  if (worker.failure !== undefined) problems.push(worker.failure);
  if (runs.length !== opts.levels.length * opts.runs)
    problems.push(`expected ${opts.levels.length * opts.runs} runs, got ${runs.length}`);
  for (const r of runs) {
    const total = r.verdicts.allow + r.verdicts.mask + r.verdicts.reject;
    if (total !== opts.messages) problems.push(`${r.level} run ${r.run}: ${total} verdicts for ${opts.messages} messages`);
    if (r.cpuShare < 0.9)
      warnings.push(`${r.level} run ${r.run}: the measuring process had ${(r.cpuShare * 100).toFixed(0)} % of a core`);
  }
  warnings.push(...otherLoadWarnings(otherLoadPercent, 'during the filter measurement'));
  return { messages: opts.messages, runs, otherLoadPercent, problems, warnings };
}

/** The run with the median mean cost, per level. */
export function medianRun(result: FilterResult, level: FilterLevel): FilterRun | undefined {
  const runs = result.runs.filter((r) => r.level === level).sort((a, b) => a.meanus - b.meanus);
  return runs[Math.floor(runs.length / 2)];
}
