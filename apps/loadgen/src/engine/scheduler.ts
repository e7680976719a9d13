/**
 * Open-model arrival schedule: message k of a step at rate R is *scheduled* at
 * stepStart + k / R whatever happened before, and the send carries that time. When the event
 * loop (or the server, through backpressure) stalls, the overdue messages go out in a burst
 * on the next tick with their original times, so the stall shows up in every one of their
 * latencies instead of quietly lowering the rate (no coordinated omission).
 *
 *   time ─▶ |── step 0: R0 ──|── step 1: R1 ──|── …      one tick: emit all k with t_k ≤ now,
 *           s s s s s s s s s ss ss ss ss ss ss           flush, sleep until t_{k+1}
 */
import { nowUs } from './clock.js';

export interface RateStep {
  /** Messages per second (0: idle for the step). */
  rate: number;
  durationUs: number;
}

export interface ScheduleResult {
  sent: number;
  /** Sent per step. */
  perStep: number[];
  /** Largest delay between a message's scheduled time and its send, µs. */
  maxLagUs: number;
}

export type EmitFn = (scheduledUs: number, step: number) => void;

/**
 * Runs the schedule from `startUs`; `emit` is called once per message (in scheduled order)
 * and `flush` once per tick after the tick's emits, so writes can be batched per socket.
 */
export function runSchedule(
  startUs: number,
  steps: readonly RateStep[],
  emit: EmitFn,
  flush: () => void,
  signal?: AbortSignal,
): Promise<ScheduleResult> {
  const perStep = steps.map(() => 0);
  const stepStart: number[] = [];
  let t = startUs;
  for (const s of steps) {
    stepStart.push(t);
    t += s.durationUs;
  }
  const endUs = t;
  let step = 0;
  let k = 0;
  let sent = 0;
  let maxLagUs = 0;

  /** Scheduled time of message k of the current step, or Infinity when the step is idle. */
  const nextTime = (): number => {
    const s = steps[step];
    if (s === undefined) return Infinity;
    return s.rate > 0 ? stepStart[step]! + (k * 1e6) / s.rate : Infinity;
  };

  return new Promise((resolve) => {
    const tick = (): void => {
      const now = nowUs();
      for (;;) {
        if (step >= steps.length) break;
        const at = nextTime();
        const stepEnd = stepStart[step]! + steps[step]!.durationUs;
        if (at >= stepEnd) {
          step++;
          k = 0;
          continue;
        }
        if (at > now) break;
        emit(at, step);
        perStep[step]!++;
        sent++;
        k++;
        if (now - at > maxLagUs) maxLagUs = now - at;
      }
      flush();
      if (step >= steps.length || signal?.aborted === true) {
        resolve({ sent, perStep, maxLagUs });
        return;
      }
      const next = Math.min(nextTime(), stepStart[step]! + steps[step]!.durationUs, endUs);
      const waitMs = (next - nowUs()) / 1000;
      // Overdue: yield to I/O once and go on. Otherwise sleep at least the timer's 1 ms grain
      // (spinning on setImmediate would burn the core the server under test needs); sends
      // late by up to ~1 ms carry their scheduled time, so the delay is measured, not hidden.
      if (waitMs <= 0) setImmediate(tick);
      else setTimeout(tick, Math.max(1, Math.floor(waitMs)));
    };
    const firstMs = (startUs - nowUs()) / 1000;
    if (firstMs < 1) setImmediate(tick);
    else setTimeout(tick, Math.floor(firstMs));
  });
}
