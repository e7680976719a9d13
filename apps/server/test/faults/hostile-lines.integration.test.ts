/**
 * One hostile line must never take the server down (README: "A malformed frame gets an
 * error and the connection stays open"). The server runs as a child process here, so
 * that a crash is observed as an exit instead of killing the test runner.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TcpJsonClient, WsClient } from '../helpers/clients.js';
import { killTree, startCluster, type RunningCluster } from '../helpers/cluster.js';

let server: RunningCluster | undefined;
const open: { close(): void }[] = [];

afterEach(async () => {
  for (const client of open.splice(0)) client.close();
  await killTree(server);
  server = undefined;
});

async function stillServes(cluster: RunningCluster): Promise<void> {
  const probe = await TcpJsonClient.connect(cluster.tcpPort);
  open.push(probe);
  await probe.hello('probe');
}

describe('a JSON line that is invalid JSON and contains the word "forbidden"', () => {
  // Known bug (fuzz/known-bugs.ts, "decode-throws-forbidden"): codec.decode throws a
  // SyntaxError for such a line, session.#onJsonLine does not catch it, and the process
  // exits: one unauthenticated line stops a single-process server (or a cluster worker).
  // Unmark when fixed.
  it('over TCP gets invalid_json, the connection stays open and the server keeps serving', async () => {
    server = await startCluster(1);
    const client = await TcpJsonClient.connect(server.tcpPort);
    open.push(client);
    client.writeRaw('{"a":forbidden}\n');
    expect(await client.waitFor({ type: 'error' }, 1500)).toMatchObject({ code: 'invalid_json' });
    await client.sync(1500);
    await stillServes(server);
  });

  it('over WebSocket gets invalid_json and the server keeps serving', async () => {
    server = await startCluster(1);
    const client = await WsClient.connect(server.httpPort);
    open.push(client);
    client.ws.send('not json, forbidden');
    expect(await client.waitFor({ type: 'error' }, 1500)).toMatchObject({ code: 'invalid_json' });
    await stillServes(server);
  });
});

describe('hostile lines that decode safely', () => {
  it('leave the server serving: deep nesting, huge numbers, prototype keys, control bytes', async () => {
    server = await startCluster(1);
    const client = await TcpJsonClient.connect(server.tcpPort);
    open.push(client);
    const lines = [
      `{"type":"ping","id":1,"deep":${'['.repeat(4000)}${']'.repeat(4000)}}`,
      '{"type":"history","room":"r","since":1e309,"id":2}',
      '{"type":"ping","id":3,"__proto__":{"polluted":true}}',
      '{"type":"ping","id":4,"constructor":{"prototype":{"polluted":true}}}',
      '{"type":"ping","id":5,"x":"\\u0000\\u001b[2J"}',
    ];
    client.writeRaw(`${lines.join('\n')}\n`);
    await client.sync(2000);
    const answers = client.inbox.items
      .filter((f) => 'id' in f && typeof f.id === 'number')
      .map((f) => [f.type, (f as { code?: string }).code]);
    expect(answers).toEqual([
      ['pong', undefined],
      ['error', 'invalid_frame'],
      ['error', 'forbidden_key'],
      ['error', 'forbidden_key'],
      ['pong', undefined],
    ]);
    await stillServes(server);
  });
});
