/**
 * Read markers (issue 16, item 3) in one process: `read {room, seq}` stores the member's
 * marker, acknowledged once stored; the join `ack` gives it back, so unread counts
 * survive a reconnect. Cluster and Redis: cluster.integration.test.ts and
 * redis-bus.integration.test.ts.
 */
import type { ServerFrame } from '@loopchat/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, TcpTextClient, WsClient } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

type Ack = Extract<ServerFrame, { type: 'ack' }>;

describe('read markers', () => {
  let server: LoopchatServer;
  const open: { close(): void }[] = [];

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });
  afterAll(async () => {
    await server.close();
  });

  async function registered(nick: string): Promise<WsClient> {
    const client = await WsClient.connect(server.httpPort);
    open.push(client);
    await client.hello(nick);
    return client;
  }

  async function joinAck(client: WsClient | TcpJsonClient, room: string, id: string): Promise<Ack> {
    client.send({ type: 'join', room, id });
    return (await client.waitFor({ type: 'ack', id })) as Ack;
  }

  it('gives the stored marker back in the join ack after a reconnect, per room and nick', async () => {
    const ann = await registered('ann');
    expect(await joinAck(ann, 'news', 'j1')).not.toHaveProperty('read'); // nothing stored yet
    for (let i = 1; i <= 5; i++) ann.send({ type: 'msg', room: 'news', text: `m${i}`, id: `m${i}` });
    await ann.waitFor({ type: 'ack', id: 'm5' });
    ann.send({ type: 'read', room: 'News', seq: 3, id: 'r' });
    expect(await ann.waitFor({ type: 'ack', id: 'r' })).not.toHaveProperty('seq');
    ann.close();
    await waitForNickFree('ann');

    const again = await registered('ANN'); // the same nick, another letter case
    expect(await joinAck(again, 'news', 'j2')).toMatchObject({ seq: 5, read: 3 });
    expect(await joinAck(again, 'sports', 'j3')).not.toHaveProperty('read');
    // Bob's marker is his own.
    const bob = await registered('bob');
    expect(await joinAck(bob, 'news', 'j4')).not.toHaveProperty('read');
    // The last write wins (a client may mark back, e.g. "mark unread").
    again.send({ type: 'read', room: 'news', seq: 1, id: 'r2' });
    await again.waitFor({ type: 'ack', id: 'r2' });
    expect(await joinAck(again, 'news', 'j5')).toMatchObject({ read: 1 });
  });

  it('refuses a marker for a room the connection is not in, and a bad seq, with the frame id', async () => {
    const cat = await registered('cat');
    cat.send({ type: 'read', room: 'elsewhere', seq: 1, id: 'x' });
    expect(await cat.waitFor({ type: 'error', id: 'x' })).toMatchObject({ code: 'not_in_room' });
    await joinAck(cat, 'here', 'j');
    cat.send({ type: 'read', room: 'here', seq: -1, id: 'y' });
    expect(await cat.waitFor({ type: 'error', id: 'y' })).toMatchObject({ code: 'invalid_frame' });
  });

  it('leaves text mode as it was: /join shows the member list, with no marker', async () => {
    const dan = await registered('dan');
    await joinAck(dan, 'mixed', 'j');
    dan.send({ type: 'read', room: 'mixed', seq: 0, id: 'r' });
    await dan.waitFor({ type: 'ack', id: 'r' });
    const nc = await TcpTextClient.connect(server.tcpPort);
    open.push(nc);
    nc.line('/nick dan2');
    await nc.waitFor('* welcome, dan2');
    nc.line('/join mixed');
    expect(await nc.waitFor(/^\* mixed \(2\)/)).toMatch(/dan, dan2|dan2, dan/);
  });

  async function waitForNickFree(nick: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (server.ctx.hub.findNick(nick) !== undefined) {
      if (Date.now() > deadline) throw new Error(`${nick} still held`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
});
