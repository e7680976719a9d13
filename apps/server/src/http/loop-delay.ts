/**
 * Event-loop delay, the number that says whether one loop is keeping up with its sockets.
 * Node's histogram samples with a timer every RESOLUTION_MS and, on Node 20, records the
 * whole interval (measured here: an idle loop reads ≈ resolution), so the resolution is
 * subtracted to report the delay itself. One monitor per process: the loop is per process.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** Delay percentiles in milliseconds since the last reset. */
export function loopDelayMs(): LoopDelay {
  const ms = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 1000) / 1000);
  return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
}

/** Starts a new measurement window (the bench resets it around each scenario). */
export function resetLoopDelay(): void {
  histogram.reset();
}
