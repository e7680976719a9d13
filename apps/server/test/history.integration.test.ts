/**
 * History (DESIGN.md, "History" and "Protocol contract"): a client that saw seq N and
 * reconnects asks `history {since: N}` and gets exactly what it missed, oldest first.
 */
import type { LocalBus } from '../src/bus/local-bus.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { MsgFrame, ServerFrame } from '@loopchat/protocol';
import type { Config } from '../src/config.js';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, WsClient, sleep, waitUntil } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

type HistoryFrame = Extract<ServerFrame, { type: 'history' }>;

let server: LoopchatServer | undefined;
const open: { close(): void }[] = [];

async function start(overrides: Partial<Config> = {}): Promise<LoopchatServer> {
  server = await startTestServer({ ratePerSecond: 0, ...overrides });
  return server;
}

async function json(nick: string): Promise<TcpJsonClient> {
  const client = await TcpJsonClient.connect(server!.tcpPort);
  open.push(client);
  await client.hello(nick);
  return client;
}

/** Sends `texts` to `room` and waits for the last ack; returns the seqs. */
async function sendAll(client: TcpJsonClient, room: string, texts: string[]): Promise<number[]> {
  const tag = Math.random().toString(36).slice(2);
  texts.forEach((text, i) => client.send({ type: 'msg', room, text, id: `${tag}-${i}` }));
  const seqs: number[] = [];
  for (let i = 0; i < texts.length; i++) seqs.push(((await client.waitFor({ type: 'ack', id: `${tag}-${i}` })) as { seq: number }).seq);
  return seqs;
}

async function history(client: TcpJsonClient | WsClient, request: Record<string, unknown>): Promise<HistoryFrame> {
  const id = `h-${Math.random()}`;
  client.send({ type: 'history', ...request, id });
  return (await client.waitFor({ type: 'history', id })) as HistoryFrame;
}

const texts = (frame: HistoryFrame): string[] => frame.messages.map((m) => m.text);
const seqs = (frame: HistoryFrame): number[] => frame.messages.map((m) => m.seq);

afterEach(async () => {
  for (const client of open.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

describe('history after a reconnect', () => {
  it('gives a reconnecting client (same nick) exactly the messages it missed, oldest first', async () => {
    await start();
    const writer = await json('writer');
    let reader = await json('reader');
    await writer.join('hist');
    await reader.join('hist');
    await sendAll(writer, 'hist', ['a', 'b', 'c']);
    const lastSeen = ((await reader.waitFor({ type: 'msg', text: 'c' })) as MsgFrame).seq;
    expect(lastSeen).toBe(3);

    reader.close();
    await waitUntil(() => server!.ctx.hub.findNick('reader') === undefined, 2000, 'the old reader session to go');
    await sendAll(writer, 'hist', ['d', 'e', 'f', 'g']);

    reader = await json('reader');
    reader.send({ type: 'join', room: 'hist', id: 'rejoin' });
    expect(await reader.waitFor({ type: 'ack', id: 'rejoin' })).toMatchObject({ seq: 7 });
    const missed = await history(reader, { room: 'hist', since: lastSeen });
    expect(missed.room).toBe('hist');
    expect(texts(missed)).toEqual(['d', 'e', 'f', 'g']);
    expect(seqs(missed)).toEqual([4, 5, 6, 7]);
    expect(missed.messages[0]).toMatchObject({ type: 'msg', room: 'hist', from: 'writer' });
  });

  it('gives the messages a client sent itself before disconnecting to another nick', async () => {
    await start();
    const sender = await json('sender');
    await sender.join('hist2');
    await sendAll(sender, 'hist2', ['one', 'two', 'three', 'four', 'five']);
    sender.close();

    const other = await json('other');
    await other.join('hist2');
    expect(texts(await history(other, { room: 'hist2', since: 2 }))).toEqual(['three', 'four', 'five']);
    expect(texts(await history(other, { room: 'hist2', since: 0 }))).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(texts(await history(other, { room: 'hist2', since: 5 }))).toEqual([]);
    expect(texts(await history(other, { room: 'hist2', since: 99 }))).toEqual([]);
  });

  it('pages forward: since + limit returns the oldest `limit` missed messages', async () => {
    await start();
    const alice = await json('alice');
    await alice.join('paging');
    await sendAll(alice, 'paging', Array.from({ length: 10 }, (_, i) => `m${i + 1}`));
    const page1 = await history(alice, { room: 'paging', since: 2, limit: 3 });
    expect(seqs(page1)).toEqual([3, 4, 5]);
    const page2 = await history(alice, { room: 'paging', since: 5, limit: 3 });
    expect(seqs(page2)).toEqual([6, 7, 8]);
    const page3 = await history(alice, { room: 'paging', since: 8, limit: 3 });
    expect(seqs(page3)).toEqual([9, 10]);
  });

  it('without since, returns the latest `limit` messages oldest first', async () => {
    await start();
    const alice = await json('alice');
    await alice.join('latest');
    await sendAll(alice, 'latest', Array.from({ length: 10 }, (_, i) => `m${i + 1}`));
    expect(texts(await history(alice, { room: 'latest', limit: 3 }))).toEqual(['m8', 'm9', 'm10']);
    expect(seqs(await history(alice, { room: 'latest' }))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('answers an out-of-range limit with invalid_frame carrying the id, and stays open', async () => {
    await start();
    const alice = await json('alice');
    await alice.join('limits');
    alice.send({ type: 'history', room: 'limits', limit: 0, id: 'zero' });
    expect(await alice.waitFor({ type: 'error', id: 'zero' })).toMatchObject({ code: 'invalid_frame' });
    alice.send({ type: 'history', room: 'limits', since: -1, id: 'neg' });
    expect(await alice.waitFor({ type: 'error', id: 'neg' })).toMatchObject({ code: 'invalid_frame' });
    await alice.sync();
  });
});

describe('history pages and epoch', () => {
  it('pages backwards with before, oldest first within a page, in memory and in SQLite', async () => {
    for (const history_ of ['memory', 'sqlite'] as const) {
      await start({ history: history_ });
      const alice = await json('alice');
      await alice.join('back');
      await sendAll(alice, 'back', ['1', '2', '3', '4', '5', '6', '7']);
      expect(seqs(await history(alice, { room: 'back', before: 8, limit: 3 }))).toEqual([5, 6, 7]);
      expect(seqs(await history(alice, { room: 'back', before: 5, limit: 3 }))).toEqual([2, 3, 4]);
      expect(seqs(await history(alice, { room: 'back', before: 2, limit: 3 }))).toEqual([1]);
      expect(seqs(await history(alice, { room: 'back', before: 1, limit: 3 }))).toEqual([]);
      alice.send({ type: 'history', room: 'back', since: 1, before: 5, id: 'both' });
      expect(await alice.waitFor({ type: 'error', id: 'both' })).toMatchObject({ code: 'invalid_frame' });
      alice.close();
      await server!.close();
    }
  });

  it('sends the same epoch in welcome and in every history answer', async () => {
    await start();
    const client = await TcpJsonClient.connect(server!.tcpPort);
    open.push(client);
    client.send({ type: 'hello', nick: 'eve', id: 'w' });
    const welcome = (await client.waitFor({ type: 'welcome' })) as { epoch?: string };
    expect(welcome.epoch).toMatch(/^[0-9a-f-]{36}$/);
    await client.join('e');
    expect((await history(client, { room: 'e' })).epoch).toBe(welcome.epoch);
    expect(server!.ctx.hub.bus.epoch).toBe(welcome.epoch);
  });
});

describe('history retention', () => {
  it('keeps only the newest historySize messages (ring buffer)', async () => {
    await start({ historySize: 5 });
    const alice = await json('alice');
    await alice.join('ring');
    await sendAll(alice, 'ring', Array.from({ length: 12 }, (_, i) => `m${i + 1}`));
    expect(seqs(await history(alice, { room: 'ring' }))).toEqual([8, 9, 10, 11, 12]);
    expect(seqs(await history(alice, { room: 'ring', since: 0 }))).toEqual([8, 9, 10, 11, 12]);
    expect(seqs(await history(alice, { room: 'ring', since: 9 }))).toEqual([10, 11, 12]);
    expect(seqs(await history(alice, { room: 'ring', since: 0, limit: 2 }))).toEqual([8, 9]);
    expect(seqs(await history(alice, { room: 'ring', limit: 2 }))).toEqual([11, 12]);
  });

  it('keeps nothing with historySize 0 but still numbers messages', async () => {
    await start({ historySize: 0 });
    const alice = await json('alice');
    await alice.join('none');
    expect(await sendAll(alice, 'none', ['a', 'b'])).toEqual([1, 2]);
    expect(texts(await history(alice, { room: 'none' }))).toEqual([]);
    expect(texts(await history(alice, { room: 'none', since: 0 }))).toEqual([]);
  });

  it('keeps the history and seq of a room whose members all left, within emptyRoomTtlMs', async () => {
    await start({ emptyRoomTtlMs: 60_000, heartbeatMs: 100, idleTimeoutMs: 10_000 });
    const alice = await json('alice');
    await alice.join('empty');
    await sendAll(alice, 'empty', ['before', 'everyone', 'left']);
    alice.close();
    await waitUntil(() => server!.ctx.sessions.size === 0, 2000, 'alice to disconnect');
    await sleep(150); // several housekeeping sweeps (every 50 ms here)

    const bob = await json('bob');
    bob.send({ type: 'join', room: 'empty', id: 'j' });
    expect(await bob.waitFor({ type: 'ack', id: 'j' })).toMatchObject({ seq: 3 });
    expect(texts(await history(bob, { room: 'empty', since: 0 }))).toEqual(['before', 'everyone', 'left']);
    expect(await sendAll(bob, 'empty', ['back'])).toEqual([4]);
  });

  it('with the memory store, forgets an empty room after emptyRoomTtlMs', async () => {
    await start({ history: 'memory', emptyRoomTtlMs: 100, heartbeatMs: 100, idleTimeoutMs: 10_000 });
    const alice = await json('alice');
    await alice.join('expire');
    await sendAll(alice, 'expire', ['gone soon']);
    alice.send({ type: 'leave', room: 'expire', id: 'l' });
    await alice.waitFor({ type: 'ack', id: 'l' });
    const bus = server!.ctx.hub.bus as LocalBus;
    expect(bus.state.hasRoom('expire')).toBe(true);
    await waitUntil(() => !bus.state.hasRoom('expire'), 2000, 'the empty room to expire');
    await alice.join('expire');
    expect(texts(await history(alice, { room: 'expire' }))).toEqual([]);
  });
});

describe('large history answers', () => {
  it('delivers a WebSocket history frame over 64 KiB intact (64-bit payload length)', async () => {
    await start({ historySize: 200 });
    const alice = await json('alice');
    await alice.join('big');
    const text = 'w'.repeat(1000);
    await sendAll(alice, 'big', Array.from({ length: 100 }, () => text));
    const browser = await WsClient.connect(server!.httpPort);
    open.push(browser);
    await browser.hello('browser');
    await browser.join('big');
    const frame = await history(browser, { room: 'big', since: 0, limit: 100 });
    expect(seqs(frame)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(frame.messages.every((m) => m.text === text)).toBe(true);
    // 126..65535 bytes: the 16-bit length form.
    const mid = await history(browser, { room: 'big', since: 0, limit: 10 });
    expect(mid.messages).toHaveLength(10);
  });

  it('answers a history request larger than the outbound budget instead of disconnecting the reader as a slow consumer', async () => {
    // BUG: the history frame is queued through the same budget as broadcasts, so a legal
    // request (any limit ≤ 1000) whose answer exceeds outboundBudgetBytes drops the client
    // with slow_consumer — the very recovery path slow consumers are told to use.
    // Same with defaults: 555 messages of 2000 chars and `history {limit: 1000}` (≈1.2 MB > 1 MiB).
    await start({ historySize: 200, outboundBudgetBytes: 64 * 1024 });
    const alice = await json('alice');
    await alice.join('recover');
    await sendAll(alice, 'recover', Array.from({ length: 100 }, (_, i) => `${i + 1}:${'r'.repeat(1000)}`));
    const bob = await json('bob');
    await bob.join('recover');
    bob.send({ type: 'history', room: 'recover', since: 0, limit: 100, id: 'big' });
    const answer = await bob.waitForAny([{ id: 'big' }, { type: 'error' }]);
    expect(answer).toMatchObject({ type: 'history', id: 'big' });
    // Possibly truncated to fit the budget, but a consecutive page from since + 1 the client can continue from.
    const page = seqs(answer as HistoryFrame);
    expect(page.length).toBeGreaterThan(0);
    expect(page).toEqual(Array.from({ length: page.length }, (_, i) => i + 1));
    await bob.sync();
    expect(server!.ctx.stats.disconnects['slow_consumer'] ?? 0).toBe(0);
  });

  it("with the SQLite store, keeps an empty room's history and seq after it leaves memory", async () => {
    await start({ history: 'sqlite', emptyRoomTtlMs: 100, heartbeatMs: 100, idleTimeoutMs: 10_000 });
    const alice = await json('alice');
    await alice.join('kept');
    await sendAll(alice, 'kept', ['still here']);
    alice.send({ type: 'leave', room: 'kept', id: 'l' });
    await alice.waitFor({ type: 'ack', id: 'l' });
    const bus = server!.ctx.hub.bus as LocalBus;
    await waitUntil(() => !bus.state.hasRoom('kept'), 2000, 'the empty room to leave memory');
    alice.send({ type: 'join', room: 'kept', id: 'j' });
    expect(await alice.waitFor({ type: 'ack', id: 'j' })).toMatchObject({ seq: 1 });
    expect(texts(await history(alice, { room: 'kept' }))).toEqual(['still here']);
    expect(await sendAll(alice, 'kept', ['next'])).toEqual([2]);
  });
});
