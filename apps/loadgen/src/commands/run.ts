/**
 * `loadgen run`: drive one scenario against a running server, print the summary, write
 * the requested files, and exit 99 when a threshold fails.
 */
import { writeFileSync } from 'node:fs';
import type { RunConfig } from '../config.js';
import { runLoad } from '../coordinator.js';
import { writeJson } from '../report/json.js';
import { runMarkdown } from '../report/markdown.js';
import { createProgress } from '../report/progress.js';
import { timelineSvg } from '../report/svg.js';
import type { RunResult } from '../result.js';
import { THRESHOLD_EXIT_CODE, evaluateThresholds, formatOutcomes, type Threshold } from '../thresholds.js';
import { parseRunFlags, type RunFlags, type RunOutputs } from './run-options.js';

/** Runs, evaluates thresholds and fills `result.ok`. */
export async function runScenario(
  cfg: Readonly<RunConfig>,
  thresholds: readonly Threshold[],
  progress = false,
): Promise<RunResult> {
  const bar = createProgress(progress ? 'auto' : 'off');
  let result: RunResult;
  try {
    result = await runLoad(cfg, { onProgress: (e) => bar.update(e) });
  } finally {
    bar.stop();
  }
  result.thresholds = evaluateThresholds(thresholds, result);
  result.ok = result.thresholds.every((t) => t.pass);
  return result;
}

export function writeOutputs(result: RunResult, outputs: RunOutputs): void {
  if (outputs.out !== null) writeJson(outputs.out, result);
  if (outputs.md !== null) writeFileSync(outputs.md, runMarkdown(result));
  if (outputs.svg !== null) {
    const title = `${result.config.driver}: ${result.config.connections} conns, ${result.config.rates.join('→')} msg/s`;
    writeFileSync(outputs.svg, timelineSvg(result.timeline, title, result.config.warmupMs / 1000));
  }
}

/** The CLI action; returns the exit code. */
export async function runCommand(flags: RunFlags): Promise<number> {
  const { cfg, thresholds, outputs } = parseRunFlags(flags);
  const result = await runScenario(cfg, thresholds, outputs.progress && !outputs.quiet);
  writeOutputs(result, outputs);
  if (!outputs.quiet) process.stdout.write(runMarkdown(result));
  for (const w of result.loadgen.warnings) process.stderr.write(`warning: ${w}\n`);
  if (thresholds.length > 0) {
    const lines = formatOutcomes(result.thresholds);
    process.stderr.write(`thresholds:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
    if (!result.ok) {
      const failed = result.thresholds.filter((t) => !t.pass).map((t) => t.threshold);
      process.stderr.write(`FAILED: ${failed.length} threshold(s) crossed: ${failed.join(', ')}\n`);
      return THRESHOLD_EXIT_CODE;
    }
  }
  return 0;
}
