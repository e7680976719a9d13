/**
 * Connection caps (global and per IP) and the heartbeat: quiet JSON and WebSocket
 * connections are probed after heartbeatMs and closed after idleTimeoutMs; text-mode
 * connections only by textIdleTimeoutMs (DESIGN.md, "Limits"; core/housekeeping.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, TcpTextClient, WsClient, sleep, waitUntil, wsUpgradeStatus } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

const open: { close(): void }[] = [];

function track<C extends { close(): void }>(client: C): C {
  open.push(client);
  return client;
}

function closeTracked(): void {
  for (const client of open.splice(0)) client.close();
}

describe('maxConnections', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer({ maxConnections: 3 });
  });
  afterEach(closeTracked);
  afterAll(async () => {
    await server.close();
  });

  it('refuses the 4th TCP connection with server_full and closes it, refuses a WS upgrade with 503, and accepts again once a slot frees', async () => {
    const clients = [
      track(await TcpJsonClient.connect(server.tcpPort)),
      track(await TcpJsonClient.connect(server.tcpPort)),
      track(await WsClient.connect(server.httpPort)),
    ];
    await waitUntil(() => server.ctx.sessions.size === 3, 2000, 'three sessions');

    const fourth = track(await TcpJsonClient.connect(server.tcpPort));
    expect(await fourth.waitFor({ type: 'error' })).toMatchObject({ code: 'server_full' });
    await fourth.closed();
    expect(await wsUpgradeStatus(server.httpPort)).toBe(503);
    expect(server.ctx.stats.refused['server_full']).toBe(2);

    // The refused ones took no slot; the admitted ones still work.
    await clients[0]!.hello('alice');
    clients[1]!.close();
    await waitUntil(() => server.ctx.sessions.size === 2, 2000, 'a slot to free');
    const fifth = track(await TcpJsonClient.connect(server.tcpPort));
    await fifth.hello('eve');
    expect(await wsUpgradeStatus(server.httpPort)).toBe(503);
  });
});

describe('maxConnectionsPerIp', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer({ maxConnectionsPerIp: 2, limitLoopback: true });
  });
  afterEach(closeTracked);
  afterAll(async () => {
    await server.close();
  });

  it('refuses a 3rd connection from one address with too_many_connections (TCP) and 429 (WS)', async () => {
    const first = track(await TcpJsonClient.connect(server.tcpPort));
    track(await WsClient.connect(server.httpPort));
    await waitUntil(() => server.ctx.sessions.size === 2, 2000, 'two sessions');
    const third = track(await TcpJsonClient.connect(server.tcpPort));
    expect(await third.waitFor({ type: 'error' })).toMatchObject({ code: 'too_many_connections' });
    await third.closed();
    expect(await wsUpgradeStatus(server.httpPort)).toBe(429);

    first.close();
    await waitUntil(() => server.ctx.sessions.size === 1, 2000, 'a slot to free');
    const again = track(await TcpJsonClient.connect(server.tcpPort));
    await again.hello('again');
  });
});

describe('loopback exemption', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer({ maxConnectionsPerIp: 1 });
  });
  afterEach(closeTracked);
  afterAll(async () => {
    await server.close();
  });

  it('does not apply maxConnectionsPerIp to loopback clients unless limitLoopback is set', async () => {
    const clients = await Promise.all([0, 1, 2].map(() => TcpJsonClient.connect(server.tcpPort).then(track)));
    await Promise.all(clients.map((c, i) => c.hello(`local${i}`)));
    expect(await wsUpgradeStatus(server.httpPort)).toBe(101);
  });
});

describe('maxRooms', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer({ maxRooms: 2 });
  });
  afterEach(closeTracked);
  afterAll(async () => {
    await server.close();
  });

  it('refuses to create a room over the cap with too_many_rooms, unless an empty room can make way', async () => {
    const alice = track(await TcpJsonClient.connect(server.tcpPort));
    const bob = track(await TcpJsonClient.connect(server.tcpPort));
    await alice.hello('alice');
    await bob.hello('bob');
    await alice.join('cap1');
    await alice.join('cap2');
    bob.send({ type: 'join', room: 'cap3', id: 'j3' });
    expect(await bob.waitFor({ type: 'error', id: 'j3' })).toMatchObject({ code: 'too_many_rooms' });
    // Joining an existing room is always possible.
    await bob.join('cap2');
    alice.send({ type: 'leave', room: 'cap1', id: 'l1' });
    await alice.waitFor({ type: 'ack', id: 'l1' });
    bob.send({ type: 'join', room: 'cap3', id: 'j3b' });
    expect(await bob.waitFor({ type: 'ack', id: 'j3b' })).toMatchObject({ seq: 0 });
    expect([...server.ctx.hub.rooms.keys()].sort()).toEqual(['cap2', 'cap3']);
  });
});

describe('heartbeat and idle timeout (heartbeatMs 200, idleTimeoutMs 600)', () => {
  let server: LoopchatServer;
  /** Milliseconds from a client's own last frame (its hello, or its connect) to an event. */
  const after: Record<string, number> = {};
  let silent: TcpJsonClient;
  let answering: TcpJsonClient;
  let undecided: TcpJsonClient;
  let browser: WsClient;
  let deafBrowser: WsClient;
  let human: TcpTextClient;
  let wsPings = 0;
  const clients: { close(): void }[] = [];

  async function helloAndWatch(client: TcpJsonClient | WsClient, nick: string): Promise<number> {
    await client.hello(nick);
    return Date.now();
  }

  // Every connection of this block is opened at once and watched for 1.5 s (> 2 × idleTimeoutMs).
  beforeAll(async () => {
    server = await startTestServer({ heartbeatMs: 200, idleTimeoutMs: 600, textIdleTimeoutMs: 5000 });
    [silent, answering, human] = await Promise.all([
      TcpJsonClient.connect(server.tcpPort),
      TcpJsonClient.connect(server.tcpPort),
      TcpTextClient.connect(server.tcpPort),
    ]);
    browser = await WsClient.connect(server.httpPort);
    deafBrowser = await WsClient.connect(server.httpPort, { autoPong: false });
    const undecidedAt = Date.now();
    undecided = await TcpJsonClient.connect(server.tcpPort);
    clients.push(silent, answering, undecided, human, browser, deafBrowser);
    undecided.socket.once('close', () => (after['undecidedClosed'] = Date.now() - undecidedAt));
    answering.socket.on('data', (chunk: Buffer | string) => {
      if (String(chunk).includes('"type":"ping"')) answering.send({ type: 'pong' });
    });
    browser.ws.on('ping', () => wsPings++);
    const [silentAt, deafAt] = await Promise.all([
      helloAndWatch(silent, 'silent'),
      helloAndWatch(deafBrowser, 'deaf'),
      answering.hello('answering'),
      browser.hello('browser'),
    ]);
    void silent.inbox.until((f) => f.type === 'ping', 3000, 'ping').then(() => (after['silentPinged'] = Date.now() - silentAt!));
    silent.socket.once('close', () => (after['silentClosed'] = Date.now() - silentAt!));
    deafBrowser.ws.once('close', () => (after['deafClosed'] = Date.now() - deafAt!));
    human.line('/nick human');
    await human.waitFor('* welcome, human');
    await sleep(1500);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  it('sends a silent JSON client a ping frame after heartbeatMs, then closes it with idle_timeout after idleTimeoutMs', async () => {
    expect(silent.inbox.items).toContainEqual({ type: 'ping' });
    // The server saw the hello a little before the client saw the welcome: allow that much.
    expect(after['silentPinged']).toBeGreaterThanOrEqual(150);
    expect(after['silentPinged']).toBeLessThan(550);
    expect(silent.inbox.items.at(-1)).toMatchObject({ type: 'error', code: 'idle_timeout' });
    expect(after['silentClosed']).toBeGreaterThanOrEqual(550);
    expect(after['silentClosed']).toBeLessThan(1500);
  });

  it('keeps a JSON client that answers each ping with pong open past the idle timeout', async () => {
    expect(answering.socket.destroyed).toBe(false);
    expect(answering.all({ type: 'ping' }).length).toBeGreaterThanOrEqual(2);
    expect(answering.all({ type: 'error' })).toEqual([]);
    await answering.sync();
  });

  it('keeps a WebSocket client open (the ws library answers protocol pings)', async () => {
    expect(wsPings).toBeGreaterThanOrEqual(2);
    expect(browser.ws.readyState).toBe(WebSocket.OPEN);
    expect(browser.all({ type: 'error' })).toEqual([]);
    await browser.sync();
  });

  it('closes a WebSocket client that does not answer pings with idle_timeout and close code 1001', async () => {
    expect(deafBrowser.closeCode).toBe(1001);
    expect(deafBrowser.inbox.items.at(-1)).toMatchObject({ type: 'error', code: 'idle_timeout' });
    expect(after['deafClosed']).toBeGreaterThanOrEqual(550);
  });

  it('closes a connection that never sends a line with idle_timeout', async () => {
    expect(undecided.inbox.items).toEqual([{ type: 'error', code: 'idle_timeout', message: expect.any(String) }]);
    expect(after['undecidedClosed']).toBeGreaterThanOrEqual(590);
  });

  it('neither pings nor closes a quiet text-mode client before textIdleTimeoutMs', async () => {
    expect(human.socket.destroyed).toBe(false);
    expect(human.inbox.items.filter((l) => l.startsWith('!'))).toEqual([]);
    human.line('/ping');
    await human.waitFor('* pong');
  });

  it('counts idle_timeout disconnects', () => {
    expect(server.ctx.stats.disconnects['idle_timeout']).toBe(3);
  });
});
