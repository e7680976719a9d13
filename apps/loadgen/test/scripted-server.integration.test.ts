/**
 * A tiny scripted loopchat-speaking server that drops, duplicates, reorders or delays
 * deliveries on purpose: loadgen must report exactly those counts, and must not call a late
 * delivery lost without saying that its drain ended first.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/config.js';
import { runLoad } from '../src/coordinator.js';

const TOTAL = 100;
const DROP = new Set([5, TOTAL]); // a gap, and the very last message (a tail loss)
const DUPLICATE = new Set([7, 50]);
const SWAP = new Set([20, 60]); // held back and sent after the next one

interface Script {
  drop: ReadonlySet<number>;
  duplicate: ReadonlySet<number>;
  swap: ReadonlySet<number>;
  /** This seq's delivery and ack are sent lateMs after the others'. */
  lateSeq?: number;
  lateMs?: number;
}

const NONE: ReadonlySet<number> = new Set();

function scriptedServer(script: Script): Server {
  const { drop: DROP, duplicate: DUPLICATE, swap: SWAP } = script;
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
          const ack = `${JSON.stringify({ type: 'ack', id: f.id, seq, ts })}\n`;
          if (seq === script.lateSeq) {
            setTimeout(() => {
              for (const m of room.members) m.write(m === socket ? ack : out);
            }, script.lateMs);
            continue;
          }
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
          socket.write(ack);
        }
      }
    });
    socket.on('error', () => {});
  });
}

const servers: Server[] = [];

async function listen(script: Script): Promise<number> {
  const server = scriptedServer(script);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

afterAll(() => {
  for (const s of servers) s.close();
});

/** One sender and one receiver, exactly TOTAL messages. */
function config(port: number, drainMs: number) {
  return resolveRunConfig({
    tcp: { host: '127.0.0.1', port },
    connections: 2,
    rooms: 1,
    senders: 0.5, // one sender, one receiver
    rates: [200],
    stepMs: 500, // 200/s × 0.5 s = exactly 100 messages
    warmupMs: 0,
    drainMs,
  });
}

describe('loss, duplicate and reorder detection', () => {
  it('reports exactly what the scripted server did', async () => {
    const port = await listen({ drop: DROP, duplicate: DUPLICATE, swap: SWAP });
    const r = await runLoad(config(port, 2000));
    expect(r.connections.ok).toBe(2);
    expect(r.messages.sent).toBe(TOTAL);
    expect(r.messages.acked).toBe(TOTAL);
    expect(r.messages.expected).toBe(TOTAL);
    expect(r.messages.lost).toBe(DROP.size);
    // Everything acked and quiet before the drain's end: what is missing is lost.
    expect(r.messages.drained).toBe(true);
    expect(r.messages.duplicates).toBe(DUPLICATE.size);
    expect(r.messages.reordered).toBe(SWAP.size);
    expect(r.messages.delivered).toBe(TOTAL - DROP.size);
    expect(r.messages.frames).toBe(TOTAL - DROP.size + DUPLICATE.size);
    expect(r.latencyMs.count).toBe(TOTAL - DROP.size);
  });

  it('says so when its drain ended before a late delivery arrived, and counts it once it waits long enough', async () => {
    // Seq 50 reaches the receiver (and its ack the sender) 1.5 s after the rest: a gap until then.
    const late: Script = { drop: NONE, duplicate: NONE, swap: NONE, lateSeq: 50, lateMs: 1500 };
    const cut = await runLoad(config(await listen(late), 300));
    expect(cut.messages.acked).toBe(TOTAL - 1);
    // The receiver misses it, and so does the sender, which without the ack cannot know it was its own.
    expect(cut.messages.lost).toBe(2);
    expect(cut.messages.drained).toBe(false);
    expect(cut.loadgen.warnings.join('\n')).toMatch(/drain ended after 0.3 s .* the 2 counted lost had not arrived by then/);

    const waited = await runLoad(config(await listen(late), 4000));
    expect(waited.messages.acked).toBe(TOTAL);
    expect(waited.messages.lost).toBe(0);
    expect(waited.messages.reordered).toBe(1);
    expect(waited.messages.delivered).toBe(TOTAL);
    expect(waited.messages.drained).toBe(true);
    expect(waited.loadgen.warnings.join('\n')).not.toMatch(/drain ended/);
  });
});
