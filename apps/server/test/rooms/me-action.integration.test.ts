/**
 * `/me` actions (issue 16): a flag on `msg` inside the one encoded line, so JSON, WebSocket
 * and history carry the same bytes and text mode renders `* nick action`.
 */
import type { ServerFrame } from '@loopchat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../../src/server.js';
import { connectClient } from '../helpers/chat-client.js';
import { TcpJsonClient, TcpTextClient } from '../helpers/clients.js';
import { startTestServer } from '../helpers/server.js';

describe('/me actions', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server.close());

  it('reaches JSON, WebSocket and text members as an action, and history keeps the flag', async () => {
    const ann = await connectClient(server, 'ann');
    const web = await connectClient(server, 'web', { via: 'ws' });
    const tom = await TcpTextClient.connect(server.tcpPort);
    try {
      await ann.join('acts');
      await web.join('acts');
      tom.line('/nick tom');
      tom.line('/join acts');
      await tom.waitFor('* acts (3)');
      tom.line('/me waves at everyone');
      // The sender's own echo, and everyone else's copy.
      await tom.waitFor('[acts] * tom waves at everyone');
      const json = await ann.next('message', { from: 'tom' });
      const ws = await web.next('message', { from: 'tom' });
      expect(json).toMatchObject({ text: 'waves at everyone', action: true, seq: 1 });
      expect(ws).toEqual(json);
      await ann.send('acts', 'nods', { action: true });
      await tom.waitFor('[acts] * ann nods');
      expect((await web.next('message', { from: 'ann' })).action).toBe(true);
      const history = await ann.history('acts');
      expect(history.map((m) => [m.from, m.text, m.action])).toEqual([
        ['tom', 'waves at everyone', true],
        ['ann', 'nods', true],
      ]);
    } finally {
      ann.close();
      web.close();
      tom.close();
    }
  });

  it('sends a plain message without the flag', async () => {
    const ann = await TcpJsonClient.connect(server.tcpPort);
    try {
      await ann.hello('plain');
      await ann.join('plain');
      ann.send({ type: 'msg', room: 'plain', text: 'hi', action: false, id: 'p' });
      await ann.waitFor({ type: 'ack', id: 'p' });
      ann.send({ type: 'history', room: 'plain', id: 'h' });
      const history = (await ann.waitFor({ type: 'history', id: 'h' })) as Extract<ServerFrame, { type: 'history' }>;
      expect(history.messages[0]).not.toHaveProperty('action');
    } finally {
      ann.close();
    }
  });
});
