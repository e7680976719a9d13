/**
 * `loadgen run`: drive one scenario against a running server, print the summary, write
 * the requested files, and exit with the verdict's code (verdict.ts: 0 PASS, 99 FAILED,
 * 98 INCONCLUSIVE). Started with an IPC channel, it
 * tells its parent the run's phases and takes `stop` from it (parent-ipc.ts); the first
 * Ctrl-C stops it the same way (k6's graceful stop), a second one kills it.
 */
import type { RunConfig } from '../config.js';
import { runLoad, type RunHooks } from '../coordinator.js';
import { openParentChannel } from '../parent-ipc.js';
import { writeJson } from '../report/json.js';
import { writeOutput } from '../report/output-path.js';
import { runMarkdown } from '../report/markdown.js';
import { createProgress } from '../report/progress.js';
import { timelineSvg } from '../report/svg.js';
import type { RunResult } from '../result.js';
import { evaluateThresholds, formatOutcomes, type Threshold } from '../thresholds.js';
import { exitCodeOf, formatJudgement, judgeRun } from '../verdict.js';
import { parseRunFlags, type RunFlags, type RunOutputs } from './run-options.js';

/** Runs, evaluates thresholds and fills the verdict (`result.verdict`, `result.ok`); `control` passes phase events and a stop signal through. */
export async function runScenario(
  cfg: Readonly<RunConfig>,
  thresholds: readonly Threshold[],
  progress = false,
  control: Pick<RunHooks, 'onPhase' | 'signal'> = {},
): Promise<RunResult> {
  const bar = createProgress(progress ? 'auto' : 'off');
  let result: RunResult;
  try {
    result = await runLoad(cfg, { ...control, onProgress: (e) => bar.update(e) });
  } finally {
    bar.stop();
  }
  result.thresholds = evaluateThresholds(thresholds, result);
  const judgement = judgeRun(result);
  result.verdict = judgement.verdict;
  result.verdictReasons = judgement.reasons;
  result.ok = judgement.verdict === 'PASS';
  return result;
}

export function writeOutputs(result: RunResult, outputs: RunOutputs): void {
  if (outputs.out !== null) writeJson(outputs.out, result);
  if (outputs.md !== null) writeOutput(outputs.md, runMarkdown(result));
  if (outputs.svg !== null) {
    const title = `${result.config.driver}: ${result.config.connections} conns, ${result.config.rates.join('→')} msg/s`;
    const { warmupMs, stepMs } = result.config;
    const steps = result.steps.map((s, k) => ({ startS: (warmupMs + k * stepMs) / 1000, rate: s.rate }));
    writeOutput(outputs.svg, timelineSvg(result.timeline, title, warmupMs / 1000, steps));
  }
}

/** The CLI action; returns the exit code. */
export async function runCommand(flags: RunFlags): Promise<number> {
  const { cfg, thresholds, outputs } = parseRunFlags(flags);
  const stop = new AbortController();
  const parent = openParentChannel(() => stop.abort());
  const onSigint = (): void => {
    process.stderr.write('\nloadgen: stopping early: draining and reporting (Ctrl-C again to abort)\n');
    stop.abort();
  };
  // once: after the first Ctrl-C the handler is gone, so a second one kills as usual.
  process.once('SIGINT', onSigint);
  let result: RunResult;
  try {
    result = await runScenario(cfg, thresholds, outputs.progress && !outputs.quiet, {
      signal: stop.signal,
      onPhase: parent === null ? undefined : (e) => parent.send(e),
    });
  } finally {
    process.off('SIGINT', onSigint);
    parent?.close();
  }
  writeOutputs(result, outputs);
  if (!outputs.quiet) process.stdout.write(runMarkdown(result));
  for (const w of result.loadgen.warnings) process.stderr.write(`warning: ${w}\n`);
  if (thresholds.length > 0) {
    const lines = formatOutcomes(result.thresholds);
    process.stderr.write(`thresholds:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  }
  const judgement = { verdict: result.verdict, reasons: result.verdictReasons };
  process.stderr.write(`${formatJudgement(judgement)}\n`);
  return exitCodeOf(result.verdict);
}
