/**
 * k6-style pass/fail thresholds: `METRIC OP VALUE[UNIT]`, e.g. `p99<50ms`, `loss==0`,
 * `errors<10`, `loss<0.1%`, `delivered_rate>=99.9%`, `connect_p99<=1s`.
 *
 *   OP    < <= > >= == !=
 *   UNIT  time metrics: ms (default), us, s;  count metrics: none, or % of their base
 *         (loss, dup, reorder of expected deliveries; errors of messages sent; failed of
 *         connections planned);  ratio metrics: none (0..1) or %.
 *
 * A run that violates any threshold exits with code 99, as k6 does.
 */
import { LoadgenError } from './errors.js';
import type { RunResult } from './result.js';

export const THRESHOLD_EXIT_CODE = 99;

type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';
type Kind = 'time' | 'count' | 'ratio' | 'rate' | 'percent';

interface MetricDef {
  kind: Kind;
  help: string;
  /** The value, in ms for time, a count, a 0..1 ratio, per second, or percent. */
  get: (r: RunResult) => number | null;
  /** For counts with `%`: what the count is a share of. */
  base?: (r: RunResult) => number;
}

const expected = (r: RunResult): number => r.messages.expected;

export const METRICS: Readonly<Record<string, MetricDef>> = {
  p50: { kind: 'time', help: 'message latency p50', get: (r) => r.latencyMs.p50 },
  p90: { kind: 'time', help: 'message latency p90', get: (r) => r.latencyMs.p90 },
  p99: { kind: 'time', help: 'message latency p99', get: (r) => r.latencyMs.p99 },
  p999: { kind: 'time', help: 'message latency p99.9', get: (r) => r.latencyMs.p999 },
  max: { kind: 'time', help: 'message latency max', get: (r) => r.latencyMs.max },
  mean: { kind: 'time', help: 'message latency mean', get: (r) => r.latencyMs.mean },
  ack_p99: { kind: 'time', help: 'send → ack latency p99', get: (r) => r.ackMs.p99 },
  connect_p50: { kind: 'time', help: 'connect → joined p50', get: (r) => r.connectMs.p50 },
  connect_p99: { kind: 'time', help: 'connect → joined p99', get: (r) => r.connectMs.p99 },
  connect_max: { kind: 'time', help: 'connect → joined max', get: (r) => r.connectMs.max },
  loss: { kind: 'count', help: 'deliveries lost', get: (r) => r.messages.lost, base: expected },
  dup: { kind: 'count', help: 'duplicate deliveries', get: (r) => r.messages.duplicates, base: expected },
  reorder: { kind: 'count', help: 'deliveries out of order', get: (r) => r.messages.reordered, base: expected },
  errors: { kind: 'count', help: 'error frames', get: (r) => r.errors.total, base: (r) => r.messages.sent },
  failed: {
    kind: 'count',
    help: 'connections that failed',
    get: (r) => r.connections.failed,
    base: (r) => r.connections.planned,
  },
  closed: {
    kind: 'count',
    help: 'connections closed early',
    get: (r) => r.connections.closedEarly,
    base: (r) => r.connections.planned,
  },
  unacked: {
    kind: 'count',
    help: 'messages sent but not acked',
    get: (r) => (r.messages.acked === null ? null : r.messages.sent - r.messages.acked),
    base: (r) => r.messages.sent,
  },
  delivered_rate: {
    kind: 'ratio',
    help: 'delivered ÷ expected',
    get: (r) => (r.messages.expected === 0 ? null : r.messages.delivered / r.messages.expected),
  },
  throughput: { kind: 'rate', help: 'deliveries per second', get: (r) => r.messages.deliveredPerSecond },
  sent_rate: { kind: 'rate', help: 'messages sent per second', get: (r) => r.messages.sentPerSecond },
  loadgen_cpu: { kind: 'percent', help: 'busiest loadgen process, % of a core', get: (r) => r.loadgen.maxCpuPercent },
};

export interface Threshold {
  source: string;
  metric: string;
  op: Op;
  value: number;
  unit: string;
}

export interface ThresholdOutcome {
  threshold: string;
  /** The measured value in the threshold's own unit (null: nothing measured). */
  actual: number | null;
  unit: string;
  pass: boolean;
}

const SYNTAX = /^\s*([a-z][a-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*(\d+(?:\.\d+)?)\s*(ms|us|µs|s|%)?\s*$/;

function invalid(source: string, why: string): LoadgenError {
  return new LoadgenError('LG_INVALID_THRESHOLD', `--threshold '${source}': ${why}`);
}

export function parseThreshold(source: string): Threshold {
  const m = SYNTAX.exec(source);
  if (m === null) throw invalid(source, 'expected METRIC OP VALUE[UNIT], e.g. p99<50ms, loss==0, errors<1%');
  const [, metric = '', op = '<', value = '0', unit = ''] = m;
  const def = METRICS[metric];
  if (def === undefined) throw invalid(source, `unknown metric "${metric}" (one of ${Object.keys(METRICS).join(', ')})`);
  const isTimeUnit = unit === 'ms' || unit === 'us' || unit === 'µs' || unit === 's';
  if (def.kind === 'time' && unit === '%') throw invalid(source, `${metric} is a time: use ms, us or s`);
  if (def.kind !== 'time' && isTimeUnit) throw invalid(source, `${metric} is not a time: no ${unit}`);
  if (def.kind === 'rate' && unit === '%') throw invalid(source, `${metric} is per second: no %`);
  return { source: source.trim(), metric, op: op as Op, value: Number(value), unit: unit === 'µs' ? 'us' : unit };
}

/** The measured value converted to the threshold's unit. */
function actualIn(t: Threshold, r: RunResult): number | null {
  const def = METRICS[t.metric]!;
  const v = def.get(r);
  if (v === null) return null;
  switch (def.kind) {
    case 'time':
      return t.unit === 'us' ? v * 1000 : t.unit === 's' ? v / 1000 : v;
    case 'count': {
      if (t.unit !== '%') return v;
      const base = def.base!(r);
      return base === 0 ? 0 : (v / base) * 100;
    }
    case 'ratio':
      return t.unit === '%' ? v * 100 : v;
    default:
      return v;
  }
}

function compare(a: number, op: Op, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

export function evaluateThresholds(thresholds: readonly Threshold[], r: RunResult): ThresholdOutcome[] {
  return thresholds.map((t) => {
    const actual = actualIn(t, r);
    const rounded = actual === null ? null : Math.round(actual * 1000) / 1000;
    // Nothing measured (no latency samples at all) cannot pass a latency bound.
    return { threshold: t.source, actual: rounded, unit: t.unit, pass: actual !== null && compare(actual, t.op, t.value) };
  });
}

/** One line per threshold: `✓ p99<50ms (12.3ms)` / `✗ loss==0 (4)`. */
export function formatOutcomes(outcomes: readonly ThresholdOutcome[]): string[] {
  return outcomes.map(
    (o) => `${o.pass ? '✓' : '✗'} ${o.threshold}  (measured ${o.actual === null ? 'nothing' : `${o.actual}${o.unit}`})`,
  );
}
