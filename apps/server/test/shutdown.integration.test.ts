/**
 * Graceful shutdown (main.ts, server.ts close()): on SIGTERM every client is told
 * `error {code: shutdown}` (WebSocket close 1001), listeners stop accepting, and the process
 * exits 0 within shutdownTimeoutMs. Runs the compiled CLI (`npm test` runs `tsc -b` first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TcpJsonClient, WsClient, sleep, tryConnect, waitUntil } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Running {
  child: ChildProcess;
  tcpPort: number;
  httpPort: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stderr: () => string;
}

const children: ChildProcess[] = [];
const open: { close(): void }[] = [];

/** Starts the CLI on free ports and reads them from the "loopchat listening" log line. */
async function startCli(args: string[] = [], nodeArgs: string[] = []): Promise<Running> {
  const child = spawn(process.execPath, [...nodeArgs, MAIN, '--tcp-port', '0', '--http-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  children.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    at: Date.now(),
  }));
  const ports = await new Promise<{ tcp: number; http: number }>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`no "loopchat listening" line; stdout: ${stdout} stderr: ${stderr}`)), 10_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      for (const line of stdout.split('\n')) {
        if (!line.includes('loopchat listening')) continue;
        const entry = JSON.parse(line) as { tcp: { port: number }; http: { port: number } };
        clearTimeout(timer);
        resolve({ tcp: entry.tcp.port, http: entry.http.port });
      }
    });
    void exited.then(({ code }) => reject(new Error(`exited with ${code} before listening; stderr: ${stderr}`)));
  });
  return { child, tcpPort: ports.tcp, httpPort: ports.http, exited, stderr: () => stderr };
}

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npx tsc -b\` first (npm test does)`);
});

afterEach(() => {
  for (const client of open.splice(0)) client.close();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('the CLI on SIGTERM', () => {
  it('tells a TCP and a WebSocket client `shutdown` (WS close 1001), exits 0 within the deadline, and refuses new connections', async () => {
    const server = await startCli(['--shutdown-timeout-ms', '2000']);
    const tcp = await TcpJsonClient.connect(server.tcpPort);
    const ws = await WsClient.connect(server.httpPort);
    open.push(tcp, ws);
    await tcp.hello('alice');
    await ws.hello('bob');
    await tcp.join('bye');
    await ws.join('bye');

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    expect(await tcp.waitFor({ type: 'error' })).toMatchObject({ code: 'shutdown' });
    expect(await ws.waitFor({ type: 'error' })).toMatchObject({ code: 'shutdown' });
    await tcp.closed();
    expect(await ws.closed()).toBe(1001);

    const exit = await server.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    // The clients closed at once, so no need to wait out the 2 s deadline.
    expect(exit.at - signalledAt).toBeLessThan(2000);
    expect(await tryConnect(server.tcpPort)).toBe('ECONNREFUSED');
    expect(await tryConnect(server.httpPort)).toBe('ECONNREFUSED');
    expect(server.stderr()).toBe('');
  });

  it('stops accepting at once, and exits 0 after shutdownTimeoutMs even if a client never closes', async () => {
    const server = await startCli(['--shutdown-timeout-ms', '800']);
    // allowHalfOpen: the client reads the server's FIN but never sends its own.
    const lingering = await TcpJsonClient.connect(server.tcpPort, '127.0.0.1', { allowHalfOpen: true });
    open.push(lingering);
    await lingering.hello('lingering');

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    expect(await lingering.waitFor({ type: 'error' })).toMatchObject({ code: 'shutdown' });
    // Still draining (the process is alive), but the listeners are closed.
    expect(await tryConnect(server.tcpPort)).toBe('ECONNREFUSED');
    expect(await tryConnect(server.httpPort)).toBe('ECONNREFUSED');
    expect(server.child.exitCode).toBeNull();

    const exit = await server.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalledAt).toBeGreaterThanOrEqual(700);
    expect(exit.at - signalledAt).toBeLessThan(800 + 1500);
  });

  it('exits at once (non-zero) on a second signal during the drain', async () => {
    const server = await startCli(['--shutdown-timeout-ms', '10000']);
    const lingering = await TcpJsonClient.connect(server.tcpPort, '127.0.0.1', { allowHalfOpen: true });
    open.push(lingering);
    await lingering.hello('lingering');
    server.child.kill('SIGTERM');
    await lingering.waitFor({ type: 'error', code: 'shutdown' });
    const secondAt = Date.now();
    server.child.kill('SIGINT');
    const exit = await server.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.at - secondAt).toBeLessThan(1000);
  });
});

describe('the CLI right after it announces readiness', () => {
  it('has its SIGTERM handler installed when it logs "loopchat listening" (a supervisor may signal at once)', async () => {
    // BUG: the line is logged inside startServer(), but main.ts installs its SIGTERM/SIGINT
    // handlers only after startServer() resolves, so a SIGTERM sent on readiness can hit the
    // default action (killed by signal, clients never told `shutdown`). The race window is
    // tiny, so instead of racing a signal this preload records, at the moment the line is
    // written to fd 1, how many SIGTERM listeners the process has.
    const hook = [
      "import fs from 'node:fs';",
      "for (const name of ['write', 'writeSync']) {",
      '  const original = fs[name];',
      '  fs[name] = function (fd, data, ...rest) {',
      "    if (fd === 1 && String(data).includes('loopchat listening')) {",
      "      fs.writeSync(2, 'sigterm-listeners-at-ready=' + process.listenerCount('SIGTERM') + '\\n');",
      '    }',
      '    return original.call(this, fd, data, ...rest);',
      '  };',
      '}',
    ].join('\n');
    const server = await startCli([], ['--import', `data:text/javascript,${encodeURIComponent(hook)}`]);
    await waitUntil(() => server.stderr().includes('\n'), 2000, 'the preload report');
    expect(server.stderr()).toMatch(/sigterm-listeners-at-ready=[1-9]/);
  });
});

describe('server.close() in process', () => {
  it('resolves, tells every client `shutdown`, leaves no session behind, and frees both ports', async () => {
    const server = await startTestServer({ shutdownTimeoutMs: 1000 });
    const tcp = await TcpJsonClient.connect(server.tcpPort);
    const ws = await WsClient.connect(server.httpPort);
    open.push(tcp, ws);
    await tcp.hello('alice');
    await ws.hello('bob');

    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
    expect(tcp.inbox.items.at(-1)).toMatchObject({ type: 'error', code: 'shutdown' });
    expect(await ws.closed()).toBe(1001);
    expect(server.ctx.sessions.size).toBe(0);
    expect(server.ctx.limiter.total).toBe(0);

    for (const port of [server.tcpPort, server.httpPort]) {
      const probe = createServer();
      probe.listen(port, '127.0.0.1');
      await once(probe, 'listening');
      await new Promise((resolve) => probe.close(resolve));
    }
  });

  it('refuses connections that arrive after close() began', async () => {
    const server = await startTestServer({ shutdownTimeoutMs: 1000 });
    const lingering = await TcpJsonClient.connect(server.tcpPort, '127.0.0.1', { allowHalfOpen: true });
    open.push(lingering);
    await lingering.hello('lingering');
    const closing = server.close();
    await lingering.waitFor({ type: 'error', code: 'shutdown' });
    expect(await tryConnect(server.tcpPort)).toBe('ECONNREFUSED');
    expect(await tryConnect(server.httpPort)).toBe('ECONNREFUSED');
    lingering.close();
    await closing;
    await sleep(0);
  });
});
