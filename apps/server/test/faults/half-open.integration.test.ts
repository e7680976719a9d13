/**
 * Half-open peers: clients that vanish without a FIN (a pulled cable, a dead NAT) look,
 * from the server, like clients that stop reading and sending. Loopback cannot drop a FIN
 * without iptables, so these clients pause their sockets and never answer a probe: TCP
 * JSON clients after hello, and raw WebSocket clients right after the upgrade. The
 * heartbeat sweep must reap them all (core/housekeeping.ts) and count them, while a
 * client that answers pings stays.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../../src/server.js';
import { TcpJsonClient, httpGet, waitUntil } from '../helpers/clients.js';
import { metricValue } from '../helpers/cluster.js';
import { startTestServer } from '../helpers/server.js';

const HEARTBEAT_MS = 200;
const IDLE_MS = 600;
const EACH = 50;
/** idle timeout + one sweep (heartbeat/4) + the 2 s close grace for a peer that never completes the close, + slack. */
const REAP_BOUND_MS = IDLE_MS + HEARTBEAT_MS / 4 + 2_000 + 1_000;

let server: LoopchatServer;
const sockets: Socket[] = [];

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await server?.close();
});

/** A raw socket that completes the WebSocket upgrade and then never reads or writes again. */
async function silentWebSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const [head] = (await once(socket, 'data')) as [Buffer];
  if (!head.toString('latin1').startsWith('HTTP/1.1 101'))
    throw new Error(`upgrade refused: ${head.toString('latin1', 0, 40)}`);
  socket.pause();
  return socket;
}

describe(`${EACH} TCP and ${EACH} WebSocket peers that go silent (heartbeatMs ${HEARTBEAT_MS}, idleTimeoutMs ${IDLE_MS})`, () => {
  it('are all reaped within the stated bound, counted as idle_timeout, and an answering client stays', async () => {
    server = await startTestServer({ heartbeatMs: HEARTBEAT_MS, idleTimeoutMs: IDLE_MS });
    const alive = await TcpJsonClient.connect(server.tcpPort);
    sockets.push(alive.socket);
    await alive.hello('alive');
    alive.socket.on('data', (chunk: Buffer | string) => {
      if (String(chunk).includes('"type":"ping"')) alive.send({ type: 'pong' });
    });

    const started = Date.now();
    await Promise.all(
      Array.from({ length: EACH }, async (_, i) => {
        const client = await TcpJsonClient.connect(server.tcpPort);
        sockets.push(client.socket);
        await client.hello(`ghost${i}`);
        client.socket.pause();
      }),
    );
    await Promise.all(Array.from({ length: EACH }, () => silentWebSocket(server.httpPort)));
    expect(server.ctx.sessions.size).toBe(2 * EACH + 1);

    await waitUntil(() => server.ctx.sessions.size === 1, REAP_BOUND_MS + 2000, 'every silent peer to be reaped');
    const reapedMs = Date.now() - started;
    console.log(`half-open: ${2 * EACH} silent peers reaped in ${reapedMs} ms (bound ${REAP_BOUND_MS} ms)`);
    expect(reapedMs).toBeLessThanOrEqual(REAP_BOUND_MS);
    expect(server.ctx.stats.disconnects['idle_timeout']).toBe(2 * EACH);
    expect(server.ctx.hub.findNick('ghost0')).toBeUndefined();

    const metrics = (await httpGet(server.httpPort, '/metrics')).body;
    expect(metricValue(metrics, 'loopchat_disconnects_total{reason="idle_timeout"}')).toBe(2 * EACH);
    expect(alive.socket.destroyed).toBe(false);
    await alive.sync();
  });
});
