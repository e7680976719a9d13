/**
 * Per-connection rate limit (DESIGN.md, "Limits"): a token bucket of rateBurst frames,
 * refilled at ratePerSecond. Frames over it get `error {code: rate_limited, id}` and are
 * dropped; the connection stays open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '@loopchat/protocol';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, WsClient, sleep, waitUntil } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

let server: LoopchatServer;
const clients: { close(): void }[] = [];
let alice: TcpJsonClient;
let bob: TcpJsonClient;
let wsAlice: WsClient;
let carol: TcpJsonClient;
let dave: TcpJsonClient;
let erin: TcpJsonClient;

/** hello + join spend 2 tokens; the caller waits for the bucket to refill to rateBurst (5). */
async function ready<C extends TcpJsonClient | WsClient>(client: C, nick: string, room: string): Promise<C> {
  clients.push(client);
  await client.hello(nick);
  await client.join(room);
  return client;
}

beforeAll(async () => {
  server = await startTestServer({ ratePerSecond: 5, rateBurst: 5 });
  // Every test's clients are set up at once and share one refill wait, to keep the file fast.
  [alice, bob, wsAlice, carol, dave, erin] = await Promise.all([
    TcpJsonClient.connect(server.tcpPort).then((c) => ready(c, 'alice', 'rl')),
    TcpJsonClient.connect(server.tcpPort).then((c) => ready(c, 'bob', 'rl')),
    WsClient.connect(server.httpPort).then((c) => ready(c, 'wsalice', 'rlws')),
    TcpJsonClient.connect(server.tcpPort).then((c) => ready(c, 'carol', 'rlsep')),
    TcpJsonClient.connect(server.tcpPort).then((c) => ready(c, 'dave', 'rlsep')),
    TcpJsonClient.connect(server.tcpPort).then((c) => ready(c, 'erin', 'rlpong')),
  ]);
  await sleep(1100);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await server.close();
});

function answersTo(client: TcpJsonClient | WsClient, ids: string[]): ServerFrame[] {
  return ids.map((id) => client.inbox.items.find((f) => (f as { id?: unknown }).id === id)!);
}

describe('a connection that sends faster than ratePerSecond', () => {
  it('gets an ack for the burst and rate_limited (with each id) for the rest, and stays open', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
    alice.writeRaw(ids.map((id) => `${JSON.stringify({ type: 'msg', room: 'rl', text: id, id })}\n`).join(''));
    await waitUntil(() => answersTo(alice, ids).every((f) => f !== undefined), 3000, 'an answer to each of the 20 frames');

    const answers = answersTo(alice, ids);
    const acked = answers.filter((f) => f.type === 'ack');
    const limited = answers.filter((f) => f.type === 'error');
    expect(acked.length + limited.length).toBe(20);
    // The bucket holds 5; at most one more token can trickle in while the burst is read.
    expect(acked.length).toBeGreaterThanOrEqual(5);
    expect(acked.length).toBeLessThanOrEqual(6);
    for (const error of limited) expect(error).toMatchObject({ type: 'error', code: 'rate_limited' });
    // The first ones pass; acks carry consecutive seqs.
    expect(answers.slice(0, 5).every((f) => f.type === 'ack')).toBe(true);
    expect(acked.map((a) => (a as { seq: number }).seq)).toEqual(acked.map((_, i) => i + 1));

    // Only the accepted messages were delivered.
    await waitUntil(() => bob.all({ type: 'msg' }).length === acked.length, 2000, 'bob to get the accepted messages');
    await sleep(50);
    expect(bob.all({ type: 'msg' }).map((m) => (m as { text: string }).text)).toEqual(acked.map((a) => (a as { id: string }).id));
    expect(alice.socket.destroyed).toBe(false);
    expect(server.ctx.stats.drops['rate_limited']).toBeGreaterThanOrEqual(14);

    // The bucket refills: after a second, messages are accepted again.
    await sleep(1000);
    alice.send({ type: 'msg', room: 'rl', text: 'later', id: 'later' });
    expect(await alice.waitFor({ type: 'ack', id: 'later' })).toMatchObject({ seq: acked.length + 1 });
    expect(await bob.waitFor({ type: 'msg', text: 'later' })).toMatchObject({ from: 'alice' });
  });

  it('limits WebSocket clients the same way', async () => {
    const alice = wsAlice;
    const ids = Array.from({ length: 10 }, (_, i) => `w${i}`);
    for (const id of ids) alice.send({ type: 'msg', room: 'rlws', text: id, id });
    await waitUntil(() => answersTo(alice, ids).every((f) => f !== undefined), 3000, 'an answer to each of the 10 frames');
    const answers = answersTo(alice, ids);
    expect(answers.filter((f) => f.type === 'ack').length).toBeGreaterThanOrEqual(5);
    expect(answers.filter((f) => f.type === 'ack').length).toBeLessThanOrEqual(6);
    expect(answers.filter((f) => f.type === 'error').every((f) => (f as { code: string }).code === 'rate_limited')).toBe(true);
    expect(alice.ws.readyState).toBe(alice.ws.OPEN);
  });

  it('limits each connection separately', async () => {
    carol.writeRaw(Array.from({ length: 10 }, (_, i) => `${JSON.stringify({ type: 'msg', room: 'rlsep', text: 'c', id: i })}\n`).join(''));
    await carol.waitFor({ type: 'error', code: 'rate_limited' });
    // Carol's flood did not spend Dave's tokens.
    for (let i = 0; i < 5; i++) dave.send({ type: 'msg', room: 'rlsep', text: 'd', id: `d${i}` });
    for (let i = 0; i < 5; i++) await dave.waitFor({ type: 'ack', id: `d${i}` });
    expect(dave.all({ type: 'error' })).toEqual([]);
  });

  it('does not spend tokens on heartbeat pongs', async () => {
    erin.writeRaw(`${JSON.stringify({ type: 'pong' })}\n`.repeat(50));
    for (let i = 0; i < 5; i++) erin.send({ type: 'msg', room: 'rlpong', text: 'x', id: i });
    for (let i = 0; i < 5; i++) await erin.waitFor({ type: 'ack', id: i });
    expect(erin.all({ type: 'error' })).toEqual([]);
  });
});
