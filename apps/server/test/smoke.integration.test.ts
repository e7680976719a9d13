import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, TcpTextClient, WsClient } from './helpers/clients.js';
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
    const json = await TcpJsonClient.connect(server.tcpPort);
    const ws = await WsClient.connect(server.httpPort);
    const text = await TcpTextClient.connect(server.tcpPort);
    await json.hello('alice');
    await ws.hello('browser');
    text.line('/nick carol');
    await text.waitFor('* welcome, carol');
    await json.join('lobby');
    await ws.join('lobby');
    text.line('/join lobby');
    await text.waitFor('* lobby (3)');

    json.send({ type: 'msg', room: 'lobby', text: 'from json', id: 'm1' });
    expect(await json.waitFor({ type: 'ack', id: 'm1' })).toMatchObject({ seq: 1 });
    expect(await ws.waitFor({ type: 'msg', text: 'from json' })).toMatchObject({ from: 'alice', seq: 1 });
    await text.waitFor('[lobby] alice: from json');

    text.line('hello from nc');
    await text.waitFor('[lobby] carol: hello from nc');
    expect(await json.waitFor({ type: 'msg', text: 'hello from nc' })).toMatchObject({ seq: 2 });
    expect(await ws.waitFor({ type: 'msg', text: 'hello from nc' })).toMatchObject({ seq: 2 });

    ws.send({ type: 'msg', room: 'lobby', text: 'from the browser', id: 7 });
    expect(await ws.waitFor({ type: 'ack', id: 7 })).toMatchObject({ seq: 3 });
    await text.waitFor('[lobby] browser: from the browser');
    expect(await json.waitFor({ type: 'msg', text: 'from the browser' })).toMatchObject({ seq: 3 });
    json.close();
    ws.close();
    text.close();
  });
});
