/**
 * The `run` CLI under a parent with an IPC channel, as the server bench drives it
 * (apps/server/bench/lib/loadgen.ts, startLoadgen): phase events in order with the run's
 * numbers, `stop` (and the first Ctrl-C) ending a long run early with a valid result, idle
 * connections held until stopped, and forked workers adding no events of their own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../../server/src/server.js';
import { startTestServer } from '../../server/test/helpers/server.js';
import { startLoadgen, type LoadgenEvent, type RunningLoadgen } from '../../server/bench/lib/loadgen.js';

let server: LoopchatServer;
const dir = mkdtempSync(join(tmpdir(), 'lg-ipc-'));
let serial = 0;

beforeAll(async () => {
  server = await startTestServer({ ratePerSecond: 0 });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Seen {
  event: LoadgenEvent;
  atMs: number;
}

/** Starts the CLI against the test server; `react` may stop it when an event arrives. */
function start(args: string[], react?: (e: LoadgenEvent, run: RunningLoadgen) => void) {
  const seen: Seen[] = [];
  const t0 = performance.now();
  const run: RunningLoadgen = startLoadgen(
    ['--tcp', `127.0.0.1:${server.tcpPort}`, '--http', `http://127.0.0.1:${server.httpPort}`, ...args],
    join(dir, `result-${++serial}.json`),
    60_000,
    (event) => {
      seen.push({ event, atMs: performance.now() - t0 });
      react?.(event, run);
    },
  );
  return { run, seen, t0 };
}

const names = (seen: Seen[]): string[] => seen.map((s) => s.event.loadgen);

describe('run under a parent process (IPC)', () => {
  it('sends connected, schedule, scheduled, drained in order with the run’s numbers', async () => {
    const { run, seen } = start(['-c', '20', '--rooms', '4', '--rate', '200', '--duration', '1s', '--warmup', '200ms']);
    const { result } = await run.done;
    expect(names(seen)).toEqual(['connected', 'schedule', 'scheduled', 'drained']);
    expect(seen[0]!.event).toEqual({ loadgen: 'connected', ok: 20, failed: 0, planned: 20 });
    const schedule = seen[1]!.event as Extract<LoadgenEvent, { loadgen: 'schedule' }>;
    expect(schedule.warmupMs).toBe(200);
    expect(schedule.totalMs).toBe(1200);
    expect(schedule.startInMs).toBeGreaterThan(0);
    expect(schedule.startInMs).toBeLessThanOrEqual(300);
    // The schedule ends startInMs + totalMs after the 'schedule' event (timers: a little late).
    const scheduleToEnd = seen[2]!.atMs - seen[1]!.atMs;
    expect(scheduleToEnd).toBeGreaterThan(schedule.startInMs + schedule.totalMs - 20);
    expect(scheduleToEnd).toBeLessThan(schedule.startInMs + schedule.totalMs + 1000);
    expect(seen[3]!.atMs).toBeGreaterThanOrEqual(seen[2]!.atMs);
    expect(result.stoppedEarly).toBe(false);
    expect(result.durationMs).toBe(1200);
    expect(result.messages.sent).toBe(240);
    expect(result.messages.acked).toBe(240);
    expect(result.connections.connectWallMs).toBeGreaterThan(0);
    expect(result.server?.after?.connections).toBe(20);
  });

  it('ends a long run early on stop, drains and writes a valid result', async () => {
    const { run, seen } = start(
      ['-c', '20', '--rooms', '4', '--rate', '200', '--duration', '60s', '--warmup', '0s'],
      (e, r) => {
        if (e.loadgen === 'schedule') setTimeout(() => r.stop(), e.startInMs + 1000);
      },
    );
    const { result, wallS } = await run.done;
    expect(wallS).toBeLessThan(15);
    expect(names(seen)).toEqual(['connected', 'schedule', 'scheduled', 'drained']);
    expect(result.stoppedEarly).toBe(true);
    expect(result.durationMs).toBeGreaterThan(800);
    expect(result.durationMs).toBeLessThan(3000);
    expect(result.steps[0]!.durationMs).toBe(result.durationMs);
    // About 200/s for about a second; all of it acked and delivered.
    expect(result.messages.sent).toBeGreaterThan(100);
    expect(result.messages.sent).toBeLessThan(600);
    expect(result.messages.acked).toBe(result.messages.sent);
    expect(result.messages.lost).toBe(0);
    expect(result.messages.delivered).toBe(result.messages.expected);
    expect(result.latencyMs.count).toBe(result.messages.delivered);
    expect(result.messages.sentPerSecond).toBeGreaterThan(150);
    expect(result.messages.sentPerSecond).toBeLessThan(250);
  });

  it('holds idle connections (--senders 0 --rate 0) until stopped', async () => {
    let connectionsWhileHeld: number | null = null;
    let stoppedAtMs = Infinity;
    const { run, seen, t0 } = start(
      ['-c', '200', '--senders', '0', '--rate', '0', '--warmup', '0', '--duration', '60s'],
      (e, r) => {
        if (e.loadgen !== 'schedule') return;
        setTimeout(() => {
          void fetch(`http://127.0.0.1:${server.httpPort}/stats`)
            .then((res) => res.json() as Promise<{ connections: { total: number } }>)
            .then((stats) => (connectionsWhileHeld = stats.connections.total))
            .finally(() => {
              stoppedAtMs = performance.now() - t0;
              r.stop();
            });
        }, 1500);
      },
    );
    const { result, wallS } = await run.done;
    expect(wallS).toBeLessThan(15);
    expect(names(seen)).toEqual(['connected', 'schedule', 'scheduled', 'drained']);
    expect(seen[1]!.event).toMatchObject({ warmupMs: 0, totalMs: 60_000 });
    // The idle schedule lasted until the stop, not a moment less.
    expect(seen[2]!.atMs).toBeGreaterThanOrEqual(stoppedAtMs);
    expect(result.durationMs).toBeGreaterThan(1000);
    expect(connectionsWhileHeld).toBe(200);
    expect(result.stoppedEarly).toBe(true);
    expect(result.connections).toMatchObject({ ok: 200, failed: 0, closedEarly: 0 });
    expect(result.messages.sent).toBe(0);
    expect(result.errors.total).toBe(0);
  });

  it('stops with forked workers too, and only the coordinator sends events', async () => {
    const { run, seen } = start(
      ['-c', '20', '--rooms', '4', '--rate', '200', '--duration', '60s', '--warmup', '0s', '--procs', '2'],
      (e, r) => {
        if (e.loadgen === 'schedule') setTimeout(() => r.stop(), e.startInMs + 500);
      },
    );
    const { result, wallS } = await run.done;
    expect(wallS).toBeLessThan(15);
    expect(names(seen)).toEqual(['connected', 'schedule', 'scheduled', 'drained']);
    expect(result.loadgen.procs).toHaveLength(2);
    expect(result.stoppedEarly).toBe(true);
    expect(result.messages.sent).toBeGreaterThan(0);
    expect(result.messages.acked).toBe(result.messages.sent);
    expect(result.messages.delivered).toBe(result.messages.expected);
  });

  it('treats the first SIGINT as stop: drains, reports, exits 0', async () => {
    const { run, seen } = start(
      ['-c', '10', '--rooms', '2', '--rate', '100', '--duration', '60s', '--warmup', '0s', '--procs', '2'],
      (e, r) => {
        if (e.loadgen === 'schedule') setTimeout(() => process.kill(r.pid, 'SIGINT'), e.startInMs + 500);
      },
    );
    const { result, stderr } = await run.done;
    expect(names(seen)).toEqual(['connected', 'schedule', 'scheduled', 'drained']);
    expect(result.stoppedEarly).toBe(true);
    expect(result.messages.sent).toBeGreaterThan(0);
    expect(result.messages.acked).toBe(result.messages.sent);
    expect(stderr.join('\n')).toMatch(/stopping early/);
  });

  it('stopped while connecting: no schedule, the rest reported as not opened', async () => {
    const { run, seen } = start(['-c', '400', '--connect-rate', '100', '--rate', '100', '--duration', '60s']);
    setTimeout(() => run.stop(), 800);
    const { result, wallS } = await run.done;
    expect(wallS).toBeLessThan(15);
    expect(names(seen)).toEqual(['connected', 'schedule', 'scheduled', 'drained']);
    expect(seen[1]!.event).toEqual({ loadgen: 'schedule', startInMs: 0, warmupMs: 0, totalMs: 0 });
    const connected = seen[0]!.event as Extract<LoadgenEvent, { loadgen: 'connected' }>;
    expect(connected.ok).toBeGreaterThan(0);
    expect(connected.ok).toBeLessThan(400);
    expect(connected.ok + connected.failed).toBe(400);
    expect(result.stoppedEarly).toBe(true);
    expect(result.durationMs).toBe(0);
    expect(result.messages.sent).toBe(0);
    expect(result.connections.failed).toBe(connected.failed);
  });

  it('honours a stop sent the moment it starts, before the loadgen listens', async () => {
    const { run, seen } = start(['-c', '20', '--rooms', '4', '--rate', '200', '--duration', '60s']);
    run.stop();
    const { result, wallS } = await run.done;
    expect(wallS).toBeLessThan(15);
    expect(names(seen)).toEqual(['connected', 'schedule', 'scheduled', 'drained']);
    expect(result.stoppedEarly).toBe(true);
    expect(result.durationMs).toBeLessThan(2000);
  });
});
