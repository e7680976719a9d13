// @ts-check
// When things happen in the k6 scenarios, derived from one DURATION: the load shape of each
// scenario, how long a k6 run may go on after DURATION, and how long one chat session may
// last so that it ends by itself before the scenario does. Plain JavaScript with no k6
// import, so that vitest checks it in Node (apps/loadgen/test/k6-timing.test.ts).
//
// Why: every scenario honours `k6 run -e DURATION=…`, and a run ends within DURATION plus
// RUN_OVERRUN_MAX_MS. k6 ends a scenario after its stages (or `duration`) plus the graceful
// stop it gives iterations still running, and runs setup and teardown around it; sessions
// that end before the stages do, and a short graceful stop, keep the total bounded.

/** Longest a run may take past DURATION: graceful stop, setup and teardown, the summary. */
export const RUN_OVERRUN_MAX_MS = 30_000;

/** What iterations still running at the end get (k6 `gracefulStop`, `gracefulRampDown`). */
export const GRACEFUL_STOP_MS = 10_000;

/** After a session's last send: time for in-flight messages (and their acks) to arrive. */
export const DRAIN_MS = 1_000;

/** A session shorter than this is not worth opening at the end of a run: the VU idles instead. */
export const MIN_SESSION_MS = 2_000;

const UNITS = /** @type {const} */ ({ ms: 1, s: 1_000, m: 60_000, h: 3_600_000 });

/**
 * A k6-style duration (`90s`, `2m`, `1h30m`, `500ms`, or a bare number of seconds) in ms.
 * @param {string} text
 * @param {string} [name] what it is, for the error
 * @returns {number}
 */
export function parseDurationMs(text, name = 'DURATION') {
  const s = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  // An exec loop rather than matchAll: k6 runs this in its own JavaScript engine, not V8.
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let ms = 0;
  let at = 0;
  /** @type {RegExpExecArray | null} */
  let m;
  while (at < s.length && (m = part.exec(s)) !== null && m.index === at) {
    ms += Number(m[1]) * UNITS[/** @type {keyof typeof UNITS} */ (m[2])];
    at = part.lastIndex;
  }
  if (s === '' || at !== s.length) {
    throw new Error(`${name}=${s}: expected a duration such as 90s, 2m, 1h30m or 500ms`);
  }
  if (!(ms > 0)) throw new Error(`${name}=${s}: must be longer than 0`);
  return Math.round(ms);
}

/**
 * @param {number} ms
 * @returns {string} a k6 duration
 */
export function k6Duration(ms) {
  return `${Math.max(0, Math.round(ms))}ms`;
}

/**
 * @typedef {object} Stage
 * @property {string} duration
 * @property {number} target
 */

/**
 * chat-room.js: ramp up over a quarter of DURATION, hold, ramp down over the last tenth.
 * @param {number} durationMs
 * @param {number} vus
 */
export function chatRoomScenario(durationMs, vus) {
  const ramp = Math.round(durationMs * 0.25);
  const down = Math.round(durationMs * 0.1);
  return {
    executor: 'ramping-vus',
    startVUs: 0,
    /** @type {Stage[]} */
    stages: [
      { duration: k6Duration(ramp), target: vus },
      { duration: k6Duration(durationMs - ramp - down), target: vus },
      { duration: k6Duration(down), target: 0 },
    ],
    gracefulRampDown: k6Duration(GRACEFUL_STOP_MS),
    gracefulStop: k6Duration(GRACEFUL_STOP_MS),
  };
}

/**
 * connection-storm.js: arrivals ramp to the peak over 45 % of DURATION, hold 45 %, ramp down.
 * Each iteration is bounded by its ready timeout, which must fit the graceful stop.
 * @param {number} durationMs
 * @param {number} peakRate new connections per second
 * @param {number} maxVUs
 */
export function stormScenario(durationMs, peakRate, maxVUs) {
  const ramp = Math.round(durationMs * 0.45);
  const down = Math.round(durationMs * 0.1);
  return {
    executor: 'ramping-arrival-rate',
    startRate: Math.min(10, peakRate),
    timeUnit: '1s',
    preAllocatedVUs: Math.min(100, maxVUs),
    maxVUs,
    /** @type {Stage[]} */
    stages: [
      { duration: k6Duration(ramp), target: peakRate },
      { duration: k6Duration(durationMs - ramp - down), target: peakRate },
      { duration: k6Duration(down), target: 0 },
    ],
    gracefulStop: k6Duration(GRACEFUL_STOP_MS),
  };
}

/**
 * soak.js: a constant number of VUs for DURATION.
 * @param {number} durationMs
 * @param {number} vus
 */
export function soakScenario(durationMs, vus) {
  return {
    executor: 'constant-vus',
    vus,
    duration: k6Duration(durationMs),
    gracefulStop: k6Duration(GRACEFUL_STOP_MS),
  };
}

/**
 * How long a scenario built above runs at most: its stages (or duration) plus the graceful
 * stop. Setup and teardown come on top (soak.js: two /stats reads of at most 5 s each).
 * @param {{ stages?: Stage[], duration?: string, gracefulStop: string }} scenario
 * @returns {number}
 */
export function scenarioMaxMs(scenario) {
  const body =
    scenario.stages !== undefined
      ? scenario.stages.reduce((ms, s) => ms + parseDurationMs(s.duration, 'stage'), 0)
      : parseDurationMs(scenario.duration ?? '0ms', 'duration');
  return body + parseDurationMs(scenario.gracefulStop, 'gracefulStop');
}

/**
 * How long the session starting now may send, so that it (and its drain) ends before the
 * scenario's planned end; 0 when too little time is left for a session worth opening.
 * @param {{ sessionMs: number, nowMs: number, scenarioStartMs: number, durationMs: number }} o
 * @returns {number}
 */
export function sendWindowMs(o) {
  const left = o.scenarioStartMs + o.durationMs - o.nowMs - DRAIN_MS;
  return left < MIN_SESSION_MS ? 0 : Math.min(o.sessionMs, left);
}
