import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

describe('presence in big rooms (presenceMaxMembers)', () => {
  let server: LoopchatServer;
  const clients: TcpJsonClient[] = [];
  beforeAll(async () => {
    server = await startTestServer({ presenceMaxMembers: 2 });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server.close();
  });

  async function member(nick: string): Promise<TcpJsonClient> {
    const c = await TcpJsonClient.connect(server.tcpPort);
    clients.push(c);
    await c.hello(nick);
    await c.join('big');
    return c;
  }

  it('announces joins while the room is small, then stops; who still lists everyone', async () => {
    const first = await member('first');
    await member('second');
    await first.waitFor({ type: 'presence', nick: 'second', event: 'join' });
    const third = await member('third');
    first.send({ type: 'who', room: 'big', id: 'w' });
    const who = await first.waitFor({ type: 'members', id: 'w' });
    expect(who).toMatchObject({ nicks: ['first', 'second', 'third'] });
    expect(first.inbox.items.some((f) => f.type === 'presence' && f.nick === 'third')).toBe(false);
    // Messages still reach every member.
    third.send({ type: 'msg', room: 'big', text: 'hi all', id: 'm' });
    await third.waitFor({ type: 'ack', id: 'm' });
    await first.waitFor({ type: 'msg', text: 'hi all' });
  });
});
