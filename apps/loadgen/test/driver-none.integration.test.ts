/**
 * `--driver none` speaks no protocol: a connection is ready once TCP connects (or the
 * WebSocket opens), so it can hold connections against a server that only accepts.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { runScenario } from '../src/commands/run.js';
import { parseRunFlags } from '../src/commands/run-options.js';
import type { LoadgenError } from '../src/errors.js';
import type { PhaseEvent } from '../src/parent-ipc.js';

/** A node:net server that accepts and does nothing else, like bench/peers/bare-net.ts. */
let bare: Server;
const open = new Set<Socket>();
let accepted = 0;

beforeAll(async () => {
  bare = createServer((socket) => {
    accepted++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
  });
  bare.listen(0, '127.0.0.1');
  await once(bare, 'listening');
});

afterAll(() => {
  bare.close();
});

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return (err as LoadgenError).code;
  }
  return undefined;
}

describe('--driver none', () => {
  it('holds N connections against a plain node:net server until the run ends', async () => {
    const { cfg } = parseRunFlags({
      driver: 'none',
      tcp: `127.0.0.1:${(bare.address() as AddressInfo).port}`,
      connections: '300',
      senders: '0',
      rate: '0',
      duration: '600ms',
      warmup: '0s',
    });
    const events: PhaseEvent[] = [];
    let heldAtScheduleEnd = 0;
    const r = await runScenario(cfg, [], false, {
      onPhase: (e) => {
        events.push(e);
        // Not at 'connected': ready means the TCP handshake is done, and the server's
        // accept() of the last few may still be pending in its backlog.
        if (e.loadgen === 'scheduled') heldAtScheduleEnd = open.size;
      },
    });
    expect(events[0]).toEqual({ loadgen: 'connected', ok: 300, failed: 0, planned: 300 });
    expect(accepted).toBe(300);
    expect(heldAtScheduleEnd).toBe(300);
    expect(r.connections).toMatchObject({ planned: 300, ok: 300, failed: 0, closedEarly: 0 });
    // Connect latency is connect → open, one per connection.
    expect(r.connectMs.count).toBe(300);
    expect(r.connectMs.p50).toBeGreaterThan(0);
    expect(r.connections.connectWallMs).toBeGreaterThan(0);
    expect(r.messages.sent).toBe(0);
    expect(r.messages.acked).toBeNull();
    expect(r.errors.total).toBe(0);
  });

  it('holds WebSocket connections, ready on open', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    try {
      const { cfg } = parseRunFlags({
        driver: 'none',
        transport: 'ws',
        ws: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
        connections: '50',
        senders: '0',
        duration: '300ms',
        warmup: '0s',
      });
      let held = 0;
      const r = await runScenario(cfg, [], false, {
        onPhase: (e) => {
          if (e.loadgen === 'scheduled') held = wss.clients.size;
        },
      });
      expect(held).toBe(50);
      expect(r.connections.ok).toBe(50);
      expect(r.connections.byTransport).toEqual({ tcp: 0, ws: 50 });
      expect(r.connectMs.count).toBe(50);
    } finally {
      for (const c of wss.clients) c.terminate();
      wss.close();
    }
  });

  it('refuses to send: --senders 0 or --rate 0 is required', () => {
    expect(codeOf(() => parseRunFlags({ driver: 'none' }))).toBe('LG_INVALID_OPTION');
    expect(codeOf(() => parseRunFlags({ driver: 'none', senders: '0.5', rate: '100' }))).toBe('LG_INVALID_OPTION');
    expect(codeOf(() => parseRunFlags({ driver: 'none', senders: '0' }))).toBeUndefined();
    expect(codeOf(() => parseRunFlags({ driver: 'none', rate: '0' }))).toBeUndefined();
    expect(codeOf(() => parseRunFlags({ driver: 'none', senders: '0', transport: 'ws' }))).toBeUndefined();
  });
});
