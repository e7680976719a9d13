import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { connectClient } from './helpers/chat-client.js';
import { TcpTextClient } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

describe('a TCP JSON client, a TCP text client and a WebSocket client share one room', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('delivers messages both ways across transports with acks and increasing seqs', async () => {
    const json = await connectClient(server, 'alice');
    const ws = await connectClient(server, 'browser', { via: 'ws' });
    const text = await TcpTextClient.connect(server.tcpPort);
    text.line('/nick carol');
    await text.waitFor('* welcome, carol');
    expect(await json.join('lobby')).toBe(0);
    await ws.join('lobby');
    text.line('/join lobby');
    await text.waitFor('* lobby (3)');

    expect(await json.send('lobby', 'from json')).toMatchObject({ seq: 1 });
    expect(await ws.next('message', { text: 'from json' })).toMatchObject({ from: 'alice', seq: 1 });
    await text.waitFor('[lobby] alice: from json');

    text.line('hello from nc');
    await text.waitFor('[lobby] carol: hello from nc');
    expect(await json.next('message', { text: 'hello from nc' })).toMatchObject({ seq: 2 });
    expect(await ws.next('message', { text: 'hello from nc' })).toMatchObject({ seq: 2 });

    expect(await ws.send('lobby', 'from the browser')).toMatchObject({ seq: 3 });
    await text.waitFor('[lobby] browser: from the browser');
    expect(await json.next('message', { text: 'from the browser' })).toMatchObject({ seq: 3 });
    json.close();
    ws.close();
    text.close();
  });
});
