/**
 * Read markers (issue 16, item 3) in one process: `read {room, seq}` stores the member's
 * marker, acknowledged once stored; the join `ack` gives it back, so unread counts
 * survive a reconnect. Cluster and Redis: cluster.integration.test.ts and
 * redis-bus.integration.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { connectClient, type TestChatClient } from './helpers/chat-client.js';
import { TcpTextClient, waitUntil } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

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

  async function registered(nick: string): Promise<TestChatClient> {
    const client = await connectClient(server, nick, { via: 'ws' });
    open.push(client);
    return client;
  }

  it('gives the stored marker back in the join ack after a reconnect, per room and nick', async () => {
    const ann = await registered('ann');
    await ann.join('news');
    expect(ann.readMarker('news')).toBeUndefined(); // nothing stored yet
    for (let i = 1; i <= 5; i++) await ann.send('news', `m${i}`);
    await ann.markRead('news', 3);
    ann.close();
    await waitUntil(() => server.ctx.hub.findNick('ann') === undefined, 5000, 'ann to be free');

    const again = await registered('ANN'); // the same nick, another letter case
    expect(await again.join('news')).toBe(5);
    expect(again.readMarker('news')).toBe(3);
    await again.join('sports');
    expect(again.readMarker('sports')).toBeUndefined();
    // Bob's marker is his own.
    const bob = await registered('bob');
    await bob.join('news');
    expect(bob.readMarker('news')).toBeUndefined();
    // The last write wins (a client may mark back, e.g. "mark unread"), and a join gives it back.
    await again.markRead('news', 1);
    await again.leave('news');
    await again.join('news');
    expect(again.readMarker('news')).toBe(1);
  });

  it('refuses a marker for a room the connection is not in (not_in_room), and a bad seq (invalid_frame)', async () => {
    const cat = await registered('cat');
    await expect(cat.markRead('elsewhere', 1)).rejects.toMatchObject({ code: 'not_in_room' });
    await cat.join('here');
    await expect(cat.markRead('here', -1)).rejects.toMatchObject({ code: 'invalid_frame' });
  });

  it('leaves text mode as it was: /join shows the member list, with no marker', async () => {
    const dan = await registered('dan');
    await dan.join('mixed');
    await dan.markRead('mixed', 0);
    const nc = await TcpTextClient.connect(server.tcpPort);
    open.push(nc);
    nc.line('/nick dan2');
    await nc.waitFor('* welcome, dan2');
    nc.line('/join mixed');
    expect(await nc.waitFor(/^\* mixed \(2\)/)).toMatch(/dan, dan2|dan2, dan/);
  });
});
