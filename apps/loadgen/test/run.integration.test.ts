/**
 * `run` end to end against a real loopchat server started in this process (the server's
 * own test helper), over TCP, WebSocket, a mix, and two forked
 * loadgen processes whose rooms are split between them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../../server/src/server.js';
import { startTestServer } from '../../server/test/helpers/server.js';
import { runScenario } from '../src/commands/run.js';
import { parseRunFlags } from '../src/commands/run-options.js';

let server: LoopchatServer;

beforeAll(async () => {
  server = await startTestServer({ ratePerSecond: 0 });
});

afterAll(async () => {
  await server.close();
});

function flags(extra: Record<string, unknown>) {
  return parseRunFlags({
    tcp: `127.0.0.1:${server.tcpPort}`,
    ws: `ws://127.0.0.1:${server.httpPort}`,
    http: `http://127.0.0.1:${server.httpPort}`,
    connections: '40',
    rooms: '8',
    rate: '400',
    duration: '1s',
    warmup: '300ms',
    drain: '3s',
    threshold: ['loss==0', 'dup==0', 'reorder==0', 'errors==0', 'delivered_rate==1'],
    ...extra,
  });
}

describe('loadgen run against loopchat', () => {
  it.each([
    ['tcp', { transport: 'tcp' }],
    ['ws', { transport: 'ws' }],
    ['a tcp/ws mix', { mix: 'tcp=0.5,ws=0.5' }],
  ])('delivers everything over %s', async (_label, extra) => {
    const { cfg, thresholds } = flags(extra);
    const r = await runScenario(cfg, thresholds);
    expect(r.connections.ok).toBe(40);
    expect(r.messages.sent).toBe(520); // 400/s × 1.3 s
    expect(r.messages.acked).toBe(r.messages.sent);
    // loopchat delivers to every member but the sender: 40 conns in 8 rooms of 5.
    expect(r.messages.expected).toBe(r.messages.sent * 4);
    expect(r.messages.delivered).toBe(r.messages.expected);
    expect(r.messages.lost).toBe(0);
    expect(r.latencyMs.count).toBeGreaterThan(0);
    expect(r.latencyMs.p50).not.toBeNull();
    expect(r.server?.after?.connections).toBe(40);
    expect(r.thresholds.every((t) => t.pass)).toBe(true);
    // Every delivery of a message sent after the warm-up is timed, once.
    expect(r.steps[0]!.sent).toBe(400);
    expect(r.latencyMs.count).toBe(400 * 4);
    expect(r.ok).toBe(true);
    if ('mix' in extra) expect(r.connections.byTransport).toEqual({ tcp: 20, ws: 20 });
  });

  it('merges two loadgen processes whose rooms span both', async () => {
    const { cfg, thresholds } = flags({ procs: '2', mix: 'tcp=0.5,ws=0.5', roomSize: 'zipf' });
    const r = await runScenario(cfg, thresholds);
    expect(r.loadgen.procs).toHaveLength(2);
    expect(new Set(r.loadgen.procs.map((p) => p.pid)).size).toBe(2);
    expect(r.connections.ok).toBe(40);
    expect(r.messages.sent).toBe(520);
    expect(r.messages.acked).toBe(520);
    expect(r.messages.delivered).toBe(r.messages.expected);
    expect(r.messages.lost + r.messages.duplicates + r.messages.reordered).toBe(0);
    expect(r.steps[0]!.sent).toBe(400);
    expect(r.ok).toBe(true);
  });

  it('fails a threshold it cannot meet, naming it', async () => {
    const { cfg, thresholds } = flags({ threshold: ['p50<1us', 'loss==0'], duration: '500ms', warmup: '0s' });
    const r = await runScenario(cfg, thresholds);
    expect(r.ok).toBe(false);
    expect(r.thresholds).toEqual([
      expect.objectContaining({ threshold: 'p50<1us', pass: false }),
      expect.objectContaining({ threshold: 'loss==0', pass: true }),
    ]);
  });

  it('writes every acked message of both processes to --acked-log, each room’s seqs once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadgen-acked-'));
    try {
      const file = join(dir, 'acked.jsonl');
      const { cfg, thresholds } = flags({ procs: '2', ackedLog: file, duration: '500ms' });
      const r = await runScenario(cfg, thresholds);
      const acked = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { room: string; seq: number; id: number; from: string; text: string });
      expect(acked).toHaveLength(r.messages.acked);
      expect(r.messages.acked).toBe(r.messages.sent);
      // Everything sent was acked: each room's seqs are 1..n, each once.
      const byRoom = new Map<string, number[]>();
      for (const a of acked) byRoom.set(a.room, [...(byRoom.get(a.room) ?? []), a.seq]);
      expect(byRoom.size).toBe(8);
      for (const seqs of byRoom.values()) expect(seqs.sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i + 1));
      expect(acked.every((a) => a.id > 0 && a.from.startsWith(cfg.nickPrefix) && a.text.length === 64)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
