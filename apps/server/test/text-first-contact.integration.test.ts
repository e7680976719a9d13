/**
 * First contact on raw TCP: a silent connection (a person on `nc`) is greeted with how to
 * start, a JSON client that speaks first is never greeted, and a slow JSON client that reads
 * the greeting skips it (its lines start with `*`, never `{`) and chats in JSON as usual.
 * Then the text-mode answers a newcomer meets: nick before room, rules in words, `#room`.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { NICK_RULE, ROOM_RULE, TEXT_GREETING } from '@loopchat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, TcpTextClient, sleep } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

const GREET_AFTER_MS = 300;
const GREETING_LINES = TEXT_GREETING.split('\n');

describe('greeting a silent TCP connection', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer({ greetAfterMs: GREET_AFTER_MS, maxRoomsPerConnection: 2 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('an nc-like client that says nothing is told how to start, once, after the pause', async () => {
    const nc = await TcpTextClient.connect(server.tcpPort);
    const connectedAt = Date.now();
    const first = await nc.waitFor(GREETING_LINES[0]!, 3000);
    expect(Date.now() - connectedAt).toBeGreaterThanOrEqual(GREET_AFTER_MS - 20);
    expect(first).toContain('/nick');
    await nc.waitFor(GREETING_LINES[1]!);
    expect(TEXT_GREETING).toContain('/join');
    expect(TEXT_GREETING).toContain('/help');
    await sleep(GREET_AFTER_MS * 2);
    expect(nc.inbox.items).toEqual(GREETING_LINES); // once, nothing else
    nc.line('/nick newcomer');
    await nc.waitFor('* welcome, newcomer');
    nc.close();
  });

  it('a JSON client that speaks at once is never greeted', async () => {
    const c = await TcpJsonClient.connect(server.tcpPort);
    await c.hello('quick');
    await sleep(GREET_AFTER_MS * 2);
    expect(c.all({ type: 'unparsed' })).toEqual([]);
    c.close();
  });

  it('a JSON client that speaks after the greeting skips its lines and chats in JSON', async () => {
    const socket = connect(server.tcpPort, '127.0.0.1');
    await once(socket, 'connect');
    socket.setEncoding('utf8');
    let received = '';
    socket.on('data', (chunk: string) => (received += chunk));
    while (!received.endsWith(`${GREETING_LINES[1]}\n`)) await once(socket, 'data');
    // What a JSON client does with it: lines not starting with `{` are not frames.
    const skipped = received.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
    expect(skipped).toEqual(GREETING_LINES);
    received = '';
    socket.write(
      [
        { type: 'hello', nick: 'slowpoke', id: 1 },
        { type: 'join', room: 'late', id: 2 },
        { type: 'msg', room: 'late', text: 'made it', id: 3 },
      ]
        .map((f) => `${JSON.stringify(f)}\n`)
        .join(''),
    );
    while (received.split('\n').filter((l) => l.includes('"type":"ack"')).length < 2) await once(socket, 'data');
    const frames = received
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { type: string; id?: number });
    expect(frames.filter((f) => f.id !== undefined).map((f) => [f.type, f.id])).toEqual([
      ['welcome', 1],
      ['ack', 2],
      ['ack', 3],
    ]);
    socket.destroy();
  });

  it('greetAfterMs 0 greets no one', async () => {
    const quiet = await startTestServer({ greetAfterMs: 0 });
    try {
      const nc = await TcpTextClient.connect(quiet.tcpPort);
      await sleep(1_300);
      expect(nc.inbox.items).toEqual([]);
      nc.close();
    } finally {
      await quiet.close();
    }
  });
});

describe('text mode for a newcomer', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer({ greetAfterMs: 0, maxRoomsPerConnection: 2 });
  });
  afterAll(async () => {
    await server.close();
  });

  async function user(nick?: string): Promise<TcpTextClient> {
    const c = await TcpTextClient.connect(server.tcpPort);
    if (nick !== undefined) {
      c.line(`/nick ${nick}`);
      await c.waitFor(`* welcome, ${nick}`);
    }
    return c;
  }

  it('says to choose a nick before saying to join a room', async () => {
    const c = await user();
    c.line('hello?');
    await c.waitFor(/^! not_registered: /);
    c.line('/history');
    await c.waitFor(/^! not_registered: /);
    c.line('/nick asker');
    await c.waitFor('* welcome, asker');
    c.line('hello?');
    await c.waitFor(/^! not_in_room: /);
    c.close();
  });

  it('explains a bad nick or room in words, not with the pattern', async () => {
    const c = await user();
    c.line('/nick 9lives');
    const nick = await c.waitFor(/^! invalid_nick: /);
    expect(nick).toContain(NICK_RULE);
    expect(nick).not.toMatch(/\^|\[A-Z/);
    c.line('/nick ok_nick');
    await c.waitFor('* welcome, ok_nick');
    c.line('/join -dash');
    const room = await c.waitFor(/^! invalid_room: /);
    expect(room).toContain(ROOM_RULE);
    expect(room).not.toMatch(/\^|\[A-Z/);
    c.close();
  });

  it('joins a room with #room alone on a line; #room among words is a message', async () => {
    const c = await user('hasher');
    c.line('#lobby');
    await c.waitFor('* lobby (1): hasher');
    c.line('#lobby is nice');
    await c.waitFor('[lobby] hasher: #lobby is nice');
    c.close();
  });

  it('refuses /join with a space in the name instead of joining the first word', async () => {
    const c = await user('spacey');
    c.line('/join a b');
    await c.waitFor(/^! invalid_room: /);
    c.line('/rooms');
    // Had it joined "a", the room would exist with spacey in it.
    const rooms = await c.waitFor(/^\* (rooms:|no rooms)/);
    expect(rooms).not.toMatch(/\ba \(/);
    c.close();
  });

  it('shows a /msg to yourself once', async () => {
    const c = await user('echo');
    c.line('/msg echo note to self');
    await c.waitFor('note to self');
    c.line('/ping');
    await c.waitFor('* pong');
    expect(c.inbox.items.filter((l) => l.includes('note to self'))).toHaveLength(1);
    c.close();
  });

  it('names the limit in too_many_rooms', async () => {
    const c = await user('roomy');
    for (const room of ['r1', 'r2']) {
      c.line(`/join ${room}`);
      await c.waitFor(`* ${room} (1): roomy`);
    }
    c.line('/join r3');
    const refused = await c.waitFor(/^! too_many_rooms: /);
    expect(refused).toMatch(/\b2\b/);
    c.close();
  });
});
