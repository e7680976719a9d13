/**
 * The verdict of a run or a scaling search: PASS, FAILED or INCONCLUSIVE, with reasons.
 *
 *   INCONCLUSIVE  the load generator itself was the bottleneck: a loadgen process used
 *                 ≥ LOADGEN_CPU_LIMIT_PERCENT of a core, or sends left more than
 *                 SEND_LAG_LIMIT_MS behind their schedule. What was measured then describes
 *                 the client as much as the server, so neither PASS nor FAILED may be said
 *                 (a 13 s p99 beside "max send lag 10037 ms" once printed PASS). It wins over
 *                 both. Exit INCONCLUSIVE_EXIT_CODE.
 *   FAILED        a threshold crossed, or (by default) a connection failed: a run that could
 *                 not even connect its clients did not run the scenario asked for. An explicit
 *                 `failed…` threshold replaces that default (`--threshold 'failed<0.1%'`).
 *                 Exit THRESHOLD_EXIT_CODE (99, as k6).
 *   PASS          neither. Exit 0.
 *
 * Pure functions over results: unit-tested in verdict.test.ts.
 */
import type { RunResult } from './result.js';
import { THRESHOLD_EXIT_CODE } from './thresholds.js';

export type Verdict = 'PASS' | 'FAILED' | 'INCONCLUSIVE';

export interface Judgement {
  verdict: Verdict;
  /** Why, one short sentence each (empty for PASS). */
  reasons: string[];
}

/** A loadgen process at this share of a core or more may be the limit, not the server. */
export const LOADGEN_CPU_LIMIT_PERCENT = 90;
/** Sends this much later than scheduled mean the loadgen could not keep its schedule. */
export const SEND_LAG_LIMIT_MS = 100;
/** Exit code of an INCONCLUSIVE run or scale (0 PASS, 99 FAILED, 2 usage, 1 error). */
export const INCONCLUSIVE_EXIT_CODE = 98;

/** Why the load generator may have been the bottleneck (empty: it was not). */
export function loadgenLimits(loadgen: Pick<RunResult['loadgen'], 'maxCpuPercent' | 'maxSendLagMs'>): string[] {
  const reasons: string[] = [];
  if (loadgen.maxCpuPercent >= LOADGEN_CPU_LIMIT_PERCENT) {
    reasons.push(
      `a loadgen process used ${Math.round(loadgen.maxCpuPercent)} % of a core (limit ${LOADGEN_CPU_LIMIT_PERCENT} %): add --procs`,
    );
  }
  if (loadgen.maxSendLagMs > SEND_LAG_LIMIT_MS) {
    reasons.push(
      `sends fell up to ${Math.round(loadgen.maxSendLagMs)} ms behind schedule (limit ${SEND_LAG_LIMIT_MS} ms): the loadgen could not keep its rate`,
    );
  }
  return reasons;
}

type Judged = Pick<RunResult, 'loadgen' | 'thresholds' | 'connections'>;

/** The verdict of one run whose thresholds are already evaluated. */
export function judgeRun(r: Judged): Judgement {
  const limits = loadgenLimits(r.loadgen);
  if (limits.length > 0) return { verdict: 'INCONCLUSIVE', reasons: limits };
  const reasons = r.thresholds.filter((t) => !t.pass).map((t) => `threshold ${t.threshold} crossed`);
  const failedGoverned = r.thresholds.some((t) => /^\s*failed\s*[<>=!]/.test(t.threshold));
  if (!failedGoverned && r.connections.failed > 0) {
    reasons.push(`${r.connections.failed} of ${r.connections.planned} connections failed`);
  }
  return { verdict: reasons.length === 0 ? 'PASS' : 'FAILED', reasons };
}

/** One probe of a scaling search, as far as the verdict is concerned. */
export interface JudgedProbe {
  rate: number;
  pass: boolean;
  /** Why the loadgen was the limit in this probe (null: it was not). */
  inconclusive: string | null;
}

/**
 * A worker count's search: INCONCLUSIVE when the probe that set its ceiling (the lowest
 * failing rate) failed because the loadgen was the limit, since the server's ceiling may lie
 * higher. A probe the loadgen limited never counts as a pass.
 */
export function judgeSearch(workers: number, probes: readonly JudgedProbe[]): Judgement {
  const failing = probes.filter((p) => !p.pass).sort((a, b) => a.rate - b.rate)[0];
  if (failing?.inconclusive != null) {
    return { verdict: 'INCONCLUSIVE', reasons: [`${workers} worker(s) at ${failing.rate} msg/s: ${failing.inconclusive}`] };
  }
  return { verdict: 'PASS', reasons: [] };
}

/** Several judgements as one: any INCONCLUSIVE wins, then any FAILED. */
export function combine(judgements: readonly Judgement[]): Judgement {
  for (const verdict of ['INCONCLUSIVE', 'FAILED'] as const) {
    const hit = judgements.filter((j) => j.verdict === verdict);
    if (hit.length > 0) return { verdict, reasons: hit.flatMap((j) => j.reasons) };
  }
  return { verdict: 'PASS', reasons: [] };
}

export function exitCodeOf(verdict: Verdict): number {
  return verdict === 'PASS' ? 0 : verdict === 'FAILED' ? THRESHOLD_EXIT_CODE : INCONCLUSIVE_EXIT_CODE;
}

/** The line printed last on stderr: `PASS`, or the verdict and its reasons. */
export function formatJudgement(j: Judgement): string {
  return j.reasons.length === 0 ? j.verdict : `${j.verdict}: ${j.reasons.join('; ')}`;
}
