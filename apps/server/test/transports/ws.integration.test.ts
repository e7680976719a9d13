/**
 * The WebSocket transport on a real socket, spoken by hand: the handshake's answers, the
 * bytes sent with the upgrade request, pings, protocol errors and both ways of closing.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../../src/server.js';
import { waitUntil } from '../helpers/clients.js';
import { startTestServer } from '../helpers/server.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

let server: LoopchatServer;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await waitUntil(() => server.ctx.sessions.size === 0, 3000, 'every session to close');
});

afterAll(async () => {
  await server.close();
});

/** A masked client frame (key 0x01020304). */
function clientFrame(opcode: number, payload: Buffer | string = ''): Buffer {
  const key = [1, 2, 3, 4];
  const data = Buffer.from(payload).map((byte, i) => byte ^ key[i % 4]!);
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | data.length, ...key]), data]);
}

/** A raw socket that keeps everything it reads, and says when the server ended it. */
async function rawSocket(): Promise<{ socket: Socket; received: () => Buffer; ended: Promise<unknown> }> {
  const socket = connect(server.httpPort, '127.0.0.1');
  sockets.push(socket);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(socket, 'end');
  await once(socket, 'connect');
  return { socket, received: () => Buffer.concat(chunks), ended };
}

function upgradeRequest(headers: Record<string, string> = {}): string {
  const all = {
    Host: 'localhost',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': KEY,
    ...headers,
  };
  return `GET /ws HTTP/1.1\r\n${Object.entries(all)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

/** Opens a WebSocket by hand; returns what follows the 101 response as it grows. */
async function openWebSocket(
  head = Buffer.alloc(0),
): Promise<{ socket: Socket; frames: () => Buffer; ended: Promise<unknown> }> {
  const { socket, received, ended } = await rawSocket();
  socket.write(Buffer.concat([Buffer.from(upgradeRequest()), head]));
  await waitUntil(() => received().includes('\r\n\r\n'), 3000, 'the 101 response');
  const text = received().toString('latin1');
  expect(text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
  expect(text).toContain('\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n');
  const bodyAt = text.indexOf('\r\n\r\n') + 4;
  return { socket, frames: () => received().subarray(bodyAt), ended };
}

describe('WebSocket transport, by hand', () => {
  it('reads a frame sent in the same packet as the upgrade request', async () => {
    const hello = clientFrame(0x1, JSON.stringify({ type: 'hello', nick: 'early', id: 'h' }));
    const { frames } = await openWebSocket(hello);
    await waitUntil(() => frames().includes('"welcome"'), 3000, 'the welcome');
  });

  it('answers a version other than 13 with 426 naming 13, and keeps no session', async () => {
    const { socket, received, ended } = await rawSocket();
    socket.write(upgradeRequest({ 'Sec-WebSocket-Version': '8' }));
    await ended;
    expect(received().toString()).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n[^]*Sec-WebSocket-Version: 13\r\n/);
    expect(server.ctx.sessions.size).toBe(0);
  });

  it('answers a malformed key with 400', async () => {
    const { socket, received, ended } = await rawSocket();
    socket.write(upgradeRequest({ 'Sec-WebSocket-Key': 'not-a-key' }));
    await ended;
    expect(received().toString()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  it('answers a ping with a pong carrying its data', async () => {
    const { socket, frames } = await openWebSocket();
    socket.write(clientFrame(0x9, 'are you there'));
    await waitUntil(() => frames().length >= 15, 3000, 'the pong');
    expect(frames()).toEqual(Buffer.concat([Buffer.from([0x8a, 13]), Buffer.from('are you there')]));
  });

  it('closes an unmasked frame with 1002, ends the socket, and counts it', async () => {
    const before = server.ctx.stats.disconnects['WS_ERR_EXPECTED_MASK'] ?? 0;
    const { socket, frames, ended } = await openWebSocket();
    socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    await ended;
    expect(frames()).toEqual(Buffer.from([0x88, 0x02, 0x03, 0xea]));
    expect(server.ctx.stats.disconnects['WS_ERR_EXPECTED_MASK']).toBe(before + 1);
  });

  it("echoes a client's close code and ends the socket", async () => {
    const { socket, frames, ended } = await openWebSocket();
    socket.write(clientFrame(0x8, Buffer.from([0x0f, 0xa0])));
    await ended;
    expect(frames()).toEqual(Buffer.from([0x88, 0x02, 0x0f, 0xa0]));
  });

  it('ends its side, and forgets the session, when the client ends without a close frame', async () => {
    const { socket, ended } = await openWebSocket();
    await waitUntil(() => server.ctx.sessions.size === 1, 3000, 'the session');
    socket.end();
    await ended;
    await waitUntil(() => server.ctx.sessions.size === 0, 3000, 'the session to go');
  });
});
