/**
 * A port that is taken stops the server with one line saying which port, which listener and
 * how to choose another, no stack trace, and a non-zero exit: the compiled CLI, started on a
 * port this test holds.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runMainToExit as runMain } from './helpers/cluster.js';

async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/** The one line, and that nothing else (a stack, a second report) reached stderr. */
function expectOneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

describe('a taken port', () => {
  let held: Server | undefined;
  afterEach(() => {
    held?.close();
    held = undefined;
  });

  it('names the TCP port and --tcp-port / TCP_PORT, and exits non-zero', async () => {
    const { server, port } = await holdPort();
    held = server;
    const run = await runMain(['--tcp-port', String(port), '--http-port', '0']);
    expect(run.code).toBe(1);
    const line = expectOneLine(run.stderr);
    expect(line).toContain(`TCP port ${port}`);
    expect(line).toContain('--tcp-port');
    expect(line).toContain('TCP_PORT');
    expect(line).not.toContain('--http-port');
  });

  it('names the HTTP port and --http-port / HTTP_PORT when it comes from the environment', async () => {
    const { server, port } = await holdPort();
    held = server;
    const run = await runMain(['--tcp-port', '0'], { HTTP_PORT: String(port) });
    expect(run.code).toBe(1);
    const line = expectOneLine(run.stderr);
    expect(line).toContain(`HTTP/WebSocket port ${port}`);
    expect(line).toContain('--http-port');
    expect(line).toContain('HTTP_PORT');
  });

  it('says the same once in cluster mode, where the primary binds the ports', async () => {
    const { server, port } = await holdPort();
    held = server;
    const run = await runMain(['--workers', '2', '--tcp-port', String(port), '--http-port', '0']);
    expect(run.code).toBe(1);
    expect(expectOneLine(run.stderr)).toContain(`TCP port ${port}`);
  });
});
