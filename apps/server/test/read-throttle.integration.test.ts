/**
 * Read-side backpressure end to end (core/read-throttle.ts): a client that pipelines far
 * more than one turn's read budget is read over several turns, and nothing changes for it:
 * every frame answered, in order, every message delivered in seq order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, WsClient, httpGet, waitUntil } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

const FLOOD = 20_000;

/** Ids of the acks for the flood (join's ack has a string id). */
function numericAcks(client: TcpJsonClient | WsClient): number[] {
  return client
    .all({ type: 'ack' })
    .map((f) => (f as { id: unknown }).id)
    .filter((id): id is number => typeof id === 'number');
}

async function readsDeferred(server: LoopchatServer): Promise<number> {
  const stats = JSON.parse((await httpGet(server.httpPort, '/stats')).body) as { traffic: { readsDeferred: number } };
  return stats.traffic.readsDeferred;
}

describe('a connection sending more than one turn can handle', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer({ ratePerSecond: 0, outboundBudgetBytes: 64 * 1024 * 1024 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('over TCP is read over several turns, with every frame acked in order and every message delivered', async () => {
    const sender = await TcpJsonClient.connect(server.tcpPort);
    const reader = await TcpJsonClient.connect(server.tcpPort);
    await sender.hello('flooder');
    await reader.hello('reader');
    await sender.join('deluge');
    await reader.join('deluge');
    const before = await readsDeferred(server);
    let lines = '';
    for (let i = 1; i <= FLOOD; i++) lines += `{"type":"msg","room":"deluge","text":"message number ${i}","id":${i}}\n`;
    sender.writeRaw(lines);
    await waitUntil(() => numericAcks(sender).length === FLOOD, 20_000, 'every ack');
    await waitUntil(() => reader.all({ type: 'msg', room: 'deluge' }).length === FLOOD, 20_000, 'every message');
    const ackIds = numericAcks(sender);
    expect(ackIds).toEqual(Array.from({ length: FLOOD }, (_, i) => i + 1));
    const seqs = reader.all({ type: 'msg', room: 'deluge' }).map((f) => (f as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: FLOOD }, (_, i) => seqs[0]! + i));
    expect(await readsDeferred(server)).toBeGreaterThan(before);
    sender.close();
    reader.close();
  });

  it('over WebSocket keeps message order, binary messages included, while its reads wait', async () => {
    const sender = await WsClient.connect(server.httpPort);
    const reader = await WsClient.connect(server.httpPort);
    await sender.hello('wsflooder');
    await reader.hello('wsreader');
    await sender.join('spate');
    await reader.join('spate');
    const count = 5_000;
    for (let i = 1; i <= count; i++) {
      sender.send({ type: 'msg', room: 'spate', text: `ws message ${i}`, id: i });
      if (i === count / 2) sender.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    }
    sender.send({ type: 'ping', id: 'last' });
    await sender.waitFor({ type: 'pong', id: 'last' }, 20_000);
    const answers = sender.inbox.items.filter((f) => (f.type === 'ack' && typeof f.id === 'number') || f.type === 'error');
    expect(answers).toHaveLength(count + 1);
    expect(answers[count / 2]).toMatchObject({ type: 'error', code: 'binary_not_supported' });
    const ackIds = answers.filter((f) => f.type === 'ack').map((f) => (f as { id: number }).id);
    expect(ackIds).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    await waitUntil(() => reader.all({ type: 'msg', room: 'spate' }).length === count, 20_000, 'every message');
    sender.close();
    reader.close();
  });
});
