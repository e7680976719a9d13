/**
 * `--receiver-tcp` / `--receiver-ws`: members that do not send connect to a target of their
 * own. Two listeners sharing one set of rooms stand in for two server instances on a shared
 * bus: senders on A, receivers on B, and every delivery crosses over.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { runScenario } from '../src/commands/run.js';
import { parseRunFlags } from '../src/commands/run-options.js';
import type { LoadgenError } from '../src/errors.js';
import { newChatRooms, startChatLineServer, type ChatLineServer } from './helpers/chat-line-server.js';

const servers: ChatLineServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('receiver targets', () => {
  it('sends from --tcp and receives on --receiver-tcp, counting every delivery across', async () => {
    const rooms = newChatRooms();
    const a = await startChatLineServer(rooms);
    const b = await startChatLineServer(rooms);
    servers.push(a, b);
    // 24 connections in 6 rooms of 4; a quarter send: 6 senders on A, 18 receivers on B.
    const { cfg, thresholds } = parseRunFlags({
      tcp: `127.0.0.1:${a.port}`,
      receiverTcp: `127.0.0.1:${b.port}`,
      connections: '24',
      rooms: '6',
      senders: '0.25',
      rate: '300',
      duration: '500ms',
      warmup: '0s',
      drain: '2s',
      threshold: ['loss==0', 'delivered_rate==1'],
    });
    const r = await runScenario(cfg, thresholds);
    expect(a.accepted()).toBe(6);
    expect(b.accepted()).toBe(18);
    expect(r.connections.ok).toBe(24);
    expect(r.messages.sent).toBe(150);
    expect(r.messages.acked).toBe(150);
    expect(r.messages.expected).toBe(150 * 3);
    expect(r.messages.delivered).toBe(150 * 3);
    expect(r.latencyMs.count).toBe(150 * 3);
    expect(r.ok).toBe(true);
    expect(r.config.targets).toEqual({
      tcp: `127.0.0.1:${a.port}`,
      ws: null,
      receiverTcp: `127.0.0.1:${b.port}`,
      receiverWs: null,
    });
  });

  it('defaults the receiver target to --tcp', async () => {
    const a = await startChatLineServer();
    servers.push(a);
    const { cfg } = parseRunFlags({
      tcp: `127.0.0.1:${a.port}`,
      connections: '8',
      rooms: '2',
      senders: '0.5',
      rate: '0',
      duration: '200ms',
      warmup: '0s',
    });
    const r = await runScenario(cfg, []);
    expect(a.accepted()).toBe(8);
    expect(r.config.targets.receiverTcp).toBe(r.config.targets.tcp);
  });

  it('opens WebSocket receivers on --receiver-ws', async () => {
    const wssA = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const wssB = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await Promise.all([once(wssA, 'listening'), once(wssB, 'listening')]);
    const paths = { a: [] as string[], b: [] as string[] };
    wssA.on('connection', (_ws, req) => paths.a.push(req.url ?? ''));
    wssB.on('connection', (_ws, req) => paths.b.push(req.url ?? ''));
    try {
      const port = (w: WebSocketServer): number => (w.address() as AddressInfo).port;
      // The none driver holds connections: enough to see where each one went.
      const { cfg } = parseRunFlags({
        driver: 'none',
        transport: 'ws',
        ws: `ws://127.0.0.1:${port(wssA)}`,
        receiverWs: `ws://127.0.0.1:${port(wssB)}/rx`,
        connections: '10',
        rooms: '5',
        senders: '0.5',
        rate: '0',
        duration: '200ms',
        warmup: '0s',
      });
      const r = await runScenario(cfg, []);
      expect(r.connections.ok).toBe(10);
      expect(paths.a).toEqual(Array(5).fill('/'));
      expect(paths.b).toEqual(Array(5).fill('/rx'));
      expect(r.config.targets.receiverWs).toBe(`ws://127.0.0.1:${port(wssB)}/rx`);
    } finally {
      for (const c of [...wssA.clients, ...wssB.clients]) c.terminate();
      wssA.close();
      wssB.close();
    }
  });

  it('applies the loopback check to receiver targets', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (err) {
        return (err as LoadgenError).code;
      }
      return undefined;
    };
    expect(code(() => parseRunFlags({ receiverTcp: '10.1.2.3:4000' }))).toBe('LG_REMOTE_TARGET');
    expect(code(() => parseRunFlags({ transport: 'ws', receiverWs: 'ws://10.1.2.3:8080' }))).toBe('LG_REMOTE_TARGET');
    expect(code(() => parseRunFlags({ receiverTcp: '10.1.2.3:4000', allowRemote: true }))).toBeUndefined();
    expect(code(() => parseRunFlags({ receiverTcp: 'nope' }))).toBe('LG_INVALID_OPTION');
  });
});
