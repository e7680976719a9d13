/**
 * Backpressure (DESIGN.md, "Backpressure"): a member that stops reading is disconnected
 * once its outbound bytes exceed outboundBudgetBytes, so server memory stays bounded, and
 * the members that do read keep receiving every message in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MsgFrame, ServerFrame } from '@loopchat/protocol';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, WsClient, httpGet, waitUntil } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

const BUDGET = 64 * 1024;
const BATCH = 20;
const TEXT = 'f'.repeat(1000);

let server: LoopchatServer | undefined;
const open: { close(): void }[] = [];

afterEach(async () => {
  for (const client of open.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

async function json(nick: string, room: string): Promise<TcpJsonClient> {
  const client = await TcpJsonClient.connect(server!.tcpPort);
  open.push(client);
  await client.hello(nick);
  await client.join(room);
  return client;
}

const slowConsumerDisconnects = (): number => server!.ctx.stats.disconnects['slow_consumer'] ?? 0;

/**
 * Floods `room` in batches of BATCH messages, each batch waiting until `reader` has it, so the
 * reader is never behind by more than one batch (≈ 21 KB, well under the budget) while a
 * member that does not read falls further behind with every batch. Stops `extraBatches`
 * after the first slow-consumer disconnect; returns the seq of the last message.
 */
async function flood(flooder: TcpJsonClient, reader: TcpJsonClient, room: string, extraBatches: number): Promise<number> {
  let lastSeq = 0;
  let remaining = Number.POSITIVE_INFINITY;
  // One write per batch and no Nagle: otherwise each batch waits out a 40 ms delayed ACK.
  flooder.socket.setNoDelay(true);
  for (let batch = 0; batch < 5000 && remaining > 0; batch++) {
    flooder.writeRaw(batchOf(room, `b${batch}`));
    lastSeq = ((await flooder.waitFor({ type: 'ack', id: `b${batch}` })) as { seq: number }).seq;
    await reader.inbox.until((f) => f.type === 'msg' && f.seq === lastSeq, 5000, `seq ${lastSeq} at the reader`);
    if (remaining === Number.POSITIVE_INFINITY && slowConsumerDisconnects() > 0) remaining = extraBatches;
    remaining--;
  }
  if (slowConsumerDisconnects() === 0) throw new Error('no slow-consumer disconnect after 5000 batches');
  return lastSeq;
}

/** BATCH msg lines; only the last carries an id (so only it is acked). */
function batchOf(room: string, lastId: string): string {
  let lines = '';
  for (let i = 0; i < BATCH; i++) {
    const frame = i === BATCH - 1 ? { type: 'msg', room, text: TEXT, id: lastId } : { type: 'msg', room, text: TEXT };
    lines += `${JSON.stringify(frame)}\n`;
  }
  return lines;
}

function msgSeqs(frames: ServerFrame[]): number[] {
  return frames.filter((f): f is MsgFrame => f.type === 'msg').map((m) => m.seq);
}

function consecutiveFrom1(seqs: number[]): boolean {
  return seqs.every((seq, i) => seq === i + 1);
}

describe('a member that stops reading', () => {
  it('is disconnected as a slow consumer (TCP) while a reading member receives every message in order', async () => {
    server = await startTestServer({ outboundBudgetBytes: BUDGET, ratePerSecond: 0 });
    const flooder = await json('flooder', 'flood');
    const reader = await json('reader', 'flood');
    const sleeper = await json('sleeper', 'flood');
    sleeper.socket.pause();

    const lastSeq = await flood(flooder, reader, 'flood', 5);

    expect(slowConsumerDisconnects()).toBe(1);
    const readerSeqs = msgSeqs(reader.inbox.items);
    expect(readerSeqs).toHaveLength(lastSeq);
    expect(consecutiveFrom1(readerSeqs)).toBe(true);
    expect(reader.socket.destroyed).toBe(false);

    // The sleeper wakes up: what it gets is a gap-free prefix, then why it was dropped, then the close.
    sleeper.socket.resume();
    await sleeper.closed();
    const sleeperSeqs = msgSeqs(sleeper.inbox.items);
    expect(consecutiveFrom1(sleeperSeqs)).toBe(true);
    expect(sleeperSeqs.length).toBeLessThan(lastSeq);
    expect(sleeper.inbox.items.at(-1)).toMatchObject({ type: 'error', code: 'slow_consumer' });

    // Its nick and membership are released, and the reading members hear that it left.
    await reader.waitFor({ type: 'presence', nick: 'sleeper', event: 'leave' });
    expect(server.ctx.hub.findNick('sleeper')).toBeUndefined();
    expect(server.ctx.hub.rooms.get('flood')!.members.size).toBe(2);
    const stats = JSON.parse((await httpGet(server.httpPort, '/stats')).body) as {
      traffic: { disconnects: Record<string, number> };
    };
    expect(stats.traffic.disconnects['slow_consumer']).toBe(1);
  });

  it('is disconnected as a slow consumer over WebSocket when its socket stops reading', async () => {
    server = await startTestServer({ outboundBudgetBytes: BUDGET, ratePerSecond: 0 });
    const flooder = await json('flooder', 'wsflood');
    const reader = await json('reader', 'wsflood');
    const sleeper = await WsClient.connect(server.httpPort);
    open.push(sleeper);
    await sleeper.hello('sleeper');
    await sleeper.join('wsflood');
    (sleeper.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();

    const lastSeq = await flood(flooder, reader, 'wsflood', 2);

    expect(slowConsumerDisconnects()).toBe(1);
    expect(consecutiveFrom1(msgSeqs(reader.inbox.items))).toBe(true);
    expect(msgSeqs(reader.inbox.items)).toHaveLength(lastSeq);

    (sleeper.ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
    await sleeper.closed();
    expect(consecutiveFrom1(msgSeqs(sleeper.inbox.items))).toBe(true);
    expect(sleeper.inbox.items.at(-1)).toMatchObject({ type: 'error', code: 'slow_consumer' });
    expect(sleeper.closeCode).toBe(1008);
    await waitUntil(() => server!.ctx.hub.findNick('sleeper') === undefined, 1000, 'the sleeper nick to be released');
  });

  it('keeps server-side queued bytes for the sleeper within the budget until it is dropped', async () => {
    server = await startTestServer({ outboundBudgetBytes: BUDGET, ratePerSecond: 0 });
    const flooder = await json('flooder', 'bounded');
    const reader = await json('reader', 'bounded');
    const sleeper = await json('sleeper', 'bounded');
    sleeper.socket.pause();
    const session = [...server.ctx.sessions].find((s) => s.nick === 'sleeper')!;
    let maxBacklog = 0;
    const sample = setInterval(() => (maxBacklog = Math.max(maxBacklog, session.outboundBytes)), 1);
    try {
      await flood(flooder, reader, 'bounded', 0);
    } finally {
      clearInterval(sample);
    }
    // The budget is checked after each write, so the backlog can pass it by at most one
    // flush (64 KiB, the early-flush threshold) plus the final error frame.
    expect(maxBacklog).toBeLessThanOrEqual(BUDGET + 64 * 1024 + 1024);
    sleeper.socket.resume();
    await sleeper.closed();
  });
});

describe('a member that reads', () => {
  it('is not disconnected when the room is busy but it keeps up', async () => {
    server = await startTestServer({ outboundBudgetBytes: BUDGET, ratePerSecond: 0 });
    const flooder = await json('flooder', 'busy');
    const readers = await Promise.all(['r1', 'r2', 'r3'].map((nick) => json(nick, 'busy')));
    flooder.socket.setNoDelay(true);
    for (let batch = 0; batch < 50; batch++) {
      flooder.writeRaw(batchOf('busy', `b${batch}`));
      await flooder.waitFor({ type: 'ack', id: `b${batch}` });
    }
    await waitUntil(
      () => readers.every((r) => msgSeqs(r.inbox.items).length === 50 * BATCH),
      5000,
      'every reader to have 1000 messages',
    );
    for (const reader of readers) expect(consecutiveFrom1(msgSeqs(reader.inbox.items))).toBe(true);
    expect(slowConsumerDisconnects()).toBe(0);
  });
});
