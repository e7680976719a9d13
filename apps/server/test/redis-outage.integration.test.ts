/**
 * Redis outage in multi-host mode (issue 3, "Redis outage"): two server instances on one
 * Redis; Redis goes away (SIGKILL: a crash) and comes back EMPTY on the same port (no
 * persistence, like a restarted cache). The steps run in order and share the servers.
 *
 * What a client sees, and what it must do (what these tests hold the server to):
 *
 *   during the outage   its connection stays open; `ping` is answered; every command that
 *                       needs Redis — hello, join, msg, dm, history, who, rooms — is answered
 *                       `error {code:"unavailable", id}` (text mode: `! unavailable: …`),
 *                       never acknowledged, and nothing it sent is delivered or stored. It
 *                       retries later. /healthz stays 200; /readyz is 503 (load balancers stop
 *                       sending new clients to the instance).
 *   after Redis returns /readyz is 200 again within seconds. The server resubscribes by
 *                       itself, so room messages flow across instances again to members that
 *                       stayed connected. The client then re-sends `join` for each room it is
 *                       in (README: "clients re-join after an unavailable spell"): that puts it
 *                       back in the member list (`who`) the empty Redis lost, and the join ack's
 *                       seq is the room's latest seq in the new Redis — lower than the last seq
 *                       it saw means the room started over (seqs restart at 1, the old history
 *                       is gone): it resets its `history {since}` cursor to that seq.
 *                       Every message acknowledged after recovery is in the room's history.
 *   its nick            should be reserved again without the client doing anything (DMs reach
 *                       it, nobody else can take it). The RedisBus only re-creates nick leases
 *                       on its 20-second refresh: see the two failing tests at the end. Until
 *                       that is fixed the client-side workaround is to reconnect and say hello
 *                       again (tested too).
 *
 * Needs a Redis this file may stop: a spawned redis-server, or REDIS_URL behind the local
 * proxy of helpers/redis.ts (stop() cuts it and deletes this file's keys: an "empty" Redis).
 */
import type { ServerFrame } from '@loopchat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, TcpTextClient, WsClient, httpGet, sleep, waitUntil } from './helpers/clients.js';
import { skipRedisSuites, startRedis, startRedisTestServer, type TestRedis } from './helpers/redis.js';

type Msg = Extract<ServerFrame, { type: 'msg' }>;
type Ack = Extract<ServerFrame, { type: 'ack' }>;
type HistoryFrame = Extract<ServerFrame, { type: 'history' }>;
type MembersFrame = Extract<ServerFrame, { type: 'members' }>;
type Client = TcpJsonClient | WsClient;

const ROOM = 'ops';

describe.skipIf(skipRedisSuites())('a Redis outage seen from two server instances', () => {
  let redis: TestRedis;
  let a: LoopchatServer;
  let b: LoopchatServer;
  let alice: TcpJsonClient; // on A
  let bob: TcpJsonClient; // on B
  let carol: WsClient; // on B
  let tom: TcpTextClient; // on A, a human with nc
  const open: { close(): void }[] = [];
  /** Seqs each client saw before the outage (the cursor a real client keeps). */
  let lastSeenBefore = 0;

  beforeAll(async () => {
    redis = await startRedis();
    a = await startRedisTestServer(redis, { ratePerSecond: 0, historySize: 200 });
    b = await startRedisTestServer(redis, { ratePerSecond: 0, historySize: 200 });
    alice = await tcp(a, 'alice');
    bob = await tcp(b, 'bob');
    carol = await WsClient.connect(b.httpPort);
    open.push(carol);
    await carol.hello('carol');
    tom = await TcpTextClient.connect(a.tcpPort);
    open.push(tom);
    tom.line('/nick tom');
    await tom.waitFor('* welcome, tom');
    for (const c of [alice, bob, carol]) await c.join(ROOM);
    tom.line(`/join ${ROOM}`);
    await tom.waitFor(`* ${ROOM} (4)`);
  });

  afterAll(async () => {
    for (const client of open.splice(0)) client.close();
    await Promise.allSettled([a?.close(), b?.close()]);
    await redis?.stop();
  });

  async function tcp(server: LoopchatServer, nick?: string): Promise<TcpJsonClient> {
    const client = await TcpJsonClient.connect(server.tcpPort);
    open.push(client);
    if (nick !== undefined) await client.hello(nick);
    return client;
  }

  let idCounter = 0;
  /** Sends `frame` with a fresh id; resolves with the frame that answers it (ack, error, or a response). */
  async function ask(
    client: Client,
    frame: Record<string, unknown>,
    responseType = 'ack',
    timeoutMs = 5000,
  ): Promise<ServerFrame> {
    const id = `${frame['type'] as string}-${++idCounter}`;
    client.send({ ...frame, id });
    return client.waitForAny(
      [
        { type: responseType, id },
        { type: 'error', id },
      ],
      timeoutMs,
    );
  }

  async function readyz(server: LoopchatServer): Promise<number> {
    return (await httpGet(server.httpPort, '/readyz')).status;
  }

  async function pollReadyz(status: number, timeoutMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      const [sa, sb] = await Promise.all([readyz(a), readyz(b)]);
      if (sa === status && sb === status) return Date.now() - started;
      if (Date.now() - started > timeoutMs)
        throw new Error(`/readyz still ${sa} (A) and ${sb} (B) after ${timeoutMs} ms, want ${status}`);
      await sleep(25);
    }
  }

  const socketsOpen = (): boolean =>
    !alice.socket.destroyed && !bob.socket.destroyed && !tom.socket.destroyed && carol.ws.readyState === carol.ws.OPEN;

  it('before the outage: both instances are ready and deliver across hosts', async () => {
    expect(await readyz(a)).toBe(200);
    expect(await readyz(b)).toBe(200);
    for (let i = 1; i <= 3; i++) {
      expect(await ask(alice, { type: 'msg', room: ROOM, text: `before ${i}` })).toMatchObject({ type: 'ack', seq: i });
      expect(await bob.waitFor({ type: 'msg', text: `before ${i}` })).toMatchObject({ from: 'alice', seq: i });
      expect(await carol.waitFor({ type: 'msg', text: `before ${i}` })).toMatchObject({ from: 'alice', seq: i });
      await tom.waitFor(`before ${i}`);
    }
    lastSeenBefore = 3;
  });

  it('while Redis is down: /readyz 503, /healthz 200, ping answered, connections open, every Redis command refused with `unavailable`', async () => {
    // A message already sent to Redis when it dies (held there by CLIENT PAUSE, so it is
    // surely in flight; only on a Redis this file owns) must be refused too, not acked later.
    const inFlight = redis.mode === 'spawn';
    if (inFlight) {
      const raw = redis.client();
      expect(await raw.call('CLIENT', 'PAUSE', '10000', 'ALL')).toBe('OK');
      raw.disconnect();
      alice.send({ type: 'msg', room: ROOM, text: 'in flight when Redis died (lost in the outage)', id: 'in-flight' });
      await sleep(100);
    }
    await redis.stop();
    if (inFlight) {
      expect(
        await alice.waitForAny(
          [
            { type: 'ack', id: 'in-flight' },
            { type: 'error', id: 'in-flight' },
          ],
          3000,
        ),
      ).toMatchObject({
        type: 'error',
        code: 'unavailable',
      });
    }
    const took = await pollReadyz(503, 3000);
    expect(took).toBeLessThan(3000);
    const body = JSON.parse((await httpGet(a.httpPort, '/readyz')).body) as { ready: boolean; reason: string };
    expect(body).toMatchObject({ ready: false, reason: 'redis bus unavailable' });
    for (const server of [a, b]) expect((await httpGet(server.httpPort, '/healthz')).status).toBe(200);

    // Local things go on.
    expect(await ask(alice, { type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    expect(await ask(carol, { type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    tom.line('/ping');
    await tom.waitFor('* pong');

    // A message is refused at once, with its id — never acknowledged.
    const started = Date.now();
    alice.send({ type: 'msg', room: ROOM, text: 'lost in the outage', id: 'down-1' });
    expect(
      await alice.waitForAny(
        [
          { type: 'ack', id: 'down-1' },
          { type: 'error', id: 'down-1' },
        ],
        2000,
      ),
    ).toMatchObject({
      type: 'error',
      code: 'unavailable',
      id: 'down-1',
    });
    expect(Date.now() - started).toBeLessThan(500);
    expect(await ask(carol, { type: 'msg', room: ROOM, text: 'also lost' })).toMatchObject({
      type: 'error',
      code: 'unavailable',
    });
    tom.line('typed during the outage');
    await tom.waitFor('! unavailable');

    // So is everything else that needs Redis.
    expect(await ask(alice, { type: 'dm', to: 'bob', text: 'psst' })).toMatchObject({ type: 'error', code: 'unavailable' });
    expect(await ask(alice, { type: 'history', room: ROOM }, 'history')).toMatchObject({
      type: 'error',
      code: 'unavailable',
    });
    expect(await ask(bob, { type: 'who', room: ROOM }, 'members')).toMatchObject({ type: 'error', code: 'unavailable' });
    expect(await ask(bob, { type: 'rooms' }, 'rooms')).toMatchObject({ type: 'error', code: 'unavailable' });
    // Joining a room this instance already listens to needs no new subscription: refused at once.
    expect(await ask(bob, { type: 'join', room: ROOM })).toMatchObject({ type: 'error', code: 'unavailable' });
    const newcomer = await tcp(a);
    expect(await ask(newcomer, { type: 'hello', nick: 'newcomer' }, 'welcome')).toMatchObject({
      type: 'error',
      code: 'unavailable',
    });
    expect(await ask(newcomer, { type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });

    // Nobody received what was refused, no ack ever came, and every connection is still open.
    await sleep(300);
    for (const c of [alice, bob, carol]) await c.sync();
    expect(alice.all({ type: 'ack', id: 'down-1' })).toEqual([]);
    expect(alice.all({ type: 'ack', id: 'in-flight' })).toEqual([]);
    for (const c of [alice, bob, carol])
      expect(c.all({ type: 'msg' }).filter((m) => !(m as Msg).text.startsWith('before'))).toEqual([]);
    expect(tom.inbox.items.some((line) => line.includes('lost'))).toBe(false);
    expect(socketsOpen()).toBe(true);
    expect(await readyz(a)).toBe(503);
  });

  it('while Redis is down: joining a room new to the instance is refused as fast as a msg (not held until the subscriber gives up)', async () => {
    // The first join of a room on an instance SUBSCRIBEs on the subscriber connection, which
    // queues commands while reconnecting; the join waits for ioredis to flush that queue
    // (every other reconnect attempt, up to ~2 s apart) instead of failing at once.
    // Several joins spread over the reconnect attempts; each should fail at once, like a msg.
    const latencies: string[] = [];
    for (let i = 0; i < 6; i++) {
      const started = Date.now();
      const answer = await ask(alice, { type: 'join', room: `fresh-${i}` }, 'ack', 1000).catch(() => undefined);
      const took = Date.now() - started;
      latencies.push(answer === undefined ? `>${took}` : String(took));
      // Not answered within a second, or slow: the bug shows; stop here (the file keeps its time budget).
      if (answer === undefined || took >= 500) break;
      expect(answer).toMatchObject({ type: 'error', code: 'unavailable' });
      await sleep(250);
    }
    expect(
      latencies.every((l) => !l.startsWith('>') && Number(l) < 500),
      `join latencies during the outage (ms): ${latencies.join(', ')}`,
    ).toBe(true);
  });

  it('after Redis restarts (empty, same port): /readyz is 200 again within a few seconds on both instances', async () => {
    await redis.restart();
    const took = await pollReadyz(200, 6000);
    expect(took).toBeLessThan(6000);
    expect(socketsOpen()).toBe(true);
  });

  it('after recovery: room messages flow across instances again to members that stayed connected', async () => {
    // No client action needed for delivery: each instance resubscribed to its rooms.
    const ack = (await ask(alice, { type: 'msg', room: ROOM, text: 'back A→B' })) as Ack;
    expect(ack).toMatchObject({ type: 'ack' });
    expect(await bob.waitFor({ type: 'msg', text: 'back A→B' })).toMatchObject({ from: 'alice', seq: ack.seq });
    expect(await carol.waitFor({ type: 'msg', text: 'back A→B' })).toMatchObject({ from: 'alice', seq: ack.seq });
    await tom.waitFor('back A→B');

    const ack2 = (await ask(bob, { type: 'msg', room: ROOM, text: 'back B→A' })) as Ack;
    expect(ack2).toMatchObject({ type: 'ack', seq: ack.seq! + 1 });
    expect(await alice.waitFor({ type: 'msg', text: 'back B→A' })).toMatchObject({ from: 'bob', seq: ack2.seq });
    // The empty Redis started the room over: seqs restart at 1, below what clients saw before.
    expect(ack.seq).toBe(1);
    expect(ack.seq!).toBeLessThan(lastSeenBefore);
  });

  it('after recovery: a client re-joins each room (the documented step): it is listed in `who` again and learns the room started over', async () => {
    for (const c of [alice, bob, carol]) {
      const ack = (await ask(c, { type: 'join', room: ROOM })) as Ack;
      expect(ack).toMatchObject({ type: 'ack', seq: 2 });
      // 2 is below the 3 it saw before the outage: the old history is gone, the client
      // restarts its `since` cursor at 2 (it already got 1 and 2 live).
      expect(ack.seq!).toBeLessThan(lastSeenBefore);
    }
    tom.line(`/join ${ROOM}`);
    await tom.waitFor(/^\* ops \(\d+\)/);

    for (const asker of [alice, bob]) {
      const who = (await ask(asker, { type: 'who', room: ROOM }, 'members')) as MembersFrame;
      expect([...who.nicks].sort()).toEqual(['alice', 'bob', 'carol', 'tom']);
    }
    const history = (await ask(carol, { type: 'history', room: ROOM }, 'history')) as HistoryFrame;
    expect(history.messages.map((m) => [m.seq, m.text])).toEqual([
      [1, 'back A→B'],
      [2, 'back B→A'],
    ]);
  });

  it('after recovery: every message acknowledged from either instance is in the shared history, in one order; nothing refused during the outage is', async () => {
    const PER_SENDER = 40;
    const senders: [Client, string][] = [
      [alice, 'alice'],
      [bob, 'bob'],
      [carol, 'carol'],
    ];
    for (const [client, nick] of senders) {
      for (let i = 0; i < PER_SENDER; i++)
        client.send({ type: 'msg', room: ROOM, text: `${nick} after #${i}`, id: `after-${nick}-${i}` });
    }
    const acked = new Map<number, string>();
    for (const [client, nick] of senders) {
      for (let i = 0; i < PER_SENDER; i++) {
        const answer = await client.waitForAny([
          { type: 'ack', id: `after-${nick}-${i}` },
          { type: 'error', id: `after-${nick}-${i}` },
        ]);
        expect(answer, `${nick} message ${i}`).toMatchObject({ type: 'ack' });
        acked.set((answer as Ack).seq!, `${nick} after #${i}`);
      }
    }
    expect(acked.size).toBe(senders.length * PER_SENDER);

    for (const reader of [alice, bob]) {
      const history = (await ask(reader, { type: 'history', room: ROOM, since: 2, limit: 1000 }, 'history')) as HistoryFrame;
      const stored = new Map(history.messages.map((m) => [m.seq, m.text]));
      for (const [seq, text] of acked) expect(stored.get(seq), `acked seq ${seq}`).toBe(text);
      expect(history.messages.map((m) => m.seq)).toEqual(Array.from({ length: acked.size }, (_, i) => i + 3));
    }
    const all = (await ask(alice, { type: 'history', room: ROOM, limit: 1000 }, 'history')) as HistoryFrame;
    expect(all.messages.some((m) => m.text.includes('lost') || m.text.includes('outage'))).toBe(false);
    // …and what was in flight when Redis died was not acknowledged late, after recovery.
    expect(alice.all({ type: 'ack', id: 'in-flight' })).toEqual([]);

    // Live delivery agrees with history: bob (on B) saw alice's and carol's in seq order.
    await waitUntil(
      () => bob.all({ type: 'msg', from: 'alice' }).length >= PER_SENDER + 1,
      3000,
      'bob to get alice’s messages',
    );
    const bobSeqs = (bob.all({ type: 'msg' }) as Msg[]).map((m) => m.seq).filter((s) => s > 2);
    expect(bobSeqs).toEqual([...bobSeqs].sort((x, y) => x - y));
  });

  it('workaround until nick leases are restored on reconnect: a client that reconnects and says hello again gets DMs again', async () => {
    carol.close();
    await waitUntil(() => b.ctx.hub.findNick('carol') === undefined, 2000, 'B to drop carol');
    carol = await WsClient.connect(b.httpPort);
    open.push(carol);
    await carol.hello('carol');
    await carol.join(ROOM);
    expect(await ask(alice, { type: 'dm', to: 'carol', text: 'found you' })).toMatchObject({ type: 'ack' });
    expect(await carol.waitFor({ type: 'dm' })).toMatchObject({ from: 'alice', text: 'found you' });
  });

  it('after recovery: a DM reaches a client that stayed connected on the other instance (its nick lease is restored without waiting for the 20 s refresh)', async () => {
    // bob stayed connected on B through the outage and did everything the README asks.
    const deadline = Date.now() + 3000;
    let answer: ServerFrame;
    do {
      answer = await ask(alice, { type: 'dm', to: 'bob', text: 'are you back?' });
      if (answer.type === 'ack') break;
      await sleep(200);
    } while (Date.now() < deadline);
    expect(answer, 'DM to bob (connected on B) after Redis came back').toMatchObject({ type: 'ack' });
    expect(await bob.waitFor({ type: 'dm' }, 1000)).toMatchObject({ from: 'alice', text: 'are you back?' });
  });

  it('after recovery: the nick of a client that stayed connected cannot be taken on the other instance', async () => {
    const impostor = await tcp(a);
    const answer = await ask(impostor, { type: 'hello', nick: 'bob' }, 'welcome');
    expect(answer, 'hello "bob" on A while bob is still connected on B').toMatchObject({
      type: 'error',
      code: 'nick_taken',
    });
  });
});
