/**
 * Event-loop delay, the number that says whether one loop is keeping up with its sockets.
 * Reported over the last completed WINDOW_MS window (a since-start percentile would bury a
 * stall under hours of calm). Node's histogram samples with a timer every RESOLUTION_MS and,
 * on Node 20, records the whole interval (measured here: an idle loop reads ≈ resolution),
 * so the resolution is subtracted to report the delay itself. One monitor per process: the
 * event loop is per process.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;
const WINDOW_MS = 5_000;

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
let lastWindow: LoopDelay | undefined;
let roll: NodeJS.Timeout | undefined;

/**
 * Starts measuring (once per process; later calls do nothing). Called by whoever reports the
 * delay (server.ts, the cluster primary), never by importing this module: an import must not
 * start a timer in a process that only wanted a type or a helper.
 */
export function monitorLoopDelay(): void {
  if (roll !== undefined) return;
  histogram.enable();
  roll = setInterval(() => {
    lastWindow = read();
    histogram.reset();
  }, WINDOW_MS);
  roll.unref();
}

function read(): LoopDelay {
  const ms = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 1000) / 1000);
  return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
}

/** Delay percentiles in ms over the last completed 5 s window (the current one before the first completes). */
export function loopDelayMs(): LoopDelay {
  return lastWindow ?? read();
}
