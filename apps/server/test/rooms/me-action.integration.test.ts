/**
 * `/me` actions (issue 16): a flag on `msg` inside the one encoded line, so JSON, WebSocket
 * and history carry the same bytes and text mode renders `* nick action`.
 */
import type { ServerFrame } from '@loopchat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../../src/server.js';
import { TcpJsonClient, TcpTextClient, WsClient } from '../helpers/clients.js';
import { startTestServer } from '../helpers/server.js';

describe('/me actions', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server.close());

  it('reaches JSON, WebSocket and text members as an action, and history keeps the flag', async () => {
    const ann = await TcpJsonClient.connect(server.tcpPort);
    const web = await WsClient.connect(server.httpPort);
    const tom = await TcpTextClient.connect(server.tcpPort);
    try {
      await ann.hello('ann');
      await web.hello('web');
      await ann.join('acts');
      await web.join('acts');
      tom.line('/nick tom');
      tom.line('/join acts');
      await tom.waitFor('* acts (3)');
      tom.line('/me waves at everyone');
      // The sender's own echo, and everyone else's copy.
      await tom.waitFor('[acts] * tom waves at everyone');
      const json = await ann.waitFor({ type: 'msg', from: 'tom' });
      const ws = await web.waitFor({ type: 'msg', from: 'tom' });
      expect(json).toMatchObject({ text: 'waves at everyone', action: true, seq: 1 });
      expect(ws).toEqual(json);
      ann.send({ type: 'msg', room: 'acts', text: 'nods', action: true, id: 'a' });
      await ann.waitFor({ type: 'ack', id: 'a' });
      await tom.waitFor('[acts] * ann nods');
      ann.send({ type: 'history', room: 'acts', id: 'h' });
      const history = (await ann.waitFor({ type: 'history', id: 'h' })) as Extract<ServerFrame, { type: 'history' }>;
      expect(history.messages.map((m) => [m.from, m.text, m.action])).toEqual([
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
