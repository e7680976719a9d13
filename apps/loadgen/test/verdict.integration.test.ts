/**
 * The verdict end to end: the compiled CLI against a real loopchat that refuses some
 * connections (a run without thresholds used to print PASS with connections failed), the
 * exit code, the result file landing in results/ for a bare name, and the connect progress
 * ending at its total.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../../server/src/server.js';
import { startTestServer } from '../../server/test/helpers/server.js';
import { parseRunFlags } from '../src/commands/run-options.js';
import { runLoad, type ProgressEvent } from '../src/coordinator.js';
import type { RunResult } from '../src/result.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

let server: LoopchatServer;
let cwd: string;

beforeAll(async () => {
  // 30 connections at most: a 40-connection run has 10 fail.
  server = await startTestServer({ ratePerSecond: 0, maxConnections: 30 });
  cwd = mkdtempSync(join(tmpdir(), 'loadgen-verdict-'));
});

afterAll(async () => {
  await server.close();
  rmSync(cwd, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = ['run', '--tcp', `127.0.0.1:${server.tcpPort}`, '-c', '40', '--rooms', '4', '--rate', '50'];
  const timing = ['--duration', '500ms', '--warmup', '0s', '--drain', '1s', '--connect-timeout', '2s', '--no-progress'];
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...base, ...timing, ...args], { cwd, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr }),
    );
  });
}

describe('loadgen verdict', () => {
  it('fails a run whose connections failed, with no threshold given: exit 99, FAILED with the reason', async () => {
    const r = await cli(['--out', 'verdict.json']);
    expect(r.code).toBe(99);
    expect(r.stdout).toMatch(/^# loadgen run — FAILED/);
    expect(r.stderr).toMatch(/^FAILED: .*10 of 40 connections failed/m);
    // A bare file name lands in results/, not where the command ran.
    expect(existsSync(join(cwd, 'verdict.json'))).toBe(false);
    const result = JSON.parse(readFileSync(join(cwd, 'results', 'verdict.json'), 'utf8')) as RunResult;
    expect(result.verdict).toBe('FAILED');
    expect(result.ok).toBe(false);
    expect(result.connections.failed).toBe(10);
  });

  it('lets an explicit failed threshold accept them: exit 0, PASS', async () => {
    const r = await cli(['--threshold', 'failed<50%', '-q']);
    expect(r.stderr).toMatch(/^PASS$/m);
    expect(r.code).toBe(0);
  });

  it('ends the connect progress at its total, not at the last once-a-second poll', async () => {
    const { cfg } = parseRunFlags({
      tcp: `127.0.0.1:${server.tcpPort}`,
      connections: '20',
      rooms: '4',
      connectRate: '12', // ~1.7 s of connecting: at least one poll happens mid-way
      rate: '10',
      duration: '300ms',
      warmup: '0s',
      drain: '1s',
    });
    const events: ProgressEvent[] = [];
    await runLoad(cfg, { onProgress: (e) => events.push(e) });
    const connects = events.filter((e) => e.phase === 'connect');
    expect(connects.length).toBeGreaterThanOrEqual(2);
    const last = connects.at(-1)!;
    expect(last.snapshot.connected + last.snapshot.failed).toBe(last.planned);
  });
});
