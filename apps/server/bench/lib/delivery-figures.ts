/**
 * What one loadgen run of a room workload delivered, in the fields the scaling and bus
 * results share (every member of a room but the sender receives each message).
 */
import type { LoadgenResult } from './loadgen.js';
import { deliveredBetween } from './loadgen-window.js';

export interface DeliveryFigures {
  /** The loadgen's warm-up and its measured window, seconds. */
  warmupS: number;
  durationS: number;
  /** Deliveries the loadgen received in the window ÷ its length. */
  deliveredPerSecond: number;
  /** Latency of the messages scheduled in the window, from their scheduled send time. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyP999Ms: number;
  latencyMaxMs: number;
  /** Deliveries timed (messages of the window) ÷ what those messages should make. */
  windowCompleteness: number;
  totalDelivered: number;
  /** Messages sent over the whole run (warm-up included) × (members − 1). */
  totalExpected: number;
  sent: number;
  acked: number;
  /** Deliveries the loadgen's seq accounting found missing after the drain. */
  lost: number;
  duplicates: number;
  reordered: number;
  errors: number;
  errorCodes: Record<string, number>;
  failedConnections: number;
  /** Connections the server closed during the run. */
  disconnects: number;
  senderMaxLagMs: number;
}

/** The figures of `r`, where each message should reach `fanout` members. */
export function deliveryFigures(r: LoadgenResult, fanout: number): DeliveryFigures {
  const step = r.steps[0]!;
  const warmupS = r.config.warmupMs / 1000;
  const durationS = r.config.stepMs / 1000;
  return {
    warmupS,
    durationS,
    deliveredPerSecond: deliveredBetween(r, warmupS, warmupS + durationS) / durationS,
    latencyP50Ms: step.latencyMs.p50 ?? NaN,
    latencyP99Ms: step.latencyMs.p99 ?? NaN,
    latencyP999Ms: step.latencyMs.p999 ?? NaN,
    latencyMaxMs: step.latencyMs.max ?? NaN,
    windowCompleteness: step.latencyMs.count / Math.max(1, step.sent * fanout),
    totalDelivered: r.messages.delivered,
    totalExpected: r.messages.sent * fanout,
    sent: r.messages.sent,
    acked: r.messages.acked ?? 0,
    lost: r.messages.lost,
    duplicates: r.messages.duplicates,
    reordered: r.messages.reordered,
    errors: r.errors.total,
    errorCodes: r.errors.byCode,
    failedConnections: r.connections.failed,
    disconnects: r.connections.closedEarly,
    senderMaxLagMs: r.loadgen.maxSendLagMs,
  };
}
