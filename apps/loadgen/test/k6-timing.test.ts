/**
 * The k6 scenarios' timing (apps/loadgen/k6/lib/timing.js), run in Node: every scenario
 * derives its load shape from DURATION and a run ends within DURATION + 30 s.
 */
import { beforeAll, describe, expect, it } from 'vitest';

interface Stage {
  duration: string;
  target: number;
}
interface Scenario {
  executor: string;
  stages?: Stage[];
  duration?: string;
  gracefulStop: string;
  gracefulRampDown?: string;
}
interface Timing {
  RUN_OVERRUN_MAX_MS: number;
  GRACEFUL_STOP_MS: number;
  DRAIN_MS: number;
  MIN_SESSION_MS: number;
  parseDurationMs(text: string, name?: string): number;
  chatRoomScenario(durationMs: number, vus: number): Scenario;
  stormScenario(durationMs: number, peakRate: number, maxVUs: number): Scenario;
  soakScenario(durationMs: number, vus: number): Scenario;
  scenarioMaxMs(scenario: Scenario): number;
  sendWindowMs(o: { sessionMs: number; nowMs: number; scenarioStartMs: number; durationMs: number }): number;
}

let t: Timing;

beforeAll(async () => {
  // A runtime path (not a literal import): this JavaScript is k6's, outside the TS project.
  t = (await import(new URL('../k6/lib/timing.js', import.meta.url).href)) as Timing;
});

/** soak.js reads /stats in setup and teardown, each bounded by a 5 s timeout. */
const SETUP_AND_TEARDOWN_MS = 10_000;

describe('parseDurationMs', () => {
  it('reads k6 durations and bare seconds', () => {
    expect(t.parseDurationMs('90s')).toBe(90_000);
    expect(t.parseDurationMs('2m')).toBe(120_000);
    expect(t.parseDurationMs('1h30m')).toBe(5_400_000);
    expect(t.parseDurationMs('1m30s')).toBe(90_000);
    expect(t.parseDurationMs('500ms')).toBe(500);
    expect(t.parseDurationMs('45')).toBe(45_000);
  });

  it('refuses what is not a duration, naming the variable', () => {
    for (const bad of ['', 'abc', '10x', '5 m', '0s', '-1m', '1m junk']) {
      expect(() => t.parseDurationMs(bad), bad).toThrow(/DURATION/);
    }
  });
});

describe('scenarios derived from DURATION', () => {
  const durations = ['10s', '1m', '2m', '30m', '2h'];

  it.each(durations)('chat-room: ramp, hold and ramp-down add up to DURATION=%s, and the run ends within +30 s', (d) => {
    const ms = t.parseDurationMs(d);
    const s = t.chatRoomScenario(ms, 100);
    const stages = s.stages!.map((st) => t.parseDurationMs(st.duration));
    expect(stages.reduce((a, b) => a + b, 0)).toBe(ms);
    expect(stages[0]).toBe(Math.round(ms * 0.25)); // the ramp derives from DURATION
    expect(s.stages!.map((st) => st.target)).toEqual([100, 100, 0]);
    expect(t.scenarioMaxMs(s)).toBeLessThanOrEqual(ms + t.RUN_OVERRUN_MAX_MS);
    expect(t.parseDurationMs(s.gracefulRampDown!)).toBeLessThanOrEqual(t.GRACEFUL_STOP_MS);
  });

  it.each(durations)('connection-storm: stages add up to DURATION=%s, the run ends within +30 s', (d) => {
    const ms = t.parseDurationMs(d);
    const s = t.stormScenario(ms, 200, 1000);
    expect(s.stages!.reduce((a, st) => a + t.parseDurationMs(st.duration), 0)).toBe(ms);
    expect(t.scenarioMaxMs(s)).toBeLessThanOrEqual(ms + t.RUN_OVERRUN_MAX_MS);
  });

  it.each(durations)('soak: runs DURATION=%s, and with setup and teardown ends within +30 s', (d) => {
    const ms = t.parseDurationMs(d);
    const s = t.soakScenario(ms, 200);
    expect(t.parseDurationMs(s.duration!)).toBe(ms);
    expect(t.scenarioMaxMs(s) + SETUP_AND_TEARDOWN_MS).toBeLessThanOrEqual(ms + t.RUN_OVERRUN_MAX_MS);
  });
});

describe('sendWindowMs: no session outlives DURATION', () => {
  const start = 1_000_000;

  it('gives a full session while there is time', () => {
    expect(t.sendWindowMs({ sessionMs: 30_000, nowMs: start, scenarioStartMs: start, durationMs: 120_000 })).toBe(30_000);
  });

  it('cuts the last session so that it and its drain end by DURATION', () => {
    const now = start + 100_000;
    const w = t.sendWindowMs({ sessionMs: 600_000, nowMs: now, scenarioStartMs: start, durationMs: 120_000 });
    expect(w).toBe(20_000 - t.DRAIN_MS);
    expect(now + w + t.DRAIN_MS).toBeLessThanOrEqual(start + 120_000);
  });

  it('opens no session when too little time is left (the VU idles)', () => {
    const now = start + 120_000 - t.DRAIN_MS - t.MIN_SESSION_MS + 1;
    expect(t.sendWindowMs({ sessionMs: 30_000, nowMs: now, scenarioStartMs: start, durationMs: 120_000 })).toBe(0);
    expect(t.sendWindowMs({ sessionMs: 30_000, nowMs: start + 200_000, scenarioStartMs: start, durationMs: 120_000 })).toBe(0);
  });

  it('keeps a short SESSION_SECONDS as it is', () => {
    expect(t.sendWindowMs({ sessionMs: 1_000, nowMs: start, scenarioStartMs: start, durationMs: 120_000 })).toBe(1_000);
  });

  it('a soak of 1 m with 10 min sessions still ends its sessions within the minute', () => {
    for (let at = 0; at < 60_000; at += 7_000) {
      const w = t.sendWindowMs({ sessionMs: 600_000, nowMs: start + at, scenarioStartMs: start, durationMs: 60_000 });
      if (w > 0) expect(at + w + t.DRAIN_MS).toBeLessThanOrEqual(60_000);
    }
  });
});
