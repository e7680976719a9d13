/**
 * A loadgen run seen on the bench's clock. The loadgen fixes its schedule only once every
 * connection has joined, and tells its parent over IPC: 'connected' (how many joined), then
 * 'schedule' (first send in startInMs, the measured window from warmupMs after it, the end of
 * the schedule totalMs after it). The scaling and bus scenarios turn those into bench times so
 * they can sample server CPU and `/stats` over exactly the window the loadgen measures, and
 * read the deliveries received within it from the loadgen's per-second timeline.
 */
import { nowUs, sleepUntil } from './clock.js';
import { startLoadgen, type LoadgenEvent, type LoadgenResult, type LoadgenRun } from './loadgen.js';

/** The loadgen's measured window, bench µs (lib/clock.ts). */
export interface LoadgenWindow {
  /** The first scheduled send: the warm-up starts here. */
  firstSendUs: number;
  startUs: number;
  /** The end of the schedule (the drain follows). */
  endUs: number;
}

export interface LoadgenJoined {
  ok: number;
  failed: number;
  planned: number;
}

export interface WindowedLoadgen {
  /** Resolves when every connection has joined or failed, before the first send. */
  joined: Promise<LoadgenJoined>;
  /** Resolves when the loadgen has fixed its schedule (a few hundred ms before the first send). */
  window: Promise<LoadgenWindow>;
  /** Resolves with the result once the loadgen has drained and exited 0. */
  done: Promise<LoadgenRun>;
  /** Ends the schedule now (a run that holds connections until told); `done` follows the drain. */
  stop(): void;
  /** The loadgen's CLI process; with `--procs N` its forked workers are its children. */
  pid: number;
}

/**
 * Starts the loadgen (lib/loadgen.ts, startLoadgen) and exposes its phases as promises;
 * `joined` and `window` reject if the run ends without announcing them, so a caller that
 * awaits them with `done` (Promise.all) never hangs.
 */
export function startWindowedLoadgen(args: string[], outPath: string, timeoutMs: number): WindowedLoadgen {
  let onJoined!: (j: LoadgenJoined) => void;
  let onWindow!: (w: LoadgenWindow) => void;
  let failJoined!: (err: Error) => void;
  let failWindow!: (err: Error) => void;
  const joined = new Promise<LoadgenJoined>((resolve, reject) => {
    onJoined = resolve;
    failJoined = reject;
  });
  const window = new Promise<LoadgenWindow>((resolve, reject) => {
    onWindow = resolve;
    failWindow = reject;
  });
  const handle = startLoadgen(args, outPath, timeoutMs, (event: LoadgenEvent) => {
    if (event.loadgen === 'connected') onJoined({ ok: event.ok, failed: event.failed, planned: event.planned });
    else if (event.loadgen === 'schedule') {
      // IPC takes well under a millisecond on an idle machine: the event's arrival is "now".
      const firstSendUs = nowUs() + event.startInMs * 1000;
      onWindow({ firstSendUs, startUs: firstSendUs + event.warmupMs * 1000, endUs: firstSendUs + event.totalMs * 1000 });
    }
  });
  // After a run that announced both, they are settled already and these rejections do nothing.
  const ended = (err: Error): void => {
    failJoined(err);
    failWindow(err);
  };
  handle.done.then(
    () => ended(new Error('the loadgen exited without announcing its connections and schedule (IPC events)')),
    (err: unknown) => ended(err as Error),
  );
  // A caller that stops waiting early (done rejected first) must not leave these unhandled.
  joined.catch(() => {});
  window.catch(() => {});
  return { joined, window, done: handle.done, stop: handle.stop, pid: handle.pid };
}

/**
 * Deliveries the loadgen received between `fromS` and `toS` seconds after its first send
 * (warm-up included), from its per-second timeline; a second cut by either bound counts in
 * proportion.
 */
export function deliveredBetween(result: LoadgenResult, fromS: number, toS: number): number {
  let total = 0;
  for (const point of result.timeline) {
    const overlap = Math.min(toS, point.t + 1) - Math.max(fromS, point.t);
    if (overlap > 0) total += point.delivered * overlap;
  }
  return total;
}

/** `sample()` at the start and at the end of the window. */
export async function sampleWindow<T>(w: LoadgenWindow, sample: () => T): Promise<{ a: T; b: T }> {
  await sleepUntil(w.startUs);
  const a = sample();
  await sleepUntil(w.endUs);
  return { a, b: sample() };
}
