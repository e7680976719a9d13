/**
 * The request/answer contract (DESIGN.md, "Protocol contract"): every client frame with an
 * `id` is answered with `ack`, `error` or its response frame carrying that id; room seqs
 * start at 1 and grow by 1 per room; session-state errors; presence.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '@loopchat/protocol';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, TcpTextClient, WsClient, waitUntil } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

let server: LoopchatServer;
const open: { close(): void }[] = [];

async function json(nick?: string): Promise<TcpJsonClient> {
  const client = await TcpJsonClient.connect(server.tcpPort);
  open.push(client);
  if (nick !== undefined) await client.hello(nick);
  return client;
}

async function ws(nick?: string): Promise<WsClient> {
  const client = await WsClient.connect(server.httpPort);
  open.push(client);
  if (nick !== undefined) await client.hello(nick);
  return client;
}

beforeAll(async () => {
  server = await startTestServer({ maxRoomsPerConnection: 2, ratePerSecond: 0 });
});

afterEach(async () => {
  for (const client of open.splice(0)) client.close();
  // Nicks and memberships are released when the server sees the close.
  await waitUntil(() => server.ctx.sessions.size === 0, 2000, 'every session to close');
});

afterAll(async () => {
  await server.close();
});

describe('every frame that carries an id is answered with that id', () => {
  it('answers hello with a welcome carrying the id', async () => {
    const alice = await json();
    alice.send({ type: 'hello', nick: 'alice', id: 'h1' });
    expect(await alice.waitFor({ type: 'welcome' })).toMatchObject({ nick: 'alice', id: 'h1' });
  });

  it('acks join with the room latest seq (0 for a new room, then the seq of the newest message)', async () => {
    const alice = await json('alice');
    alice.send({ type: 'join', room: 'acks-join', id: 'j1' });
    expect(await alice.waitFor({ type: 'ack', id: 'j1' })).toMatchObject({ seq: 0 });
    alice.send({ type: 'msg', room: 'acks-join', text: 'one', id: 'm1' });
    alice.send({ type: 'msg', room: 'acks-join', text: 'two', id: 'm2' });
    await alice.waitFor({ type: 'ack', id: 'm2' });

    const bob = await json('bob');
    bob.send({ type: 'join', room: 'acks-join', id: 42 });
    expect(await bob.waitFor({ type: 'ack', id: 42 })).toMatchObject({ seq: 2 });
  });

  it('acks msg with the seq the message got, and dm with an ack', async () => {
    const alice = await json('alice');
    await json('bob');
    await alice.join('acks-msg');
    alice.send({ type: 'msg', room: 'acks-msg', text: 'hi', id: 'm1' });
    const ack = await alice.waitFor({ type: 'ack', id: 'm1' });
    expect(ack).toMatchObject({ seq: 1 });
    expect(typeof (ack as { ts: unknown }).ts).toBe('number');
    alice.send({ type: 'dm', to: 'bob', text: 'psst', id: 'd1' });
    expect(await alice.waitFor({ type: 'ack', id: 'd1' })).toMatchObject({ type: 'ack', id: 'd1' });
  });

  it('answers history, who, rooms and ping with their response frames carrying the id', async () => {
    const alice = await json('alice');
    await alice.join('acks-resp');
    alice.send({ type: 'history', room: 'acks-resp', id: 'h' });
    expect(await alice.waitFor({ type: 'history', id: 'h' })).toMatchObject({ room: 'acks-resp', messages: [] });
    alice.send({ type: 'who', room: 'acks-resp', id: 'w' });
    expect(await alice.waitFor({ type: 'members', id: 'w' })).toMatchObject({ room: 'acks-resp', nicks: ['alice'] });
    alice.send({ type: 'rooms', id: 'r' });
    const rooms = await alice.waitFor({ type: 'rooms', id: 'r' });
    expect((rooms as Extract<ServerFrame, { type: 'rooms' }>).rooms).toContainEqual({ room: 'acks-resp', members: 1 });
    alice.send({ type: 'ping', id: 0 });
    expect(await alice.waitFor({ type: 'pong', id: 0 })).toEqual({ type: 'pong', id: 0 });
  });

  it('answers a frame without id with nothing (no ack)', async () => {
    const alice = await json('alice');
    const bob = await json('bob');
    alice.send({ type: 'join', room: 'acks-none' });
    await bob.join('acks-none');
    alice.send({ type: 'msg', room: 'acks-none', text: 'no id' });
    await bob.waitFor({ type: 'msg', text: 'no id' });
    alice.send({ type: 'dm', to: 'bob', text: 'no id either' });
    await bob.waitFor({ type: 'dm', text: 'no id either' });
    await alice.sync();
    expect(alice.all({ type: 'ack' })).toEqual([]);
    expect(alice.all({ type: 'error' })).toEqual([]);
  });
});

describe('room seq', () => {
  it('starts at 1 and grows by 1 per message, independently in each room', async () => {
    const alice = await json('alice');
    await alice.join('seq-a');
    await alice.join('seq-b');
    const order = ['seq-a', 'seq-b', 'seq-a', 'seq-a', 'seq-b', 'seq-a'];
    order.forEach((room, i) => alice.send({ type: 'msg', room, text: `m${i}`, id: i }));
    const seqs: Record<string, number[]> = { 'seq-a': [], 'seq-b': [] };
    for (let i = 0; i < order.length; i++) {
      const ack = (await alice.waitFor({ type: 'ack', id: i })) as { seq: number };
      seqs[order[i]!]!.push(ack.seq);
    }
    expect(seqs).toEqual({ 'seq-a': [1, 2, 3, 4], 'seq-b': [1, 2] });
  });

  it('delivers each message to the other members with the seq of its ack', async () => {
    const alice = await json('alice');
    const bob = await json('bob');
    const carol = await ws('carol');
    for (const c of [alice, bob, carol]) await c.join('seq-fan');
    for (let i = 0; i < 5; i++) alice.send({ type: 'msg', room: 'seq-fan', text: `t${i}`, id: `m${i}` });
    await alice.waitFor({ type: 'ack', id: 'm4' });
    for (const reader of [bob, carol]) {
      await reader.waitFor({ type: 'msg', text: 't4' });
      expect(reader.all({ type: 'msg' }).map((m) => (m as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5]);
      expect(reader.all({ type: 'msg' })[0]).toMatchObject({ room: 'seq-fan', from: 'alice', text: 't0', id: 'm0' });
    }
  });
});

describe('room names', () => {
  it('are case-insensitive: General and general are one room with one seq', async () => {
    const alice = await json('alice');
    const bob = await ws('bob');
    alice.send({ type: 'join', room: 'General', id: 'j' });
    await alice.waitFor({ type: 'ack', id: 'j' });
    await bob.join('GENERAL');
    alice.send({ type: 'msg', room: 'gEnErAl', text: 'case', id: 'm' });
    expect(await alice.waitFor({ type: 'ack', id: 'm' })).toMatchObject({ seq: 1 });
    expect(await bob.waitFor({ type: 'msg', text: 'case' })).toMatchObject({ room: 'general', seq: 1 });
  });
});

describe('who receives a message', () => {
  it('does not send a JSON sender its own room message', async () => {
    const alice = await json('alice');
    const bob = await ws('bob');
    await alice.join('self');
    await bob.join('self');
    alice.send({ type: 'msg', room: 'self', text: 'from alice', id: 'a' });
    bob.send({ type: 'msg', room: 'self', text: 'from bob', id: 'b' });
    await alice.waitFor({ type: 'msg', text: 'from bob' });
    await bob.waitFor({ type: 'msg', text: 'from alice' });
    await alice.sync();
    await bob.sync();
    expect(alice.all({ type: 'msg', from: 'alice' })).toEqual([]);
    expect(bob.all({ type: 'msg', from: 'bob' })).toEqual([]);
  });

  it('echoes a text-mode sender its own line', async () => {
    const carol = await TcpTextClient.connect(server.tcpPort);
    open.push(carol);
    const alice = await json('alice');
    carol.line('/nick carol');
    await carol.waitFor('* welcome, carol');
    carol.line('/join echo');
    await carol.waitFor('* echo (1)');
    await alice.join('echo');
    carol.line('hello there');
    await carol.waitFor('[echo] carol: hello there');
    expect(await alice.waitFor({ type: 'msg', text: 'hello there' })).toMatchObject({ from: 'carol', seq: 1 });
  });

  it('delivers a dm only to its target, and answers an unknown nick with no_such_nick', async () => {
    const alice = await json('alice');
    const bob = await json('bob');
    const carol = await json('carol');
    for (const c of [alice, bob, carol]) await c.join('dm-room');
    alice.send({ type: 'dm', to: 'BOB', text: 'secret', id: 'd1' });
    await alice.waitFor({ type: 'ack', id: 'd1' });
    expect(await bob.waitFor({ type: 'dm', text: 'secret' })).toMatchObject({ from: 'alice', to: 'bob' });
    await carol.sync();
    await alice.sync();
    expect(carol.inbox.items.filter((f) => JSON.stringify(f).includes('secret'))).toEqual([]);
    expect(alice.all({ type: 'dm' })).toEqual([]);

    alice.send({ type: 'dm', to: 'nobody', text: 'hello?', id: 'd2' });
    expect(await alice.waitFor({ type: 'error', id: 'd2' })).toMatchObject({ code: 'no_such_nick' });
  });
});

describe('session state errors', () => {
  it('refuses a nick held by another connection, case-insensitively (nick_taken)', async () => {
    await json('Alice');
    const other = await json();
    other.send({ type: 'hello', nick: 'aLiCe', id: 'h' });
    expect(await other.waitFor({ type: 'error', id: 'h' })).toMatchObject({ code: 'nick_taken' });
    // The connection stays usable: another nick works.
    other.send({ type: 'hello', nick: 'alice2', id: 'h2' });
    expect(await other.waitFor({ type: 'welcome', id: 'h2' })).toMatchObject({ nick: 'alice2' });
  });

  it('frees a nick when its connection closes', async () => {
    const first = await json('dana');
    first.close();
    await waitUntil(() => server.ctx.sessions.size === 0, 2000, 'dana to disconnect');
    const second = await json();
    second.send({ type: 'hello', nick: 'dana', id: 'h' });
    await second.waitFor({ type: 'welcome', id: 'h' });
  });

  it('refuses a second hello on the same connection (already_registered)', async () => {
    const alice = await json('alice');
    alice.send({ type: 'hello', nick: 'other', id: 'again' });
    expect(await alice.waitFor({ type: 'error', id: 'again' })).toMatchObject({ code: 'already_registered' });
  });

  it('refuses join, msg, dm, history, who and rooms before hello (not_registered) but answers ping', async () => {
    const anon = await json();
    const frames = [
      { type: 'join', room: 'x', id: 1 },
      { type: 'msg', room: 'x', text: 't', id: 2 },
      { type: 'dm', to: 'someone', text: 't', id: 3 },
      { type: 'history', room: 'x', id: 4 },
      { type: 'who', room: 'x', id: 5 },
      { type: 'rooms', id: 6 },
    ];
    for (const frame of frames) anon.send(frame);
    for (const { id } of frames) expect(await anon.waitFor({ type: 'error', id })).toMatchObject({ code: 'not_registered' });
    anon.send({ type: 'ping', id: 7 });
    await anon.waitFor({ type: 'pong', id: 7 });
  });

  it('refuses msg and history to a room not joined (not_in_room), whether or not the room exists', async () => {
    const alice = await json('alice');
    const bob = await json('bob');
    await bob.join('bobs-room');
    alice.send({ type: 'msg', room: 'bobs-room', text: 'let me in', id: 'm' });
    expect(await alice.waitFor({ type: 'error', id: 'm' })).toMatchObject({ code: 'not_in_room' });
    alice.send({ type: 'history', room: 'bobs-room', id: 'h' });
    expect(await alice.waitFor({ type: 'error', id: 'h' })).toMatchObject({ code: 'not_in_room' });
    alice.send({ type: 'msg', room: 'no-such-room', text: 'hello', id: 'm2' });
    expect(await alice.waitFor({ type: 'error', id: 'm2' })).toMatchObject({ code: 'not_in_room' });
    await bob.sync();
    expect(bob.all({ type: 'msg' })).toEqual([]);
  });

  it('refuses msg to a room after leaving it (not_in_room)', async () => {
    const alice = await json('alice');
    await alice.join('left');
    alice.send({ type: 'leave', room: 'left', id: 'l' });
    await alice.waitFor({ type: 'ack', id: 'l' });
    alice.send({ type: 'msg', room: 'left', text: 'still here?', id: 'm' });
    expect(await alice.waitFor({ type: 'error', id: 'm' })).toMatchObject({ code: 'not_in_room' });
  });

  it('refuses a join over maxRoomsPerConnection (too_many_rooms) and allows it after a leave', async () => {
    const alice = await json('alice');
    await alice.join('r1');
    await alice.join('r2');
    alice.send({ type: 'join', room: 'r3', id: 'j3' });
    expect(await alice.waitFor({ type: 'error', id: 'j3' })).toMatchObject({ code: 'too_many_rooms' });
    // Re-joining a room already joined is not a new room.
    alice.send({ type: 'join', room: 'r1', id: 'again' });
    await alice.waitFor({ type: 'ack', id: 'again' });
    alice.send({ type: 'leave', room: 'r1', id: 'l1' });
    await alice.waitFor({ type: 'ack', id: 'l1' });
    alice.send({ type: 'join', room: 'r3', id: 'j3b' });
    await alice.waitFor({ type: 'ack', id: 'j3b' });
  });
});

describe('presence', () => {
  it('tells the other members when someone joins and leaves, but not the one who moves', async () => {
    const alice = await json('alice');
    const bob = await ws('bob');
    await alice.join('presence');
    await bob.join('presence');
    expect(await alice.waitFor({ type: 'presence', nick: 'bob' })).toEqual({
      type: 'presence',
      room: 'presence',
      nick: 'bob',
      event: 'join',
    });
    bob.send({ type: 'leave', room: 'presence', id: 'l' });
    await bob.waitFor({ type: 'ack', id: 'l' });
    expect(await alice.waitFor({ type: 'presence', nick: 'bob' })).toMatchObject({ event: 'leave' });
    await bob.sync();
    expect(bob.all({ type: 'presence' })).toEqual([]);
  });

  it('tells the other members that a member left when its connection drops', async () => {
    const alice = await json('alice');
    const bob = await json('bob');
    await alice.join('presence-drop');
    await bob.join('presence-drop');
    await alice.waitFor({ type: 'presence', nick: 'bob', event: 'join' });
    bob.close();
    expect(await alice.waitFor({ type: 'presence', nick: 'bob' })).toMatchObject({ room: 'presence-drop', event: 'leave' });
    alice.send({ type: 'who', room: 'presence-drop', id: 'w' });
    expect(await alice.waitFor({ type: 'members', id: 'w' })).toMatchObject({ nicks: ['alice'] });
  });
});
