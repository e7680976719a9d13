/**
 * The client against a real loopchat server on ephemeral ports, over each transport:
 * requests and their answers, pushed events, error codes, heartbeats.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../../../apps/server/src/server.js';
import { TYPING_INTERVAL_MS as PROTOCOL_TYPING_INTERVAL_MS } from '@loopchat/protocol';
import { ChatClient, TYPING_INTERVAL_MS, type Transport } from '../src/index.js';
import { codeOf, registered, startTestServer, TRANSPORTS, waitUntil, sleep, type Recorded } from './helpers.js';

it("throttles typing with the server's interval (the browser build cannot import it from the protocol)", () => {
  expect(TYPING_INTERVAL_MS).toBe(PROTOCOL_TYPING_INTERVAL_MS);
});

describe.each(TRANSPORTS)('the client over $name', ({ transport }) => {
  let server: LoopchatServer;
  const clients: Recorded[] = [];
  const client = async (nick: string) => {
    const r = await registered(transport(server), nick);
    clients.push(r);
    return r;
  };

  beforeAll(async () => {
    server = await startTestServer({ heartbeatMs: 100, idleTimeoutMs: 600 });
  });
  afterEach(() => {
    for (const r of clients.splice(0)) r.client.close();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('says hello, joins, sends and gets the ack with the seq, which the other member receives', async () => {
    const alice = await client('alice');
    expect(alice.client.nick).toBe('alice');
    expect(alice.events.welcome[0]).toMatchObject({ type: 'welcome', nick: 'alice' });
    expect(await alice.client.join('General')).toBe(0);
    const bob = await client('bob');
    expect(await bob.client.join('general')).toBe(0);

    expect(await alice.client.send('general', 'hello bob')).toMatchObject({ seq: 1 });
    await waitUntil(() => bob.events.message.length === 1, 5000, 'bob receives the message');
    expect(bob.events.message[0]).toMatchObject({ room: 'general', from: 'alice', text: 'hello bob', seq: 1 });
    // The sender's own message is part of its room's order too.
    expect(alice.events.message).toMatchObject([{ room: 'general', from: 'alice', text: 'hello bob', seq: 1 }]);
    expect(alice.client.lastSeq('general')).toBe(1);
  });

  it('pages through history: after a seq, oldest first, or the latest N', async () => {
    const carol = await client('carol');
    await carol.client.join('paging');
    for (let i = 1; i <= 5; i++) await carol.client.send('paging', `m${i}`);
    const seqs = (ms: { seq: number }[]) => ms.map((m) => m.seq);
    expect(seqs(await carol.client.history('paging', { since: 0, limit: 2 }))).toEqual([1, 2]);
    expect(seqs(await carol.client.history('paging', { since: 2, limit: 2 }))).toEqual([3, 4]);
    expect(seqs(await carol.client.history('paging', { since: 4, limit: 2 }))).toEqual([5]);
    expect(seqs(await carol.client.history('paging', { limit: 2 }))).toEqual([4, 5]);
    expect(await carol.client.join('paging')).toBe(5);
  });

  it('exchanges direct messages and names a missing nick with no_such_nick', async () => {
    const dave = await client('dave');
    const erin = await client('erin');
    expect(await dave.client.dm('erin', 'psst')).toMatchObject({ ts: expect.any(Number) });
    await waitUntil(() => erin.events.dm.length === 1, 5000, 'erin receives the dm');
    expect(erin.events.dm[0]).toMatchObject({ from: 'dave', to: 'erin', text: 'psst' });
    expect(await codeOf(dave.client.dm('nobody', 'hello?'))).toBe('no_such_nick');
  });

  it('reports presence and answers who and rooms', async () => {
    const frank = await client('frank');
    await frank.client.join('lobby');
    const grace = await client('grace');
    await grace.client.join('lobby');
    await waitUntil(() => frank.events.presence.length === 1, 5000, 'join presence');
    expect(frank.events.presence[0]).toMatchObject({ room: 'lobby', nick: 'grace', event: 'join' });
    expect((await frank.client.who('lobby')).sort()).toEqual(['frank', 'grace']);
    expect(await frank.client.rooms()).toContainEqual({ room: 'lobby', members: 2 });
    await grace.client.leave('lobby');
    expect(grace.client.joinedRooms).toEqual([]);
    await waitUntil(() => frank.events.presence.length === 2, 5000, 'leave presence');
    expect(frank.events.presence[1]).toMatchObject({ room: 'lobby', nick: 'grace', event: 'leave' });
  });

  it('sends typing at most once per interval per room, only in joined rooms, and reports others typing', async () => {
    const hank = await client('hank');
    await hank.client.join('typing');
    await hank.client.join('typing2');
    const iris = await client('iris');
    await iris.client.join('typing');
    await iris.client.join('typing2');
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) hank.client.typing('Typing', t0 + i * 10); // keystrokes
    hank.client.typing('typing2', t0);
    hank.client.typing('not-joined', t0);
    await waitUntil(() => iris.events.typing.length === 2, 5000, 'typing in both rooms');
    await sleep(100);
    expect(iris.events.typing).toEqual([
      { type: 'typing', room: 'typing', nick: 'hank' },
      { type: 'typing', room: 'typing2', nick: 'hank' },
    ]);
    expect(hank.events.typing).toEqual([]);
    // Within the interval the client sends nothing; past it (by its clock) it sends again,
    // and the server, whose clock says less time passed, drops it silently: no error.
    hank.client.typing('typing', t0 + TYPING_INTERVAL_MS + 10);
    await sleep(100);
    expect(iris.events.typing).toHaveLength(2);
    expect(hank.events.error).toEqual([]);
  });

  it('stores a read marker on the server and knows it again after rejoining', async () => {
    const jill = await client('jill');
    await jill.client.join('reading');
    for (const text of ['a', 'b', 'c']) await jill.client.send('reading', text);
    expect(jill.client.readMarker('reading')).toBeUndefined();
    await jill.client.markRead('Reading', 2);
    expect(jill.client.readMarker('reading')).toBe(2);
    await jill.client.leave('reading');
    expect(jill.client.readMarker('reading')).toBeUndefined();
    expect(await jill.client.join('reading')).toBe(3);
    expect(jill.client.readMarker('reading')).toBe(2);
    expect(await codeOf(jill.client.markRead('not-joined', 1))).toBe('not_in_room');
  });

  it('reports topic, mod and delete frames, and drops a room it was kicked from so a reconnect does not rejoin it', async () => {
    let inject: (text: string) => void = () => {};
    const spied: Transport = (handlers) => {
      inject = (text) => handlers.onFrame(text);
      return transport(server)(handlers);
    };
    const kim = await registered(spied, 'kim');
    clients.push(kim);
    await kim.client.join('stay');
    await kim.client.join('out');
    const ts = Date.now();
    inject(JSON.stringify({ type: 'topic', room: 'stay', text: 'hello', by: 'op1', ts }));
    inject(JSON.stringify({ type: 'delete', room: 'stay', seq: 1, by: 'op1', ts }));
    inject(JSON.stringify({ type: 'mod', room: 'stay', action: 'kick', nick: 'someone', by: 'op1', ts }));
    inject(JSON.stringify({ type: 'mod', room: 'out', action: 'kick', nick: 'KIM', by: 'op1', ts }));
    expect(kim.events.topic).toMatchObject([{ room: 'stay', text: 'hello' }]);
    expect(kim.events.delete).toMatchObject([{ room: 'stay', seq: 1 }]);
    expect(kim.events.mod.map((f) => f.nick)).toEqual(['someone', 'KIM']);
    expect(kim.client.joinedRooms).toEqual(['stay']);
  });

  it('rejects refused requests with the server error code', async () => {
    const heidi = await client('heidi');
    expect(await codeOf(heidi.client.send('nowhere', 'hi'))).toBe('not_in_room');
    expect(await codeOf(heidi.client.join('no spaces'))).toBe('invalid_room');
    expect(heidi.client.joinedRooms).toEqual([]);
    expect(await codeOf(heidi.client.hello('heidi2'))).toBe('already_registered');
    const other = recordedFor();
    await other.connect();
    expect(await codeOf(other.hello('heidi'))).toBe('nick_taken');
    other.close();
  });

  it('answers the server heartbeat, so a quiet connection outlives the idle timeout', async () => {
    const ivan = await client('ivan');
    await sleep(1500); // idle timeout 600 ms, heartbeat every 100 ms
    expect(ivan.client.connected).toBe(true);
    expect(ivan.events.close).toEqual([]);
    expect(await ivan.client.join('still-here')).toBe(0);
  });

  it('rejects requests with not_connected before connect() and closed after close()', async () => {
    const c = recordedFor();
    expect(await codeOf(c.join('general'))).toBe('not_connected');
    await c.connect();
    const pending = c.hello('judy');
    c.close();
    expect(await codeOf(pending)).toBe('closed');
  });

  function recordedFor(): ChatClient {
    return new ChatClient({ transport: transport(server), reconnect: false });
  }
});
