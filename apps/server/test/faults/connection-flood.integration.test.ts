/**
 * A connection flood beyond the limits (README, "Configuration": maxConnections,
 * maxConnectionsPerIp): every connection over a cap is refused cleanly, an error frame
 * (TCP) or an HTTP status (WebSocket) before the close, and the clients already in keep
 * chatting within a stated latency bound while the flood lasts.
 */
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../../src/server.js';
import { TcpJsonClient, sleep, wsUpgradeStatus } from '../helpers/clients.js';
import { startTestServer } from '../helpers/server.js';

const MAX_CONNECTIONS = 100;
const FLOOD_TCP = 600;
const FLOOD_WS = 100;
/** A message between two admitted clients arrives within this while the flood lasts. */
const LATENCY_BOUND_MS = 400;

let server: LoopchatServer;
const open: { close(): void }[] = [];

afterAll(async () => {
  for (const client of open) client.close();
  await server?.close();
});

/** Connects and resolves with everything the server wrote before closing. */
function refusedTcp(port: number, localAddress = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', () => {});
    socket.on('close', () => resolve(data));
  });
}

/** Chat round trips between two admitted clients until `done` settles; returns the worst, ms. */
async function chatWhile(
  sender: TcpJsonClient,
  receiver: TcpJsonClient,
  done: Promise<unknown>,
): Promise<{ worst: number; count: number }> {
  let finished = false;
  void done.finally(() => (finished = true));
  let worst = 0;
  let count = 0;
  while (!finished || count < 5) {
    const text = `during flood ${count++}`;
    const sent = Date.now();
    sender.send({ type: 'msg', room: 'calm', text });
    await receiver.inbox.until((f) => f.type === 'msg' && (f as { text: string }).text === text, 5000, text);
    worst = Math.max(worst, Date.now() - sent);
    await sleep(5);
  }
  return { worst, count };
}

async function pair(port: number): Promise<[TcpJsonClient, TcpJsonClient]> {
  const a = await TcpJsonClient.connect(port);
  const b = await TcpJsonClient.connect(port);
  open.push(a, b);
  await a.hello('calm-a');
  await b.hello('calm-b');
  await a.join('calm');
  await b.join('calm');
  return [a, b];
}

describe(`a flood of ${FLOOD_TCP} TCP connections and ${FLOOD_WS} WebSocket upgrades over maxConnections ${MAX_CONNECTIONS}`, () => {
  it('refuses each with server_full (TCP) or 503 (WS) while admitted clients keep chatting', async () => {
    server = await startTestServer({ maxConnections: MAX_CONNECTIONS, ratePerSecond: 0 });
    const [a, b] = await pair(server.tcpPort);
    for (let i = 2; i < MAX_CONNECTIONS; i++) open.push(await TcpJsonClient.connect(server.tcpPort));

    const flood = Promise.all([
      Promise.all(Array.from({ length: FLOOD_TCP }, () => refusedTcp(server.tcpPort))),
      Promise.all(Array.from({ length: FLOOD_WS }, () => wsUpgradeStatus(server.httpPort))),
    ]);
    const [chat, [tcpAnswers, wsStatuses]] = await Promise.all([chatWhile(a, b, flood), flood]);
    console.log(
      `connection flood: ${FLOOD_TCP + FLOOD_WS} refused; ${chat.count} messages between admitted clients, worst ${chat.worst} ms`,
    );

    for (const answer of tcpAnswers) expect(JSON.parse(answer)).toMatchObject({ type: 'error', code: 'server_full' });
    expect(new Set(wsStatuses)).toEqual(new Set([503]));
    expect(server.ctx.stats.refused['server_full']).toBe(FLOOD_TCP + FLOOD_WS);
    expect(server.ctx.sessions.size).toBe(MAX_CONNECTIONS);
    expect(chat.worst).toBeLessThan(LATENCY_BOUND_MS);
  });
});

describe('a flood from one address over maxConnectionsPerIp (limitLoopback on)', () => {
  it('refuses that address with too_many_connections and leaves other addresses alone', async () => {
    await server.close();
    server = await startTestServer({ maxConnectionsPerIp: 20, limitLoopback: true, ratePerSecond: 0 });
    const [a, b] = await pair(server.tcpPort);
    const flood = Promise.all(Array.from({ length: 300 }, () => refusedTcp(server.tcpPort, '127.0.0.3')));
    // Admitted ones (the first 20) stay open until closed: close them once the rest is answered.
    const watcher = (async () => {
      while (server.ctx.stats.refused['too_many_connections'] !== 280) await sleep(10);
      for (const session of server.ctx.sessions) if (session.ip === '127.0.0.3') session.destroy();
    })();
    const [chat, answers] = await Promise.all([chatWhile(a, b, flood), flood, watcher]);
    const refused = answers.filter((d) => d.includes('"too_many_connections"'));
    expect(refused).toHaveLength(280);
    expect(chat.worst).toBeLessThan(LATENCY_BOUND_MS);
    const other = await TcpJsonClient.connect(server.tcpPort, '127.0.0.1', { localAddress: '127.0.0.4' });
    open.push(other);
    await other.hello('other-address');
  });
});
