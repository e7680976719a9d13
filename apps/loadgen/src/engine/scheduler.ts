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
 * Aborting `signal` ends the schedule at once, even in the middle of a long idle step;
 * nothing is emitted after the abort.
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
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = (): void => {
      // An abort may queue a tick beside the one already queued: only the first one ends it.
      if (done) return;
      timer = undefined;
      const now = nowUs();
      const stopped = signal?.aborted === true;
      for (;;) {
        if (stopped || step >= steps.length) break;
        const at = nextTime();
        const stepEnd = stepStart[step]! + steps[step]!.durationUs;
        if (at >= stepEnd) {
          // Nothing left to send in this step, but it lasts until its end: an idle (rate 0)
          // last step holds the connections for its whole duration.
          if (now < stepEnd) break;
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
      if (stopped || step >= steps.length) {
        done = true;
        signal?.removeEventListener('abort', onAbort);
        resolve({ sent, perStep, maxLagUs });
        return;
      }
      const next = Math.min(nextTime(), stepStart[step]! + steps[step]!.durationUs, endUs);
      const waitMs = (next - nowUs()) / 1000;
      // Overdue: yield to I/O once and go on. Otherwise sleep at least the timer's 1 ms grain
      // (spinning on setImmediate would burn the core the server under test needs); sends
      // late by up to ~1 ms carry their scheduled time, so the delay is measured, not hidden.
      if (waitMs <= 0) setImmediate(tick);
      else timer = setTimeout(tick, Math.max(1, Math.floor(waitMs)));
    };
    const onAbort = (): void => {
      clearTimeout(timer);
      setImmediate(tick);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const firstMs = (startUs - nowUs()) / 1000;
    if (firstMs < 1 || signal?.aborted === true) setImmediate(tick);
    else timer = setTimeout(tick, Math.floor(firstMs));
  });
}
