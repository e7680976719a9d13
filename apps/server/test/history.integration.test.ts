/**
 * History (DESIGN.md, "History" and "Protocol contract"): a client that saw seq N and
 * reconnects asks `history {since: N}` and gets exactly what it missed, oldest first.
 */
import type { LocalBus } from '../src/bus/local-bus.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { MsgFrame, ServerFrame } from '@loopchat/protocol';
import type { Config } from '../src/config.js';
import type { LoopchatServer } from '../src/server.js';
import { connectClient, type TestChatClient } from './helpers/chat-client.js';
import { TcpJsonClient, sleep, waitUntil } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

type HistoryFrame = Extract<ServerFrame, { type: 'history' }>;

let server: LoopchatServer | undefined;
const open: { close(): void }[] = [];

async function start(overrides: Partial<Config> = {}): Promise<LoopchatServer> {
  server = await startTestServer({ ratePerSecond: 0, ...overrides });
  return server;
}

async function user(nick: string, via: 'tcp' | 'ws' = 'tcp'): Promise<TestChatClient> {
  const client = await connectClient(server!, nick, { via });
  open.push(client);
  return client;
}

/** Sends `texts` to `room`, pipelined, and waits for every ack; returns the seqs. */
function sendAll(client: TestChatClient, room: string, texts: string[]): Promise<number[]> {
  return Promise.all(texts.map(async (text) => (await client.send(room, text)).seq));
}

const texts = (messages: MsgFrame[]): string[] => messages.map((m) => m.text);
const seqs = (messages: MsgFrame[]): number[] => messages.map((m) => m.seq);

afterEach(async () => {
  for (const client of open.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

describe('history after a reconnect', () => {
  it('gives a reconnecting client (same nick) exactly the messages it missed, oldest first', async () => {
    await start();
    const writer = await user('writer');
    let reader = await user('reader');
    await writer.join('hist');
    await reader.join('hist');
    await sendAll(writer, 'hist', ['a', 'b', 'c']);
    const lastSeen = (await reader.next('message', { text: 'c' })).seq;
    expect(lastSeen).toBe(3);

    reader.close();
    await waitUntil(() => server!.ctx.hub.findNick('reader') === undefined, 2000, 'the old reader session to go');
    await sendAll(writer, 'hist', ['d', 'e', 'f', 'g']);

    reader = await user('reader');
    expect(await reader.join('hist')).toBe(7);
    const missed = await reader.history('hist', { since: lastSeen });
    expect(texts(missed)).toEqual(['d', 'e', 'f', 'g']);
    expect(seqs(missed)).toEqual([4, 5, 6, 7]);
    expect(missed[0]).toMatchObject({ type: 'msg', room: 'hist', from: 'writer' });
  });

  it('gives the messages a client sent itself before disconnecting to another nick', async () => {
    await start();
    const sender = await user('sender');
    await sender.join('hist2');
    await sendAll(sender, 'hist2', ['one', 'two', 'three', 'four', 'five']);
    sender.close();

    const other = await user('other');
    await other.join('hist2');
    expect(texts(await other.history('hist2', { since: 2 }))).toEqual(['three', 'four', 'five']);
    expect(texts(await other.history('hist2', { since: 0 }))).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(texts(await other.history('hist2', { since: 5 }))).toEqual([]);
    expect(texts(await other.history('hist2', { since: 99 }))).toEqual([]);
  });

  it('pages forward: since + limit returns the oldest `limit` missed messages', async () => {
    await start();
    const alice = await user('alice');
    await alice.join('paging');
    await sendAll(
      alice,
      'paging',
      Array.from({ length: 10 }, (_, i) => `m${i + 1}`),
    );
    const page1 = await alice.history('paging', { since: 2, limit: 3 });
    expect(seqs(page1)).toEqual([3, 4, 5]);
    const page2 = await alice.history('paging', { since: 5, limit: 3 });
    expect(seqs(page2)).toEqual([6, 7, 8]);
    const page3 = await alice.history('paging', { since: 8, limit: 3 });
    expect(seqs(page3)).toEqual([9, 10]);
  });

  it('without since, returns the latest `limit` messages oldest first', async () => {
    await start();
    const alice = await user('alice');
    await alice.join('latest');
    await sendAll(
      alice,
      'latest',
      Array.from({ length: 10 }, (_, i) => `m${i + 1}`),
    );
    expect(texts(await alice.history('latest', { limit: 3 }))).toEqual(['m8', 'm9', 'm10']);
    expect(seqs(await alice.history('latest'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('answers an out-of-range limit with invalid_frame carrying the id, and stays open', async () => {
    await start();
    const alice = await user('alice');
    await alice.join('limits');
    await expect(alice.history('limits', { limit: 0 })).rejects.toMatchObject({ code: 'invalid_frame' });
    await expect(alice.history('limits', { since: -1 })).rejects.toMatchObject({ code: 'invalid_frame' });
    expect(await alice.who('limits')).toEqual(['alice']);
  });
});

describe('history pages and epoch', () => {
  it('pages backwards with before, oldest first within a page, in memory and in SQLite', async () => {
    for (const history_ of ['memory', 'sqlite'] as const) {
      await start({ history: history_ });
      const alice = await user('alice');
      await alice.join('back');
      await sendAll(alice, 'back', ['1', '2', '3', '4', '5', '6', '7']);
      expect(seqs(await alice.history('back', { before: 8, limit: 3 }))).toEqual([5, 6, 7]);
      expect(seqs(await alice.history('back', { before: 5, limit: 3 }))).toEqual([2, 3, 4]);
      expect(seqs(await alice.history('back', { before: 2, limit: 3 }))).toEqual([1]);
      expect(seqs(await alice.history('back', { before: 1, limit: 3 }))).toEqual([]);
      await expect(alice.history('back', { since: 1, before: 5 })).rejects.toMatchObject({ code: 'invalid_frame' });
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
    client.send({ type: 'history', room: 'e', id: 'h' });
    expect(((await client.waitFor({ type: 'history', id: 'h' })) as HistoryFrame).epoch).toBe(welcome.epoch);
    expect(server!.ctx.hub.bus.epoch).toBe(welcome.epoch);
  });
});

describe('history retention', () => {
  it('keeps only the newest historySize messages (ring buffer)', async () => {
    await start({ historySize: 5 });
    const alice = await user('alice');
    await alice.join('ring');
    await sendAll(
      alice,
      'ring',
      Array.from({ length: 12 }, (_, i) => `m${i + 1}`),
    );
    expect(seqs(await alice.history('ring'))).toEqual([8, 9, 10, 11, 12]);
    expect(seqs(await alice.history('ring', { since: 0 }))).toEqual([8, 9, 10, 11, 12]);
    expect(seqs(await alice.history('ring', { since: 9 }))).toEqual([10, 11, 12]);
    expect(seqs(await alice.history('ring', { since: 0, limit: 2 }))).toEqual([8, 9]);
    expect(seqs(await alice.history('ring', { limit: 2 }))).toEqual([11, 12]);
  });

  it('keeps nothing with historySize 0 but still numbers messages', async () => {
    await start({ historySize: 0 });
    const alice = await user('alice');
    await alice.join('none');
    expect(await sendAll(alice, 'none', ['a', 'b'])).toEqual([1, 2]);
    expect(texts(await alice.history('none'))).toEqual([]);
    expect(texts(await alice.history('none', { since: 0 }))).toEqual([]);
  });

  it('keeps the history and seq of a room whose members all left, within emptyRoomTtlMs', async () => {
    await start({ emptyRoomTtlMs: 60_000, heartbeatMs: 100, idleTimeoutMs: 10_000 });
    const alice = await user('alice');
    await alice.join('empty');
    await sendAll(alice, 'empty', ['before', 'everyone', 'left']);
    alice.close();
    await waitUntil(() => server!.ctx.sessions.size === 0, 2000, 'alice to disconnect');
    await sleep(150); // several housekeeping sweeps (every 50 ms here)

    const bob = await user('bob');
    expect(await bob.join('empty')).toBe(3);
    expect(texts(await bob.history('empty', { since: 0 }))).toEqual(['before', 'everyone', 'left']);
    expect(await sendAll(bob, 'empty', ['back'])).toEqual([4]);
  });

  it('with the memory store, forgets an empty room after emptyRoomTtlMs', async () => {
    await start({ history: 'memory', emptyRoomTtlMs: 100, heartbeatMs: 100, idleTimeoutMs: 10_000 });
    const alice = await user('alice');
    await alice.join('expire');
    await sendAll(alice, 'expire', ['gone soon']);
    await alice.leave('expire');
    const bus = server!.ctx.hub.bus as LocalBus;
    expect(bus.state.hasRoom('expire')).toBe(true);
    await waitUntil(() => !bus.state.hasRoom('expire'), 2000, 'the empty room to expire');
    await alice.join('expire');
    expect(texts(await alice.history('expire'))).toEqual([]);
  });
});

describe('large history answers', () => {
  it('delivers a WebSocket history frame over 64 KiB intact (64-bit payload length)', async () => {
    await start({ historySize: 200 });
    const alice = await user('alice');
    await alice.join('big');
    const text = 'w'.repeat(1000);
    await sendAll(
      alice,
      'big',
      Array.from({ length: 100 }, () => text),
    );
    const browser = await user('browser', 'ws');
    await browser.join('big');
    const page = await browser.history('big', { since: 0, limit: 100 });
    expect(seqs(page)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(page.every((m) => m.text === text)).toBe(true);
    // 126..65535 bytes: the 16-bit length form.
    expect(await browser.history('big', { since: 0, limit: 10 })).toHaveLength(10);
  });

  it('answers a history request larger than the outbound budget instead of disconnecting the reader as a slow consumer', async () => {
    // BUG: the history frame is queued through the same budget as broadcasts, so a legal
    // request (any limit ≤ 1000) whose answer exceeds outboundBudgetBytes drops the client
    // with slow_consumer — the very recovery path slow consumers are told to use.
    // Same with defaults: 555 messages of 2000 chars and `history {limit: 1000}` (≈1.2 MB > 1 MiB).
    await start({ historySize: 200, outboundBudgetBytes: 64 * 1024 });
    const alice = await user('alice');
    await alice.join('recover');
    await sendAll(
      alice,
      'recover',
      Array.from({ length: 100 }, (_, i) => `${i + 1}:${'r'.repeat(1000)}`),
    );
    const bob = await user('bob');
    await bob.join('recover');
    // Possibly truncated to fit the budget, but a consecutive page from since + 1 the client can continue from.
    const page = seqs(await bob.history('recover', { since: 0, limit: 100 }));
    expect(page.length).toBeGreaterThan(0);
    expect(page).toEqual(Array.from({ length: page.length }, (_, i) => i + 1));
    expect(await bob.who('recover')).toHaveLength(2);
    expect(bob.seen('error')).toEqual([]);
    expect(server!.ctx.stats.disconnects['slow_consumer'] ?? 0).toBe(0);
  });

  it("with the SQLite store, keeps an empty room's history and seq after it leaves memory", async () => {
    await start({ history: 'sqlite', emptyRoomTtlMs: 100, heartbeatMs: 100, idleTimeoutMs: 10_000 });
    const alice = await user('alice');
    await alice.join('kept');
    await sendAll(alice, 'kept', ['still here']);
    await alice.leave('kept');
    const bus = server!.ctx.hub.bus as LocalBus;
    await waitUntil(() => !bus.state.hasRoom('kept'), 2000, 'the empty room to leave memory');
    expect(await alice.join('kept')).toBe(1);
    expect(texts(await alice.history('kept'))).toEqual(['still here']);
    expect(await sendAll(alice, 'kept', ['next'])).toEqual([2]);
  });
});
