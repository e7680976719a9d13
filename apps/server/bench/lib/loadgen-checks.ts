/**
 * What a loadgen run's own accounting says went wrong on the wire, and what the server's
 * counters say, as the problems every scenario reports in the same words.
 */
import type { LoadgenResult } from './loadgen.js';

/**
 * Duplicate deliveries, deliveries out of seq order (with `ordered`), error frames and
 * connections the server closed, in that order.
 */
export function wireProblems(r: LoadgenResult, ordered: boolean): string[] {
  const problems: string[] = [];
  if (r.messages.duplicates > 0) problems.push(`${r.messages.duplicates} duplicate deliveries`);
  if (ordered && r.messages.reordered > 0) problems.push(`${r.messages.reordered} deliveries out of seq order`);
  if (r.errors.total > 0)
    problems.push(`${r.errors.total} error frames ${JSON.stringify(r.errors.byCode)}: ${r.errors.samples.join(' | ')}`);
  if (r.connections.closedEarly > 0)
    problems.push(`${r.connections.closedEarly} connections closed by the server: ${r.connections.closeSamples.join('; ')}`);
  return problems;
}

/** The server's drops and disconnects that moved during a run (`drops.x` → +n), as one problem. */
export function serverSideProblems(moved: Record<string, number>): string[] {
  const entries = Object.entries(moved);
  return entries.length === 0 ? [] : [`server-side: ${entries.map(([k, n]) => `${k} +${n}`).join(', ')}`];
}

/** What every loadgen-driven result carries beside its figures. */
export interface RunFindings {
  /** The loadgen's result JSON (histograms, timeline). */
  resultPath: string;
  /** Failed checks: the figures are wrong or incomplete. */
  problems: string[];
  /** Conditions that may skew the figures (a busy machine). */
  warnings: string[];
  /** The server's own warnings and stderr lines. */
  notes: string[];
}
