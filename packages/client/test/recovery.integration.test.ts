/**
 * What the client adds over the bare protocol, against a real server over each transport:
 * reconnect with backoff after the server drops it, recovery of what it missed by seq (no
 * gap, no duplicate), a live seq gap filled from history, and bounded requests.
 */
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../../../apps/server/src/server.js';
import { ChatClient } from '../src/index.js';
import { tcpTransport } from '../src/node/index.js';
import { codeOf, registered, sleep, startTestServer, tampered, TRANSPORTS, waitUntil, type Recorded } from './helpers.js';

const seqsOf = (r: Recorded, room: string) => r.events.message.filter((m) => m.room === room).map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(TRANSPORTS)('recovery over $name', ({ transport }) => {
  let server: LoopchatServer;
  const clients: Recorded[] = [];
  const client = async (nick: string, options = {}) => {
    const r = await registered(transport(server), nick, options);
    clients.push(r);
    return r;
  };

  beforeAll(async () => {
    server = await startTestServer({ ratePerSecond: 0 });
  });
  afterEach(() => {
    for (const r of clients.splice(0)) r.client.close();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('reconnects after the server closes it and recovers the messages sent meanwhile, in order, once', async () => {
    // A fixed 300 ms delay (no jitter) leaves time to send while it is away; pages of 2
    // make the recovery take several history requests.
    const alice = await client('alice', { reconnect: { initialMs: 300, jitter: 0 }, historyPageSize: 2 });
    const bob = await client('bob');
    await alice.client.join('general');
    await bob.client.join('general');
    await bob.client.send('general', 'before 1');
    await alice.client.send('general', 'before 2');
    await waitUntil(() => alice.events.message.length === 2, 5000, 'messages before the drop');

    server.ctx.hub.findNick('alice')!.destroy();
    await waitUntil(() => alice.events.close.length === 1, 5000, 'close event');
    expect(alice.events.close[0]).toMatchObject({ willReconnect: true });
    expect(alice.events.reconnecting[0]).toEqual({ attempt: 1, delayMs: 300 });
    for (let i = 1; i <= 5; i++) await bob.client.send('general', `while away ${i}`);

    await waitUntil(() => alice.events.reconnected.length === 1, 5000, 'reconnected');
    expect(alice.events.reconnected[0]).toEqual({ rooms: ['general'] });
    await waitUntil(() => alice.events.message.length === 7, 5000, 'the recovered messages');
    await bob.client.send('general', 'after');
    await waitUntil(() => alice.events.message.length === 8, 5000, 'the live message after recovery');

    expect(seqsOf(alice, 'general')).toEqual(range(1, 8));
    expect(alice.events.message.map((m) => m.text)).toEqual([
      'before 1',
      'before 2',
      ...range(1, 5).map((i) => `while away ${i}`),
      'after',
    ]);
    expect(alice.events.welcome).toHaveLength(2);
    expect(alice.events.gap).toEqual([]);
    expect(alice.client.nick).toBe('alice');
  });

  it('keeps retrying with backoff while another connection holds its nick, then registers again', async () => {
    const olivia = await client('olivia', { reconnect: { initialMs: 200, maxMs: 400, jitter: 0 } });
    await olivia.client.join('held');
    server.ctx.hub.findNick('olivia')!.destroy();
    await waitUntil(() => olivia.events.close.length === 1, 5000, 'close event');
    const impostor = await client('olivia'); // takes the nick before the reconnect says hello
    await waitUntil(() => olivia.events.reconnecting.length >= 3, 5000, 'retries while the nick is taken');
    expect(olivia.events.reconnecting.slice(0, 3).map((r) => r.delayMs)).toEqual([200, 400, 400]);
    impostor.client.close();
    await waitUntil(() => olivia.events.reconnected.length === 1, 5000, 'registered again');
    expect(olivia.events.reconnected[0]).toEqual({ rooms: ['held'] });
    expect(olivia.client.nick).toBe('olivia');
  });

  it('does not reconnect after the server closes it with kicked, and reports the error event', async () => {
    const mallory = await client('mallory', { reconnect: { initialMs: 10 } });
    server.ctx.hub.findNick('mallory')!.closeWithError('kicked', 'bye');
    await waitUntil(() => mallory.events.close.length === 1, 5000, 'close event');
    expect(mallory.events.error.map((e) => e.code)).toEqual(['kicked']);
    expect(mallory.events.close[0]).toMatchObject({ willReconnect: false });
    await sleep(100);
    expect(mallory.events.reconnecting).toEqual([]);
    expect(await codeOf(mallory.client.who('general'))).toBe('not_connected');
  });

  it('fills a live seq gap from history when a message never arrives', async () => {
    const lost = (text: string) => text.startsWith('{"type":"msg"') && text.includes('lost on the way');
    const carol = recordedLossy(lost);
    await carol.client.connect();
    await carol.client.hello('carol');
    await carol.client.join('gappy');
    const dave = await client('dave');
    await dave.client.join('gappy');
    for (const text of ['one', 'lost on the way', 'three', 'four']) await dave.client.send('gappy', text);
    await waitUntil(() => carol.events.message.length === 4, 5000, 'all four, the lost one from history');
    expect(carol.events.message.map((m) => m.text)).toEqual(['one', 'lost on the way', 'three', 'four']);
    expect(seqsOf(carol, 'gappy')).toEqual([1, 2, 3, 4]);
  });

  it('says when it starts recovering a room from history, and from which seq', async () => {
    const lost = (text: string) => text.startsWith('{"type":"msg"') && text.includes('dropped');
    const frank = recordedLossy(lost);
    const recovering: { room: string; since: number }[] = [];
    frank.client.on('recovering', (r) => recovering.push(r));
    await frank.client.connect();
    await frank.client.hello('frank');
    await frank.client.join('holey');
    const gina = await client('gina');
    await gina.client.join('holey');
    for (const text of ['first', 'dropped', 'third']) await gina.client.send('holey', text);
    await waitUntil(() => frank.events.message.length === 3, 5000, 'all three, the dropped one from history');
    expect(recovering).toEqual([{ room: 'holey', since: 1 }]);
  });

  it('reports as a gap what the server no longer retains', async () => {
    // Lose the live message and leave it out of history answers too: to the client, the
    // server has evicted seq 1 (as a room past --history-size does).
    const erin = recordedTampered((text) => {
      if (!text.includes('forgotten')) return text;
      if (text.startsWith('{"type":"msg"')) return undefined;
      const frame = JSON.parse(text) as { messages: { text: string }[] };
      return JSON.stringify({ ...frame, messages: frame.messages.filter((m) => m.text !== 'forgotten') });
    });
    await erin.client.connect();
    await erin.client.hello('erin');
    await erin.client.join('short-memory');
    const frank = await client('frank');
    await frank.client.join('short-memory');
    await frank.client.send('short-memory', 'forgotten');
    await frank.client.send('short-memory', 'kept');
    await waitUntil(() => erin.events.message.length === 1, 5000, 'the message after the hole');
    expect(erin.events.gap).toEqual([{ room: 'short-memory', from: 1, to: 1 }]);
    expect(erin.events.message).toMatchObject([{ seq: 2, text: 'kept' }]);
  });

  function recordedLossy(drop: (text: string) => boolean): Recorded {
    return recordedTampered((text) => (drop(text) ? undefined : text));
  }

  function recordedTampered(edit: (text: string) => string | undefined): Recorded {
    const r = recordedWith(tampered(transport(server), edit));
    clients.push(r);
    return r;
  }
});

const connections = new WeakMap<Server, number>();
function countConnections(server: Server): number {
  server.getConnections((_err, count) => connections.set(server, count));
  return connections.get(server) ?? -1;
}

function recordedWith(transport: Parameters<typeof registered>[0]): Recorded {
  const client = new ChatClient({ transport });
  const r: Recorded = { client, events: { message: [], gap: [] } as unknown as Recorded['events'] };
  client.on('message', (m) => r.events.message.push(m));
  client.on('gap', (g) => r.events.gap.push(g));
  return r;
}

describe('bounded requests', () => {
  /** A TCP peer that accepts, reads and never answers. */
  let silent: Server;
  let port: number;

  beforeAll(async () => {
    silent = createServer((socket) => socket.on('error', () => {}).resume());
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    port = (silent.address() as { port: number }).port;
  });
  afterAll(() => {
    silent.close();
  });

  it('rejects a request with timeout when no answer comes in requestTimeoutMs', async () => {
    const client = new ChatClient({ transport: tcpTransport({ port }), requestTimeoutMs: 200, reconnect: false });
    await client.connect();
    const started = Date.now();
    expect(await codeOf(client.hello('patient'))).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    client.close();
  });

  it('refuses a request past maxPending with too_many_pending, and fails the waiting ones on close', async () => {
    const client = new ChatClient({ transport: tcpTransport({ port }), maxPending: 2, reconnect: false });
    await client.connect();
    const first = codeOf(client.who('a'));
    const second = codeOf(client.who('b'));
    expect(await codeOf(client.who('c'))).toBe('too_many_pending');
    client.close();
    expect([await first, await second]).toEqual(['closed', 'closed']);
  });

  it('closes its connections: the peer sees none left', async () => {
    await waitUntil(() => countConnections(silent) === 0, 2000, 'no connection left on the silent server');
  });

  it('rejects connect() with connect_failed when nothing listens', async () => {
    silent.close();
    await once(silent, 'close');
    const client = new ChatClient({ transport: tcpTransport({ port }), reconnect: false });
    expect(await codeOf(client.connect())).toBe('connect_failed');
  });
});
