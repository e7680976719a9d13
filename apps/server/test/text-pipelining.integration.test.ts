import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { startTestServer } from './helpers/server.js';

/** What `printf '…' | nc host port` does: every line at once, then read until the server closes. */
async function script(port: number, lines: string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let out = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (out += chunk));
  socket.write(lines.map((l) => `${l}\n`).join(''));
  await once(socket, 'close');
  return out.split('\n').filter((l) => l !== '');
}

describe('a text-mode client that pipes a whole script (printf | nc)', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('gets every answer, in the order of its lines, before the goodbye', async () => {
    const out = await script(server.tcpPort, ['/nick piper', '/join pipes', 'hello pipes', '/who', '/quit']);
    expect(out).toEqual([
      expect.stringContaining('* welcome, piper'),
      '* pipes (1): piper',
      '[pipes] piper: hello pipes',
      '* pipes (1): piper',
      '* bye',
    ]);
  });

  it('answers JSON frames pipelined behind hello in order too', async () => {
    const socket = connect(server.tcpPort, '127.0.0.1');
    await once(socket, 'connect');
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (out += chunk));
    const frames = [
      { type: 'hello', nick: 'jpipe', id: 1 },
      { type: 'join', room: 'pipes', id: 2 },
      { type: 'msg', room: 'pipes', text: 'one', id: 3 },
      { type: 'history', room: 'pipes', since: 0, id: 4 },
      { type: 'ping', id: 5 },
    ];
    socket.write(frames.map((f) => `${JSON.stringify(f)}\n`).join(''));
    while (out.split('\n').length <= frames.length) await once(socket, 'data');
    socket.destroy();
    const ids = out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { id?: number }).id);
    expect(ids).toEqual([1, 2, 3, 4, 5]);
  });
});
