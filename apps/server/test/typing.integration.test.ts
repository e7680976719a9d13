/**
 * Typing indicators (issue 16, item 3) in one process: `typing {room}` is relayed to the
 * room's other members as `typing {room, nick}`, never stored, at most once per
 * TYPING_INTERVAL_MS per connection and room, not in rooms over the presence limit, and
 * never shown to text-mode members. Cluster and Redis relays: cluster/primary-bus.test.ts,
 * cluster.integration.test.ts and redis-bus.integration.test.ts.
 */
import { TYPING_INTERVAL_MS } from '@loopchat/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, TcpTextClient, WsClient, sleep } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

describe('typing indicators', () => {
  let server: LoopchatServer;
  const open: { close(): void }[] = [];

  beforeAll(async () => {
    server = await startTestServer({ presenceMaxMembers: 3 });
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });
  afterAll(async () => {
    await server.close();
  });

  /** A registered member of `room`, over TCP JSON lines or WebSocket. */
  async function member<C extends TcpJsonClient | WsClient>(connecting: Promise<C>, nick: string, room: string): Promise<C> {
    const client = await connecting;
    open.push(client);
    await client.hello(nick);
    await client.join(room);
    return client;
  }
  const json = (nick: string, room: string) => member(TcpJsonClient.connect(server.tcpPort), nick, room);
  const ws = (nick: string, room: string) => member(WsClient.connect(server.httpPort), nick, room);

  it('relays typing to the other members (TCP and WebSocket), not to the typer, and stores nothing', async () => {
    const alice = await json('alice', 'den');
    const bob = await ws('bob', 'den');
    alice.send({ type: 'typing', room: 'Den', id: 't1' });
    expect(await alice.waitFor({ type: 'ack', id: 't1' })).not.toHaveProperty('seq');
    expect(await bob.waitFor({ type: 'typing' })).toEqual({ type: 'typing', room: 'den', nick: 'alice' });
    await alice.sync();
    expect(alice.all({ type: 'typing' })).toEqual([]);

    // Never stored: the room's seq did not move and history is empty.
    bob.send({ type: 'history', room: 'den', id: 'h' });
    expect(await bob.waitFor({ type: 'history', id: 'h' })).toMatchObject({ messages: [] });
    bob.send({ type: 'join', room: 'den', id: 'j' });
    expect(await bob.waitFor({ type: 'ack', id: 'j' })).toMatchObject({ seq: 0 });
  });

  it(`relays at most one per ${TYPING_INTERVAL_MS} ms per connection and room, dropping the rest silently`, async () => {
    const carol = await json('carol', 'pace');
    const dave = await json('dave', 'pace');
    await carol.join('other');
    await dave.join('other');
    for (let i = 0; i < 5; i++) carol.send({ type: 'typing', room: 'pace', id: `p${i}` });
    carol.send({ type: 'typing', room: 'other' }); // another room has its own interval
    for (let i = 0; i < 5; i++) await carol.waitFor({ type: 'ack', id: `p${i}` }); // each id answered, none an error
    await carol.sync();
    await dave.sync();
    expect(dave.all({ type: 'typing' })).toEqual([
      { type: 'typing', room: 'pace', nick: 'carol' },
      { type: 'typing', room: 'other', nick: 'carol' },
    ]);
    expect(carol.all({ type: 'error' })).toEqual([]);

    await sleep(TYPING_INTERVAL_MS + 100);
    carol.send({ type: 'typing', room: 'pace' });
    await carol.sync();
    await dave.sync();
    expect(dave.all({ type: 'typing', room: 'pace' })).toHaveLength(2);

    // A message ends the typing line on every screen: typing right after it is relayed.
    carol.send({ type: 'msg', room: 'pace', text: 'done', id: 'm' });
    await carol.waitFor({ type: 'ack', id: 'm' });
    carol.send({ type: 'typing', room: 'pace' });
    carol.send({ type: 'typing', room: 'pace' });
    await carol.sync();
    await dave.sync();
    expect(dave.all({ type: 'typing', room: 'pace' })).toHaveLength(3);
  });

  it('refuses typing in a room the connection is not in with not_in_room, and before hello with not_registered', async () => {
    const erin = await json('erin', 'mine');
    erin.send({ type: 'typing', room: 'elsewhere', id: 'x' });
    expect(await erin.waitFor({ type: 'error', id: 'x' })).toMatchObject({ code: 'not_in_room' });
    erin.send({ type: 'typing', room: 'bad room', id: 'y' });
    expect(await erin.waitFor({ type: 'error', id: 'y' })).toMatchObject({ code: 'invalid_room' });
    const anon = await TcpJsonClient.connect(server.tcpPort);
    open.push(anon);
    anon.send({ type: 'typing', room: 'mine', id: 'z' });
    expect(await anon.waitFor({ type: 'error', id: 'z' })).toMatchObject({ code: 'not_registered' });
  });

  it('shows text-mode members nothing: their next line is the next message', async () => {
    const frank = await json('frank', 'mixed');
    const nc = await TcpTextClient.connect(server.tcpPort);
    open.push(nc);
    nc.line('/nick ncuser');
    await nc.waitFor('* welcome, ncuser');
    nc.line('/join mixed');
    await nc.waitFor('* mixed (2)');
    const seen = nc.inbox.items.length;
    frank.send({ type: 'typing', room: 'mixed' });
    frank.send({ type: 'msg', room: 'mixed', text: 'after typing', id: 'm' });
    await frank.waitFor({ type: 'ack', id: 'm' });
    await nc.waitFor('[mixed] frank: after typing');
    expect(nc.inbox.items.slice(seen)).toEqual(['[mixed] frank: after typing']);
  });

  it('relays nothing in a room with more members than presenceMaxMembers', async () => {
    const members = await Promise.all(['g1', 'g2', 'g3'].map((nick) => json(nick, 'crowd')));
    members[0]!.send({ type: 'typing', room: 'crowd' });
    await members[1]!.waitFor({ type: 'typing', nick: 'g1' }); // 3 members: within the limit
    await json('g4', 'crowd'); // 4 > 3
    members[1]!.send({ type: 'typing', room: 'crowd' });
    await members[1]!.sync();
    await members[0]!.sync();
    expect(members[0]!.all({ type: 'typing', nick: 'g2' })).toEqual([]);
  });
});
