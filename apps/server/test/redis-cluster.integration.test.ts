/**
 * Redis Cluster bus (issue 5, "Going past one Redis"): two server instances on a 3-node Redis
 * Cluster (REDIS_CLUSTER_NODES, here the `redisClusterNodes` override). A room's keys and
 * channel carry the hash tag `{room:<room>}`, so the publish script (INCR, XADD, SPUBLISH) runs
 * on the shard owning the room; fan-out is sharded pub/sub (SSUBSCRIBE). The rooms used here
 * are spread over all three shards (checked first).
 *
 * Needs redis-server and redis-cli on PATH (helpers/redis-cluster.ts); skipped with a message
 * without them, unless CI is set.
 */
import type { ServerFrame } from '@loopchat/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisBus } from '../src/bus/redis-bus.js';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, WsClient, waitUntil } from './helpers/clients.js';
import { skipClusterSuites, startRedisCluster, type TestRedisCluster } from './helpers/redis-cluster.js';
import { startTestServer } from './helpers/server.js';

type Msg = Extract<ServerFrame, { type: 'msg' }>;
type Ack = Extract<ServerFrame, { type: 'ack' }>;
type HistoryFrame = Extract<ServerFrame, { type: 'history' }>;
type MembersFrame = Extract<ServerFrame, { type: 'members' }>;
type RoomsFrame = Extract<ServerFrame, { type: 'rooms' }>;
type Client = TcpJsonClient | WsClient;

const HISTORY_SIZE = 20;
/** Hash slots 1791, 10005, 11688: one on each of the three masters (0–5460, 5461–10922, 10923–16383). */
const ROOMS = ['alpha', 'beta', 'lobby'];

describe.skipIf(skipClusterSuites())('two server instances over a 3-node Redis Cluster (sharded pub/sub)', () => {
  let cluster: TestRedisCluster;
  let a: LoopchatServer;
  let b: LoopchatServer;
  const open: Client[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
    const overrides = { ratePerSecond: 0, historySize: HISTORY_SIZE, redisClusterNodes: cluster.nodes };
    a = await startTestServer({ ...overrides, serverName: 'host-a' });
    b = await startTestServer({ ...overrides, serverName: 'host-b' });
  }, 120_000); // the cluster may take a second start (startRedisCluster)

  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });

  afterAll(async () => {
    for (const client of open.splice(0)) client.close();
    await Promise.allSettled([a?.close(), b?.close()]);
    await cluster?.stop();
  });

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

  async function tryHello(client: Client, nick: string): Promise<ServerFrame> {
    const id = `hello-${nick}-${Math.random().toString(36).slice(2)}`;
    client.send({ type: 'hello', nick, id });
    return client.waitForAny([
      { type: 'welcome', id },
      { type: 'error', id },
    ]);
  }

  it('runs both instances on the cluster, and the test rooms live on three different masters', async () => {
    for (const server of [a, b]) {
      const bus = server.ctx.hub.bus as RedisBus;
      expect(bus.kind).toBe('redis');
      // A loaded machine may still be connecting the last shard's subscriber at startup.
      await waitUntil(() => bus.ready, 10_000, 'the bus to be ready');
    }
    expect((a.ctx.hub.bus as RedisBus).hostId).not.toBe((b.ctx.hub.bus as RedisBus).hostId);
    // Which master owns each room's slot: CLUSTER NODES lines end with the slot ranges.
    const masters = (await cluster.cli('cluster', 'nodes'))
      .split('\n')
      .filter((line) => line.includes('master'))
      .map((line) => {
        const fields = line.trim().split(' ');
        const ranges = fields.slice(8).map((r) => r.split('-').map(Number) as [number, number?]);
        return { node: fields[1]!, ranges };
      });
    expect(masters).toHaveLength(3);
    const owners = new Set<string>();
    for (const room of ROOMS) {
      const slot = Number(await cluster.cli('cluster', 'keyslot', `loopchat:{room:${room}}:seq`));
      expect(Number(await cluster.cli('cluster', 'keyslot', `loopchat:{room:${room}}`))).toBe(slot);
      const owner = masters.find((m) => m.ranges.some(([lo, hi = lo]) => lo <= slot && slot <= hi));
      owners.add(owner!.node);
    }
    expect(owners.size).toBe(3);
  });

  it('delivers messages both ways between instances in rooms on every shard, with presence', async () => {
    const ann = await tcp(a, 'ann');
    const ben = await ws(b, 'ben');
    for (const room of ROOMS) {
      await ann.join(room);
      await ben.join(room);
      expect(await ann.waitFor({ type: 'presence', room, nick: 'ben' })).toMatchObject({ event: 'join' });
    }
    for (const room of ROOMS) {
      ann.send({ type: 'msg', room, text: `A in ${room}`, id: `a-${room}` });
      expect(await ann.waitFor({ type: 'ack', id: `a-${room}` })).toMatchObject({ seq: 1 });
      expect(await ben.waitFor({ type: 'msg', room })).toMatchObject({ from: 'ann', text: `A in ${room}`, seq: 1 });
      ben.send({ type: 'msg', room, text: `B in ${room}`, id: `b-${room}` });
      expect(await ben.waitFor({ type: 'ack', id: `b-${room}` })).toMatchObject({ seq: 2 });
      expect(await ann.waitFor({ type: 'msg', room, from: 'ben' })).toMatchObject({ text: `B in ${room}`, seq: 2 });
    }
    // Leaving one room unsubscribes B there (SUNSUBSCRIBE) and is announced; the others still flow.
    ben.send({ type: 'leave', room: 'alpha', id: 'leave-alpha' });
    await ben.waitFor({ type: 'ack', id: 'leave-alpha' });
    expect(await ann.waitFor({ type: 'presence', room: 'alpha', nick: 'ben' })).toMatchObject({ event: 'leave' });
    ann.send({ type: 'msg', room: 'alpha', text: 'gone?', id: 'a-gone' });
    ann.send({ type: 'msg', room: 'beta', text: 'still here', id: 'a-here' });
    expect(await ben.waitFor({ type: 'msg', room: 'beta', text: 'still here' })).toMatchObject({ seq: 3 });
    await ben.sync();
    expect(ben.all({ type: 'msg', room: 'alpha', text: 'gone?' })).toEqual([]);

    const who = await request<MembersFrame>(ann, { type: 'who', room: 'lobby' }, 'members');
    expect([...who.nicks].sort()).toEqual(['ann', 'ben']);
    const rooms = await request<RoomsFrame>(ben, { type: 'rooms' }, 'rooms');
    expect(rooms.rooms).toContainEqual({ room: 'lobby', members: 2 });
  });

  it('relays typing (a script with SPUBLISH) and keeps read markers (a hash) on the shard of every room', async () => {
    const cal = await tcp(a, 'cal');
    const dee = await ws(b, 'dee');
    for (const room of ROOMS) {
      await cal.join(room);
      await dee.join(room);
      cal.send({ type: 'typing', room });
      expect(await dee.waitFor({ type: 'typing', room })).toEqual({ type: 'typing', room, nick: 'cal' });
      await request<Ack>(dee, { type: 'read', room, seq: 7 }, 'ack');
      await request<Ack>(dee, { type: 'leave', room }, 'ack');
      expect(await request<Ack>(dee, { type: 'join', room }, 'ack')).toMatchObject({ read: 7 });
    }
  });

  it('gives one total order per room to concurrent senders on both instances, in three rooms at once', async () => {
    const PER_SENDER = 40;
    const rooms = ROOMS.map((r) => `order-${r}`);
    const senders = [await tcp(a, 'sa1'), await ws(a, 'sa2'), await tcp(b, 'sb1'), await ws(b, 'sb2')];
    const listeners = [await tcp(a, 'la'), await ws(b, 'lb')];
    for (const c of [...senders, ...listeners]) for (const room of rooms) await c.join(room);
    const total = senders.length * PER_SENDER;

    senders.forEach((s, k) => {
      for (let i = 0; i < PER_SENDER; i++)
        for (const room of rooms) s.send({ type: 'msg', room, text: `${k}#${i}`, id: `o-${room}-${k}-${i}` });
    });
    await waitUntil(
      () => listeners.every((l) => rooms.every((room) => l.all({ type: 'msg', room }).length >= total)),
      10_000,
      `both listeners to receive ${total} messages in each room`,
    );
    for (const c of [...senders, ...listeners]) await c.sync();

    const consecutive = Array.from({ length: total }, (_, i) => i + 1);
    for (const room of rooms) {
      const reference = new Map((listeners[0]!.all({ type: 'msg', room }) as Msg[]).map((m) => [m.seq, m.text]));
      for (const listener of listeners) {
        const msgs = listener.all({ type: 'msg', room }) as Msg[];
        expect(
          msgs.map((m) => m.seq),
          `${room}: seqs 1..${total} in arrival order`,
        ).toEqual(consecutive);
        for (const m of msgs) expect(m.text).toBe(reference.get(m.seq));
      }
      for (const [k, sender] of senders.entries()) {
        const acks = (sender.all({ type: 'ack' }) as Ack[]).filter((f) => String(f.id).startsWith(`o-${room}-${k}-`));
        expect(acks).toHaveLength(PER_SENDER);
        const own = acks.map((f) => f.seq!);
        expect(own).toEqual([...own].sort((x, y) => x - y));
        for (const f of acks) expect(reference.get(f.seq!)).toBe(`${k}#${String(f.id).split('-').at(-1)}`);
      }
    }
  });

  it('shares history across instances: latest, since, the historySize cap', async () => {
    const ROOM = 'history-beta';
    const writer = await tcp(a, 'writer');
    await writer.join(ROOM);
    const tag = 'h';
    const sent = Array.from({ length: HISTORY_SIZE + 5 }, (_, i) => `m${i + 1}`);
    sent.forEach((text, i) => writer.send({ type: 'msg', room: ROOM, text, id: `${tag}-${i}` }));
    const seqs: number[] = [];
    for (let i = 0; i < sent.length; i++)
      seqs.push(((await writer.waitFor({ type: 'ack', id: `${tag}-${i}` })) as Ack).seq!);
    expect(seqs).toEqual(sent.map((_, i) => i + 1));

    const reader = await tcp(b, 'reader');
    reader.send({ type: 'join', room: ROOM, id: 'j' });
    expect(await reader.waitFor({ type: 'ack', id: 'j' })).toMatchObject({ seq: sent.length });
    const latest = await request<HistoryFrame>(reader, { type: 'history', room: ROOM }, 'history');
    expect(latest.messages.map((m) => m.text)).toEqual(sent.slice(5));
    const since = await request<HistoryFrame>(reader, { type: 'history', room: ROOM, since: 22 }, 'history');
    expect(since.messages.map((m) => [m.seq, m.text])).toEqual([
      [23, 'm23'],
      [24, 'm24'],
      [25, 'm25'],
    ]);
  });

  it('delivers DMs to a nick on the other instance (its host channel, SPUBLISH) and refuses unknown nicks', async () => {
    const fay = await tcp(a, 'fay');
    const Gus = await ws(b, 'Gus');
    fay.send({ type: 'dm', to: 'gUS', text: 'psst', id: 'dm-1' });
    await fay.waitFor({ type: 'ack', id: 'dm-1' });
    expect(await Gus.waitFor({ type: 'dm' })).toMatchObject({ from: 'fay', to: 'Gus', text: 'psst' });
    Gus.send({ type: 'dm', to: 'FAY', text: 'back', id: 'dm-2' });
    await Gus.waitFor({ type: 'ack', id: 'dm-2' });
    expect(await fay.waitFor({ type: 'dm' })).toMatchObject({ from: 'Gus', to: 'fay', text: 'back' });
    fay.send({ type: 'dm', to: 'nobody-here', text: 'hello?', id: 'dm-3' });
    expect(await fay.waitFor({ type: 'error', id: 'dm-3' })).toMatchObject({ code: 'no_such_nick' });
  });

  it('keeps nicks unique across instances, in any letter case, and frees them on disconnect', async () => {
    const kim = await tcp(a, 'Kim');
    const other = await tcp(b);
    expect(await tryHello(other, 'kIM')).toMatchObject({ type: 'error', code: 'nick_taken' });
    expect(await tryHello(await tcp(a), 'KIM')).toMatchObject({ type: 'error', code: 'nick_taken' });
    kim.close();
    await waitUntil(() => a.ctx.hub.findNick('Kim') === undefined, 2000, 'A to drop the session');
    const deadline = Date.now() + 2000;
    let answer = await tryHello(other, 'kim');
    while (answer.type !== 'welcome' && Date.now() < deadline) answer = await tryHello(other, 'kim');
    expect(answer).toMatchObject({ type: 'welcome', nick: 'kim' });
  });
});
