/**
 * The `naive-net` driver against the bench's real naive node:net peer
 * (apps/server/bench/peers/naive-net.ts, built to dist-bench), started as the bench starts
 * it: a child process that prints its port in a `listening` line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../src/commands/run.js';
import { parseRunFlags } from '../src/commands/run-options.js';
import { FRAME_ACK, FRAME_MSG, FRAME_OTHER, newParsedFrame } from '../src/drivers/driver.js';
import { DRIVERS } from '../src/drivers/index.js';

const PEER = fileURLToPath(new URL('../../server/dist-bench/peers/naive-net.js', import.meta.url));

let peer: ChildProcess;
let port: number;

beforeAll(async () => {
  if (!existsSync(PEER)) throw new Error(`${PEER} is missing: build first (npx tsc -b)`);
  peer = spawn(process.execPath, [PEER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: peer.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  port = (JSON.parse(line) as { tcp: { port: number } }).tcp.port;
});

afterAll(async () => {
  const exited = once(peer, 'exit');
  peer.kill('SIGKILL');
  await exited;
});

function parse(frame: object) {
  const buf = Buffer.from(JSON.stringify(frame));
  const out = newParsedFrame();
  DRIVERS['naive-net'].parse(buf, 0, buf.length, out);
  return { kind: out.kind, seq: out.seq, id: out.id };
}

describe('naive-net driver', () => {
  it('reads the peer’s frames in its field order', () => {
    // The shapes naive-net.ts writes (JSON.stringify of these literals, in this order).
    expect(parse({ type: 'welcome', nick: 'u1', server: 'naive-net', v: 1 })).toMatchObject({ kind: FRAME_OTHER });
    expect(parse({ type: 'ack', id: 0, seq: 7, ts: 1795572776763 })).toEqual({ kind: FRAME_ACK, seq: 7, id: 0 });
    expect(parse({ type: 'ack', id: 1795, seq: 8, ts: 1795572776763 })).toEqual({ kind: FRAME_ACK, seq: 8, id: 1795 });
    expect(
      parse({ type: 'msg', room: 'r', from: 'u1', text: '"seq":99,"id":5}', seq: 9, ts: 1795572776763, id: 42 }),
    ).toEqual({ kind: FRAME_MSG, seq: 9, id: 42 });
  });

  it('runs a short load against the real naive-net peer with nothing lost', async () => {
    const { cfg, thresholds } = parseRunFlags({
      driver: 'naive-net',
      tcp: `127.0.0.1:${port}`,
      connections: '40',
      rooms: '8',
      rate: '400',
      duration: '1s',
      warmup: '300ms',
      drain: '3s',
      threshold: ['loss==0', 'dup==0', 'reorder==0', 'errors==0', 'delivered_rate==1', 'unacked==0'],
    });
    const r = await runScenario(cfg, thresholds);
    expect(r.config.driver).toBe('naive-net');
    expect(r.connections.ok).toBe(40);
    expect(r.messages.sent).toBe(520);
    expect(r.messages.acked).toBe(520);
    // No echo to the sender, like loopchat: rooms of 5 → 4 deliveries per message.
    expect(r.messages.expected).toBe(520 * 4);
    expect(r.messages.delivered).toBe(520 * 4);
    expect(r.latencyMs.count).toBe(400 * 4);
    expect(r.thresholds.every((t) => t.pass)).toBe(true);
    expect(r.ok).toBe(true);
  });

  it('speaks TCP only', () => {
    expect(() => parseRunFlags({ driver: 'naive-net', transport: 'ws' })).toThrow(
      expect.objectContaining({ code: 'LG_INVALID_OPTION' }),
    );
  });
});
