import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { tcpTransport } from '../src/node/index.js';
import type { CloseInfo } from '../src/transport.js';

let server: Server | undefined;

afterEach(async () => {
  server?.close();
  server = undefined;
});

/** A TCP server that plays `script` to each connection: byte chunks written one event-loop turn apart. */
async function serverWriting(script: Buffer[]): Promise<number> {
  server = createServer((socket: Socket) => {
    socket.on('error', () => {});
    socket.setNoDelay(true);
    void (async () => {
      for (const chunk of script) {
        socket.write(chunk);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Opens the transport and collects frames until the server's script is done or the connection closes. */
async function framesFrom(port: number, options: { maxLineBytes?: number } = {}, settleMs = 100) {
  const frames: string[] = [];
  let closed: CloseInfo | undefined;
  const connection = await tcpTransport({ port, ...options })({
    onFrame: (text) => frames.push(text),
    onClose: (info) => (closed = info),
  });
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  if (closed === undefined) connection.close();
  return { frames, closed };
}

describe('tcpTransport', () => {
  it('hands over each JSON line whole, across a UTF-8 character split between writes and with \\r\\n, skipping text greetings', async () => {
    const line = Buffer.from('{"type":"msg","text":"h\u00e9 \u{1f389}"}');
    const cut = line.indexOf(0xf0) + 2; // inside the four bytes of the emoji
    const port = await serverWriting([
      Buffer.from('* greeting, type /help\n{"type":"pong"}\r'),
      Buffer.from('\n'),
      line.subarray(0, cut),
      Buffer.concat([line.subarray(cut), Buffer.from('\n')]),
    ]);
    const { frames, closed } = await framesFrom(port);
    expect(frames).toEqual(['{"type":"pong"}', '{"type":"msg","text":"h\u00e9 \u{1f389}"}']);
    expect(closed).toBeUndefined();
  });

  it('closes the connection at a line over maxLineBytes, and hands over nothing after it', async () => {
    const port = await serverWriting([Buffer.from(`{"type":"pong"}\n{"text":"${'x'.repeat(100)}"}\n{"type":"ping"}\n`)]);
    const { frames, closed } = await framesFrom(port, { maxLineBytes: 64 });
    expect(frames).toEqual(['{"type":"pong"}']);
    expect(closed?.reason).toMatch(/maxLineBytes/);
  });
});
