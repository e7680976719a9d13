/**
 * `--write-delay-ms`: frames queued for a connection within the delay leave in one write.
 * The receiver is a raw socket so the test sees the server's writes as they arrive: messages
 * sent 10 ms apart reach it as separate chunks without a delay, and as one chunk (one
 * write) with a 150 ms delay, no earlier than the delay after the first was sent.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, waitUntil } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

const open: { close(): void }[] = [];
let server: LoopchatServer | null = null;

afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await server?.close();
  server = null;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A member whose every received chunk is kept with its arrival time. */
async function rawMember(port: number, room: string): Promise<{ chunks: { at: number; text: string }[] }> {
  const socket: Socket = connect(port, '127.0.0.1');
  open.push({ close: () => socket.destroy() });
  const chunks: { at: number; text: string }[] = [];
  socket.on('data', (d) => chunks.push({ at: performance.now(), text: d.toString() }));
  socket.write(`{"type":"hello","nick":"raw-${room}"}\n{"type":"join","room":"${room}","id":"j"}\n`);
  await waitUntil(() => chunks.some((c) => c.text.includes('"id":"j"')), 2000, 'the join ack');
  chunks.length = 0;
  return { chunks };
}

async function sendSpaced(room: string, count: number): Promise<number> {
  const sender = await TcpJsonClient.connect(server!.tcpPort);
  open.push(sender);
  await sender.hello(`sender-${room}`);
  sender.send({ type: 'join', room, id: 'j' });
  await sender.waitFor({ type: 'ack', id: 'j' });
  const firstAt = performance.now();
  for (let i = 0; i < count; i++) {
    sender.send({ type: 'msg', room, text: `m${i}`, id: `m${i}` });
    await sleep(10);
  }
  return firstAt;
}

const msgCount = (chunk: string) => chunk.split('\n').filter((l) => l.startsWith('{"type":"msg"')).length;

describe('--write-delay-ms', () => {
  it('0 (default): each message leaves in its own write', async () => {
    server = await startTestServer({ ratePerSecond: 0, filter: 'off' });
    const member = await rawMember(server.tcpPort, 'wd0');
    await sendSpaced('wd0', 4);
    await waitUntil(() => member.chunks.reduce((n, c) => n + msgCount(c.text), 0) === 4, 2000, '4 messages');
    expect(member.chunks.filter((c) => msgCount(c.text) > 0).length).toBe(4);
  });

  it('150: messages queued within the delay share one write, sent the delay after the first', async () => {
    server = await startTestServer({ ratePerSecond: 0, filter: 'off', writeDelayMs: 150 });
    const member = await rawMember(server.tcpPort, 'wd150');
    const firstAt = await sendSpaced('wd150', 4);
    await waitUntil(() => member.chunks.reduce((n, c) => n + msgCount(c.text), 0) === 4, 2000, '4 messages');
    const withMsgs = member.chunks.filter((c) => msgCount(c.text) > 0);
    expect(withMsgs).toHaveLength(1);
    expect(withMsgs[0]!.at - firstAt).toBeGreaterThanOrEqual(140);
  });
});
