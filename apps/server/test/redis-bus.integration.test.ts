/**
 * Multi-host mode (issue 3, "Redis bus (multi-host)"): two independent server instances —
 * each with its own RedisBus (its own host id, publisher and subscriber connections), on
 * different ports — share one Redis. Rooms, presence, DMs, `who`, `rooms`, nick uniqueness,
 * one total order per room and one history per room hold across them; a nick is freed when
 * its client leaves, and a crashed host's nick lease expires by itself.
 *
 * Redis: a redis-server spawned for this file (helpers/redis.ts), else REDIS_URL with a
 * unique key prefix; skipped with a message when neither exists (never under CI).
 */
import type { ServerFrame } from '@loopchat/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisBus } from '../src/bus/redis-bus.js';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, WsClient, sleep, waitUntil } from './helpers/clients.js';
import { redisMode, skipRedisSuites, startRedis, startRedisTestServer, type TestRedis } from './helpers/redis.js';

type Msg = Extract<ServerFrame, { type: 'msg' }>;
type Ack = Extract<ServerFrame, { type: 'ack' }>;
type HistoryFrame = Extract<ServerFrame, { type: 'history' }>;
type MembersFrame = Extract<ServerFrame, { type: 'members' }>;
type RoomsFrame = Extract<ServerFrame, { type: 'rooms' }>;
type Client = TcpJsonClient | WsClient;

/** Small on purpose: the history test fills it past the cap. */
const HISTORY_SIZE = 20;

describe.skipIf(skipRedisSuites())('two server instances over one Redis', () => {
  let redis: TestRedis;
  let a: LoopchatServer;
  let b: LoopchatServer;
  const open: Client[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    // Rate limits off: the ordering test sends bursts on purpose.
    a = await startRedisTestServer(redis, { ratePerSecond: 0, historySize: HISTORY_SIZE, serverName: 'host-a' });
    b = await startRedisTestServer(redis, { ratePerSecond: 0, historySize: HISTORY_SIZE, serverName: 'host-b' });
  });

  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });

  afterAll(async () => {
    for (const client of open.splice(0)) client.close();
    await Promise.allSettled([a?.close(), b?.close()]);
    await redis?.stop();
  });

  /** A JSON TCP client on `server`, registered as `nick`. */
  async function tcp(server: LoopchatServer, nick?: string): Promise<TcpJsonClient> {
    const client = await TcpJsonClient.connect(server.tcpPort);
    open.push(client);
    if (nick !== undefined) await client.hello(nick);
    return client;
  }

  async function ws(server: LoopchatServer, nick: string): Promise<WsClient> {
    const client = await WsClient.connect(server.httpPort);
    open.push(client);
    await client.hello(nick);
    return client;
  }

  async function request<T extends ServerFrame>(
    client: Client,
    frame: Record<string, unknown>,
    type: T['type'],
  ): Promise<T> {
    const id = `${frame['type'] as string}-${Math.random().toString(36).slice(2)}`;
    client.send({ ...frame, id });
    const answer = await client.waitForAny([
      { type, id },
      { type: 'error', id },
    ]);
    if (answer.type === 'error') throw new Error(`${JSON.stringify(frame)} failed: ${JSON.stringify(answer)}`);
    return answer as T;
  }

  /** Sends `texts` to `room` (pipelined) and resolves with their seqs once every ack is in. */
  async function sendAll(client: Client, room: string, texts: string[]): Promise<number[]> {
    const tag = Math.random().toString(36).slice(2);
    texts.forEach((text, i) => client.send({ type: 'msg', room, text, id: `${tag}-${i}` }));
    const seqs: number[] = [];
    for (let i = 0; i < texts.length; i++)
      seqs.push(((await client.waitFor({ type: 'ack', id: `${tag}-${i}` })) as Ack).seq!);
    return seqs;
  }

  /** Sends hello for `nick` and resolves with the welcome or the error (with the hello's id). */
  async function tryHello(client: Client, nick: string): Promise<ServerFrame> {
    const id = `hello-${nick}-${Math.random().toString(36).slice(2)}`;
    client.send({ type: 'hello', nick, id });
    return client.waitForAny([
      { type: 'welcome', id },
      { type: 'error', id },
    ]);
  }

  /** Retries hello for `nick` on `client` until it is welcomed; resolves with the ms it took. */
  async function helloUntilWelcome(client: Client, nick: string, timeoutMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      const answer = await tryHello(client, nick);
      if (answer.type === 'welcome') return Date.now() - started;
      expect(answer).toMatchObject({ type: 'error', code: 'nick_taken' });
      if (Date.now() - started > timeoutMs) throw new Error(`"${nick}" still taken after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  it('runs two independent instances: different ports, each its own RedisBus host on the same Redis', () => {
    expect(a.tcpPort).not.toBe(b.tcpPort);
    expect(a.httpPort).not.toBe(b.httpPort);
    const busA = a.ctx.hub.bus as RedisBus;
    const busB = b.ctx.hub.bus as RedisBus;
    expect(busA.kind).toBe('redis');
    expect(busB.kind).toBe('redis');
    expect(busA).not.toBe(busB);
    expect(busA.hostId).not.toBe(busB.hostId);
    expect(busA.ready && busB.ready).toBe(true);
  });

  it('delivers room messages both ways between a client on A and a client on B (TCP and WebSocket)', async () => {
    const ann = await tcp(a, 'ann');
    const ben = await ws(b, 'ben');
    await ann.join('both-ways');
    await ben.join('both-ways');

    ann.send({ type: 'msg', room: 'both-ways', text: 'hello from A', id: 'a1' });
    expect(await ann.waitFor({ type: 'ack', id: 'a1' })).toMatchObject({ seq: 1 });
    expect(await ben.waitFor({ type: 'msg', room: 'both-ways' })).toMatchObject({
      from: 'ann',
      text: 'hello from A',
      seq: 1,
    });

    ben.send({ type: 'msg', room: 'both-ways', text: 'hello from B', id: 'b1' });
    expect(await ben.waitFor({ type: 'ack', id: 'b1' })).toMatchObject({ seq: 2 });
    expect(await ann.waitFor({ type: 'msg', room: 'both-ways' })).toMatchObject({
      from: 'ben',
      text: 'hello from B',
      seq: 2,
    });

    // Nobody gets their own message back as a msg (the ack is the answer), on either host.
    await ann.sync();
    await ben.sync();
    expect(ann.all({ type: 'msg', from: 'ann' })).toEqual([]);
    expect(ben.all({ type: 'msg', from: 'ben' })).toEqual([]);
  });

  it('announces a join, a leave and a disconnect on one instance to members on the other', async () => {
    const cat = await tcp(a, 'cat');
    await cat.join('presence');
    const dan = await tcp(b, 'dan');
    await dan.join('presence');
    expect(await cat.waitFor({ type: 'presence', room: 'presence', nick: 'dan' })).toMatchObject({ event: 'join' });

    dan.send({ type: 'leave', room: 'presence', id: 'leave-1' });
    await dan.waitFor({ type: 'ack', id: 'leave-1' });
    expect(await cat.waitFor({ type: 'presence', room: 'presence', nick: 'dan' })).toMatchObject({ event: 'leave' });

    await dan.join('presence');
    expect(await cat.waitFor({ type: 'presence', room: 'presence', nick: 'dan' })).toMatchObject({ event: 'join' });
    dan.close();
    expect(await cat.waitFor({ type: 'presence', room: 'presence', nick: 'dan' })).toMatchObject({ event: 'leave' });

    // …and the other way: A's member leaving is announced on B.
    const eve = await tcp(b, 'eve');
    await eve.join('presence');
    cat.close();
    expect(await eve.waitFor({ type: 'presence', room: 'presence', nick: 'cat' })).toMatchObject({ event: 'leave' });
  });

  it('relays typing between instances without storing it, and not in rooms over the presence limit (checked in Redis)', async () => {
    const hal = await tcp(a, 'hal');
    await hal.join('typing');
    const ida = await ws(b, 'ida');
    await ida.join('typing');
    hal.send({ type: 'typing', room: 'typing' });
    expect(await ida.waitFor({ type: 'typing' })).toEqual({ type: 'typing', room: 'typing', nick: 'hal' });
    ida.send({ type: 'typing', room: 'typing' });
    expect(await hal.waitFor({ type: 'typing' })).toEqual({ type: 'typing', room: 'typing', nick: 'ida' });
    expect((await request<HistoryFrame>(ida, { type: 'history', room: 'typing' }, 'history')).messages).toEqual([]);

    // A third instance allowing presence in rooms of 1 only: its member's typing in this
    // room of 3 is not published (the script counts Redis's member list, not local members).
    const c = await startRedisTestServer(redis, { presenceMaxMembers: 1, serverName: 'host-c' });
    try {
      const jon = await tcp(c, 'jon');
      await jon.join('typing'); // announced by no one: C's limit is 1 too
      jon.send({ type: 'typing', room: 'typing', id: 'jt' });
      await jon.waitFor({ type: 'ack', id: 'jt' });
      await sleep(2100); // hal's own interval, so that hal's next typing is not dropped at A
      hal.send({ type: 'typing', room: 'typing' });
      expect(await jon.waitFor({ type: 'typing' })).toMatchObject({ nick: 'hal' }); // A's limit is 500
      await sleep(100);
      expect(ida.all({ type: 'typing', nick: 'jon' })).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('stores read markers in Redis: a marker set on A comes back in the join ack on B after a reconnect', async () => {
    const kim = await tcp(a, 'kim');
    await kim.join('markers');
    await sendAll(kim, 'markers', ['one', 'two', 'three']);
    await request(kim, { type: 'read', room: 'markers', seq: 2 }, 'ack');
    kim.close();
    const again = await tcp(b);
    await helloUntilWelcome(again, 'Kim', 5000);
    expect(await request<Ack>(again, { type: 'join', room: 'markers' }, 'ack')).toMatchObject({ seq: 3, read: 2 });
    const lee = await ws(b, 'lee');
    expect(await request<Ack>(lee, { type: 'join', room: 'markers' }, 'ack')).not.toHaveProperty('read');
  });

  it('delivers a DM to a nick connected to the other instance, whatever letter case the sender uses', async () => {
    const fay = await tcp(a, 'fay');
    const Gus = await ws(b, 'Gus');

    fay.send({ type: 'dm', to: 'gUS', text: 'psst', id: 'dm-1' });
    await fay.waitFor({ type: 'ack', id: 'dm-1' });
    // The target sees its own spelling, whatever the sender typed.
    expect(await Gus.waitFor({ type: 'dm' })).toMatchObject({ from: 'fay', to: 'Gus', text: 'psst' });

    Gus.send({ type: 'dm', to: 'FAY', text: 'back at you', id: 'dm-2' });
    await Gus.waitFor({ type: 'ack', id: 'dm-2' });
    expect(await fay.waitFor({ type: 'dm' })).toMatchObject({ from: 'Gus', to: 'fay', text: 'back at you' });

    fay.send({ type: 'dm', to: 'nobody-here', text: 'hello?', id: 'dm-3' });
    expect(await fay.waitFor({ type: 'error', id: 'dm-3' })).toMatchObject({ code: 'no_such_nick' });
  });

  it('lists the members of a room from both instances in `who`, and counts them in `rooms`', async () => {
    const hal = await tcp(a, 'hal');
    const ida = await tcp(b, 'ida');
    const jon = await tcp(b, 'jon');
    for (const c of [hal, ida, jon]) await c.join('roster');

    for (const asker of [hal, ida]) {
      const who = await request<MembersFrame>(asker, { type: 'who', room: 'roster' }, 'members');
      expect([...who.nicks].sort()).toEqual(['hal', 'ida', 'jon']);
    }
    const rooms = await request<RoomsFrame>(hal, { type: 'rooms' }, 'rooms');
    expect(rooms.rooms).toContainEqual({ room: 'roster', members: 3 });

    jon.send({ type: 'leave', room: 'roster', id: 'jon-leaves' });
    await jon.waitFor({ type: 'ack', id: 'jon-leaves' });
    // The leave is acked before its ZREM reaches Redis (over B's connection, while this `who`
    // goes over A's), so another host may list jon for a moment: poll briefly.
    const deadline = Date.now() + 1000;
    const who = async (): Promise<string[]> =>
      [...(await request<MembersFrame>(hal, { type: 'who', room: 'roster' }, 'members')).nicks].sort();
    let nicks = await who();
    while (nicks.includes('jon') && Date.now() < deadline) {
      await sleep(20);
      nicks = await who();
    }
    expect(nicks).toEqual(['hal', 'ida']);
  });

  it('keeps nicks unique across instances, in any letter case (nick_taken)', async () => {
    await tcp(a, 'Kim');
    const other = await tcp(b);
    expect(await tryHello(other, 'kIM')).toMatchObject({ type: 'error', code: 'nick_taken' });
    expect(await tryHello(other, 'Kim')).toMatchObject({ type: 'error', code: 'nick_taken' });
    const same = await tcp(a);
    expect(await tryHello(same, 'KIM')).toMatchObject({ type: 'error', code: 'nick_taken' });
    // The refused connection is still usable: it may pick another nick.
    expect(await tryHello(other, 'kim2')).toMatchObject({ type: 'welcome', nick: 'kim2' });
  });

  it('gives one total order per room to concurrent senders on both instances: consecutive seqs, the same seq→text everywhere', async () => {
    const ROOM = 'order';
    const PER_SENDER = 60;
    const senders = [await tcp(a, 'sa1'), await ws(a, 'sa2'), await tcp(b, 'sb1'), await ws(b, 'sb2')];
    const senderNicks = ['sa1', 'sa2', 'sb1', 'sb2'];
    const listeners = [await tcp(a, 'la'), await ws(b, 'lb')];
    for (const c of [...senders, ...listeners]) await c.join(ROOM);
    const total = senders.length * PER_SENDER;

    // Everyone fires at once, without waiting for acks.
    senders.forEach((s, k) => {
      for (let i = 0; i < PER_SENDER; i++)
        s.send({ type: 'msg', room: ROOM, text: `${senderNicks[k]}#${i}`, id: `o-${k}-${i}` });
    });
    await waitUntil(
      () => listeners.every((l) => l.all({ type: 'msg', room: ROOM }).length >= total),
      10_000,
      `both listeners to receive ${total} messages`,
    );
    for (const s of senders) await s.waitFor({ type: 'ack', id: `o-${senders.indexOf(s)}-${PER_SENDER - 1}` }, 5000);
    for (const c of [...senders, ...listeners]) await c.sync();

    const consecutive = Array.from({ length: total }, (_, i) => i + 1);
    const reference = new Map<number, string>();
    for (const m of listeners[0]!.all({ type: 'msg', room: ROOM }) as Msg[]) reference.set(m.seq, `${m.from}:${m.text}`);

    for (const [i, listener] of listeners.entries()) {
      const msgs = listener.all({ type: 'msg', room: ROOM }) as Msg[];
      expect(
        msgs.map((m) => m.seq),
        `listener ${i}: seqs 1..${total} in arrival order`,
      ).toEqual(consecutive);
      for (const m of msgs) expect(`${m.from}:${m.text}`, `listener ${i}, seq ${m.seq}`).toBe(reference.get(m.seq));
    }

    for (const [k, sender] of senders.entries()) {
      const nick = senderNicks[k]!;
      const acks = (sender.all({ type: 'ack' }) as Ack[]).filter((f) => String(f.id).startsWith(`o-${k}-`));
      expect(acks).toHaveLength(PER_SENDER);
      const ownSeqs = acks.map((f) => f.seq!);
      // A sender's messages keep its sending order.
      expect(ownSeqs).toEqual([...ownSeqs].sort((x, y) => x - y));
      for (const f of acks) expect(reference.get(f.seq!)).toBe(`${nick}:${nick}#${String(f.id).split('-')[2]}`);
      // The others' messages arrive in seq order, and with its own acks they cover every seq.
      const received = (sender.all({ type: 'msg', room: ROOM }) as Msg[]).map((m) => m.seq);
      expect(received).toEqual([...received].sort((x, y) => x - y));
      expect([...received, ...ownSeqs].sort((x, y) => x - y)).toEqual(consecutive);
      for (const m of sender.all({ type: 'msg', room: ROOM }) as Msg[])
        expect(`${m.from}:${m.text}`).toBe(reference.get(m.seq));
    }
  });

  it('shares history: a client joining on B gets what was sent on A, `since` works, and the room keeps historySize messages', async () => {
    const ROOM = 'shared-history';
    const writer = await tcp(a, 'writer');
    await writer.join(ROOM);
    const sent = Array.from({ length: HISTORY_SIZE + 5 }, (_, i) => `m${i + 1}`);
    expect(await sendAll(writer, ROOM, sent)).toEqual(sent.map((_, i) => i + 1));

    const reader = await tcp(b, 'reader');
    reader.send({ type: 'join', room: ROOM, id: 'j' });
    // The join ack carries the room's latest seq, as sequenced on A.
    expect(await reader.waitFor({ type: 'ack', id: 'j' })).toMatchObject({ seq: sent.length });

    const latest = await request<HistoryFrame>(reader, { type: 'history', room: ROOM }, 'history');
    expect(latest.messages.map((m) => m.seq)).toEqual(Array.from({ length: HISTORY_SIZE }, (_, i) => i + 6));
    expect(latest.messages.map((m) => m.text)).toEqual(sent.slice(5));
    expect(latest.messages[0]).toMatchObject({ type: 'msg', room: ROOM, from: 'writer' });

    const since = await request<HistoryFrame>(reader, { type: 'history', room: ROOM, since: 22 }, 'history');
    expect(since.messages.map((m) => [m.seq, m.text])).toEqual([
      [23, 'm23'],
      [24, 'm24'],
      [25, 'm25'],
    ]);
    // Older than the cap: what is still kept, oldest first.
    const trimmed = await request<HistoryFrame>(reader, { type: 'history', room: ROOM, since: 2, limit: 3 }, 'history');
    expect(trimmed.messages.map((m) => m.seq)).toEqual([6, 7, 8]);
    const limited = await request<HistoryFrame>(reader, { type: 'history', room: ROOM, limit: 2 }, 'history');
    expect(limited.messages.map((m) => m.seq)).toEqual([24, 25]);
    const nothingNew = await request<HistoryFrame>(reader, { type: 'history', room: ROOM, since: 25 }, 'history');
    expect(nothingNew.messages).toEqual([]);

    // B's own message lands in the same history, after A's.
    expect(await sendAll(reader, ROOM, ['from B'])).toEqual([26]);
    const fromA = await request<HistoryFrame>(writer, { type: 'history', room: ROOM, since: 25 }, 'history');
    expect(fromA.messages).toMatchObject([{ seq: 26, from: 'reader', text: 'from B' }]);
  });

  it('frees a nick when its client disconnects: hello with it on the other instance then succeeds', async () => {
    const first = await tcp(a, 'Lou');
    const other = await tcp(b);
    expect(await tryHello(other, 'lou')).toMatchObject({ type: 'error', code: 'nick_taken' });

    first.close();
    await waitUntil(() => a.ctx.hub.findNick('Lou') === undefined, 2000, 'A to drop the session');
    // The release reaches Redis right behind the disconnect; allow it a moment.
    const took = await helloUntilWelcome(other, 'lou', 2000);
    expect(took).toBeLessThan(2000);
    expect(b.ctx.hub.findNick('LOU')).toBeDefined();
  });

  it("lets a crashed host's nick lease expire: hello fails while the dead host's key lives, then succeeds", async () => {
    // A host that died without releasing: its lease is a key naming it, with a TTL (here 1 s;
    // RedisBus uses 60 s and renews every 20 s while the host lives).
    const raw = redis.client();
    try {
      const key = `${redis.prefix}nick:moe`;
      const claimedAt = Date.now();
      expect(await raw.set(key, 'crashed-host-1234', 'PX', 1000, 'NX')).toBe('OK');
      const client = await tcp(a);
      expect(await tryHello(client, 'Moe')).toMatchObject({ type: 'error', code: 'nick_taken' });

      // A DM to it goes nowhere (no instance listens for the dead host) and says so.
      const sender = await tcp(b, 'ned');
      sender.send({ type: 'dm', to: 'moe', text: 'are you there?', id: 'dm-dead' });
      expect(await sender.waitFor({ type: 'error', id: 'dm-dead' })).toMatchObject({ code: 'no_such_nick' });

      await helloUntilWelcome(client, 'Moe', 3000);
      // Welcomed only once the dead host's lease ran out, and soon after.
      const after = Date.now() - claimedAt;
      expect(after).toBeGreaterThanOrEqual(950);
      expect(after).toBeLessThan(3000);
      expect(await raw.ttl(key)).toBeGreaterThan(1); // now A's own lease (60 s)
      expect(await raw.get(key)).toBe((a.ctx.hub.bus as RedisBus).hostId);
    } finally {
      raw.disconnect();
    }
  });

  // Needs CLIENT PAUSE to hold Redis for a moment: only on a Redis this file owns.
  it.skipIf(redisMode() !== 'spawn')(
    'forgets a client that disconnects while its join is pending: not left in `who`, not announced as joined after it left',
    async () => {
      const watcher = await tcp(b, 'watcher');
      await watcher.join('ghosts');
      const ghost = await tcp(a, 'ghost');
      const raw = redis.client();
      try {
        // Redis answers nothing for 1 s: A's SUBSCRIBE for the room (its first member there)
        // is still pending when the client goes away, as it is on any slow round trip.
        expect(await raw.call('CLIENT', 'PAUSE', '1000', 'ALL')).toBe('OK');
        ghost.send({ type: 'join', room: 'ghosts', id: 'j' });
        await waitUntil(() => a.ctx.hub.rooms.get('ghosts')?.members.size === 1, 800, 'A to take the join');
        ghost.close();
        await waitUntil(() => a.ctx.hub.findNick('ghost') === undefined, 800, 'A to drop the session');
        // Redis resumes; let everything queued meanwhile run.
        await watcher.waitFor({ type: 'presence', nick: 'ghost', event: 'leave' }, 3000);
        await sleep(200);
        await watcher.sync();

        const events = watcher.all({ type: 'presence', nick: 'ghost' }).map((p) => (p as { event: string }).event);
        expect.soft(events.at(-1), `presence for "ghost" seen on B: ${events.join(', ')}`).toBe('leave');
        const who = await request<MembersFrame>(watcher, { type: 'who', room: 'ghosts' }, 'members');
        expect(who.nicks, '`who` on B after the client left').toEqual(['watcher']);
      } finally {
        await raw.call('CLIENT', 'UNPAUSE').catch(() => {});
        raw.disconnect();
      }
    },
  );
});
