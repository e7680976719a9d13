/**
 * Behind a load balancer (issue 5): the session's address and the per-IP limit use the real
 * client, named by a PROXY protocol header (TCP) or X-Forwarded-For (WebSocket upgrade),
 * but only when the peer is a configured trusted proxy. Real sockets from chosen loopback
 * source addresses: 127.0.0.1 is "the proxy", 127.0.0.2 and .3 ordinary clients.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { waitUntil } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

const PROXY = '127.0.0.1';
const STRANGER = '127.0.0.2';
const OTHER_STRANGER = '127.0.0.3';

/** A PROXY v2 header for a TCP/IPv4 client `source`:`port` → 10.0.0.2:4000. */
function v2Header(source: string, port = 40000): Buffer {
  const body = Buffer.alloc(12);
  source.split('.').forEach((octet, i) => body.writeUInt8(Number(octet), i));
  [10, 0, 0, 2].forEach((octet, i) => body.writeUInt8(octet, 4 + i));
  body.writeUInt16BE(port, 8);
  body.writeUInt16BE(4000, 10);
  const fixed = Buffer.from('0d0a0d0a000d0a515549540a2111000c', 'hex');
  return Buffer.concat([fixed, body]);
}

const V2_LOCAL = Buffer.from('0d0a0d0a000d0a515549540a20000000', 'hex');

/** A raw TCP connection from `localAddress`, collecting lines. */
class LineClient {
  readonly lines: string[] = [];
  #buffer = '';
  closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) !== -1) {
        this.lines.push(this.#buffer.slice(0, nl));
        this.#buffer = this.#buffer.slice(nl + 1);
      }
    });
    socket.on('error', () => {});
    this.closed = once(socket, 'close').then(() => undefined);
  }

  static async open(port: number, localAddress: string): Promise<LineClient> {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    await once(socket, 'connect');
    return new LineClient(socket);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async waitForLine(test: (line: string) => boolean, what: string): Promise<string> {
    await waitUntil(() => this.lines.some(test), 5000, `${what}; got ${JSON.stringify(this.lines)}`);
    return this.lines.find(test)!;
  }

  close(): void {
    this.socket.destroy();
  }
}

const hello = (nick: string): string => `${JSON.stringify({ type: 'hello', nick, id: 'h' })}\n`;
const isWelcome = (line: string): boolean => line.includes('"type":"welcome"');

describe('trusted proxies: PROXY protocol on TCP, X-Forwarded-For on WebSocket', () => {
  let server: LoopchatServer;
  const open: { close(): void }[] = [];

  beforeAll(async () => {
    server = await startTestServer({ trustedProxies: [PROXY], limitLoopback: true, maxConnectionsPerIp: 1 });
  });

  afterAll(async () => {
    for (const client of open) client.close();
    await server?.close();
  });

  const ipsOf = (nick: string): string[] => [...server.ctx.sessions].filter((s) => s.nick === nick).map((s) => s.ip);

  async function viaProxy(header: Buffer, nick: string): Promise<LineClient> {
    const client = await LineClient.open(server.tcpPort, PROXY);
    open.push(client);
    client.write(Buffer.concat([header, Buffer.from(hello(nick))]));
    return client;
  }

  it('a PROXY v2 header from the trusted proxy names the session’s address', async () => {
    const alice = await viaProxy(v2Header('203.0.113.7'), 'alice');
    await alice.waitForLine(isWelcome, 'welcome');
    expect(ipsOf('alice')).toEqual(['203.0.113.7']);
  });

  it('the per-IP limit counts the real client, not the proxy every client shares', async () => {
    const again = await viaProxy(v2Header('203.0.113.7', 40001), 'alice2');
    await again.waitForLine((l) => l.includes('too_many_connections'), 'too_many_connections');
    await again.closed;
    const other = await viaProxy(v2Header('203.0.113.8'), 'bob');
    await other.waitForLine(isWelcome, 'welcome for another client behind the same proxy');
    expect(ipsOf('bob')).toEqual(['203.0.113.8']);
  });

  it('releases the real client’s slot on close', async () => {
    const carol = await viaProxy(v2Header('203.0.113.9'), 'carol');
    await carol.waitForLine(isWelcome, 'welcome');
    carol.close();
    await waitUntil(() => ipsOf('carol').length === 0, 5000, 'carol gone');
    const back = await viaProxy(v2Header('203.0.113.9'), 'carol');
    await back.waitForLine(isWelcome, 'welcome after reconnecting');
  });

  it('reads a v1 header arriving a byte at a time', async () => {
    const client = await LineClient.open(server.tcpPort, PROXY);
    open.push(client);
    for (const byte of Buffer.from('PROXY TCP4 198.51.100.4 10.0.0.2 51000 4000\r\n')) {
      client.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    client.write(hello('dave'));
    await client.waitForLine(isWelcome, 'welcome');
    expect(ipsOf('dave')).toEqual(['198.51.100.4']);
  });

  it('takes the proxy as the client for a LOCAL header (its own health check)', async () => {
    const client = await viaProxy(V2_LOCAL, 'erin');
    await client.waitForLine(isWelcome, 'welcome');
    expect(ipsOf('erin')).toEqual([PROXY]);
  });

  it('closes a trusted proxy’s connection that does not start with a header, answering nothing', async () => {
    const before = server.ctx.stats.refused['proxy_header'] ?? 0;
    const client = await LineClient.open(server.tcpPort, PROXY);
    open.push(client);
    client.write(hello('mallory'));
    await client.closed;
    expect(client.lines).toEqual([]);
    expect(server.ctx.stats.refused['proxy_header']).toBe(before + 1);
  });

  it('treats a PROXY header from an untrusted peer as an ordinary text line', async () => {
    const client = await LineClient.open(server.tcpPort, STRANGER);
    open.push(client);
    client.write('PROXY TCP4 203.0.113.66 10.0.0.2 51000 4000\r\n');
    await client.waitForLine((l) => l.startsWith('!'), 'a text-mode error for a line before /nick');
    client.write('/nick frank\n');
    await client.waitForLine((l) => l.includes('frank'), 'the nick accepted');
    expect(ipsOf('frank')).toEqual([STRANGER]);
  });

  function wsOpen(localAddress: string, forwardedFor?: string): Promise<{ ws: WebSocket; status: number }> {
    const ws = new WebSocket(`ws://127.0.0.1:${server.httpPort}/ws`, {
      localAddress,
      ...(forwardedFor === undefined ? {} : { headers: { 'x-forwarded-for': forwardedFor } }),
    });
    open.push({ close: () => ws.terminate() });
    return new Promise((resolve, reject) => {
      ws.on('open', () => resolve({ ws, status: 101 }));
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        resolve({ ws, status: res.statusCode ?? 0 });
      });
      ws.on('error', reject);
    });
  }

  async function wsHello(ws: WebSocket, nick: string): Promise<void> {
    const welcome = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer) => {
        if (data.toString().includes('"welcome"')) resolve();
      }),
    );
    ws.send(hello(nick).trim());
    await welcome;
  }

  it('a WebSocket upgrade from the trusted proxy is counted under X-Forwarded-For’s rightmost untrusted hop', async () => {
    const first = await wsOpen(PROXY, '1.1.1.1, 203.0.113.20');
    expect(first.status).toBe(101);
    await wsHello(first.ws, 'grace');
    expect(ipsOf('grace')).toEqual(['203.0.113.20']);
    // The forged leftmost entry changes nothing: still 203.0.113.20, over its limit of one.
    expect((await wsOpen(PROXY, '9.9.9.9, 203.0.113.20')).status).toBe(429);
    expect((await wsOpen(PROXY, '203.0.113.21')).status).toBe(101);
  });

  it('ignores X-Forwarded-For from an untrusted peer', async () => {
    const first = await wsOpen(OTHER_STRANGER, '203.0.113.30');
    expect(first.status).toBe(101);
    await wsHello(first.ws, 'heidi');
    expect(ipsOf('heidi')).toEqual([OTHER_STRANGER]);
    // A different forged address does not buy a second slot: the peer is what counts.
    expect((await wsOpen(OTHER_STRANGER, '203.0.113.31')).status).toBe(429);
  });
});
