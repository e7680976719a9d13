/**
 * A tiny scripted loopchat-speaking server that drops, duplicates and reorders deliveries on
 * purpose: loadgen must report exactly those counts.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/config.js';
import { runLoad } from '../src/coordinator.js';

const TOTAL = 100;
const DROP = new Set([5, TOTAL]); // a gap, and the very last message (a tail loss)
const DUPLICATE = new Set([7, 50]);
const SWAP = new Set([20, 60]); // held back and sent after the next one

function scriptedServer(): Server {
  const rooms = new Map<string, { seq: number; members: Set<Socket> }>();
  let held: string | null = null;
  return createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const f = JSON.parse(line) as { type: string; room?: string; text?: string; id?: number };
        const ts = Date.now();
        if (f.type === 'hello')
          socket.write(`${JSON.stringify({ type: 'welcome', nick: 'x', server: 'scripted', v: 1 })}\n`);
        else if (f.type === 'join') {
          const room = rooms.get(f.room!) ?? { seq: 0, members: new Set<Socket>() };
          rooms.set(f.room!, room);
          room.members.add(socket);
          socket.write(`${JSON.stringify({ type: 'ack', id: f.id, seq: room.seq, ts })}\n`);
        } else if (f.type === 'msg') {
          const room = rooms.get(f.room!)!;
          const seq = ++room.seq;
          const out = `${JSON.stringify({ type: 'msg', room: f.room, from: 'x', text: f.text, seq, ts, id: f.id })}\n`;
          for (const m of room.members) {
            if (m === socket) continue;
            if (DROP.has(seq)) continue;
            if (SWAP.has(seq)) {
              held = out;
              continue;
            }
            m.write(DUPLICATE.has(seq) ? out + out : out);
            if (held !== null) {
              m.write(held);
              held = null;
            }
          }
          socket.write(`${JSON.stringify({ type: 'ack', id: f.id, seq, ts })}\n`);
        }
      }
    });
    socket.on('error', () => {});
  });
}

let server: Server;
let port: number;

beforeAll(async () => {
  server = scriptedServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server.close();
});

describe('loss, duplicate and reorder detection', () => {
  it('reports exactly what the scripted server did', async () => {
    const cfg = resolveRunConfig({
      tcp: { host: '127.0.0.1', port },
      connections: 2,
      rooms: 1,
      senders: 0.5, // one sender, one receiver
      rates: [200],
      stepMs: 500, // 200/s × 0.5 s = exactly 100 messages
      warmupMs: 0,
      drainMs: 2000,
    });
    const r = await runLoad(cfg);
    expect(r.connections.ok).toBe(2);
    expect(r.messages.sent).toBe(TOTAL);
    expect(r.messages.acked).toBe(TOTAL);
    expect(r.messages.expected).toBe(TOTAL);
    expect(r.messages.lost).toBe(DROP.size);
    expect(r.messages.duplicates).toBe(DUPLICATE.size);
    expect(r.messages.reordered).toBe(SWAP.size);
    expect(r.messages.delivered).toBe(TOTAL - DROP.size);
    expect(r.messages.frames).toBe(TOTAL - DROP.size + DUPLICATE.size);
    expect(r.latencyMs.count).toBe(TOTAL - DROP.size);
  });
});
