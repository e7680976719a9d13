import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AcceptGate } from '../../src/transports/accept-gate.js';

let servers: Server[] = [];
let sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  servers = [];
  sockets = [];
});

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => sockets.push(s));
  servers.push(server);
  server.listen({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/** A gate over one listener on 127.0.0.1 (backlog 16). */
function gateOn(
  listener: { server: Server; port: number },
  options: Omit<ConstructorParameters<typeof AcceptGate>[0], 'listeners' | 'host' | 'backlog'>,
): AcceptGate {
  return new AcceptGate({ listeners: [listener], host: '127.0.0.1', backlog: 16, ...options });
}

/** Resolves 'accepted' or the connect error's code. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    sockets.push(socket);
    socket.once('connect', () => resolve('accepted'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('AcceptGate', () => {
  it('stops listening at the ceiling and listens again once below it by the slack', async () => {
    const { server, port } = await listening();
    const gate = gateOn({ server, port }, { ceiling: 10, slack: 3 });

    gate.update(9);
    expect(server.listening).toBe(true);
    gate.update(10);
    expect(gate.paused).toBe(true);
    expect(server.listening).toBe(false);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');

    gate.update(8); // not yet ceiling − slack
    expect(server.listening).toBe(false);
    gate.update(7);
    await once(server, 'listening');
    expect(gate.paused).toBe(false);
    expect(await tryConnect(port)).toBe('accepted');
  });

  it('stops listening while the primary holds it back, and listens only when neither hold nor ceiling says stop', async () => {
    const { server, port } = await listening();
    const accepting: boolean[] = [];
    const gate = gateOn({ server, port }, { ceiling: 10, slack: 3, onAccepting: (a) => accepting.push(a) });
    gate.hold(true);
    expect(server.listening).toBe(false);
    expect(accepting).toEqual([false]);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    gate.update(10); // full as well
    gate.hold(false);
    expect(server.listening).toBe(false); // still full
    gate.update(7);
    expect(accepting).toEqual([false]); // told only once it listens
    await once(server, 'listening');
    expect(accepting).toEqual([false, true]);
    expect(await tryConnect(port)).toBe('accepted');
  });

  it('never listens again once closed (shutdown)', async () => {
    const { server, port } = await listening();
    const gate = gateOn({ server, port }, { ceiling: 2, slack: 1 });
    gate.update(2);
    gate.close();
    gate.update(0);
    expect(server.listening).toBe(false);
  });

  it('reports a listener that cannot listen again and tries once more on the next change', async () => {
    const { server, port } = await listening();
    const gate = gateOn({ server, port }, {
      ceiling: 3,
      slack: 1,
      onListenError: (err) => errors.push((err as NodeJS.ErrnoException).code ?? err.message),
    });
    const errors: string[] = [];
    gate.update(3);
    // Someone else takes the port while this one is full.
    const squatter = createServer();
    servers.push(squatter);
    squatter.listen({ port, host: '127.0.0.1' });
    await once(squatter, 'listening');
    gate.update(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors).toEqual(['EADDRINUSE']);
    expect(gate.paused).toBe(true);
    squatter.close();
    await once(squatter, 'close');
    gate.update(0);
    await once(server, 'listening');
    expect(gate.paused).toBe(false);
  });
});
